/**
 * Water trough: level in mm, fill in 0.1 %, and litres, from an ultrasonic
 * sensor above the water or a hydrostatic transducer at the bottom. Alarms:
 * low level (with hysteresis), a fall faster than the herd drinks (leak or a
 * broken float valve), and a refill notice. See trough.md.
 */
import { bad, claim, num, oneOf, alarm, qualityWatch, stuckDetector } from "./common";
import { portById } from "../config/site";
import { type DriverContext, type Sensor } from "./driver";
import { createTransducer, type Transducer } from "./transducer";
import { uartUltrasonic, echoUltrasonic, type DistanceSensor } from "./ultrasonic";
import { emit, emitEvent, Q_OK, Q_RANGE, Q_STUCK } from "../readings/reading";
import { QTY_LEVEL_MM, QTY_FILL_PERMILLE, QTY_VOLUME_L, TROUGH_QTY, addWords } from "../readings/quantities";
import { EV_LEVEL_LOW, EV_LEAK, EV_REFILL, EV_SENSOR_FAULT, TROUGH_EVENTS } from "../readings/events";

// The words of what this driver emits, for the log lines.
addWords(TROUGH_QTY, TROUGH_EVENTS);

export function createTrough(c: any, ctx: DriverContext): Sensor {
  const f = ctx.field;
  const hw = ctx.hw;
  const ch = ctx.ch;
  const kind = oneOf(c, "sensor", f, ["a02yyuw", "jsn-sr04t", "4-20ma", "voltage"]);
  const depth = num(c, "depth", f, 50, 5000);
  const n = num(c, "median", f, 1, 15, 5);
  // Litres per mm of level, from the trough's shape.
  let lpm: number;
  const shape = oneOf(c, "shape", f, ["rect", "round", "custom"], "rect");
  if (shape === "rect") lpm = (num(c, "length", f, 100, 20000) * num(c, "width", f, 100, 20000)) / 1e6;
  else if (shape === "round") lpm = (Math.PI * Math.pow(num(c, "diameter", f, 100, 20000), 2)) / 4e6;
  else lpm = num(c, "litresPerMm", f, 0.001, 1000);
  const cal = c.cal;
  if (cal !== undefined && (typeof cal !== "object" || typeof cal.empty !== "number" || typeof cal.full !== "number" || cal.empty === cal.full))
    bad(f + ".cal", "two different raw readings { empty, full } are needed");
  const lowPermille = num(c, "lowPct", f, 0, 100, 30) * 10;
  const hystPermille = num(c, "hystPct", f, 0, 50, 5) * 10;
  const leakMmPerH = num(c, "leakMmPerH", f, 0, 10000, 0);
  const refillMm = num(c, "refillMm", f, 0, 5000, 50);
  const stuck = stuckDetector(num(c, "stuckSamples", f, 0, 10000, 96));

  let dist: DistanceSensor | null = null;
  let tx: Transducer | null = null;
  let mount = 0;
  let rangeMm = 0;
  if (kind === "a02yyuw") {
    claim(ctx, c, "port", "uart");
    dist = uartUltrasonic(portById(hw, c.port)!.uart!, n, 30, 4500);
  } else if (kind === "jsn-sr04t") {
    dist = echoUltrasonic(claim(ctx, c, "port", "gpio"), claim(ctx, c, "port", "gpio2"), n, 250, 4500);
  } else {
    tx = createTransducer(c, ctx, n);
    if (!cal) rangeMm = num(c, "rangeMm", f, 100, 100000);
  }
  if (dist && !cal) mount = num(c, "mount", f, 100, 10000);

  const low = alarm(ch, EV_LEVEL_LOW, lowPermille, hystPermille, false);
  const leak = alarm(ch, EV_LEAK, leakMmPerH, leakMmPerH / 5, true);
  const fault = qualityWatch(ch, EV_SENSOR_FAULT);
  let prevLevel = -1;
  let prevT = 0;

  /** Raw reading (distance mm, loop µA or input mV) to level mm. */
  function level(raw: number): number {
    if (cal) return ((raw - cal.empty) / (cal.full - cal.empty)) * depth;
    if (dist) return mount - raw;
    return tx!.scale(raw, rangeMm);
  }

  function report(raw: number, q: number): void {
    // Echo distances are checked for sticking here; ADC inputs on their raw steps, below.
    if (dist && q === Q_OK && stuck(raw)) q = Q_STUCK;
    let mm = 0;
    if (q === Q_OK || q === Q_RANGE) {
      mm = Math.round(level(raw));
      // More than 5 % below empty or 10 % above full is not a trough level.
      if (mm < -depth / 20 || mm > depth * 1.1) q = Q_RANGE;
    }
    emit(ch, QTY_LEVEL_MM, mm, q);
    emit(ch, QTY_FILL_PERMILLE, Math.round((mm / depth) * 1000), q);
    emit(ch, QTY_VOLUME_L, Math.round(mm * lpm), q);
    fault(q);
    if (q !== Q_OK) return;
    low.update(Math.round((mm / depth) * 1000));
    const t = getTime();
    if (prevLevel >= 0) {
      const hours = (t - prevT) / 3600;
      if (leakMmPerH > 0 && hours > 0) leak.update((prevLevel - mm) / hours);
      if (refillMm > 0 && mm - prevLevel >= refillMm) emitEvent(ch, EV_REFILL, 1, mm);
    }
    prevLevel = mm;
    prevT = t;
  }

  return {
    channels: 1,
    sample() {
      if (dist) dist.measure(report);
      else tx!.measure(report);
    },
    close() {
      if (dist) dist.close();
    },
  };
}
