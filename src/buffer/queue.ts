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
 */
import { FILE, FILE_HEADER_BYTES } from "../store/storage-layout";
import { tallyGet, tallyWrite } from "../store/tally";
import { packFrame, REC_READING, REC_EVENT, type RecordView, type Health } from "../frame/frame";

const S = require("Storage");

/** A segment and its Storage header fill one 4 KB flash page. */
export const SEG = 4096 - FILE_HEADER_BYTES;
const T_LAYOUT = 1;
const T_CYCLE = 2;
const T_EVENT = 3;
/** Largest record; its length byte is never 0xFF, which marks erased space. */
const MAX_REC = 240;
/** Readings one cycle may hold. */
export const MAX_COLS = 40;
/** Cycles sent as one window of series. */
const WINDOW = 15;
/** Records one frame is built from. */
const VIEW = 256;
/** Storage kept free for the small records (tallies, configuration) that must always be writable. */
const RESERVE = 3 * 1024;

// ------------------------------------------------------------------ record encoding (no allocation per record)

const rec = new Uint8Array(2 * MAX_REC);
let rl = 0;

function put(v: number): void {
  rec[rl++] = v & 255;
}
function put32(v: number): void {
  put(v);
  put(v >>> 8);
  put(v >>> 16);
  put(v >>> 24);
}
/** Unsigned LEB128 by arithmetic: values pass 2^32. */
function varint(x: number): void {
  while (x >= 128) {
    put((x % 128) | 128);
    x = Math.floor(x / 128);
  }
  put(x);
}
function zigzag(v: number): number {
  return v >= 0 ? v * 2 : -v * 2 - 1;
}
/** Record framing: [length][type] … [CRC-16 of the rest], length counting itself and the CRC. */
function open(type: number): number {
  const at = rl;
  put(0);
  put(type);
  return at;
}
function close(at: number): void {
  const len = rl - at + 2;
  rec[at] = len;
  const c = E.CRC32(new Uint8Array(rec.buffer, at, len - 2));
  put(c);
  put(c >>> 8);
}

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

const rd: Chain = { prefix: FILE.queue, pattern: new RegExp("^fg\\.q\\."), segs: [], first: [], off: SEG, next: 0 };
const ev: Chain = { prefix: FILE.events, pattern: new RegExp("^fg\\.e\\."), segs: [], first: [], off: SEG, next: 0 };
/** Layout of the newest readings segment: channel << 8 | quantity, per column. */
let layout: number[] = [];
let layoutInSeg = false;
/** Delivered position: first cycle not wholly sent, window size, readings of the window sent. */
let ackA = 0;
let ackK = 0;
let ackP = 0;
let evAck = 0;
/**
 * Sent position, in the same terms: where the next frame starts. It runs
 * ahead of the delivered one by the frames sent unconfirmed and not yet
 * acknowledged in bulk (docs/links.md), and goes back to it when one of them
 * was lost. Kept in RAM only: after a boot, whatever was not delivered goes again.
 */
let sA = 0;
let sK = 0;
let sP = 0;
let sEv = 0;
let dropped = 0;

function segName(c: Chain, n: number): string {
  return c.prefix + n.toString(36);
}

// ------------------------------------------------------------------ parsing

interface Parsed {
  type: number;
  len: number;
  ok: boolean;
}
let ps = "";
/** The record at offset o of the segment text in ps; len 0 at erased space. */
function recordAt(o: number, out: Parsed): Parsed {
  const len = o < ps.length ? ps.charCodeAt(o) : 0xff;
  if (len === 0xff || len < 4 || o + len > ps.length) {
    out.len = len === 0xff ? 0 : Math.max(len, 1);
    out.ok = false;
    out.type = 0;
    return out;
  }
  const c = E.CRC32(ps.substr(o, len - 2));
  out.len = len;
  out.type = ps.charCodeAt(o + 1);
  out.ok = (c & 255) === ps.charCodeAt(o + len - 2) && ((c >>> 8) & 255) === ps.charCodeAt(o + len - 1);
  return out;
}
let rp = 0;
function g8(): number {
  return ps.charCodeAt(rp++);
}
function g32(): number {
  return (g8() | (g8() << 8) | (g8() << 16) | (g8() << 24)) >>> 0;
}
function gvar(): number {
  let x = 0;
  let m = 1;
  let b = 0;
  do {
    b = g8();
    x += (b & 127) * m;
    m *= 128;
  } while (b & 128);
  return x;
}
function unzig(x: number): number {
  return x % 2 ? -(x + 1) / 2 : x / 2;
}

const pr: Parsed = { type: 0, len: 0, ok: false };

/** Walks a segment; calls fn(offset, type, ordinal) for each good record. Returns the end of the written part. */
function walk(text: string, fn: (o: number, type: number) => boolean): number {
  ps = text;
  let o = 0;
  while (o < ps.length) {
    recordAt(o, pr);
    if (pr.len === 0) break;
    // A torn record is skipped whole: its length byte was written first.
    if (pr.ok && fn(o, pr.type) === false) return o;
    o += pr.len;
  }
  return o;
}

function ordinalAt(o: number): number {
  rp = o + 2;
  return g32();
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
      if (type === T_LAYOUT && c === rd) {
        rp = o + 2;
        const n = g8();
        layout = [];
        for (let k = 0; k < n; k++) layout.push((g8() << 8) | g8());
        layoutInSeg = true;
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
    else layoutInSeg = false;
  }
}

/** Reads the buffer back after a boot. Returns the readings waiting. */
export function queueInit(): number {
  layout = [];
  layoutInSeg = false;
  scanChain(ev, T_EVENT);
  scanChain(rd, T_CYCLE);
  const a = tallyGet("qack");
  if (a) {
    ackA = a[0];
    ackK = a[1] >>> 16;
    ackP = a[1] & 0xffff;
  }
  const e = tallyGet("eack");
  evAck = e ? e[0] : 0;
  const d = tallyGet("drop");
  dropped = d ? d[0] : 0;
  // Ordinals continue past everything delivered, even when its segments are gone.
  if (rd.next < ackA) rd.next = ackA;
  if (ev.next < evAck) ev.next = evAck;
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
  if (rd.segs.length > 1) {
    dropOldestReadings();
    S.compact();
    return S.getFree() >= SEG + FILE_HEADER_BYTES + RESERVE;
  }
  return false;
}

function dropOldestReadings(): void {
  const n = rd.segs[0];
  const nextFirst = rd.first.length > 1 && rd.first[1] >= 0 ? rd.first[1] : rd.next;
  let lost = 0;
  walk(S.read(segName(rd, n))!, function (o, type) {
    if (type === T_CYCLE && ordinalAt(o) >= ackA) {
      rp = o + 10;
      lost += g8();
    }
    return true;
  });
  if (ackA < nextFirst) {
    ackA = nextFirst;
    ackK = 0;
    ackP = 0;
    tallyWrite("qack", ackA, 0);
  }
  if (sA < ackA) queueRewind();
  dropped += lost;
  tallyWrite("drop", dropped);
  S.erase(segName(rd, n));
  rd.segs.shift();
  rd.first.shift();
}

function fits(c: Chain): boolean {
  return c.segs.length > 0 && c.off + rl <= SEG;
}

/** Appends the record(s) in rec[0..rl) to a chain, opening a new segment when they do not fit. */
function append(c: Chain, ordinal: number): boolean {
  if (fits(c)) {
    S.write(segName(c, c.segs[c.segs.length - 1]), new Uint8Array(rec.buffer, 0, rl), c.off);
    c.off += rl;
    if (c.first[c.first.length - 1] < 0) c.first[c.first.length - 1] = ordinal;
    return true;
  }
  if (!room()) return false;
  const n = c.segs.length ? c.segs[c.segs.length - 1] + 1 : 0;
  S.write(segName(c, n), new Uint8Array(rec.buffer, 0, rl), 0, SEG);
  c.segs.push(n);
  c.first.push(ordinal);
  c.off = rl;
  return true;
}

function putLayout(): void {
  const at = open(T_LAYOUT);
  put(layout.length);
  for (let i = 0; i < layout.length; i++) {
    put(layout[i] >> 8);
    put(layout[i]);
  }
  close(at);
}

function putCycle(ordinal: number, t: number, n: number, val: Int32Array | number[], q: Uint8Array | number[]): void {
  const at = open(T_CYCLE);
  put32(ordinal);
  put32(t);
  put(n);
  for (let i = 0; i < n; i++) {
    // zigzag(value) · 2 + (quality not ok); a failed reading adds its quality.
    varint(zigzag(q[i] >= 2 ? 0 : val[i]) * 2 + (q[i] ? 1 : 0));
    if (q[i]) put(q[i]);
  }
  close(at);
}

/** Stores one cycle's readings. Returns false when they could not be kept (and counts them dropped). */
export function queueCycle(t: number, n: number, chq: number[], val: Int32Array | number[], q: Uint8Array | number[]): boolean {
  if (n > MAX_COLS) n = MAX_COLS;
  let same = layout.length === n;
  for (let i = 0; same && i < n; i++) same = layout[i] === chq[i];
  const ordinal = rd.next;
  if (!same) layout = chq.slice(0, n);
  rl = 0;
  if (!same || !layoutInSeg) putLayout();
  putCycle(ordinal, Math.floor(t), n, val, q);
  if (!fits(rd)) {
    // A new segment begins with the layout, so its cycles can be read on their own.
    rl = 0;
    putLayout();
    putCycle(ordinal, Math.floor(t), n, val, q);
  }
  const ok = append(rd, ordinal);
  if (!ok) {
    dropped += n;
    tallyWrite("drop", dropped);
    return false;
  }
  layoutInSeg = true;
  rd.next++;
  return true;
}

/** Stores an event. Events are never dropped to make room for readings. */
export function queueEvent(t: number, ch: number, code: number, active: number, value: number): boolean {
  rl = 0;
  const at = open(T_EVENT);
  put32(ev.next);
  put32(Math.floor(t));
  put(ch);
  put(code);
  put(active);
  varint(zigzag(value));
  close(at);
  if (!append(ev, ev.next)) return false;
  ev.next++;
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
const wVal = new Int32Array(WINDOW * MAX_COLS);
const wQ = new Uint8Array(WINDOW * MAX_COLS);
const wT = new Float64Array(WINDOW);
let wCols = 0;
let wLayout: number[] = [];

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

/** Loads cycles A.. into the window matrix; returns how many (stops at a change of layout). */
function loadWindow(from: number, max: number): number {
  let got = 0;
  wCols = 0;
  for (let si = segIndexFor(rd, from); si >= 0 && si < rd.segs.length && got < max; si++) {
    let lay: number[] = [];
    let stop = false;
    walk(S.read(segName(rd, rd.segs[si]))!, function (o, type) {
      if (type === T_LAYOUT) {
        rp = o + 2;
        const n = g8();
        lay = [];
        for (let k = 0; k < n; k++) lay.push((g8() << 8) | g8());
        return true;
      }
      if (type !== T_CYCLE) return true;
      const ord = ordinalAt(o);
      if (ord < from + got) return true;
      if (ord !== from + got || got >= max) return false;
      if (got === 0) wLayout = lay;
      else if (!sameLayout(lay, wLayout, lay.length)) {
        stop = true;
        return false;
      }
      rp = o + 6;
      wT[got] = g32();
      const n = g8();
      wCols = n;
      for (let k = 0; k < n; k++) {
        const x = gvar();
        const bad = x % 2;
        wVal[got * MAX_COLS + k] = unzig(Math.floor(x / 2));
        wQ[got * MAX_COLS + k] = bad ? g8() : 0;
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
  for (let si = Math.max(0, segIndexFor(ev, sEv)); si < ev.segs.length && n < max; si++) {
    walk(S.read(segName(ev, ev.segs[si]))!, function (o, type) {
      if (type !== T_EVENT) return true;
      const ord = ordinalAt(o);
      if (ord < sEv + n) return true;
      if (ord !== sEv + n || n >= max) return false;
      rp = o + 6;
      view.t[n] = g32();
      view.ch[n] = g8();
      view.code[n] = g8();
      view.q[n] = g8();
      view.value[n] = unzig(gvar());
      view.kind[n] = REC_EVENT;
      n++;
      return true;
    });
  }
  return n;
}

export interface Outgoing {
  bytes: number;
  events: number;
  readings: number;
  /** The position after this frame: [first cycle, window, readings of the window, events]. */
  to: number[];
  /** Health figures it carries, from the first given. */
  health: number;
}

/**
 * Builds the next frame: events not yet sent first, then readings as series
 * over a window of cycles, from the sent position. Nothing moves until
 * queueSent() and queueDelivered() are called with what this returned.
 */
export function queueFrame(out: Uint8Array, maxLen: number, seq: number, now: number, health: Health | null): Outgoing {
  const ne = loadEvents(VIEW);
  let k = sK;
  let n = ne;
  let cols = 1;
  if (n < VIEW) {
    const avail = rd.next - sA;
    const got = loadWindow(sA, k > 0 ? k : Math.min(WINDOW, avail));
    if (k === 0) k = got;
    cols = wCols || 1;
    // Column-major from the position already sent: one series per channel and quantity.
    for (let pos = sP; pos < k * wCols && n < VIEW && got === k; pos++) {
      const j = Math.floor(pos / k);
      const i = pos % k;
      view.kind[n] = REC_READING;
      view.ch[n] = wLayout[j] >> 8;
      view.code[n] = wLayout[j] & 255;
      view.value[n] = wVal[i * MAX_COLS + j];
      view.q[n] = wQ[i * MAX_COLS + j];
      view.t[n] = wT[i];
      n++;
    }
  }
  view.n = n;
  const r = packFrame(out, maxLen, seq, now, view, health);
  const events = Math.min(r.records, ne);
  const readings = r.records - events;
  const to = [sA, sK, sP, sEv + events];
  if (readings) {
    to[1] = k;
    to[2] += readings;
    if (to[2] >= k * cols) {
      to[0] += k;
      to[1] = 0;
      to[2] = 0;
    }
  }
  return { bytes: r.bytes, events: events, readings: readings, to: to, health: r.health };
}

/** The frame built as `o` went out: the next one starts after it. */
export function queueSent(o: Outgoing): void {
  sA = o.to[0];
  sK = o.to[1];
  sP = o.to[2];
  sEv = o.to[3];
}

/** Frames not acknowledged go again: the next one starts where delivery stopped. */
export function queueRewind(): void {
  sA = ackA;
  sK = ackK;
  sP = ackP;
  sEv = evAck;
}

/**
 * Everything up to position `to` (the Outgoing.to of a frame already passed
 * to queueSent, so never past the sent position) reached the platform: move
 * the delivered position on and erase what is wholly behind it.
 */
export function queueDelivered(to: number[]): void {
  if (to[3] > evAck) {
    evAck = to[3];
    tallyWrite("eack", evAck);
  }
  // A position behind the delivered one (readings dropped meanwhile) moves nothing.
  if (to[0] > ackA || (to[0] === ackA && to[2] > ackP)) {
    ackA = to[0];
    ackK = to[1];
    ackP = to[2];
    tallyWrite("qack", ackA, (ackK << 16) | ackP);
  }
  release();
}

/**
 * Erases segments whose records are all delivered. The segment being written
 * stays until it is full, however much of it is delivered: erasing it early
 * would turn a page into trash every cycle and force compaction after compaction.
 */
function release(): void {
  while (rd.segs.length > 1 && rd.first[1] >= 0 && rd.first[1] <= ackA) {
    S.erase(segName(rd, rd.segs[0]));
    rd.segs.shift();
    rd.first.shift();
  }
  while (ev.segs.length > 1 && ev.first[1] >= 0 && ev.first[1] <= evAck) {
    S.erase(segName(ev, ev.segs[0]));
    ev.segs.shift();
    ev.first.shift();
  }
}

function nothingPending(): boolean {
  return ackA >= rd.next && evAck >= ev.next;
}

/** Readings not yet delivered (events not counted). */
export function pending(): number {
  return (rd.next - ackA) * (layout.length || 1) - ackP;
}

/** Readings and events not yet sent. */
export function unsent(): number {
  return (rd.next - sA) * (layout.length || 1) - sP + ev.next - sEv;
}

export function queueStats(): number[] {
  return [rd.next - ackA, ev.next - evAck, dropped, rd.segs.length, ev.segs.length, rd.off];
}

/** Compacts Storage when nothing is pending and trash takes more than a quarter of it. */
export function queueTidy(): boolean {
  if (!nothingPending()) return false;
  const st = S.getStats();
  if (st.trashBytes * 4 < st.totalBytes) return false;
  S.compact();
  return true;
}
