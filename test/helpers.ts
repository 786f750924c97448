/** Shared set-up for tests that run bundles on the simulated board. */
import { SimBoard, type SimOptions } from "../scripts/sim/board";
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

/** The part of the newest readings line about one named sensor. */
export function lastOf(sim: SimBoard, name: string): string {
  const lines = readingLines(sim);
  const l = lines[lines.length - 1] ?? "";
  const part = l.split("; ").find((p) => p.startsWith(name + ": "));
  return part ? part.slice(name.length + 2) : "";
}

/** Lines with ALARM, Cleared or notices for a named sensor. */
export function eventLines(sim: SimBoard, name: string): string[] {
  return sim.console.map((l) => l.text).filter((t) => t.includes(` ${name}: `) && !t.startsWith("INFO Readings"));
}

/** Number from "level 450 mm" style text. */
export function valueIn(text: string, word: string): number {
  const m = new RegExp(word + " (-?[0-9.]+)").exec(text);
  return m ? Number(m[1]) : NaN;
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
