/**
 * Readings and events leave the drivers as plain numbers passed to sinks:
 * nothing is allocated per reading. A reading is a channel, a quantity code,
 * an integer value in that quantity's unit, and a quality; a failed reading
 * keeps its cause in the quality and carries no value.
 */

export const Q_OK = 0;
export const Q_RANGE = 1;
export const Q_STUCK = 2;
export const Q_NO_ANSWER = 3;
export const Q_CHECKSUM = 4;

export const QUALITY_WORDS = ["ok", "out of range", "stuck", "no answer", "checksum error"];

/**
 * ch: channel (0 is the gateway itself); qty: quantity code (src/readings/quantities.ts);
 * value: integer in the quantity's unit — with Q_RANGE what was measured, with
 * Q_STUCK, Q_NO_ANSWER and Q_CHECKSUM always 0; t: seconds since 1970.
 */
export type ReadingSink = (ch: number, qty: number, value: number, q: number, t: number) => void;

/** ch, event code (src/readings/events.ts), 1 raised / 0 cleared, the value that decided it, t. */
export type EventSink = (ch: number, code: number, active: number, value: number, t: number) => void;

const readingSinks: ReadingSink[] = [];
const eventSinks: EventSink[] = [];

export function onReading(s: ReadingSink): void {
  readingSinks.push(s);
}

export function onEvent(s: EventSink): void {
  eventSinks.push(s);
}

export function now(): number {
  return Math.floor(getTime());
}

export function emit(ch: number, qty: number, value: number, q: number): void {
  const t = now();
  const v = q === Q_OK || q === Q_RANGE ? value : 0;
  for (let i = 0; i < readingSinks.length; i++) readingSinks[i](ch, qty, v, q, t);
}

export function emitEvent(ch: number, code: number, active: number, value: number): void {
  const t = now();
  for (let i = 0; i < eventSinks.length; i++) eventSinks[i](ch, code, active, value, t);
}
