/**
 * A counter kept in Storage that survives power cuts at any byte.
 * Each value goes into its own 8-byte slot, [value u32 LE][~value u32 LE], in
 * a file of TALLY_SLOTS slots; a slot whose two words disagree was torn by a
 * power cut and is skipped. A full file rolls over to its twin (name.0 /
 * name.1): the twin is written before the full one is erased, so one of them
 * always holds the latest value.
 */
import { FILE, TALLY_SLOTS } from "./storage-layout";

const S = require("Storage");
const SLOT = 8;

function u32At(s: string, i: number): number {
  return (s.charCodeAt(i) | (s.charCodeAt(i + 1) << 8) | (s.charCodeAt(i + 2) << 16) | (s.charCodeAt(i + 3) << 24)) >>> 0;
}

function u32Chars(v: number): string {
  return String.fromCharCode(v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255);
}

interface Found {
  value: number; // -1 when the file holds none
  free: number; // first erased slot, or TALLY_SLOTS when full
}

function scan(file: string): Found | null {
  const s = S.read(file);
  if (s === undefined) return null;
  let value = -1;
  let free = TALLY_SLOTS;
  for (let i = 0; i < TALLY_SLOTS; i++) {
    const a = u32At(s, i * SLOT);
    const b = u32At(s, i * SLOT + 4);
    if (a === 0xffffffff && b === 0xffffffff) {
      free = i;
      break;
    }
    if (((a ^ b) >>> 0) === 0xffffffff && (value < 0 || a >= value)) value = a;
  }
  return { value: value, free: free };
}

/** The stored value, or -1 when none was ever stored. */
export function tallyRead(name: string): number {
  const a = scan(FILE.tally + name + ".0");
  const b = scan(FILE.tally + name + ".1");
  const va = a ? a.value : -1;
  const vb = b ? b.value : -1;
  return va > vb ? va : vb;
}

/** Stores a value. Values must not go down: the larger of the twins wins on read. */
export function tallyWrite(name: string, value: number): void {
  const n0 = FILE.tally + name + ".0";
  const n1 = FILE.tally + name + ".1";
  const a = scan(n0);
  const b = scan(n1);
  // The live file is the one with the newest value; the other is spare.
  const aLive = a && (!b || a.value >= b.value);
  const live = aLive ? a : b;
  const liveName = aLive ? n0 : n1;
  const slot = u32Chars(value >>> 0) + u32Chars(~value >>> 0);
  if (live && live.free < TALLY_SLOTS) {
    S.write(liveName, slot, live.free * SLOT, TALLY_SLOTS * SLOT);
    return;
  }
  const spareName = aLive ? n1 : n0;
  S.write(spareName, slot, 0, TALLY_SLOTS * SLOT);
  if (live) S.erase(liveName);
}
