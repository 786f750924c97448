/** The readings probe (src/probes/readings-probe.ts) is the sim board's firmware, and records what it emits. */
import { describe, expect, it } from "vitest";
import { bootWith, bootProbe, readingsOf, cyclesOf, eventsOf, clearRecorded, readingLines, Q } from "./helpers";
import { A02yyuw } from "../scripts/sim/models/ultrasonic";
import { QTY_LEVEL_MM, QTY_FILL_PERMILLE, QTY_VOLUME_L, QTY_SMOKE } from "../src/readings/quantities";
import { EV_SMOKE } from "../src/readings/events";
import type { SimBoard } from "../scripts/sim/board";

const site = [{ kind: "trough", name: "T", port: 4, sensor: "a02yyuw", depth: 600, length: 2000, width: 600, mount: 800 }, { kind: "smoke", name: "S", port: 3 }];

/** Three cycles with a smoke alarm raised and cleared in between. */
function run(boot: typeof bootWith): SimBoard {
  const sim = boot(site, (s) => {
    new A02yyuw(s, "Serial3", 350);
    s.pins.setLevel("D32", 1);
  });
  sim.advance(30_000);
  sim.pins.setLevel("D27", 1);
  sim.advance(60_000);
  sim.pins.setLevel("D27", 0);
  sim.advance(30_000);
  return sim;
}

describe("readings probe", () => {
  it("runs the firmware exactly as the sim board's bundle does", () => {
    const board = run(bootWith);
    const probe = run(bootProbe);
    expect(readingLines(board).length).toBe(3);
    expect(probe.console).toEqual(board.console);
    expect(probe.errors).toEqual([]);
  });

  it("records every cycle's readings, with their values and qualities, and the events", () => {
    const sim = run(bootProbe);
    const cycles = cyclesOf(sim);
    expect(cycles.length).toBe(readingLines(sim).length);
    for (const c of cycles) {
      // The gateway's own channel 0 is read first; then each sensor as its answer comes (the smoke detector's at once, the UART's later).
      expect(c.slice(0, 2).map((r) => r.ch)).toEqual([0, 0]);
      const sensors = c.slice(2).map((r) => [r.ch, r.qty]);
      expect(sensors.sort((a, b) => a[0] - b[0])).toEqual([[1, QTY_LEVEL_MM], [1, QTY_FILL_PERMILLE], [1, QTY_VOLUME_L], [2, QTY_SMOKE]]);
    }
    expect(readingsOf(sim, 2).map((r) => r.value)).toEqual([0, 1, 0]); // quiet, alarm, quiet
    expect(readingsOf(sim).every((r) => r.q === Q.OK)).toBe(true);
    expect(eventsOf(sim)).toEqual([{ ch: 2, code: EV_SMOKE, active: 1, value: 1 }, { ch: 2, code: EV_SMOKE, active: 0, value: 0 }]);
  });

  it("fgClear empties what was recorded; recording goes on", () => {
    const sim = run(bootProbe);
    clearRecorded(sim);
    expect(readingsOf(sim)).toEqual([]);
    expect(eventsOf(sim)).toEqual([]);
    sim.advance(60_000);
    expect(cyclesOf(sim).length).toBe(1);
    expect(readingsOf(sim, 1).map((r) => r.value)).toEqual([450, 750, 540]);
  });
});
