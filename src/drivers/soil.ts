/**
 * Capacitive soil-moisture probe (v1.2 style, analog output falling as the
 * soil gets wetter) on a port's ADC, with a dry/wet two-point calibration.
 * Reports moisture in 0.1 % of the dry–wet span. See soil.md.
 */
import { claim, num, bad, sampleAdc, stuckDetector, qualityWatch } from "./common";
import { type DriverContext, type Sensor } from "./driver";
import { emit, Q_OK, Q_RANGE, Q_STUCK, Q_NO_ANSWER } from "../readings/reading";
import { QTY_SOIL_PERMILLE, SOIL_QTY, addWords } from "../readings/quantities";
import { EV_SENSOR_FAULT } from "../readings/events";

// The words of what this driver emits, for the log lines.
addWords(SOIL_QTY);

/** Below this the probe gives no output at all: unpowered, or unplugged. */
const NO_OUTPUT_MV = 50;

export function createSoil(c: any, ctx: DriverContext): Sensor {
  const f = ctx.field;
  const hw = ctx.hw;
  const ch = ctx.ch;
  const pin = claim(ctx, c, "port", "adc");
  const dry = num(c, "dry", f, 0.1, 5, 2.8) * 1000;
  const wet = num(c, "wet", f, 0.1, 5, 1.2) * 1000;
  if (dry === wet) bad(f + ".wet", "must differ from dry");
  const n = num(c, "median", f, 1, 15, 5);
  const stuck = stuckDetector(num(c, "stuckSamples", f, 0, 10000, 96));
  const fault = qualityWatch(ch, EV_SENSOR_FAULT);
  const buf: number[] = [];
  return {
    channels: 1,
    sample() {
      sampleAdc(pin, n, 50, buf, function (frac, last) {
        const mv = frac * hw.vref * 1000;
        const pm = Math.round(((dry - mv) / (dry - wet)) * 1000);
        let q = Q_OK;
        // Not above it, NaN included: analogRead's answer on a pin without an ADC.
        if (!(mv >= NO_OUTPUT_MV)) q = Q_NO_ANSWER;
        else if (stuck(last)) q = Q_STUCK;
        // Beyond the calibration by more than 5 %: the probe is out of the soil, or the calibration is off.
        else if (pm < -50 || pm > 1050) q = Q_RANGE;
        emit(ch, QTY_SOIL_PERMILLE, pm, q);
        fault(q);
      });
    },
    close() {},
  };
}
