/**
 * Where the flash store lives (docs/storage-layout.md, "Where it lives"):
 * the pages wholly inside the Storage file fg.store, created once and never
 * replaced, and on boards that name one, a flash area outside Storage that
 * Flash.getFree() still reports free. It checks both at every boot and
 * shares their pages out among the settings, the events and the readings.
 */
import { STORAGE_END, BUFFER_AREA_ADDR, BUFFER_AREA_BYTES, APP_SLOTS } from "virtual:board";
import type { Area } from "./pages";
import { settingsInit, counterGet, counterWrite } from "./settings";
import { FILE, FILE_HEADER_BYTES, ID, storePartition, SETTINGS_PAGES_MIN, SLOT_BYTES } from "./storage-layout";

const S = require("Storage");
const F = require("Flash");

/** rol32(0xABCDDCBA, 1): Storage.hash's seed after the one file it hashes (jsflash.c 1169-1172, 1238-1245). */
const HASH_SEED = 0x579bb975;
/** The store's data begins with this mark: the format it was made in. */
const MARK = "FGS1";

export const settingsArea: Area = { addr: 0, pages: 0, pageBytes: 0, fileOffset: -1 };
export const eventsArea: Area = { addr: 0, pages: 0, pageBytes: 0, fileOffset: -1 };
export const readingsArea: Area = { addr: 0, pages: 0, pageBytes: 0, fileOffset: -1 };
/** The second app slot, inside fg.store (no pages on boards with one slot): src/store/slot.ts. */
export const slotArea: Area = { addr: 0, pages: 0, pageBytes: 0, fileOffset: -1 };
/**
 * True when the buffer's pages are to be started afresh: its area outside
 * Storage is new, or is not the one it was last kept in (a firmware update
 * took it back). Nothing found there is taken as the buffer's.
 */
export let bufferFresh = false;

function setArea(a: Area, addr: number, pages: number, pageBytes: number, fileOffset: number): void {
  a.addr = addr;
  a.pages = pages;
  a.pageBytes = pageBytes;
  a.fileOffset = fileOffset;
}

/**
 * fg.store's header address, found from Storage.hash and checked against
 * the header itself (size word and name); -1 when there is no fg.store.
 */
function storeHeader(): number {
  const data = S.read(FILE.store);
  if (data === undefined) return -1;
  const h = (S.hash(/^fg\.store$/) ^ HASH_SEED ^ E.CRC32(FILE.store)) >>> 0;
  const head = F.read(FILE_HEADER_BYTES, h);
  let ok = head !== undefined && (head[0] | (head[1] << 8) | (head[2] << 16)) === data.length && head[4 + FILE.store.length] === 0;
  for (let i = 0; ok && i < FILE.store.length; i++) ok = head[4 + i] === FILE.store.charCodeAt(i);
  if (!ok) throw new Error("fg.store's header is not where Storage.hash says: the store is left alone. Flash the board again over USB");
  return h;
}

/**
 * Creates fg.store from where Storage puts the next file (its free space is
 * counted from the end of the last file: jsflash.c 398-433) to one page
 * before the end of Storage, so that its data ends on a page boundary and
 * Storage keeps a page for itself. Written once; nothing replaces it.
 */
function storeCreate(end: number, pageBytes: number): void {
  const at = end - S.getFree();
  const size = end - pageBytes - at - FILE_HEADER_BYTES;
  if (size < (SETTINGS_PAGES_MIN + 1) * pageBytes) throw new Error("Storage has " + S.getFree() + " bytes free, too little for the store: flash the board again over USB");
  S.write(FILE.store, MARK, 0, size);
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
  const want = new Uint8Array(FILE_HEADER_BYTES);
  for (let i = 0; i < names.length; i++) {
    const n = names[i];
    let torn = n !== FILE.store && n.length >= FILE.store.length;
    for (let k = 0; torn && k < FILE.store.length; k++) torn = (n.charCodeAt(k) & FILE.store.charCodeAt(k)) === FILE.store.charCodeAt(k);
    if (!torn) continue;
    const size = S.read(n)!.length;
    // storeCreate made it the last file: its header is where the files end, less its size.
    const at = end - S.getFree() - FILE_HEADER_BYTES - ((size + 3) & ~3);
    want.fill(0);
    want[0] = size & 255;
    want[1] = (size >> 8) & 255;
    want[2] = (size >> 16) & 255;
    for (let k = 0; k < FILE.store.length; k++) want[4 + k] = FILE.store.charCodeAt(k);
    const head = F.read(FILE_HEADER_BYTES, at);
    let over = head !== undefined;
    for (let k = 0; over && k < FILE_HEADER_BYTES; k++) over = (head[k] & want[k]) === want[k];
    if (over) F.write(want, at);
  }
}

/** The largest page-aligned part of [addr, addr + bytes) that Flash.getFree() still reports free, as [address, pages]. */
function freeOutside(addr: number, bytes: number, pageBytes: number): number[] {
  const free = F.getFree();
  let best = [0, 0];
  for (let i = 0; i < free.length; i++) {
    const lo = ((Math.max(addr, free[i].addr) + pageBytes - 1) / pageBytes | 0) * pageBytes;
    const hi = (Math.min(addr + bytes, free[i].addr + free[i].length) / pageBytes | 0) * pageBytes;
    if (hi - lo > best[1] * pageBytes) best = [lo, (hi - lo) / pageBytes | 0];
  }
  return best;
}

/**
 * Finds or creates the store and reads its settings. Arguments default to
 * the board's (tests on other boards pass theirs). Throws with what to do
 * when the store cannot be used; it then writes nothing.
 */
export function storeOpen(end?: number, outAddr?: number, outBytes?: number, slotBytes?: number): void {
  end = end || STORAGE_END;
  outAddr = outAddr === undefined ? BUFFER_AREA_ADDR : outAddr;
  outBytes = outBytes === undefined ? BUFFER_AREA_BYTES : outBytes;
  slotBytes = slotBytes === undefined ? (APP_SLOTS > 1 ? SLOT_BYTES : 0) : slotBytes;
  const pb = F.getPage(end - 1)!.length;
  let h = storeHeader();
  if (h < 0) {
    storeRepair(end);
    h = storeHeader();
  }
  if (h < 0) {
    storeCreate(end, pb);
    h = storeHeader();
  }
  const data = h + FILE_HEADER_BYTES;
  const first = ((data + pb - 1) / pb | 0) * pb;
  const inside = ((data + S.read(FILE.store)!.length - first) / pb) | 0;
  const out = outBytes > 0 ? freeOutside(outAddr, outBytes, pb) : [0, 0];
  const parts = storePartition(inside, out[1], (slotBytes / pb) | 0);
  setArea(settingsArea, first, parts[0], pb, first - data);
  setArea(slotArea, first + parts[0] * pb, parts[3], pb, first - data + parts[0] * pb);
  const after = parts[0] + parts[3];
  settingsInit(settingsArea);
  bufferFresh = false;
  if (out[1] > 0) {
    setArea(eventsArea, out[0], parts[1], pb, -1);
    setArea(readingsArea, out[0] + parts[1] * pb, parts[2], pb, -1);
    // The area as last used: (generation, page number << 16 | pages). A new generation is a lost buffer.
    const was = counterGet(ID.area);
    const now = ((out[0] / pb) << 16 | out[1]) >>> 0;
    if (!was || was[1] !== now) {
      bufferFresh = true;
      counterWrite(ID.area, (was ? was[0] : 0) + 1, now);
    }
  } else {
    setArea(eventsArea, first + after * pb, parts[1], pb, first - data + after * pb);
    setArea(readingsArea, first + (after + parts[1]) * pb, parts[2], pb, first - data + (after + parts[1]) * pb);
  }
}

/** Times the buffer's area outside Storage was found gone or changed. */
export function areaLosses(): number {
  const g = counterGet(ID.area);
  return g ? g[0] - 1 : 0;
}
