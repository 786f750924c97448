/**
 * Test probe, never flashed: the offline buffer (with the packer, as the sender uses them) and the sequence counter,
 * compiled by the same build and gate as the boards' bundles, for the
 * simulated board's tests.
 */
import { queueInit, queueCycle, queueEvent, queueView, queueTaken, queueSent, queueDelivered, queueRewind, queueStats, pending, type Taken } from "../buffer/queue";
import { APP_SLOTS } from "virtual:board";
import { SLOT_BYTES } from "../store/storage-layout";
import { storeOpen, bufferFresh, areaLosses } from "../store/store";
import { migrate } from "../buffer/migrate";
import { siteStore, siteText } from "../store/settings";
import { slotBegin, slotWrite, slotCommit, slotImage, slotCapacity } from "../store/slot";
import { packFrame } from "../frame/frame";
import { seqInit, seqNext } from "../uplink/seq";

const out = new Uint8Array(1024);

/** Copies bytes into a plain array (Array.prototype.slice is not reachable on Espruino). */
function bytesOf(b: Uint8Array, n: number): number[] {
  const a: number[] = [];
  for (let i = 0; i < n; i++) a.push(b[i]);
  return a;
}
/** Writes the probe's test image into the slot (a function of its own: see slotWrite). */
function writePattern(length: number, chunk: number, seed: number): boolean {
  const b = new Uint8Array(chunk);
  for (let o = 0; o < length; o += chunk) {
    const n = Math.min(chunk, length - o);
    for (let i = 0; i < n; i++) b[i] = ((o + i) * seed) & 255;
    if (!slotWrite(new Uint8Array(b.buffer, 0, n))) return false;
  }
  return true;
}

(global as any).fgQ = {
  /** Boots the buffer as the firmware does: the store (with the geometry of the board under test), the migration, the buffer. */
  init: function (end: number, outAddr: number, outBytes: number, slotBytes?: number) {
    // The slot defaults to the board's, as the firmware opens it (src/main.ts).
    storeOpen(end, outAddr, outBytes, slotBytes === undefined ? (APP_SLOTS > 1 ? SLOT_BYTES : 0) : slotBytes);
    migrate();
    return queueInit(bufferFresh);
  },
  cycle: function (t: number, chq: number[], val: number[], q: number[]) {
    return queueCycle(t, chq.length, chq, val, q);
  },
  event: queueEvent,
  /** Builds a frame; returns it as an array of bytes with what it holds. */
  frame: function (maxLen: number, seq: number, now: number) {
    const p = packFrame(out, maxLen, seq, now, queueView(), null, null, 0);
    return { bytes: bytesOf(out, p.bytes), o: queueTaken(p.records) };
  },
  /** The frame `o` went out and was confirmed. */
  delivered: function (o: Taken) {
    queueSent(o);
    queueDelivered(o.to);
  },
  /** The frame `o` went out unconfirmed: the next one starts after it. */
  sent: queueSent,
  /** Frames up to and including `o` were acknowledged in bulk. */
  acked: function (o: Taken) {
    queueDelivered(o.to);
  },
  rewind: queueRewind,
  stats: queueStats,
  pending: pending,
  seqInit: seqInit,
  /** The site configuration, as a downlink's change stores it. */
  siteStore: siteStore,
  siteText: siteText,
  /** The app slot: an image of byte (i * seed) & 255 at offset i, written in pieces of `chunk` bytes, then committed with the CRC-32 the caller computed. */
  slotWrite: function (length: number, chunk: number, seed: number, crc: number): boolean {
    slotBegin(length);
    return writePattern(length, chunk, seed) && slotCommit(crc);
  },
  slotImage: function (): number {
    const s = slotImage();
    return s === undefined ? -1 : E.CRC32(s) >>> 0;
  },
  slotCapacity: slotCapacity,
  areaLosses: areaLosses,
  seqNext: seqNext,
};
