/**
 * heatshrink with Espruino's own parameters, from the EspruinoTools package
 * (an emscripten build of the same C the interpreter uses), so what the
 * flasher compresses is exactly what require("heatshrink") on the board unpacks.
 */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const hs = require("espruino/libs/heatshrink.js") as { compress(b: Uint8Array): Uint8Array; decompress(b: Uint8Array): Uint8Array };

export function compress(b: Uint8Array): Uint8Array {
  return hs.compress(b);
}

export function decompress(b: Uint8Array): Uint8Array {
  return hs.decompress(b);
}
