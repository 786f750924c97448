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

/** Scratch for a float's bytes, big-endian as CBOR has them (a DataView's default); pure, so it leaves with cborNumber. */
const raw = /*#__PURE__*/ new Uint8Array(8);
const dv = /*#__PURE__*/ new DataView(raw.buffer);

/**
 * A number in its shortest exact form: an integer, or a half, single or double float.
 * The width is found from the single's bits, never from Math.log or Math.pow: the
 * interpreter computes those through exp and log (jswrap_math.c 300-334), and
 * Math.pow(2, -6) is not 0.015625 there.
 */
export function cborNumber(x: number): boolean {
  if (x % 1 === 0 && Math.abs(x) < 9007199254740992) return cborInt(x);
  let n = 8;
  dv.setFloat32(0, x);
  if (dv.getFloat32(0) === x || x !== x) {
    n = 4;
    // The single's bits (NaN as the one quiet NaN): exponent e, 23 mantissa bits m.
    const b = x === x ? dv.getInt32(0) : 0x7fc00000;
    const e = (b >>> 23) & 255;
    let m = b & 0x7fffff;
    // A half keeps 10 mantissa bits; below 2^-14 (e < 113) it is subnormal, its leading 1 among them.
    let he = e === 255 ? 31 : e - 112 > 30 ? 32 : e - 112;
    let sh = 13;
    if (he < 1) {
      sh = 14 - he;
      m |= 0x800000;
      he = 0;
    }
    if (he < 32 && sh < 24 && !(m & ((1 << sh) - 1))) {
      dv.setUint16(0, ((b >>> 16) & 0x8000) | (he << 10) | (m >>> sh));
      n = 2;
    }
  } else dv.setFloat64(0, x);
  if (cborPos + 1 + n > end) return false;
  buf[cborPos++] = n < 4 ? 0xf9 : n < 8 ? 0xfa : 0xfb;
  for (let k = 0; k < n; k++) buf[cborPos++] = raw[k];
  return true;
}

/** A short ASCII text string. */
export function cborText(s: string): boolean {
  if (cborPos + intSize(s.length) + s.length > end || !head(3, s.length)) return false;
  for (let i = 0; i < s.length; i++) buf[cborPos++] = s.charCodeAt(i) & 127;
  return true;
}
