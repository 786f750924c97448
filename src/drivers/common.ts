/**
 * What every driver shares: option checks that name the field, pin claims,
 * a median filter, a stuck detector, hysteresis alarms and 4–20 mA inputs.
 */
import { portById } from "../config/site";
import type { DriverContext } from "./driver";
import { emitEvent } from "../readings/reading";
import { fail, log, WARN, why } from "../runtime/log";
import { counterGet, counterWrite } from "../store/settings";
import { ID } from "../store/storage-layout";

/** Throws an error whose message names the configuration field. */
export function bad(field: string, what: string): never {
  fail(field + ": " + what);
}

export function num(o: any, key: string, field: string, lo: number, hi: number, dflt?: number): number {
  const v = o[key];
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== "number" || isNaN(v) || v < lo || v > hi) bad(field + "." + key, "a number from " + lo + " to " + hi + " is needed");
  return v;
}

export function oneOf(o: any, key: string, field: string, allowed: string[], dflt?: string): string {
  const v = o[key];
  if (v === undefined && dflt !== undefined) return dflt;
  if (allowed.indexOf(v) < 0) bad(field + "." + key, "one of " + allowed.join(", "));
  return v;
}

const claimed: string[] = [];

/**
 * Takes a pin of the port that option `key` of a sensor's options `c` names;
 * refuses a port without it or a pin already taken, naming the option.
 */
export function claim(ctx: DriverContext, c: any, key: string, pin: "adc" | "gpio" | "gpio2" | "onewire" | "uart"): string {
  const portId = c[key];
  const field = ctx.field + "." + key;
  const port = portById(ctx.hw, portId);
  if (!port) return bad(field, "this board has no port " + portId);
  const p = port[pin];
  if (!p) return bad(field, "port " + portId + " has no " + pin + " connection");
  const name = pin === "uart" ? port.uart!.serial : (p as string);
  if (claimed.indexOf(name) >= 0) bad(field, "port " + portId + " " + pin + " is already in use");
  claimed.push(name);
  return name;
}

/** All sensors were closed: every pin is free again. */
export function releaseAll(): void {
  claimed.splice(0, claimed.length);
}

/** Median of the first n values, sorted in place: no allocation. */
export function median(a: number[], n: number): number {
  for (let i = 1; i < n; i++) {
    const v = a[i];
    let j = i - 1;
    while (j >= 0 && a[j] > v) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = v;
  }
  return n % 2 ? a[(n - 1) >> 1] : (a[n / 2 - 1] + a[n / 2]) / 2;
}

/**
 * A live analog or echo signal always wanders by a step or more; one that
 * repeats the exact raw value `limit` times in a row is stuck. The detector
 * answers, for each raw value, whether it makes the signal stuck. A closure,
 * as drivers are (docs/architecture.md): fewer JsVars than a class instance.
 */
export function stuckDetector(limit: number): (raw: number) => boolean {
  let last = NaN;
  let same = 0;
  return function (raw) {
    if (raw === last) same++;
    else {
      same = 1;
      last = raw;
    }
    return limit > 0 && same >= limit;
  };
}

/**
 * Whether event `code` of channel `ch` was raised when the gateway last
 * stopped. An alarm's state is kept across reboots in the flash store, one
 * counter per channel (ID.alarmBase + ch: changes, a bit per raised code),
 * written only when it changes: a reboot does not raise an alarm again.
 */
function wasRaised(ch: number, code: number): boolean {
  return ((counterGet(ID.alarmBase + ch)[1] >> code) & 1) === 1;
}

/** Raises or clears event `code` of channel `ch`: the event, then the state kept for the next boot. */
function raise(ch: number, code: number, on: boolean, v: number): void {
  emitEvent(ch, code, on ? 1 : 0, v);
  const id = ID.alarmBase + ch;
  const k = counterGet(id);
  try {
    counterWrite(id, k[0] + 1, on ? k[1] | (1 << code) : k[1] & ~(1 << code));
  } catch (e) {
    log(WARN, "Alarm not kept: " + why(e));
  }
}

/** An alarm: whether it is raised, and how it moves. */
export interface Alarm {
  active: boolean;
  /** Raised when the value passes `limit`, cleared only when it is back by `band`. */
  update(v: number): void;
  /** Raise or clear on a condition that is already debounced by the caller. */
  set(on: boolean, v: number): void;
}

/**
 * An alarm with hysteresis: raised when the value passes `limit`, cleared
 * only when it is back by `band` — no flapping around the limit.
 */
export function alarm(ch: number, code: number, limit: number, band: number, above: boolean): Alarm {
  const a: Alarm = {
    active: wasRaised(ch, code),
    update: function (v) {
      if (a.active ? (above ? v <= limit - band : v >= limit + band) : above ? v > limit : v < limit) a.set(!a.active, v);
    },
    set: function (on, v) {
      if (on !== a.active) {
        a.active = on;
        raise(ch, code, on, v);
      }
    },
  };
  return a;
}

/** NAMUR NE 43: below 3.6 mA the loop is open (sensor unplugged or broken wire), above 21 mA it is shorted. */
export const MA_OPEN = 3.6;
export const MA_SHORT = 21;

/** Takes n ADC readings spaced `gapMs` apart, then calls done with their median. */
export function sampleAdc(pin: string, n: number, gapMs: number, buf: number[], done: (median: number, last: number) => void): void {
  let i = 0;
  function one(): void {
    buf[i++] = analogRead(pin);
    if (i < n) setTimeout(one, gapMs);
    else {
      const last = buf[n - 1];
      done(median(buf, n), last);
    }
  }
  one();
}

/** Raises EV_SENSOR_FAULT when a channel stops giving good readings, and clears it when they return: call it with each reading's quality. */
export function qualityWatch(ch: number, code: number): (q: number) => void {
  let bad = wasRaised(ch, code);
  return function (q) {
    if ((q !== 0) !== bad) {
      bad = q !== 0;
      raise(ch, code, bad, q);
    }
  };
}
