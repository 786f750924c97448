/**
 * What the packer is given: a view of pending records that the buffer fills
 * (src/buffer/queue.ts), the health figures of src/uplink/report.ts, and the
 * answer to a downlink that src/uplink/downlink.ts holds. Plain data and
 * preallocated arrays: nothing here keeps state.
 */

export const REC_READING = 0;
export const REC_EVENT = 1;

/**
 * Pending records, in the order they should go out: events first, then
 * readings grouped by channel and quantity, oldest first. `code` is the
 * quantity of a reading or the code of an event; `q` the quality of a reading
 * or 1/0 (raised/cleared) for an event; `t` seconds on the device's clock.
 */
export interface RecordView {
  n: number;
  kind: Uint8Array;
  ch: Uint8Array;
  code: Uint8Array;
  q: Uint8Array;
  value: Int32Array;
  t: Float64Array;
}

/** Health figures for a status frame: key and value pairs, keyed as in docs/frame-format.md. */
export type Health = number[];

/** A downlink's answer (docs/frame-format.md, notes key 3): its counter (-1: none waiting), result code, and why it was refused ("" for none). */
export interface Answer {
  counter: number;
  result: number;
  detail: string;
}
