import { describe, expect, it } from "vitest";
import { bootWith as boot, lastOf, eventLines, valueIn, readingLines } from "./helpers";
import { transmitter, voltageOut } from "../scripts/sim/models/analog";
import { PulseSource } from "../scripts/sim/models/pulses";
import { Ds18b20 } from "../scripts/sim/models/ds18b20";
import type { SimBoard } from "../scripts/sim/board";

describe("smoke detector", () => {
  const conf = { kind: "smoke", name: "S", port: 3, auxPort: 2 };
  const healthy = (s: SimBoard) => s.pins.setLevel("D12", 1); // fault line closed: powered and well

  it("a quiet detector reports its state every cycle: the heartbeat", () => {
    const sim = boot(conf, healthy);
    sim.advance(3 * 60_000);
    expect(readingLines(sim).map((l) => l.split("; ")[1])).toEqual(["S: smoke quiet", "S: smoke quiet", "S: smoke quiet", "S: smoke quiet"]);
  });

  it("an alarm is raised at once, not at the next cycle, and cleared after", () => {
    const sim = boot(conf, healthy);
    sim.advance(10_000);
    const t0 = sim.clock.mono;
    sim.pins.setLevel("D27", 1);
    sim.advance(100);
    const alarm = sim.console.find((l) => l.text === "WARN ALARM S: SMOKE ALARM");
    expect(alarm && alarm.t - t0).toBeLessThanOrEqual(60);
    sim.advance(60_000);
    expect(lastOf(sim, "S")).toBe("smoke ALARM");
    sim.pins.setLevel("D27", 0);
    sim.advance(100);
    expect(eventLines(sim, "S")).toEqual(["WARN ALARM S: SMOKE ALARM", "INFO Cleared: S: SMOKE ALARM"]);
  });

  it("a contact bounce shorter than the debounce raises nothing", () => {
    const sim = boot(conf, healthy);
    sim.pins.setLevel("D27", 1);
    sim.advance(10);
    sim.pins.setLevel("D27", 0);
    sim.advance(1000);
    expect(eventLines(sim, "S")).toEqual([]);
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
    expect(eventLines(sim, "S")).toEqual(["WARN ALARM S: smoke detector test", "INFO Cleared: S: smoke detector test"]);
  });

  it("fault line open (unpowered or battery low), and tamper", () => {
    const sim = boot(conf, healthy);
    sim.pins.setLevel("D12", 0);
    sim.pins.setLevel("D26", 1);
    sim.advance(60_000);
    expect(eventLines(sim, "S")).toEqual(expect.arrayContaining(["WARN ALARM S: detector fault or battery low", "WARN ALARM S: detector tampered with"]));
    expect(lastOf(sim, "S")).toBe("smoke fault");
  });

  it("an alarm already present at boot is reported", () => {
    const sim = boot(conf, (s) => {
      healthy(s);
      s.pins.setLevel("D27", 1);
    });
    expect(eventLines(sim, "S")).toEqual(["WARN ALARM S: SMOKE ALARM"]);
  });
});

describe("river and groundwater level", () => {
  const river = { kind: "level", name: "R", port: 1, sensor: "4-20ma", rangeMm: 5000, datumMm: 1000, riseMmPerH: 200, riseWindowS: 1800, highMm: 4000, hystMm: 100 };
  it("stage against the gauge datum", () => {
    const sim = boot(river, (s) => transmitter(s, "D36", 150, 1500, 0, 5000));
    expect(Math.abs(valueIn(lastOf(sim, "R"), "water level") - 2.5)).toBeLessThanOrEqual(0.005);
  });

  it("rate of rise raises the early warning; steady water clears it", () => {
    let level = 1000;
    const sim = boot(river, (s) => transmitter(s, "D36", 150, () => level, 0, 5000));
    for (let i = 0; i < 30; i++) {
      level += 10; // 10 mm a minute: 600 mm/h
      sim.advance(60_000);
    }
    expect(eventLines(sim, "R")).toEqual(["WARN ALARM R: water rising fast"]);
    sim.advance(45 * 60_000);
    expect(eventLines(sim, "R")).toContain("INFO Cleared: R: water rising fast");
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
    expect(eventLines(sim, "R")).toEqual(["WARN ALARM R: high water", "INFO Cleared: R: high water"]);
  });

  it("groundwater: depth from the ground to the water", () => {
    const well = { kind: "level", name: "W", port: 1, sensor: "4-20ma", rangeMm: 10000, mode: "depth", datumMm: 25000 };
    const sim = boot(well, (s) => transmitter(s, "D36", 150, 4000, 0, 10000));
    expect(Math.abs(valueIn(lastOf(sim, "W"), "depth to water") - 21)).toBeLessThanOrEqual(0.01);
  });

  it("unplugged: no answer", () => {
    const sim = boot(river, (s) => transmitter(s, "D36", 150, 1500, 0, 5000));
    sim.fault("D36", { kind: "unplugged" });
    sim.advance(60_000);
    expect(lastOf(sim, "R")).toBe("water level no answer");
  });
});

describe("water meter", () => {
  const conf = { kind: "meter", name: "M", port: 3, litresPerPulse: 10 };
  it("total and flow from pulses", () => {
    const sim = boot(conf, (s) => new PulseSource(s, "D27", 0.05)); // 180 pulses an hour: 1800 L/h
    sim.advance(60 * 60_000);
    const m = lastOf(sim, "M");
    expect(Math.abs(valueIn(m, "total") - 1800)).toBeLessThanOrEqual(10);
    expect(Math.abs(valueIn(m, "flow") - 1800)).toBeLessThanOrEqual(600);
  });

  it("the total survives a reboot and a power cut, losing at most one interval", () => {
    let src!: PulseSource;
    const sim = boot(conf, (s) => (src = new PulseSource(s, "D27", 0.05)));
    sim.advance(30 * 60_000 + 30_000);
    sim.powerOff();
    sim.advance(60_000);
    sim.boot();
    sim.advance(4000);
    const afterCut = valueIn(lastOf(sim, "M"), "total");
    const sentBefore = Math.round(((30 * 60 + 34) * 0.05) * 10);
    expect(afterCut).toBeGreaterThanOrEqual(sentBefore - 60 * 0.05 * 10 - 10);
    sim.boot("software");
    sim.advance(4000);
    expect(valueIn(lastOf(sim, "M"), "total")).toBeGreaterThanOrEqual(afterCut);
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
    expect(valueIn(lastOf(sim, "M"), "total")).toBe(10);
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

  it("each probe is its own channel, in ROM order", () => {
    const { sim } = coldRoom();
    expect(lastOf(sim, "K 1")).toBe("temperature 4.0 \u00b0C");
    expect(lastOf(sim, "K 2")).toBe("temperature 5.5 \u00b0C");
  });

  it("negative temperatures", () => {
    const { sim } = coldRoom(-18.25, -0.5);
    expect(lastOf(sim, "K 1")).toBe("temperature -18.3 \u00b0C");
    expect(lastOf(sim, "K 2")).toBe("temperature -0.5 \u00b0C");
  });

  it("too warm, with hysteresis", () => {
    const { sim, probes } = coldRoom();
    probes[0].celsius = 8.5;
    sim.advance(60_000);
    probes[0].celsius = 7.5; // inside the band
    sim.advance(60_000);
    probes[0].celsius = 6.5;
    sim.advance(60_000);
    expect(eventLines(sim, "K 1")).toEqual(["WARN ALARM K 1: too warm", "INFO Cleared: K 1: too warm"]);
  });

  it("CRC error, unplugged probe, and the power-on 85 °C are not temperatures", () => {
    const { sim, probes } = coldRoom();
    probes[0].badCrc = true;
    probes[1].unplugged = true;
    sim.advance(60_000);
    expect(lastOf(sim, "K 1")).toBe("temperature checksum error");
    expect(lastOf(sim, "K 2")).toBe("temperature no answer");
    probes[0].badCrc = false;
    probes[0].powerOnValue = true;
    sim.advance(60_000);
    expect(lastOf(sim, "K 1")).toBe("temperature no answer");
  });

  it("the door left open raises an alarm after doorOpenS", () => {
    const { sim } = coldRoom();
    sim.pins.setLevel("D26", 0);
    sim.advance(119_000);
    expect(eventLines(sim, "K 1")).toEqual([]);
    sim.advance(2000);
    expect(eventLines(sim, "K 1")).toEqual(["WARN ALARM K 1: door open"]);
    sim.pins.setLevel("D26", 1);
    sim.advance(1000);
    expect(eventLines(sim, "K 1")).toContain("INFO Cleared: K 1: door open");
  });

  it("probes named by ROM code", () => {
    const p = [new Ds18b20(1, 3), new Ds18b20(2, 9)];
    const roms = p.map((x) => Buffer.from(x.rom).toString("hex"));
    const sim = boot({ kind: "temp", name: "K", port: 5, probes: [roms[1], roms[0]] }, (s) => s.oneWire("D13").devices.push(...p));
    expect(lastOf(sim, "K 1")).toBe("temperature 9.0 \u00b0C");
    expect(lastOf(sim, "K 2")).toBe("temperature 3.0 \u00b0C");
  });
});

describe("soil moisture", () => {
  const conf = { kind: "soil", name: "B", port: 3 };
  it("between the dry and wet calibration points", () => {
    const sim = boot(conf, (s) => voltageOut(s, "D34", 2.0));
    expect(Math.abs(valueIn(lastOf(sim, "B"), "soil moisture") - 50)).toBeLessThanOrEqual(0.3);
  });
  it("own calibration", () => {
    const sim = boot({ ...conf, dry: 3.0, wet: 1.0 }, (s) => voltageOut(s, "D34", 1.5));
    expect(Math.abs(valueIn(lastOf(sim, "B"), "soil moisture") - 75)).toBeLessThanOrEqual(0.3);
  });
  it("out of the soil (drier than dry): out of range; unplugged: no answer; frozen: stuck", () => {
    let v = 3.2;
    const sim = boot({ ...conf, stuckSamples: 3 }, (s) => voltageOut(s, "D34", () => v));
    expect(lastOf(sim, "B")).toContain("soil moisture out of range");
    v = 2.0;
    sim.fault("D34", { kind: "unplugged" });
    sim.advance(60_000);
    expect(lastOf(sim, "B")).toBe("soil moisture no answer");
    sim.fault("D34", { kind: "stuck" });
    sim.advance(3 * 60_000);
    expect(lastOf(sim, "B")).toBe("soil moisture stuck");
  });
});
