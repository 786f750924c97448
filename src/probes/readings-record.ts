/**
 * Test probe, never flashed: records every reading and event the firmware
 * emits, as plain tuples the simulated board's tests read back. A module of
 * its own so that readings-probe.ts can import it before main: its sinks are
 * then registered, and run, before main's.
 */
import { onReading, onEvent } from "../readings/reading";

/** [ch, qty, value, q, t] per reading, oldest first. */
const readings: number[][] = [];
/** [ch, code, active, value, t] per event, oldest first. */
const events: number[][] = [];

onReading(function (ch, qty, value, q, t) {
  readings.push([ch, qty, value, q, t]);
});

onEvent(function (ch, code, active, value, t) {
  events.push([ch, code, active, value, t]);
});

(global as any).fgReadings = readings;
(global as any).fgEvents = events;
/** Empties both in place, so the globals keep pointing at the recorded arrays. */
(global as any).fgClear = function () {
  readings.splice(0, readings.length);
  events.splice(0, events.length);
};
