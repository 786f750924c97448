/**
 * Pump station: run state from a contact or a current clamp, discharge
 * pressure from a 4–20 mA transmitter, flow and volume from a pulse meter, run
 * time and starts, and registers of the pump controller over Modbus RTU.
 * Alarms: fails to start, dry run, pressure loss, too many starts. See pump.md.
 */
import { claim, num, oneOf, bad, alarm, qualityWatch, sampleAdc } from "./common";
import { portById } from "../config/site";
import { type DriverContext, type Sensor } from "./driver";
import { createTransducer, type Transducer } from "./transducer";
import { modbusMaster, type ModbusMaster } from "./modbus";
import { emit, Q_OK, Q_RANGE } from "../readings/reading";
import { QTY_RUNNING, QTY_PRESSURE_MBAR, QTY_FLOW_LPH, QTY_TOTAL_L, QTY_RUN_MIN, QTY_STARTS, PUMP_QTY, METER_QTY, addWords } from "../readings/quantities";
import { EV_FAIL_START, EV_DRY_RUN, EV_PRESSURE_LOSS, EV_SHORT_CYCLE, EV_SENSOR_FAULT, PUMP_EVENTS } from "../readings/events";
import { log, WARN } from "../runtime/log";

// The words of what this driver emits, for the log lines.
addWords(PUMP_QTY, PUMP_EVENTS);
addWords(METER_QTY);

const QTY_BY_NAME: { [k: string]: number } = { pressure: QTY_PRESSURE_MBAR, flow: QTY_FLOW_LPH, total: QTY_TOTAL_L, running: QTY_RUNNING, runMinutes: QTY_RUN_MIN, starts: QTY_STARTS };

interface Register {
  fn: number;
  reg: number;
  words: number;
  qty: number;
  scale: number;
}

export function createPump(c: any, ctx: DriverContext): Sensor {
  const f = ctx.field;
  const hw = ctx.hw;
  const ch = ctx.ch;
  const runBy = oneOf(c, "run", f, ["contact", "current"], "contact");
  const activeLow = c.activeLow === true;
  let runPin = "";
  let clampA = 0;
  let ampsPerVolt = 0;
  if (runBy === "contact") runPin = claim(ctx, c, "port", "gpio");
  else {
    runPin = claim(ctx, c, "port", "adc");
    clampA = num(c, "currentA", f, 0.1, 500, 2);
    ampsPerVolt = num(c, "ampsPerVolt", f, 0.1, 1000, 30);
  }
  const demandPin = c.demand ? claim(ctx, c, "port", "gpio2") : "";
  let pressure: Transducer | null = null;
  let pressureMax = 0;
  if (c.pressurePort !== undefined) {
    pressure = createTransducer({ sensor: c.pressureSensor || "4-20ma", port: c.pressurePort, stuckSamples: c.stuckSamples, vMin: c.vMin, vMax: c.vMax }, { hw: hw, ch: ch, field: f + ".pressurePort" }, 3);
    pressureMax = num(c, "pressureMaxMbar", f, 100, 100000, 10000);
  }
  const flowPin = c.flowPort !== undefined ? claim(ctx, c, "flowPort", "gpio") : "";
  const litresPerPulse = num(c, "litresPerPulse", f, 0.001, 10000, 10);
  let modbus: ModbusMaster | null = null;
  const regs: Register[] = [];
  let unit = 1;
  if (c.modbusPort !== undefined) {
    claim(ctx, c, "modbusPort", "uart");
    const p = portById(hw, c.modbusPort)!;
    const m = c.modbus || bad(f + ".modbus", "unit and registers are needed with a modbusPort");
    unit = num(m, "unit", f + ".modbus", 1, 247);
    if (!Array.isArray(m.registers) || !m.registers.length) bad(f + ".modbus.registers", "a list of registers is needed");
    for (let i = 0; i < m.registers.length; i++) {
      const r = m.registers[i];
      const rf = f + ".modbus.registers[" + i + "]";
      const q = QTY_BY_NAME[r.qty];
      if (!q) bad(rf + ".qty", "one of " + Object.keys(QTY_BY_NAME).join(", "));
      regs.push({ fn: num(r, "fn", rf, 3, 4), reg: num(r, "reg", rf, 0, 65535), words: num(r, "words", rf, 1, 2, 1), qty: q, scale: num(r, "scale", rf, 0.0001, 10000, 1) });
    }
    modbus = modbusMaster(p.uart!, num(m, "baud", f + ".modbus", 1200, 115200, 9600), p.de, 500);
  }
  const failStartS = num(c, "failStartS", f, 1, 3600, 60);
  const dryRunS = num(c, "dryRunS", f, 1, 3600, 30);
  const minPressure = num(c, "minPressureMbar", f, 0, 100000, 500);
  const minFlow = num(c, "minFlowLph", f, 0, 1e7, 0);
  const lossMbar = num(c, "lossMbar", f, 0, 100000, 0);
  const maxStarts = num(c, "maxStartsPerHour", f, 1, 60, 6);

  let running = false;
  let runSince = 0;
  let runSeconds = 0;
  let starts = 0;
  const startTimes: number[] = [];
  let pulses = 0;
  let pulsesAtSample = 0;
  let lastSampleT = getTime();
  let lastMbar = -1;
  let dryFor = 0;
  let monitor = 0;
  let demandTimer = 0;
  const watches: number[] = [];
  let poller = 0;
  const dry = alarm(ch, EV_DRY_RUN, 0, 0, true);
  const failStart = alarm(ch, EV_FAIL_START, 0, 0, true);
  const shortCycle = alarm(ch, EV_SHORT_CYCLE, maxStarts, 1, true);
  const loss = alarm(ch, EV_PRESSURE_LOSS, lossMbar, Math.max(100, lossMbar / 5), false);
  const fault = qualityWatch(ch, EV_SENSOR_FAULT);
  const adcBuf: number[] = [];

  function setRunning(on: boolean): void {
    if (on === running) return;
    const t = getTime();
    running = on;
    if (on) {
      runSince = t;
      starts++;
      startTimes.push(t);
      while (startTimes.length && startTimes[0] < t - 3600) startTimes.shift();
      shortCycle.update(startTimes.length);
      failStart.set(false, 1);
      dryFor = 0;
      // While it runs, check every 5 s that it moves water.
      monitor = setInterval(check, 5000);
    } else {
      runSeconds += t - runSince;
      clearInterval(monitor);
      monitor = 0;
      dry.set(false, 0);
    }
  }

  function check(): void {
    if (!pressure) return;
    pressure.measure(function (raw, q) {
      // A measurement that ends after the pump stopped says nothing of a running pump.
      if (q !== Q_OK || !running) return;
      lastMbar = Math.round(pressure!.scale(raw, pressureMax));
      dryFor = lastMbar < minPressure ? dryFor + 5 : 0;
      if (dryFor >= dryRunS) dry.set(true, lastMbar);
      else if (dryFor === 0) dry.set(false, lastMbar);
    });
  }

  function pollCurrent(then?: () => void): void {
    sampleAdc(runPin, 3, 20, adcBuf, function (frac) {
      setRunning(frac * hw.vref * ampsPerVolt >= clampA);
      if (then) then();
    });
  }

  if (runBy === "contact") {
    pinMode(runPin, "input_pulldown");
    watches.push(setWatch(function (e) { setRunning(e.state !== activeLow); }, runPin, { edge: "both", repeat: true, debounce: 50 }));
    if ((digitalRead(runPin) === 1) !== activeLow) setRunning(true);
  } else poller = setInterval(pollCurrent, 10000, undefined);
  if (demandPin) {
    pinMode(demandPin, "input_pulldown");
    watches.push(setWatch(function (e) {
      if (demandTimer) clearTimeout(demandTimer);
      demandTimer = 0;
      if (!e.state) return failStart.set(false, 0);
      demandTimer = setTimeout(function () {
        demandTimer = 0;
        if (!running) failStart.set(true, 0);
      }, failStartS * 1000);
    }, demandPin, { edge: "both", repeat: true, debounce: 50 }));
  }
  if (flowPin) {
    pinMode(flowPin, "input_pullup");
    watches.push(setWatch(function () { pulses++; }, flowPin, { edge: "falling", repeat: true, debounce: 5 }));
  }

  function readRegisters(i: number): void {
    if (!modbus || i >= regs.length) return;
    const r = regs[i];
    modbus.read(unit, r.fn, r.reg, r.words, function (w, q, cause) {
      if (q !== Q_OK) log(WARN, "Pump controller on channel " + ch + ": " + cause);
      const v = w ? (r.words === 2 ? w[0] * 65536 + w[1] : w[0]) : 0;
      emit(ch, r.qty, Math.round(v * r.scale), q);
      fault(q);
      readRegisters(i + 1);
    });
  }

  function report(): void {
    const t = getTime();
    emit(ch, QTY_RUNNING, running ? 1 : 0, Q_OK);
    const runMin = Math.floor((runSeconds + (running ? t - runSince : 0)) / 60);
    emit(ch, QTY_RUN_MIN, runMin, Q_OK);
    emit(ch, QTY_STARTS, starts, Q_OK);
    shortCycle.update(startTimes.length && startTimes[0] >= t - 3600 ? startTimes.length : 0);
    if (flowPin) {
      const hours = (t - lastSampleT) / 3600;
      const litres = (pulses - pulsesAtSample) * litresPerPulse;
      emit(ch, QTY_FLOW_LPH, hours > 0 ? Math.round(litres / hours) : 0, Q_OK);
      emit(ch, QTY_TOTAL_L, Math.round(pulses * litresPerPulse), Q_OK);
      if (running && minFlow > 0 && hours > 0 && t - runSince >= dryRunS) {
        if (litres / hours < minFlow) dry.set(true, litres / hours);
        else if (!pressure) dry.set(false, litres / hours);
      }
      pulsesAtSample = pulses;
    }
    lastSampleT = t;
    if (pressure) {
      pressure.measure(function (raw, q) {
        const mbar = q === Q_OK || q === Q_RANGE ? Math.round(pressure!.scale(raw, pressureMax)) : 0;
        emit(ch, QTY_PRESSURE_MBAR, mbar, q);
        fault(q);
        if (q === Q_OK && lossMbar > 0) loss.update(mbar);
        readRegisters(0);
      });
    } else readRegisters(0);
  }

  return {
    channels: 1,
    sample() {
      // With a clamp, the run state is read first so the reading is current.
      if (runBy === "current") pollCurrent(report);
      else report();
    },
    close() {
      for (let i = 0; i < watches.length; i++) clearWatch(watches[i]);
      if (poller) clearInterval(poller);
      if (monitor) clearInterval(monitor);
      if (demandTimer) clearTimeout(demandTimer);
      if (modbus) modbus.close();
    },
  };
}
