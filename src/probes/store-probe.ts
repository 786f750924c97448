/**
 * Test probe, never flashed: the flash store's page layer on the simulated
 * board's flash, for the power-cut tests (test/store-pages.test.ts).
 */
import { pageOpen, pageScan, pageAppend, type PageInfo } from "../store/pages";

(global as any).fgPages = {
  open: pageOpen,
  scan: function (addr: number, pageBytes: number): PageInfo {
    return pageScan(addr, pageBytes, { kind: 0, seq: 0, end: 0, writable: false });
  },
  append: function (addr: number, pageBytes: number, at: number, bytes: number[]): number {
    return pageAppend(addr, pageBytes, at, new Uint8Array(bytes), bytes.length);
  },
};
