/**
 * Downlinks (docs/frame-format.md): [1, counter, command, …arguments].
 * A downlink whose counter is not above the last one accepted is a replay and
 * is refused; every downlink is answered with a status in the next frame, and
 * a refusal says why. A change that the site's validation refuses leaves the
 * running configuration as it was.
 */
import { counterRead, counterWrite } from "../store/settings";
import { ID } from "../store/storage-layout";
import { cborDecode } from "../frame/reader";
import type { Answer } from "../frame/view";
import DRIVERS from "virtual:drivers";

export const R_ACCEPTED = 0;
export const R_MALFORMED = 1;
export const R_UNKNOWN = 2;
export const R_RANGE = 3;
export const R_REPLAYED = 4;
export const R_REFUSED = 5;
/** A sensor kind whose driver this bundle was flashed without (npm run flash -- --drivers adds it; docs/provisioning.md). */
export const R_KIND_NOT_IN_FIRMWARE = 6;

/** Command codes (docs/frame-format.md, fPort 11). */
export const CMD_SET_INTERVAL = 1;
export const CMD_SET_SENSOR = 2;
export const CMD_READ_NOW = 3;
export const CMD_REBOOT = 4;
export const CMD_REPORT_STATUS = 5;

/** What a command does to the gateway; the two changes return "" when applied, or why they were refused. */
export interface DownlinkActions {
  setInterval(seconds: number): string;
  setSensor(index: number, options: any): string;
  readNow(): void;
  reboot(): void;
  reportStatus(): void;
}

/** The answer waiting for the next frame (counter -1: none), until a frame that carries it is delivered. */
const answer: Answer = { counter: -1, result: 0, detail: "" };

function isInt(v: any): boolean {
  return typeof v === "number" && v % 1 === 0;
}

/** A whole number from 0 to 2^32 - 1: what the gateway keeps of a counter or a bit map. */
function isU32(v: any): boolean {
  return isInt(v) && v >= 0 && v < 4294967296;
}

/** A bulk acknowledgement (fPort 12): [seq, bits] with seq below 2^16 and bits below 2^32, or null. */
export function decodeAck(data: number[]): number[] | null {
  let m: any;
  try {
    m = cborDecode(data);
  } catch (e) {
    return null;
  }
  return Array.isArray(m) && m.length === 2 && isInt(m[0]) && m[0] >= 0 && m[0] < 65536 && isU32(m[1]) ? m : null;
}

/** Handles one downlink; returns the result code it answers with. */
export function handleDownlink(data: number[], act: DownlinkActions): number {
  let m: any;
  try {
    m = cborDecode(data);
  } catch (e) {
    m = null;
  }
  answer.detail = "";
  // The counter is kept in 32 bits: a larger one would wrap and let old downlinks in again.
  if (!Array.isArray(m) || m.length < 3 || m[0] !== 1 || !isU32(m[1]) || !isInt(m[2])) {
    answer.counter = 0;
    answer.result = R_MALFORMED;
  } else {
    answer.counter = m[1];
    answer.result = apply(m, act);
  }
  return answer.result;
}

/** Applies a well-formed downlink; a refusal leaves its reason in the answer. */
function apply(m: any[], act: DownlinkActions): number {
  const ctr = m[1];
  if (ctr <= counterRead(ID.downlink)) return R_REPLAYED;
  let r = R_ACCEPTED;
  const cmd = m[2];
  if (cmd === CMD_SET_INTERVAL) {
    if (isInt(m[3]) && m[3] >= 10 && m[3] <= 86400) answer.detail = act.setInterval(m[3]);
    else r = R_RANGE;
  } else if (cmd === CMD_SET_SENSOR) {
    if (isInt(m[3]) && m[4] && typeof m[4] === "object") answer.detail = act.setSensor(m[3], m[4]);
    else r = R_MALFORMED;
  } else if (cmd === CMD_READ_NOW) act.readNow();
  else if (cmd === CMD_REPORT_STATUS) act.reportStatus();
  else if (cmd !== CMD_REBOOT) return R_UNKNOWN;
  // The site's checks refused a kind with no driver here before any sensor was touched (src/config/site.ts).
  if (answer.detail) r = cmd === CMD_SET_SENSOR && m[4].kind && !DRIVERS[m[4].kind] ? R_KIND_NOT_IN_FIRMWARE : R_REFUSED;
  // The counter is kept before anything that may restart the board.
  counterWrite(ID.downlink, ctr);
  if (cmd === CMD_REBOOT) act.reboot();
  return r;
}

/** The answer for the next frame: its counter is -1 when none is waiting. */
export function pendingAnswer(): Answer {
  return answer;
}

/** A frame carrying the answer to `counter` was delivered: unless a newer downlink came meanwhile, nothing is waiting. */
export function answerDelivered(counter: number): void {
  if (answer.counter === counter) answer.counter = -1;
}
