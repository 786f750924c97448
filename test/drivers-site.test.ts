import { describe, expect, it } from "vitest";
import { bootWith, bootProbe as boot, cyclesOf, lastCycle, valueOf, eventsOf, readingLines, eventLines, Q, type FwEvent } from "./helpers";
import { transmitter, voltageOut } from "../scripts/sim/models/analog";
import { PulseSource } from "../scripts/sim/models/pulses";
import { Ds18b20 } from "../scripts/sim/models/ds18b20";
import { A02yyuw } from "../scripts/sim/models/ultrasonic";
import { QTY_SMOKE, QTY_STAGE_MM, QTY_DEPTH_MM, QTY_TOTAL_L, QTY_FLOW_LPH, QTY_TEMP_DC, QTY_SOIL_PERMILLE } from "../src/readings/quantities";
import { EV_SMOKE, EV_SMOKE_TEST, EV_TAMPER, EV_DETECTOR_FAULT, EV_RISE_RATE, EV_HIGH_WATER, EV_OVER_TEMP, EV_DOOR_OPEN } from "../src/readings/events";
import type { SimBoard } from "../scripts/sim/board";

/** The first sensor's channel; a sensor with several probes goes on from it. */
const CH = 1;

function ok(qty: number, value: number, ch = CH) {
  return { ch, qty, value, q: Q.OK };
}

/** A failed reading: the cause in the quality, no value. */
function failed(qty: number, q: number, ch = CH) {
  return { ch, qty, value: 0, q };
}

function ev(code: number, active: number, value: number, ch = CH): FwEvent {
  return { ch, code, active, value };
}

/** The sensor's events with this code, as [active, value]. */
function eventsCoded(sim: SimBoard, code: number, ch = CH): number[][] {
  return eventsOf(sim, ch).filter((e) => e.code === code).map((e) => [e.active, e.value]);
}

describe("the technician's log line", () => {
  it("names each sensor and says each reading in its unit, a failure by its cause, and alarms in words", () => {
    let model!: A02yyuw;
    const sim = bootWith([{ kind: "trough", name: "T", port: 4, sensor: "a02yyuw", depth: 600, length: 2000, width: 600, mount: 800 }, { kind: "smoke", name: "S", port: 3 }], (s) => {
      model = new A02yyuw(s, "Serial3", 350);
      s.pins.setLevel("D32", 1);
    });
    model.unplugged = true;
    sim.advance(60_000);
    model.unplugged = false;
    sim.advance(60_000);
    expect(readingLines(sim)).toEqual([
      "supply 5.00 V, inside the box 31.0 \u00b0C; T: level 450 mm, full 75.0 %, holds 540 L; S: smoke quiet",
      "supply 5.00 V, inside the box 31.0 \u00b0C; T: level no answer, full no answer, holds no answer; S: smoke quiet",
      "supply 5.00 V, inside the box 31.0 \u00b0C; T: level 450 mm, full 75.0 %, holds 540 L; S: smoke quiet",
    ]);
    expect(eventLines(sim, "T")).toEqual(["WARN ALARM T: sensor fault", "INFO Cleared: T: sensor fault"]);
  });

  it("rounds its figures to their last digit, as toFixed on the interpreter does not (4998 mV is 5.00 V)", () => {
    // The sim board's supply: 12 bits of 3.3 V through a 1:2 divider. Code 3101 reads 4998 mV, 1700 reads 2740 mV.
    for (const [code, mv, text] of [[3101, 4998, "5.00"], [1700, 2740, "2.74"], [3089, 4979, "4.98"]] as const) {
      const sim = bootWith([], (s) => s.pins.setVolts("D35", (code / 4095) * 3.3));
      expect(Math.round((code / 4095) * 3.3 * 2 * 1000)).toBe(mv);
      expect(readingLines(sim)[0]).toMatch(new RegExp(`^supply ${text.replace(".", "\\.")} V,`));
    }
  });
});

describe("smoke detector", () => {
  const conf = { kind: "smoke", name: "S", port: 3, auxPort: 2 };
  const healthy = (s: SimBoard) => s.pins.setLevel("D32", 1); // fault line closed: powered and well
  /** QTY_SMOKE's values (src/readings/quantities.ts). */
  const QUIET = 0;
  const ALARM = 1;
  const FAULT = 2;

  it("a quiet detector reports its state every cycle: the heartbeat", () => {
    const sim = boot(conf, healthy);
    sim.advance(3 * 60_000);
    expect(cyclesOf(sim, CH)).toEqual([[ok(QTY_SMOKE, QUIET)], [ok(QTY_SMOKE, QUIET)], [ok(QTY_SMOKE, QUIET)], [ok(QTY_SMOKE, QUIET)]]);
  });

  it("an alarm is raised at once, not at the next cycle, and cleared after", () => {
    const sim = boot(conf, healthy);
    sim.advance(10_000);
    sim.pins.setLevel("D27", 1);
    sim.advance(60); // within 60 ms
    expect(eventsOf(sim, CH)).toEqual([ev(EV_SMOKE, 1, 1)]);
    sim.advance(60_000);
    expect(lastCycle(sim, CH)).toEqual([ok(QTY_SMOKE, ALARM)]);
    sim.pins.setLevel("D27", 0);
    sim.advance(100);
    expect(eventsOf(sim, CH)).toEqual([ev(EV_SMOKE, 1, 1), ev(EV_SMOKE, 0, 0)]);
  });

  it("a contact bounce shorter than the debounce raises nothing", () => {
    const sim = boot(conf, healthy);
    sim.pins.setLevel("D27", 1);
    sim.advance(10);
    sim.pins.setLevel("D27", 0);
    sim.advance(1000);
    expect(eventsOf(sim, CH)).toEqual([]);
  });

  it("an alarm right after the test button is the test, not a fire", () => {
    const sim = boot(conf, healthy);
    sim.pins.setLevel("D14", 1);
    sim.advance(200);
    sim.pins.setLevel("D14", 0);
    sim.pins.setLevel("D27", 1);
    sim.advance(5000);
    sim.pins.setLevel("D27", 0);
    sim.advance(120_000);
    expect(eventsOf(sim, CH)).toEqual([ev(EV_SMOKE_TEST, 1, 0), ev(EV_SMOKE_TEST, 0, 0)]);
  });

  it("fault line open (unpowered or battery low), and tamper", () => {
    const sim = boot(conf, healthy);
    sim.pins.setLevel("D32", 0);
    sim.pins.setLevel("D26", 1);
    sim.advance(60_000);
    expect(eventsOf(sim, CH)).toEqual(expect.arrayContaining([ev(EV_DETECTOR_FAULT, 1, 0), ev(EV_TAMPER, 1, 1)]));
    expect(lastCycle(sim, CH)).toEqual([ok(QTY_SMOKE, FAULT)]);
  });

  it("an alarm already present at boot is reported", () => {
    const sim = boot(conf, (s) => {
      healthy(s);
      s.pins.setLevel("D27", 1);
    });
    expect(eventsOf(sim, CH)).toEqual([ev(EV_SMOKE, 1, 1)]);
  });
});

describe("river and groundwater level", () => {
  const river = { kind: "level", name: "R", port: 1, sensor: "4-20ma", rangeMm: 5000, datumMm: 1000, riseMmPerH: 200, riseWindowS: 1800, highMm: 4000, hystMm: 100 };
  it("stage against the gauge datum", () => {
    const sim = boot(river, (s) => transmitter(s, "D36", 150, 1500, 0, 5000));
    expect(Math.abs(valueOf(sim, CH, QTY_STAGE_MM) - 2500)).toBeLessThanOrEqual(5);
  });

  it("rate of rise raises the early warning; steady water clears it", () => {
    let level = 1000;
    const sim = boot(river, (s) => transmitter(s, "D36", 150, () => level, 0, 5000));
    for (let i = 0; i < 30; i++) {
      level += 10; // 10 mm a minute: 600 mm/h
      sim.advance(60_000);
    }
    const raised = eventsOf(sim, CH);
    expect(raised.map((e) => [e.code, e.active])).toEqual([[EV_RISE_RATE, 1]]);
    expect(raised[0].value).toBeGreaterThan(river.riseMmPerH); // the rate that raised it, mm/h
    expect(raised[0].value).toBeLessThanOrEqual(600 + 10);
    sim.advance(45 * 60_000);
    const cleared = eventsCoded(sim, EV_RISE_RATE).slice(1);
    expect(cleared.map((e) => e[0])).toEqual([0]);
    expect(cleared[0][1]).toBeLessThanOrEqual(river.riseMmPerH * 0.75); // below the band: 150 mm/h
  });

  it("high water with hysteresis", () => {
    let level = 2900; // stage 3.9 m
    const sim = boot({ ...river, riseMmPerH: 0 }, (s) => transmitter(s, "D36", 150, () => level, 0, 5000));
    level = 3100;
    sim.advance(60_000);
    level = 2950; // 3.95 m: inside the band
    sim.advance(60_000);
    level = 2850;
    sim.advance(60_000);
    const e = eventsOf(sim, CH);
    expect(e.map((x) => [x.code, x.active])).toEqual([[EV_HIGH_WATER, 1], [EV_HIGH_WATER, 0]]);
    // Each carries the stage that decided it, mm.
    expect(Math.abs(e[0].value - 4100)).toBeLessThanOrEqual(5);
    expect(Math.abs(e[1].value - 3850)).toBeLessThanOrEqual(5);
  });

  it("groundwater: depth from the ground to the water", () => {
    const well = { kind: "level", name: "W", port: 1, sensor: "4-20ma", rangeMm: 10000, mode: "depth", datumMm: 25000 };
    const sim = boot(well, (s) => transmitter(s, "D36", 150, 4000, 0, 10000));
    expect(Math.abs(valueOf(sim, CH, QTY_DEPTH_MM) - 21000)).toBeLessThanOrEqual(10);
  });

  it("unplugged: no answer", () => {
    const sim = boot(river, (s) => transmitter(s, "D36", 150, 1500, 0, 5000));
    sim.fault("D36", { kind: "unplugged" });
    sim.advance(60_000);
    expect(lastCycle(sim, CH)).toEqual([failed(QTY_STAGE_MM, Q.NO_ANSWER)]);
  });
});

describe("water meter", () => {
  const conf = { kind: "meter", name: "M", port: 3, litresPerPulse: 10 };
  it("total and flow from pulses", () => {
    const sim = boot(conf, (s) => new PulseSource(s, "D27", 0.05)); // 180 pulses an hour: 1800 L/h
    sim.advance(60 * 60_000);
    const m = lastCycle(sim, CH);
    expect(m.map((r) => [r.qty, r.q])).toEqual([[QTY_TOTAL_L, Q.OK], [QTY_FLOW_LPH, Q.OK]]);
    expect(Math.abs(m[0].value - 1800)).toBeLessThanOrEqual(10);
    expect(Math.abs(m[1].value - 1800)).toBeLessThanOrEqual(600);
  });

  it("the total survives a reboot and a power cut, losing at most one interval", () => {
    let src!: PulseSource;
    const sim = boot(conf, (s) => (src = new PulseSource(s, "D27", 0.05)));
    sim.advance(30 * 60_000 + 30_000);
    sim.powerOff();
    sim.advance(60_000);
    sim.boot();
    sim.advance(4000);
    const afterCut = valueOf(sim, CH, QTY_TOTAL_L);
    const sentBefore = Math.round(((30 * 60 + 34) * 0.05) * 10);
    expect(afterCut).toBeGreaterThanOrEqual(sentBefore - 60 * 0.05 * 10 - 10);
    sim.boot("software");
    sim.advance(4000);
    expect(valueOf(sim, CH, QTY_TOTAL_L)).toBeGreaterThanOrEqual(afterCut);
    expect(src.sent).toBeGreaterThan(0);
  });

  it("a bouncing reed contact counts once", () => {
    const sim = boot(conf, (s) => s.pins.setLevel("D27", 1));
    for (let i = 0; i < 9; i++) {
      sim.pins.setLevel("D27", (i + 1) % 2); // bounces, ends closed (low)
      sim.advance(2);
    }
    sim.advance(50);
    sim.pins.setLevel("D27", 1);
    sim.advance(60_000);
    expect(valueOf(sim, CH, QTY_TOTAL_L)).toBe(10);
  });
});

describe("DS18B20 temperature", () => {
  const conf = { kind: "temp", name: "K", port: 5, count: 2, maxC: 8, hystC: 1, doorPort: 2, doorOpenS: 120 };
  function coldRoom(a = 4.0, b = 5.5): { sim: SimBoard; probes: Ds18b20[] } {
    const probes = [new Ds18b20(1, a), new Ds18b20(2, b)];
    const sim = boot(conf, (s) => {
      s.oneWire("D13").devices.push(...probes);
      s.pins.setLevel("D26", 1); // door shut
    });
    return { sim, probes };
  }
  /** The two probes' readings of the newest cycle, in 0.1 °C. */
  const both = (sim: SimBoard) => [...lastCycle(sim, CH), ...lastCycle(sim, CH + 1)];

  it("each probe is its own channel, in ROM order", () => {
    const { sim } = coldRoom();
    expect(both(sim)).toEqual([ok(QTY_TEMP_DC, 40, CH), ok(QTY_TEMP_DC, 55, CH + 1)]);
  });

  it("negative temperatures", () => {
    const { sim } = coldRoom(-18.25, -0.5);
    expect(both(sim)).toEqual([ok(QTY_TEMP_DC, -183, CH), ok(QTY_TEMP_DC, -5, CH + 1)]);
  });

  it("too warm, with hysteresis", () => {
    const { sim, probes } = coldRoom();
    probes[0].celsius = 8.5;
    sim.advance(60_000);
    probes[0].celsius = 7.5; // inside the band
    sim.advance(60_000);
    probes[0].celsius = 6.5;
    sim.advance(60_000);
    // Each carries the temperature that decided it, 0.1 °C.
    expect(eventsOf(sim, CH)).toEqual([ev(EV_OVER_TEMP, 1, 85), ev(EV_OVER_TEMP, 0, 65)]);
  });

  it("CRC error, unplugged probe, and the power-on 85 °C are not temperatures", () => {
    const { sim, probes } = coldRoom();
    probes[0].badCrc = true;
    probes[1].unplugged = true;
    sim.advance(60_000);
    expect(both(sim)).toEqual([failed(QTY_TEMP_DC, Q.CHECKSUM, CH), failed(QTY_TEMP_DC, Q.NO_ANSWER, CH + 1)]);
    probes[0].badCrc = false;
    probes[0].powerOnValue = true;
    sim.advance(60_000);
    expect(lastCycle(sim, CH)).toEqual([failed(QTY_TEMP_DC, Q.NO_ANSWER, CH)]);
  });

  it("the door left open raises an alarm after doorOpenS", () => {
    const { sim } = coldRoom();
    sim.pins.setLevel("D26", 0);
    sim.advance(119_000);
    expect(eventsOf(sim, CH)).toEqual([]);
    sim.advance(2000);
    expect(eventsOf(sim, CH)).toEqual([ev(EV_DOOR_OPEN, 1, conf.doorOpenS)]); // how long it has been open, s
    sim.pins.setLevel("D26", 1);
    sim.advance(1000);
    expect(eventsOf(sim, CH)).toEqual([ev(EV_DOOR_OPEN, 1, conf.doorOpenS), ev(EV_DOOR_OPEN, 0, 0)]);
  });

  it("probes named by ROM code", () => {
    const p = [new Ds18b20(1, 3), new Ds18b20(2, 9)];
    const roms = p.map((x) => Buffer.from(x.rom).toString("hex"));
    const sim = boot({ kind: "temp", name: "K", port: 5, probes: [roms[1], roms[0]] }, (s) => s.oneWire("D13").devices.push(...p));
    expect(both(sim)).toEqual([ok(QTY_TEMP_DC, 90, CH), ok(QTY_TEMP_DC, 30, CH + 1)]);
  });
});

describe("soil moisture", () => {
  const conf = { kind: "soil", name: "B", port: 3 };
  it("between the dry and wet calibration points", () => {
    const sim = boot(conf, (s) => voltageOut(s, "D34", 2.0));
    expect(Math.abs(valueOf(sim, CH, QTY_SOIL_PERMILLE) - 500)).toBeLessThanOrEqual(3);
  });
  it("own calibration", () => {
    const sim = boot({ ...conf, dry: 3.0, wet: 1.0 }, (s) => voltageOut(s, "D34", 1.5));
    expect(Math.abs(valueOf(sim, CH, QTY_SOIL_PERMILLE) - 750)).toBeLessThanOrEqual(3);
  });
  it("out of the soil (drier than dry): out of range; unplugged: no answer; frozen: stuck", () => {
    let v = 3.2;
    const sim = boot({ ...conf, stuckSamples: 3 }, (s) => voltageOut(s, "D34", () => v));
    expect(valueOf(sim, CH, QTY_SOIL_PERMILLE, Q.RANGE)).toBeLessThan(0); // what was measured: below dry
    v = 2.0;
    sim.fault("D34", { kind: "unplugged" });
    sim.advance(60_000);
    expect(lastCycle(sim, CH)).toEqual([failed(QTY_SOIL_PERMILLE, Q.NO_ANSWER)]);
    sim.fault("D34", { kind: "stuck" });
    sim.advance(3 * 60_000);
    expect(lastCycle(sim, CH)).toEqual([failed(QTY_SOIL_PERMILLE, Q.STUCK)]);
  });
});
