import { describe, expect, it } from "vitest";
import zlib from "node:zlib";
import { createHash } from "node:crypto";
import { runSnippet } from "./helpers";
import { boards } from "../boards/index";

describe("realm: what Espruino lacks is missing", () => {
  const absent = [
    "new Map()", "new Set()", "new WeakMap()", "Symbol('x')", "new Proxy({}, {})", "Reflect.ownKeys({})",
    "new TextEncoder()", "new TextDecoder()", "new RangeError('x')", "Array.from([1])", "Uint8Array.from([1])",
    "ArrayBuffer.isView(new Uint8Array(1))", "Number.isFinite(1)", "Number.isInteger(1)", "Number.isNaN(1)",
    "Number.parseFloat('1')", "Math.trunc(1.5)", "Math.fround(1.5)", "Math.log2(8)", "Math.hypot(3, 4)",
    "Promise.race([])", "Promise.resolve().finally(function () {})", "Date.UTC(2020, 1, 1)", "Object.freeze({})",
    "require('MQTT')", "[1, [2]].flat()", "'ab'.padEnd(3)",
  ];
  for (const code of absent) {
    it(`${code} fails as on the board`, () => {
      const sim = runSnippet(`${code};\nconsole.log("reached");`);
      expect(sim.errors.length).toBe(1);
      expect(sim.output()).not.toContain("reached");
    });
  }

  it("what Espruino has works", () => {
    const sim = runSnippet(`
      var p = Promise.all([Promise.resolve(1), 2]);
      p.then(function (v) { console.log("all", v.join(",")); });
      console.log(Object.assign({}, { a: 1 }).a, Object.entries({ b: 2 })[0][0], [1, 2, 3].find(function (x) { return x > 1; }));
      console.log("7".padStart(3, "0"), "abc".startsWith("a"), Math.sign(-3), new Uint8Array([1, 2]).indexOf(2));
      console.log(new DataView(new ArrayBuffer(4)).getUint16(0), JSON.stringify({ a: [1] }), btoa("hi"));
      console.log(process.env.BOARD, process.env.VERSION, typeof E.CRC32, typeof require("Storage").open);
    `);
    expect(sim.errors).toEqual([]);
    expect(sim.output()).toContain("1 b 2");
    expect(sim.output()).toContain("007 true -1 1");
    expect(sim.output()).toContain('0 {"a":[1]} aGk=');
    expect(sim.output()).toContain("LINUX 2v29 function function");
    expect(sim.output()).toContain("all 1,2");
  });

  it("Math.round rounds halves away from zero, as Espruino does", () => {
    const sim = runSnippet(`console.log(Math.round(-2.5), Math.round(2.5), Math.round(-2.4), Math.round(-182.5));`);
    expect(sim.output()).toBe("-3 3 -2 -183");
  });

  // What the interpreter's Linux build (2v29) printed for the same expressions. The values are made by
  // division, which both round correctly: a literal such as 0.3 parses to other bits on the interpreter.
  it("toFixed, toString and Math.pow give what the interpreter gives", () => {
    const sim = runSnippet(`console.log(JSON.stringify([(4999/1000).toFixed(2),(99/1000).toFixed(2),(-3/2).toFixed(0),(5/2).toFixed(0),(9995/1000).toFixed(2),(-1/1000).toFixed(2),(123456/1000).toFixed(1),(1e21).toFixed(2),(1/3).toString(),(1/10+2/10).toString(),(1e21).toString(),(7/3).toString(16),(-1/3).toFixed(3),(2/3).toFixed(5),Math.pow(2,-6)===1/64,Math.pow(2,31)>2147483648,Math.pow(2,12)<4096,Math.pow(3,2)===9,Math.pow(2,9)===512]));`);
    expect(JSON.parse(sim.output())).toEqual(["4.99", "0.09", "-1", "2", "9.99", "-0.00", "123.5", "1000000000000000000000.00", "0.33333333333", "0.3", "10e+20", "2.55555555555", "-0.333", "0.66667", false, true, true, true, true]);
  });

  it("(v / 1000).toFixed(2) for v = 0 to 12000 is the interpreter's text, 571 of them unlike V8's", () => {
    const sim = runSnippet(`var s = []; for (var v = 0; v <= 12000; v++) s.push((v / 1000).toFixed(2)); var j = s.join(","); console.log(j.length, E.CRC32(j) >>> 0); global.fixed = s;`);
    // Length and CRC-32 of the joined text on the Linux build.
    expect(sim.output()).toBe("62005 4159578814");
    const realm = sim.eval<string[]>("fixed");
    let unlikeV8 = 0;
    for (let v = 0; v <= 12000; v++) if (realm[v] !== (v / 1000).toFixed(2)) unlikeV8++;
    expect(unlikeV8).toBe(571);
  });

  it("promise callbacks run after the current script turn", () => {
    const sim = runSnippet(`Promise.resolve().then(function () { console.log("B"); }); console.log("A");`);
    expect(sim.output()).toBe("A\nB");
  });

  it("built-in errors are the realm's own Error", () => {
    const sim = runSnippet(`try { I2C1.setup({}); I2C1.readFrom(0x40, 2); } catch (e) { console.log(e instanceof Error, e.message); }`);
    expect(sim.output()).toBe("true I2C Error: No ACK from address 0x40");
  });

  it("a board without a module's build refuses require()", () => {
    const sim = runSnippet(`require("Wifi");`, "nrf52840dk-wioe5");
    expect(sim.errors[0].message).toMatch(/Module "Wifi" not found/);
  });
});

describe("realm: timers and the virtual clock", () => {
  it("setTimeout, setInterval, changeInterval, clearInterval on virtual time", () => {
    const sim = runSnippet(`
      var n = 0;
      var id = setInterval(function () { n++; console.log("tick", n, Math.round(getTime() - start)); if (n === 2) changeInterval(id, 5000); if (n === 4) clearInterval(id); }, 1000);
      var start = getTime();
      setTimeout(function (a, b) { console.log("once", a + b); }, 1500, 2, 3);
    `);
    sim.advance(60_000);
    expect(sim.output()).toBe("tick 1 1\nonce 5\ntick 2 2\ntick 3 7\ntick 4 12");
  });

  it("a simulated week of minute timers runs to the exact count", () => {
    const sim = runSnippet(`var n = 0; setInterval(function () { n++; }, 60000); setTimeout(function () { console.log(n); }, 7 * 86400000 + 30000);`);
    sim.advance(7 * 86_400_000 + 30_000);
    expect(sim.output()).toBe(String(7 * 24 * 60));
  });

  it("Date and getTime follow the virtual clock, and a clock jump moves them", () => {
    const sim = runSnippet(`setTimeout(function () { console.log(new Date().toISOString(), Date.now() === Math.round(getTime() * 1000)); }, 60000);`);
    sim.advance(60_000);
    sim.jumpClock(3_600_000);
    const s2 = sim.output();
    expect(s2).toBe("2026-06-01T00:01:00.000Z true");
  });

  it("a clock jump does not move timers", () => {
    const sim = runSnippet(`setTimeout(function () { console.log("fired", new Date().toISOString()); }, 60000);`);
    sim.jumpClock(86_400_000);
    sim.advance(59_999);
    expect(sim.output()).toBe("");
    sim.advance(1);
    expect(sim.output()).toBe("fired 2026-06-02T00:01:00.000Z");
  });
});

describe("realm: pins", () => {
  it("analogRead gives a 12-bit fraction of the reference; digital reads follow the world", () => {
    const sim = runSnippet(`setTimeout(function () { console.log(analogRead("D36").toFixed(3), digitalRead("D25")); }, 10);`);
    sim.pins.setVolts("D36", 1.65);
    sim.pins.setLevel("D25", 1);
    sim.advance(10);
    expect(sim.output()).toBe("0.500 1");
  });

  it("setWatch reports edges with state and time; repeat:false fires once", () => {
    const sim = runSnippet(`
      setWatch(function (e) { console.log("both", e.state, e.time - e.lastTime); }, "D25", { edge: "both", repeat: true });
      setWatch(function (e) { console.log("rise", e.state); }, "D25", { edge: "rising", repeat: false });
    `);
    for (const [t, v] of [[1000, 1], [2000, 0], [3000, 1]] as const) {
      sim.advance(1000);
      sim.pins.setLevel("D25", v);
      sim.advance(0);
      void t;
    }
    sim.advance(10);
    expect(sim.output().split("\n")).toEqual(["both true 1", "rise true", "both false 1", "both true 1"]);
  });

  it("debounce reports a contact only once it has settled", () => {
    const sim = runSnippet(`setWatch(function (e) { console.log("state", e.state); }, "D26", { edge: "both", repeat: true, debounce: 50 });`);
    sim.advance(100);
    // A bouncing relay contact: six changes in 12 ms, ending closed.
    for (let i = 0; i < 6; i++) {
      sim.pins.setLevel("D26", i % 2 === 0 ? 1 : 0);
      sim.advance(2);
    }
    sim.pins.setLevel("D26", 1);
    sim.advance(200);
    expect(sim.output()).toBe("state true");
  });

  it("an unplugged analog sensor reads near zero, a stuck one freezes, a noisy one scatters (deterministically)", () => {
    const code = `setInterval(function () { console.log(analogRead("D36").toFixed(3)); }, 1000);`;
    const sim = runSnippet(code);
    let v = 1.0;
    sim.pins.setVolts("D36", () => v);
    sim.fault("D36", { kind: "stuck" });
    sim.advance(1000);
    v = 2.0;
    sim.advance(1000);
    sim.fault("D36", { kind: "unplugged" });
    sim.advance(1000);
    sim.fault("D36", { kind: "noisy", sigma: 0.1 });
    sim.advance(3000);
    const lines = sim.output().split("\n");
    expect(lines[0]).toBe(lines[1]);
    expect(Number(lines[2])).toBeLessThan(0.01);
    expect(new Set(lines.slice(3)).size).toBe(3);
    const again = runSnippet(code);
    again.pins.setVolts("D36", 2.0);
    again.fault("D36", { kind: "noisy", sigma: 0.1 });
    again.advance(3000);
    expect(again.output().split("\n").length).toBe(3);
  });
});

describe("realm: serial, I2C, OneWire, E", () => {
  it("Serial: the firmware writes to a device model and receives its answer as data events", () => {
    const sim = runSnippet(`
      Serial2.setup(115200, { rx: "D16", tx: "D17" });
      Serial2.on("data", function (d) { console.log("rx", JSON.stringify(d)); });
      Serial2.write("AT\\r\\n");
    `);
    const u = sim.uart("Serial2");
    expect(u.baud).toBe(115200);
    u.onTx((b) => u.send("OK\r\n", 5));
    sim.advance(0);
    expect(u.txLog.map((b) => Buffer.from(b).toString()).join("")).toBe("AT\r\n");
  });

  it("Serial: a device's reply arrives after its delay; garbage is delivered as bytes", () => {
    const sim = runSnippet(`
      Serial2.setup(9600);
      Serial2.on("data", function (d) { console.log("rx", d.length, getTime() > 0); });
    `);
    const u = sim.uart("Serial2");
    u.send("OK\r\n", 20);
    u.garbage(7, 30);
    sim.advance(19);
    expect(sim.output()).toBe("");
    sim.advance(20);
    expect(sim.output()).toBe("rx 4 true\nrx 7 true");
  });

  it("I2C: writeTo and readFrom reach the device at its address", () => {
    const sim = runSnippet(`I2C1.setup({ scl: "D22", sda: "D21" }); setTimeout(function () { I2C1.writeTo(0x44, 0x24, 0x00); console.log(JSON.stringify(Array.prototype.slice.call(I2C1.readFrom(0x44, 3)))); }, 20);`);
    const got: number[][] = [];
    sim.attachI2c(0x44, { write: (b) => got.push(Array.from(b)), read: (n) => Uint8Array.from([1, 2, 3].slice(0, n)) });
    sim.advance(20);
    expect(sim.output()).toBe("[1,2,3]");
    expect(got).toEqual([[0x24, 0x00]]);
  });

  it("OneWire: reset, search, select, write and read", () => {
    const sim = runSnippet(`
      setTimeout(function () {
        var ow = new OneWire("D13");
        var roms = ow.search();
        console.log(ow.reset(), roms.join(","));
        ow.select(roms[0]); ow.write(0xBE); console.log(JSON.stringify(ow.read(2)));
      }, 10);
    `);
    const rom = Uint8Array.from([0x28, 1, 2, 3, 4, 5, 6, 0x99]);
    sim.oneWire("D13").devices.push({ rom, write: () => {}, read: (n) => Uint8Array.from([0x50, 0x05].slice(0, n)) });
    sim.advance(10);
    expect(sim.output()).toBe("true 2801020304050699\n[80,5]");
  });

  it("E.CRC32 matches the standard CRC-32; E.toUint8Array and E.toString flatten", () => {
    const sim = runSnippet(`console.log(E.CRC32("hello"), E.toUint8Array("a", [1, 2], 3).length, E.toString([104, 105]));`);
    expect(sim.output()).toBe(`${zlib.crc32("hello")} 4 hi`);
  });

  it("process.memory() gives an estimate within the board's JsVars", () => {
    const sim = runSnippet(`var keep = []; for (var i = 0; i < 2000; i++) keep.push({ i: i }); var m = process.memory(); console.log(m.total, m.usage > 0, m.free + m.usage);`);
    expect(sim.output()).toBe("16383 true 16383");
  });
});

describe("realm: resets", () => {
  it("E.reboot keeps Storage and loses RAM", () => {
    const code = `
      var S = require("Storage");
      var n = (S.readJSON("count", true) || 0) + 1;
      S.writeJSON("count", n);
      global.ram = (global.ram || 0) + 1;
      console.log("boot", n, "ram", global.ram);
      if (n < 3) setTimeout(function () { E.reboot(); }, 100);
    `;
    const sim = runSnippet(code);
    sim.advance(1000);
    expect(sim.output().split("\n")).toEqual(["boot 1 ram 1", "boot 2 ram 1", "boot 3 ram 1"]);
    expect(sim.resets.map((r) => r.cause)).toEqual(["power-on", "software", "software"]);
  });

  it("the watchdog resets a board that stops kicking it", () => {
    const sim = runSnippet(`
      console.log("up");
      E.enableWatchdog(10, false);
      var n = 0;
      var id = setInterval(function () { if (++n < 5) E.kickWatchdog(); }, 4000);
    `);
    sim.advance(40_000);
    expect(sim.resets.map((r) => r.cause)).toEqual(["power-on", "watchdog"]);
    expect(sim.resets[1].t).toBe(16_000 + 10_000);
  });
});

describe("realm: each build's crypto and no more", () => {
  // Seen on the interpreter's Linux build, which has all of it: the AES-CCM example of jswrap_crypto.c
  // 598-611, and PBKDF2("pw", "salt", { iterations: 2, keySize: 2, hasher: "SHA256" }).
  const CCM = `var r = AES.ccmEncrypt("Hello World!", [0,0x11,0x22,0x33,0x44,0x55,0x66,0x77,0x88,0x99,0xaa,0xbb,0xcc,0xdd,0xee,0xff], [0,0x11,0x22,0x33,0x44,0x55,0x66], 4);
    console.log(new Uint8Array(r.data).join(","), new Uint8Array(r.tag).join(","));`;
  const CCM_OUT = "206,98,239,219,146,157,59,123,102,92,118,209 230,153,191,142";
  const PBKDF2 = `console.log(new Uint8Array(require("crypto").PBKDF2("pw", "salt", { iterations: 2, keySize: 2, hasher: "SHA256" })).join(","));`;
  const SHA = `var c = require("crypto"); console.log(["SHA1", "SHA224", "SHA256", "SHA384", "SHA512"].map(function (n) { return new Uint8Array(c[n]("abc"))[0]; }).join(","));`;
  const shaFirst = ["sha1", "sha224", "sha256", "sha384", "sha512"].map((n) => createHash(n).update("abc").digest()[0]).join(",");

  it("every board file declares its build's crypto, and its modules agree", () => {
    for (const b of boards) {
      expect(b.modules.includes("crypto"), b.id).toBe(b.crypto !== null);
      expect(b.modules.includes("tls"), b.id).toBe(!!b.crypto?.tls);
      expect(b.hw.nativeCrypto, b.id).toBe(b.crypto !== null);
      if (b.crypto?.pbkdf2 || b.crypto?.aes) expect(b.crypto.tls, b.id).toBe(true); // both come with USE_TLS
    }
  });

  it("NRF52840DK: no crypto module and no AES", () => {
    const sim = runSnippet(`console.log(typeof AES); require("crypto");`, "nrf52840dk-wioe5");
    expect(sim.output().split("\n")[0]).toBe("undefined");
    expect(sim.errors.map((e) => e.message)).toEqual(['Error: Module "crypto" not found']);
  });

  it("XIAOBLE: the hashes and AES-CCM, no PBKDF2, no AES modes, no TLS", () => {
    const sim = runSnippet(`${SHA} ${CCM} var c = require("crypto"); console.log(typeof c.PBKDF2, typeof c.AES, typeof AES.encrypt, typeof c.HMAC);`, "xiao-nrf52840-wioe5");
    expect(sim.errors).toEqual([]);
    expect(sim.output().split("\n")).toEqual([shaFirst, CCM_OUT, "undefined undefined undefined undefined"]);
    const pb = runSnippet(PBKDF2, "xiao-nrf52840-wioe5");
    expect(pb.errors.length).toBe(1);
    expect(runSnippet(`require("tls");`, "xiao-nrf52840-wioe5").errors[0].message).toMatch(/Module "tls" not found/);
  });

  it("ESP32: the hashes, PBKDF2 and AES with modes, no AES-CCM", () => {
    const sim = runSnippet(`${SHA} ${PBKDF2} var k = new Uint8Array(16); k[0] = 7;
      console.log(new Uint8Array(AES.encrypt("0123456789abcdef", k, { mode: "CBC", iv: [1, 2, 3] })).join(","), require("crypto").AES === AES, typeof AES.ccmEncrypt, typeof require("crypto").HMAC);`, "esp32-wifi");
    expect(sim.errors).toEqual([]);
    // The AES block from the Linux build for this key and IV.
    expect(sim.output().split("\n")).toEqual([shaFirst, "6,29,246,22,52,60,185,136", "118,122,99,124,120,86,133,71,251,140,20,132,237,212,16,95 true undefined undefined"]);
  });

  it("a cipher's failure prints and gives undefined, as jsError does; an unknown mode throws", () => {
    const sim = runSnippet(`console.log(AES.encrypt("abc", new Uint8Array(16))); console.log(AES.encrypt("0123456789abcdef", new Uint8Array(5))); AES.encrypt("0123456789abcdef", new Uint8Array(16), { mode: "XYZ" });`);
    expect(sim.output().split("\n")).toEqual(["ERROR: Invalid input length", "undefined", "ERROR: Unknown error: -0x20", "undefined", 'Uncaught Error: Unknown Crypto mode "XYZ"']);
  });
});
