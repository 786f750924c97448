/**
 * The loader: saved as .bootcde, run by the interpreter at power-on. It runs
 * the app slot fg.boot names (A unless told otherwise), and falls back to the
 * other slot if that one is missing.
 */
import { FILE } from "./store/storage-layout";

const S = require("Storage");
/**
 * The console lock (.bootPowerOn, written by `npm run flash -- --lock`), again:
 * the interpreter ran it at power-on (jsflash.c 1419-1425), but load() empties
 * RAM, the password with it (jsvReset, jsinteractive.c 2637, 2648), and keeps
 * the console's lock (JSIS_SOFTINIT_MASK, jsinteractive.h 177): a console
 * locked without a password takes none until the next power-on.
 */
// As a string: V8's eval in the simulator hands anything else back unrun; the interpreter's takes it
// as a string anyway (jswrap_functions.c 163-169). No file gives "undefined", which does nothing.
eval(S.read(FILE.powerOn) + "");
const ctl = S.readJSON(FILE.bootCtl, true);
const want = ctl && ctl.slot === "b" ? FILE.appB : FILE.appA;
const slot = S.read(want) !== undefined ? want : want === FILE.appA ? FILE.appB : FILE.appA;

/**
 * The app's source. eval runs it in the scope eval is called from
 * (jswrap_functions.c 163-169), and the app's closures keep that scope for
 * ever: so no variable of it may hold the source, which on a compressed slot
 * is unpacked into RAM (33 KB: 2400 JsVars of the DK's 12500). This
 * function's own variables go when it returns.
 */
function app(): string {
  const z = ctl && ctl.z;
  // A compressed slot (boards with little Storage) is unpacked into RAM; otherwise the app
  // runs from flash: Storage.read maps the file, and E.toString hands a string back as it is
  // (jswrap_espruino.c 1019-1020).
  const d = z ? S.readArrayBuffer(slot) : S.read(slot);
  return d === undefined ? 'console.log("ERROR No firmware in Storage: flash the board again over USB")' : E.toString(z ? require("heatshrink").decompress(d) : d);
}
eval(app());
