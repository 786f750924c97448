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
let dropped = 0;

/** The records of page p (after its header), as a view of flash. */
function body(c: Chain, p: number): string {
  return pageText(c.area, p, PAGE_HEAD, c.area.pageBytes - PAGE_HEAD);
}

/** Reads a layout record's columns, the read position after its ordinal and time. */
function readLayout(): number[] {
  const n = readByte();
  const cols: number[] = [];
  for (let k = 0; k < n; k++) cols.push((readByte() << 8) | readByte());
  return cols;
}

/**
 * Walks page p of the readings, calling fn(ordinal, time) for each
 * cycle with the read position at its values; fn returns false to stop.
 * Layout records set `walkLayout`.
 */
let walkLayout: number[] = [];
function walkCycles(p: number, fn: (ordinal: number, t: number) => boolean): number {
  let ord = 0;
  let t = 0;
  return walk(body(readings, p), function (o, type) {
    if (type === T_LAYOUT) {
      ord = ordinalAt(o);
      t = readU32();
      walkLayout = readLayout();
      return true;
    }
    if (type !== T_CYCLE) return true;
    readFrom(o + 2);
    t += unzigzag(readVarint());
    return fn(ord++, t);
  });
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
  let from = idx.length - 1;
  while (from > 0 && seqs[from - 1] === seqs[from] - 1 && (idx[from - 1] + 1) % a.pages === idx[from]) from--;
  c.pages = idx.slice(Math.max(from, 0));
  c.first = [];
  c.last = idx.length ? idx[idx.length - 1] : a.pages - 1;
  c.seq = idx.length ? seqs[seqs.length - 1] : c.base;
  c.off = a.pageBytes;
  // Every page begins with a record that carries an ordinal: a layout, or an event.
  for (let k = 0; k < c.pages.length; k++) c.first.push(walk(pageText(a, c.pages[k], PAGE_HEAD, MAX_RECORD)) ? ordinalAt(0) : -1);
  if (c.pages.length) {
    const end = pageScan(a, c.pages[c.pages.length - 1]);
    if (pageWritable) c.off = end;
  }
}

/** The ordinal after the newest record of a chain, and for readings its layout and time. */
function scanNewest(c: Chain): void {
  c.next = 0;
  for (let k = c.pages.length - 1; k >= 0 && !c.next; k--) {
    if (c === readings) {
      walkLayout = [];
      walkCycles(c.pages[k], function (ord, t) {
        c.next = ord + 1;
        lastTime = t;
        return true;
      });
      if (k === c.pages.length - 1) {
        layout = walkLayout;
        layoutInPage = walkLayout.length > 0;
      }
    } else
      walk(body(c, c.pages[k]), function (o, type) {
        if (type === T_EVENT) c.next = ordinalAt(o) + 1;
        return true;
      });
  }
}

/**
 * Reads the buffer back after a boot. With `fresh`, nothing in its pages is
 * taken as its own (a new or lost area, or a migration starting over): the
 * pages found are put below the base. Returns the readings waiting.
 */
export function queueInit(fresh?: boolean): number {
  readings.area = readingsArea;
  events.area = eventsArea;
  layout = [];
  layoutInPage = false;
  const b = counterGet(ID.base);
  readings.base = b ? b[0] : 0;
  events.base = b ? b[1] : 0;
  scanChain(events);
  scanChain(readings);
  if (fresh) {
    readings.base = readings.seq + 1;
    events.base = events.seq + 1;
    counterWrite(ID.base, readings.base, events.base);
    scanChain(events);
    scanChain(readings);
  }
  scanNewest(events);
  scanNewest(readings);
  const a = counterGet(ID.readingsDelivered);
  if (a) {
    deliveredCycle = a[0];
    deliveredWindow = a[1] >>> 16;
    deliveredInWindow = a[1] & 0xffff;
  } else deliveredCycle = deliveredWindow = deliveredInWindow = 0;
  const e = counterGet(ID.eventsDelivered);
  deliveredEvents = e ? e[0] : 0;
  const d = counterGet(ID.readingsDropped);
  dropped = d ? d[0] : 0;
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
    c.seq++;
    // A page that does not take its header is worn: the next one is tried.
    if (!pageOpen(c.area, at, c.kind, c.seq)) continue;
    c.pages.push(at);
    c.first.push(-1);
    c.off = PAGE_HEAD;
    return true;
  }
  return false;
}

function dropOldestReadings(): void {
  const nextFirst = readings.first.length > 1 && readings.first[1] >= 0 ? readings.first[1] : readings.next;
  let lost = 0;
  walkCycles(readings.pages[0], function (ord) {
    if (ord >= deliveredCycle && ord < nextFirst) lost += deliveredCycle === ord ? walkLayout.length - deliveredInWindow : walkLayout.length;
    return true;
  });
  // The position moves past the page before the page is opened again: a cut in between loses nothing more.
  if (deliveredCycle < nextFirst) {
    deliveredCycle = nextFirst;
    deliveredWindow = 0;
    deliveredInWindow = 0;
    counterWrite(ID.readingsDelivered, deliveredCycle, 0);
  }
  if (sentCycle < deliveredCycle) queueRewind();
  dropped += lost;
  counterWrite(ID.readingsDropped, dropped);
  readings.pages.shift();
  readings.first.shift();
}

/** Appends the records written since recordsBegin() to the newest page of a chain. */
function append(c: Chain, ordinal: number): boolean {
  const at = pageAppend(c.area, c.pages[c.pages.length - 1], c.off, recordsLength());
  // A write that did not read back ends the page (invariant 2): the caller opens the next.
  if (at < 0) {
    c.off = c.area.pageBytes;
    return false;
  }
  c.off = at;
  if (c.first[c.first.length - 1] < 0) c.first[c.first.length - 1] = ordinal;
  return true;
}

function fits(c: Chain): boolean {
  return c.pages.length > 0 && c.off + recordsLength() <= c.area.pageBytes;
}

function putLayout(ordinal: number, t: number): void {
  const at = recordOpen(T_LAYOUT);
  putU32(ordinal);
  putU32(t);
  putByte(layout.length);
  for (let i = 0; i < layout.length; i++) {
    putByte(layout[i] >> 8);
    putByte(layout[i]);
  }
  recordClose(at);
}

function putCycle(dt: number, n: number, val: Int32Array | number[], q: Uint8Array | number[]): void {
  const at = recordOpen(T_CYCLE);
  putVarint(zigzag(dt));
  for (let i = 0; i < n; i++) {
    // zigzag(value) · 2 + (quality not ok); a failed reading adds its quality.
    putVarint(zigzag(q[i] >= 2 ? 0 : val[i]) * 2 + (q[i] ? 1 : 0));
    if (q[i]) putByte(q[i]);
  }
  recordClose(at);
}

/** Builds a cycle's records: a layout first when it changed or the page is new (it carries the ordinal and time). */
function cycleRecords(withLayout: boolean, ordinal: number, t: number, n: number, val: Int32Array | number[], q: Uint8Array | number[]): void {
  recordsBegin();
  if (withLayout) putLayout(ordinal, t);
  putCycle(withLayout ? 0 : t - lastTime, n, val, q);
}

/** Stores one cycle's readings. Returns false when they could not be kept (and counts them dropped). */
export function queueCycle(t: number, n: number, chq: number[], val: Int32Array | number[], q: Uint8Array | number[]): boolean {
  if (!readings.area.pages) return false;
  if (n > MAX_COLS) n = MAX_COLS;
  t = Math.floor(t);
  let same = layout.length === n;
  for (let i = 0; same && i < n; i++) same = layout[i] === chq[i];
  const ordinal = readings.next;
  if (!same) layout = chq.slice(0, n);
  cycleRecords(!same || !layoutInPage, ordinal, t, n, val, q);
  let ok = fits(readings) && append(readings, ordinal);
  for (let tries = 0; !ok && tries < 2; tries++) {
    // A new page begins with the layout, so its cycles can be read on their own.
    if (!openPage(readings)) break;
    cycleRecords(true, ordinal, t, n, val, q);
    ok = append(readings, ordinal);
  }
  if (!ok) {
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
  let ok = fits(events) && append(events, events.next);
  for (let tries = 0; !ok && tries < 2; tries++) {
    if (!openPage(events)) break;
    ok = append(events, events.next);
  }
  if (!ok) return false;
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

function sameLayout(a: number[], b: ArrayLike<number>, n: number): boolean {
  if (a.length !== n) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

function pageIndexFor(c: Chain, ordinal: number): number {
  let idx = -1;
  for (let i = 0; i < c.pages.length; i++) if (c.first[i] >= 0 && c.first[i] <= ordinal) idx = i;
  return idx;
}

/** Loads cycles from.. into the window; returns how many (stops at a change of layout). */
function loadWindow(from: number, max: number): number {
  let got = 0;
  windowCols = 0;
  for (let pi = pageIndexFor(readings, from); pi >= 0 && pi < readings.pages.length && got < max; pi++) {
    let stop = false;
    walkCycles(readings.pages[pi], function (ord, t) {
      if (ord < from + got) return true;
      if (ord !== from + got || got >= max) return false;
      if (got === 0) windowLayout = walkLayout;
      else if (!sameLayout(walkLayout, windowLayout, walkLayout.length)) {
        stop = true;
        return false;
      }
      windowTimes[got] = t;
      const n = walkLayout.length;
      windowCols = n;
      for (let k = 0; k < n; k++) {
        const x = readVarint();
        const bad = x % 2;
        windowValues[got * MAX_COLS + k] = unzigzag(Math.floor(x / 2));
        windowQuality[got * MAX_COLS + k] = bad ? readByte() : 0;
      }
      got++;
      return true;
    });
    if (stop) break;
  }
  return got;
}

/** Events not yet sent, oldest first, into the view. */
function loadEvents(max: number): number {
  let n = 0;
  for (let pi = Math.max(0, pageIndexFor(events, sentEvents)); pi < events.pages.length && n < max; pi++) {
    walk(body(events, events.pages[pi]), function (o, type) {
      if (type !== T_EVENT) return true;
      const ord = ordinalAt(o);
      if (ord < sentEvents + n) return true;
      if (ord !== sentEvents + n || n >= max) return false;
      view.t[n] = readU32();
      view.ch[n] = readByte();
      view.code[n] = readByte();
      view.q[n] = readByte();
      view.value[n] = unzigzag(readVarint());
      view.kind[n] = REC_EVENT;
      n++;
      return true;
    });
  }
  return n;
}

/**
 * What is pending from the sent position, in the order it should go out:
 * events not yet sent first, then readings as series over a window of cycles
 * (one per channel and quantity). The view is the buffer's own and valid
 * until the next call; nothing moves until queueSent() and queueDelivered().
 */
export function queueView(): RecordView {
  const ne = loadEvents(VIEW);
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
  while (readings.pages.length > 1 && readings.first[1] >= 0 && readings.first[1] <= deliveredCycle) {
    readings.pages.shift();
    readings.first.shift();
  }
  while (events.pages.length > 1 && events.first[1] >= 0 && events.first[1] <= deliveredEvents) {
    events.pages.shift();
    events.first.shift();
  }
}

/** Readings not yet delivered (events not counted). */
export function pending(): number {
  return (readings.next - deliveredCycle) * (layout.length || 1) - deliveredInWindow;
}

/** Readings and events not yet sent. */
export function unsent(): number {
  return (readings.next - sentCycle) * (layout.length || 1) - sentInWindow + events.next - sentEvents;
}

/** Cycles and events pending, readings dropped, reading and event pages in use, write offset in the newest reading page, reading pages in all. */
export function queueStats(): number[] {
  return [readings.next - deliveredCycle, events.next - deliveredEvents, dropped, readings.pages.length, events.pages.length, readings.off, readings.area.pages];
}
