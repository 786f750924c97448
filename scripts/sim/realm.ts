/**
 * A Node `vm` realm shaped like the Espruino 2v29 interpreter: its globals
 * and built-in modules, and none of what it lacks. The API objects are made
 * by a bootstrap that runs inside the realm, so the bundle sees realm-native
 * objects; each calls out to the simulated board through one host object.
 */
import vm from "node:vm";
import { absentGlobals, absentMethodOwners, absentStatics } from "../espruino-profile";
import type { CryptoHost } from "./crypto";

/** What the realm asks of the simulated board. */
export interface RealmHost {
  now(): number; // virtual ms since 1970
  uptimeMs(): number;
  log(text: string): void;
  setTimer(fn: unknown, ms: number, repeat: boolean, args: unknown[]): number;
  clearTimer(id: number): void;
  changeInterval(id: number, ms: number): void;
  pinMode(pin: string, mode: string | undefined): void;
  getPinMode(pin: string): string;
  digitalRead(pin: string): number;
  digitalWrite(pin: string, v: number): void;
  digitalPulse(pin: string, v: number, ms: number): void;
  analogRead(pin: string): number;
  setWatch(fn: unknown, pin: string, opts: { edge?: string; repeat?: boolean; debounce?: number }): number;
  clearWatch(id?: number): void;
  /** baud 0: the line is down (setup failed); rxOn, txOn: which of its pins the build has. */
  serialSetup(port: string, baud: number, opts: unknown, rxOn: boolean, txOn: boolean): void;
  serialWrite(port: string, data: unknown): void;
  serialListen(port: string, listeners: number): void;
  i2cSetup(bus: string, opts: unknown): void;
  i2cWrite(bus: string, addr: number, data: unknown): void;
  i2cRead(bus: string, addr: number, n: number): Uint8Array;
  owReset(pin: string): boolean;
  owWrite(pin: string, data: unknown): void;
  owRead(pin: string, n: number): Uint8Array;
  owSearch(pin: string): string[];
  owSelect(pin: string, rom: string): void;
  owSkip(pin: string): void;
  temperature(): number;
  reboot(): void;
  /** E.setPassword: undefined removes it (jswrap_espruino.c 2190-2195). */
  setPassword(p: string | undefined): void;
  /** E.lockConsole (jswrap_espruino.c 2208-2214). */
  lockConsole(): void;
  kickWatchdog(): void;
  enableWatchdog(timeoutS: number, isAuto: boolean): void;
  memory(): { free: number; usage: number; total: number };
  hasModule(name: string): boolean;
  /** The build's crypto (crypto.ts), null where it has none. */
  crypto: CryptoHost | null;
  /** Storage (storage.ts): read, view, viewAt, viewText, keepBuffer, write... */
  storage: unknown;
  /** The flash under Storage: views read it again when its generation changes. */
  flashState: { generation: number };
  /** require("Flash"): flash-api.ts */
  flash: unknown;
  openStorageFile(name: string, mode: string): unknown;
  modules: Record<string, unknown>;
  latin1(b: Uint8Array): string;
  crc32(b: Uint8Array): number;
  btoa(s: string): string;
  atob(s: string): string;
  /** process.env: BOARD and VERSION, and what else the build reports (jswrap_process.c 141-175). */
  env: { BOARD: string; VERSION: string; [key: string]: string | number };
  /** The build's pins (boards/types.ts, BuildPins): how many, how many UARTs, whose rules. */
  pinRules: { count: number; serials: number; target: string };
  uncaught(e: unknown): void;
}

/** Realm-side code. Runs once per boot, inside the realm, as Node JavaScript. */
const bootstrap = String.raw`(function (H0, G) {
  "use strict";
  // Errors from the board's built-ins are the realm's own Error, as on the interpreter.
  // Views of flash (below) reach the board as the text they show.
  function wrap(f, self) {
    return function () {
      var a = arguments;
      for (var i = 0; i < a.length; i++) if (a[i] instanceof FlashString) { a = Array.prototype.map.call(a, plain); break; }
      try { return f.apply(self, a); }
      catch (e) { if (e && e.name === "PowerCut") throw e; throw new Error(e && e.message !== undefined ? e.message : String(e)); }
    };
  }

  // A string from Storage.read or E.memoryArea is a view of flash on the interpreter, not a copy
  // (jsflash.c 1043-1057): it shows what flash holds when it is read, moves with its file when
  // compaction moves it, and becomes null when its file is erased or replaced (jsvar.c 467-485).
  // V8 strings cannot change, so a view is an object that reads flash again after every change
  // to it and offers the string methods; "typeof" says "object", === compares it as one, and
  // view[i] is undefined (use charCodeAt or charAt).
  var FLASH = H0.flashState;
  function FlashString(v) {
    Object.defineProperty(this, "_v", { value: v });
    Object.defineProperty(this, "_g", { value: -1, writable: true });
    Object.defineProperty(this, "_s", { value: "", writable: true });
  }
  function text(o) {
    if (o._g !== FLASH.generation) { o._s = H0.storage.viewText(o._v); o._g = FLASH.generation; }
    return o._s;
  }
  function shown(o, what) {
    var t = text(o);
    if (t === null) throw new TypeError("Can't read property '" + what + "' of null");
    return t;
  }
  function plain(a) { return a instanceof FlashString ? String(text(a)) : a; }
  var FSP = FlashString.prototype;
  Object.defineProperty(FSP, "length", { get: function () { return shown(this, "length").length; } });
  hidden(FSP, "charCodeAt", function (i) { return shown(this, "charCodeAt").charCodeAt(i); });
  hidden(FSP, "substr", function (a, b) { return shown(this, "substr").substr(a, b); });
  hidden(FSP, "toString", function () { return String(text(this)); });
  hidden(FSP, "valueOf", function () { return String(text(this)); });
  hidden(FSP, "toJSON", function () { return text(this); });
  // The other string methods, those the realm keeps once what 2v29 lacks is gone (finishRealm).
  function viewMethods() {
    Object.getOwnPropertyNames(String.prototype).forEach(function (k) {
      var f = String.prototype[k];
      if (typeof f !== "function" || Object.prototype.hasOwnProperty.call(FSP, k)) return;
      hidden(FSP, k, function () { return f.apply(shown(this, k), arguments); });
    });
  }
  function wrapAll(o) {
    var w = {};
    for (var k in o) w[k] = typeof o[k] === "function" ? wrap(o[k], o) : o[k];
    return w;
  }
  var H = wrapAll(H0);
  function hidden(o, k, v) { Object.defineProperty(o, k, { value: v, writable: true, configurable: true, enumerable: false }); }
  // Espruino: every object is an event emitter.
  hidden(Object.prototype, "on", function (ev, fn) {
    if (!Object.prototype.hasOwnProperty.call(this, "#ev")) hidden(this, "#ev", {});
    var l = this["#ev"][ev] || (this["#ev"][ev] = []);
    l.push(fn);
    return this;
  });
  hidden(Object.prototype, "addListener", Object.prototype.on);
  hidden(Object.prototype, "emit", function (ev) {
    var l = Object.prototype.hasOwnProperty.call(this, "#ev") && this["#ev"][ev];
    if (!l) return false;
    var args = Array.prototype.slice.call(arguments, 1);
    var copy = l.slice();
    for (var i = 0; i < copy.length; i++) copy[i].apply(this, args);
    return true;
  });
  hidden(Object.prototype, "removeListener", function (ev, fn) {
    var l = Object.prototype.hasOwnProperty.call(this, "#ev") && this["#ev"][ev];
    if (l) { var i = l.indexOf(fn); if (i >= 0) l.splice(i, 1); }
  });
  hidden(Object.prototype, "removeAllListeners", function (ev) {
    if (!Object.prototype.hasOwnProperty.call(this, "#ev")) return;
    if (ev === undefined) this["#ev"] = {}; else delete this["#ev"][ev];
  });

  // Espruino 2v29: Object.assign copies each key with jsvAsName, which hands an
  // integer key's name to jsvMakeIntoVariableName (jsvar.c 3128, 1270). Debug
  // builds stop at an assert there; release builds skip it: either way, not safe.
  var nativeAssign = Object.assign;
  Object.defineProperty(Object, "assign", { writable: true, configurable: true, enumerable: false, value: function assign(target) {
    for (var i = 1; i < arguments.length; i++) {
      var src = arguments[i];
      if (src === null || src === undefined) continue;
      for (var k in src) if (/^(0|[1-9][0-9]*)$/.test(k)) {
        // Recorded as a crash even if the firmware catches it: the interpreter does not return.
        var e = new Error("ASSERT(jsvIsSimpleInt(var) || jsvIsString(var)) FAILED AT src/jsvar.c:1270 (Object.assign from an object with integer key " + k + ")");
        H.uncaught(e);
        throw e;
      }
    }
    return nativeAssign.apply(Object, arguments);
  } });

  // A pin of the build: "D<n>" below its count, or a pin's index (jspin.c:41-112, 192-199); null for
  // anything else, which the build turns into PIN_UNDEFINED.
  var PINS = H0.pinRules;
  function pinOf(p) {
    var s = typeof p === "number" ? "D" + p : p && typeof p === "object" && typeof p.toString === "function" ? p.toString() : String(p);
    var m = /^D(\d{1,2})$/.exec(s);
    return m && +m[1] < PINS.count ? "D" + +m[1] : null;
  }
  function pinName(p) {
    var s = pinOf(p);
    if (!s) throw new Error("Invalid pin");
    return s;
  }
  function toArgs(a, from) { return Array.prototype.slice.call(a, from); }

  var RealDate = G.Date;
  var VDate = function Date(a, b, c, d, e, f, g) {
    if (!(this instanceof VDate)) return new RealDate(H.now()).toString();
    var n = arguments.length;
    var dt = n === 0 ? new RealDate(H.now()) : n === 1 ? new RealDate(a) :
      new RealDate(a, b, n > 2 ? c : 1, n > 3 ? d : 0, n > 4 ? e : 0, n > 5 ? f : 0, n > 6 ? g : 0);
    Object.setPrototypeOf(dt, VDate.prototype);
    return dt;
  };
  VDate.prototype = RealDate.prototype;
  VDate.now = function () { return H.now(); };
  VDate.parse = RealDate.parse;
  G.Date = VDate;

  // Espruino rounds halves away from zero: Math.round(-2.5) is -3 there, -2 in V8.
  var floor = Math.floor;
  Math.round = function round(x) { x = +x; return x < 0 ? -floor(-x + 0.5) : floor(x + 0.5); };

  // Numbers as the interpreter computes and prints them (Espruino, tag RELEASE_2V29).
  // C's (int) cast of a double: truncation; out of the 32-bit range (undefined in C) as no number.
  function int32(x) { return x >= 2147483648 || x <= -2147483649 ? NaN : x < 0 ? Math.ceil(x) : floor(x); }
  var DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz";
  // ftoa_bounded_extra (jsutils.c 642-724), operation for operation. fd < 0: as many digits as
  // needed, up to 11 after the point; fd >= 0 (toFixed): every digit but the last truncated, the
  // last rounded without carrying (4.999 gives "4.99"), and none at all with 0 decimals.
  function ftoa(val, radix, fd) {
    if (val !== val) return "NaN";
    if (val === Infinity) return "Infinity";
    if (val === -Infinity) return "-Infinity";
    var s = "", stop = 0.0000001, exponent = 0, d = 1, v;
    if (val < 0) { s = "-"; val = -val; }
    if (radix === 10 && val > 0 && fd < 0) {
      if (val >= 1e21) {
        while (val > 100000) { val /= 100000; exponent += 5; }
        while (val > 10) { val /= 10; exponent++; }
      } else if (val < 1e-6) {
        while (val < 1e-5) { val *= 100000; exponent -= 5; }
        while (val < 1) { val *= 10; exponent--; }
      }
    }
    if (int32(val + stop) === 1 + int32(val)) val = 1 + int32(val);
    while (d * radix <= val) d *= radix;
    while (d >= 1) { v = floor(val / d); val -= v * d; s += DIGITS.charAt(v); d /= radix; }
    if ((fd < 0 && val > 0) || fd > 0) {
      var point = ".";
      val *= radix;
      while ((fd < 0 && fd > -12 && val > stop) || fd > 0) {
        v = floor(val + (fd === 1 ? 0.5 : 0.00000001));
        val = (val - v) * radix;
        if (v === radix) v = radix - 1;
        s += point + DIGITS.charAt(v);
        point = "";
        fd--;
      }
    }
    // The text goes into JS_NUMBER_BUFFER_SIZE bytes (jsutils.h 315): 69 characters, the exponent only where 5 are left.
    if (s.length > 69) return s.slice(0, 69);
    return exponent && s.length < 65 ? s + "e" + (exponent > 0 ? "+" : "") + exponent : s;
  }
  // jswrap_number.c 136-142: 0 to 20 decimals.
  hidden(Number.prototype, "toFixed", function toFixed(decimals) {
    var n = decimals | 0;
    return ftoa(+this, 10, n < 0 ? 0 : n > 20 ? 20 : n);
  });
  // jswrap_object.c 122-135: a float through ftoa in any radix; an integer through itostr, as V8 prints it.
  // (Implicit conversions, "" + x and String(x), stay V8's: they cannot be replaced.)
  var numberToString = Number.prototype.toString;
  hidden(Number.prototype, "toString", function toString(radix) {
    var x = +this, r = radix === undefined ? 10 : radix | 0;
    if (r < 2 || r > 36) r = 10;
    return x % 1 === 0 && x >= -2147483648 && x <= 2147483647 ? numberToString.call(x, r) : ftoa(x, r, -1);
  });
  // jswrap_math.c 300-334: whole powers 0 to 9 by multiplication, all others as exp(log(x) * y),
  // so Math.pow(2, -6) is not 0.015625 and Math.pow(2, 31) is above 2^31.
  var exp = Math.exp, log = Math.log;
  Math.pow = function pow(x, y) {
    x = +x; y = +y;
    var yi = int32(y), p;
    if (yi >= 0 && yi < 10 && yi === y) {
      if (!yi) return 1;
      for (p = x; yi > 1; yi--) p *= x;
      return p;
    }
    if (x < 0 && y % 1 === 0) return y % 2 === 0 ? exp(log(-x) * y) : -exp(log(-x) * y);
    return x !== 0 || 0 >= y ? exp(log(x) * y) : 0;
  };
  G.global = G;
  G.getTime = function () { return H.now() / 1000; };
  G.setTimeout = function (fn, ms) { return H.setTimer(fn, +ms || 0, false, toArgs(arguments, 2)); };
  G.setInterval = function (fn, ms) { return H.setTimer(fn, +ms || 0, true, toArgs(arguments, 2)); };
  G.clearTimeout = G.clearInterval = function (id) { if (id !== undefined) H.clearTimer(id); };
  G.changeInterval = function (id, ms) { H.changeInterval(id, ms); };
  G.console = { log: function () { H.log(toArgs(arguments, 0).map(String).join(" ")); } };
  // print() is console.log: one function that joins its arguments with spaces (jswrap_functions.c 566-590).
  G.print = function () { H.log(toArgs(arguments, 0).map(String).join(" ")); };
  G.btoa = function (s) { return H.btoa(String(s)); };
  G.atob = function (s) { return H.atob(String(s)); };

  G.pinMode = function (p, mode) { H.pinMode(pinName(p), mode); };
  G.getPinMode = function (p) { return H.getPinMode(pinName(p)); };
  G.digitalRead = function (p) { return H.digitalRead(pinName(p)); };
  G.digitalWrite = function (p, v) { H.digitalWrite(pinName(p), v ? 1 : 0); };
  G.digitalPulse = function (p, v, ms) { H.digitalPulse(pinName(p), v ? 1 : 0, +ms); };
  // The build hands analogRead no-pin as an index past its pin table (jsnative.c:155-157,
  // nrf5x/jshardware.c:1410): what it reads there is no voltage. NaN stands for it.
  G.analogRead = function (p) { var s = pinOf(p); return s ? H.analogRead(s) : NaN; };
  G.setWatch = function (fn, p, opts) {
    if (typeof fn !== "function") throw new Error("setWatch: function expected");
    var s = pinOf(p);
    // jswrap_io.c:765-768: printed, not thrown.
    if (!s) { H.log("ERROR: Invalid pin"); return undefined; }
    return H.setWatch(fn, s, opts || {});
  };
  G.clearWatch = function (id) { H.clearWatch(id); };

  function Serial(name) { this._n = name; }
  Serial.prototype.setup = function (baud, opts) {
    opts = opts || {};
    var rx = opts.rx !== undefined && !!pinOf(opts.rx), tx = opts.tx !== undefined && !!pinOf(opts.tx);
    if (PINS.target === "nrf5x") {
      // nrf5x/jshardware.c:1897-1906: the UART is taken down, then a setup with neither pin is
      // printed and given up; a pin the build lacks leaves that side unconnected (1942-1943).
      if (!rx && !tx) { H.serialSetup(this._n, 0, opts, false, false); H.log("ERROR: Invalid RX or TX pins"); return; }
      H.serialSetup(this._n, baud || 9600, opts, rx, tx);
    }
    // esp32/jshardwareUart.c:68-84: a pin missing or unknown becomes the UART's default pin.
    else H.serialSetup(this._n, baud || 9600, opts, true, true);
  };
  Serial.prototype.write = function () { for (var i = 0; i < arguments.length; i++) H.serialWrite(this._n, arguments[i]); };
  Serial.prototype.print = function (s) { H.serialWrite(this._n, String(s)); };
  Serial.prototype.println = function (s) { H.serialWrite(this._n, String(s) + "\r\n"); };
  function listeners(o) { return (Object.prototype.hasOwnProperty.call(o, "#ev") && o["#ev"].data) ? o["#ev"].data.length : 0; }
  Serial.prototype.on = function (ev, fn) { Object.prototype.on.call(this, ev, fn); if (ev === "data") H.serialListen(this._n, listeners(this)); return this; };
  Serial.prototype.removeListener = function (ev, fn) { Object.prototype.removeListener.call(this, ev, fn); if (ev === "data") H.serialListen(this._n, listeners(this)); };
  Serial.prototype.removeAllListeners = function (ev) { Object.prototype.removeAllListeners.call(this, ev); H.serialListen(this._n, listeners(this)); };
  // Serial1 … Serial<n>, as many as the build has (jswrap_serial.c:130-175).
  for (var si = 1; si <= PINS.serials; si++) G["Serial" + si] = new Serial("Serial" + si);

  function I2C(name) { this._n = name || ("I2C#" + (++I2C._count)); }
  I2C._count = 0;
  I2C.prototype.setup = function (opts) { H.i2cSetup(this._n, opts || {}); };
  I2C.prototype.writeTo = function (addr) {
    var a = typeof addr === "object" ? addr.address : addr;
    H.i2cWrite(this._n, a, E.toUint8Array(toArgs(arguments, 1)));
  };
  I2C.prototype.readFrom = function (addr, n) {
    var a = typeof addr === "object" ? addr.address : addr;
    return new Uint8Array(H.i2cRead(this._n, a, n));
  };
  G.I2C = I2C; G.I2C1 = new I2C("I2C1");

  // On a pin the build lacks, every method quietly does nothing (jswrap_onewire.c:200-360).
  function OneWire(pin) { this._p = pinOf(pin); }
  OneWire.prototype.reset = function () { return !!this._p && H.owReset(this._p); };
  OneWire.prototype.select = function (rom) { if (this._p) H.owSelect(this._p, String(rom)); };
  OneWire.prototype.skip = function () { if (this._p) H.owSkip(this._p); };
  OneWire.prototype.write = function (data) { if (this._p) H.owWrite(this._p, E.toUint8Array(data)); };
  OneWire.prototype.read = function (n) {
    if (!this._p) return undefined;
    var b = H.owRead(this._p, n === undefined ? 1 : n);
    return n === undefined ? b[0] : Array.prototype.slice.call(b);
  };
  OneWire.prototype.search = function () { return this._p ? H.owSearch(this._p).slice() : undefined; };
  G.OneWire = OneWire;

  function flatten(args, out) {
    for (var i = 0; i < args.length; i++) {
      var a = args[i];
      if (typeof a === "number") out.push(a & 255);
      else if (typeof a === "string" || a instanceof FlashString) { a = plain(a); for (var j = 0; j < a.length; j++) out.push(a.charCodeAt(j) & 255); }
      else if (a instanceof ArrayBuffer) flatten([new Uint8Array(a)], out);
      else if (a && typeof a.length === "number") flatten(Array.prototype.slice.call(a), out);
      else if (a && typeof a === "object" && a.data !== undefined) {
        for (var c = 0; c < (a.count || 1); c++) flatten([a.data], out);
      }
    }
    return out;
  }
  var E = {};
  E.toUint8Array = function () { return new Uint8Array(flatten(toArgs(arguments, 0), [])); };
  E.toString = function () { var b = flatten(toArgs(arguments, 0), []); var s = ""; for (var i = 0; i < b.length; i++) s += String.fromCharCode(b[i]); return s; };
  E.toArrayBuffer = function (s) { return E.toUint8Array(s).buffer; };
  E.CRC32 = function (d) { return H.crc32(E.toUint8Array(d)); };
  E.getTemperature = function () { return H.temperature(); };
  E.reboot = function () { H.reboot(); };
  E.kickWatchdog = function () { H.kickWatchdog(); };
  E.enableWatchdog = function (t, isAuto) { H.enableWatchdog(+t, isAuto === undefined ? true : !!isAuto); };
  E.getSizeOf = function () { return 1; };
  E.memoryArea = function (addr, len) { var b = F.memoryArea(addr, len); return b === undefined ? undefined : new FlashString(H0.storage.viewAt(+addr >>> 0, b.length)); };
  E.setBootCode = function (code) { S.write(".bootcde", String(code)); };
  // The console password lives in RAM (a hidden variable, jswrap_espruino.c 2190-2195): gone at reset(), load() and power-on.
  E.setPassword = function (p) { H.setPassword(p === undefined ? undefined : String(p)); };
  E.lockConsole = function () { H.lockConsole(); };
  G.E = E;

  var env = {};
  for (var ek in H0.env) env[ek] = H0.env[ek];
  G.process = { env: env, version: H.env.VERSION,
    memory: function () { var m = H.memory(); return { free: m.free, usage: m.usage, total: m.total, history: 0, gc: 0, gctime: 0, blocksize: 14 }; } };

  function StorageFile(f) { this._f = f; }
  StorageFile.prototype.read = function (n) { var b = this._f.readBytes(n); return b ? H.latin1(b) : undefined; };
  StorageFile.prototype.readLine = function () {
    var s = "", c;
    while ((c = this._f.readBytes(1)) !== undefined) { s += String.fromCharCode(c[0]); if (c[0] === 10) break; }
    return s.length ? s : undefined;
  };
  StorageFile.prototype.write = function (d) { this._f.write(d); };
  StorageFile.prototype.getLength = function () { return this._f.getLength(); };
  StorageFile.prototype.erase = function () { this._f.erase(); };

  var S = {};
  ["read", "readBytes", "view", "keepBuffer", "write", "erase", "eraseAll", "list", "hash", "getFree", "getStats", "compact"].forEach(function (k) { S[k] = wrap(H0.storage[k], H0.storage); });
  H.openStorageFile = function (n, m) {
    var f;
    try { f = H0.openStorageFile(n, m); } catch (e) { if (e && e.name === "PowerCut") throw e; throw new Error(e.message); }
    return { readBytes: wrap(f.readBytes, f), write: wrap(f.write, f), getLength: wrap(f.getLength, f), erase: wrap(f.erase, f) };
  };
  var Wifi = {};
  var WA = H0.modules.Wifi;
  if (WA) {
    ["connect", "disconnect", "getStatus", "getIP"].forEach(function (k) { Wifi[k] = wrap(WA[k], WA); });
    Wifi.getIP = (function (get) { return function (cb) { var ip = get(); if (cb) setTimeout(cb, 0, null, ip); return ip; }; })(Wifi.getIP);
    Wifi.setHostname = function () {};
    WA.bind(Wifi);
  }
  var F = wrapAll(H0.flash);
  function area(a) { return { addr: a.addr, length: a.length }; }
  var Flash = {
    getPage: function (addr) { var p = F.getPage(addr); return p === undefined ? undefined : area(p); },
    getFree: function () { return F.getFree().map(area); },
    erasePage: function (addr) { F.erasePage(addr); },
    read: function (length, addr) { var b = F.read(length, addr); return b === undefined ? undefined : new Uint8Array(b); },
    write: function (data, addr) { F.write(data, addr); }
  };
  var HS = H0.modules.heatshrink;
  var NET = H0.modules.net;
  function connect(opts, cb, secure) {
    var sock = {};
    var id = NET.connect(String(opts.host), +opts.port, sock, secure ? { ca: plain(opts.ca), cert: plain(opts.cert), key: plain(opts.key) } : undefined);
    sock.write = function (d) { NET.write(id, String(d)); return true; };
    sock.end = function () { NET.end(id); };
    if (cb) sock.on("connect", cb);
    return sock;
  }
  var net = { connect: function (opts, cb) { return connect(opts, cb, false); } };
  var tls = { connect: function (opts, cb) { return connect(opts, cb, true); } };
  var HTTP = H0.modules.http;
  var http = {
    request: function (opts, cb) {
      var req = {};
      var body = "";
      req.write = function (d) { body += String(d); };
      req.end = function (d) {
        if (d !== undefined) body += String(d);
        HTTP.request(opts, body, req, cb, function (code) { return { statusCode: code }; });
      };
      return req;
    }
  };
  var modules = { Flash: Flash, Wifi: Wifi, net: net, tls: tls, http: http, heatshrink: { compress: wrap(HS.compress, HS), decompress: wrap(HS.decompress, HS) } };
  // The build's crypto and no more (libs/crypto/jswrap_crypto.c): a build without it has neither
  // require("crypto") nor AES. Results are ArrayBuffers, as there.
  var CR = H0.crypto;
  if (CR) {
    var C = wrapAll(CR);
    var buffer = function (b) { return b === undefined ? undefined : new Uint8Array(b).buffer; };
    var cryptoModule = {};
    CR.sha.forEach(function (n) { cryptoModule[n] = function (message) { return buffer(C.hash(n, message)); }; });
    if (CR.pbkdf2) cryptoModule.PBKDF2 = function (passphrase, salt, options) { return buffer(C.pbkdf2Key(passphrase, salt, options)); };
    if (CR.aes || CR.aesCcm) {
      var AES = function AES() {};
      if (CR.aes) {
        AES.encrypt = function (message, key, options) { return buffer(C.aesCrypt(message, key, options, true)); };
        AES.decrypt = function (message, key, options) { return buffer(C.aesCrypt(message, key, options, false)); };
        cryptoModule.AES = AES;
      }
      if (CR.aesCcm) {
        AES.ccmEncrypt = function (message, key, iv, tagLen) { var r = C.ccmEncrypt(message, key, iv, tagLen); return r && { data: buffer(r.data), tag: buffer(r.tag) }; };
        AES.ccmDecrypt = function (message, key, iv, tag) { return buffer(C.ccmDecrypt(message, key, iv, tag)); };
      }
      G.AES = AES;
    }
    modules.crypto = cryptoModule;
  }
  var Storage = {
    read: function (n, o, l) { var v = S.view(n, o, l); return v === undefined ? undefined : new FlashString(v); },
    readJSON: function (n, ne) { var s = S.read(n); if (s === undefined) return undefined; try { return JSON.parse(s); } catch (e) { if (ne) return undefined; throw e; } },
    // The bytes, held to the file: erasing it takes them away (on the interpreter their string becomes null).
    readArrayBuffer: function (n) { var v = S.view(n); if (v === undefined) return undefined; var b = new Uint8Array(S.readBytes(n)).buffer; S.keepBuffer(v, b); return b; },
    write: function (n, d, o, s) { return S.write(n, d, o || 0, s || 0); },
    writeJSON: function (n, d) { return S.write(n, JSON.stringify(d)); },
    erase: function (n) { S.erase(n); },
    eraseAll: function () { S.eraseAll(); },
    list: function (re, filter) { return S.list(re, filter).slice(); },
    getFree: function () { return S.getFree(); },
    getStats: function () { var s = S.getStats(); return { totalBytes: s.totalBytes, freeBytes: s.freeBytes, fileBytes: s.fileBytes, fileCount: s.fileCount, trashBytes: s.trashBytes, trashCount: s.trashCount }; },
    compact: function () { S.compact(); },
    hash: function (re) { return S.hash(re); },
    open: function (n, m) { return new StorageFile(H.openStorageFile(String(n), String(m))); }
  };
  var cache = {};
  G.require = function (name) {
    name = String(name);
    if (cache[name]) return cache[name];
    if (!H.hasModule(name)) throw new Error('Module "' + name + '" not found');
    var m = name === "Storage" ? Storage : modules[name];
    if (!m) throw new Error('Module "' + name + '" not found');
    return (cache[name] = m);
  };
  G.__fgDispatch = function () {
    var job = G.__fgJob; G.__fgJob = undefined;
    try { job.fn.apply(undefined, job.args); } catch (e) { H.uncaught(e); }
  };
  // The interpreter's own objects, for the memory estimates: each is one JsVar there; a view of flash takes one or two.
  var builtins = [G.E, G.process, G.console, G.Serial1, G.Serial2, G.Serial3, G.I2C1, Storage, G.AES];
  for (var m in modules) builtins.push(modules[m]);
  return {
    builtin: function (o) { return builtins.indexOf(o) >= 0; },
    view: function (o) { return o instanceof FlashString; },
    finish: viewMethods
  };
})`;

/**
 * Number.MAX_SAFE_INTEGER, MIN_SAFE_INTEGER and EPSILON are non-configurable
 * in V8 and stay in the realm; the build's gate refuses them instead.
 */
function deleteAbsent(g: Record<string, unknown>): void {
  const typedArray = Object.getPrototypeOf((g.Uint8Array as object)) as Record<string, unknown>;
  for (const s of absentStatics) {
    const [owner, member] = s.split(".");
    const o = g[owner] as Record<string, unknown> | undefined;
    if (o) Reflect.deleteProperty(o, member);
    if (owner === "Uint8Array") Reflect.deleteProperty(typedArray, member);
  }
  for (const [method, owners] of Object.entries(absentMethodOwners)) {
    for (const owner of owners) {
      const proto = owner === "TypedArray" ? (typedArray.prototype as Record<string, unknown>) : ((g[owner] as { prototype: Record<string, unknown> }).prototype);
      Reflect.deleteProperty(proto, method);
    }
  }
  for (const name of absentGlobals) Reflect.deleteProperty(g, name);
}

export interface RealmHandle {
  context: vm.Context;
  /** Runs source text as the interpreter would run a file it was given. */
  run(code: string, filename: string): void;
  /** Runs one callback as its own turn: uncaught errors are reported, promise callbacks run after it. */
  dispatch(fn: unknown, args: unknown[]): void;
  /** A realm Uint8Array holding these bytes. */
  u8(bytes: Uint8Array): Uint8Array;
  /** Whether o is one of the interpreter's own objects (E, a module, a serial port). */
  builtin(o: object): boolean;
  /** Whether v is a view of flash (a string from Storage.read or E.memoryArea). */
  isView(v: unknown): boolean;
}

export function createRealm(host: RealmHost): RealmHandle {
  const context = vm.createContext({}, { name: "espruino", microtaskMode: "afterEvaluate", codeGeneration: { strings: true, wasm: false } });
  const g = vm.runInContext("this", context) as Record<string, unknown>;
  const made = (vm.runInContext(bootstrap, context) as (h: RealmHost, g: unknown) => { builtin(o: object): boolean; view(o: unknown): boolean; finish(): void })(host, g);
  deleteAbsent(g);
  made.finish();
  const dispatchScript = new vm.Script("__fgDispatch()", { filename: "espruino:event-loop" });
  for (const k of ["__fgDispatch", "__fgJob", "console", "global", "process", "E", "require", "Date"]) {
    const d = Object.getOwnPropertyDescriptor(g, k);
    if (d) Object.defineProperty(g, k, { ...d, enumerable: false });
  }
  const RealmU8 = g.Uint8Array as Uint8ArrayConstructor;
  return {
    context,
    run(code, filename) {
      try {
        vm.runInContext(code, context, { filename });
      } catch (e) {
        host.uncaught(e);
      }
    },
    dispatch(fn, args) {
      g.__fgJob = { fn, args };
      dispatchScript.runInContext(context);
    },
    u8(bytes) {
      const r = new RealmU8(bytes.length);
      r.set(bytes);
      return r;
    },
    builtin: made.builtin,
    isView: made.view,
  };
}

