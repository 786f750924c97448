/**
 * What every record in flash has, whichever area holds it (docs/buffer.md,
 * "Records"): `length(1) type(1) body crc16(2)`, the length counting itself
 * and the CRC, never 0xFF; the CRC the low 16 bits of the CRC-32 of the bytes
 * before it. The buffer's segments and the flash store's pages share it.
 */

/** Largest record. */
export const MAX_RECORD = 240;

/** Whether the record of `len` bytes at offset o of `text` holds its CRC. */
export function recordCrcOk(text: string, o: number, len: number): boolean {
  // One expression, no variable: the build inlines it into the buffer's walk.
  return (E.CRC32(text.substr(o, len - 2)) & 0xffff) === (text.charCodeAt(o + len - 2) | (text.charCodeAt(o + len - 1) << 8));
}
