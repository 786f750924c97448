/**
 * Where the flash store lives (docs/storage-layout.md, "Where it lives"):
 * the pages wholly inside the Storage file fg.store, created once and never
 * replaced, and on boards that name one, a flash area outside Storage that
 * Flash.getFree() still reports free. It checks both at every boot and
 * shares their pages out among the settings, the events and the readings.
 */
import { APP_SLOTS } from "virtual:board";
import type { Area } from "./pages";
import { u32 } from "./pages";
import { settingsInit, counterGet, counterWrite } from "./settings";
import { FILE_STORE, FILE_HEADER_BYTES, ID, storePartition, SETTINGS_PAGES_MIN, STORAGE_HASH_SEED } from "./storage-layout";
import { S, F } from "./builtin";
import { fail } from "../runtime/log";

/** The store's data begins with this mark: the format it was made in. */
const MARK = "FGS1";
/** What a technician does when the store cannot be used. */
const REFLASH = ": flash the board again over USB";

export const settingsArea: Area = { start: 0, pages: 0, pageBytes: 0, fileOffset: -1 };
export const eventsArea: Area = { start: 0, pages: 0, pageBytes: 0, fileOffset: -1 };
export const readingsArea: Area = { start: 0, pages: 0, pageBytes: 0, fileOffset: -1 };
/** The second app slot, inside fg.store (no pages on boards with one slot): src/store/slot.ts. */
export const slotArea: Area = { start: 0, pages: 0, pageBytes: 0, fileOffset: -1 };
/**
 * True when the buffer's pages are to be started afresh: its area outside
 * Storage is new, or is not the one it was last kept in (a firmware update
 * took it back). Nothing found there is taken as the buffer's.
 */
export let bufferFresh = false;

/** Where place() puts the next area, the page size, fg.store's data address (0: the next area is outside Storage) and its size. */
let at = 0;
let pb = 0;
let data = 0;
let size = 0;

/** Gives area a the next `pages` pages from `at`. */
function place(a: Area, pages: number): void {
  a.start = at;
  a.pages = pages;
  a.pageBytes = pb;
  a.fileOffset = data ? at - data : -1;
  at += pages * pb;
}

/**
 * fg.store's header address, found from Storage.hash and checked against
 * the header itself (size word and name); -1 when there is no fg.store.
 */
function storeHeader(): number {
  const d = S.read(FILE_STORE);
  if (d === undefined) return -1;
  size = d.length;
  const h = (S.hash(/^fg\.store$/) ^ STORAGE_HASH_SEED ^ E.CRC32(FILE_STORE)) >>> 0;
  const head = E.toString(F.read(FILE_HEADER_BYTES, h));
  if (!head || (u32(head, 0) & 0xffffff) !== size || head.substr(4, FILE_STORE.length + 1) !== FILE_STORE + "\0")
    fail("fg.store is not where Storage.hash says" + REFLASH);
  return h;
}

/**
 * A power cut while fg.store's header is written can leave bits of its name
 * still set (a write only clears bits): the file then takes the store's
 * place under another name, and Storage has no room for a second. The
 * header is written again over the torn one, through Flash: the bits left
 * over clear, and the file is fg.store.
 */
function storeRepair(end: number): void {
  const names = S.list();
  // The header as it should be: the file's size (three bytes, set below), a zero byte, the name, zeros.
  const want = new Uint8Array(FILE_HEADER_BYTES);
  for (let k = 0; k < FILE_STORE.length; k++) want[4 + k] = FILE_STORE.charCodeAt(k);
  for (let i = 0; i < names.length; i++) {
    const n = names[i];
    let torn = n !== FILE_STORE && n.length >= FILE_STORE.length;
    for (let k = 0; torn && k < FILE_STORE.length; k++) torn = (n.charCodeAt(k) & want[4 + k]) === want[4 + k];
    if (!torn) continue;
    const len = S.read(n)!.length;
    // The store was made the last file: its header is where the files end, less its size.
    const h = end - S.getFree() - FILE_HEADER_BYTES - ((len + 3) & ~3);
    // Little-endian: each byte of a Uint8Array keeps the low 8 bits of what it is given.
    want[0] = len;
    want[1] = len >> 8;
    want[2] = len >> 16;
    const head = F.read(FILE_HEADER_BYTES, h);
    let over = head !== undefined;
    for (let k = 0; over && k < FILE_HEADER_BYTES; k++) over = (head[k] & want[k]) === want[k];
    if (over) F.write(want, h);
  }
}

/**
 * Finds or creates the store and reads its settings: `end` is where Storage
 * ends, [outAddr, outAddr + outBytes) the flash area outside Storage the
 * buffer may own (0 bytes: none), slotBytes the room for an app slot.
 * Throws with what to do when the store cannot be used; it then writes nothing.
 */
export function storeOpen(end: number, outAddr: number, outBytes: number, slotBytes: number): void {
  pb = F.getPage(end - 1)!.length;
  let h = storeHeader();
  if (h < 0) {
    storeRepair(end);
    h = storeHeader();
  }
  if (h < 0) {
    // From where Storage puts the next file (its free space is counted from the end of the last file:
    // jsflash.c 398-433) to one page before the end of Storage, so that the data ends on a page boundary
    // and Storage keeps a page for itself. Written once; nothing replaces it.
    const bytes = S.getFree() - pb - FILE_HEADER_BYTES;
    // Its pages are those wholly inside its data: the settings need two, and without an area outside Storage the buffer four more.
    const first = ((end - S.getFree() + FILE_HEADER_BYTES + pb - 1) / pb | 0) * pb;
    if (end - pb - first < (SETTINGS_PAGES_MIN + (outBytes > 0 ? 0 : 4)) * pb) fail("Storage has " + S.getFree() + " bytes free, too little for the store" + REFLASH);
    S.write(FILE_STORE, MARK, 0, bytes);
    h = storeHeader();
  }
  data = h + FILE_HEADER_BYTES;
  at = ((data + pb - 1) / pb | 0) * pb;
  // The largest page-aligned part of the outside area that Flash.getFree() still reports free: [address, pages].
  let out = [0, 0];
  const free = outBytes > 0 ? F.getFree() : [];
  for (let i = 0; i < free.length; i++) {
    const lo = ((Math.max(outAddr, free[i].addr) + pb - 1) / pb | 0) * pb;
    const hi = (Math.min(outAddr + outBytes, free[i].addr + free[i].length) / pb | 0) * pb;
    if (hi - lo > out[1] * pb) out = [lo, (hi - lo) / pb | 0];
  }
  const parts = storePartition(((data + size - at) / pb) | 0, out[1], (slotBytes / pb) | 0);
  place(settingsArea, parts[0]);
  // Boards with one slot have no slot pages (slotBytes 0), nor the code for them.
  if (APP_SLOTS > 1) place(slotArea, parts[3]);
  settingsInit(settingsArea);
  bufferFresh = false;
  if (out[1] > 0) {
    at = out[0];
    data = 0;
    // The area as last used: (generation, page number << 16 | pages). A new generation is a lost buffer.
    const was = counterGet(ID.area);
    const now = ((out[0] / pb) << 16 | out[1]) >>> 0;
    if (was[1] !== now) {
      bufferFresh = true;
      counterWrite(ID.area, was[0] + 1, now);
    }
  }
  place(eventsArea, parts[1]);
  place(readingsArea, parts[2]);
}

/** Times the buffer's area outside Storage was found gone or changed. */
export function areaLosses(): number {
  return Math.max(0, counterGet(ID.area)[0] - 1);
}
