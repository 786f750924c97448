/**
 * Test probe, never flashed: the flash store's page layer on the simulated
 * board's flash, for the power-cut tests (test/store-pages.test.ts).
 */
import { pageOpen, pageScan, pageAppend, type Area, type PageInfo } from "../store/pages";

/** Pages at an address outside any Storage file, read as the DK reads its outside area. */
function area(addr: number, pageBytes: number): Area {
  return { addr: addr, pages: 1, pageBytes: pageBytes, fileOffset: -1 };
}

(global as any).fgPages = {
  open: function (addr: number, kind: number, seq: number): boolean {
    return pageOpen(area(addr, 4096), 0, kind, seq);
  },
  scan: function (addr: number, pageBytes: number): PageInfo {
    return pageScan(area(addr, pageBytes), 0, { kind: 0, seq: 0, end: 0, writable: false });
  },
  append: function (addr: number, pageBytes: number, at: number, bytes: number[]): number {
    return pageAppend(area(addr, pageBytes), 0, at, new Uint8Array(bytes), 0, bytes.length);
  },
};
