/**
 * Power cuts by record and replay. A sequence runs once on a SimBoard while
 * every flash operation is recorded (erase or write, address, a write's
 * bytes) with what the test wants to know at that moment. Then, for each
 * operation and each torn position inside it, the flash is rebuilt as a cut
 * there leaves it, and a fresh board is made from it to boot and check.
 * Each cut costs one boot instead of a run of the whole sequence up to it.
 *
 * The operations are applied by the simulator's own Flash.program and
 * Flash.erase, the one being cut under an armed power cut counted as the
 * recording counted it (a torn erase scatters by its index), so a replayed
 * cut and one armed with SimBoard.armPowerCut leave the same flash.
 */
import { Flash, PowerCut, type FlashOp, type FlashState } from "./flash";
import { makeFlash } from "./flash-driver";
import { SimBoard, type SimOptions } from "./board";

export interface RecordedOp<T> {
  /** 1-based from the start of the recording: PowerCutPlan.atOp of a cut armed when it started. */
  index: number;
  op: FlashOp;
  addr: number;
  len: number;
  /** A write's bytes (null for an erase). */
  data: Uint8Array | null;
  /** The board's clock when the operation began. */
  mono: number;
  wallOffset: number;
  /** What the caller's capture saw just before the operation. */
  facts: T;
}

export interface Cut<T> {
  op: RecordedOp<T>;
  /** Bytes into the operation; the operation's length means it completed and power failed after it. */
  tornAt: number;
  /** The torn positions asked for that leave exactly this flash (tornAt among them). */
  positions: number[];
  /** The flash as the cut leaves it. */
  state: FlashState;
}

export interface CutOptions {
  /** Bytes into each operation; values at or past its end stand for the operation completed. */
  tornAt: readonly number[];
  /** PowerCutPlan.tornMask. */
  tornMask?: number;
}

function sameState(a: FlashState, b: FlashState): boolean {
  return a.areas.every((x, i) => Buffer.compare(x.bytes, b.areas[i].bytes) === 0 && (!x.wordWrites || Buffer.compare(x.wordWrites, b.areas[i].wordWrites!) === 0));
}

/** Applies one recorded operation to `f`; with a torn position, power fails there. */
function apply(f: Flash, o: RecordedOp<unknown>, tornAt: number | null, tornMask?: number): void {
  f.dead = false;
  f.armPowerCut(tornAt === null ? null : { atOp: o.index, tornAt, tornMask }, o.index - 1);
  try {
    if (o.op === "write") f.program(o.addr, o.data!);
    else f.erase(o.addr, o.len);
  } catch (e) {
    if (!(e instanceof PowerCut)) throw e;
  }
}

export class CutRecording<T> {
  readonly ops: RecordedOp<T>[] = [];
  private readonly start: FlashState;
  private readonly previous: Flash["onOp"];
  private stopped = false;

  /** Starts recording `sim`'s flash operations; `capture` runs before each one. */
  constructor(readonly sim: SimBoard, capture: (sim: SimBoard, index: number) => T) {
    // Ops are counted from here, as a cut armed now would count them.
    sim.armPowerCut(null);
    this.start = sim.flash.saveState();
    this.previous = sim.flash.onOp;
    sim.flash.onOp = (op, addr, len, data) => {
      const index = this.ops.length + 1;
      this.ops.push({ index, op, addr, len, data: data ? data.slice() : null, mono: sim.clock.mono, wallOffset: sim.clock.wallOffset, facts: capture(sim, index) });
    };
  }

  /** A flash of the recorded board's areas, unpowered, with no operation applied. */
  private blank(): Flash {
    const f = makeFlash(this.sim.flashDriver.conf, this.sim.board.storage.bytes).flash;
    f.loadState(this.start);
    return f;
  }

  /**
   * Ends the recording, and checks that the operations replayed in full give
   * the board's flash as it is: a power cut or a dropped write during the
   * sequence would make every cut replayed from it wrong.
   */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.sim.flash.onOp = this.previous;
    const f = this.blank();
    for (const o of this.ops) apply(f, o, null);
    if (!sameState(f.saveState(), this.sim.flash.saveState())) throw new Error("the recorded operations do not rebuild the board's flash: was power cut or a write dropped while recording?");
  }

  /**
   * Every cut, operation by operation, and for each the distinct flash states
   * its torn positions leave (positions that leave the same bytes are given
   * once, in `positions`).
   */
  *cuts(o: CutOptions): Generator<Cut<T>> {
    this.stop();
    const before = this.blank();
    const cut = this.blank();
    for (const op of this.ops) {
      const seen: Cut<T>[] = [];
      const positions = [...new Set(o.tornAt.map((t) => Math.min(Math.max(0, t), op.len)))].sort((a, b) => a - b);
      for (const t of positions) {
        cut.loadState(before.saveState());
        apply(cut, op, t, o.tornMask);
        const state = cut.saveState();
        const same = seen.find((c) => sameState(c.state, state));
        if (same) same.positions.push(t);
        else seen.push({ op, tornAt: t, positions: [t], state });
      }
      yield* seen;
      apply(before, op, null);
    }
  }

  /** The flash before operation `index` (1-based; ops.length + 1: after the last). */
  stateBefore(index: number): FlashState {
    const f = this.blank();
    for (const o of this.ops.slice(0, index - 1)) apply(f, o, null);
    return f.saveState();
  }

  /**
   * A fresh board of the recorded one's kind and flash, with the flash as
   * `cut` left it and its clock at the moment of the cut, not powered: wire
   * its world, then boot it.
   */
  boardAt(cut: Cut<T>, opts: Partial<SimOptions> = {}): SimBoard {
    const b = new SimBoard({ board: this.sim.board, flash: this.sim.flashDriver.conf, ...opts });
    b.flash.loadState(cut.state);
    b.clock.mono = cut.op.mono;
    b.clock.wallOffset = cut.op.wallOffset;
    return b;
  }
}

/** Records the flash operations `run` makes on `sim`; call cuts() on the result. */
export function recordCuts<T>(sim: SimBoard, run: () => void, capture: (sim: SimBoard, index: number) => T): CutRecording<T> {
  const rec = new CutRecording(sim, capture);
  try {
    run();
  } finally {
    rec.stop();
  }
  return rec;
}
