/**
 * Console log with levels. Lines are short, plain words: the technician reads
 * them over USB, and the simulator prints them for developers.
 */
export const ERROR = 0;
export const WARN = 1;
export const INFO = 2;
/** Lines for development only: not printed on the board. */
export const DEBUG = 3;

const TAGS = ["ERROR", "WARN", "INFO"];

export function log(level: number, msg: string): void {
  if (level <= INFO) console.log(TAGS[level] + " " + msg);
}

/** Parts of the gateway that did not start (health key 23): 1 the LoRaWAN link, 2 the Wi-Fi link, 4 the site's sensors. */
export let notStarted = 0;

/** A part that could not start: logged as an error with its cause, and kept for the health report. */
export function startFailed(part: number, msg: string): void {
  notStarted |= part;
  log(ERROR, msg);
}

/** Message of anything thrown, for a log line that keeps the cause. */
export function why(e: any): string {
  return e && e.message !== undefined ? e.message : String(e);
}

/** Throws an error with this message: one place for the firmware's throws, which cost their bytes each. */
export function fail(message: string): never {
  throw new Error(message);
}
