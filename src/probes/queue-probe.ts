/**
 * Test probe, never flashed: the offline buffer and the sequence counter,
 * compiled by the same build and gate as the boards' bundles, for the
 * simulated board's tests.
 */
import { queueInit, queueCycle, queueEvent, queueFrame, queueSent, queueDelivered, queueRewind, queueStats, pending, queueTidy, type Outgoing } from "../buffer/queue";
import { seqInit, seqNext } from "../uplink/seq";

const out = new Uint8Array(1024);

/** Copies bytes into a plain array (Array.prototype.slice is not reachable on Espruino). */
function bytesOf(b: Uint8Array, n: number): number[] {
  const a: number[] = [];
  for (let i = 0; i < n; i++) a.push(b[i]);
  return a;
}
(global as any).fgQ = {
  init: queueInit,
  cycle: function (t: number, chq: number[], val: number[], q: number[]) {
    return queueCycle(t, chq.length, chq, val, q);
  },
  event: queueEvent,
  /** Builds a frame; returns it as an array of bytes with what it holds. */
  frame: function (maxLen: number, seq: number, now: number) {
    const o = queueFrame(out, maxLen, seq, now, null);
    return { bytes: bytesOf(out, o.bytes), o: o };
  },
  /** The frame `o` went out and was confirmed. */
  delivered: function (o: Outgoing) {
    queueSent(o);
    queueDelivered(o.to);
  },
  /** The frame `o` went out unconfirmed: the next one starts after it. */
  sent: queueSent,
  /** Frames up to and including `o` were acknowledged in bulk. */
  acked: function (o: Outgoing) {
    queueDelivered(o.to);
  },
  rewind: queueRewind,
  stats: queueStats,
  pending: pending,
  tidy: queueTidy,
  seqInit: seqInit,
  seqNext: seqNext,
};
