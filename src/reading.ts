/**
 * A reading: what was measured, on which channel, when, its value in integer
 * engineering units, and its quality. A failed reading keeps its cause in
 * `q` and carries no value.
 */

export const Q_OK = 0;
export const Q_RANGE = 1;
export const Q_STUCK = 2;
export const Q_NO_ANSWER = 3;
export const Q_CHECKSUM = 4;

export const QUALITY_WORDS = ["ok", "out of range", "stuck", "no answer", "checksum error"];

export interface Reading {
  /** Channel index: the sensor's place in the site configuration; 0 is the gateway itself. */
  ch: number;
  /** Quantity code (src/quantities.ts): fixes the unit and scale. */
  qty: number;
  /**
   * Integer value in the quantity's unit. With Q_RANGE it is what was
   * measured; with Q_STUCK, Q_NO_ANSWER and Q_CHECKSUM there is none and it is 0.
   */
  value: number;
  q: number;
  /** Seconds since 1970. */
  t: number;
}

type Sink = (r: Reading) => void;
const sinks: Sink[] = [];

/** Where readings go: the log, the buffer, the links subscribe here. */
export function onReading(s: Sink): void {
  sinks.push(s);
}

export function emit(r: Reading): void {
  for (let i = 0; i < sinks.length; i++) sinks[i](r);
}
