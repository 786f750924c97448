/**
 * Test probe, never flashed: the firmware's frame packer, compiled by the same
 * build and gate as the boards' bundles, exposed to the simulated board's tests.
 */
import { packFrame } from "../frame/frame";
import type { RecordView, Health, Answer } from "../frame/view";

(global as any).fgPack = function (out: Uint8Array, maxLen: number, seq: number, now: number, v: RecordView, health: Health | null, answer: Answer | null, ackAsk: number) {
  return packFrame(out, maxLen, seq, now, v, health, answer || null, ackAsk || 0);
};
