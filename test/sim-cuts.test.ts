import { describe, expect, it } from "vitest";
import { makeBoard, demoSite } from "./helpers";
import { LINUX_FLASH } from "../boards/sim";
import { recordCuts } from "../scripts/sim/cuts";
import type { FlashState } from "../scripts/sim/flash";
import type { SimBoard } from "../scripts/sim/board";
import { standardWorld } from "../scripts/sim/world";

/** 1 KB pages: the first boot erases pages for the store, and a few cycles write records into them. */
const opts = { site: demoSite, flash: LINUX_FLASH, memoryBaseline: false };
const TORN = [0, 1, 2, 4, 13, 31, 1 << 20];

/** The first boot, which creates the store, and three cycles of readings. */
function sequence(sim: SimBoard): void {
  sim.boot();
  sim.advance(3 * 60_000);
}

/** Where two flash states differ first, or null. */
function firstDifference(a: FlashState, b: FlashState): string | null {
  for (let k = 0; k < a.areas.length; k++) {
    const x = a.areas[k].bytes;
    const y = b.areas[k].bytes;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return `0x${(a.areas[k].addr + i).toString(16)}: ${x[i]} != ${y[i]}`;
  }
  return null;
}

describe("power cuts by record and replay (scripts/sim/cuts.ts)", () => {
  for (const tornMask of [undefined, 0xf0f0f0f0]) {
    it(`leaves the flash a power cut armed on the board leaves, at every operation and torn position (tornMask ${tornMask === undefined ? "default" : "0x" + tornMask.toString(16)})`, () => {
      const sim = makeBoard("sim", opts);
      const rec = recordCuts(sim, () => sequence(sim), (s) => s.console.length);
      // As many operations as a plain run counts, erases after the first among them (a torn erase scatters by its index).
      const plain = makeBoard("sim", opts);
      plain.armPowerCut(null);
      sequence(plain);
      expect(rec.ops.length).toBe(plain.flash.opsCounted);
      expect(rec.ops.filter((o) => o.op === "erase" && o.index > 1).length).toBeGreaterThan(0);
      expect(rec.ops.filter((o) => o.op === "write").length).toBeGreaterThan(0);

      let compared = 0;
      let booted = 0;
      for (const cut of rec.cuts({ tornAt: TORN, tornMask })) {
        for (const t of cut.positions) {
          const armed = makeBoard("sim", opts);
          armed.armPowerCut({ atOp: cut.op.index, tornAt: t, tornMask });
          sequence(armed);
          expect(armed.powered).toBe(false);
          expect(firstDifference(armed.flash.saveState(), cut.state), `op ${cut.op.index} (${cut.op.op}) at byte ${t}`).toBeNull();
          compared++;
          if (t !== cut.tornAt) continue;
          // Booted at the same moment, the board made from the replay behaves as the one that was cut.
          const replayed = rec.boardAt(cut, { seed: 1, memoryBaseline: false });
          replayed.clock.mono = armed.clock.mono;
          standardWorld(replayed);
          const mark = armed.console.length;
          armed.boot();
          armed.advance(5000);
          replayed.boot();
          replayed.advance(5000);
          expect(replayed.output(), `op ${cut.op.index} at byte ${t}`).toBe(armed.console.slice(mark).map((l) => l.text).join("\n"));
          expect(firstDifference(armed.flash.saveState(), replayed.flash.saveState())).toBeNull();
          booted++;
        }
      }
      console.log(`record and replay: ${rec.ops.length} operations, ${compared} cut positions compared with armed cuts, ${booted} distinct flash states booted`);
    });
  }

  it("refuses a recording the operations cannot rebuild: a write dropped while recording", () => {
    const sim = makeBoard("sim", opts);
    expect(() =>
      recordCuts(sim, () => {
        sim.boot();
        sim.flash.armDroppedWrite(2);
        sim.advance(3 * 60_000);
      }, () => 0),
    ).toThrow(/do not rebuild/);
    expect(sim.flash.droppedWrites).toBe(1);
  });

  it("the flash before an operation is the recorded board's flash at that moment", () => {
    const sim = makeBoard("sim", opts);
    const seen: FlashState[] = [];
    const rec = recordCuts(sim, () => sequence(sim), (s) => {
      seen.push(s.flash.saveState());
      return 0;
    });
    for (const i of [1, Math.ceil(rec.ops.length / 2), rec.ops.length]) expect(firstDifference(rec.stateBefore(i), seen[i - 1])).toBeNull();
  });
});
