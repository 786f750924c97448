/**
 * NOR flash under the simulated interpreter, at the build's real addresses:
 * erased bytes read 0xFF, a write can only clear bits, an erase resets whole
 * pages. Only the areas a board models exist; an access anywhere else throws
 * FlashNotModelled. Every program and erase operation passes one hook, where
 * the simulator cuts power between operations or inside one.
 */

export type FlashOp = "write" | "erase";

/** Thrown from inside a flash operation when the simulated power fails. */
export class PowerCut extends Error {
  constructor(readonly op: FlashOp, readonly index: number, readonly tornAt: number) {
    super(`power cut during flash ${op} #${index} at byte ${tornAt}`);
    this.name = "PowerCut";
  }
}

/** An access to flash the simulator does not model (firmware, bootloader, past the chip). */
export class FlashNotModelled extends Error {
  constructor(addr: number, len: number) {
    super(`flash 0x${(addr >>> 0).toString(16)}+${len} is not modelled by the simulator`);
    this.name = "FlashNotModelled";
  }
}

export interface PowerCutPlan {
  /** Cut at the N-th flash operation counted from when the plan was armed (1-based). */
  atOp: number;
  /**
   * Where in that operation power fails, in bytes from its start. A write
   * programs the units before it, leaves the unit holding it torn and the rest
   * untouched; an erase resets about tornAt of its bytes, scattered over its
   * pages. At or past the end the operation completes and power fails after it.
   */
  tornAt: number;
  /**
   * Of the bits the torn unit of a write was to clear, those set in this mask
   * (repeated every 4 bytes) are cleared; the rest stay 1. Default
   * TORN_MASK; 0 leaves the torn unit as it was.
   */
  tornMask?: number;
}

/** A torn unit keeps about half the bits it was to clear: a value that is neither old nor new. */
export const TORN_MASK = 0x0f0f0f0f;

/** What a copy of a flash needs: each area's bytes and, where the chip limits them, its writes per word. */
export interface FlashState {
  areas: { addr: number; bytes: Uint8Array; wordWrites: Uint8Array | null }[];
}

export interface FlashAreaSpec {
  addr: number;
  length: number;
  pageBytes: number;
  /** Bytes programmed as one unit. */
  writeUnit: number;
  /** SPI NOR program page: a write is programmed in chunks that do not cross these boundaries. */
  programPageBytes?: number;
  /** Writes a 32-bit word takes between erases; more are lost (nRF52840: 2). */
  maxWritesPerWord?: number;
}

class Area {
  readonly bytes: Uint8Array;
  readonly pageErases: Uint32Array;
  /** Writes per 32-bit word since its page was last erased, where the chip limits them. */
  readonly wordWrites: Uint8Array | null;

  constructor(readonly spec: FlashAreaSpec) {
    if (spec.length % spec.pageBytes || spec.addr % spec.pageBytes) throw new Error("flash area must be whole pages");
    this.bytes = new Uint8Array(spec.length).fill(0xff);
    this.pageErases = new Uint32Array(spec.length / spec.pageBytes);
    this.wordWrites = spec.maxWritesPerWord ? new Uint8Array(spec.length / 4) : null;
  }

  get start(): number {
    return this.spec.addr;
  }

  get end(): number {
    return this.spec.addr + this.spec.length;
  }
}

/** murmur3's finaliser: a fixed, well-mixed choice per byte for torn erases. */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

export class Flash {
  private readonly areas: Area[];
  /** The area holding Storage. */
  private readonly main: Area;
  bytesWritten = 0;
  writeOps = 0;
  /** Writes to a word past its limit: lost on the chip, counted so tests can see them. */
  overWrites = 0;
  /** Writes that failed without a word (armDroppedWrite). */
  droppedWrites = 0;
  private opsSinceArm = 0;
  /** Set when power was cut: nothing reaches the flash until the board is powered again. */
  dead = false;
  private plan: PowerCutPlan | null = null;
  /** Operations until the dropped write (0: none armed); dropNow marks the one under way. */
  private dropIn = 0;
  private dropNow = false;
  /** Counts every change to the bytes (writes, erases, a state loaded): views of flash read again when it moves. */
  generation = 0;
  /** Called before every operation (with a write's bytes), for tests that list or record the positions they cut at. */
  onOp: ((op: FlashOp, addr: number, len: number, data?: Uint8Array) => void) | null = null;

  /** `storageStart` names the area Storage lives in; it must start one. */
  constructor(areas: readonly FlashAreaSpec[], storageStart: number) {
    this.areas = areas.map((a) => new Area(a));
    const main = this.areas.find((a) => a.start === storageStart);
    if (!main) throw new Error("no flash area starts at Storage's address");
    this.main = main;
  }

  /** Storage's bytes, from its first address (for copying a board's flash to another). */
  get bytes(): Uint8Array {
    return this.main.bytes;
  }

  /** Erase count per page of Storage's area, for wear reports. */
  get pageErases(): Uint32Array {
    return this.main.pageErases;
  }

  get totalErases(): number {
    let n = 0;
    for (const a of this.areas) for (let i = 0; i < a.pageErases.length; i++) n += a.pageErases[i];
    return n;
  }

  /** The most erases any one page has had, in any area. */
  get maxPageErases(): number {
    let n = 0;
    for (const a of this.areas) for (let i = 0; i < a.pageErases.length; i++) n = Math.max(n, a.pageErases[i]);
    return n;
  }

  /** Erases of the page holding addr. */
  erasesAt(addr: number): number {
    const a = this.area(addr, 1);
    return a.pageErases[Math.floor((addr - a.start) / a.spec.pageBytes)];
  }

  /** Whether [addr, addr + len) lies in one modelled area. */
  covers(addr: number, len: number): boolean {
    return this.find(addr, len) !== null;
  }

  /**
   * `counted`: operations to count as done already. A replay of the N-th
   * operation of a recording arms at N with N - 1 counted, so that a torn
   * erase scatters as it did at N (scripts/sim/cuts.ts).
   */
  armPowerCut(plan: PowerCutPlan | null, counted = 0): void {
    this.plan = plan;
    this.opsSinceArm = counted;
  }

  /** The atOp-th operation from now, if a write, fails without a word: nothing of it reaches the flash. */
  armDroppedWrite(atOp: number | null): void {
    this.dropIn = atOp === null ? 0 : Math.max(0, atOp);
  }

  /** Flash operations since the last armPowerCut(): a test counts a sequence's writes with it. */
  get opsCounted(): number {
    return this.opsSinceArm;
  }

  /** A copy of every area's state. */
  saveState(): FlashState {
    return { areas: this.areas.map((a) => ({ addr: a.start, bytes: a.bytes.slice(), wordWrites: a.wordWrites ? a.wordWrites.slice() : null })) };
  }

  /** Takes over a state saved from a flash of the same areas. */
  loadState(s: FlashState): void {
    const same = s.areas.length === this.areas.length && this.areas.every((a, i) => a.start === s.areas[i].addr && a.bytes.length === s.areas[i].bytes.length && !a.wordWrites === !s.areas[i].wordWrites);
    if (!same) throw new Error("flash state from a flash of other areas");
    this.generation++;
    this.areas.forEach((a, i) => {
      a.bytes.set(s.areas[i].bytes);
      if (a.wordWrites) a.wordWrites.set(s.areas[i].wordWrites!);
    });
  }

  read(addr: number, len: number): Uint8Array {
    const a = this.area(addr, len);
    return a.bytes.slice(addr - a.start, addr - a.start + len);
  }

  /** A view without copying, for scans; only valid until the next operation. */
  view(addr: number, len: number): Uint8Array {
    const a = this.area(addr, len);
    return a.bytes.subarray(addr - a.start, addr - a.start + len);
  }

  u32(addr: number): number {
    const b = this.view(addr, 4);
    return (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
  }

  isErased(addr: number, len: number): boolean {
    const b = this.view(addr, len);
    for (let i = 0; i < b.length; i++) if (b[i] !== 0xff) return false;
    return true;
  }

  /** One program operation: what a single jshFlashWrite() does. */
  program(addr: number, data: Uint8Array): void {
    const a = this.area(addr, data.length);
    this.generation++;
    const torn = this.step("write", addr, data.length, data);
    if (this.dropNow) {
      this.droppedWrites++;
      this.writeOps++;
      if (torn >= 0) this.cut("write", torn);
      return;
    }
    const len = data.length;
    // The torn unit: [tornFrom, tornTo) is programmed partly; before it fully; after it not at all.
    let tornFrom = len;
    let tornTo = len;
    if (torn >= 0 && torn < len) {
      const unit = this.unitAround(a, addr, len, torn);
      tornFrom = unit[0];
      tornTo = unit[1];
    }
    const mask = this.plan?.tornMask ?? TORN_MASK;
    const off = addr - a.start;
    const lost = this.countWordWrites(a, off, tornTo);
    for (let i = 0; i < tornTo; i++) {
      if (lost && lost.has((off + i) >> 2)) continue;
      const d = data[i];
      if (i < tornFrom) a.bytes[off + i] &= d;
      else a.bytes[off + i] &= ~(~d & 0xff & (mask >>> (8 * ((off + i) & 3)))) & 0xff;
    }
    this.bytesWritten += tornTo;
    this.writeOps++;
    if (torn >= 0) this.cut("write", torn);
  }

  /** One erase operation over the whole pages of [addr, addr + len): a sector, block or chip erase. */
  erase(addr: number, len: number): void {
    const a = this.area(addr, len);
    const pb = a.spec.pageBytes;
    if ((addr - a.start) % pb || len % pb || len === 0) throw new Error("flash erase must cover whole pages");
    this.generation++;
    const torn = this.step("erase", addr, len);
    const off = addr - a.start;
    const op = this.opsSinceArm;
    if (torn < 0 || torn >= len) {
      a.bytes.fill(0xff, off, off + len);
      if (a.wordWrites) a.wordWrites.fill(0, off >> 2, (off + len) >> 2);
    } else {
      // Cells erase together, not in order: a cut leaves bytes erased here and there, about
      // tornAt of them, while the others keep their old data.
      const limit = Math.floor((torn / len) * 0x100000000);
      for (let i = 0; i < len; i++) if (mix32((addr + i) ^ Math.imul(op, 0x9e3779b9)) < limit) a.bytes[off + i] = 0xff;
    }
    for (let p = off / pb; p < (off + len) / pb; p++) a.pageErases[p]++;
    if (torn >= 0) this.cut("erase", torn);
  }

  /** The unit being programmed when byte `at` of a write to addr is: a word, or an SPI program-page chunk. */
  private unitAround(a: Area, addr: number, len: number, at: number): [number, number] {
    const u = a.spec.programPageBytes ?? a.spec.writeUnit;
    const abs = addr + at;
    const base = abs - (abs % u);
    return [Math.max(addr, base) - addr, Math.min(addr + len, base + u) - addr];
  }

  /** Counts a write to every word in [off, off + len); returns the words past their limit, whose write is lost. */
  private countWordWrites(a: Area, off: number, len: number): Set<number> | null {
    const ww = a.wordWrites;
    if (!ww || len <= 0) return null;
    const max = a.spec.maxWritesPerWord!;
    let lost: Set<number> | null = null;
    for (let w = off >> 2; w <= (off + len - 1) >> 2; w++) {
      if (ww[w] >= max) {
        this.overWrites++;
        (lost ??= new Set()).add(w);
      } else ww[w]++;
    }
    return lost;
  }

  private find(addr: number, len: number): Area | null {
    for (const a of this.areas) if (addr >= a.start && addr + len <= a.end && len >= 0) return a;
    return null;
  }

  private area(addr: number, len: number): Area {
    const a = this.find(addr, len);
    if (!a) throw new FlashNotModelled(addr, len);
    return a;
  }

  /** -1: the operation completes; otherwise where in it power fails. */
  private step(op: FlashOp, addr: number, len: number, data?: Uint8Array): number {
    if (this.dead) throw new PowerCut(op, this.opsSinceArm, 0);
    this.opsSinceArm++;
    this.dropNow = this.dropIn > 0 && --this.dropIn === 0;
    if (this.onOp) this.onOp(op, addr, len, data);
    const p = this.plan;
    if (p && this.opsSinceArm === p.atOp) return Math.max(0, p.tornAt);
    return -1;
  }

  private cut(op: FlashOp, tornAt: number): never {
    const index = this.opsSinceArm;
    this.plan = null;
    this.dead = true;
    throw new PowerCut(op, index, tornAt);
  }
}
