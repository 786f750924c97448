import { describe, expect, it } from "vitest";
import { makeBoard, makeProbe, siteWith, bootProbe, lastCycle, valueOf, eventsOf, Q } from "./helpers";
import { A02yyuw, JsnSr04t } from "../scripts/sim/models/ultrasonic";
import { transmitter } from "../scripts/sim/models/analog";
import { QTY_LEVEL_MM, QTY_FILL_PERMILLE, QTY_VOLUME_L } from "../src/readings/quantities";
import { EV_LEVEL_LOW, EV_LEAK, EV_REFILL, EV_SENSOR_FAULT } from "../src/readings/events";
import type { SimBoard } from "../scripts/sim/board";

const uartTrough = { kind: "trough", name: "T", port: 4, sensor: "a02yyuw", depth: 600, length: 2000, width: 600, mount: 800 };
/** The site's only sensor: its readings are on channel 1. */
const CH = 1;

/** A trough's three readings of one cycle: level mm, fill ‰, litres, all of quality q. */
function trough(level: number, fill: number, litres: number, q = Q.OK) {
  return [
    { ch: CH, qty: QTY_LEVEL_MM, value: level, q },
    { ch: CH, qty: QTY_FILL_PERMILLE, value: fill, q },
    { ch: CH, qty: QTY_VOLUME_L, value: litres, q },
  ];
}

/** A failed cycle: the cause in the quality, no value. */
function failed(q: number) {
  return trough(0, 0, 0, q);
}

function withUart(conf: object, distance: number | (() => number)): { sim: SimBoard; model: A02yyuw } {
  let model!: A02yyuw;
  const sim = bootProbe(conf, (s) => (model = new A02yyuw(s, "Serial3", distance)));
  return { sim, model };
}

describe("trough: ultrasonic on a UART (A02YYUW)", () => {
  it("gives level, fill and litres from the trough's shape", () => {
    const { sim } = withUart(uartTrough, 350);
    expect(lastCycle(sim, CH)).toEqual(trough(450, 750, 540));
    expect(sim.errors).toEqual([]);
  });

  it("a round trough", () => {
    const { sim } = withUart({ ...uartTrough, shape: "round", diameter: 1000 }, 400);
    expect(valueOf(sim, CH, QTY_VOLUME_L)).toBe(Math.round((Math.PI * 1000 * 1000 * 400) / 4e6));
  });

  it("the median keeps ripples from drinking cattle out", () => {
    let i = 0;
    const { sim } = withUart(uartTrough, () => (i++ % 3 === 0 ? 150 : 350));
    expect(valueOf(sim, CH, QTY_LEVEL_MM)).toBe(450);
  });

  it("two-point calibration: empty and full readings set the scale", () => {
    const { sim } = withUart({ ...uartTrough, mount: undefined, cal: { empty: 780, full: 180 } }, 480);
    expect(valueOf(sim, CH, QTY_LEVEL_MM)).toBe(300);
    expect(valueOf(sim, CH, QTY_FILL_PERMILLE)).toBe(500);
  });

  it("unplugged: no answer, no value, and a sensor-fault alarm that clears when it is back", () => {
    const { sim, model } = withUart(uartTrough, 350);
    model.unplugged = true;
    sim.advance(60_000);
    expect(lastCycle(sim, CH)).toEqual(failed(Q.NO_ANSWER));
    // The fault event carries the quality that raised it, and the good one that cleared it.
    expect(eventsOf(sim, CH)).toEqual([{ ch: CH, code: EV_SENSOR_FAULT, active: 1, value: Q.NO_ANSWER }]);
    model.unplugged = false;
    sim.advance(60_000);
    expect(valueOf(sim, CH, QTY_LEVEL_MM)).toBe(450);
    expect(eventsOf(sim, CH)).toContainEqual({ ch: CH, code: EV_SENSOR_FAULT, active: 0, value: Q.OK });
  });

  it("garbage between frames is skipped; frames still count", () => {
    const { sim, model } = withUart(uartTrough, 350);
    for (let k = 0; k < 30; k++) model.uart.garbage(5, 60_000 + 2000 + k * 30);
    sim.advance(60_000);
    expect(valueOf(sim, CH, QTY_LEVEL_MM)).toBe(450);
  });

  it("only wrong checksums: checksum error", () => {
    const { sim, model } = withUart(uartTrough, 350);
    model.badChecksum = true;
    sim.advance(60_000);
    expect(lastCycle(sim, CH)).toEqual(failed(Q.CHECKSUM));
  });

  it("a stuck sensor is reported as stuck", () => {
    const { sim, model } = withUart({ ...uartTrough, stuckSamples: 3 }, 350);
    model.stuckAt = 351;
    sim.advance(3 * 60_000);
    expect(lastCycle(sim, CH)).toEqual(failed(Q.STUCK));
  });

  it("inside the blind zone or past full: out of range, with what was measured", () => {
    const { sim } = withUart(uartTrough, 20);
    expect(valueOf(sim, CH, QTY_LEVEL_MM, Q.RANGE)).toBe(800 - 20);
  });
});

describe("trough: trigger/echo ultrasonic (JSN-SR04T)", () => {
  const conf = { kind: "trough", name: "T", port: 2, sensor: "jsn-sr04t", depth: 600, length: 2000, width: 600, mount: 900 };
  it("times the echo into a distance", () => {
    const sim = makeProbe({ site: siteWith(conf) });
    new JsnSr04t(sim, "D26", "D14", 500);
    sim.boot();
    sim.advance(4000);
    expect(lastCycle(sim, CH)).toEqual(trough(400, 667, 480));
  });
  it("no echo: no answer", () => {
    const sim = makeProbe({ site: siteWith(conf) });
    const m = new JsnSr04t(sim, "D26", "D14", 500);
    m.unplugged = true;
    sim.boot();
    sim.advance(4000);
    expect(lastCycle(sim, CH)).toEqual(failed(Q.NO_ANSWER));
  });
});

describe("trough: hydrostatic 4–20 mA transducer", () => {
  const conf = { kind: "trough", name: "T", port: 1, sensor: "4-20ma", depth: 800, length: 2000, width: 500, rangeMm: 1000 };
  function boot(level: number | (() => number), extra: object = {}): SimBoard {
    return bootProbe({ ...conf, ...extra }, (s) => transmitter(s, "D36", 150, level, 0, 1000));
  }
  it("converts loop current to level", () => {
    expect(Math.abs(valueOf(boot(400), CH, QTY_LEVEL_MM) - 400)).toBeLessThanOrEqual(3);
  });
  it("calibration with the loop current in µA at empty and full", () => {
    const sim = boot(400, { cal: { empty: 4000, full: 16800 } }); // full = 800 mm on a 1000 mm transmitter
    expect(Math.abs(valueOf(sim, CH, QTY_FILL_PERMILLE) - 500)).toBeLessThanOrEqual(5);
  });
  it("an open loop (unplugged, below 3.6 mA) is no answer", () => {
    const sim = boot(400);
    sim.fault("D36", { kind: "unplugged" });
    sim.advance(60_000);
    expect(lastCycle(sim, CH)).toEqual(failed(Q.NO_ANSWER));
  });
  it("a shorted loop (above 21 mA) is out of range", () => {
    const sim = makeProbe({ site: siteWith(conf) });
    sim.pins.setVolts("D36", (25 * 150) / 1000 / 1.2); // ADC clips: 3.3 V full scale
    sim.pins.setVolts("D36", 3.29);
    sim.boot();
    sim.advance(4000);
    expect(lastCycle(sim, CH).map((r) => [r.qty, r.q])).toEqual([[QTY_LEVEL_MM, Q.RANGE], [QTY_FILL_PERMILLE, Q.RANGE], [QTY_VOLUME_L, Q.RANGE]]);
    expect(valueOf(sim, CH, QTY_LEVEL_MM, Q.RANGE)).toBeGreaterThan(conf.depth); // what was measured: past full
  });
  it("noise is filtered by the median", () => {
    const sim = boot(400);
    sim.fault("D36", { kind: "noisy", sigma: 0.01 });
    sim.advance(60_000);
    expect(Math.abs(valueOf(sim, CH, QTY_LEVEL_MM) - 400)).toBeLessThanOrEqual(10);
  });
  it("a frozen input is reported as stuck", () => {
    const sim = boot(400, { stuckSamples: 3 });
    sim.fault("D36", { kind: "stuck" });
    sim.advance(3 * 60_000);
    expect(lastCycle(sim, CH)).toEqual(failed(Q.STUCK));
  });
});

describe("trough: alarms", () => {
  it("low level raises once, does not flap around the limit, and clears above the hysteresis band", () => {
    let distance = 800 - 300; // 50 %
    const { sim } = withUart({ ...uartTrough, lowPct: 30, hystPct: 5 }, () => distance);
    const levels = [170, 185, 175, 190, 200, 215, 250]; // mm: 28 %, 31 %, 29 %, 32 %, 33 %, 36 %, 42 %
    for (const l of levels) {
      distance = 800 - l;
      sim.advance(60_000);
    }
    // Each carries the fill (‰) that decided it: 170 mm raises it, 215 mm (past 35 %) clears it.
    expect(eventsOf(sim, CH)).toEqual([
      { ch: CH, code: EV_LEVEL_LOW, active: 1, value: 283 },
      { ch: CH, code: EV_LEVEL_LOW, active: 0, value: 358 },
    ]);
  });

  it("a fall faster than the herd drinks raises a leak alarm; a refill is noticed", () => {
    let distance = 800 - 500;
    const { sim } = withUart({ ...uartTrough, leakMmPerH: 300, refillMm: 50 }, () => distance);
    distance += 20; // 20 mm in a minute: 1200 mm/h
    sim.advance(60_000);
    const raised = { ch: CH, code: EV_LEAK, active: 1, value: 1200 }; // the rate of fall, mm/h
    expect(eventsOf(sim, CH)).toEqual([raised]);
    distance -= 100;
    sim.advance(60_000);
    // 100 mm up in a minute: the rate (-6000 mm/h) clears the leak, and the new level (580 mm) is the refill's.
    expect(eventsOf(sim, CH)).toEqual([raised, { ch: CH, code: EV_LEAK, active: 0, value: -6000 }, { ch: CH, code: EV_REFILL, active: 1, value: 580 }]);
  });

  it("a bad option is refused at boot, naming the field", () => {
    const sim = makeBoard("sim", { site: siteWith({ ...uartTrough, depth: 7 }) });
    sim.boot();
    expect(sim.output()).toContain("Site configuration refused: site.sensors[0].depth: a number from 50 to 5000 is needed");
  });
});
