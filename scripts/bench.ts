/**
 * npm run bench [-- --json]: measured figures, each from a run made now.
 * The human-readable table goes to stdout, or one JSON object with --json.
 */
import fs from "node:fs";
import path from "node:path";
import { SimBoard, V8_BYTES_PER_JSVAR } from "./sim/board";
import { firmwareAllocation } from "./sim/alloc";
import { demoWorld } from "./sim/world";

const here = path.dirname(new URL(import.meta.url).pathname);
const demoSite = JSON.parse(fs.readFileSync(path.join(here, "sites/demo.json"), "utf8"));

/** The demo site on the sim board, booted and past its first cycle. */
function demoBoard(): SimBoard {
  const sim = new SimBoard({ board: "sim", seed: 7 });
  sim.install();
  sim.writeSite(demoSite);
  demoWorld(sim);
  sim.boot();
  sim.advance(60_000);
  return sim;
}

/** JsVars one reading cycle of the demo site allocates (estimate): median over 9 cycles. */
async function cycleAllocation(): Promise<number> {
  const sim = demoBoard();
  const per: number[] = [];
  for (let i = 0; i < 9; i++) {
    sim.advance(demoSite.interval * 1000 - 5000); // up to just before the next cycle
    per.push((await firmwareAllocation(() => sim.advance(5000))) / V8_BYTES_PER_JSVAR);
  }
  per.sort((a, b) => a - b);
  return Math.round(per[4]);
}

const results: Record<string, number> = {};
results.cycleAllocJsVars = await cycleAllocation();

if (process.argv.includes("--json")) process.stdout.write(JSON.stringify(results) + "\n");
else {
  console.log("feldgate bench (simulated board, demo site)\n");
  console.log(`  one reading cycle allocates      ~${results.cycleAllocJsVars} JsVars (estimate: firmware allocations in V8 / ${V8_BYTES_PER_JSVAR} B)`);
}
