/**
 * How a board's Storage is spent: app slots, loader, small records, and what
 * is left for buffered readings. docs/storage-layout.md explains each line.
 */
import fs from "node:fs";
import path from "node:path";
import type { Board } from "../boards/types";
import { FILE_HEADER_BYTES, RESERVED_BYTES, TALLY_BYTES } from "../src/store/storage-layout";
import { compress } from "./heatshrink";

export interface Budget {
  board: string;
  bundleBytes: number;
  /** What the app slot takes: the bundle, or compressed where the board stores it so. */
  slotBytes: number;
  loaderBytes: number;
  appSlots: number;
  /** Storage that code, loader and the small records take, headers and alignment included. */
  storageUsed: number;
  storageTotal: number;
  /** What remains for the reading buffer. */
  bufferBytes: number;
}

/** Buffer room each water meter on a site takes: its pulse total is a counter of its own. */
export const METER_BYTES = TALLY_BYTES;

function fileCost(bytes: number, align: number): number {
  return FILE_HEADER_BYTES + Math.ceil(bytes / align) * align;
}

export function budget(board: Board, bundleBytes: number, loaderBytes: number, slotBytes = bundleBytes): Budget {
  const a = board.storage.align;
  const slots = board.hw.appSlots;
  const identity = board.hw.wifi ? RESERVED_BYTES.identity : RESERVED_BYTES.identityLorawanOnly;
  // The counters every gateway keeps; each water meter on a site takes TALLY_BYTES more (METER_BYTES).
  const records = RESERVED_BYTES.bootCtl + identity + RESERVED_BYTES.site + RESERVED_BYTES.tallies;
  const used = slots * fileCost(slotBytes, a) + fileCost(loaderBytes, a) + records;
  return {
    board: board.id,
    bundleBytes,
    slotBytes,
    loaderBytes,
    appSlots: slots,
    storageUsed: used,
    storageTotal: board.storage.bytes,
    bufferBytes: Math.max(0, board.storage.bytes - used),
  };
}

/** The app slot's content as the flasher writes it. */
export function slotImage(board: Board, bundle: Uint8Array): Uint8Array {
  return board.compressApp ? compress(bundle) : bundle;
}

export function budgetFromDist(board: Board, dist: string): Budget {
  const bundle = fs.readFileSync(path.join(dist, `${board.id}.js`));
  return budget(board, bundle.length, fs.statSync(path.join(dist, "loader.js")).size, slotImage(board, bundle).length);
}
