/**
 * How a board's Storage is spent: app slots, loader, the small files, and the
 * flash store in what is left, with its pages shared out as the firmware
 * shares them (storePartition). docs/storage-layout.md explains each line.
 */
import fs from "node:fs";
import path from "node:path";
import type { Board } from "../boards/types";
import zlib from "node:zlib";
import { BOOT_APP_A, BOOT_CHECK, BOOT_MAGIC, BOOT_RECORD_BYTES, BOOT_TRIAL, BOOT_Z, FILE_HEADER_BYTES, PAGE_HEAD_BYTES, RESERVED_BYTES, SLOT_BYTES, storePartition } from "../src/store/storage-layout";
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
  const records = identity + RESERVED_BYTES.site;
  // Slot A is a Storage file the flasher writes; slot B, on boards with two, is pages of the store.
  // There, fg.boot fills Storage's first page so that slot A's data begins and ends on a page (appFiles).
  const appA = slots > 1 ? fileCost(bootBytes(board), a) + fileCost(slotACapacity(board, slotBytes), a) : fileCost(slotBytes, a) + RESERVED_BYTES.bootCtl;
  const used = appA + fileCost(loaderBytes, a) + records;
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

/** Room slot A keeps beyond its first image on boards with two slots, for the images written into it in place later. */
export const SLOT_A_HEADROOM = 16 * 1024;

/** Bytes of slot A's file on a board with two slots: the image and its headroom, in whole pages. */
export function slotACapacity(board: Board, imageBytes: number): number {
  const pb = board.flash.pageBytes;
  return Math.min(Math.max(SLOT_BYTES, imageBytes), Math.ceil((imageBytes + SLOT_A_HEADROOM) / pb) * pb);
}

/** Bytes of fg.boot: one record on a board with one slot; the rest of Storage's first page on a board with two. */
export function bootBytes(board: Board): number {
  return board.hw.appSlots > 1 ? board.flash.pageBytes - 2 * FILE_HEADER_BYTES : BOOT_RECORD_BYTES;
}

/** A boot record (src/store/storage-layout.ts, BOOT_RECORD_BYTES): the image at `offset` of `file`, `length` bytes with CRC-32 `crc`; its tries and confirmation erased. */
export function bootRecord(file: number, offset: number, length: number, crc: number, compressed: boolean, trial = false): Uint8Array {
  const where = ((BOOT_MAGIC << 16) | (compressed ? BOOT_Z : 0) | (trial ? BOOT_TRIAL : 0) | file) >>> 0;
  const w = new Uint32Array(BOOT_RECORD_BYTES / 4).fill(0xffffffff);
  w.set([where, offset, length, crc >>> 0, (where ^ offset ^ length ^ crc ^ BOOT_CHECK) >>> 0]);
  return new Uint8Array(w.buffer);
}

/**
 * fg.boot and fg.app.a as the flasher writes them into an empty Storage, fg.boot first: one boot
 * record for the image in slot A, then erased bytes for the records of later images. On a board
 * with two slots both files are sized so that slot A's data lies on whole pages, which an update
 * erases and writes in place (docs/storage-layout.md, "Boot control").
 */
export function appFiles(board: Board, bundle: Uint8Array): { boot: Uint8Array; appA: Uint8Array } {
  const image = slotImage(board, bundle);
  const boot = new Uint8Array(bootBytes(board)).fill(0xff);
  boot.set(bootRecord(BOOT_APP_A, 0, image.length, zlib.crc32(image), !!board.compressApp));
  if (board.hw.appSlots < 2) return { boot, appA: image };
  const appA = new Uint8Array(slotACapacity(board, image.length)).fill(0xff);
  appA.set(image);
  return { boot, appA };
}

/** The app slot's content as the flasher writes it. */
export function slotImage(board: Board, bundle: Uint8Array): Uint8Array {
  return board.compressApp ? compress(bundle) : bundle;
}

export function budgetFromDist(board: Board, dist: string): Budget {
  const bundle = fs.readFileSync(path.join(dist, `${board.id}.js`));
  return budget(board, bundle.length, fs.statSync(path.join(dist, "loader.js")).size, slotImage(board, bundle).length);
}
