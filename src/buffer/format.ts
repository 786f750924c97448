/**
 * The record format of the offline buffer (docs/buffer.md, "Records"): the
 * buffer's record types and their fields, on the framing, writer and reader
 * that every flash area shares (src/store/record.ts).
 *
 *   record = length(1) type(1) body crc16(2)
 *
 * The length byte counts itself and the CRC and is never 0xFF, which marks
 * erased flash; the CRC is the low 16 bits of the CRC-32 of everything before it.
 * Each record is padded with 0xFF to a whole word.
 *
 *   layout: ordinal(u32) time(u32) n (channel quantity)×n   the next cycle's ordinal and time
 *   cycle:  zigzag(time − previous time) value×n             ordinal one more than the previous
 *   event:  ordinal(u32) time(u32) channel code active zigzag(value)
 */

import { putByte, readByte, readU32, readFrom } from "../store/record";

export { recordBytes, recordsBegin, recordsLength, putByte, putU32, recordOpen, recordClose, readByte, readU32, readIn, readFrom, walk } from "../store/record";

export const T_LAYOUT = 1;
export const T_CYCLE = 2;
export const T_EVENT = 3;
/** Bytes of a record before its ordinal: length and type. */
export const RECORD_HEAD = 2;

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

/** The ordinal of the record at offset o (cycles and events start with one); leaves the read position after it. */
export function ordinalAt(o: number): number {
  readFrom(o + RECORD_HEAD);
  return readU32();
}
