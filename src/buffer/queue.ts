/**
 * The offline buffer (docs/buffer.md): every reading and event stays in the
 * flash store until a link reports it delivered.
 *
 * Readings are stored a cycle at a time, as rows; they are sent as columns
 * (one series per channel and quantity) over a window of cycles, so the frame
 * can delta-code them. Events have their own pages and go out first.
 * Each kind is a ring of store pages (src/store/pages.ts), written in order
 * and never erased but to be opened again. What has been delivered is a
 * position, (first cycle, window, readings of the window sent), kept in the
 * store's settings; a page is free once all of it is behind that position.
 * Nothing here writes a Storage file, so Storage never needs compacting.
 *
 * The buffer builds no frames: the sender asks it for a view of what is
 * pending (queueView), packs a frame from it, and tells it how many records
 * the frame took (queueTaken).
 */
import { ID } from "../store/storage-layout";
import { counterGet, counterWrite } from "../store/settings";
import { readingsArea, eventsArea } from "../store/store";
import { type Area, KIND_READINGS, KIND_EVENTS, PAGE_HEAD, pagesOf, ringSeqs, pageScan, pageWritable, pageOpen, pageAppend, pageText } from "../store/pages";
import { REC_READING, REC_EVENT, type RecordView } from "../frame/view";
import { MAX_RECORD } from "../store/record";
import {
  T_LAYOUT,
  T_CYCLE,
  T_EVENT,
  recordsBegin,
  recordsLength,
  putByte,
  putU32,
  putVarint,
  zigzag,
  unzigzag,
  recordOpen,
  recordClose,
  readByte,
  readU32,
  readVarint,
  readFrom,
  ordinalAt,
  walk,
} from "./format";

/** Readings one cycle may hold. */
export const MAX_COLS = 40;
/** Cycles sent as one window of series. */
const WINDOW = 15;
/** Records one frame is built from. */
const VIEW = 256;

// ------------------------------------------------------------------ state

interface Chain {
  area: Area;
  kind: number;
  /** Pages in use, oldest first (consecutive in the ring), and the first ordinal each holds (-1: none yet). */
  pages: number[];
  first: number[];
  /** The newest page opened (in use or not) and its sequence number; pages below `base` are not the buffer's. */
  last: number;
  seq: number;
  base: number;
  /** Write position in the newest page: the page's size when it takes no more. */
  off: number;
  /** Ordinal the next record gets. */
  next: number;
}

function chain(area: Area, kind: number): Chain {
  return { area: area, kind: kind, pages: [], first: [], last: -1, seq: 0, base: 0, off: 0, next: 0 };
}

const readings = chain(readingsArea, KIND_READINGS);
const events = chain(eventsArea, KIND_EVENTS);
/** Layout of the newest readings page: channel << 8 | quantity, per column; and whether that page holds it. */
let layout: number[] = [];
let layoutInPage = false;
/** Time of the last cycle written: the next one is stored as the difference. */
let lastTime = 0;
/** Delivered position: first cycle not wholly sent, window size, readings of the window sent; events delivered. */
let deliveredCycle = 0;
let deliveredWindow = 0;
let deliveredInWindow = 0;
let deliveredEvents = 0;
/**
 * Sent position, in the same terms: where the next frame starts. It runs
 * ahead of the delivered one by the frames sent unconfirmed and not yet
 * acknowledged in bulk (docs/links.md), and goes back to it when one of them
 * was lost. Kept in RAM only: after a boot, whatever was not delivered goes again.
 */
let sentCycle = 0;
let sentWindow = 0;
let sentInWindow = 0;
let sentEvents = 0;
/** Readings dropped because the buffer was full, in all. */
export let dropped = 0;

/** The records of page p (after its header), as a view of flash. */
function body(c: Chain, p: number): string {
  return pageText(c.area, p, PAGE_HEAD, c.area.pageBytes - PAGE_HEAD);
}

/**
 * Walks page p of the readings, calling fn(ordinal, time) for each cycle
 * with the read position at its values; fn returns false to stop. Layout
 * records set `walkLayout`. No closure is made per walk.
 */
let walkLayout: number[] = [];
let walkOrd = 0;
let walkTime = 0;
let walkFn: (ordinal: number, t: number) => boolean | void;
function walkCycles(p: number, fn: (ordinal: number, t: number) => boolean | void): void {
  walkOrd = walkTime = 0;
  walkFn = fn;
  walk(body(readings, p), cycleRecord);
}
function cycleRecord(o: number, type: number): boolean | void {
  if (type === T_LAYOUT) {
    walkOrd = ordinalAt(o);
    walkTime = readU32();
    walkLayout = [];
    for (let k = readByte(); k > 0; k--) walkLayout.push((readByte() << 8) | readByte());
  } else if (type === T_CYCLE) {
    readFrom(o + 2);
    walkTime += unzigzag(readVarint());
    return walkFn(walkOrd++, walkTime);
  }
}

// ------------------------------------------------------------------ start-up

/**
 * Finds a chain's pages: the valid ones of its kind from `base` on, in order
 * of sequence, the newest run of them that follow each other in the ring.
 * Pages before a gap are old copies a power cut left; they are free.
 */
function scanChain(c: Chain): void {
  const a = c.area;
  const idx = pagesOf(a, c.kind, c.base);
  const seqs = ringSeqs;
  const n = idx.length;
  let from = n - 1;
  while (from > 0 && seqs[from - 1] === seqs[from] - 1 && (idx[from - 1] + 1) % a.pages === idx[from]) from--;
  c.pages = idx.slice(Math.max(from, 0));
  c.first = [];
  c.last = n ? idx[n - 1] : a.pages - 1;
  c.seq = n ? seqs[n - 1] : c.base;
  c.off = a.pageBytes;
  // Every page begins with a record that carries an ordinal: a layout, or an event.
  for (let k = 0; k < c.pages.length; k++) c.first.push(walk(pageText(a, c.pages[k], PAGE_HEAD, MAX_RECORD)) ? ordinalAt(0) : -1);
  if (n) {
    const end = pageScan(a, idx[n - 1]);
    if (pageWritable) c.off = end;
  }
}

/** The newest cycle, as queueInit() finds it. */
function newestCycle(ord: number, t: number): void {
  readings.next = ord + 1;
  lastTime = t;
}

/** The newest event, as queueInit() finds it. */
function newestEvent(o: number, type: number): void {
  if (type === T_EVENT) events.next = ordinalAt(o) + 1;
}

/**
 * Reads the buffer back after a boot. With `fresh`, nothing in its pages is
 * taken as its own (a new or lost area, or a migration starting over): the
 * pages found are put below the base. Returns the readings waiting.
 */
export function queueInit(fresh?: boolean): number {
  // The chains' areas are the store's own objects, which storeOpen() has set.
  layout = [];
  layoutInPage = false;
  const b = counterGet(ID.base);
  readings.base = b[0];
  events.base = b[1];
  scanChain(events);
  scanChain(readings);
  if (fresh) {
    readings.base = readings.seq + 1;
    events.base = events.seq + 1;
    counterWrite(ID.base, readings.base, events.base);
    scanChain(events);
    scanChain(readings);
  }
  // The ordinal after the newest record of each chain, and the readings' layout and time.
  events.next = readings.next = 0;
  for (let k = events.pages.length - 1; k >= 0 && !events.next; k--) walk(body(events, events.pages[k]), newestEvent);
  for (let k = readings.pages.length - 1; k >= 0 && !readings.next; k--) {
    walkLayout = [];
    walkCycles(readings.pages[k], newestCycle);
    if (k === readings.pages.length - 1) {
      layout = walkLayout;
      layoutInPage = walkLayout.length > 0;
    }
  }
  const a = counterGet(ID.readingsDelivered);
  deliveredCycle = a[0];
  deliveredWindow = a[1] >>> 16;
  deliveredInWindow = a[1] & 0xffff;
  deliveredEvents = counterGet(ID.eventsDelivered)[0];
  dropped = counterGet(ID.readingsDropped)[0];
  // Ordinals continue past everything delivered, even when its pages are gone.
  if (readings.next < deliveredCycle) readings.next = deliveredCycle;
  if (events.next < deliveredEvents) events.next = deliveredEvents;
  queueRewind();
  release();
  return pending();
}

// ------------------------------------------------------------------ appending

/**
 * Opens the page after the newest for a chain. When that page is still in
 * use the ring is full: the oldest readings make room (counted as dropped),
 * events never do. False when no page could be opened.
 */
function openPage(c: Chain): boolean {
  for (let tries = 0; tries < c.area.pages; tries++) {
    const at = (c.last + 1) % c.area.pages;
    if (c.pages.length && at === c.pages[0]) {
      if (c !== readings || c.pages.length < 2) return false;
      dropOldestReadings();
    }
    c.last = at;
    // A page that does not take its header is worn: the next one is tried.
    if (!pageOpen(c.area, at, c.kind, ++c.seq)) continue;
    c.pages.push(at);
    c.first.push(-1);
    c.off = PAGE_HEAD;
    return true;
  }
  return false;
}

/** Readings of the oldest page that are lost, counted by dropOldestReadings. */
let lost = 0;
let lostBefore = 0;
function countLost(ord: number): void {
  if (ord >= deliveredCycle && ord < lostBefore) lost += deliveredCycle === ord ? walkLayout.length - deliveredInWindow : walkLayout.length;
}

function dropOldestReadings(): void {
  lostBefore = readings.first.length > 1 && readings.first[1] >= 0 ? readings.first[1] : readings.next;
  lost = 0;
  walkCycles(readings.pages[0], countLost);
  // The position moves past the page before the page is opened again: a cut in between loses nothing more.
  if (deliveredCycle < lostBefore) {
    deliveredCycle = lostBefore;
    deliveredWindow = 0;
    deliveredInWindow = 0;
    counterWrite(ID.readingsDelivered, deliveredCycle, 0);
  }
  if (sentCycle < deliveredCycle) queueRewind();
  dropped += lost;
  counterWrite(ID.readingsDropped, dropped);
  dropPage(readings);
}

/**
 * Appends the records built since recordsBegin() to the newest page of a
 * chain, opening the next page when it is full: `t` set, they are one
 * cycle's, built again to begin with its layout, as a new page must.
 */
function append(c: Chain, ordinal: number, t?: number, n?: number, val?: Int32Array | number[], q?: Uint8Array | number[]): boolean {
  for (let tries = 0; tries < 3; tries++) {
    if (tries) {
      if (!openPage(c)) return false;
      if (t !== undefined) cycleRecords(true, ordinal, t, n!, val!, q!);
    }
    const k = c.pages.length - 1;
    // A write that did not read back ends the page (invariant 2): the next one is opened.
    const at = k < 0 ? -1 : pageAppend(c.area, c.pages[k], c.off, recordsLength());
    if (at >= 0) {
      c.off = at;
      if (c.first[k] < 0) c.first[k] = ordinal;
      return true;
    }
    if (k >= 0 && c.off + recordsLength() <= c.area.pageBytes) c.off = c.area.pageBytes;
  }
  return false;
}

/** Builds a cycle's records: a layout first when it changed or the page is new (it carries the ordinal and time). */
function cycleRecords(withLayout: boolean, ordinal: number, t: number, n: number, val: Int32Array | number[], q: Uint8Array | number[]): void {
  recordsBegin();
  let at: number;
  if (withLayout) {
    at = recordOpen(T_LAYOUT);
    putU32(ordinal);
    putU32(t);
    putByte(layout.length);
    for (let i = 0; i < layout.length; i++) {
      putByte(layout[i] >> 8);
      putByte(layout[i]);
    }
    recordClose(at);
  }
  at = recordOpen(T_CYCLE);
  putVarint(zigzag(withLayout ? 0 : t - lastTime));
  for (let i = 0; i < n; i++) {
    // zigzag(value) · 2 + (quality not ok); a failed reading adds its quality.
    putVarint(zigzag(q[i] >= 2 ? 0 : val[i]) * 2 + (q[i] ? 1 : 0));
    if (q[i]) putByte(q[i]);
  }
  recordClose(at);
}
/** Stores one cycle's readings. Returns false when they could not be kept (and counts them dropped). */
export function queueCycle(t: number, n: number, chq: number[], val: Int32Array | number[], q: Uint8Array | number[]): boolean {
  if (!readings.area.pages) return false;
  if (n > MAX_COLS) n = MAX_COLS;
  t = Math.floor(t);
  const same = layout.length === n && sameCols(layout, chq, n);
  const ordinal = readings.next;
  if (!same) layout = chq.slice(0, n);
  cycleRecords(!same || !layoutInPage, ordinal, t, n, val, q);
  // A new page begins with the layout, so its cycles can be read on their own.
  if (!append(readings, ordinal, t, n, val, q)) {
    dropped += n;
    counterWrite(ID.readingsDropped, dropped);
    return false;
  }
  layoutInPage = true;
  lastTime = t;
  readings.next++;
  return true;
}

/**
 * The next cycle or event gets at least this ordinal (-1: unchanged). The
 * migration copies the old layout's records with their own ordinals, so the
 * delivered positions it copied stay true.
 */
export function queueSkipTo(cycle: number, event: number): void {
  if (cycle > readings.next) {
    readings.next = cycle;
    // A cycle's ordinal follows from the layout before it: after a gap a new layout says where it is.
    layoutInPage = false;
  }
  if (event > events.next) events.next = event;
}

/** Stores an event. Events are never dropped to make room for readings; a full event ring refuses the newest. */
export function queueEvent(t: number, ch: number, code: number, active: number, value: number): boolean {
  if (!events.area.pages) return false;
  recordsBegin();
  const at = recordOpen(T_EVENT);
  putU32(events.next);
  putU32(Math.floor(t));
  putByte(ch);
  putByte(code);
  putByte(active);
  putVarint(zigzag(value));
  recordClose(at);
  if (!append(events, events.next)) return false;
  events.next++;
  return true;
}

// ------------------------------------------------------------------ reading back for frames

const view: RecordView = {
  n: 0,
  kind: new Uint8Array(VIEW),
  ch: new Uint8Array(VIEW),
  code: new Uint8Array(VIEW),
  q: new Uint8Array(VIEW),
  value: new Int32Array(VIEW),
  t: new Float64Array(VIEW),
};
/** The window of cycles behind the view: values and qualities by cycle and column, each cycle's time. */
const windowValues = new Int32Array(WINDOW * MAX_COLS);
const windowQuality = new Uint8Array(WINDOW * MAX_COLS);
const windowTimes = new Float64Array(WINDOW);
let windowCols = 0;
let windowLayout: number[] = [];
/** What the last view holds: events first, the window's size in cycles, and its columns. */
let viewEvents = 0;
let viewWindow = 0;
let viewCols = 1;

/** Whether the first n columns of two layouts are the same. */
function sameCols(a: ArrayLike<number>, b: ArrayLike<number>, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

function pageIndexFor(c: Chain, ordinal: number): number {
  let idx = -1;
  for (let i = 0; i < c.pages.length; i++) if (c.first[i] >= 0 && c.first[i] <= ordinal) idx = i;
  return idx;
}

/** loadWindow's walk: the first cycle wanted, how many at most, how many so far, and whether a change of layout ended it. */
let winFrom = 0;
let winMax = 0;
let winGot = 0;
let winStop = false;

function windowCycle(ord: number, t: number): boolean | void {
  const got = winGot;
  if (ord < winFrom + got) return;
  if (ord !== winFrom + got || got >= winMax) return false;
  const n = walkLayout.length;
  if (got === 0) windowLayout = walkLayout;
  else if (!sameCols(walkLayout, windowLayout, n)) {
    winStop = true;
    return false;
  }
  windowTimes[got] = t;
  windowCols = n;
  for (let k = 0; k < n; k++) {
    const x = readVarint();
    windowValues[got * MAX_COLS + k] = unzigzag(Math.floor(x / 2));
    windowQuality[got * MAX_COLS + k] = x % 2 ? readByte() : 0;
  }
  winGot++;
}

/** Loads cycles from.. into the window; returns how many (stops at a change of layout). */
function loadWindow(from: number, max: number): number {
  winFrom = from;
  winMax = max;
  winGot = 0;
  winStop = false;
  windowCols = 0;
  for (let pi = pageIndexFor(readings, from); !winStop && pi >= 0 && pi < readings.pages.length && winGot < max; pi++) walkCycles(readings.pages[pi], windowCycle);
  return winGot;
}

/** Events put into the view so far. */
let viewN = 0;

function viewEvent(o: number, type: number): boolean | void {
  if (type !== T_EVENT) return;
  const n = viewN;
  const ord = ordinalAt(o);
  if (ord < sentEvents + n) return;
  if (ord !== sentEvents + n || n >= VIEW) return false;
  view.t[n] = readU32();
  view.ch[n] = readByte();
  view.code[n] = readByte();
  view.q[n] = readByte();
  view.value[n] = unzigzag(readVarint());
  view.kind[n] = REC_EVENT;
  viewN++;
}

/**
 * What is pending from the sent position, in the order it should go out:
 * events not yet sent first, then readings as series over a window of cycles
 * (one per channel and quantity). The view is the buffer's own and valid
 * until the next call; nothing moves until queueSent() and queueDelivered().
 */
export function queueView(): RecordView {
  // Events not yet sent, oldest first.
  viewN = 0;
  for (let pi = Math.max(0, pageIndexFor(events, sentEvents)); pi < events.pages.length && viewN < VIEW; pi++) walk(body(events, events.pages[pi]), viewEvent);
  const ne = viewN;
  let k = sentWindow;
  let n = ne;
  let cols = 1;
  if (n < VIEW) {
    const avail = readings.next - sentCycle;
    const got = loadWindow(sentCycle, k > 0 ? k : Math.min(WINDOW, avail));
    if (k === 0) k = got;
    cols = windowCols || 1;
    // Column-major from the position already sent: one series per channel and quantity.
    for (let pos = sentInWindow; pos < k * windowCols && n < VIEW && got === k; pos++) {
      const j = Math.floor(pos / k);
      const i = pos % k;
      view.kind[n] = REC_READING;
      view.ch[n] = windowLayout[j] >> 8;
      view.code[n] = windowLayout[j] & 255;
      view.value[n] = windowValues[i * MAX_COLS + j];
      view.q[n] = windowQuality[i * MAX_COLS + j];
      view.t[n] = windowTimes[i];
      n++;
    }
  }
  view.n = n;
  viewEvents = ne;
  viewWindow = k;
  viewCols = cols;
  return view;
}

/** A frame's share of the buffer, from the sent position on. */
export interface Taken {
  events: number;
  readings: number;
  /** The position after it: [first cycle, window, readings of the window, events]. */
  to: number[];
}

/** The first `records` of the last view went into a frame: what they are, and where the next frame starts. */
export function queueTaken(records: number): Taken {
  const taken = Math.min(records, viewEvents);
  const rest = records - taken;
  const to = [sentCycle, sentWindow, sentInWindow, sentEvents + taken];
  if (rest) {
    to[1] = viewWindow;
    to[2] += rest;
    if (to[2] >= viewWindow * viewCols) {
      to[0] += viewWindow;
      to[1] = 0;
      to[2] = 0;
    }
  }
  return { events: taken, readings: rest, to: to };
}

/** The frame that took `t` went out: the next one starts after it. */
export function queueSent(t: Taken): void {
  sentCycle = t.to[0];
  sentWindow = t.to[1];
  sentInWindow = t.to[2];
  sentEvents = t.to[3];
}

/** Frames not acknowledged go again: the next one starts where delivery stopped. */
export function queueRewind(): void {
  sentCycle = deliveredCycle;
  sentWindow = deliveredWindow;
  sentInWindow = deliveredInWindow;
  sentEvents = deliveredEvents;
}

/**
 * Everything up to position `to` (the Taken.to of a frame already passed
 * to queueSent, so never past the sent position) reached the platform: move
 * the delivered position on, and free the pages wholly behind it.
 */
export function queueDelivered(to: number[]): void {
  if (to[3] > deliveredEvents) {
    deliveredEvents = to[3];
    counterWrite(ID.eventsDelivered, deliveredEvents);
  }
  // A position behind the delivered one (readings dropped meanwhile) moves nothing.
  if (to[0] > deliveredCycle || (to[0] === deliveredCycle && to[2] > deliveredInWindow)) {
    deliveredCycle = to[0];
    deliveredWindow = to[1];
    deliveredInWindow = to[2];
    counterWrite(ID.readingsDelivered, deliveredCycle, (deliveredWindow << 16) | deliveredInWindow);
  }
  release();
}

/**
 * Frees pages whose records are all delivered. Nothing is written: a free
 * page is erased when the ring comes round to open it again (invariant 1).
 * The page being written stays in use until it is full.
 */
function release(): void {
  releaseChain(readings, deliveredCycle);
  releaseChain(events, deliveredEvents);
}

function releaseChain(c: Chain, upTo: number): void {
  while (c.pages.length > 1 && c.first[1] >= 0 && c.first[1] <= upTo) dropPage(c);
}

/** The chain's oldest page is no longer in use. */
function dropPage(c: Chain): void {
  c.pages.shift();
  c.first.shift();
}

/** Readings from a position (first cycle, readings of its window) on. */
function readingsFrom(cycle: number, inWindow: number): number {
  return (readings.next - cycle) * (layout.length || 1) - inWindow;
}

/** Readings not yet delivered (events not counted). */
export function pending(): number {
  return readingsFrom(deliveredCycle, deliveredInWindow);
}

/** Readings and events not yet sent. */
export function unsent(): number {
  return readingsFrom(sentCycle, sentInWindow) + events.next - sentEvents;
}

/** Cycles and events pending, readings dropped, reading and event pages in use, write offset in the newest reading page, reading pages in all. */
export function queueStats(): number[] {
  return [readings.next - deliveredCycle, events.next - deliveredEvents, dropped, readings.pages.length, events.pages.length, readings.off, readings.area.pages];
}
