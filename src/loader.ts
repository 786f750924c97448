/**
 * The loader: saved as .bootcde, run by the interpreter at power-on. It runs
 * the app slot fg.boot names (A unless told otherwise), and falls back to the
 * other slot if that one is missing.
 */
import { FILE } from "./store/storage-layout";

const S = require("Storage");
const ctl = S.readJSON(FILE.bootCtl, true);
const want = ctl && ctl.slot === "b" ? FILE.appB : FILE.appA;
const slot = S.read(want) !== undefined ? want : want === FILE.appA ? FILE.appB : FILE.appA;
let code: string | undefined;
// A compressed slot (boards with little Storage) is unpacked into RAM; otherwise the app
// runs from flash: Storage.read maps the file, eval does not copy it.
if (ctl && ctl.z) {
  const z = S.readArrayBuffer(slot);
  if (z) code = E.toString(require("heatshrink").decompress(z));
} else code = S.read(slot);
if (code === undefined) console.log("ERROR No firmware in Storage: flash the board again over USB");
else eval(code);
