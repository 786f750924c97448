/**
 * The outside world of the simulated board: pin levels and voltages, serial
 * lines, I2C and OneWire devices, each with the faults a field install sees.
 * Sensor models (scripts/sim/models/) drive these; the realm reads them.
 */
import { Prng } from "./prng";
import { VirtualClock } from "./clock";

export type Fault =
  | { kind: "unplugged" }
  | { kind: "stuck" }
  | { kind: "noisy"; sigma: number };

export interface Watch {
  id: number;
  pin: string;
  fn: unknown;
  edge: "rising" | "falling" | "both";
  repeat: boolean;
  debounceMs: number;
  lastState: number;
  lastTime: number;
  pending: boolean;
}

type Deliver = (fn: unknown, args: unknown[]) => void;

/** What the pins of a build do (boards/types.ts, BuildPins): which have an ADC, which are negated. */
export interface PinRules {
  adc?: readonly string[];
  negated?: readonly string[];
}

/**
 * Digital levels, analog voltages and watches, as the line sees them and as
 * the build reports them. A line's level is what the firmware drives on it
 * (an output), else what the world drives (a contact closed, a sensor's
 * output), else its pull resistor, else low. On a pin the build marks
 * NEGATED, digitalRead and digitalWrite invert it and the pulls swap
 * (nrf5x/jshardware.c:1161-1200, esp32/jshardware.c:304-319, 371, 391); on a
 * pin without an ADC, analogRead gives NaN (nrf5x/jshardware.c:1410,
 * esp32/jshardware.c:396-398).
 */
export class Pins {
  /** What the world drives on a line; absent: nothing (an open contact). */
  private drive = new Map<string, number>();
  /** What the firmware drives on a line, as a level on the wire. */
  private out = new Map<string, number>();
  private volts = new Map<string, () => number>();
  private modes = new Map<string, string>();
  private faults = new Map<string, Fault>();
  private stuckAt = new Map<string, number>();
  private writeHooks = new Map<string, ((level: number, monoMs: number) => void)[]>();
  private watches: Watch[] = [];
  private nextWatch = 1;
  private readonly negated: Set<string>;
  private readonly adc: Set<string> | null;

  constructor(private readonly clock: VirtualClock, private readonly rng: Prng, private readonly vref: number, private readonly deliver: Deliver, rules: PinRules = {}) {
    this.negated = new Set(rules.negated ?? []);
    this.adc = rules.adc ? new Set(rules.adc) : null;
  }

  /** Drops what belongs to the running program (watches, modes, outputs; hooks stay with the world). */
  resetProgramState(): void {
    this.watches = [];
    this.modes.clear();
    this.out.clear();
  }

  isNegated(pin: string): boolean {
    return this.negated.has(pin);
  }
  hasAdc(pin: string): boolean {
    return !this.adc || this.adc.has(pin);
  }

  // --- world side
  setVolts(pin: string, v: number | (() => number)): void {
    this.volts.set(pin, typeof v === "number" ? () => v : v);
  }
  /** The world drives the line to this level (a sensor's output, a contact closed to a supply rail). Watches see the edge. */
  setLevel(pin: string, v: number): void {
    this.change(pin, () => this.drive.set(pin, v ? 1 : 0));
  }
  /** The world lets go of the line (a contact opens): its pull resistor, if any, decides the level. */
  release(pin: string): void {
    this.change(pin, () => this.drive.delete(pin));
  }
  /** A contact between the line and ground (or `to` 1, the supply): closed drives it, open lets it go. */
  contact(pin: string, closed: boolean, to = 0): void {
    if (closed) this.setLevel(pin, to);
    else this.release(pin);
  }
  onWrite(pin: string, hook: (level: number, monoMs: number) => void): void {
    const l = this.writeHooks.get(pin) ?? [];
    l.push(hook);
    this.writeHooks.set(pin, l);
  }
  setFault(pin: string, f: Fault | null): void {
    if (f) this.faults.set(pin, f);
    else this.faults.delete(pin);
    this.stuckAt.delete(pin);
  }
  /**
   * The level on the wire. An analog source counts as high above half the
   * reference; it is sampled (and draws its noise) only when `analog` is set,
   * so that watching a line never moves the PRNG.
   */
  levelOf(pin: string, analog = true): number {
    const o = this.out.get(pin);
    if (o !== undefined) return o;
    const d = this.drive.get(pin);
    if (d !== undefined) return d;
    const src = analog ? this.volts.get(pin) : undefined;
    if (src) return src() > this.vref / 2 ? 1 : 0;
    const m = this.modes.get(pin);
    const up = m === "input_pullup" ? 1 : m === "input_pulldown" ? 0 : -1;
    if (up < 0) return 0;
    // The build swaps the pulls of a negated pin (nrf5x/jshardware.c:1197-1200).
    return this.negated.has(pin) ? 1 - up : up;
  }
  /** The level as the build reports it: digitalRead, and the state a watch sees. */
  read(pin: string, analog = true): number {
    const l = this.levelOf(pin, analog);
    return this.negated.has(pin) ? 1 - l : l;
  }
  modeOf(pin: string): string | undefined {
    return this.modes.get(pin);
  }
  get watchCount(): number {
    return this.watches.length;
  }

  // --- program side
  pinMode(pin: string, mode: string | undefined): void {
    this.change(pin, () => {
      // pinMode(pin) without a mode changes nothing but lets later calls set the state (jswrap_io.c:500-505).
      if (mode === undefined || mode === "auto") return;
      this.modes.set(pin, mode);
      if (mode !== "output" && mode !== "opendrain") this.out.delete(pin);
    });
  }
  digitalRead(pin: string): number {
    const f = this.faults.get(pin);
    if (f && f.kind === "unplugged") return this.rng.int(2);
    return this.read(pin);
  }
  digitalWrite(pin: string, v: number): void {
    const level = this.negated.has(pin) ? 1 - v : v;
    this.change(pin, () => {
      if (!this.modes.has(pin) || this.modes.get(pin) === "input") this.modes.set(pin, "output");
      this.out.set(pin, level);
    });
    for (const h of this.writeHooks.get(pin) ?? []) h(level, this.clock.mono);
  }
  digitalPulse(pin: string, v: number, ms: number): void {
    this.digitalWrite(pin, v);
    this.clock.schedule(ms, () => this.digitalWrite(pin, v ? 0 : 1));
  }
  /** analogRead: 0..1 of the ADC's full scale; NaN on a pin without an ADC. */
  analogRead(pin: string): number {
    if (!this.hasAdc(pin)) return NaN;
    const f = this.faults.get(pin);
    let v: number;
    if (f && f.kind === "unplugged") v = 0.002 * this.rng.next() * this.vref; // input pulled down, a few mV of pickup
    else {
      const src = this.volts.get(pin);
      v = src ? src() : 0;
      if (f && f.kind === "stuck") {
        if (!this.stuckAt.has(pin)) this.stuckAt.set(pin, v);
        v = this.stuckAt.get(pin)!;
      } else if (f && f.kind === "noisy") v += f.sigma * this.rng.gauss();
    }
    const r = v / this.vref;
    // 12-bit converter: the board never reports finer steps than that.
    return Math.round(Math.min(1, Math.max(0, r)) * 4095) / 4095;
  }
  setWatch(fn: unknown, pin: string, opts: { edge?: string; repeat?: boolean; debounce?: number }): number {
    const edge = opts.edge === "rising" || opts.edge === "falling" ? opts.edge : "both";
    const w: Watch = { id: this.nextWatch++, pin, fn, edge, repeat: !!opts.repeat, debounceMs: opts.debounce ?? 0, lastState: this.read(pin, false), lastTime: this.clock.wall / 1000, pending: false };
    this.watches.push(w);
    return w.id;
  }
  clearWatch(id?: number): void {
    if (id === undefined) this.watches = [];
    else this.watches = this.watches.filter((w) => w.id !== id);
  }

  /** Runs a change to a line; a watch sees the level the build reports change, if it does. */
  private change(pin: string, fn: () => void): void {
    const before = this.read(pin, false);
    fn();
    const after = this.read(pin, false);
    if (after !== before) this.edge(pin, after);
  }

  private edge(pin: string, state: number): void {
    for (const w of this.watches.slice()) {
      if (w.pin !== pin) continue;
      if (w.debounceMs > 0) {
        // Espruino's debounce: the line must stay put for the debounce time before the change is reported.
        if (w.pending) continue;
        w.pending = true;
        this.clock.schedule(w.debounceMs, () => {
          w.pending = false;
          const s = this.read(pin, false);
          if (s !== w.lastState) this.fire(w, s);
        });
      } else this.fire(w, state);
    }
  }

  /**
   * Espruino's reference: lastTime is when the pin last changed state, which
   * with an edge filter is not when the callback last ran.
   */
  private fire(w: Watch, state: number): void {
    const prev = w.lastState;
    w.lastState = state;
    if (state === prev) return;
    const time = this.clock.wall / 1000;
    const lastTime = w.lastTime;
    w.lastTime = time;
    if ((w.edge === "rising" && !state) || (w.edge === "falling" && state)) return;
    if (!this.watches.includes(w)) return;
    if (!w.repeat) this.clearWatch(w.id);
    this.deliver(w.fn, [{ state: !!state, time, lastTime, pin: w.pin }]);
  }
}

/** One serial line. The device model on the far end sees what the firmware writes, and answers. */
export class Uart {
  baud = 0;
  opts: unknown = null;
  /** Whether setup gave the line a receive pin and a transmit pin the build has (nrf5x/jshardware.c:1942-1943). */
  rxOn = true;
  txOn = true;
  unplugged = false;
  private listeners: ((bytes: Uint8Array, monoMs: number) => void)[] = [];
  private listenHooks: ((listening: boolean) => void)[] = [];
  /** Whether the firmware has a 'data' listener on this line. */
  listening = false;
  /** Bytes the firmware wrote, for tests. */
  readonly txLog: Uint8Array[] = [];

  constructor(readonly name: string, private readonly clock: VirtualClock, private readonly rng: Prng, private readonly receive: (name: string, s: string) => void) {}

  /** The device model hears what the firmware sends. */
  onTx(fn: (bytes: Uint8Array, monoMs: number) => void): void {
    this.listeners.push(fn);
  }
  /** A streaming device model starts and stops with the firmware's listening. */
  onListen(fn: (listening: boolean) => void): void {
    this.listenHooks.push(fn);
  }
  setListening(on: boolean): void {
    if (on === this.listening) return;
    this.listening = on;
    for (const h of this.listenHooks) h(on);
  }
  /** The device sends bytes, arriving after `delayMs` (at least one event-loop turn). */
  send(data: Uint8Array | string, delayMs = 0): void {
    if (this.unplugged) return;
    const s = typeof data === "string" ? data : String.fromCharCode(...data);
    this.clock.schedule(delayMs, () => {
      if (this.baud && this.rxOn) this.receive(this.name, s);
    });
  }
  /** n random bytes on the line: a loose connector, a wrong baud rate, interference. */
  garbage(n: number, delayMs = 0): void {
    this.send(this.rng.bytes(n), delayMs);
  }
  // program side
  write(bytes: Uint8Array): void {
    this.txLog.push(bytes);
    if (this.unplugged) return;
    for (const l of this.listeners) l(bytes, this.clock.mono);
  }
}

export interface I2cDevice {
  write(bytes: Uint8Array): void;
  read(n: number): Uint8Array;
}

export interface OneWireDevice {
  /** 8 ROM bytes: family code first, CRC last. */
  rom: Uint8Array;
  /** A command sequence for this device after select/skip. */
  write(bytes: Uint8Array): void;
  read(n: number): Uint8Array;
  present?: () => boolean;
}

export function romToString(rom: Uint8Array): string {
  return Array.from(rom, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A OneWire bus on one pin. */
export class OneWireBus {
  readonly devices: OneWireDevice[] = [];
  private selected: OneWireDevice[] = [];
  constructor(private readonly rng: Prng) {}
  unplugged = false;
  private live(): OneWireDevice[] {
    return this.unplugged ? [] : this.devices.filter((d) => !d.present || d.present());
  }
  reset(): boolean {
    this.selected = [];
    return this.live().length > 0;
  }
  search(): string[] {
    return this.live().map((d) => romToString(d.rom));
  }
  select(rom: string): void {
    this.selected = this.live().filter((d) => romToString(d.rom) === rom.toLowerCase());
  }
  skip(): void {
    this.selected = this.live();
  }
  write(bytes: Uint8Array): void {
    for (const d of this.selected) d.write(bytes);
  }
  read(n: number): Uint8Array {
    // An idle bus reads all ones; several devices answering pull the bits low together.
    const out = new Uint8Array(n).fill(0xff);
    for (const d of this.selected) {
      const b = d.read(n);
      for (let i = 0; i < n; i++) out[i] &= b[i];
    }
    return out;
  }
}
