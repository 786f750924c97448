/**
 * A level or pressure transducer on a port's ADC: a 4–20 mA loop through the
 * port's shunt, or a voltage output. Reports the raw signal (loop µA or input
 * mV, median of n) and what it means on the transducer's range.
 */
import { claim, num, oneOf, bad, sampleAdc, stuckDetector, MA_OPEN, MA_SHORT } from "./common";
import { portById } from "../config/site";
import { type DriverContext } from "./driver";
import { Q_OK, Q_RANGE, Q_STUCK, Q_NO_ANSWER } from "../readings/reading";

export interface Transducer {
  /** done(raw, q): raw in µA (4–20 mA) or mV (voltage). */
  measure(done: (raw: number, q: number) => void): void;
  /** Raw signal to the transducer's own scale, 0..range. */
  scale(raw: number, range: number): number;
}

export function createTransducer(c: any, ctx: DriverContext, n: number): Transducer {
  const f = ctx.field;
  const hw = ctx.hw;
  const kind = oneOf(c, "sensor", f, ["4-20ma", "voltage"]);
  const adc = claim(ctx, c, "port", "adc");
  let shunt = 0;
  let vMin = 0;
  let vMax = 0;
  if (kind === "4-20ma") shunt = portById(hw, c.port)!.shuntOhms || bad(f + ".port", "port " + c.port + " has no 4-20 mA shunt");
  else {
    vMin = num(c, "vMin", f, 0, 5, 0) * 1000;
    vMax = num(c, "vMax", f, 0.1, 5, 3) * 1000;
  }
  const stuck = stuckDetector(num(c, "stuckSamples", f, 0, 10000, 96));
  const buf: number[] = [];
  return {
    measure(done) {
      sampleAdc(adc, n, 50, buf, function (frac, last) {
        // NaN is analogRead's answer on a pin without an ADC: no answer, never a value.
        if (kind === "voltage") return done(Math.round(frac * hw.vref * 1000), isNaN(frac) ? Q_NO_ANSWER : stuck(last) ? Q_STUCK : Q_OK);
        const ua = Math.round(((frac * hw.vref) / shunt) * 1000 * 1000);
        if (!(ua >= MA_OPEN * 1000)) return done(0, Q_NO_ANSWER);
        if (ua > MA_SHORT * 1000) return done(ua, Q_RANGE);
        done(ua, stuck(last) ? Q_STUCK : Q_OK);
      });
    },
    scale(raw, range) {
      return kind === "4-20ma" ? ((raw - 4000) / 16000) * range : ((raw - vMin) / (vMax - vMin)) * range;
    },
  };
}
