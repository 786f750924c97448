/**
 * Downlinks (docs/frame-format.md): [1, counter, command, …arguments].
 * A downlink whose counter is not above the last one accepted is a replay and
 * is refused; every downlink is answered with a status in the next frame. A
 * change that the site's validation refuses leaves the running configuration
 * as it was.
 */
import { tallyRead, tallyWrite } from "../store/tally";
import { setStatus } from "../frame/frame";

export const R_ACCEPTED = 0;
export const R_MALFORMED = 1;
export const R_UNKNOWN = 2;
export const R_RANGE = 3;
export const R_REPLAYED = 4;
export const R_REFUSED = 5;

export interface DownlinkActions {
  setInterval(seconds: number): boolean;
  /** Returns "" when applied, or why it was refused. */
  setSensor(index: number, options: any): string;
  readNow(): void;
  reboot(): void;
  reportStatus(): void;
}

const f64 = new DataView(new ArrayBuffer(8));

/** A small CBOR reader: integers, floats, text, booleans, arrays and maps of them. Throws on anything else. */
function decode(b: number[]): any {
  let p = 0;
  let depth = 0;
  function arg(info: number): number {
    if (info < 24) return info;
    let n = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : 0;
    if (!n || p + n > b.length) throw new Error("bad length");
    let v = 0;
    while (n--) v = v * 256 + b[p++];
    return v;
  }
  function item(): any {
    if (p >= b.length || ++depth > 4) throw new Error("truncated");
    const ib = b[p++];
    const major = ib >> 5;
    if (major === 7) {
      depth--;
      if (ib === 0xf4) return false;
      if (ib === 0xf5) return true;
      const size = ib === 0xfa ? 4 : ib === 0xfb ? 8 : 0;
      if (!size || p + size > b.length) throw new Error("unsupported");
      for (let i = 0; i < size; i++) f64.setUint8(i, b[p++]);
      return size === 4 ? f64.getFloat32(0) : f64.getFloat64(0);
    }
    const n = arg(ib & 31);
    let out: any;
    if (major === 0) out = n;
    else if (major === 1) out = -1 - n;
    else if (major === 3) {
      if (p + n > b.length) throw new Error("truncated");
      out = "";
      for (let i = 0; i < n; i++) out += String.fromCharCode(b[p++]);
    } else if (major === 4) {
      out = [];
      for (let i = 0; i < n; i++) out.push(item());
    } else if (major === 5) {
      out = {};
      for (let i = 0; i < n; i++) {
        const k = item();
        out[k] = item();
      }
    } else throw new Error("unsupported");
    depth--;
    return out;
  }
  const v = item();
  if (p !== b.length) throw new Error("trailing bytes");
  return v;
}

function isInt(v: any): boolean {
  return typeof v === "number" && v % 1 === 0;
}

/** A bulk acknowledgement (fPort 12): [seq, bits] with seq below 2^16 and bits below 2^32, or null. */
export function decodeAck(data: number[]): number[] | null {
  let m: any;
  try {
    m = decode(data);
  } catch (e) {
    return null;
  }
  return Array.isArray(m) && m.length === 2 && isInt(m[0]) && m[0] >= 0 && m[0] < 65536 && isInt(m[1]) && m[1] >= 0 && m[1] < 4294967296 ? m : null;
}

/** Handles one downlink; returns the result code it answers with. */
export function handleDownlink(data: number[], act: DownlinkActions): number {
  let m: any;
  try {
    m = decode(data);
  } catch (e) {
    m = null;
  }
  if (!Array.isArray(m) || m.length < 3 || m[0] !== 1 || !isInt(m[1]) || !isInt(m[2])) {
    setStatus(0, R_MALFORMED);
    return R_MALFORMED;
  }
  const ctr = m[1];
  const result = apply(m, ctr, act);
  setStatus(ctr, result);
  return result;
}

function apply(m: any[], ctr: number, act: DownlinkActions): number {
  if (ctr <= tallyRead("dl")) return R_REPLAYED;
  let r = R_ACCEPTED;
  const cmd = m[2];
  if (cmd === 1) r = isInt(m[3]) && m[3] >= 10 && m[3] <= 86400 ? (act.setInterval(m[3]) ? R_ACCEPTED : R_REFUSED) : R_RANGE;
  else if (cmd === 2) r = isInt(m[3]) && m[4] && typeof m[4] === "object" ? (act.setSensor(m[3], m[4]) ? R_REFUSED : R_ACCEPTED) : R_MALFORMED;
  else if (cmd === 3) act.readNow();
  else if (cmd === 5) act.reportStatus();
  else if (cmd !== 4) return R_UNKNOWN;
  // The counter is kept before anything that may restart the board.
  tallyWrite("dl", ctr);
  if (cmd === 4 && r === R_ACCEPTED) act.reboot();
  return r;
}
