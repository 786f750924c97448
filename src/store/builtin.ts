/**
 * The interpreter's Storage and Flash modules, required once for the whole
 * firmware: every require() in the bundle costs its bytes.
 */
export const S = require("Storage");
export const F = require("Flash");
