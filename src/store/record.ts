/**
 * What every record in flash has, whichever area holds it (docs/buffer.md,
 * "Records"): `length(1) type(1) body crc16(2)`, the length counting itself
 * and the CRC, never 0xFF; the CRC the low 16 bits of the CRC-32 of the bytes
 * before it. Each record is padded with 0xFF to a whole word: the store's
 * pages take words, each written once (docs/storage-layout.md, invariant 2).
 *
 * One writer and one reader for the buffer's pages and the settings alike:
 * records are built in a preallocated buffer and read back from a page's text
 * (a view of flash), with nothing allocated per record.
 */

/** Largest record. */
export const MAX_RECORD = 240;

/** Whether the record of `len` bytes at offset o of `text` holds its CRC. */
export function recordCrcOk(text: string, o: number, len: number): boolean {
  // One expression, no variable: the build inlines it into the walk.
  return (E.CRC32(text.substr(o, len - 2)) & 0xffff) === (text.charCodeAt(o + len - 2) | (text.charCodeAt(o + len - 1) << 8));
}

// ------------------------------------------------------------------ writing

/**
 * Records being written, two at most (a page's layout and its first cycle).
 * The buffer and the settings share it: whoever writes builds its records
 * afresh after anything that may have written a setting.
 */
export const recordBytes = new Uint8Array(2 * MAX_RECORD);
let writeAt = 0;

/** Starts a new run of records at the beginning of recordBytes. */
export function recordsBegin(): void {
  writeAt = 0;
}

/** Bytes written since recordsBegin(): whole words. */
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

/** The page being read (a view of flash: no copy). */
let text = "";
/** Read position inside text. */
let readAt = 0;

export function readByte(): number {
  return text.charCodeAt(readAt++);
}

export function readU32(): number {
  return (readByte() | (readByte() << 8) | (readByte() << 16) | (readByte() << 24)) >>> 0;
}

/** Reads from `t` from now on (the migration reads the old layout's segments). */
export function readIn(t: string): void {
  text = t;
}

/** Moves the read position to byte o of the page. */
export function readFrom(o: number): void {
  readAt = o;
}

/**
 * Walks a page's records: calls fn(offset, type) for each, until fn returns
 * false. The first record that is torn or fails its CRC ends the page
 * (invariant 2). Returns the end of the valid records (or where fn stopped).
 */
export function walk(t: string, fn?: (o: number, type: number) => boolean | void): number {
  text = t;
  let o = 0;
  while (o < t.length) {
    const len = t.charCodeAt(o);
    if (len === 0xff || len < 4 || o + len > t.length || !recordCrcOk(t, o, len)) break;
    // fn reads the record through readByte() and its kin.
    if (fn && fn(o, t.charCodeAt(o + 1)) === false) return o;
    o += (len + 3) & ~3;
  }
  return o;
}
