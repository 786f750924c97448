/**
 * A site's bundle: a board's firmware with the drivers of the sensors in one
 * site file and no others, plus any the technician names for sensors planned
 * later (`npm run flash -- --drivers trough,pump`). What the board does not
 * carry stays free in its Storage (docs/provisioning.md, "Which drivers go
 * on the board").
 *
 * The bundle and its loader go to a cache directory that git ignores
 * (.cache/site-bundles/), one directory per board, driver set and state of
 * the sources, so flashing the same site again does not build again. Never
 * dist/: the simulator and the tests take the full bundles from there.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { rollup, type OutputOptions, type RollupOptions } from "rollup";
import { ALL_DRIVERS, type Board, type DriverKind } from "../../boards/types";
import { bundleConfig, loaderConfig, ROOT } from "./config";

export const SITE_CACHE = path.join(ROOT, ".cache", "site-bundles");

/** A site's kinds, or the extras given, that cannot go into this board's bundle. */
export class DriverChoiceError extends Error {}

/**
 * The drivers a site's bundle holds: the kinds its sensors name, and the
 * extras, in the board file's order. An unknown kind, or one the board file
 * leaves out, is refused with the kinds the board offers.
 */
export function siteDrivers(board: Board, site: { sensors?: readonly { kind?: unknown }[] }, extras: readonly string[] = []): DriverKind[] {
  const want = new Set<string>();
  const from = new Map<string, string>();
  // A sensor without a kind, or sensors that are no list, are the site's checks' to refuse (checkSite), with the field named.
  (Array.isArray(site.sensors) ? site.sensors : []).forEach((s, i) => {
    if (typeof s?.kind !== "string") return;
    const k = s.kind;
    want.add(k);
    if (!from.has(k)) from.set(k, `site.sensors[${i}].kind`);
  });
  for (const k of extras) {
    want.add(k);
    if (!from.has(k)) from.set(k, "--drivers");
  }
  const offers = `${board.id} offers ${board.drivers.join(", ")}`;
  for (const k of want) {
    if (!(ALL_DRIVERS as readonly string[]).includes(k)) throw new DriverChoiceError(`${from.get(k)}: there is no "${k}" driver; ${offers}.`);
    if (!(board.drivers as readonly string[]).includes(k)) throw new DriverChoiceError(`${from.get(k)}: ${board.id} has no "${k}" driver (its board file leaves it out); ${offers}.`);
  }
  return board.drivers.filter((k) => want.has(k));
}

/** "--drivers trough,pump" as a list of kinds; empty entries dropped. */
export function parseDriverList(arg: string | undefined): string[] {
  return (arg ?? "").split(",").map((s) => s.trim()).filter(Boolean);
}

/** The board with only these drivers: what the build bundles for it. */
export function withDrivers(board: Board, kinds: readonly DriverKind[]): Board {
  return { ...board, drivers: kinds };
}

/** Everything the bundle is made from: a change to any of it builds again. */
function sourceHash(board: Board, kinds: readonly DriverKind[]): string {
  const h = crypto.createHash("sha256");
  h.update(JSON.stringify({ board: board.id, kinds }));
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else files.push(p);
    }
  };
  for (const d of ["src", "boards", "scripts/build"]) walk(path.join(ROOT, d));
  files.push(...["package.json", "tsconfig.json", "scripts/heatshrink.ts"].map((f) => path.join(ROOT, f)));
  for (const f of files.sort()) h.update(path.relative(ROOT, f) + "\0").update(fs.readFileSync(f));
  return h.digest("hex").slice(0, 16);
}

export interface SiteBundle {
  /** A directory holding <board>.js and loader.js, as dist/ does. */
  dir: string;
  drivers: DriverKind[];
  bundleBytes: number;
  /** Taken from the cache, not built now. */
  cached: boolean;
}

/** Builds the board's bundle with just these drivers, and the loader, into the cache (or `cacheDir`). */
export async function buildSiteBundle(board: Board, kinds: readonly DriverKind[], cacheDir = SITE_CACHE): Promise<SiteBundle> {
  const drivers = board.drivers.filter((k) => kinds.includes(k));
  const dir = path.join(cacheDir, `${board.id}-${drivers.join("+") || "none"}-${sourceHash(board, drivers)}`);
  const file = path.join(dir, `${board.id}.js`);
  const done = fs.existsSync(file) && fs.existsSync(path.join(dir, "loader.js"));
  if (!done) {
    // Built aside and moved in whole: a build cut short never counts as cached.
    fs.mkdirSync(cacheDir, { recursive: true });
    const tmp = fs.mkdtempSync(path.join(cacheDir, ".build-"));
    try {
      for (const cfg of [loaderConfig(tmp), bundleConfig(withDrivers(board, drivers), { outDir: tmp })] as RollupOptions[]) {
        const b = await rollup({ ...cfg, onwarn: () => {} });
        await b.write(cfg.output as OutputOptions);
        await b.close();
      }
      fs.rmSync(dir, { recursive: true, force: true });
      fs.renameSync(tmp, dir);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  return { dir, drivers, bundleBytes: fs.statSync(file).size, cached: done };
}
