import { afterAll, describe, expect, it } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DIST, SimBoard } from "../scripts/sim/board";
import { serveConsole, type ConsoleServer } from "../scripts/sim/console";
import { attachModem, type Lorawan } from "../scripts/sim/lorawan";
import { standardWorld } from "../scripts/sim/world";
import { flash, Refusal, type FlashOptions } from "../scripts/flash";
import { FILE } from "../src/store/storage-layout";
import { newConsolePassword, passwordFromExport } from "../scripts/flash/lock";

/**
 * npm run flash -- --lock, and npm run flash again to a locked board, against
 * a simulated board over TCP through the real EspruinoTools CLI.
 */

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "feldgate-lock-test-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const ID = "nrf52840dk-wioe5";

interface Bench {
  sim: SimBoard;
  lw: Lorawan;
  server: ConsoleServer;
  port: string;
  close(): Promise<void>;
}

async function bench(): Promise<Bench> {
  const sim = new SimBoard({ board: ID, seed: 5, memoryBaseline: false });
  standardWorld(sim);
  const lw = attachModem(sim);
  lw.ns.up = false;
  sim.boot();
  const server = await serveConsole(sim, { port: 0 });
  return { sim, lw, server, port: `tcp://127.0.0.1:${server.port}`, close: () => server.close() };
}

function siteFile(): string {
  const f = path.join(tmp, `site-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(f, JSON.stringify({ v: 1, name: "Weide Nord", interval: 900, sensors: [] }));
  return f;
}

async function run(o: Partial<FlashOptions> & { port: string }): Promise<{ out: string[]; refused?: string }> {
  const out: string[] = [];
  try {
    await flash({ board: ID, site: siteFile(), wipe: false, keysDir: path.join(tmp, "keys"), build: false, dist: DIST, ...o }, (l) => out.push(l));
    return { out };
  } catch (e) {
    if (e instanceof Refusal) return { out, refused: e.message };
    throw e;
  }
}

function exportOf(out: string[]): { file: string; rec: { devEui: string; appKey: string; consolePassword?: string } } {
  const file = /The keys are in (.*) \(only you can read it\)/.exec(out.join("\n"))![1];
  return { file, rec: JSON.parse(fs.readFileSync(file, "utf8")) };
}

/** Every file in the board's Storage with its bytes, to show that nothing changed. */
function snapshot(sim: SimBoard): Record<string, string> {
  const o: Record<string, string> = {};
  for (const n of sim.storage.list()) if (n !== FILE.store) o[n] = Buffer.from(sim.storage.readBytes(n)!).toString("hex");
  return o;
}

function pwFile(pw: string): string {
  const f = path.join(tmp, `pw-${Math.random().toString(36).slice(2)}`);
  fs.writeFileSync(f, pw + "\n", { mode: 0o600 });
  return f;
}

describe("npm run flash -- --lock", () => {
  it("locks the console with a password of the device's own, kept in the export; the gateway runs locked, at every boot", async () => {
    const b = await bench();
    try {
      const r = await run({ port: b.port, lock: true });
      expect(r.refused).toBeUndefined();
      const said = r.out.join("\n");
      const { file, rec } = exportOf(r.out);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(rec.consolePassword).toMatch(/^[0-9a-hjkmnp-tv-z]{16}$/);
      expect(said).not.toContain(rec.consolePassword);
      expect(said).toContain("The console is locked");
      expect(said).toMatch(/INFO feldgate \S+ starting on /);
      expect(b.sim.storage.read(FILE.powerOn)).toBe(`E.setPassword(${JSON.stringify(rec.consolePassword)});E.lockConsole();`);
      // load() started the gateway: the loader locked the console again.
      expect(b.sim.consoleLocked).toBe(true);
      expect(b.sim.consolePassword).toBe(rec.consolePassword);
      expect(b.sim.output()).not.toContain(rec.consolePassword);
      expect(b.sim.output()).not.toContain(rec.appKey);
      // Power-on, and BTN1 held at power-on: locked before anything else runs.
      b.sim.powerOff();
      b.sim.boot();
      expect(b.sim.consoleLocked).toBe(true);
      b.sim.pins.contact("D11", true);
      b.sim.boot();
      expect(b.sim.consoleLocked).toBe(true);
      b.sim.pins.contact("D11", false);
    } finally {
      await b.close();
    }
  });

  it("a second npm run flash finds the board locked: without the password, or with a wrong one, it refuses and changes nothing", async () => {
    const b = await bench();
    const keysDir = path.join(tmp, "keys-refused");
    try {
      const first = await run({ port: b.port, lock: true, keysDir });
      expect(first.refused).toBeUndefined();
      const { rec } = exportOf(first.out);
      const before = snapshot(b.sim);

      const none = await run({ port: b.port, wipe: true, lock: true, keysDir });
      expect(none.refused).toMatch(/is locked: its console takes nothing but its password\. Give the password with --password-file <file>, or the board's DevEUI \(on its label\) with --dev-eui/);
      expect(none.refused).toContain("Nothing on the board was changed");

      const wrong = await run({ port: b.port, wipe: true, lock: true, keysDir, passwordFile: pwFile(newConsolePassword()) });
      expect(wrong.refused).toMatch(/did not take the password from .*pw-\w+: its console is still locked, and nothing on it was changed\. Check that the password belongs to this board/);

      const bad = await run({ port: b.port, wipe: true, keysDir, passwordFile: path.join(tmp, "no-such-file") });
      expect(bad.refused).toMatch(/The password file .* could not be read.*Nothing on the board was changed/);

      expect(snapshot(b.sim)).toEqual(before);
      expect(b.sim.consoleLocked).toBe(true);
      expect(b.sim.consolePassword).toBe(rec.consolePassword);
      // A refused run leaves no export behind: only the first run's.
      expect(fs.readdirSync(keysDir).filter((n) => /^[0-9A-F]{16}(-[^.]*)?\.json$/.test(n))).toEqual([`${rec.devEui}.json`]);
    } finally {
      await b.close();
    }
  });

  it("with the password it unlocks, re-flashes and locks with a new one; refused for another reason, the gateway runs locked again", async () => {
    const b = await bench();
    try {
      const first = await run({ port: b.port, lock: true });
      const { rec } = exportOf(first.out);

      // Right password, but the DK has one slot and --wipe is not given: refused, and locked again, its gateway running.
      const held = await run({ port: b.port, passwordFile: pwFile(rec.consolePassword!) });
      expect(held.out.join("\n")).toContain("Unlocked with the password from");
      expect(held.refused).toMatch(/room for one copy of the firmware only.*It runs as before/);
      expect(b.sim.consoleLocked).toBe(true);
      expect(b.sim.consolePassword).toBe(rec.consolePassword);

      // The password from the export of the DevEUI given.
      const again = await run({ port: b.port, devEui: rec.devEui, wipe: true, lock: true });
      expect(again.refused).toBeUndefined();
      expect(again.out.join("\n")).toMatch(/Unlocked with the password from .*\.json/);
      const next = exportOf(again.out).rec;
      expect(next.consolePassword).not.toBe(rec.consolePassword);
      expect(passwordFromExport(path.join(tmp, "keys"), rec.devEui)!.password).toBe(next.consolePassword);
      expect(b.sim.consoleLocked).toBe(true);
      expect(b.sim.consolePassword).toBe(next.consolePassword);

      // Without --lock the board comes out open, and the tool says so.
      const open = await run({ port: b.port, devEui: rec.devEui, wipe: true });
      expect(open.refused).toBeUndefined();
      expect(open.out.join("\n")).toContain("The console is not locked any more: add --lock");
      expect(b.sim.storage.read(FILE.powerOn)).toBeUndefined();
      expect(b.sim.consoleLocked).toBe(false);
    } finally {
      await b.close();
    }
  });

  it("a loader that does not read back after the lock reached the board: refused; the board is locked at boot, and its export is kept for the password", async () => {
    const b = await bench();
    const keysDir = path.join(tmp, "keys-cut");
    try {
      // When the loader's header is written, a write of its data a little later fails without a word.
      let armed = false;
      b.sim.flash.onOp = (op, _addr, _len, data) => {
        if (!armed && op === "write" && data && Buffer.from(data).includes(Buffer.from(".bootcde"))) {
          armed = true;
          b.sim.flash.armDroppedWrite(3);
        }
      };
      const r = await run({ port: b.port, lock: true, keysDir });
      expect(armed).toBe(true);
      expect(r.refused).toMatch(/\.bootcde: CRC [0-9a-f]+ instead of [0-9a-f]+\. The board boots nothing now.*Its console may be locked now: the password is in .*\.json/);
      const file = /the password is in (\S+\.json)/.exec(r.refused!)![1];
      const rec = JSON.parse(fs.readFileSync(file, "utf8"));
      expect(b.sim.storage.read(FILE.powerOn)).toBe(`E.setPassword(${JSON.stringify(rec.consolePassword)});E.lockConsole();`);
      b.sim.flash.onOp = null;
      b.sim.boot();
      expect(b.sim.consoleLocked).toBe(true);
    } finally {
      await b.close();
    }
  });
});
