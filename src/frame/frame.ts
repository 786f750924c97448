/**
 * Frames (docs/frame-format.md): the packer fills one frame with as many of
 * the pending records as fit the link's payload, in the order given (alarms
 * first), and reports how many it took. Runs of one quantity at a steady step
 * become delta series. Nothing is allocated per record.
 */
import { BULK_ACKS, FLOAT_FIGURES } from "virtual:board";
import { cborBegin, cborPos, cborRewind, cborInt, cborArray, cborMap, cborPatch, cborNumber, cborText } from "./cbor";
import { REC_READING, REC_EVENT, type RecordView, type Health, type Answer } from "./view";

export const FRAME_VERSION = 1;
/** Notes block keys. */
export const NOTE_EVENTS = 1;
export const NOTE_HEALTH = 2;
export const NOTE_STATUS = 3;
export const NOTE_ACK = 4;
/** Keys of a status note. */
const STATUS_COUNTER = 1;
const STATUS_RESULT = 2;
const STATUS_DETAIL = 3;

/** Items in a group or series array: one header byte holds up to 23. */
const MAX_ITEMS = 23;
/** Blocks in one frame (the outer array's header byte holds 23 items, 3 of them the header). */
const MAX_BLOCKS = 20;

const deltas = new Int32Array(MAX_ITEMS);

export interface Packed {
  bytes: number;
  records: number;
  /** Health figures (key and value pairs) packed, from the first. */
  health: number;
  /** The answer went into this frame. */
  answered: boolean;
}

/** Blocks in the frame so far. */
let blocks = 0;

/** Closes the frame (nothing when it could not be opened): its outer array, at 0, holds the header and the blocks. */
function packed(records: number, health: number, answered: boolean): Packed {
  if (cborPos) cborPatch(0, 3 + blocks);
  return { bytes: cborPos, records: records, health: health, answered: answered };
}

/**
 * Packs a frame into out[0..maxLen) and returns its length and the number of
 * leading records it holds. `now` is the device clock when sending; the base
 * time is the first record's time (or `now`, if that is older), sent as its age. `health`, when given,
 * goes into the notes block before any record, as many of its figures as fit:
 * `Packed.health` says how many, and the rest go in the next frame. `answer`,
 * when its counter is set, goes first of all, with its detail if that fits;
 * `ackAsk` above 0 asks the platform to acknowledge that many frames (docs/links.md).
 * A pure function of its inputs: it keeps nothing between frames.
 */
export function packFrame(out: Uint8Array, maxLen: number, seq: number, now: number, v: RecordView, health: Health | null, answer: Answer | null, ackAsk: number): Packed {
  cborBegin(out, maxLen);
  // A first record newer than `now` (the clock set back) would need a negative age: the base is then `now`, and its records' offsets are positive.
  const base = v.n && v.t[0] < now ? v.t[0] : now;
  blocks = 0;
  if (!(cborArray(0) && cborInt(FRAME_VERSION) && cborInt(seq) && cborInt(Math.round(now - base)))) {
    cborRewind(0);
    return packed(0, 0, false);
  }
  let i = 0;
  let good = cborPos;
  // A downlink's answer goes first of all, in a notes block of its own; the
  // reason for a refusal goes with it where the frame has room for it.
  let answered = false;
  if (answer && answer.counter >= 0) {
    const at = cborPos;
    for (let withDetail = answer.detail ? 1 : 0; !answered && withDetail >= 0; withDetail--) {
      cborRewind(at);
      answered = cborMap(1) && cborInt(NOTE_STATUS) && cborMap(2 + withDetail) && cborInt(STATUS_COUNTER) && cborInt(answer.counter) && cborInt(STATUS_RESULT) && cborInt(answer.result) && (!withDetail || (cborInt(STATUS_DETAIL) && cborText(answer.detail)));
    }
    if (answered) blocks++;
    else cborRewind(at);
    good = cborPos;
  }
  if (BULK_ACKS && ackAsk > 0) {
    // Three bytes: they fit every payload a frame is built for.
    cborMap(1);
    cborInt(NOTE_ACK);
    cborInt(ackAsk);
    blocks++;
    good = cborPos;
  }
  // Notes: health, then events. Health figures that do not fit go in the next frame.
  const events = countEvents(v);
  let hn = 0;
  if (health || events) {
    const notesAt = cborPos;
    let ok = cborMap((health ? 1 : 0) + (events ? 1 : 0));
    if (ok && health) {
      const hAt = cborPos + 1;
      ok = cborInt(NOTE_HEALTH) && cborMap(0);
      for (let k = 0; ok && k < health.length; k += 2) {
        const mark = cborPos;
        // Without FLOAT_FIGURES every figure is whole (boards/types.ts): the float encoder is not in the bundle.
        if (cborInt(health[k]) && (FLOAT_FIGURES ? cborNumber : cborInt)(health[k + 1])) hn++;
        else {
          cborRewind(mark);
          ok = false;
        }
      }
      if (hn) cborPatch(hAt, hn);
    }
    const healthEnd = cborPos;
    let m = 0;
    if (ok && events) {
      const evAt = cborPos + 1;
      ok = cborInt(NOTE_EVENTS) && cborArray(0);
      while (ok && i < v.n && v.kind[i] === REC_EVENT && m < MAX_ITEMS) {
        const mark = cborPos;
        const off = Math.round(v.t[i] - base);
        if (cborArray(5) && cborInt(v.ch[i]) && cborInt(off) && cborInt(v.code[i]) && cborInt(v.q[i]) && cborInt(v.value[i])) {
          m++;
          i++;
        } else {
          cborRewind(mark);
          break;
        }
      }
      if (m) cborPatch(evAt, m);
    }
    if (!ok || (events && !m)) {
      // The health that fit goes alone; the rest, and the events, wait for the next frame.
      if (hn) {
        cborRewind(healthEnd);
        cborPatch(notesAt, 1);
        blocks++;
      } else cborRewind(notesAt);
      return packed(0, hn, answered);
    }
    blocks++;
    good = cborPos;
  }
  // Readings: groups by channel; within a group, entries by quantity.
  let groupAt = -1;
  let items = 0;
  let groupCh = -1;
  while (i < v.n && blocks < MAX_BLOCKS) {
    if (v.kind[i] !== REC_READING) break;
    const ch = v.ch[i];
    if (ch !== groupCh || items + 2 > MAX_ITEMS) {
      if (groupAt >= 0) cborPatch(groupAt, items);
      if (blocks + 1 > MAX_BLOCKS) break;
      const mark = cborPos;
      if (!(cborArray(0) && cborInt(ch))) {
        cborRewind(mark);
        groupAt = -1;
        break;
      }
      groupAt = mark;
      items = 1;
      groupCh = ch;
      blocks++;
    }
    const took = entry(v, i, base);
    if (took === 0) {
      // Nothing of it fits: end the frame at the last complete entry.
      cborRewind(good);
      if (items === 1) {
        blocks--;
        groupAt = -1;
      }
      break;
    }
    items += 2;
    i += took;
    good = cborPos;
  }
  if (groupAt >= 0) cborPatch(groupAt, items);
  return packed(i, hn, answered);
}

function countEvents(v: RecordView): number {
  let n = 0;
  while (n < v.n && v.kind[n] === REC_EVENT) n++;
  return n;
}

/**
 * Writes one entry (quantity, then a value, an offset reading, a series, or a
 * failed reading) starting at record i. Returns the records it holds, 0 if
 * not even one fits.
 */
function entry(v: RecordView, i: number, base: number): number {
  const start = cborPos;
  const qty = v.code[i];
  const off = Math.round(v.t[i] - base);
  if (v.q[i] !== 0) {
    // {0: quality, 1: value if measured, 2: offset if not at base}
    const hasV = v.q[i] === 1;
    const ok = cborInt(qty) && cborMap(1 + (hasV ? 1 : 0) + (off ? 1 : 0)) && cborInt(0) && cborInt(v.q[i]) && (!hasV || (cborInt(1) && cborInt(v.value[i]))) && (!off || (cborInt(2) && cborInt(off)));
    if (ok) return 1;
    cborRewind(start);
    return 0;
  }
  // Extend a series while the next record is the same good quantity at the same step.
  let n = 1;
  let step = 0;
  while (n < MAX_ITEMS - 3 && i + n < v.n) {
    const j = i + n;
    if (v.kind[j] !== REC_READING || v.ch[j] !== v.ch[i] || v.code[j] !== qty || v.q[j] !== 0) break;
    const s = Math.round(v.t[j] - v.t[j - 1]);
    if (s <= 0 || (n > 1 && s !== step)) break;
    step = s;
    deltas[n] = v.value[j] - v.value[j - 1];
    n++;
  }
  // Fewer values if the whole run does not fit.
  for (; n >= 1; n--) {
    cborRewind(start);
    let ok = cborInt(qty);
    if (n === 1) ok = ok && (off ? cborArray(2) && cborInt(off) && cborInt(v.value[i]) : cborInt(v.value[i]));
    else {
      ok = ok && cborArray(n + 2) && cborInt(off) && cborInt(step) && cborInt(v.value[i]);
      for (let k = 1; ok && k < n; k++) ok = cborInt(deltas[k]);
    }
    if (ok) return n;
  }
  cborRewind(start);
  return 0;
}
