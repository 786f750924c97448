/**
 * Networked smoke detector through its relay module: the alarm contact and
 * the fault (or battery-low) line on one port; tamper and test-button lines on
 * an optional second port. An alarm is sent at once; a periodic state reading
 * is the heartbeat that makes a dead detector visible. See smoke.md.
 */
import { claim, num, alarm } from "./common";
import { type DriverContext, type Sensor } from "./driver";
import { emit, Q_OK } from "../readings/reading";
import { QTY_SMOKE, SMOKE_QTY, addWords } from "../readings/quantities";
import { EV_SMOKE, EV_SMOKE_TEST, EV_TAMPER, EV_DETECTOR_FAULT, SMOKE_EVENTS } from "../readings/events";

// The words of what this driver emits, for the log lines.
addWords(SMOKE_QTY, SMOKE_EVENTS);

/** An alarm within this time of a press of the test button is the test, not a fire. */
const TEST_WINDOW_S = 60;

export function createSmoke(c: any, ctx: DriverContext): Sensor {
  const f = ctx.field;
  const ch = ctx.ch;
  const alarmPin = claim(ctx, c, "port", "gpio");
  // The fault line is fail-safe: closed (high) while the detector is powered and well.
  const faultPin = c.faultLine === false ? "" : claim(ctx, c, "port", "gpio2");
  const tamperPin = c.auxPort !== undefined ? claim(ctx, c, "auxPort", "gpio") : "";
  const testPin = c.auxPort !== undefined ? claim(ctx, c, "auxPort", "gpio2") : "";
  const alarmHigh = c.alarmActive !== "low";
  const debounce = num(c, "debounceMs", f, 5, 2000, 50);
  const smoke = alarm(ch, EV_SMOKE, 0, 0, true);
  const test = alarm(ch, EV_SMOKE_TEST, 0, 0, true);
  const tamper = alarm(ch, EV_TAMPER, 0, 0, true);
  const fault = alarm(ch, EV_DETECTOR_FAULT, 0, 0, true);
  const watches: number[] = [];
  let testAt = -1e9;

  function alarmOn(): boolean {
    return (digitalRead(alarmPin) === 1) === alarmHigh;
  }
  function onAlarm(): void {
    const on = alarmOn();
    if (on && getTime() - testAt < TEST_WINDOW_S) return test.set(true, 1);
    if (!on) test.set(false, 0);
    smoke.set(on, on ? 1 : 0);
  }
  function watch(pin: string, fn: () => void): void {
    pinMode(pin, "input_pulldown");
    watches.push(setWatch(fn, pin, { edge: "both", repeat: true, debounce: debounce }));
  }
  watch(alarmPin, onAlarm);
  if (faultPin) watch(faultPin, function () { fault.set(digitalRead(faultPin) === 0, 0); });
  if (tamperPin) watch(tamperPin, function () { tamper.set(digitalRead(tamperPin) === 1, 1); });
  if (testPin)
    watch(testPin, function () {
      if (digitalRead(testPin) === 1) {
        testAt = getTime();
        test.set(true, 0);
      }
    });
  // The lines at boot against the alarms kept from before it: what changed meanwhile is reported at once.
  onAlarm();
  if (faultPin) fault.set(digitalRead(faultPin) === 0, 0);

  return {
    channels: 1,
    sample() {
      let state = 0;
      if (smoke.active) state = 1;
      else if (test.active) state = 3;
      else if (fault.active) state = 2;
      emit(ch, QTY_SMOKE, state, Q_OK);
      if (test.active && !alarmOn() && getTime() - testAt >= TEST_WINDOW_S) test.set(false, 0);
    },
    close() {
      for (let i = 0; i < watches.length; i++) clearWatch(watches[i]);
    },
  };
}


