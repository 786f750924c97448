/**
 * The page layer of the flash store (docs/storage-layout.md, "The flash
 * store"): pages that are erased right before they are opened, a header of
 * two words written once, records appended at word-aligned offsets and read
 * back, and the first record that fails ending its page. It writes flash
 * through require("Flash") only: Storage never sees these writes.
 *
 * An area is a run of whole pages. Inside fg.store it is read through
 * Storage.read(name, offset, length), a view of flash on every build; outside
 * Storage through E.memoryArea, which only the memory-mapped nRF52 internal
 * flash needs (jswrap_espruino.c, E.memoryArea; nrf5x/jshardware.c:2696-2702).
 */
import { MAX_RECORD, recordCrcOk } from "./record";
import { FILE, PAGE_HEAD_BYTES } from "./storage-layout";

const F = require("Flash");
const S = require("Storage");

/** A run of store pages: its flash address, pages, page size, and where it starts in fg.store's data (-1: outside Storage). */
export interface Area {
  addr: number;
  pages: number;
  pageBytes: number;
  fileOffset: number;
}

/** Flash address of page i. */
export function pageAddr(a: Area, i: number): number {
  return a.addr + i * a.pageBytes;
}

/** Bytes of page i from offset `off`, as a string that views flash (no copy). */
export function pageText(a: Area, i: number, off: number, len: number): string {
  return a.fileOffset >= 0 ? S.read(FILE.store, a.fileOffset + i * a.pageBytes + off, len)! : E.memoryArea(a.addr + i * a.pageBytes + off, len);
}

/** Bytes of the page header: state word (magic | kind), then the page's sequence number. */
export const PAGE_HEAD = PAGE_HEAD_BYTES;
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

function u32(t: string, i: number): number {
  return (t.charCodeAt(i) | (t.charCodeAt(i + 1) << 8) | (t.charCodeAt(i + 2) << 16) | (t.charCodeAt(i + 3) << 24)) >>> 0;
}

/** Writes and reads back; false when flash did not take the bytes (an nRF52 write can fail silently). */
function writeChecked(bytes: Uint8Array, addr: number): boolean {
  F.write(bytes, addr);
  const back = F.read(bytes.length, addr);
  for (let i = 0; i < bytes.length; i++) if (back[i] !== bytes[i]) return false;
  return true;
}

/** Erases page i and opens it as `kind` with sequence `seq` (invariant 1). False when the header did not read back. */
export function pageOpen(a: Area, i: number, kind: number, seq: number): boolean {
  const addr = pageAddr(a, i);
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

/**
 * Retires a settings page whose records all have newer copies (invariant 5):
 * its state word is cleared, the word's second write. A later erase that a
 * power cut tears leaves bytes of 0x00 and 0xFF there, never a valid state.
 */
export function pageRetire(a: Area, i: number): void {
  wordView.setUint32(0, 0, true);
  F.write(word, pageAddr(a, i));
}

/** Reads a page's header only: its kind (0 when free) and sequence. */
export function pageHead(a: Area, i: number, info: PageInfo): PageInfo {
  const h = pageText(a, i, 0, PAGE_HEAD);
  const state = u32(h, 0);
  const kind = state & 0xffff;
  info.kind = state >>> 16 === MAGIC >>> 16 && (kind === KIND_READINGS || kind === KIND_EVENTS || kind === KIND_SETTINGS) ? kind : 0;
  info.seq = u32(h, 4);
  info.end = PAGE_HEAD;
  info.writable = false;
  return info;
}

/** Reads a page's header and walks its records up to the first that fails (invariant 2). */
export function pageScan(a: Area, i: number, info: PageInfo): PageInfo {
  if (!pageHead(a, i, info).kind) return info;
  const body = pageText(a, i, PAGE_HEAD, a.pageBytes - PAGE_HEAD);
  let o = 0;
  for (;;) {
    const len = o < body.length ? body.charCodeAt(o) : 0xff;
    if (len === 0xff || len < 4 || o + len > body.length || !recordCrcOk(body, o, len)) break;
    o += (len + 3) & ~3;
  }
  info.end = PAGE_HEAD + o;
  // Appending is safe only where everything after the last good record is erased.
  let erased = true;
  for (let k = o; erased && k < body.length; k++) erased = body.charCodeAt(k) === 0xff;
  info.writable = erased;
  return info;
}

/**
 * Appends records (bytes[from..from + len), the first byte the record's length) at
 * offset `at` of page i, padded with 0xFF to a whole word. Returns the next
 * offset, or -1 when it does not fit or did not read back: the page is then
 * full, and the record goes into the next one.
 */
export function pageAppend(a: Area, i: number, at: number, bytes: Uint8Array, from: number, len: number): number {
  const padded = (len + 3) & ~3;
  if (at + padded > a.pageBytes || padded > scratch.length) return -1;
  // One scratch buffer for every record: a view of it costs a JsVar, a new buffer its bytes.
  const rec = new Uint8Array(scratch.buffer, 0, padded);
  rec.fill(0xff);
  for (let k = 0; k < len; k++) rec[k] = bytes[from + k];
  return writeChecked(rec, pageAddr(a, i) + at) ? at + padded : -1;
}
