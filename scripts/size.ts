/**
 * npm run size: per board, the bundle's bytes, the Storage that code and
 * records take, and what is left for buffered readings.
 *   --json   one JSON array on stdout
 *   --brief  one line per board (printed after every build)
 */
import { boards } from "../boards/index";
import { budgetFromDist } from "./budget";
import { DIST } from "./sim/board";

const rows = boards.map((b) => budgetFromDist(b, DIST));
const kb = (n: number) => (n / 1024).toFixed(1) + " KB";

if (process.argv.includes("--json")) {
  process.stdout.write(JSON.stringify(rows, null, 2) + "\n");
} else if (process.argv.includes("--brief")) {
  for (const r of rows) console.log(`${r.board.padEnd(20)} bundle ${String(r.bundleBytes).padStart(6)} B, buffer ${kb(r.bufferBytes)}`);
} else {
  console.log("board                 bundle bytes   Storage used (slots)   Storage total   left for readings");
  for (const r of rows) {
    console.log(
      `${r.board.padEnd(20)}  ${String(r.bundleBytes).padStart(12)}   ${kb(r.storageUsed).padStart(12)} (${r.appSlots})   ${kb(r.storageTotal).padStart(13)}   ${kb(r.bufferBytes).padStart(17)}`,
    );
  }
  console.log("\nStorage used = app slots × (bundle + 32-byte header) + loader + identity, site, boot control and tallies (docs/storage-layout.md).");
}
