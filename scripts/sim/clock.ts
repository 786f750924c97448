/**
 * The simulated board's time: a monotonic virtual millisecond counter with an
 * event queue. Nothing waits on real time, so a simulated week runs in seconds.
 * The wall clock (Date, getTime) is the monotonic time plus an offset that a
 * clock jump changes, as setTime() does on the board.
 */
export interface ClockEvent {
  at: number;
  seq: number;
  run: () => void;
}

export class VirtualClock {
  /** Monotonic ms since the simulation started. */
  mono = 0;
  /** Wall-clock ms since 1970 at mono = 0. */
  wallOffset: number;
  private seq = 0;
  private queue: ClockEvent[] = [];

  constructor(startWallMs: number) {
    this.wallOffset = startWallMs;
  }

  get wall(): number {
    return this.mono + this.wallOffset;
  }

  schedule(delayMs: number, run: () => void): ClockEvent {
    const ev = { at: this.mono + Math.max(0, delayMs), seq: this.seq++, run };
    // Sorted by time, then by order of scheduling: events at the same time run first-in first-out.
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const q = this.queue[mid];
      if (q.at < ev.at || (q.at === ev.at && q.seq < ev.seq)) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, ev);
    return ev;
  }

  cancel(ev: ClockEvent | undefined): void {
    if (!ev) return;
    const i = this.queue.indexOf(ev);
    if (i >= 0) this.queue.splice(i, 1);
  }

  clear(): void {
    this.queue.length = 0;
  }

  nextAt(): number | undefined {
    return this.queue.length ? this.queue[0].at : undefined;
  }

  /** Runs the next event if it is due by `limit`; false when none is. */
  step(limit: number): boolean {
    const ev = this.queue[0];
    if (!ev || ev.at > limit) return false;
    this.queue.shift();
    this.mono = Math.max(this.mono, ev.at);
    ev.run();
    return true;
  }

  get pending(): number {
    return this.queue.length;
  }
}
