/**
 * What every driver shares: option checks that name the field, pin claims,
 * a median filter, a stuck detector, hysteresis alarms and 4–20 mA inputs.
 */
import type { FirmwareHw, SensorPort } from "../../boards/types";
import { emitEvent } from "../readings/reading";

/** Throws an error whose message names the configuration field. */
export function bad(field: string, what: string): never {
  throw new Error(field + ": " + what);
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

/** Takes a pin of a port for one sensor; refuses a port without it or a pin already taken. */
export function claim(hw: FirmwareHw, portId: number, pin: "adc" | "gpio" | "gpio2" | "onewire" | "uart", field: string): string {
  let port: SensorPort | undefined;
  for (let i = 0; i < hw.ports.length; i++) if (hw.ports[i].id === portId) port = hw.ports[i];
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

export function portOf(hw: FirmwareHw, portId: number): SensorPort {
  for (let i = 0; i < hw.ports.length; i++) if (hw.ports[i].id === portId) return hw.ports[i];
  throw new Error("no port " + portId);
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
 * repeats the exact raw value `limit` times in a row is stuck.
 */
export class StuckDetector {
  private last = NaN;
  private same = 0;
  constructor(private readonly limit: number) {}
  /** True when this raw value makes the signal stuck. */
  update(raw: number): boolean {
    if (raw === this.last) this.same++;
    else {
      this.same = 1;
      this.last = raw;
    }
    return this.limit > 0 && this.same >= this.limit;
  }
}

/**
 * An alarm with hysteresis: raised when the value passes `limit`, cleared
 * only when it is back by `band` — no flapping around the limit.
 */
export class Alarm {
  active = false;
  constructor(
    private readonly ch: number,
    private readonly code: number,
    private readonly limit: number,
    private readonly band: number,
    private readonly above: boolean,
  ) {}
  update(v: number): void {
    const over = this.above ? v > this.limit : v < this.limit;
    const back = this.above ? v <= this.limit - this.band : v >= this.limit + this.band;
    if (!this.active && over) {
      this.active = true;
      emitEvent(this.ch, this.code, 1, v);
    } else if (this.active && back) {
      this.active = false;
      emitEvent(this.ch, this.code, 0, v);
    }
  }
  /** Raise or clear on a condition that is already debounced by the caller. */
  set(on: boolean, v: number): void {
    if (on !== this.active) {
      this.active = on;
      emitEvent(this.ch, this.code, on ? 1 : 0, v);
    }
  }
}

/** NAMUR NE 43: below 3.6 mA the loop is open (sensor unplugged or broken wire), above 21 mA it is shorted. */
export const MA_OPEN = 3.6;
export const MA_SHORT = 21;

/** Loop current in mA from an ADC reading across the port's shunt. */
export function milliamps(hw: FirmwareHw, adcFraction: number, shuntOhms: number): number {
  return ((adcFraction * hw.vref) / shuntOhms) * 1000;
}

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

/** Raises EV_SENSOR_FAULT when a channel stops giving good readings, and clears it when they return. */
export class QualityWatch {
  private bad = false;
  constructor(private readonly ch: number, private readonly code: number) {}
  update(q: number): void {
    if ((q !== 0) !== this.bad) {
      this.bad = q !== 0;
      emitEvent(this.ch, this.code, this.bad ? 1 : 0, q);
    }
  }
}
