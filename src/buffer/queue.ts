/**
 * The offline buffer (docs/buffer.md): every reading and event stays in
 * Storage until a link reports it delivered.
 *
 * Readings are stored a cycle at a time, as rows; they are sent as columns
 * (one series per channel and quantity) over a window of cycles, so the frame
 * can delta-code them. Events have their own segments and go out first.
 * What has been delivered is a position, (first cycle, window, readings of the
 * window sent), kept in a tally; a segment is erased once all of it is behind
 * that position. Storage is only compacted when nothing is pending: a power
 * cut during compact() can cost the whole of Storage.
 *
 * The buffer builds no frames: the sender asks it for a view of what is
 * pending (queueView), packs a frame from it, and tells it how many records
 * the frame took (queueTaken).
 */
import { FILE, FILE_HEADER_BYTES } from "../store/storage-layout";
import { tallyGet, tallyWrite } from "../store/tally";
import { REC_READING, REC_EVENT, type RecordView } from "../frame/view";
import {
  T_LAYOUT,
  T_CYCLE,
  T_EVENT,
  recordBytes,
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

const S = require("Storage");

/** A segment and its Storage header fill one 4 KB flash page. */
export const SEG = 4096 - FILE_HEADER_BYTES;
/** Readings one cycle may hold. */
export const MAX_COLS = 40;
/** Cycles sent as one window of series. */
const WINDOW = 15;
/** Records one frame is built from. */
const VIEW = 256;
/** Storage kept free for the small records (tallies, configuration) that must always be writable. */
const RESERVE = 3 * 1024;

// ------------------------------------------------------------------ state

interface Chain {
  prefix: string;
  pattern: RegExp;
  /** Live segment numbers, oldest first, and the first ordinal each holds (-1: none yet). */
  segs: number[];
  first: number[];
  /** Write position in the newest segment. */
  off: number;
  /** Ordinal the next record gets. */
  next: number;
}

const readings: Chain = { prefix: FILE.queue, pattern: new RegExp("^fg\\.q\\."), segs: [], first: [], off: SEG, next: 0 };
const events: Chain = { prefix: FILE.events, pattern: new RegExp("^fg\\.e\\."), segs: [], first: [], off: SEG, next: 0 };
/** Layout of the newest readings segment: channel << 8 | quantity, per column. */
let layout: number[] = [];
let layoutInSegment = false;
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

function segName(c: Chain, n: number): string {
  return c.prefix + n.toString(36);
}

/** Reads a layout record's columns, the read position at its start. */
function readLayout(o: number): number[] {
  readFrom(o + 2);
  const n = readByte();
  const cols: number[] = [];
  for (let k = 0; k < n; k++) cols.push((readByte() << 8) | readByte());
  return cols;
}

// ------------------------------------------------------------------ start-up

function scanChain(c: Chain, wantType: number): void {
  const names = S.list(c.pattern);
  c.segs = [];
  for (let i = 0; i < names.length; i++) c.segs.push(parseInt(names[i].substr(c.prefix.length), 36));
  c.segs.sort(function (a, b) {
    return a - b;
  });
  c.first = [];
  c.next = 0;
  c.off = SEG;
  for (let i = 0; i < c.segs.length; i++) {
    let first = -1;
    let last = -1;
    const end = walk(S.read(segName(c, c.segs[i]))!, function (o, type) {
      if (type === T_LAYOUT && c === readings) {
        layout = readLayout(o);
        layoutInSegment = true;
      }
      if (type === wantType) {
        last = ordinalAt(o);
        if (first < 0) first = last;
      }
      return true;
    });
    c.first.push(first);
    if (last >= 0) c.next = last + 1;
    if (i === c.segs.length - 1) c.off = end;
    else layoutInSegment = false;
  }
}

/** Reads the buffer back after a boot. Returns the readings waiting. */
export function queueInit(): number {
  layout = [];
  layoutInSegment = false;
  scanChain(events, T_EVENT);
  scanChain(readings, T_CYCLE);
  const a = tallyGet("qack");
  if (a) {
    deliveredCycle = a[0];
    deliveredWindow = a[1] >>> 16;
    deliveredInWindow = a[1] & 0xffff;
  }
  const e = tallyGet("eack");
  deliveredEvents = e ? e[0] : 0;
  const d = tallyGet("drop");
  dropped = d ? d[0] : 0;
  // Ordinals continue past everything delivered, even when its segments are gone.
  if (readings.next < deliveredCycle) readings.next = deliveredCycle;
  if (events.next < deliveredEvents) events.next = deliveredEvents;
  queueRewind();
  release();
  return pending();
}

// ------------------------------------------------------------------ appending

/** Room for a new segment: free space past the reserve, or the oldest readings dropped to make it. */
function room(): boolean {
  if (S.getFree() >= SEG + FILE_HEADER_BYTES + RESERVE) return true;
  if (S.getStats().trashBytes > 0 && nothingPending()) {
    S.compact();
    return S.getFree() >= SEG + FILE_HEADER_BYTES + RESERVE;
  }
  // Full: the oldest routine readings go first; events are kept. Reclaiming
  // their space takes a compaction with readings pending: see docs/buffer.md.
  if (readings.segs.length > 1) {
    dropOldestReadings();
    S.compact();
    return S.getFree() >= SEG + FILE_HEADER_BYTES + RESERVE;
  }
  return false;
}

function dropOldestReadings(): void {
  const n = readings.segs[0];
  const nextFirst = readings.first.length > 1 && readings.first[1] >= 0 ? readings.first[1] : readings.next;
  let lost = 0;
  walk(S.read(segName(readings, n))!, function (o, type) {
    if (type === T_CYCLE && ordinalAt(o) >= deliveredCycle) {
      readU32();
      lost += readByte();
    }
    return true;
  });
  if (deliveredCycle < nextFirst) {
    deliveredCycle = nextFirst;
    deliveredWindow = 0;
    deliveredInWindow = 0;
    tallyWrite("qack", deliveredCycle, 0);
  }
  if (sentCycle < deliveredCycle) queueRewind();
  dropped += lost;
  tallyWrite("drop", dropped);
  S.erase(segName(readings, n));
  readings.segs.shift();
  readings.first.shift();
}

function fits(c: Chain): boolean {
  return c.segs.length > 0 && c.off + recordsLength() <= SEG;
}

/** Appends the records written since recordsBegin() to a chain, opening a new segment when they do not fit. */
function append(c: Chain, ordinal: number): boolean {
  const bytes = new Uint8Array(recordBytes.buffer, 0, recordsLength());
  if (fits(c)) {
    S.write(segName(c, c.segs[c.segs.length - 1]), bytes, c.off);
    c.off += bytes.length;
    if (c.first[c.first.length - 1] < 0) c.first[c.first.length - 1] = ordinal;
    return true;
  }
  if (!room()) return false;
  const n = c.segs.length ? c.segs[c.segs.length - 1] + 1 : 0;
  S.write(segName(c, n), bytes, 0, SEG);
  c.segs.push(n);
  c.first.push(ordinal);
  c.off = bytes.length;
  return true;
}

function putLayout(): void {
  const at = recordOpen(T_LAYOUT);
  putByte(layout.length);
  for (let i = 0; i < layout.length; i++) {
    putByte(layout[i] >> 8);
    putByte(layout[i]);
  }
  recordClose(at);
}

function putCycle(ordinal: number, t: number, n: number, val: Int32Array | number[], q: Uint8Array | number[]): void {
  const at = recordOpen(T_CYCLE);
  putU32(ordinal);
  putU32(t);
  putByte(n);
  for (let i = 0; i < n; i++) {
    // zigzag(value) · 2 + (quality not ok); a failed reading adds its quality.
    putVarint(zigzag(q[i] >= 2 ? 0 : val[i]) * 2 + (q[i] ? 1 : 0));
    if (q[i]) putByte(q[i]);
  }
  recordClose(at);
}

/** Stores one cycle's readings. Returns false when they could not be kept (and counts them dropped). */
export function queueCycle(t: number, n: number, chq: number[], val: Int32Array | number[], q: Uint8Array | number[]): boolean {
  if (n > MAX_COLS) n = MAX_COLS;
  let same = layout.length === n;
  for (let i = 0; same && i < n; i++) same = layout[i] === chq[i];
  const ordinal = readings.next;
  if (!same) layout = chq.slice(0, n);
  recordsBegin();
  if (!same || !layoutInSegment) putLayout();
  putCycle(ordinal, Math.floor(t), n, val, q);
  if (!fits(readings)) {
    // A new segment begins with the layout, so its cycles can be read on their own.
    recordsBegin();
    putLayout();
    putCycle(ordinal, Math.floor(t), n, val, q);
  }
  const ok = append(readings, ordinal);
  if (!ok) {
    dropped += n;
    tallyWrite("drop", dropped);
    return false;
  }
  layoutInSegment = true;
  readings.next++;
  return true;
}

/** Stores an event. Events are never dropped to make room for readings. */
export function queueEvent(t: number, ch: number, code: number, active: number, value: number): boolean {
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

function sameLayout(a: number[], b: ArrayLike<number>, n: number): boolean {
  if (a.length !== n) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

function segIndexFor(c: Chain, ordinal: number): number {
  let idx = -1;
  for (let i = 0; i < c.segs.length; i++) if (c.first[i] >= 0 && c.first[i] <= ordinal) idx = i;
  return idx;
}

/** Loads cycles from.. into the window; returns how many (stops at a change of layout). */
function loadWindow(from: number, max: number): number {
  let got = 0;
  windowCols = 0;
  for (let si = segIndexFor(readings, from); si >= 0 && si < readings.segs.length && got < max; si++) {
    let lay: number[] = [];
    let stop = false;
    walk(S.read(segName(readings, readings.segs[si]))!, function (o, type) {
      if (type === T_LAYOUT) {
        lay = readLayout(o);
        return true;
      }
      if (type !== T_CYCLE) return true;
      const ord = ordinalAt(o);
      if (ord < from + got) return true;
      if (ord !== from + got || got >= max) return false;
      if (got === 0) windowLayout = lay;
      else if (!sameLayout(lay, windowLayout, lay.length)) {
        stop = true;
        return false;
      }
      windowTimes[got] = readU32();
      const n = readByte();
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
  for (let si = Math.max(0, segIndexFor(events, sentEvents)); si < events.segs.length && n < max; si++) {
    walk(S.read(segName(events, events.segs[si]))!, function (o, type) {
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
 * the delivered position on and erase what is wholly behind it.
 */
export function queueDelivered(to: number[]): void {
  if (to[3] > deliveredEvents) {
    deliveredEvents = to[3];
    tallyWrite("eack", deliveredEvents);
  }
  // A position behind the delivered one (readings dropped meanwhile) moves nothing.
  if (to[0] > deliveredCycle || (to[0] === deliveredCycle && to[2] > deliveredInWindow)) {
    deliveredCycle = to[0];
    deliveredWindow = to[1];
    deliveredInWindow = to[2];
    tallyWrite("qack", deliveredCycle, (deliveredWindow << 16) | deliveredInWindow);
  }
  release();
}

/**
 * Erases segments whose records are all delivered. The segment being written
 * stays until it is full, however much of it is delivered: erasing it early
 * would turn a page into trash every cycle and force compaction after compaction.
 */
function release(): void {
  while (readings.segs.length > 1 && readings.first[1] >= 0 && readings.first[1] <= deliveredCycle) {
    S.erase(segName(readings, readings.segs[0]));
    readings.segs.shift();
    readings.first.shift();
  }
  while (events.segs.length > 1 && events.first[1] >= 0 && events.first[1] <= deliveredEvents) {
    S.erase(segName(events, events.segs[0]));
    events.segs.shift();
    events.first.shift();
  }
}

function nothingPending(): boolean {
  return deliveredCycle >= readings.next && deliveredEvents >= events.next;
}

/** Readings not yet delivered (events not counted). */
export function pending(): number {
  return (readings.next - deliveredCycle) * (layout.length || 1) - deliveredInWindow;
}

/** Readings and events not yet sent. */
export function unsent(): number {
  return (readings.next - sentCycle) * (layout.length || 1) - sentInWindow + events.next - sentEvents;
}

/** Cycles and events pending, readings dropped, reading and event segments, write offset in the newest reading segment. */
export function queueStats(): number[] {
  return [readings.next - deliveredCycle, events.next - deliveredEvents, dropped, readings.segs.length, events.segs.length, readings.off];
}

/** Compacts Storage when nothing is pending and trash takes more than a quarter of it. */
export function queueTidy(): boolean {
  if (!nothingPending()) return false;
  const st = S.getStats();
  if (st.trashBytes * 4 < st.totalBytes) return false;
  S.compact();
  return true;
}
