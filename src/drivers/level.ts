/**
 * River and groundwater level: the transducer driver with its own site
 * profile. A river gauge reports the stage against the gauge datum; a
 * groundwater well reports the depth from the ground to the water. Alarms:
 * high water, and a rate of rise for heavy-rain early warning. See level.md.
 */
import { num, oneOf, alarm, qualityWatch } from "./common";
import { type DriverContext, type Sensor } from "./driver";
import { createTransducer } from "./transducer";
import { emit, Q_OK, Q_RANGE } from "../readings/reading";
import { QTY_STAGE_MM, QTY_DEPTH_MM, LEVEL_QTY, addWords } from "../readings/quantities";
import { EV_RISE_RATE, EV_HIGH_WATER, EV_SENSOR_FAULT, LEVEL_EVENTS } from "../readings/events";

// The words of what this driver emits, for the log lines.
addWords(LEVEL_QTY, LEVEL_EVENTS);

/** Samples kept for the rate of rise: with 15-minute readings, 4 hours. */
const HISTORY = 16;

export function createLevel(c: any, ctx: DriverContext): Sensor {
  const f = ctx.field;
  const ch = ctx.ch;
  const tx = createTransducer(c, ctx, num(c, "median", f, 1, 15, 5));
  const rangeMm = num(c, "rangeMm", f, 100, 200000);
  const mode = oneOf(c, "mode", f, ["stage", "depth"], "stage");
  // stage: the sensor's height against the gauge datum; depth: the sensor's depth below ground.
  const datumMm = num(c, "datumMm", f, -100000, 100000, 0);
  const riseMmPerH = num(c, "riseMmPerH", f, 0, 100000, 0);
  const windowS = num(c, "riseWindowS", f, 300, 86400, 3600);
  const highMm = num(c, "highMm", f, -100000, 200000, 0);
  const hyst = num(c, "hystMm", f, 0, 10000, 50);
  const rise = alarm(ch, EV_RISE_RATE, riseMmPerH, riseMmPerH / 4, true);
  const high = alarm(ch, EV_HIGH_WATER, highMm, hyst, true);
  const fault = qualityWatch(ch, EV_SENSOR_FAULT);
  const ts: number[] = [];
  const lv: number[] = [];
  let head = 0;
  let filled = 0;

  function rate(t: number, level: number): number {
    // Oldest sample still inside the window: rise over that span, in mm per hour.
    let best = -1;
    for (let i = 0; i < filled; i++) if (t - ts[i] <= windowS && (best < 0 || ts[i] < ts[best])) best = i;
    if (best < 0 || t - ts[best] < 60) return 0;
    return ((level - lv[best]) * 3600) / (t - ts[best]);
  }

  return {
    channels: 1,
    sample() {
      tx.measure(function (raw, q) {
        const above = q === Q_OK || q === Q_RANGE ? tx.scale(raw, rangeMm) : 0;
        const v = Math.round(mode === "stage" ? datumMm + above : datumMm - above);
        emit(ch, mode === "stage" ? QTY_STAGE_MM : QTY_DEPTH_MM, v, q);
        fault(q);
        if (q !== Q_OK) return;
        const t = getTime();
        // Rising water: stage goes up, depth to water goes down.
        const level = mode === "stage" ? v : -v;
        if (riseMmPerH > 0) rise.update(rate(t, level));
        if (highMm && mode === "stage") high.update(v);
        ts[head] = t;
        lv[head] = level;
        head = (head + 1) % HISTORY;
        if (filled < HISTORY) filled++;
      });
    },
    close() {},
  };
}
