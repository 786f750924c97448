/** Shared set-up for tests that run bundles on the simulated board. */
import { SimBoard, type SimOptions } from "../scripts/sim/board";
import { standardWorld } from "../scripts/sim/world";

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
