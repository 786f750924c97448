/** Analog sensors on a port's ADC: 4–20 mA loops through the shunt, and voltage outputs. */
import type { SimBoard } from "../board";

type Value = number | (() => number);
const valueOf = (v: Value) => (typeof v === "number" ? v : v());

/**
 * A live analog circuit always carries a little noise; ±1 mV (about one ADC
 * step) is what lets the firmware tell a live signal from a stuck one.
 */
export const LIVE_NOISE_V = 0.0012;

/** A 4–20 mA transmitter on a port's shunt. `ma` may be a function of time. */
export function loop4to20(sim: SimBoard, pin: string, shuntOhms: number, ma: Value): void {
  sim.pins.setVolts(pin, () => (valueOf(ma) * shuntOhms) / 1000 + LIVE_NOISE_V * sim.rng.gauss());
}

/** A 4–20 mA transmitter for a quantity spanning lo..hi. */
export function transmitter(sim: SimBoard, pin: string, shuntOhms: number, value: Value, lo: number, hi: number): void {
  loop4to20(sim, pin, shuntOhms, () => 4 + (16 * (valueOf(value) - lo)) / (hi - lo));
}

/** A sensor with a voltage output. */
export function voltageOut(sim: SimBoard, pin: string, volts: Value): void {
  sim.pins.setVolts(pin, () => valueOf(volts) + LIVE_NOISE_V * sim.rng.gauss());
}
