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
import { recordBytes, walk } from "./record";
import { FILE_STORE, PAGE_HEAD_BYTES } from "./storage-layout";
import { S, F } from "./builtin";

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
  off += i * a.pageBytes;
  return a.fileOffset >= 0 ? S.read(FILE_STORE, a.fileOffset + off, len)! : E.memoryArea(a.addr + off, len);
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

/** One word as flash takes it (every Espruino target is little-endian). */
const w32 = new Uint32Array(1);
const word = new Uint8Array(w32.buffer);

/** The u32 (little-endian) at offset i of a page's text. */
export function u32(t: string, i: number): number {
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
  w32[0] = seq;
  if (!writeChecked(word, addr + 4)) return false;
  w32[0] = MAGIC + kind;
  return writeChecked(word, addr);
}

/**
 * Retires a settings page whose records all have newer copies (invariant 5):
 * its state word is cleared, the word's second write. A later erase that a
 * power cut tears leaves bytes of 0x00 and 0xFF there, never a valid state.
 */
export function pageRetire(a: Area, i: number): void {
  w32[0] = 0;
  F.write(word, pageAddr(a, i));
}

/** The sequence number of the page pageHead() read last. */
export let pageSeq = 0;
/** Whether records may be appended where the page pageScan() read last ends: everything after its records reads erased. */
export let pageWritable = false;

/** Reads a page's header only: returns its kind (0 when free or not the store's); its sequence goes to pageSeq. */
export function pageHead(a: Area, i: number): number {
  const h = pageText(a, i, 0, PAGE_HEAD);
  const k = u32(h, 0) - MAGIC;
  pageSeq = u32(h, 4);
  return k === KIND_READINGS || k === KIND_EVENTS || k === KIND_SETTINGS ? k : 0;
}

/**
 * Walks a page's records up to the first that fails (invariant 2), calling
 * fn(offset after the header, type) for each, as walk() does. Returns the
 * offset after the last valid record (PAGE_HEAD when none, or when the page
 * is free) and sets pageWritable.
 */
export function pageScan(a: Area, i: number, fn?: (o: number, type: number) => boolean | void): number {
  pageWritable = false;
  if (!pageHead(a, i)) return PAGE_HEAD;
  const body = pageText(a, i, PAGE_HEAD, a.pageBytes - PAGE_HEAD);
  const o = walk(body, fn);
  // Appending is safe only where everything after the last good record is erased.
  let k = o;
  while (k < body.length && body.charCodeAt(k) === 0xff) k++;
  pageWritable = k >= body.length;
  return PAGE_HEAD + o;
}

/** Sequence numbers of the pages pagesOf() found last, in its order. */
export let ringSeqs: number[] = [];

/** The pages of area a open as `kind` with a sequence from `min` on, oldest first; their sequences go to ringSeqs. */
export function pagesOf(a: Area, kind: number, min: number): number[] {
  const idx: number[] = [];
  ringSeqs = [];
  for (let i = 0; i < a.pages; i++) {
    if (pageHead(a, i) !== kind || pageSeq < min) continue;
    let k = idx.length;
    while (k > 0 && ringSeqs[k - 1] > pageSeq) k--;
    idx.splice(k, 0, i);
    ringSeqs.splice(k, 0, pageSeq);
  }
  return idx;
}

/**
 * Appends the records in recordBytes[0..len), padded to whole words as
 * recordClose() leaves them, at offset `at` of page i. Returns the next
 * offset, or -1 when they do not fit or did not read back: the page is then
 * full, and the records go into the next one.
 */
export function pageAppend(a: Area, i: number, at: number, len: number): number {
  if (at + len > a.pageBytes) return -1;
  // A view of the records costs one JsVar; a copy would cost their bytes.
  return writeChecked(new Uint8Array(recordBytes.buffer, 0, len), pageAddr(a, i) + at) ? at + len : -1;
}
