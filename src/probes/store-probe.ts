/**
 * Test probe, never flashed: the flash store's page layer on the simulated
 * board's flash, for the power-cut tests (test/store-pages.test.ts).
 */
import { pageOpen, pageScan, pageAppend, pageHead, pageSeq, pageWritable, type Area } from "../store/pages";
import { recordsBegin, recordsLength, putByte } from "../store/record";

/** Pages at an address outside any Storage file, read as the DK reads its outside area. */
function area(addr: number, pageBytes: number): Area {
  return { addr: addr, pages: 1, pageBytes: pageBytes, fileOffset: -1 };
}

(global as any).fgPages = {
  open: function (addr: number, kind: number, seq: number): boolean {
    return pageOpen(area(addr, 4096), 0, kind, seq);
  },
  scan: function (addr: number, pageBytes: number): { kind: number; seq: number; end: number; writable: boolean } {
    const a = area(addr, pageBytes);
    const end = pageScan(a, 0);
    const writable = pageWritable;
    return { kind: pageHead(a, 0), seq: pageSeq, end: end, writable: writable };
  },
  /** Appends one record as given, padded with 0xFF to a whole word as the store's writers pad it. */
  append: function (addr: number, pageBytes: number, at: number, bytes: number[]): number {
    recordsBegin();
    for (let i = 0; i < bytes.length; i++) putByte(bytes[i]);
    while (recordsLength() & 3) putByte(0xff);
    return pageAppend(area(addr, pageBytes), 0, at, recordsLength());
  },
};
