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

/** Digital levels, analog voltages and watches. */
export class Pins {
  private level = new Map<string, number>();
  private volts = new Map<string, () => number>();
  private modes = new Map<string, string>();
  private faults = new Map<string, Fault>();
  private stuckAt = new Map<string, number>();
  private writeHooks = new Map<string, ((level: number, monoMs: number) => void)[]>();
  private watches: Watch[] = [];
  private nextWatch = 1;

  constructor(private readonly clock: VirtualClock, private readonly rng: Prng, private readonly vref: number, private readonly deliver: Deliver) {}

  /** Drops what belongs to the running program (watches, modes, hooks stay with the world). */
  resetProgramState(): void {
    this.watches = [];
    this.modes.clear();
  }

  // --- world side
  setVolts(pin: string, v: number | (() => number)): void {
    this.volts.set(pin, typeof v === "number" ? () => v : v);
  }
  /** The world drives a digital input. Watches see the edge. */
  setLevel(pin: string, v: number): void {
    const old = this.level.get(pin) ?? 0;
    this.level.set(pin, v ? 1 : 0);
    if (old !== (v ? 1 : 0)) this.edge(pin, v ? 1 : 0);
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
  levelOf(pin: string): number {
    return this.level.get(pin) ?? 0;
  }
  modeOf(pin: string): string | undefined {
    return this.modes.get(pin);
  }
  get watchCount(): number {
    return this.watches.length;
  }

  // --- program side
  pinMode(pin: string, mode: string | undefined): void {
    this.modes.set(pin, mode ?? "input");
  }
  digitalRead(pin: string): number {
    const f = this.faults.get(pin);
    if (f && f.kind === "unplugged") return this.rng.int(2);
    return this.levelOf(pin);
  }
  digitalWrite(pin: string, v: number): void {
    if (!this.modes.has(pin) || this.modes.get(pin) === "input") this.modes.set(pin, "output");
    this.level.set(pin, v);
    for (const h of this.writeHooks.get(pin) ?? []) h(v, this.clock.mono);
  }
  digitalPulse(pin: string, v: number, ms: number): void {
    this.digitalWrite(pin, v);
    this.clock.schedule(ms, () => this.digitalWrite(pin, v ? 0 : 1));
  }
  /** analogRead: 0..1 of the ADC's full scale. */
  analogRead(pin: string): number {
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
    const w: Watch = { id: this.nextWatch++, pin, fn, edge, repeat: !!opts.repeat, debounceMs: opts.debounce ?? 0, lastState: this.levelOf(pin), lastTime: this.clock.wall / 1000, pending: false };
    this.watches.push(w);
    return w.id;
  }
  clearWatch(id?: number): void {
    if (id === undefined) this.watches = [];
    else this.watches = this.watches.filter((w) => w.id !== id);
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
          const s = this.levelOf(pin);
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
      if (this.baud) this.receive(this.name, s);
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
