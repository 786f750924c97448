/**
 * npm run size: per board, the bundle's bytes, the Storage that code and
 * records take, and what is left for buffered readings.
 *   --json      one JSON array on stdout
 *   --brief     one line per board
 *   --drivers   also the bytes each sensor driver adds to the ESP32 + RAK3172 bundle
 *   --links     also the bytes each link adds to its boards' bundles
 *   --site <file> [--board <id>] [--drivers <a,b>]
 *               per board (or the one given), the bundle npm run flash writes
 *               for that site (its sensors' drivers, and those of --drivers)
 *               against the full bundle, and the Storage and buffer each leaves
 */
import fs from "node:fs";
import { rollup } from "rollup";
import { boards, boardById } from "../boards/index";
import { budgetFromDist, type Budget } from "./budget";
import { buildSiteBundle, DriverChoiceError, parseDriverList, siteDrivers } from "./build/site";
import { DIST } from "./sim/board";
import { bundleConfig } from "./build/config";
import type { Board } from "../boards/types";

const rows = boards.map((b) => budgetFromDist(b, DIST));
const kb = (n: number) => (n / 1024).toFixed(1) + " KB";

async function bundleBytes(board: Board): Promise<number> {
  const cfg = bundleConfig(board, { write: false });
  const b = await rollup({ ...cfg, onwarn: () => {} });
  const out = await b.generate(cfg.output as never);
  await b.close();
  return out.output[0].type === "chunk" ? Buffer.byteLength(out.output[0].code, "latin1") : 0;
}

/** Bytes each driver adds: the full bundle less the bundle built without that driver. */
export async function driverBytes(boardId = "esp32-rak3172"): Promise<Record<string, number>> {
  const board = boardById(boardId);
  const full = await bundleBytes(board);
  const out: Record<string, number> = { "(no drivers)": await bundleBytes({ ...board, drivers: [] }) };
  let own = 0;
  for (const d of board.drivers) {
    out[d] = full - (await bundleBytes({ ...board, drivers: board.drivers.filter((x) => x !== d) }));
    own += out[d];
  }
  // Helpers several drivers use (options, alarms, the transducer) leave only when all of them do.
  out["(shared)"] = full - out["(no drivers)"] - own;
  out["(all)"] = full;
  return out;
}

/** A site's bundle against the full one, on one board: null where the board cannot carry the site's drivers (why). */
export interface SiteSize {
  board: string;
  drivers: string[] | null;
  why?: string;
  site?: Budget;
  full: Budget;
}

export async function siteSizes(site: { sensors?: { kind?: unknown }[] }, extras: string[] = [], only?: string, cacheDir?: string): Promise<SiteSize[]> {
  const out: SiteSize[] = [];
  for (const b of only ? [boardById(only)] : boards) {
    const full = budgetFromDist(b, DIST);
    let kinds;
    try {
      kinds = siteDrivers(b, site, extras);
    } catch (e) {
      if (!(e instanceof DriverChoiceError)) throw e;
      out.push({ board: b.id, drivers: null, why: e.message, full });
      continue;
    }
    const sb = await buildSiteBundle(b, kinds, cacheDir);
    out.push({ board: b.id, drivers: sb.drivers, site: budgetFromDist(b, sb.dir), full });
  }
  return out;
}

const siteArg = process.argv.indexOf("--site") > 0 ? process.argv[process.argv.indexOf("--site") + 1] : undefined;
const valueOf = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] && !process.argv[i + 1].startsWith("--") ? process.argv[i + 1] : undefined;
};
// With --site, `--drivers a,b` names drivers to carry besides the site's, as npm run flash takes them; a bare --drivers is the bytes per driver.
const extraDrivers = siteArg ? valueOf("--drivers") : undefined;

if (siteArg) {
  const site = JSON.parse(fs.readFileSync(siteArg, "utf8"));
  const extras = parseDriverList(extraDrivers);
  const rowsOf = await siteSizes(site, extras, valueOf("--board"));
  const slot = (r: Budget) => `${r.bundleBytes} B${r.slotBytes !== r.bundleBytes ? ` (${r.slotBytes} stored)` : ""}`;
  const kinds = (Array.isArray(site.sensors) ? site.sensors : []).map((x: { kind: string }) => x.kind);
  if (process.argv.includes("--json")) process.stdout.write(JSON.stringify(rowsOf, null, 2) + "\n");
  else {
    console.log(`Site "${site.name}" (${siteArg}): sensors ${kinds.join(", ") || "none"}${extras.length ? `; with --drivers ${extras.join(", ")}` : ""}`);
    for (const r of rowsOf) {
      console.log(`\n${r.board}`);
      if (!r.site) {
        console.log(`  not for this board: ${r.why}`);
        continue;
      }
      const f = r.full;
      const st = r.site;
      console.log(`  drivers        ${r.drivers!.join(", ") || "(none)"}   (the full bundle: ${boardById(r.board).drivers.join(", ")})`);
      console.log(`  bundle         ${slot(st)}, full ${slot(f)}: ${f.bundleBytes - st.bundleBytes} B less${st.slotBytes !== st.bundleBytes ? `, ${f.slotBytes - st.slotBytes} B less stored` : ""}`);
      console.log(`  Storage used   ${st.storageUsed} B of ${st.storageTotal} B (full: ${f.storageUsed} B): ${st.storageTotal - st.storageUsed} B left beside the code (full: ${f.storageTotal - f.storageUsed} B)`);
      const pages = (p: Budget["storePages"]) => `${p.inside} in Storage, ${p.settings} of them settings`;
      console.log(`  store pages    ${pages(st.storePages)} (full: ${pages(f.storePages)})${st.storePages.outside ? `; ${st.storePages.outside} outside Storage` : ""}; ${st.storePages.readings} for readings (full: ${f.storePages.readings})`);
      console.log(`  buffer         ${st.bufferBytes} B for readings (full: ${f.bufferBytes} B)`);
    }
  }
} else if (process.argv.includes("--json")) {
  process.stdout.write(JSON.stringify(rows, null, 2) + "\n");
} else if (process.argv.includes("--brief")) {
  for (const r of rows) console.log(`${r.board.padEnd(20)} bundle ${String(r.bundleBytes).padStart(6)} B${r.slotBytes !== r.bundleBytes ? ` (${r.slotBytes} B compressed)` : ""}, buffer ${kb(r.bufferBytes)}`);
} else {
  console.log("board                 bundle bytes   Storage used (slots)   Storage total   left for readings");
  for (const r of rows) {
    console.log(
      `${r.board.padEnd(20)}  ${String(r.bundleBytes).padStart(12)}   ${kb(r.storageUsed).padStart(12)} (${r.appSlots}${r.slotBytes !== r.bundleBytes ? ", compressed" : ""})   ${kb(r.storageTotal).padStart(13)}   ${kb(r.bufferBytes).padStart(17)}`,
    );
  }
  console.log("\nStorage used = app slots × (bundle + 32-byte header) + loader + identity, site and boot control; the flash store takes the rest but a page (docs/storage-layout.md).");
  for (const r of rows) console.log(`  ${r.board.padEnd(20)} store pages: ${r.storePages.settings} settings, ${r.storePages.slot} app slot, ${r.storePages.events} events, ${r.storePages.readings} readings${r.storePages.outside ? ` (events and readings outside Storage, ${r.storePages.outside} pages)` : ""}`);
}
if (process.argv.includes("--drivers") && !extraDrivers) {
  const d = await driverBytes();
  console.log("\nBytes each driver adds to the esp32-rak3172 bundle (its own code; helpers shared by drivers are listed once):");
  for (const [k, v] of Object.entries(d)) console.log(`  ${k.padEnd(14)} ${String(v).padStart(6)} B`);
}

/** Bytes each link adds: the board's bundle less the bundle built without it. */
export async function linkBytes(): Promise<{ board: string; link: string; bytes: number }[]> {
  const out: { board: string; link: string; bytes: number }[] = [];
  for (const b of boards) {
    if (b.id === "sim") continue;
    const full = await bundleBytes(b);
    if (b.hw.modem) out.push({ board: b.id, link: `LoRaWAN (${b.hw.modem.kind})`, bytes: full - (await bundleBytes({ ...b, hw: { ...b.hw, modem: undefined } })) });
    if (b.hw.wifi) out.push({ board: b.id, link: "Wi-Fi, MQTT and HTTP", bytes: full - (await bundleBytes({ ...b, hw: { ...b.hw, wifi: false }, modules: b.modules.filter((m) => m !== "Wifi" && m !== "net" && m !== "http" && m !== "tls") })) });
  }
  return out;
}

if (process.argv.includes("--links") && !siteArg) {
  console.log("\nBytes each link adds to its boards' bundles (the sender, buffer and frames are counted in the base):");
  for (const r of await linkBytes()) console.log(`  ${r.board.padEnd(20)} ${r.link.padEnd(24)} ${String(r.bytes).padStart(6)} B`);
}
