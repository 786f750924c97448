/**
 * How a board's Storage is spent: app slots, loader, the small files, and the
 * flash store in what is left, with its pages shared out as the firmware
 * shares them (storePartition). docs/storage-layout.md explains each line.
 */
import fs from "node:fs";
import path from "node:path";
import type { Board } from "../boards/types";
import { FILE_HEADER_BYTES, PAGE_HEAD_BYTES, RESERVED_BYTES, SLOT_BYTES, storePartition } from "../src/store/storage-layout";
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
  /** Pages of the flash store: inside fg.store, and in the board's area outside Storage. */
  storePages: { inside: number; outside: number; settings: number; events: number; readings: number; slot: number };
  /** Bytes the reading pages hold, their headers left out. */
  bufferBytes: number;
}

function fileCost(bytes: number, align: number): number {
  return FILE_HEADER_BYTES + Math.ceil(bytes / align) * align;
}

export function budget(board: Board, bundleBytes: number, loaderBytes: number, slotBytes = bundleBytes): Budget {
  const a = board.storage.align;
  const slots = board.hw.appSlots;
  const identity = board.hw.wifi ? RESERVED_BYTES.identity : RESERVED_BYTES.identityLorawanOnly;
  const records = RESERVED_BYTES.bootCtl + identity + RESERVED_BYTES.site;
  // Slot A is a Storage file the flasher writes; slot B, on boards with two, is pages of the store.
  const used = fileCost(slotBytes, a) + fileCost(loaderBytes, a) + records;
  // fg.store follows the files; its pages are those wholly inside it, up to a page before Storage's end (src/store/store.ts).
  const pb = board.flash.pageBytes;
  const first = Math.ceil((used + FILE_HEADER_BYTES) / pb) * pb;
  const inside = Math.max(0, Math.floor((board.storage.bytes - pb - first) / pb));
  const outside = board.bufferArea ? Math.floor(board.bufferArea.length / pb) : 0;
  const [settings, events, readings, slot] = storePartition(inside, outside, slots > 1 ? Math.floor(SLOT_BYTES / pb) : 0);
  return {
    board: board.id,
    bundleBytes,
    slotBytes,
    loaderBytes,
    appSlots: slots,
    storageUsed: used,
    storageTotal: board.storage.bytes,
    storePages: { inside, outside, settings, events, readings, slot },
    bufferBytes: Math.max(0, readings) * (pb - PAGE_HEAD_BYTES),
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
