/**
 * Frame sequence numbers that never repeat across reboots without writing
 * flash for every frame (RFC 8613 appendix B.1.1): the counter is stored every
 * K frames, and after a boot it resumes at stored + K. At most K numbers are
 * skipped per boot; none is reused.
 */
import { counterRead, counterWrite } from "../store/settings";
import { ID } from "../store/storage-layout";

export const SEQ_STEP = 16;
let seq = 0;
let saved = 0;

/** Call once at boot. */
export function seqInit(): void {
  const stored = counterRead(ID.seq);
  seq = stored < 0 ? 0 : stored + SEQ_STEP;
  saved = seq;
  counterWrite(ID.seq, saved);
}

/** The number for the next frame. It is on flash before it is used. */
export function seqNext(): number {
  if (seq >= saved + SEQ_STEP) {
    saved = seq;
    counterWrite(ID.seq, saved);
  }
  return seq++;
}

/** The number the next seqNext() returns, without using it: a frame that waits for the duty cycle costs none. */
export function seqPeek(): number {
  return seq;
}

/** What goes in a frame: 16 bits. */
export function seqOnWire(n: number): number {
  return n % 65536;
}
