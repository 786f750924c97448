/**
 * Water meter with a pulse output (reed or open collector): volume passed and
 * flow rate. The total is kept as a counter in the flash store, so it survives reboots and
 * power cuts; at most the pulses of one reading interval can be lost to a
 * power cut. See meter.md.
 */
import { claim, num } from "./common";
import { type DriverContext, type Sensor } from "./driver";
import { emit, Q_OK } from "../readings/reading";
import { QTY_TOTAL_L, QTY_FLOW_LPH, METER_QTY, addWords } from "../readings/quantities";
import { counterRead, counterWrite } from "../store/settings";
import { ID } from "../store/storage-layout";
import { log, WARN, why } from "../runtime/log";

// The words of what this driver emits, for the log lines.
addWords(METER_QTY);

export function createMeter(c: any, ctx: DriverContext): Sensor {
  const f = ctx.field;
  const ch = ctx.ch;
  const pin = claim(ctx.hw, c.port, "gpio", f + ".port");
  const lpp = num(c, "litresPerPulse", f, 0.001, 10000, 1);
  const id = ID.meterBase + ch;
  // Pulses are counted; litres are derived, so a fractional litres-per-pulse loses nothing.
  const stored = counterRead(id);
  let pulses = stored < 0 ? 0 : stored;
  let saved = pulses;
  let atSample = pulses;
  let lastT = getTime();
  pinMode(pin, "input_pullup");
  const watch = setWatch(function () { pulses++; }, pin, { edge: "falling", repeat: true, debounce: num(c, "debounceMs", f, 1, 500, 10) });
  return {
    channels: 1,
    sample() {
      const t = getTime();
      const hours = (t - lastT) / 3600;
      emit(ch, QTY_TOTAL_L, Math.round(pulses * lpp), Q_OK);
      emit(ch, QTY_FLOW_LPH, hours > 0 ? Math.round(((pulses - atSample) * lpp) / hours) : 0, Q_OK);
      atSample = pulses;
      lastT = t;
      if (pulses !== saved) {
        try {
          counterWrite(id, pulses);
          saved = pulses;
        } catch (e) {
          log(WARN, "Could not save the meter total: " + why(e));
        }
      }
    },
    close() {
      clearWatch(watch);
    },
  };
}
