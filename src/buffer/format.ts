/**
 * The record format of the offline buffer (docs/buffer.md, "Records"), in one
 * place: encoding into a preallocated buffer and reading back from a
 * segment's text, with nothing allocated per record.
 *
 *   record = length(1) type(1) body crc16(2)
 *
 * The length byte counts itself and the CRC and is never 0xFF, which marks
 * erased flash; the CRC is the low 16 bits of the CRC-32 of everything before it.
 * Each record is padded with 0xFF to a whole word: the store's pages take
 * words, each written once (docs/storage-layout.md, invariant 2).
 *
 *   layout: ordinal(u32) time(u32) n (channel quantity)×n   the next cycle's ordinal and time
 *   cycle:  zigzag(time − previous time) value×n             ordinal one more than the previous
 *   event:  ordinal(u32) time(u32) channel code active zigzag(value)
 */

import { MAX_RECORD, recordCrcOk } from "../store/record";

export const T_LAYOUT = 1;
export const T_CYCLE = 2;
export const T_EVENT = 3;
/** Bytes of a record before its ordinal: length and type. */
export const RECORD_HEAD = 2;

// ------------------------------------------------------------------ writing

/** Records being written, two at most (a page's layout and its first cycle). */
export const recordBytes = new Uint8Array(2 * MAX_RECORD);
let writeAt = 0;

/** Starts a new run of records at the beginning of recordBytes. */
export function recordsBegin(): void {
  writeAt = 0;
}

/** Bytes written since recordsBegin(). */
export function recordsLength(): number {
  return writeAt;
}

export function putByte(v: number): void {
  recordBytes[writeAt++] = v & 255;
}

export function putU32(v: number): void {
  putByte(v);
  putByte(v >>> 8);
  putByte(v >>> 16);
  putByte(v >>> 24);
}

/** Unsigned LEB128 by arithmetic: values pass 2^32. */
export function putVarint(x: number): void {
  while (x >= 128) {
    putByte((x % 128) | 128);
    x = Math.floor(x / 128);
  }
  putByte(x);
}

export function zigzag(v: number): number {
  return v >= 0 ? v * 2 : -v * 2 - 1;
}

export function unzigzag(x: number): number {
  return x % 2 ? -(x + 1) / 2 : x / 2;
}

/** Opens a record of this type; returns where it starts, for recordClose(). */
export function recordOpen(type: number): number {
  const at = writeAt;
  putByte(0);
  putByte(type);
  return at;
}

/** Sets the record's length, appends its CRC and pads it to a whole word. */
export function recordClose(at: number): void {
  const len = writeAt - at + 2;
  recordBytes[at] = len;
  const c = E.CRC32(new Uint8Array(recordBytes.buffer, at, len - 2));
  putByte(c);
  putByte(c >>> 8);
  while (writeAt & 3) recordBytes[writeAt++] = 0xff;
}

// ------------------------------------------------------------------ reading

/** The page being read, as the store gives it (a view of flash: no copy). */
let pageText = "";
/** Read position inside pageText. */
let readAt = 0;

export function readByte(): number {
  return pageText.charCodeAt(readAt++);
}

export function readU32(): number {
  return (readByte() | (readByte() << 8) | (readByte() << 16) | (readByte() << 24)) >>> 0;
}

export function readVarint(): number {
  let x = 0;
  let scale = 1;
  let b = 0;
  do {
    b = readByte();
    x += (b & 127) * scale;
    scale *= 128;
  } while (b & 128);
  return x;
}

/** Reads from `text` from now on (the migration reads the old layout's segments). */
export function readIn(text: string): void {
  pageText = text;
}

/** Moves the read position to byte o of the page. */
export function readFrom(o: number): void {
  readAt = o;
}

/** The ordinal of the record at offset o (cycles and events start with one); leaves the read position after it. */
export function ordinalAt(o: number): number {
  readAt = o + RECORD_HEAD;
  return readU32();
}

/**
 * Walks a page's records: calls fn(offset, type) for each, until fn returns
 * false. The first record that is torn or fails its CRC ends the page
 * (invariant 2). Returns the end of the valid records (or where fn stopped).
 */
export function walk(text: string, fn: (o: number, type: number) => boolean): number {
  pageText = text;
  let o = 0;
  while (o < text.length) {
    const len = text.charCodeAt(o);
    if (len === 0xff || len < 4 || o + len > text.length || !recordCrcOk(text, o, len)) break;
    // fn reads the record through readByte() and its kin.
    if (fn(o, text.charCodeAt(o + 1)) === false) return o;
    o += (len + 3) & ~3;
  }
  return o;
}
