/**
 * The store's settings (docs/storage-layout.md, "Settings"): counters that
 * only grow, and the site configuration, as records in a ring of pages, the
 * way Zephyr's NVS keeps its ids. A new value is appended; the newest record
 * of an id is its value (for a counter, the largest). When the page being
 * written is full, the next page is opened; when that leaves no free page,
 * every id whose newest record is on the oldest page is copied forward and
 * only then is the oldest page retired (invariant 5). One page's live records
 * always fit a fresh page, so the copy never runs out of room.
 *
 * Records: `length(1) type(1) id(1) body crc16(2)`, word-aligned (record.ts).
 *   counter: a(u32) b(u32)
 *   value:   version(u32) part(1) parts(1) bytes…   (a value of several records)
 *
 * Every site configuration written takes a version above all seen, a copy
 * made to retire a page too, so versions follow the order of writing: read
 * page by page in sequence, the last version found whole is the one in force.
 */
import { type Area, KIND_SETTINGS, PAGE_HEAD, pageOpen, pageScan, pageRetire, pageAppend, pageText, pagesOf, ringSeqs, pageWritable } from "./pages";
import { recordsBegin, recordsLength, recordOpen, recordClose, putByte, putU32, readByte, readU32, readFrom } from "./record";
import { ID, SITE_MAX_BYTES } from "./storage-layout";

const T_COUNTER = 16;
const T_VALUE = 17;
/** Ids are below this. */
const IDS = 72;
/** Bytes of a value record around its part: length, type, id, version, part, parts … crc. */
const VALUE_HEAD = 9;
/** A part's bytes: its record, padded to a word, stays within MAX_RECORD (record.ts). */
const PART_BYTES = 228;
/** Parts of the largest site configuration: SITE_MAX_BYTES / PART_BYTES, rounded up. */
const MAX_PARTS = 5;

let area: Area = { addr: 0, pages: 0, pageBytes: 0, fileOffset: 0 };
/** Settings pages in use, oldest first, and their sequence numbers. */
let live: number[] = [];
let liveSeq: number[] = [];
/** Write offset in the newest page. */
let writeAt = 0;

/** Counters: value (a, b), whether one is stored, and the page holding its newest record. */
const valA = new Float64Array(IDS);
const valB = new Float64Array(IDS);
const stored = new Uint8Array(IDS);
const where = new Int16Array(IDS);

/** The site configuration: the newest complete version, and the one being read (page << 16 | offset per part). */
let siteVersion = -1;
let siteParts = 0;
const siteAt = new Int32Array(MAX_PARTS);
let candVersion = -1;
let candParts = 0;
let candSeen = 0;
const candAt = new Int32Array(MAX_PARTS);

function later(a1: number, b1: number, a2: number, b2: number): boolean {
  return a1 > a2 || (a1 === a2 && b1 > b2);
}

/** The page take() reads. */
let takePage = 0;

/** Takes in the record at offset o (after the page header) of the page being read. */
function take(o: number, type: number): void {
  readFrom(o + 2);
  const id = readByte();
  const at = (takePage << 16) | (o + PAGE_HEAD);
  if (id >= IDS) return;
  if (type === T_COUNTER) {
    const a = readU32();
    const b = readU32();
    // The largest value wins; its newest copy is the one that counts for retiring pages.
    if (!stored[id] || !later(valA[id], valB[id], a, b)) {
      valA[id] = a;
      valB[id] = b;
      stored[id] = 1;
      where[id] = takePage;
    }
  } else if (type === T_VALUE && id === ID.site) {
    const version = readU32();
    const part = readByte();
    const parts = readByte();
    if (parts > MAX_PARTS || part >= parts) return;
    // A later copy of the version in force (a change written again on a new page) is where it is now.
    if (version === siteVersion) siteAt[part] = at;
    if (version < candVersion) return;
    if (version > candVersion) {
      candVersion = version;
      candParts = parts;
      candSeen = 0;
    }
    candAt[part] = at;
    candSeen |= 1 << part;
    if (candSeen === (1 << candParts) - 1) {
      siteVersion = candVersion;
      siteParts = candParts;
      for (let k = 0; k < candParts; k++) siteAt[k] = candAt[k];
    }
  }
}

/** Reads every settings page: which are in use, and the newest value of each id. Returns whether the newest takes more records. */
function load(): boolean {
  stored.fill(0);
  siteVersion = candVersion = -1;
  live = pagesOf(area, KIND_SETTINGS, 0);
  liveSeq = ringSeqs;
  for (let k = 0; k < live.length; k++) {
    takePage = live[k];
    writeAt = pageScan(area, takePage, take);
    // A page that is not writable past its records ends at the page's end: nothing more goes there.
    if (!pageWritable) writeAt = area.pageBytes;
  }
  return live.length > 0 && pageWritable;
}

/** Opens the page after the newest; when no page is left free, copies the oldest page's live records over and retires it. */
function advance(): void {
  const n = live.length;
  const next = ((n ? live[n - 1] : area.pages - 1) + 1) % area.pages;
  const seq = n ? liveSeq[n - 1] + 1 : 1;
  if (!pageOpen(area, next, KIND_SETTINGS, seq)) throw new Error("settings page " + next + " is worn out: replace the board");
  live.push(next);
  liveSeq.push(seq);
  writeAt = PAGE_HEAD;
  if (n + 1 >= area.pages) collect();
}

/** Copies forward every id whose newest record is on the oldest page, then retires it (invariant 5). */
function collect(): void {
  const old = live[0];
  let onOld = false;
  for (let id = 0; id < IDS; id++) if (stored[id] && where[id] === old && !appendCounter(id, valA[id], valB[id])) full();
  for (let k = 0; k < siteParts; k++) onOld = onOld || siteAt[k] >> 16 === old;
  // A new version: one written after a newer, incomplete one must still be found as the newest whole one.
  if (onOld && !appendSite(siteText()!, nextSiteVersion())) full();
  pageRetire(area, old);
  live.shift();
  liveSeq.shift();
}

function full(): never {
  throw new Error("settings do not fit one page: keep the site configuration smaller");
}

/** Appends the records built since recordsBegin() to the newest page; false when they do not fit there. */
function append(): boolean {
  const at = live.length ? pageAppend(area, live[live.length - 1], writeAt, recordsLength()) : -1;
  if (at < 0) return false;
  writeAt = at;
  return true;
}

function appendCounter(id: number, a: number, b: number): boolean {
  recordsBegin();
  const at = recordOpen(T_COUNTER);
  putByte(id);
  putU32(a);
  putU32(b);
  recordClose(at);
  if (!append()) return false;
  where[id] = live[live.length - 1];
  return true;
}

/** Above any version seen, even one a power cut left incomplete: its parts must not mix with a new one's. */
function nextSiteVersion(): number {
  return Math.max(siteVersion, candVersion) + 1;
}

/** Appends all parts of a site configuration; false when the page filled before the last. */
function appendSite(text: string, version: number): boolean {
  const parts = Math.max(1, Math.ceil(text.length / PART_BYTES));
  for (let p = 0; p < parts; p++) {
    const chunk = text.substr(p * PART_BYTES, PART_BYTES);
    recordsBegin();
    const at = recordOpen(T_VALUE);
    putByte(ID.site);
    putU32(version);
    putByte(p);
    putByte(parts);
    for (let i = 0; i < chunk.length; i++) putByte(chunk.charCodeAt(i));
    recordClose(at);
    if (!append()) return false;
    // Where the parts are goes to siteAt only once all of them are written: until then the previous version counts.
    candAt[p] = (live[live.length - 1] << 16) | (writeAt - recordsLength());
  }
  for (let k = 0; k < parts; k++) siteAt[k] = candAt[k];
  siteVersion = version;
  siteParts = parts;
  if (version > candVersion) candVersion = version;
  return true;
}

/**
 * Reads the settings in `a`. A ring with no free page was being collected
 * when the power went: its newest page holds only copies, so it is opened
 * afresh and the copy done again.
 */
export function settingsInit(a: Area): void {
  area = a;
  const writable = load();
  if (live.length >= area.pages) {
    pageOpen(area, live[live.length - 1], KIND_SETTINGS, liveSeq[liveSeq.length - 1]);
    load();
    collect();
  } else if (!writable) advance();
}

/** The counter's value [a, b], [0, 0] when none was stored. */
export function counterGet(id: number): number[] {
  return stored[id] ? [valA[id], valB[id]] : [0, 0];
}

/** The counter's first word, or -1 when none was stored. */
export function counterRead(id: number): number {
  return stored[id] ? valA[id] : -1;
}

function opened(): void {
  if (!area.pages) throw new Error("the flash store is not open");
}

/** After the newest page failed to take a record for the `tries`-th time: the next page. */
function grow(tries: number): void {
  if (tries > area.pages) full();
  advance();
}

/** Stores a counter's value. Counters only grow: a value not above the stored one writes nothing. */
export function counterWrite(id: number, a: number, b?: number): void {
  opened();
  a = a >>> 0;
  b = (b || 0) >>> 0;
  if (stored[id] && !later(a, b, valA[id], valB[id])) return;
  for (let tries = 0; !appendCounter(id, a, b); tries++) grow(tries);
  valA[id] = a;
  valB[id] = b;
  stored[id] = 1;
}

/** The stored site configuration (JSON text), or undefined. */
export function siteText(): string | undefined {
  if (siteVersion < 0) return undefined;
  let s = "";
  for (let k = 0; k < siteParts; k++) {
    const page = siteAt[k] >> 16;
    const o = siteAt[k] & 0xffff;
    s += pageText(area, page, o + VALUE_HEAD, pageText(area, page, o, 1).charCodeAt(0) - VALUE_HEAD - 2);
  }
  return s;
}

/** Stores a site configuration; the previous one stays in force until every part of this one is written. */
export function siteStore(text: string): void {
  opened();
  if (text.length > SITE_MAX_BYTES) throw new Error("site configuration of " + text.length + " bytes: at most " + SITE_MAX_BYTES);
  // Asked again after each new page: retiring a page may have copied the one in force forward as a new version.
  for (let tries = 0; !appendSite(text, nextSiteVersion()); tries++) grow(tries);
}
