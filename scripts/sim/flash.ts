/**
 * NOR flash as Espruino's Storage sees it: erased bytes read 0xFF, a write
 * can only clear bits, an erase resets a whole page. Every program and erase
 * operation passes one hook, where the simulator cuts power.
 */

export type FlashOp = "write" | "erase";

/** Thrown from inside a flash operation when the simulated power fails. */
export class PowerCut extends Error {
  constructor(readonly op: FlashOp, readonly index: number, readonly tornAt: number) {
    super(`power cut during flash ${op} #${index} at byte ${tornAt}`);
    this.name = "PowerCut";
  }
}

export interface PowerCutPlan {
  /** Cut at the N-th flash operation counted from when the plan was armed (1-based). */
  atOp: number;
  /** Bytes of that operation that reach the flash before power goes. */
  tornAt: number;
}

export class Flash {
  readonly bytes: Uint8Array;
  readonly pageBytes: number;
  /** Erase count per page, for wear reports. */
  readonly pageErases: Uint32Array;
  bytesWritten = 0;
  writeOps = 0;
  private opsSinceArm = 0;
  /** Set when power was cut: nothing reaches the flash until the board is powered again. */
  dead = false;
  private plan: PowerCutPlan | null = null;
  /** Called for every operation, for tests that list the positions they cut at. */
  onOp: ((op: FlashOp, addr: number, len: number) => void) | null = null;

  constructor(size: number, pageBytes: number, readonly wordBytes = 4) {
    if (size % pageBytes) throw new Error("flash size must be whole pages");
    this.bytes = new Uint8Array(size).fill(0xff);
    this.pageBytes = pageBytes;
    this.pageErases = new Uint32Array(size / pageBytes);
  }

  get size(): number {
    return this.bytes.length;
  }

  get totalErases(): number {
    let n = 0;
    for (let i = 0; i < this.pageErases.length; i++) n += this.pageErases[i];
    return n;
  }

  armPowerCut(plan: PowerCutPlan | null): void {
    this.plan = plan;
    this.opsSinceArm = 0;
  }

  /** Flash operations since the last armPowerCut(): a test counts a sequence's writes with it. */
  get opsCounted(): number {
    return this.opsSinceArm;
  }

  write(addr: number, data: Uint8Array): void {
    if (addr < 0 || addr + data.length > this.bytes.length) throw new Error("flash write out of range");
    const n = this.step("write", addr, data.length);
    const len = n < 0 ? data.length : n;
    for (let i = 0; i < len; i++) this.bytes[addr + i] &= data[i];
    this.bytesWritten += len;
    this.writeOps++;
    if (n >= 0) this.cut("write", n);
  }

  erasePage(page: number): void {
    const start = page * this.pageBytes;
    const n = this.step("erase", start, this.pageBytes);
    this.bytes.fill(0xff, start, start + (n < 0 ? this.pageBytes : n));
    this.pageErases[page]++;
    if (n >= 0) this.cut("erase", n);
  }

  isErased(addr: number, len: number): boolean {
    for (let i = 0; i < len; i++) if (this.bytes[addr + i] !== 0xff) return false;
    return true;
  }

  /** -1: the operation completes; otherwise the bytes done before power fails (then it fails). */
  private step(op: FlashOp, addr: number, len: number): number {
    if (this.dead) throw new PowerCut(op, this.opsSinceArm, 0);
    this.opsSinceArm++;
    if (this.onOp) this.onOp(op, addr, len);
    const p = this.plan;
    // Flash programs whole words: a cut leaves the words before it written.
    if (p && this.opsSinceArm === p.atOp) return Math.min(p.tornAt - (p.tornAt % this.wordBytes), len);
    return -1;
  }

  private cut(op: FlashOp, tornAt: number): never {
    const index = this.opsSinceArm;
    this.plan = null;
    this.dead = true;
    throw new PowerCut(op, index, tornAt);
  }
}
