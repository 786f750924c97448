/**
 * A CBOR (RFC 8949) writer into one preallocated buffer: nothing is allocated
 * per item. Written by hand because the CBOR libraries for JavaScript need
 * what Espruino lacks (TextEncoder, Map, BigInt, typed-array helpers).
 * Every write checks the room left and reports false rather than overrun.
 */

let buf: Uint8Array = new Uint8Array(0);
/** Where the next byte goes (read it, set it with cborRewind). */
export let cborPos = 0;
let end = 0;

/** Starts writing at buffer[0], up to `limit` bytes. */
export function cborBegin(b: Uint8Array, limit: number): void {
  buf = b;
  cborPos = 0;
  end = limit < b.length ? limit : b.length;
}

export function cborRewind(p: number): void {
  cborPos = p;
}

/** Bytes an integer takes. */
export function intSize(v: number): number {
  const n = v < 0 ? -1 - v : v;
  return n < 24 ? 1 : n < 256 ? 2 : n < 65536 ? 3 : n < 4294967296 ? 5 : 9;
}

function head(major: number, n: number): boolean {
  const size = intSize(n);
  if (cborPos + size > end) return false;
  // n itself below 24, else 24, 25, 26 or 27 for the 1, 2, 4 or 8 bytes that follow.
  buf[cborPos++] = (major << 5) | (size < 2 ? n : size < 4 ? 22 + size : size < 6 ? 26 : 27);
  // Big-endian, by division: the interpreter's bit operators are 32-bit, and n goes up to 2^53.
  let d = 1;
  for (let k = 2; k < size; k++) d *= 256;
  for (let k = 1; k < size; k++, d /= 256) buf[cborPos++] = Math.floor(n / d) % 256;
  return true;
}

/** A whole number, positive or negative. */
export function cborInt(v: number): boolean {
  return v < 0 ? head(1, -1 - v) : head(0, v);
}

export function cborArray(n: number): boolean {
  return head(4, n);
}

export function cborMap(n: number): boolean {
  return head(5, n);
}

export function cborNull(): boolean {
  if (cborPos >= end) return false;
  buf[cborPos++] = 0xf6;
  return true;
}

export function cborBool(v: boolean): boolean {
  if (cborPos >= end) return false;
  buf[cborPos++] = v ? 0xf5 : 0xf4;
  return true;
}

/** A one-byte array or map header written earlier at `at` gets its count (at most 23). */
export function cborPatch(at: number, n: number): void {
  buf[at] = (buf[at] & 0xe0) | n;
}

/** A float's bytes, little-endian as typed arrays are on every board, as a half, a single and a double (pure: left out with cborNumber). */
const raw = /*#__PURE__*/ new Uint8Array(8);
const u16 = /*#__PURE__*/ new Uint16Array(raw.buffer, 0, 1);
const f32 = /*#__PURE__*/ new Float32Array(raw.buffer, 0, 1);
const f64 = /*#__PURE__*/ new Float64Array(raw.buffer, 0, 1);

/** Half precision bits of x if it is exactly representable, else -1. */
function half(x: number): number {
  if (x === 0) return 1 / x < 0 ? 0x8000 : 0;
  const a = Math.abs(x);
  let e = Math.floor(Math.log(a) / Math.LN2);
  if (Math.pow(2, e) > a) e--; // guard the logarithm's rounding
  if (Math.pow(2, e + 1) <= a) e++;
  if (e > 15 || e < -24) return -1;
  const sign = x < 0 ? 0x8000 : 0;
  if (e < -14) {
    const m = a / Math.pow(2, -24); // subnormal
    return m % 1 ? -1 : sign | m;
  }
  const m = (a / Math.pow(2, e) - 1) * 1024;
  return m % 1 ? -1 : sign | ((e + 15) << 10) | m;
}

/** A number in its shortest exact form: an integer, or a half, single or double float. */
export function cborNumber(x: number): boolean {
  if (x % 1 === 0 && Math.abs(x) < 9007199254740992) return cborInt(x);
  const h = isNaN(x) ? 0x7e00 : x === Infinity ? 0x7c00 : x === -Infinity ? 0xfc00 : half(x);
  // A half where it holds x exactly, else a single, else a double.
  let n = 2;
  if (h >= 0) u16[0] = h;
  else {
    f32[0] = x;
    n = 4;
    if (f32[0] !== x) {
      f64[0] = x;
      n = 8;
    }
  }
  if (cborPos + 1 + n > end) return false;
  buf[cborPos++] = n < 4 ? 0xf9 : n < 8 ? 0xfa : 0xfb;
  // CBOR is big-endian.
  while (n) buf[cborPos++] = raw[--n];
  return true;
}

/** A short ASCII text string. */
export function cborText(s: string): boolean {
  if (cborPos + intSize(s.length) + s.length > end || !head(3, s.length)) return false;
  for (let i = 0; i < s.length; i++) buf[cborPos++] = s.charCodeAt(i) & 127;
  return true;
}
