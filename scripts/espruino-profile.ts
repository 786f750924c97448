/**
 * What Espruino 2v29 lacks, from docs/espruino-2v29.md. The
 * build's compatibility gate refuses bundles that reference these, and the
 * simulated board deletes them from its realm, so both agree by construction.
 */

/** Global bindings the interpreter does not have. */
export const absentGlobals: readonly string[] = [
  "Map", "Set", "WeakMap", "WeakSet", "WeakRef", "FinalizationRegistry", "Symbol", "Proxy", "Reflect",
  "TextEncoder", "TextDecoder", "RangeError", "BigInt", "BigInt64Array", "BigUint64Array",
  "SharedArrayBuffer", "Atomics", "WebAssembly", "Intl", "AggregateError", "globalThis",
  "queueMicrotask", "structuredClone", "URL", "URLSearchParams", "AbortController", "fetch",
];

/** Static members missing from built-in constructors, as "Owner.member". */
export const absentStatics: readonly string[] = [
  "Array.from", "Array.of", "Uint8Array.from", "Uint8Array.of", "ArrayBuffer.isView",
  "Number.isFinite", "Number.isInteger", "Number.isNaN", "Number.isSafeInteger", "Number.parseFloat",
  "Number.parseInt", "Number.MAX_SAFE_INTEGER", "Number.MIN_SAFE_INTEGER", "Number.EPSILON",
  "Math.trunc", "Math.fround", "Math.log2", "Math.log10", "Math.hypot", "Math.cbrt", "Math.clz32",
  "Math.imul", "Math.expm1", "Math.log1p", "Math.sinh", "Math.cosh", "Math.tanh",
  "Promise.race", "Promise.any", "Promise.allSettled", "Date.UTC",
  "Object.fromEntries", "Object.getOwnPropertySymbols", "Object.is", "Object.freeze", "Object.isFrozen", "Object.seal",
  "String.raw", "crypto.HMAC",
];

/**
 * Prototype methods missing from the interpreter. A member call with one of
 * these names is refused by the gate whatever the receiver, since the
 * receiver's type is unknown after minification; the realm deletes them.
 */
export const absentMethods: readonly string[] = [
  "finally", "flat", "flatMap", "findLast", "findLastIndex", "replaceAll", "matchAll",
  "at", "toSorted", "toReversed", "toSpliced", "padEnd", "trimStart", "trimEnd", "codePointAt", "normalize",
];

/** Which prototypes the realm removes each absent method from. */
export const absentMethodOwners: Readonly<Record<string, readonly string[]>> = {
  finally: ["Promise"],
  flat: ["Array"], flatMap: ["Array"], findLast: ["Array", "TypedArray"], findLastIndex: ["Array", "TypedArray"],
  at: ["Array", "String", "TypedArray"], toSorted: ["Array", "TypedArray"], toReversed: ["Array", "TypedArray"],
  toSpliced: ["Array"], replaceAll: ["String"], matchAll: ["String"], padEnd: ["String"],
  trimStart: ["String"], trimEnd: ["String"], codePointAt: ["String"], normalize: ["String"],
};

/** `require()` names that are not built into the interpreter (online modules). */
export const absentModules: readonly string[] = ["MQTT"];

/** Every built-in module name an Espruino build may provide. */
export const builtinModules: readonly string[] = ["Storage", "crypto", "heatshrink", "net", "http", "tls", "Wifi", "Flash"];
