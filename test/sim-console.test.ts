import { describe, expect, it } from "vitest";
import { SimConsole, openBrackets } from "../scripts/sim/console";
import { bareConsole, runSnippet } from "./helpers";

/**
 * The expected bytes below are what the interpreter's Linux build answered
 * over its telnet console (`espruino --telnet`, Espruino 2v29) to the same
 * input, byte for byte, where the two builds agree.
 */

const bare = bareConsole;

describe("the simulated board's console, as the interpreter's REPL", () => {
  it("a newline gives a prompt; a line is echoed, run, and its value shown", () => {
    const { type } = bare();
    expect(type("\n")).toBe("\r\n>");
    expect(type("1+1\n")).toBe("1+1\r\n=2\r\n>");
    expect(type('"abc"\n')).toBe('"abc"\r\n="abc"\r\n>');
    expect(type("E.CRC32(\"abc\")\n")).toBe('E.CRC32("abc")\r\n=891568578\r\n>');
  });

  it("a line that begins with DLE runs without echo and shows no value; what it prints comes back with the prompt", () => {
    const { type } = bare();
    expect(type("\x10 2+2\n")).toBe("");
    expect(type('\x10print("<","<<",JSON.stringify(1),">>",">")\n')).toBe("< << 1 >> >\r\n>");
    expect(type("\x10print()\n")).toBe("\r\n>");
  });

  it("print and console.log join their arguments with spaces", () => {
    const { type } = bare();
    expect(type('print("a", 1, undefined, null, "x\\ny")\n')).toBe('print("a", 1, undefined, null, "x\\ny")\r\na 1 undefined null x\r\ny\r\n=undefined\r\n>');
  });

  it("an error is reported as the interpreter words it", () => {
    const { type } = bare();
    expect(type("nosuch()\n")).toMatch(/^nosuch\(\)\r\nUncaught ReferenceError: "nosuch" is not defined\r\n/);
    expect(type('\x10nosuch2()\n')).toMatch(/^Uncaught ReferenceError: "nosuch2" is not defined\r\n/);
  });

  it("a line with open brackets waits for the rest; Alt-Enter adds a line without running", () => {
    const { type } = bare();
    expect(type("var x = {\n")).toBe("var x = {\r\n:");
    expect(type("a:1}\n")).toMatch(/^a:1\}\r\n=/);
    expect(type("\x10var y = 1\x1b\n+ 1\n")).toBe("");
    expect(type("y\n")).toBe("y\r\n=2\r\n>");
    expect(openBrackets('f("(", /* { */ [1, ')).toBe(2);
  });

  it("echo(0) silences echo, values and prompts; echo(1) brings them back", () => {
    const { type } = bare();
    expect(type("echo(0)\n")).toBe("echo(0)\r\n");
    expect(type("3+3\n")).toBe("");
    expect(type("echo(1)\n")).toBe("=undefined\r\n>");
  });

  it("backspace takes back a character; Ctrl-E tells what the board is", () => {
    const { type } = bare();
    expect(type("ab\bc\n")).toMatch(/^ab\x08 \x08c\r\nUncaught ReferenceError: "ac" is not defined/);
    expect(type("\x05")).toBe("Espruino 2v29 LINUX\r\n");
  });

  it("Ctrl-C clears the line typed so far", () => {
    const { type } = bare();
    type("abc");
    expect(type("\x03")).toBe("\x1b[3D\r\x1b[J>");
    expect(type("1\n")).toBe("1\r\n=1\r\n>");
  });

  it("reset() shows its value, then the banner; it stops the firmware, keeps Storage, turns echo on and drops input already received", () => {
    const { sim, type } = bare("nrf52840dk-wioe5");
    sim.storage.write("keep", "me");
    type('setInterval(function(){print("tick")},1000)\n');
    type("echo(0)\n");
    const out = type("reset()\n1+1\n");
    expect(out.startsWith("\x1b[?7l\r\n ____")).toBe(true); // echo was off: no value shown
    expect(out).toContain(" 2v29 (c) 2025 G.Williams\r\n");
    expect(out.endsWith("\r\n\r\n>")).toBe(true); // the line after reset() in the same read is lost
    sim.advance(5000);
    expect(sim.output()).not.toContain("tick");
    expect(type('require("Storage").read("keep")\n')).toBe('require("Storage").read("keep")\r\n="me"\r\n>');
    expect(type("reset()\n")).toMatch(/^reset\(\)\r\n=undefined\r\n\x1b\[\?7l\r\n ____/);
  });

  it("load() runs .bootcde again, after the line's value", () => {
    const { sim, type } = bare();
    sim.storage.write(".bootcde", 'print("booted")');
    expect(type("load()\n")).toBe("load()\r\n=undefined\r\nbooted\r\n>");
  });

  it("what the firmware prints between lines takes the prompt away and gives it back", async () => {
    const { sim, type } = bare();
    type("setTimeout(function(){print(\"later\")},200)\n");
    let out = "";
    const c = new SimConsole(sim, (s) => (out += s));
    sim.advance(300);
    await new Promise((r) => setImmediate(r));
    expect(out).toBe("\r\x1b[Jlater\r\n>");
    c.detach();
  });

  it("process.env carries what the EspruinoTools CLI asks for on connecting", () => {
    const { type } = bare("nrf52840dk-wioe5");
    const env = JSON.parse(/< << (.*) >> >/.exec(type('\x10print("<","<<",JSON.stringify(process.env),">>",">")\n'))![1]);
    expect(env).toMatchObject({ VERSION: "2v29", BOARD: "NRF52840DK", CONSOLE: "USB", STORAGE: 40960, MODULES: "Storage,heatshrink,Flash" });
  });

  it("packets (DLE SOH) are refused with NAK", () => {
    const { type } = bare();
    expect(type("\x10\x01\x20\x03abc")).toBe("\x15");
  });
});

describe("realm: print", () => {
  it("print() prints all its arguments, as console.log does", () => {
    const sim = runSnippet(`print("a", 1, "b"); console.log("c", 2);`);
    expect(sim.output()).toBe("a 1 b\nc 2");
  });
});
