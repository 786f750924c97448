import { SimConsole } from "../scripts/sim/console";
/** Shared set-up for tests that run bundles on the simulated board. */
import { readStore } from "../scripts/store-reader";
import fs from "node:fs";
import path from "node:path";
import { expect } from "vitest";
import { SimBoard, DIST, type SimOptions } from "../scripts/sim/board";
import { standardWorld } from "../scripts/sim/world";
import { makeFlash } from "../scripts/sim/flash-driver";
import { SimStorage } from "../scripts/sim/storage";
import { LINUX_FLASH } from "../boards/sim";

export interface BootOptions extends Partial<SimOptions> {
  site?: unknown;
  /** Source text to install instead of the board's built bundle. */
  bundle?: string;
  world?: boolean;
}

/** Evaluates firmware-side code in the board's realm and hands back plain values, through JSON. */
export function evalJson<T>(sim: SimBoard, code: string): T {
  const json = sim.eval<string | undefined>(`JSON.stringify((function(){ ${code} })())`);
  return json === undefined ? (undefined as T) : (JSON.parse(json) as T);
}

/** A simulated board with the firmware flashed, the site provisioned and the world wired, not yet powered. */
export function makeBoard(board: string, o: BootOptions = {}): SimBoard {
  const sim = new SimBoard({ board, seed: o.seed ?? 1, ...o });
  sim.install(o.bundle);
  if (o.site !== undefined) sim.writeSite(o.site);
  if (o.world !== false) standardWorld(sim);
  return sim;
}

export function bootBoard(board: string, o: BootOptions = {}): SimBoard {
  const sim = makeBoard(board, o);
  sim.boot();
  return sim;
}

/** Runs a snippet of source text as the app on the simulated board. */
export function runSnippet(code: string, board = "sim"): SimBoard {
  return bootBoard(board, { bundle: code, world: false });
}

export const demoSite = { v: 1, name: "Test site", interval: 60, sensors: [] };

/** A site with these sensors, read every minute. */
export function siteWith(...sensors: object[]): object {
  return { v: 1, name: "Test site", interval: 60, sensors };
}

/** The "Readings:" lines the gateway printed, newest last. */
export function readingLines(sim: SimBoard): string[] {
  return sim.console.filter((l) => l.text.startsWith("INFO Readings: ")).map((l) => l.text.slice(15));
}

/** Reading cycles the gateway has run: one "Readings:" line each. */
export function cycles(sim: SimBoard): number {
  return readingLines(sim).length;
}

/** Lines with ALARM, Cleared or notices for a named sensor. */
export function eventLines(sim: SimBoard, name: string): string[] {
  return sim.console.map((l) => l.text).filter((t) => t.includes(` ${name}: `) && !t.startsWith("INFO Readings"));
}

/** A sim board with one site of these sensors, the world set up by `setup`, booted and past its first reading. */
export function bootWith(conf: object | object[], setup: (sim: SimBoard) => void = () => {}): SimBoard {
  const sim = makeBoard("sim", { site: siteWith(...(Array.isArray(conf) ? conf : [conf])) });
  setup(sim);
  sim.boot();
  sim.advance(4000);
  return sim;
}

/** Storage alone on `pages` pages, with the Linux build's flash rules at its address. */
export function storageOn(pages: number, pageBytes: number): SimStorage {
  const bytes = pages * pageBytes;
  const conf = { ...LINUX_FLASH, pageBytes, pageMap: [{ addr: LINUX_FLASH.storageStart, length: bytes, pageBytes }] };
  return new SimStorage(makeFlash(conf, bytes), { start: conf.storageStart, bytes, align: 4 });
}

// ------------------------------------------------------------------ readings as values (dist/probes/readings.js)

/**
 * The firmware's quality codes, read from src/readings/reading.ts's text: that
 * module calls Espruino's getTime, which Node's types lack, so it is not imported.
 */
export const Q = (() => {
  const text = fs.readFileSync(path.join(__dirname, "../src/readings/reading.ts"), "utf8");
  const code = (name: string): number => {
    const m = new RegExp(`export const Q_${name} = (\\d+);`).exec(text);
    if (!m) throw new Error(`no Q_${name} in src/readings/reading.ts`);
    return Number(m[1]);
  };
  return { OK: code("OK"), RANGE: code("RANGE"), STUCK: code("STUCK"), NO_ANSWER: code("NO_ANSWER"), CHECKSUM: code("CHECKSUM") };
})();

/** A reading as the firmware emitted it: channel, quantity code, integer value in the quantity's unit, quality code. */
export interface Reading {
  ch: number;
  qty: number;
  value: number;
  q: number;
}

/** An event as the firmware emitted it: channel, event code, 1 raised / 0 cleared, the value that decided it. */
export interface FwEvent {
  ch: number;
  code: number;
  active: number;
  value: number;
}

let probeBundle: string | undefined;

/** Like makeBoard, with the readings probe flashed: the sim board's firmware that also records what it emits. */
export function makeProbe(o: BootOptions = {}): SimBoard {
  probeBundle ??= fs.readFileSync(path.join(DIST, "probes/readings.js"), "latin1");
  return makeBoard("sim", { ...o, bundle: probeBundle });
}

/** Like bootWith, with the readings probe: booted and past its first reading. */
export function bootProbe(conf: object | object[], setup: (sim: SimBoard) => void = () => {}): SimBoard {
  const sim = makeProbe({ site: siteWith(...(Array.isArray(conf) ? conf : [conf])) });
  setup(sim);
  sim.boot();
  sim.advance(4000);
  return sim;
}

/** What the probe recorded since boot; through JSON, so the tests get plain Node values. Throws without the probe. */
function recorded(sim: SimBoard, name: "fgReadings" | "fgEvents"): number[][] {
  const text = sim.eval<string | undefined>(`JSON.stringify(global.${name})`);
  if (text === undefined) throw new Error(`${name} is missing: the board runs without the readings probe`);
  return JSON.parse(text) as number[][];
}

/** Every reading since boot, oldest first; only channel `ch`'s if given. */
export function readingsOf(sim: SimBoard, ch?: number): Reading[] {
  const all = recorded(sim, "fgReadings").map((r) => ({ ch: r[0], qty: r[1], value: r[2], q: r[3] }));
  return ch === undefined ? all : all.filter((r) => r.ch === ch);
}

/** Readings cycle by cycle: a cycle starts with the gateway's own readings (channel 0), as main's cycle() does. */
export function cyclesOf(sim: SimBoard, ch?: number): Reading[][] {
  const out: Reading[][] = [];
  let prev = -1;
  for (const r of readingsOf(sim)) {
    if (r.ch === 0 && prev !== 0) out.push([]);
    if (out.length && (ch === undefined || r.ch === ch)) out[out.length - 1].push(r);
    prev = r.ch;
  }
  return out;
}

/** The newest cycle's readings; only channel `ch`'s if given. */
export function lastCycle(sim: SimBoard, ch?: number): Reading[] {
  const all = cyclesOf(sim, ch);
  return all.length ? all[all.length - 1] : [];
}

/** The value of the one reading of (ch, qty) in the newest cycle, which must have quality `q`. */
export function valueOf(sim: SimBoard, ch: number, qty: number, q = Q.OK): number {
  const found = lastCycle(sim, ch).filter((r) => r.qty === qty);
  expect(found.map((r) => ({ ch: r.ch, qty: r.qty, q: r.q }))).toEqual([{ ch, qty, q }]);
  return found[0].value;
}

/** Every event since boot, oldest first; only channel `ch`'s if given. */
export function eventsOf(sim: SimBoard, ch?: number): FwEvent[] {
  const all = recorded(sim, "fgEvents").map((e) => ({ ch: e[0], code: e[1], active: e[2], value: e[3] }));
  return ch === undefined ? all : all.filter((e) => e.ch === ch);
}

/** Forgets what the probe recorded so far. */
export function clearRecorded(sim: SimBoard): void {
  sim.eval("fgClear()");
}

/** The site configuration in force: the flash store's, else the file provisioning wrote (fg.site, never rewritten). */
export function storedSite(sim: SimBoard): any {
  const s = readStore(sim, sim.board)?.site ?? sim.storage.read("fg.site");
  return s === undefined ? undefined : JSON.parse(s);
}

/** A bare board (only the interpreter) with a console on it; `type` sends bytes and returns what came back. */
export function bareConsole(board = "sim", before?: (sim: SimBoard) => void): { sim: SimBoard; type: (s: string) => string } {
  const sim = new SimBoard({ board, memoryBaseline: false });
  before?.(sim);
  sim.boot();
  let out = "";
  const c = new SimConsole(sim, (s) => (out += s));
  return {
    sim,
    type(s: string) {
      out = "";
      c.input(s);
      return out;
    },
  };
}
