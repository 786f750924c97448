import { describe, expect, it } from "vitest";
import { makeBoard, siteWith, bootProbe as pumpSite, lastCycle, valueOf, eventsOf, Q, type FwEvent } from "./helpers";
import { transmitter, voltageOut } from "../scripts/sim/models/analog";
import { PulseSource } from "../scripts/sim/models/pulses";
import { ModbusSlave, withCrc, crc16 } from "../scripts/sim/models/modbus";
import { QTY_RUNNING, QTY_RUN_MIN, QTY_STARTS, QTY_FLOW_LPH, QTY_TOTAL_L, QTY_PRESSURE_MBAR } from "../src/readings/quantities";
import { EV_DRY_RUN, EV_FAIL_START, EV_SHORT_CYCLE, EV_PRESSURE_LOSS, EV_SENSOR_FAULT } from "../src/readings/events";
import type { SimBoard } from "../scripts/sim/board";

const station = { kind: "pump", name: "P", port: 2, run: "contact", demand: true, pressurePort: 1, pressureMaxMbar: 10000, flowPort: 3, litresPerPulse: 10, minPressureMbar: 1000, dryRunS: 30, failStartS: 60, maxStartsPerHour: 4 };
/** The site's only sensor: its readings are on channel 1. */
const CH = 1;
/** QTY_RUNNING's values. */
const STOPPED = 0;
const RUNNING = 1;

function ok(qty: number, value: number) {
  return { ch: CH, qty, value, q: Q.OK };
}

function ev(code: number, active: number, value: number): FwEvent {
  return { ch: CH, code, active, value };
}

/** The pump's events with this code, as [active, value]. */
function eventsCoded(sim: SimBoard, code: number): number[][] {
  return eventsOf(sim, CH).filter((e) => e.code === code).map((e) => [e.active, e.value]);
}

describe("pump station: contact, pressure, flow", () => {
  it("reports running, pressure, flow, total, run time and starts", () => {
    let mbar = 4000;
    const sim = pumpSite(station, (s) => {
      s.pins.setLevel("D26", 1);
      transmitter(s, "D36", 150, () => mbar, 0, 10000);
      new PulseSource(s, "D27", 0.1); // 10 L a pulse: 3600 L/h
    });
    sim.advance(10 * 60_000);
    const total = valueOf(sim, CH, QTY_TOTAL_L);
    const pressure = valueOf(sim, CH, QTY_PRESSURE_MBAR);
    expect(lastCycle(sim, CH)).toEqual([ok(QTY_RUNNING, RUNNING), ok(QTY_RUN_MIN, 10), ok(QTY_STARTS, 1), ok(QTY_FLOW_LPH, 3600), ok(QTY_TOTAL_L, total), ok(QTY_PRESSURE_MBAR, pressure)]);
    expect(Math.abs(total - 600)).toBeLessThanOrEqual(10);
    expect(Math.abs(pressure - 4000)).toBeLessThanOrEqual(4);
    expect(sim.errors).toEqual([]);
  });

  it("dry run: running with no pressure for longer than dryRunS, cleared when it stops", () => {
    const sim = pumpSite(station, (s) => {
      transmitter(s, "D36", 150, 200, 0, 10000);
    });
    sim.pins.setLevel("D26", 1);
    sim.advance(40_000);
    const raised = eventsCoded(sim, EV_DRY_RUN);
    expect(raised.map((e) => e[0])).toEqual([1]);
    expect(Math.abs(raised[0][1] - 200)).toBeLessThanOrEqual(4); // the pressure it ran dry at, mbar
    sim.pins.setLevel("D26", 0);
    sim.advance(1000);
    expect(eventsCoded(sim, EV_DRY_RUN)).toEqual([raised[0], [0, 0]]);
    // A pressure measurement still under way when the pump stopped does not raise it again.
    sim.advance(60_000);
    expect(eventsCoded(sim, EV_DRY_RUN)).toEqual([raised[0], [0, 0]]);
  });

  it("fails to start: called for and not running after failStartS", () => {
    const sim = pumpSite(station, (s) => transmitter(s, "D36", 150, 3000, 0, 10000));
    sim.pins.setLevel("D14", 1);
    sim.advance(59_000);
    expect(eventsOf(sim, CH)).toEqual([]);
    sim.advance(2000);
    expect(eventsOf(sim, CH)).toEqual([ev(EV_FAIL_START, 1, 0)]);
    sim.pins.setLevel("D26", 1);
    sim.advance(1000);
    expect(eventsOf(sim, CH)).toEqual([ev(EV_FAIL_START, 1, 0), ev(EV_FAIL_START, 0, 1)]); // cleared by the pump running
  });

  it("too many starts in an hour", () => {
    const sim = pumpSite(station, (s) => transmitter(s, "D36", 150, 3000, 0, 10000));
    for (let i = 0; i < 5; i++) {
      sim.pins.setLevel("D26", 1);
      sim.advance(60_000);
      sim.pins.setLevel("D26", 0);
      sim.advance(60_000);
    }
    expect(eventsCoded(sim, EV_SHORT_CYCLE)).toEqual([[1, 5]]); // the fifth start within the hour
    sim.advance(2 * 3600_000);
    expect(eventsCoded(sim, EV_SHORT_CYCLE)).toEqual([[1, 5], [0, 0]]);
  });

  it("pressure loss with hysteresis", () => {
    let mbar = 3000;
    const sim = pumpSite({ ...station, lossMbar: 1500 }, (s) => transmitter(s, "D36", 150, () => mbar, 0, 10000));
    mbar = 1000;
    sim.advance(60_000);
    const lost = eventsOf(sim, CH);
    expect(lost.map((e) => [e.code, e.active])).toEqual([[EV_PRESSURE_LOSS, 1]]);
    expect(Math.abs(lost[0].value - 1000)).toBeLessThanOrEqual(4);
    mbar = 1600; // inside the band: still lost
    sim.advance(60_000);
    expect(eventsOf(sim, CH)).toEqual(lost);
    mbar = 2500;
    sim.advance(60_000);
    const back = eventsOf(sim, CH).slice(1);
    expect(back.map((e) => [e.code, e.active])).toEqual([[EV_PRESSURE_LOSS, 0]]);
    expect(Math.abs(back[0].value - 2500)).toBeLessThanOrEqual(4);
  });

  it("run state from a current clamp", () => {
    const conf = { kind: "pump", name: "P", port: 3, run: "current", currentA: 2, ampsPerVolt: 30 };
    let volts = 0.2; // 6 A
    const sim = pumpSite(conf, (s) => voltageOut(s, "D34", () => volts));
    expect(lastCycle(sim, CH)[0]).toEqual(ok(QTY_RUNNING, RUNNING));
    volts = 0.01;
    sim.advance(60_000);
    expect(lastCycle(sim, CH)).toEqual([ok(QTY_RUNNING, STOPPED), ok(QTY_RUN_MIN, 0), ok(QTY_STARTS, 1)]);
  });

  it("an unplugged pressure transmitter: no answer and a sensor fault", () => {
    const sim = pumpSite(station, (s) => transmitter(s, "D36", 150, 3000, 0, 10000));
    sim.fault("D36", { kind: "unplugged" });
    sim.advance(60_000);
    expect(valueOf(sim, CH, QTY_PRESSURE_MBAR, Q.NO_ANSWER)).toBe(0);
    expect(eventsOf(sim, CH)).toContainEqual(ev(EV_SENSOR_FAULT, 1, Q.NO_ANSWER));
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
  /** The run state the controller's site reports while nothing runs. */
  const idle = [ok(QTY_RUNNING, STOPPED), ok(QTY_RUN_MIN, 0), ok(QTY_STARTS, 0)];
  /** Both registers failed with quality q: no values. */
  function bothFailed(q: number) {
    return [...idle, { ch: CH, qty: QTY_PRESSURE_MBAR, value: 0, q }, { ch: CH, qty: QTY_TOTAL_L, value: 0, q }];
  }

  it("CRC-16/MODBUS of the standard example", () => {
    expect(crc16([0x01, 0x03, 0x00, 0x00, 0x00, 0x0a]).toString(16)).toBe("cdc5");
  });

  it("reads holding and input registers, one and two words", () => {
    const { sim, slave } = controller();
    expect(lastCycle(sim, CH)).toEqual([...idle, ok(QTY_PRESSURE_MBAR, 2500), ok(QTY_TOTAL_L, 70000)]);
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
    expect(lastCycle(sim, CH)).toEqual(bothFailed(Q.NO_ANSWER));
    expect(sim.output()).toContain("WARN Pump controller on channel 1: no reply");
  });

  it("a corrupted reply: checksum error", () => {
    const { sim } = controller((m) => (m.badCrc = true));
    expect(lastCycle(sim, CH)).toEqual(bothFailed(Q.CHECKSUM));
  });

  it("an exception response: no answer, with the exception named", () => {
    const { sim } = controller((m) => (m.exception = 2));
    expect(lastCycle(sim, CH)).toEqual(bothFailed(Q.NO_ANSWER));
    expect(sim.output()).toContain("exception 2 illegal data address");
  });

  it("garbage on the line before the reply is skipped", () => {
    const { sim, slave } = controller();
    slave.uart.onTx(() => slave.uart.garbage(3, 2));
    sim.advance(60_000);
    expect(lastCycle(sim, CH)).toEqual([...idle, ok(QTY_PRESSURE_MBAR, 2500), ok(QTY_TOTAL_L, 70000)]);
  });
});
