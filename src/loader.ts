/**
 * The loader: saved as .bootcde, run by the interpreter at power-on. It runs
 * the app slot fg.boot names (A unless told otherwise), and falls back to the
 * other slot if that one is missing.
 */
import { FILE } from "./storage-layout";

const S = require("Storage");
const ctl = S.readJSON(FILE.bootCtl, true);
const want = ctl && ctl.slot === "b" ? FILE.appB : FILE.appA;
let code = S.read(want);
if (code === undefined) code = S.read(want === FILE.appA ? FILE.appB : FILE.appA);
if (code === undefined) console.log("ERROR No firmware in Storage: flash the board again over USB");
// The app runs from flash: Storage.read maps the file, eval does not copy it into RAM.
else eval(code);
