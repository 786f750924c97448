/**
 * The loader: saved as .bootcde, run by the interpreter at power-on. It runs
 * the image the newest valid boot record in fg.boot names, once its bytes
 * match the record's CRC-32; an image that does not (a write cut short, a
 * slot being written) is passed over for the record before it
 * (docs/storage-layout.md, "Boot control"). An image on trial is run at
 * most BOOT_TRIES times until it confirms itself; then it is passed over,
 * and the one before runs again. A board with no records runs fg.app.a as
 * it is.
 */
import { BOOT_APP_A, BOOT_CHECK, BOOT_MAGIC, BOOT_OK, BOOT_OK_WORD, BOOT_RECORD_BYTES, BOOT_TRIAL, BOOT_TRIES, BOOT_TRY, BOOT_TRY_WORD, BOOT_Z, FILE, FILE_HEADER_BYTES, FILE_STORE, STORAGE_HASH_SEED } from "./store/storage-layout";

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

/**
 * The app's source. eval runs it in the scope eval is called from
 * (jswrap_functions.c 163-169), and the app's closures keep that scope for
 * ever: so no variable of it may hold the source, which on a compressed slot
 * is unpacked into RAM (33 KB: 2400 JsVars of the DK's 12500), nor the boot
 * records. This function's own variables go when it returns.
 */
function app(): string {
  const ctl = S.readArrayBuffer(FILE.bootCtl);
  const n = ctl ? (ctl.byteLength / BOOT_RECORD_BYTES) | 0 : 0;
  const R = BOOT_RECORD_BYTES / 4;
  const w = new Uint32Array(n ? ctl! : new ArrayBuffer(0), 0, n * R);
  const valid: number[] = [];
  for (let k = 0; k < n * R && w[k] !== 0xffffffff; k += R)
    if (w[k] >>> 16 === BOOT_MAGIC && ((w[k] ^ w[k + 1] ^ w[k + 2] ^ w[k + 3] ^ BOOT_CHECK) >>> 0) === w[k + 4]) valid.push(k);
  while (valid.length) {
    const k = valid.pop()!;
    // Storage.read gives a view of flash (Storage is memory-mapped on the nRF52 and the ESP32,
    // jsflash.c 1061-1076), so the app runs from flash; E.toString hands a string back as it is
    // (jswrap_espruino.c 1019-1020). A compressed image is unpacked into RAM.
    const d = S.read((w[k] & 0xff) === BOOT_APP_A ? FILE.appA : FILE_STORE, w[k + 1], w[k + 2]);
    if (d === undefined || d.length !== w[k + 2] || (E.CRC32(d) >>> 0) !== w[k + 3]) continue;
    if (w[k] & BOOT_TRIAL && w[k + BOOT_OK_WORD] !== BOOT_OK) {
      let t = BOOT_TRY_WORD;
      while (t < BOOT_TRY_WORD + BOOT_TRIES && w[k + t] !== 0xffffffff) t++;
      if (t === BOOT_TRY_WORD + BOOT_TRIES) {
        console.log("WARN Boot: the image on trial never confirmed itself in " + BOOT_TRIES + " boots; running the one before");
        continue;
      }
      // fg.boot's data address, from Storage.hash (STORAGE_HASH_SEED), as src/store/store.ts finds fg.store's.
      const at = ((S.hash(/^fg\.boot$/) ^ STORAGE_HASH_SEED ^ E.CRC32(FILE.bootCtl)) >>> 0) + FILE_HEADER_BYTES + k * 4;
      require("Flash").write(new Uint8Array(new Uint32Array([BOOT_TRY]).buffer), at + t * 4);
      // Where the app writes its confirmation once its self-test passed (src/store/trial.ts, trialPassed).
      (global as any).fgTrial = at + BOOT_OK_WORD * 4;
      // One that hangs before its own scheduler kicks the watchdog is restarted, and tried again.
      E.enableWatchdog(20, false);
    }
    return E.toString(w[k] & BOOT_Z ? require("heatshrink").decompress(E.toArrayBuffer(d)) : d);
  }
  const a = S.read(FILE.appA);
  return a === undefined ? 'console.log("ERROR No firmware in Storage: flash the board again over USB")' : E.toString(a);
}
eval(app());
