/**
 * Counters kept in Storage that survive a power cut at any byte.
 * A value is two 32-bit words (a, b), ordered first by a, then by b, and is
 * only ever raised. Each goes into its own 12-byte slot: a, b and the CRC-32 of
 * the two, little-endian. A slot whose CRC does not match was torn by a power
 * cut and is skipped. A full file rolls over to its twin (name.0 / name.1):
 * the twin is written before the full one is erased, so one of them always
 * holds the latest value.
 */
import { FILE, TALLY_SLOTS } from "./storage-layout";

const S = require("Storage");
export const TALLY_SLOT = 12;
const slotBuf = new Uint8Array(TALLY_SLOT);

function u32At(s: string, i: number): number {
  return (s.charCodeAt(i) | (s.charCodeAt(i + 1) << 8) | (s.charCodeAt(i + 2) << 16) | (s.charCodeAt(i + 3) << 24)) >>> 0;
}

function put32(b: Uint8Array, i: number, v: number): void {
  b[i] = v & 255;
  b[i + 1] = (v >>> 8) & 255;
  b[i + 2] = (v >>> 16) & 255;
  b[i + 3] = (v >>> 24) & 255;
}

interface Found {
  a: number; // -1 when the file holds no valid slot
  b: number;
  free: number; // first erased slot, or TALLY_SLOTS when full
}

function later(a1: number, b1: number, a2: number, b2: number): boolean {
  return a1 > a2 || (a1 === a2 && b1 > b2);
}

function scan(file: string): Found | null {
  const s = S.read(file);
  if (s === undefined) return null;
  let a = -1;
  let b = 0;
  let free = TALLY_SLOTS;
  for (let i = 0; i < TALLY_SLOTS; i++) {
    const o = i * TALLY_SLOT;
    const w0 = u32At(s, o);
    const w1 = u32At(s, o + 4);
    const c = u32At(s, o + 8);
    if (w0 === 0xffffffff && w1 === 0xffffffff && c === 0xffffffff) {
      free = i;
      break;
    }
    if ((E.CRC32(s.substr(o, 8)) >>> 0) === c && (a < 0 || later(w0, w1, a, b))) {
      a = w0;
      b = w1;
    }
  }
  return { a: a, b: b, free: free };
}

/** The stored value: [a, b], or null when none was ever stored. */
export function tallyGet(name: string): number[] | null {
  const x = scan(FILE.tally + name + ".0");
  const y = scan(FILE.tally + name + ".1");
  const xa = x ? x.a : -1;
  const ya = y ? y.a : -1;
  if (xa < 0 && ya < 0) return null;
  if (xa >= 0 && (ya < 0 || !later(y!.a, y!.b, xa, x!.b))) return [xa, x!.b];
  return [ya, y!.b];
}

/** The first word of the stored value, or -1 when none was stored. */
export function tallyRead(name: string): number {
  const v = tallyGet(name);
  return v ? v[0] : -1;
}

/** Stores a value; values must not go down. */
export function tallyWrite(name: string, a: number, b?: number): void {
  const n0 = FILE.tally + name + ".0";
  const n1 = FILE.tally + name + ".1";
  const x = scan(n0);
  const y = scan(n1);
  // The live file is the one with the newest value; the other is spare.
  const xLive = x && x.a >= 0 && (!y || y.a < 0 || !later(y.a, y.b, x.a, x.b));
  const live = xLive ? x : y && y.a >= 0 ? y : x;
  const liveName = live === x ? n0 : n1;
  put32(slotBuf, 0, a >>> 0);
  put32(slotBuf, 4, (b || 0) >>> 0);
  put32(slotBuf, 8, E.CRC32(new Uint8Array(slotBuf.buffer, 0, 8)) >>> 0);
  if (live && live.free < TALLY_SLOTS) {
    S.write(liveName, slotBuf, live.free * TALLY_SLOT, TALLY_SLOTS * TALLY_SLOT);
    return;
  }
  const spareName = live === x ? n1 : n0;
  S.write(spareName, slotBuf, 0, TALLY_SLOTS * TALLY_SLOT);
  if (live) S.erase(liveName);
}
