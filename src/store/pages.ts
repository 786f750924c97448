/**
 * The page layer of the flash store (docs/storage-layout.md, "The flash
 * store"): pages that are erased right before they are opened, a header of
 * two words written once, records appended at word-aligned offsets and read
 * back, and the first record that fails ending its page. It reaches flash
 * through require("Flash") only: Storage never sees these writes.
 *
 * Not yet used by the firmware's data path; src/probes/store-probe.ts runs it
 * on the simulated board's flash for the power-cut tests.
 */
import { MAX_RECORD, recordCrcOk } from "./record";

const F = require("Flash");

/** Bytes of the page header: state word (magic | kind), then the page's sequence number. */
export const PAGE_HEAD = 8;
/**
 * The state word of an open page is MAGIC + kind. It is written after the
 * sequence word has read back, so a page with a valid state word has its
 * sequence. A torn write leaves some of a word's cleared bits set: with kinds
 * of one bit each and the magic checked whole, a torn state word never reads
 * as any valid one, and the page counts as free.
 */
const MAGIC = 0x46470000;

export const KIND_READINGS = 1;
export const KIND_EVENTS = 2;
export const KIND_SETTINGS = 4;

const word = new Uint8Array(4);
/** A record padded to whole words. */
const scratch = new Uint8Array(MAX_RECORD);
const wordView = new DataView(word.buffer);

function u32(b: Uint8Array, i: number): number {
  return (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;
}

/** Writes and reads back; false when flash did not take the bytes (an nRF52 write can fail silently). */
function writeChecked(bytes: Uint8Array, addr: number): boolean {
  F.write(bytes, addr);
  const back = F.read(bytes.length, addr);
  for (let i = 0; i < bytes.length; i++) if (back[i] !== bytes[i]) return false;
  return true;
}

/** Erases the page at addr and opens it as `kind` with sequence `seq` (invariant 1). False when the header did not read back. */
export function pageOpen(addr: number, kind: number, seq: number): boolean {
  F.erasePage(addr);
  wordView.setUint32(0, seq >>> 0, true);
  if (!writeChecked(word, addr + 4)) return false;
  wordView.setUint32(0, MAGIC + kind, true);
  return writeChecked(word, addr);
}

/** A page as found: its kind (0 free or not the store's), sequence, and where its valid records end. */
export interface PageInfo {
  kind: number;
  seq: number;
  /** Offset after the last valid record (PAGE_HEAD when none). */
  end: number;
  /** Records may be appended at `end`: everything after it reads erased. */
  writable: boolean;
}

/** Reads a page's header and walks its records up to the first that fails (invariant 2). */
export function pageScan(addr: number, pageBytes: number, info: PageInfo): PageInfo {
  const h = F.read(PAGE_HEAD, addr);
  const state = u32(h, 0);
  const kind = state & 0xffff;
  info.kind = state >>> 16 === MAGIC >>> 16 && (kind === KIND_READINGS || kind === KIND_EVENTS || kind === KIND_SETTINGS) ? kind : 0;
  info.seq = u32(h, 4);
  info.end = PAGE_HEAD;
  info.writable = false;
  if (!info.kind) return info;
  const body = E.toString(F.read(pageBytes - PAGE_HEAD, addr + PAGE_HEAD));
  let o = 0;
  for (;;) {
    const len = o < body.length ? body.charCodeAt(o) : 0xff;
    if (len === 0xff || len < 4 || o + len > body.length || !recordCrcOk(body, o, len)) break;
    o += (len + 3) & ~3;
  }
  info.end = PAGE_HEAD + o;
  // Appending is safe only where everything after the last good record is erased.
  let erased = true;
  for (let i = o; erased && i < body.length; i++) erased = body.charCodeAt(i) === 0xff;
  info.writable = erased;
  return info;
}

/**
 * Appends one record (bytes[0..len), its first byte the record's length) at
 * offset `at` of the page, padded with 0xFF to a whole word. Returns the next
 * offset, or -1 when it does not fit or did not read back: the page is then
 * full, and the record goes into the next one.
 */
export function pageAppend(addr: number, pageBytes: number, at: number, bytes: Uint8Array, len: number): number {
  const padded = (len + 3) & ~3;
  if (at + padded > pageBytes || padded > scratch.length) return -1;
  // One scratch buffer for every record: a view of it costs a JsVar, a new buffer its bytes.
  const rec = new Uint8Array(scratch.buffer, 0, padded);
  rec.fill(0xff);
  for (let i = 0; i < len; i++) rec[i] = bytes[i];
  return writeChecked(rec, addr + at) ? at + padded : -1;
}
