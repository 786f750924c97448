/**
 * One timer chain runs every periodic job and kicks the watchdog, so a stuck
 * job stops the kicks and the board resets. Time is counted from the delays
 * the chain asked for, not from the wall clock, so a clock jump cannot make
 * jobs run in a burst or stall.
 */
import { log, ERROR, why } from "./log";

interface Job {
  name: string;
  period: number;
  due: number;
  run: () => void;
}

/** The watchdog is kicked at least this often (ms); it bites after WATCHDOG_S. */
const KICK_MS = 5000;
export const WATCHDOG_S = 20;

const jobs: Job[] = [];
let mono = 0;
let started = false;

/** Runs `run` every `periodMs`, first after `firstMs` (default: one period). */
export function every(name: string, periodMs: number, run: () => void, firstMs?: number): void {
  jobs.push({ name: name, period: periodMs, due: mono + (firstMs === undefined ? periodMs : firstMs), run: run });
}

/** Changes a job's period; its next run comes one new period from now. */
export function reschedule(name: string, periodMs: number): void {
  for (let i = 0; i < jobs.length; i++) {
    if (jobs[i].name === name) {
      jobs[i].period = periodMs;
      jobs[i].due = mono + periodMs;
    }
  }
}

/** Milliseconds since the scheduler started, immune to clock jumps. */
export function uptimeMs(): number {
  return mono;
}

function tick(elapsed: number): void {
  mono += elapsed;
  E.kickWatchdog();
  let next = mono + KICK_MS;
  for (let i = 0; i < jobs.length; i++) {
    const j = jobs[i];
    if (j.due <= mono) {
      try {
        j.run();
      } catch (e) {
        log(ERROR, j.name + " failed: " + why(e));
      }
      j.due += j.period;
      // Fell more than a period behind (a long job): skip, do not burst.
      if (j.due <= mono) j.due = mono + j.period;
    }
    if (j.due < next) next = j.due;
  }
  const delay = next - mono;
  setTimeout(tick, delay, delay);
}

export function start(): void {
  if (started) return;
  started = true;
  E.enableWatchdog(WATCHDOG_S, false);
  tick(0);
}
