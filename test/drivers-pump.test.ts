import { describe, expect, it } from "vitest";
import { makeBoard, siteWith, lastOf, eventLines, valueIn, bootWith as pumpSite } from "./helpers";
import { transmitter, voltageOut } from "../scripts/sim/models/analog";
import { PulseSource } from "../scripts/sim/models/pulses";
import { ModbusSlave, withCrc, crc16 } from "../scripts/sim/models/modbus";
import type { SimBoard } from "../scripts/sim/board";

const station = { kind: "pump", name: "P", port: 2, run: "contact", demand: true, pressurePort: 1, pressureMaxMbar: 10000, flowPort: 3, litresPerPulse: 10, minPressureMbar: 1000, dryRunS: 30, failStartS: 60, maxStartsPerHour: 4 };

describe("pump station: contact, pressure, flow", () => {
  it("reports running, pressure, flow, total, run time and starts", () => {
    let mbar = 4000;
    const sim = pumpSite(station, (s) => {
      s.pins.setLevel("D26", 1);
      transmitter(s, "D36", 150, () => mbar, 0, 10000);
      new PulseSource(s, "D27", 0.1); // 10 L a pulse: 3600 L/h
    });
    sim.advance(10 * 60_000);
    const p = lastOf(sim, "P");
    expect(p).toMatch(/^running, run time 10 min, starts 1, flow 3600 L\/h, total \d+ L, pressure 4\.0\d bar$/);
    expect(Math.abs(valueIn(p, "total") - 600)).toBeLessThanOrEqual(10);
    expect(sim.errors).toEqual([]);
  });

  it("dry run: running with no pressure for longer than dryRunS, cleared when it stops", () => {
    const sim = pumpSite(station, (s) => {
      transmitter(s, "D36", 150, 200, 0, 10000);
    });
    sim.pins.setLevel("D26", 1);
    sim.advance(40_000);
    expect(eventLines(sim, "P")).toContain("WARN ALARM P: pump running dry");
    sim.pins.setLevel("D26", 0);
    sim.advance(1000);
    expect(eventLines(sim, "P")).toContain("INFO Cleared: P: pump running dry");
  });

  it("fails to start: called for and not running after failStartS", () => {
    const sim = pumpSite(station, (s) => transmitter(s, "D36", 150, 3000, 0, 10000));
    sim.pins.setLevel("D14", 1);
    sim.advance(59_000);
    expect(eventLines(sim, "P")).toEqual([]);
    sim.advance(2000);
    expect(eventLines(sim, "P")).toEqual(["WARN ALARM P: pump did not start"]);
    sim.pins.setLevel("D26", 1);
    sim.advance(1000);
    expect(eventLines(sim, "P")).toContain("INFO Cleared: P: pump did not start");
  });

  it("too many starts in an hour", () => {
    const sim = pumpSite(station, (s) => transmitter(s, "D36", 150, 3000, 0, 10000));
    for (let i = 0; i < 5; i++) {
      sim.pins.setLevel("D26", 1);
      sim.advance(60_000);
      sim.pins.setLevel("D26", 0);
      sim.advance(60_000);
    }
    expect(eventLines(sim, "P")).toContain("WARN ALARM P: pump starting too often");
    sim.advance(2 * 3600_000);
    expect(eventLines(sim, "P")).toContain("INFO Cleared: P: pump starting too often");
  });

  it("pressure loss with hysteresis", () => {
    let mbar = 3000;
    const sim = pumpSite({ ...station, lossMbar: 1500 }, (s) => transmitter(s, "D36", 150, () => mbar, 0, 10000));
    mbar = 1000;
    sim.advance(60_000);
    expect(eventLines(sim, "P")).toEqual(["WARN ALARM P: pressure lost"]);
    mbar = 1600; // inside the band: still lost
    sim.advance(60_000);
    expect(eventLines(sim, "P").length).toBe(1);
    mbar = 2500;
    sim.advance(60_000);
    expect(eventLines(sim, "P")).toContain("INFO Cleared: P: pressure lost");
  });

  it("run state from a current clamp", () => {
    const conf = { kind: "pump", name: "P", port: 3, run: "current", currentA: 2, ampsPerVolt: 30 };
    let volts = 0.2; // 6 A
    const sim = pumpSite(conf, (s) => voltageOut(s, "D34", () => volts));
    expect(lastOf(sim, "P")).toMatch(/^running/);
    volts = 0.01;
    sim.advance(60_000);
    expect(lastOf(sim, "P")).toMatch(/^stopped, run time 0 min, starts 1/);
  });

  it("an unplugged pressure transmitter: no answer and a sensor fault", () => {
    const sim = pumpSite(station, (s) => transmitter(s, "D36", 150, 3000, 0, 10000));
    sim.fault("D36", { kind: "unplugged" });
    sim.advance(60_000);
    expect(lastOf(sim, "P")).toContain("pressure no answer");
    expect(eventLines(sim, "P")).toContain("WARN ALARM P: sensor fault");
  });

  it("a bad option is refused, naming the field", () => {
    const sim = makeBoard("sim", { site: siteWith({ ...station, flowPort: 5 }) });
    sim.boot();
    expect(sim.output()).toContain("site.sensors[0].flowPort: port 5 has no gpio connection");
  });
});

describe("pump controller over Modbus RTU", () => {
  const conf = { kind: "pump", name: "P", port: 2, modbusPort: 4, modbus: { unit: 7, registers: [{ fn: 3, reg: 10, qty: "pressure" }, { fn: 4, reg: 0, words: 2, qty: "total" }] } };
  function controller(setup: (m: ModbusSlave) => void = () => {}): { sim: SimBoard; slave: ModbusSlave } {
    let slave!: ModbusSlave;
    const sim = pumpSite(conf, (s) => {
      slave = new ModbusSlave(s, "Serial3", 7);
      slave.holding.set(10, 2500);
      slave.input.set(0, 1);
      slave.input.set(1, 4464); // 65536 + 4464 = 70000
      setup(slave);
    });
    return { sim, slave };
  }

  it("CRC-16/MODBUS of the standard example", () => {
    expect(crc16([0x01, 0x03, 0x00, 0x00, 0x00, 0x0a]).toString(16)).toBe("cdc5");
  });

  it("reads holding and input registers, one and two words", () => {
    const { sim, slave } = controller();
    expect(lastOf(sim, "P")).toBe("stopped, run time 0 min, starts 0, pressure 2.50 bar, total 70000 L");
    expect(Array.from(slave.requests[0])).toEqual(Array.from(withCrc([7, 3, 0, 10, 0, 1])));
    expect(Array.from(slave.requests[1])).toEqual(Array.from(withCrc([7, 4, 0, 0, 0, 2])));
  });

  it("drives the RS-485 transceiver only while sending", () => {
    const levels: [number, number][] = [];
    const { sim } = controller();
    sim.pins.onWrite("D23", (l, t) => levels.push([l, t]));
    sim.advance(60_000);
    expect(levels.map((l) => l[0])).toEqual([1, 0, 1, 0]);
    expect(levels[1][1] - levels[0][1]).toBeLessThan(20);
  });

  it("a silent controller: no answer, with the cause in the log", () => {
    const { sim } = controller((m) => (m.silent = true));
    expect(lastOf(sim, "P")).toContain("pressure no answer, total no answer");
    expect(sim.output()).toContain("WARN Pump controller on channel 1: no reply");
  });

  it("a corrupted reply: checksum error", () => {
    const { sim } = controller((m) => (m.badCrc = true));
    expect(lastOf(sim, "P")).toContain("pressure checksum error");
  });

  it("an exception response: no answer, with the exception named", () => {
    const { sim } = controller((m) => (m.exception = 2));
    expect(lastOf(sim, "P")).toContain("pressure no answer");
    expect(sim.output()).toContain("exception 2 illegal data address");
  });

  it("garbage on the line before the reply is skipped", () => {
    const { sim, slave } = controller();
    slave.uart.onTx(() => slave.uart.garbage(3, 2));
    sim.advance(60_000);
    expect(lastOf(sim, "P")).toContain("pressure 2.50 bar, total 70000 L");
  });
});
