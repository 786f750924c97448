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
 */
import { type Area, KIND_SETTINGS, PAGE_HEAD, pageOpen, pageScan, pageRetire, pageAppend, pageText, pagesOf, ringSeqs, pageWritable } from "./pages";
import { recordsBegin, recordsLength, recordOpen, recordClose, putByte, putU32, readByte, readU32, readFrom } from "./record";
import { ID, SITE_MAX_BYTES } from "./storage-layout";
import { fail } from "../runtime/log";

const T_COUNTER = 16;
const T_VALUE = 17;
/** Ids are below this: the alarms of channels 0-39 end the range (ID.alarmBase). */
const IDS = 112;
/** Bytes of a value record around its part: length, type, id, version, part, parts … crc. */
const VALUE_HEAD = 9;
/** A part's bytes: its record, padded to a word, stays within MAX_RECORD (record.ts). */
const PART_BYTES = 228;
/** Parts of the largest site configuration: SITE_MAX_BYTES / PART_BYTES, rounded up. */
const MAX_PARTS = 5;

let area: Area = { start: 0, pages: 0, pageBytes: 0, fileOffset: 0 };
/** Settings pages in use, oldest first, and the newest one's sequence number (0: none). */
let live: number[] = [];
let liveSeq = 0;
/** Write offset in the newest page. */
let writeAt = 0;

/** Counters: value (a, b), whether one is stored, and the page holding its newest record. */
const valA = new Float64Array(IDS);
const valB = new Float64Array(IDS);
const stored = new Uint8Array(IDS);
const where = new Int16Array(IDS);

/**
 * The site configuration: the newest complete version, its parts, and where
 * its part 0 is (page << 16 | offset). The parts of a version are written one
 * after another on one page (appendSite), so a whole version is a run of
 * records from its part 0. The newest version seen, whole or not, and the
 * run being read.
 */
let siteVersion = -1;
let siteParts = 0;
let siteAt = 0;
let seenVersion = -1;
let runVersion = -1;
let runParts = 0;
let runNext = 0;
let runAt = 0;

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
    if (version > seenVersion) seenVersion = version;
    if (part === 0) {
      runVersion = version;
      runParts = parts;
      runNext = 0;
      runAt = at;
    }
    if (version !== runVersion || parts !== runParts || part !== runNext) {
      runVersion = -1;
      return;
    }
    // A whole run takes over, also a later copy of the version in force (made when its page was retired).
    if (++runNext === parts && version >= siteVersion) {
      siteVersion = version;
      siteParts = parts;
      siteAt = runAt;
    }
  }
}

/** Reads every settings page: which are in use, and the newest value of each id. Returns whether the newest takes more records. */
function load(): boolean {
  stored.fill(0);
  siteVersion = seenVersion = runVersion = -1;
  live = pagesOf(area, KIND_SETTINGS, 0);
  liveSeq = live.length ? ringSeqs[live.length - 1] : 0;
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
  if (!pageOpen(area, next, KIND_SETTINGS, liveSeq + 1)) fail("settings page " + next + " is worn out: replace the board");
  live.push(next);
  liveSeq++;
  writeAt = PAGE_HEAD;
  if (n + 1 >= area.pages) collect();
}

/** Copies forward every id whose newest record is on the oldest page, then retires it (invariant 5). */
function collect(): void {
  const old = live[0];
  for (let id = 0; id < IDS; id++) if (stored[id] && where[id] === old && !appendCounter(id, valA[id], valB[id])) full();
  if (siteVersion >= 0 && siteAt >> 16 === old && !appendSite(siteText()!, siteVersion)) full();
  pageRetire(area, old);
  live.shift();
}

function full(): never {
  fail("settings outgrow a page: shorten the site configuration");
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

/** Appends all parts of a site configuration; false when the page filled before the last. */
function appendSite(text: string, version: number): boolean {
  const parts = Math.max(1, Math.ceil(text.length / PART_BYTES));
  let first = 0;
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
    if (!p) first = (live[live.length - 1] << 16) | (writeAt - recordsLength());
  }
  // The new version counts only once all its parts are written: until then the previous one does.
  siteAt = first;
  siteVersion = version;
  siteParts = parts;
  if (version > seenVersion) seenVersion = version;
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
    pageOpen(area, live[live.length - 1], KIND_SETTINGS, liveSeq);
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
  if (!area.pages) fail("flash store not open");
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
  const page = siteAt >> 16;
  for (let k = 0, o = siteAt & 0xffff; k < siteParts; k++) {
    const len = pageText(area, page, o, 1).charCodeAt(0);
    s += pageText(area, page, o + VALUE_HEAD, len - VALUE_HEAD - 2);
    o += (len + 3) & ~3;
  }
  return s;
}

/** Stores a site configuration; the previous one stays in force until every part of this one is written. */
export function siteStore(text: string): void {
  opened();
  if (text.length > SITE_MAX_BYTES) fail("site configuration of " + text.length + " bytes: at most " + SITE_MAX_BYTES);
  // Above any version seen, even one a power cut left incomplete: its parts must not mix with these.
  const version = seenVersion + 1;
  for (let tries = 0; !appendSite(text, version); tries++) grow(tries);
}
