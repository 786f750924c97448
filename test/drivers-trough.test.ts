import { describe, expect, it } from "vitest";
import { makeBoard, siteWith, lastOf, eventLines, valueIn, bootWith } from "./helpers";
import { A02yyuw, JsnSr04t } from "../scripts/sim/models/ultrasonic";
import { transmitter } from "../scripts/sim/models/analog";
import type { SimBoard } from "../scripts/sim/board";

const uartTrough = { kind: "trough", name: "T", port: 4, sensor: "a02yyuw", depth: 600, length: 2000, width: 600, mount: 800 };

function withUart(conf: object, distance: number | (() => number)): { sim: SimBoard; model: A02yyuw } {
  let model!: A02yyuw;
  const sim = bootWith(conf, (s) => (model = new A02yyuw(s, "Serial3", distance)));
  return { sim, model };
}

describe("trough: ultrasonic on a UART (A02YYUW)", () => {
  it("gives level, fill and litres from the trough's shape", () => {
    const { sim } = withUart(uartTrough, 350);
    expect(lastOf(sim, "T")).toBe("level 450 mm, full 75.0 %, holds 540 L");
    expect(sim.errors).toEqual([]);
  });

  it("a round trough", () => {
    const { sim } = withUart({ ...uartTrough, shape: "round", diameter: 1000 }, 400);
    expect(valueIn(lastOf(sim, "T"), "holds")).toBe(Math.round((Math.PI * 1000 * 1000 * 400) / 4e6));
  });

  it("the median keeps ripples from drinking cattle out", () => {
    let i = 0;
    const { sim } = withUart(uartTrough, () => (i++ % 3 === 0 ? 150 : 350));
    expect(lastOf(sim, "T")).toContain("level 450 mm");
  });

  it("two-point calibration: empty and full readings set the scale", () => {
    const { sim } = withUart({ ...uartTrough, mount: undefined, cal: { empty: 780, full: 180 } }, 480);
    expect(lastOf(sim, "T")).toContain("level 300 mm, full 50.0 %");
  });

  it("unplugged: no answer, no value, and a sensor-fault alarm that clears when it is back", () => {
    const { sim, model } = withUart(uartTrough, 350);
    model.unplugged = true;
    sim.advance(60_000);
    expect(lastOf(sim, "T")).toBe("level no answer, full no answer, holds no answer");
    expect(eventLines(sim, "T")).toContain("WARN ALARM T: sensor fault");
    model.unplugged = false;
    sim.advance(60_000);
    expect(lastOf(sim, "T")).toContain("level 450 mm");
    expect(eventLines(sim, "T")).toContain("INFO Cleared: T: sensor fault");
  });

  it("garbage between frames is skipped; frames still count", () => {
    const { sim, model } = withUart(uartTrough, 350);
    for (let k = 0; k < 30; k++) model.uart.garbage(5, 60_000 + 2000 + k * 30);
    sim.advance(60_000);
    expect(lastOf(sim, "T")).toContain("level 450 mm");
  });

  it("only wrong checksums: checksum error", () => {
    const { sim, model } = withUart(uartTrough, 350);
    model.badChecksum = true;
    sim.advance(60_000);
    expect(lastOf(sim, "T")).toBe("level checksum error, full checksum error, holds checksum error");
  });

  it("a stuck sensor is reported as stuck", () => {
    const { sim, model } = withUart({ ...uartTrough, stuckSamples: 3 }, 350);
    model.stuckAt = 351;
    sim.advance(3 * 60_000);
    expect(lastOf(sim, "T")).toContain("level stuck");
  });

  it("inside the blind zone or past full: out of range, with what was measured", () => {
    const { sim } = withUart(uartTrough, 20);
    expect(lastOf(sim, "T")).toContain("level out of range");
  });
});

describe("trough: trigger/echo ultrasonic (JSN-SR04T)", () => {
  const conf = { kind: "trough", name: "T", port: 2, sensor: "jsn-sr04t", depth: 600, length: 2000, width: 600, mount: 900 };
  it("times the echo into a distance", () => {
    const sim = makeBoard("sim", { site: siteWith(conf) });
    new JsnSr04t(sim, "D26", "D14", 500);
    sim.boot();
    sim.advance(4000);
    expect(lastOf(sim, "T")).toBe("level 400 mm, full 66.7 %, holds 480 L");
  });
  it("no echo: no answer", () => {
    const sim = makeBoard("sim", { site: siteWith(conf) });
    const m = new JsnSr04t(sim, "D26", "D14", 500);
    m.unplugged = true;
    sim.boot();
    sim.advance(4000);
    expect(lastOf(sim, "T")).toContain("level no answer");
  });
});

describe("trough: hydrostatic 4–20 mA transducer", () => {
  const conf = { kind: "trough", name: "T", port: 1, sensor: "4-20ma", depth: 800, length: 2000, width: 500, rangeMm: 1000 };
  function boot(level: number | (() => number), extra: object = {}): SimBoard {
    return bootWith({ ...conf, ...extra }, (s) => transmitter(s, "D36", 150, level, 0, 1000));
  }
  it("converts loop current to level", () => {
    const v = valueIn(lastOf(boot(400), "T"), "level");
    expect(Math.abs(v - 400)).toBeLessThanOrEqual(3);
  });
  it("calibration with the loop current in µA at empty and full", () => {
    const sim = boot(400, { cal: { empty: 4000, full: 16800 } }); // full = 800 mm on a 1000 mm transmitter
    expect(Math.abs(valueIn(lastOf(sim, "T"), "full") - 50)).toBeLessThanOrEqual(0.5);
  });
  it("an open loop (unplugged, below 3.6 mA) is no answer", () => {
    const sim = boot(400);
    sim.fault("D36", { kind: "unplugged" });
    sim.advance(60_000);
    expect(lastOf(sim, "T")).toContain("level no answer");
  });
  it("a shorted loop (above 21 mA) is out of range", () => {
    const sim = makeBoard("sim", { site: siteWith(conf) });
    sim.pins.setVolts("D36", (25 * 150) / 1000 / 1.2); // ADC clips: 3.3 V full scale
    sim.pins.setVolts("D36", 3.29);
    sim.boot();
    sim.advance(4000);
    expect(lastOf(sim, "T")).toContain("level out of range");
  });
  it("noise is filtered by the median", () => {
    const sim = boot(400);
    sim.fault("D36", { kind: "noisy", sigma: 0.01 });
    sim.advance(60_000);
    expect(Math.abs(valueIn(lastOf(sim, "T"), "level") - 400)).toBeLessThanOrEqual(10);
  });
  it("a frozen input is reported as stuck", () => {
    const sim = boot(400, { stuckSamples: 3 });
    sim.fault("D36", { kind: "stuck" });
    sim.advance(3 * 60_000);
    expect(lastOf(sim, "T")).toContain("level stuck");
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
    expect(eventLines(sim, "T")).toEqual(["WARN ALARM T: water level low", "INFO Cleared: T: water level low"]);
  });

  it("a fall faster than the herd drinks raises a leak alarm; a refill is noticed", () => {
    let distance = 800 - 500;
    const { sim } = withUart({ ...uartTrough, leakMmPerH: 300, refillMm: 50 }, () => distance);
    distance += 20; // 20 mm in a minute: 1200 mm/h
    sim.advance(60_000);
    expect(eventLines(sim, "T")).toContain("WARN ALARM T: leak or broken float valve");
    distance -= 100;
    sim.advance(60_000);
    expect(eventLines(sim, "T")).toContain("INFO T: refilled");
    expect(eventLines(sim, "T")).toContain("INFO Cleared: T: leak or broken float valve");
  });

  it("a bad option is refused at boot, naming the field", () => {
    const sim = makeBoard("sim", { site: siteWith({ ...uartTrough, depth: 7 }) });
    sim.boot();
    expect(sim.output()).toContain("Site configuration refused: site.sensors[0].depth: a number from 50 to 5000 is needed");
  });
});
