import { describe, expect, it } from "vitest";
import { DIST, SimBoard } from "../scripts/sim/board";
import { SimConsole } from "../scripts/sim/console";
import { bareConsole } from "./helpers";
import fs from "node:fs";
import path from "node:path";

/**
 * E.setPassword and E.lockConsole on the simulated board, as Espruino 2v29
 * has them (jswrap_espruino.c 2166-2214; jsinteractive.c 428-442, 895-900,
 * 1893-1912): nothing kinder than the interpreter.
 */
const bare = bareConsole;

describe("the simulated board's locked console", () => {
  it("locks once a password is set; takes only the password, without echo, and answers each line", () => {
    const { sim, type } = bare();
    // A DLE line takes no prompt away, so none comes back: the next answer shows "password>".
    expect(type('\x10E.setPassword("s3cret");E.lockConsole()\n')).toBe("");
    expect(sim.consoleLocked).toBe(true);
    expect(type('E.setPassword("x")\n')).toBe("\r\n  Invalid password\r\npassword>");
    // Nothing typed runs or shows, a DLE line included.
    expect(type('\x10print(require("Storage").list())\n')).toBe("\r\n  Invalid password\r\npassword>");
    expect(type("1+1\n")).toBe("\r\n  Invalid password\r\npassword>");
    expect(type("s3cret")).toBe("");
    expect(type("\r")).toBe("\r\n  Logged in.\r\n>");
    expect(sim.consoleLocked).toBe(false);
    expect(type("1+1\n")).toBe("1+1\r\n=2\r\n>");
  });

  it("E.lockConsole without a password does nothing; E.setPassword() takes the password away", () => {
    const { sim, type } = bare();
    type("\x10E.lockConsole()\n");
    expect(sim.consoleLocked).toBe(false);
    type('\x10E.setPassword("a");E.setPassword();E.lockConsole()\n');
    expect(sim.consoleLocked).toBe(false);
  });

  it("every byte but CR and LF is part of the password line: Backspace, Ctrl-C and DLE do not edit it", () => {
    const { type } = bare();
    type('\x10E.setPassword("pw");E.lockConsole()\n');
    expect(type("px\x08w\n")).toContain("Invalid password");
    expect(type("\x03pw\n")).toContain("Invalid password");
    expect(type("\x10pw\n")).toContain("Invalid password");
    expect(type("pw\n")).toContain("Logged in.");
  });

  it("the line holds 20 bytes at most: a password of 20 is entered, what follows is dropped", () => {
    const { type } = bare();
    const pw = "abcdefghij0123456789";
    type(`\x10E.setPassword(${JSON.stringify(pw)});E.lockConsole()\n`);
    expect(type(pw + "EXTRA\n")).toContain("Logged in.");
    type(`\x10E.setPassword(${JSON.stringify(pw + "X")});E.lockConsole()\n`);
    expect(type(pw + "X\n")).toContain("Invalid password"); // 21 can never be typed
  });

  it("there is no limit on tries", () => {
    const { type } = bare();
    type('\x10E.setPassword("pw");E.lockConsole()\n');
    for (let i = 0; i < 50; i++) expect(type(`guess${i}\n`)).toContain("Invalid password");
    expect(type("pw\n")).toContain("Logged in.");
  });

  it("the board's own output still reaches a locked console, and the line typed so far comes back after it", async () => {
    const sim = new SimBoard({ board: "sim", memoryBaseline: false });
    sim.boot();
    let out = "";
    const c = new SimConsole(sim, (s) => (out += s));
    c.input('\x10setTimeout(function(){print("a log line")},100);E.setPassword("pw");E.lockConsole()\n');
    c.input("p");
    expect(out).toBe("");
    sim.advance(200);
    await new Promise((r) => setImmediate(r));
    expect(out).toBe("\r\x1b[Ja log line\r\npassword>p\x1b[D");
    c.detach();
  });

  it("the password is in RAM: gone at power-on, which opens the console", () => {
    const { sim, type } = bare();
    type('\x10E.setPassword("pw");E.lockConsole()\n');
    sim.boot();
    expect(sim.consoleLocked).toBe(false);
    type("\x10E.lockConsole()\n");
    expect(sim.consoleLocked).toBe(false);
  });

  it("reset() empties RAM but keeps the lock: a console locked without a password opens only at power-on", () => {
    const { sim, type } = bare();
    type('\x10E.setPassword("pw");E.lockConsole();reset()\n');
    expect(sim.consoleLocked).toBe(true);
    expect(type("pw\n")).toContain("Invalid password");
    sim.boot();
    expect(type("1+1\n")).toBe("1+1\r\n=2\r\n>");
  });

  it("an unlocked console stays open across reset(): reset() does not run .bootPowerOn", () => {
    const { sim, type } = bare("sim", (s) => s.storage.write(".bootPowerOn", 'E.setPassword("pw");E.lockConsole();'));
    expect(sim.consoleLocked).toBe(true);
    expect(type("pw\n")).toContain("Logged in.");
    type("\x10reset()\n");
    expect(sim.consoleLocked).toBe(false);
    expect(type("\x10load()\n")).not.toContain("password>");
    expect(sim.consoleLocked).toBe(false);
  });

  it(".bootPowerOn locks at every chip reset, before .bootcde, with BTN1 held too", () => {
    const { sim, type } = bare("nrf52840dk-wioe5", (s) => {
      s.storage.write(".bootPowerOn", 'E.setPassword("pw");E.lockConsole();');
      s.storage.write(".bootcde", 'print("boot code, locked: "+!!1)');
      s.pins.contact("D11", true);
    });
    expect(sim.output()).toContain("BTN1 (D11) read pressed at reset: .bootcde not run");
    expect(sim.consoleLocked).toBe(true);
    expect(type("pw\n")).toContain("Logged in.");
    type("\x10E.reboot()\n");
    expect(sim.consoleLocked).toBe(true);
  });

  it("feldgate's loader runs .bootPowerOn again: after load() the console is locked with its password, not without one", () => {
    const { sim, type } = bare("sim", (s) => {
      s.storage.write(".bootPowerOn", 'E.setPassword("pw");E.lockConsole();');
      s.storage.write(".bootcde", fs.readFileSync(path.join(DIST, "loader.js"), "latin1"));
      s.storage.write("fg.app.a", 'print("app running")');
    });
    expect(sim.output()).toContain("app running");
    expect(type("pw\n")).toContain("Logged in.");
    type("\x10load()\n");
    expect(sim.consoleLocked).toBe(true);
    expect(sim.consolePassword).toBe("pw");
    expect(type("pw\n")).toContain("Logged in.");
  });
});
