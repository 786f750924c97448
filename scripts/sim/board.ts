/**
 * The simulated board: an Espruino-shaped realm running a built bundle from
 * simulated Storage, on virtual time, with the outside world and its faults.
 * This is the API the tests drive; docs/simulator.md describes it.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import v8 from "node:v8";
import vm from "node:vm";
import zlib from "node:zlib";
import { boardById, type Board } from "../../boards/index";
import type { BoardFlash } from "../../boards/types";
import { Flash, PowerCut, type PowerCutPlan } from "./flash";
import { FlashDriver, makeFlash } from "./flash-driver";
import { flashModule } from "./flash-api";
import { SimStorage, SimStorageFile, bytesToString, dataToBytes } from "./storage";
import { VirtualClock, type ClockEvent } from "./clock";
import { Prng } from "./prng";
import { Pins, Uart, OneWireBus, type Fault, type I2cDevice } from "./peripherals";
import { createRealm, type RealmHandle, type RealmHost } from "./realm";
import { WifiModel } from "./wifi";
import { cryptoHost } from "./crypto";
import { outerScope, jsVarsOf } from "./scope";
import { NetModel, HttpModel } from "./net";
import { FILE } from "../../src/store/storage-layout";
import { appFiles } from "../budget";
import { compress, decompress } from "../heatshrink";

export const DIST = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../../dist");
/** 2026-06-01T00:00:00Z: simulated boards start on a fixed date so runs repeat exactly. */
export const SIM_EPOCH_MS = Date.UTC(2026, 5, 1);

export interface SimOptions {
  board: string | Board;
  seed?: number;
  /** Directory with built bundles (dist/ by default). */
  dist?: string;
  /** Called with every line the firmware prints, as it prints it. */
  onLine?: (line: string, board: SimBoard) => void;
  /** Die temperature E.getTemperature() reports, °C. */
  dieTemperature?: number;
  /** Flash geometry and rules in place of the board's own (e.g. LINUX_FLASH: 1 KB pages). */
  flash?: BoardFlash;
  /**
   * false: boot without the two garbage collections that give memory() its
   * baseline, which cost more the more the test holds. For boards booted by
   * the hundred that never ask memory() (power-cut replays).
   */
  memoryBaseline?: boolean;
  /** process.env.VERSION: another interpreter release than 2v29, for tests of tools that must refuse it. */
  espruinoVersion?: string;
}

export interface ConsoleLine {
  t: number; // monotonic ms
  text: string;
}

export type ResetCause = "power-on" | "software" | "watchdog" | "power-cut";

/** The interpreter's tag and commit (RELEASE_2V29; process.env.GIT_COMMIT of the Linux build). */
export const ESPRUINO_VERSION = "2v29";
const ESPRUINO_COMMIT = "da9319d";

/**
 * process.env.CONSOLE: the console device each build talks on to a
 * technician's laptop (boards/ESP32.py 51, boards/XIAOBLE.py 36). The
 * NRF52840DK build starts on Serial1 (boards/NRF52840DK.py 23) and moves to
 * USB when the nRF USB port is plugged in (-DUSB, line 43), else Serial1
 * through the J-Link; feldgate's DK puts its Wio-E5 on Serial2, and the
 * technician uses the nRF USB port. The
 * Linux build's console over TCP is its telnet server.
 */
const CONSOLE_DEVICE: Record<string, string> = { ESP32: "Serial1", NRF52840DK: "USB", XIAOBLE: "USB", LINUX: "Telnet" };

/** What a console attached to the board (scripts/sim/console.ts) is told by the interpreter's own functions. */
export interface ConsoleHooks {
  /** echo(on) was called. */
  echo(on: boolean): void;
  /** reset() or load() has restarted the interpreter. */
  restarted(how: "reset" | "load"): void;
}

let gcFn: (() => void) | null = null;
function collectGarbage(): void {
  if (!gcFn) {
    v8.setFlagsFromString("--expose-gc");
    gcFn = vm.runInNewContext("gc") as () => void;
  }
  gcFn();
}

function crc32(b: Uint8Array): number {
  return zlib.crc32(b) >>> 0;
}

export class SimBoard {
  readonly board: Board;
  readonly flash: Flash;
  /** The build's jshFlash* functions over `flash`. */
  readonly flashDriver: FlashDriver;
  readonly storage: SimStorage;
  readonly clock: VirtualClock;
  readonly rng: Prng;
  readonly pins: Pins;
  readonly wifi: WifiModel;
  readonly net: NetModel;
  readonly http: HttpModel;
  readonly console: ConsoleLine[] = [];
  readonly errors: { t: number; message: string; stack: string }[] = [];
  readonly resets: { t: number; cause: ResetCause }[] = [];
  powered = false;
  private realm: RealmHandle | null = null;
  private uarts = new Map<string, Uart>();
  private i2c = new Map<number, I2cDevice>();
  private i2cSetup = new Set<string>();
  private onewire = new Map<string, OneWireBus>();
  private timers = new Map<number, { ev: ClockEvent; fn: unknown; args: unknown[]; ms: number; repeat: boolean }>();
  private nextTimer = 1;
  private bootMono = 0;
  private watchdog: { timeoutMs: number; auto: boolean; ev?: ClockEvent; kickedAt?: number } | null = null;
  private pendingReset: ResetCause | null = null;
  /** reset() or load(file) called: done when the interpreter is next idle (jsinteractive.c 2609-2640). */
  private pendingRestart: { how: "reset" } | { how: "load"; file: string } | null = null;
  /** Every line the interpreter prints, for a console attached to the board. */
  readonly outputListeners = new Set<(text: string) => void>();
  consoleHooks: ConsoleHooks | null = null;
  /**
   * The console password (E.setPassword): a hidden variable in RAM
   * (jswrap_espruino.c 2190-2195, jsinteractive.h 150), so reset() and load()
   * (jsvReset, jsinteractive.c 2612, 2637, 2648) and power-on lose it; only
   * save() would keep it, and feldgate never saves.
   */
  consolePassword: string | undefined = undefined;
  /**
   * JSIS_PASSWORD_PROTECTED: the console takes nothing but the password.
   * E.lockConsole sets it when a password is set (jswrap_espruino.c
   * 2208-2214); reset() and load() keep it (JSIS_SOFTINIT_MASK,
   * jsinteractive.h 177; jsinteractive.c 848), power-on clears it (jsiInit,
   * jsinteractive.c 974).
   */
  consoleLocked = false;
  private heapBaseline = 0;
  private readonly dist: string;
  private readonly opts: SimOptions;
  dieTemperature: number;
  /** The chip's serial number (process.env.SERIAL), fixed by board and seed. */
  readonly serial: string;

  constructor(opts: SimOptions) {
    this.opts = opts;
    this.board = typeof opts.board === "string" ? boardById(opts.board) : opts.board;
    this.dist = opts.dist ?? DIST;
    this.rng = new Prng(opts.seed ?? 1);
    const fc = opts.flash ?? this.board.flash;
    this.flashDriver = makeFlash(fc, this.board.storage.bytes);
    this.flash = this.flashDriver.flash;
    this.storage = new SimStorage(this.flashDriver, { start: fc.storageStart, bytes: this.board.storage.bytes, align: this.board.storage.align });
    this.storage.log = (t) => this.log(t);
    this.clock = new VirtualClock(SIM_EPOCH_MS);
    this.pins = new Pins(this.clock, this.rng, this.board.hw.vref, (fn, args) => this.dispatch(fn, args), this.board.pins);
    this.wifi = new WifiModel(this.clock, (fn, args) => this.dispatch(fn, args));
    this.net = new NetModel((fn, args) => this.dispatch(fn, args));
    this.http = new HttpModel((fn, args) => this.dispatch(fn, args));
    // Without Wi-Fi there is no TCP: connections close with the station, and new ones fail.
    if (this.board.hw.wifi) {
      this.net.online = () => this.wifi.connected;
      this.http.online = () => this.wifi.connected;
      this.wifi.onDrop = () => this.net.closeAll();
    }
    this.dieTemperature = opts.dieTemperature ?? 31;
    this.serial = crypto.createHash("sha256").update(`${this.board.id}/${opts.seed ?? 1}`).digest("hex").slice(0, 16);
  }

  // ------------------------------------------------------------------ flashing and provisioning

  /** Writes the loader and the board's bundle into Storage, as flashing a board over USB does. */
  install(bundle?: string): void {
    const app = bundle ?? fs.readFileSync(path.join(this.dist, `${this.board.id}.js`), "latin1");
    const loader = fs.readFileSync(path.join(this.dist, "loader.js"), "latin1");
    const files = appFiles(this.board, new Uint8Array(Buffer.from(app, "latin1")));
    this.storage.write(FILE.bootCtl, files.boot);
    this.storage.write(FILE.appA, files.appA);
    this.storage.write(FILE.bootCode, loader);
  }

  /** Writes the site configuration, as provisioning a board does. */
  writeSite(site: unknown): void {
    this.storage.write(FILE.site, JSON.stringify(site));
  }

  /** Writes the device identity record, as provisioning a board does. */
  writeIdentity(identity: unknown): void {
    this.storage.write(FILE.identity, JSON.stringify(identity));
  }

  // ------------------------------------------------------------------ power and resets

  /** Power on: a fresh interpreter runs the boot code from Storage. */
  boot(cause: ResetCause = "power-on"): void {
    this.teardown();
    this.flash.dead = false;
    this.powered = true;
    this.bootMono = this.clock.mono;
    this.resets.push({ t: this.clock.mono, cause });
    const exact = this.opts.memoryBaseline !== false;
    if (exact) collectGarbage();
    const heapBefore = v8.getHeapStatistics().used_heap_size;
    this.realm = this.newRealm();
    if (exact) collectGarbage();
    this.heapBaseline = Math.max(heapBefore, v8.getHeapStatistics().used_heap_size);
    // jsiInit (jsinteractive.c 974): a fresh status, no password in RAM, the console open.
    this.consoleLocked = false;
    this.consolePassword = undefined;
    if (!this.storage.isValid()) {
      // What the interpreter does at boot (jsinteractive.c): a corrupt Storage is erased, code and all.
      this.log("Storage is corrupt.");
      this.guard(() => this.storage.eraseAll());
    }
    // .bootPowerOn runs at the first boot after a chip reset (JSIS_FIRST_BOOT; every cause boot()
    // stands for), before .bootcde, and on these builds even with BTN1 held (jsflash.c 1409-1426:
    // only Bangle.js checks the button there). reset() and load() clear JSIS_FIRST_BOOT
    // (jsiSoftKill, jsinteractive.c 836-837) and so never run it.
    const powerOn = this.storage.read(FILE.powerOn);
    if (powerOn !== undefined) this.guard(() => this.realm!.run(powerOn, FILE.powerOn));
    if (!this.powered) return;
    if (this.autoloadHeld()) {
      this.log(`[sim] BTN1 (${this.board.pins.autoload}) read pressed at reset: .bootcde not run`);
      return;
    }
    const code = this.storage.read(FILE.bootCode);
    if (code !== undefined) this.guard(() => this.realm!.run(code, FILE.bootCode));
    this.afterTurn();
  }

  /**
   * A fresh interpreter in the running board, as reset() and load() make one
   * (jsinteractive.c 2609-2640): timers, watches and RAM go, the hardware
   * and the clock stay. load() then runs the file (.bootcde by default).
   */
  private restartInterpreter(file?: string): void {
    // The watchdog is hardware and goes on counting: its auto flag survives (JSIS_SOFTINIT_MASK,
    // jsinteractive.h 167, 177; jsinteractive.c 848), and nothing stops the nRF52's once it runs
    // (nrf5x/jshardware.c 1748-1753). A manual one not kicked after reset() bites.
    const wd = this.watchdog;
    this.teardown();
    if (wd) {
      this.watchdog = wd;
      if (!wd.auto) this.armWatchdog(Math.max(0, wd.timeoutMs - (this.clock.mono - (wd.kickedAt ?? this.clock.mono))));
    }
    this.consolePassword = undefined; // jsvReset: every variable goes, hidden ones too; the lock stays
    this.realm = this.newRealm();
    if (file !== undefined) {
      const code = this.storage.read(file);
      if (code !== undefined) this.guard(() => this.realm!.run(code, file));
    }
  }

  private newRealm(): RealmHandle {
    const realm = createRealm(this.host());
    // The interpreter's console functions (jswrap_interactive.c): reset(), load(), echo().
    const install = vm.runInContext(
      `(function (H, G) {
        function fn(name, f) { Object.defineProperty(G, name, { value: f, writable: true, configurable: true, enumerable: false }); }
        fn("reset", function (clearFlash) { H.reset(!!clearFlash); });
        fn("load", function (file) { H.load(file === undefined ? ".bootcde" : String(file)); });
        fn("echo", function (on) { H.echo(!!on); });
      })`,
      realm.context,
    ) as (h: unknown, g: unknown) => void;
    install(
      {
        reset: (clearFlash: boolean) => {
          // reset(true) erases the saved code as well (jswrap_interactive.c 225-228, jsflash.c 1467-1475).
          if (clearFlash) {
            this.log("Erasing saved code.");
            for (const f of [".varimg", FILE.bootCode, ".bootrst"]) if (this.storage.read(f) !== undefined) this.storage.erase(f);
            this.log("Done!");
          }
          this.pendingRestart = { how: "reset" };
        },
        load: (file: string) => {
          this.pendingRestart = { how: "load", file };
        },
        echo: (on: boolean) => this.consoleHooks?.echo(on),
      },
      vm.runInContext("this", realm.context),
    );
    return realm;
  }

  /**
   * Runs a line typed at the console, as the interpreter's REPL evaluates it
   * (jsinteractive.c 1525-1560): its value, or what it threw. Errors typed at
   * the console are the console's to print, not the firmware's. What the line
   * asks for at idle waits for idle().
   */
  consoleEval(code: string): { ok: true; value: unknown } | { ok: false; error: unknown } {
    if (!this.realm || !this.powered) return { ok: false, error: new Error("the board is not running") };
    const realm = this.realm;
    let out: { ok: true; value: unknown } | { ok: false; error: unknown } = { ok: true, value: undefined };
    this.guard(() => {
      try {
        const value: unknown = vm.runInContext(code, realm.context, { filename: "REPL" });
        // A view of flash is a string on the interpreter, and the REPL shows it as one.
        out = { ok: true, value: realm.isView(value) ? String(value) : value };
      } catch (e) {
        if (e instanceof PowerCut || (e && (e as Error).name === "PowerCut")) throw e;
        out = { ok: false, error: e };
      }
    });
    return out;
  }

  /** The interpreter is idle again after a console line: a reset(), load() or E.reboot() it asked for happens now. */
  idle(): void {
    this.afterTurn();
  }

  /**
   * Whether the build's BTN1 reads pressed as it resets: nrf5x/main.c:30-37
   * reads it at every reset (power-on, E.reboot, the watchdog), with the pin
   * state jsdevices.c:155-162 gives it, and then skips .bootcde
   * (jsinteractive.c:885, 904; jsflash.c:1403-1406).
   */
  private autoloadHeld(): boolean {
    const btn = this.board.pins.autoload;
    if (!btn) return false;
    this.pins.pinMode(btn, "input_pulldown");
    return this.pins.read(btn) === 1;
  }

  /** Cuts power now. RAM is lost; Storage keeps what reached it. */
  powerOff(): void {
    this.teardown();
    this.powered = false;
  }

  /** Arms a power cut at the N-th flash operation from now, torn at byte K. */
  armPowerCut(plan: PowerCutPlan | null): void {
    this.flash.armPowerCut(plan);
  }

  private teardown(): void {
    for (const t of this.timers.values()) this.clock.cancel(t.ev);
    this.timers.clear();
    if (this.watchdog) this.clock.cancel(this.watchdog.ev);
    this.watchdog = null;
    this.pins.resetProgramState();
    for (const u of this.uarts.values()) {
      u.baud = 0;
      u.setListening(false);
    }
    this.i2cSetup.clear();
    this.storage.forgetViews();
    this.wifi.resetProgramState();
    if (this.net) this.net.closeAll();
    this.realm = null;
    this.pendingReset = null;
    this.pendingRestart = null;
  }

  /** Runs host work that may hit a power cut; a cut powers the board off. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      if (!(e instanceof PowerCut)) throw e;
    }
    // The firmware may have caught the cut; power is gone all the same.
    if (this.flash.dead && this.powered) this.powerCutNow();
  }

  private powerCutNow(): void {
    this.console.push({ t: this.clock.mono, text: `[sim] power cut during flash operation #${this.flash.opsCounted}` });
    this.teardown();
    this.powered = false;
  }

  private afterTurn(): void {
    if (this.pendingReset && this.powered) {
      const cause = this.pendingReset;
      this.boot(cause);
    } else if (this.pendingRestart && this.powered) {
      const r = this.pendingRestart;
      this.restartInterpreter(r.how === "load" ? r.file : undefined);
      if (this.consoleHooks) this.consoleHooks.restarted(r.how);
      this.afterTurn();
    }
  }

  // ------------------------------------------------------------------ time

  /** Runs virtual time forward by ms, firing everything due on the way. */
  advance(ms: number): void {
    const limit = this.clock.mono + ms;
    while (this.clock.step(limit)) {
      /* each step runs one event */
    }
    this.clock.mono = limit;
  }

  /**
   * Lets virtual time pass in steps while real time passes too, so that real
   * network traffic (the `net` module) arrives: `ratio` virtual ms per real ms.
   */
  async runRealtime(ms: number, ratio = 200, stepMs = 200): Promise<void> {
    const end = this.clock.mono + ms;
    while (this.clock.mono < end) {
      // While the firmware waits for an answer on the wire, its clock waits too (up to 250 ms of
      // real time): the wire is real and slow next to a clock that runs thousands of times faster.
      const w = this.net.waitingSince || this.http.waitingSince;
      if (w && Date.now() - w < 250) {
        await new Promise((r) => setTimeout(r, 1));
        continue;
      }
      this.advance(Math.min(stepMs, end - this.clock.mono));
      await new Promise((r) => setTimeout(r, Math.max(1, Math.round(stepMs / ratio))));
    }
  }

  /** Runs until the predicate holds or maxMs pass. Returns whether it held. */
  runUntil(pred: () => boolean, maxMs: number): boolean {
    const limit = this.clock.mono + maxMs;
    while (!pred()) {
      if (!this.clock.step(limit)) {
        this.clock.mono = limit;
        return pred();
      }
    }
    return true;
  }

  /** The wall clock jumps (an NTP correction, a bad RTC): Date and getTime() move, timers do not. */
  jumpClock(ms: number): void {
    this.clock.wallOffset += ms;
  }

  get uptimeMs(): number {
    return this.clock.mono - this.bootMono;
  }

  // ------------------------------------------------------------------ the world

  uart(name: string): Uart {
    let u = this.uarts.get(name);
    if (!u) {
      u = new Uart(name, this.clock, this.rng, (n, s) => this.serialReceive(n, s));
      this.uarts.set(name, u);
    }
    return u;
  }

  attachI2c(addr: number, dev: I2cDevice): void {
    this.i2c.set(addr, dev);
  }

  oneWire(pin: string): OneWireBus {
    let b = this.onewire.get(pin);
    if (!b) {
      b = new OneWireBus(this.rng);
      this.onewire.set(pin, b);
    }
    return b;
  }

  /** A fault on a pin's sensor: unplugged, stuck or noisy. null clears it. */
  fault(pin: string, f: Fault | null): void {
    this.pins.setFault(pin, f);
  }

  /** Console lines printed since boot (or all), as text. */
  output(sinceMono = 0): string {
    return this.console
      .filter((l) => l.t >= sinceMono)
      .map((l) => l.text)
      .join("\n");
  }

  /** What process.memory() would report, in JsVars; an estimate from the realm's V8 heap (see docs/simulator.md). */
  memory(): { free: number; usage: number; total: number } {
    collectGarbage();
    const used = Math.max(0, v8.getHeapStatistics().used_heap_size - this.heapBaseline);
    const usage = Math.min(this.board.jsVars, Math.ceil(used / V8_BYTES_PER_JSVAR));
    return { free: this.board.jsVars - usage, usage, total: this.board.jsVars };
  }

  /**
   * JsVars the loader's scope keeps while the firmware runs, per variable
   * (scripts/sim/scope.ts), read through one of the firmware's timers.
   * `arguments` is left out: V8 makes it for a function that calls eval,
   * the interpreter only for one that uses it.
   */
  async loaderRetained(): Promise<{ jsVars: number; vars: Record<string, number> }> {
    const realm = this.realm;
    let scope: Map<string, unknown> | null = null;
    // The first timer of the firmware's own: the realm's shims have their bootstrap (H0) outermost.
    for (const t of this.timers.values()) {
      const s = await outerScope(t.fn).catch(() => null);
      if (s && !s.has("H0")) {
        scope = s;
        break;
      }
    }
    if (!realm || !scope) throw new Error("the firmware runs no timer to read the loader's scope through");
    const vars: Record<string, number> = {};
    let jsVars = 0;
    for (const [name, v] of scope) {
      if (name === "arguments") continue;
      vars[name] = 1 + jsVarsOf(v, (o) => realm.builtin(o), new Set(), (o) => realm.isView(o));
      jsVars += vars[name];
    }
    return { jsVars, vars };
  }

  /** Evaluates source text in the running realm and returns its value: for probes in tests. */
  eval<T>(code: string): T {
    if (!this.realm) throw new Error("the board is not running");
    let out: T | undefined;
    const realm = this.realm;
    // A power cut inside ends the evaluation and powers the board off, as in any other turn.
    this.guard(() => {
      out = vm.runInContext(code, realm.context) as T;
    });
    if (!this.powered) throw new Error("power cut");
    return out as T;
  }

  // ------------------------------------------------------------------ realm plumbing

  private log(text: string): void {
    if (this.flash.dead) return; // power is gone: nothing more reaches the console
    const line = { t: this.clock.mono, text };
    this.console.push(line);
    if (this.opts.onLine) this.opts.onLine(text, this);
    for (const l of this.outputListeners) l(text);
  }

  private dispatch(fn: unknown, args: unknown[]): void {
    if (!this.realm || !this.powered) return;
    this.guard(() => this.realm!.dispatch(fn, args));
    this.afterTurn();
  }

  private serialReceive(name: string, s: string): void {
    const obj = this.realm && (vm.runInContext(name, this.realm.context) as { emit(ev: string, d: string): void });
    if (obj) this.dispatch((d: string) => obj.emit("data", d), [s]);
  }

  /** Kicks the watchdog: it bites `inMs` from now (its timeout unless told). */
  private armWatchdog(inMs?: number): void {
    const w = this.watchdog;
    if (!w || w.auto) return;
    this.clock.cancel(w.ev);
    if (inMs === undefined) w.kickedAt = this.clock.mono;
    w.ev = this.clock.schedule(inMs ?? w.timeoutMs, () => {
      this.log("[sim] watchdog timeout: reset");
      this.boot("watchdog");
    });
  }

  private host(): RealmHost {
    const self = this;
    const toU8 = (d: unknown) => dataToBytes(d);
    return {
      now: () => this.clock.wall,
      uptimeMs: () => this.uptimeMs,
      log: (t) => this.log(t),
      setTimer(fn, ms, repeat, args) {
        const id = self.nextTimer++;
        const arm = (delay: number) => {
          const ev = self.clock.schedule(Math.max(delay, 0), () => {
            const t = self.timers.get(id);
            if (!t) return;
            if (t.repeat) t.ev = arm(t.ms);
            else self.timers.delete(id);
            self.dispatch(fn, args);
          });
          return ev;
        };
        self.timers.set(id, { ev: arm(ms), fn, args, ms, repeat });
        return id;
      },
      clearTimer(id) {
        const t = self.timers.get(id);
        if (t) self.clock.cancel(t.ev);
        self.timers.delete(id);
      },
      changeInterval(id, ms) {
        const t = self.timers.get(id);
        if (!t) return;
        self.clock.cancel(t.ev);
        t.ms = ms;
        t.ev = self.clock.schedule(ms, () => {
          const cur = self.timers.get(id);
          if (!cur) return;
          cur.ev = self.clock.schedule(cur.ms, cur.ev.run);
          self.dispatch(cur.fn, cur.args);
        });
      },
      pinMode: (p, m) => this.pins.pinMode(p, m),
      getPinMode: (p) => this.pins.modeOf(p) ?? "input",
      digitalRead: (p) => this.pins.digitalRead(p),
      digitalWrite: (p, v) => this.pins.digitalWrite(p, v),
      digitalPulse: (p, v, ms) => this.pins.digitalPulse(p, v, ms),
      analogRead: (p) => this.pins.analogRead(p),
      setWatch: (fn, p, o) => this.pins.setWatch(fn, p, o),
      clearWatch: (id) => this.pins.clearWatch(id),
      serialSetup(port, baud, opts, rxOn, txOn) {
        const u = self.uart(port);
        u.baud = baud;
        u.opts = opts;
        u.rxOn = rxOn;
        u.txOn = txOn;
      },
      serialWrite(port, data) {
        if (self.flash.dead) return;
        const u = self.uart(port);
        if (!u.baud || !u.txOn) return; // not set up, or no transmit pin: the bytes go nowhere
        u.write(toU8(data));
      },
      serialListen: (port, n) => this.uart(port).setListening(n > 0),
      i2cSetup: (bus) => void this.i2cSetup.add(bus),
      i2cWrite(bus, addr, data) {
        const d = self.i2c.get(addr);
        if (!self.i2cSetup.has(bus)) throw new Error("I2C not set up");
        if (!d) throw new Error(`I2C Error: No ACK from address 0x${addr.toString(16)}`);
        d.write(toU8(data));
      },
      i2cRead(bus, addr, n) {
        const d = self.i2c.get(addr);
        if (!self.i2cSetup.has(bus)) throw new Error("I2C not set up");
        if (!d) throw new Error(`I2C Error: No ACK from address 0x${addr.toString(16)}`);
        return self.realm!.u8(d.read(n));
      },
      owReset: (p) => this.oneWire(p).reset(),
      owWrite: (p, d) => this.oneWire(p).write(toU8(d)),
      owRead: (p, n) => this.realm!.u8(this.oneWire(p).read(n)),
      owSearch: (p) => this.oneWire(p).search(),
      owSelect: (p, rom) => this.oneWire(p).select(rom),
      owSkip: (p) => this.oneWire(p).skip(),
      temperature: () => this.dieTemperature,
      reboot: () => {
        this.pendingReset = "software";
      },
      setPassword: (p) => {
        this.consolePassword = p;
      },
      lockConsole: () => {
        if (this.consolePassword !== undefined) this.consoleLocked = true;
      },
      kickWatchdog: () => this.armWatchdog(),
      enableWatchdog(timeoutS, isAuto) {
        if (self.watchdog) self.clock.cancel(self.watchdog.ev);
        self.watchdog = { timeoutMs: timeoutS * 1000, auto: isAuto };
        self.armWatchdog();
      },
      memory: () => this.memory(),
      hasModule: (name) => (this.board.modules as readonly string[]).includes(name),
      crypto: cryptoHost(this.board.crypto, (line) => this.log(line)),
      storage: this.storage,
      flashState: this.flash,
      flash: flashModule(this.flashDriver),
      openStorageFile: (name, mode) => new SimStorageFile(this.storage, name, mode),
      modules: {
        Wifi: this.wifi.api,
        net: this.net.api,
        http: this.http.api,
        // heatshrink with Espruino's parameters; results as the realm's own ArrayBuffers.
        heatshrink: {
          compress: (d: unknown) => this.realm!.u8(compress(dataToBytes(d))).buffer,
          decompress: (d: unknown) => this.realm!.u8(decompress(dataToBytes(d))).buffer,
        },
      },
      env: {
        VERSION: this.opts.espruinoVersion ?? ESPRUINO_VERSION,
        GIT_COMMIT: ESPRUINO_COMMIT,
        BOARD: this.board.espruinoBuild,
        STORAGE: this.board.storage.bytes,
        SERIAL: this.serial,
        CONSOLE: CONSOLE_DEVICE[this.board.espruinoBuild] ?? "Serial1",
        MODULES: this.board.modules.join(","),
      },
      pinRules: { count: this.board.pins.count, serials: this.board.pins.serials, target: this.board.pins.target },
      latin1: (b) => bytesToString(b),
      crc32: (b) => crc32(b),
      btoa: (s) => Buffer.from(s, "latin1").toString("base64"),
      atob: (s) => Buffer.from(s, "base64").toString("latin1"),
      uncaught: (e) => {
        if (e instanceof PowerCut || (e && (e as Error).name === "PowerCut")) throw e;
        const err = e as Error;
        const message = err && err.message !== undefined ? `${err.name || "Error"}: ${err.message}` : String(e);
        this.errors.push({ t: this.clock.mono, message, stack: (err && err.stack) || message });
        this.log(`Uncaught ${message}`);
      },
    };
  }
}

/**
 * V8 heap bytes that stand for one JsVar in the estimates. Calibrated on the
 * Espruino 2v29 Linux build: 500 objects of three properties (a number, a
 * short string, a two-element array) took 4508 JsVars there and 109,416 bytes
 * of V8 allocations here, 24 bytes a JsVar. Building a string piece by piece
 * costs far less on Espruino, which appends in place, than V8's count says.
 */
export const V8_BYTES_PER_JSVAR = 24;
