/**
 * Where the flash store lives (docs/storage-layout.md, "Where it lives"):
 * the pages wholly inside the Storage file fg.store, created once and never
 * replaced, and on boards that name one, a flash area outside Storage that
 * Flash.getFree() still reports free. It checks both at every boot and
 * shares their pages out among the settings, the events and the readings.
 */
import { STORAGE_END, BUFFER_AREA_ADDR, BUFFER_AREA_BYTES } from "virtual:board";
import type { Area } from "./pages";
import { settingsInit, counterGet, counterWrite } from "./settings";
import { FILE, FILE_HEADER_BYTES, ID, storePartition, SETTINGS_PAGES_MIN } from "./storage-layout";

const S = require("Storage");
const F = require("Flash");

/** rol32(0xABCDDCBA, 1): Storage.hash's seed after the one file it hashes (jsflash.c 1169-1172, 1238-1245). */
const HASH_SEED = 0x579bb975;
/** The store's data begins with this mark: the format it was made in. */
const MARK = "FGS1";

export const settingsArea: Area = { addr: 0, pages: 0, pageBytes: 0, fileOffset: -1 };
export const eventsArea: Area = { addr: 0, pages: 0, pageBytes: 0, fileOffset: -1 };
export const readingsArea: Area = { addr: 0, pages: 0, pageBytes: 0, fileOffset: -1 };
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
 * A cut while Storage wrote fg.store's header leaves a file where storeCreate
 * put it, of its size, whose name is torn: bits it was to clear still set.
 * Storage then counts that space as taken and finds no fg.store, so the store
 * could never be made again. Writing the name once more clears what is left,
 * as finishing the cut write would have. Any other file's name has a bit
 * cleared that fg.store's keeps set, and is left alone.
 */
function storeRepairName(end: number, pageBytes: number): void {
  const names = S.list();
  for (let k = 0; k < names.length; k++) {
    const data = S.read(names[k]);
    if (data === undefined) continue;
    const h = end - pageBytes - FILE_HEADER_BYTES - data.length;
    const head = F.read(FILE_HEADER_BYTES, h);
    if (head === undefined || (head[0] | (head[1] << 8) | (head[2] << 16) | (head[3] << 24)) !== data.length) continue;
    const name = new Uint8Array(FILE_HEADER_BYTES - 4);
    let torn = true;
    for (let i = 0; i < name.length; i++) {
      name[i] = i < FILE.store.length ? FILE.store.charCodeAt(i) : 0;
      torn = torn && (head[4 + i] & name[i]) === name[i];
    }
    if (!torn) continue;
    F.write(name, h + 4);
    return;
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
export function storeOpen(end?: number, outAddr?: number, outBytes?: number): void {
  end = end || STORAGE_END;
  outAddr = outAddr === undefined ? BUFFER_AREA_ADDR : outAddr;
  outBytes = outBytes === undefined ? BUFFER_AREA_BYTES : outBytes;
  const pb = F.getPage(end - 1)!.length;
  let h = storeHeader();
  if (h < 0) {
    storeRepairName(end, pb);
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
  const parts = storePartition(inside, out[1]);
  setArea(settingsArea, first, parts[0], pb, first - data);
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
    setArea(eventsArea, first + parts[0] * pb, parts[1], pb, first - data + parts[0] * pb);
    setArea(readingsArea, first + (parts[0] + parts[1]) * pb, parts[2], pb, first - data + (parts[0] + parts[1]) * pb);
  }
}

/** Times the buffer's area outside Storage was found gone or changed. */
export function areaLosses(): number {
  const g = counterGet(ID.area);
  return g ? g[0] - 1 : 0;
}
