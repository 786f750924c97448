/**
 * How a board's Storage is spent: app slots, loader, small records, and what
 * is left for buffered readings. docs/storage-layout.md explains each line.
 */
import fs from "node:fs";
import path from "node:path";
import type { Board } from "../boards/types";
import { FILE_HEADER_BYTES, RESERVED_BYTES } from "../src/storage-layout";

export interface Budget {
  board: string;
  bundleBytes: number;
  loaderBytes: number;
  appSlots: number;
  /** Storage that code, loader and the small records take, headers and alignment included. */
  storageUsed: number;
  storageTotal: number;
  /** What remains for the reading buffer. */
  bufferBytes: number;
}

function fileCost(bytes: number, align: number): number {
  return FILE_HEADER_BYTES + Math.ceil(bytes / align) * align;
}

export function budget(board: Board, bundleBytes: number, loaderBytes: number): Budget {
  const a = board.storage.align;
  const slots = board.hw.appSlots;
  const records = RESERVED_BYTES.bootCtl + RESERVED_BYTES.identity + RESERVED_BYTES.site + RESERVED_BYTES.tallies;
  const used = slots * fileCost(bundleBytes, a) + fileCost(loaderBytes, a) + records;
  return {
    board: board.id,
    bundleBytes,
    loaderBytes,
    appSlots: slots,
    storageUsed: used,
    storageTotal: board.storage.bytes,
    bufferBytes: Math.max(0, board.storage.bytes - used),
  };
}

export function budgetFromDist(board: Board, dist: string): Budget {
  const size = (f: string) => fs.statSync(path.join(dist, f)).size;
  return budget(board, size(`${board.id}.js`), size("loader.js"));
}
