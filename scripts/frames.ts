/**
 * Node side of the frame format, built on cbor-x: decoding for the Wi-Fi/MQTT
 * path and for tests (independent of the codec in decoders/, so the two check
 * each other), the other encodings the bench compares, and LoRa airtime.
 * cbor-x is a second, independent decoder on purpose: an oracle for the
 * firmware's writer and the codec's reader, not a duplicate of either.
 */
import { createRequire } from "node:module";
import { decode, encode } from "cbor-x";

const require = createRequire(import.meta.url);
/** The codec file, as The Things Stack and ChirpStack run it. */
export const codec = require("../decoders/feldgate.js") as {
  decodeUplink(input: { bytes: number[] | Uint8Array; fPort?: number; recvTime?: Date; variables?: Record<string, string> }): { data?: any; errors?: string[]; warnings?: string[] };
  encodeDownlink(input: { data: unknown }): { bytes?: number[]; fPort?: number; errors?: string[] };
  decodeDownlink(input: { bytes: number[]; fPort?: number }): { data?: any; errors?: string[] };
  toSenML(data: any, baseName: string): any[];
  toNgsiLd(data: any, deviceId: string): any;
  QUANTITIES: Record<number, [string, string, number, string, number, string]>;
  EVENTS: Record<number, string>;
  DOWNLINK_PORT: number;
};

/** A reading as the firmware records it. */
export interface Rec {
  ch: number;
  qty: number;
  value: number;
  q: number;
  /** Seconds. */
  t: number;
}

export interface DecodedReading {
  ch: number;
  qty: number;
  value: number | null;
  q: number;
  /** Milliseconds since 1970. */
  time: number;
}

/** Decodes a frame with cbor-x into raw readings (integer values in the quantity's unit). */
export function decodeFrame(bytes: Uint8Array, recvMs: number): { seq: number; readings: DecodedReading[]; events: any[]; health?: Record<number, number> } {
  const f = decode(bytes) as unknown[];
  if (!Array.isArray(f) || f[0] !== 1) throw new Error("not a version 1 frame");
  const base = recvMs - (f[2] as number) * 1000;
  const readings: DecodedReading[] = [];
  const events: any[] = [];
  let health: Record<number, number> | undefined;
  for (const block of f.slice(3)) {
    if (Array.isArray(block)) {
      const ch = block[0] as number;
      for (let i = 1; i < block.length; i += 2) {
        const qty = block[i] as number;
        const x = block[i + 1] as any;
        if (typeof x === "number") readings.push({ ch, qty, value: x, q: 0, time: base });
        else if (Array.isArray(x) && x.length === 2) readings.push({ ch, qty, value: x[1], q: 0, time: base + x[0] * 1000 });
        else if (Array.isArray(x)) {
          let v = x[2] as number;
          readings.push({ ch, qty, value: v, q: 0, time: base + x[0] * 1000 });
          for (let k = 3; k < x.length; k++) {
            v += x[k];
            readings.push({ ch, qty, value: v, q: 0, time: base + (x[0] + x[1] * (k - 2)) * 1000 });
          }
        } else {
          const m = x instanceof Map ? Object.fromEntries(x) : x;
          readings.push({ ch, qty, value: m[1] ?? null, q: m[0], time: base + (m[2] ?? 0) * 1000 });
        }
      }
    } else {
      const n = block instanceof Map ? Object.fromEntries(block) : (block as any);
      if (n[1]) for (const e of n[1]) events.push({ ch: e[0], time: base + e[1] * 1000, code: e[2], active: e[3], value: e[4] });
      if (n[2]) health = n[2] instanceof Map ? Object.fromEntries(n[2]) : n[2];
    }
  }
  return { seq: f[1] as number, readings, events, health };
}

// ------------------------------------------------------------------ comparisons for the bench

/** Cayenne LPP v1 for our quantities: the types a device would pick, with their resolutions. */
const LPP: Record<number, { type: number; size: number; scale: number }> = {
  1: { type: 2, size: 2, scale: 0.1 }, // analog input, 0.01 V from mV
  2: { type: 103, size: 2, scale: 1 }, // temperature, 0.1 °C
  3: { type: 2, size: 2, scale: 0.1 }, // analog input, 0.01 m from mm
  4: { type: 120, size: 1, scale: 0.1 }, // percentage (LPP extended), 1 %
  5: { type: 2, size: 2, scale: 1 }, // analog input
  6: { type: 0, size: 1, scale: 1 }, // digital input
  7: { type: 115, size: 2, scale: 10 }, // barometer, 0.1 hPa from mbar
  8: { type: 2, size: 2, scale: 0.1 }, // analog input, m³/h with 0.01 resolution
  9: { type: 2, size: 2, scale: 0.01 }, // analog input, m³ in 0.01 units
  10: { type: 2, size: 2, scale: 1 },
  11: { type: 2, size: 2, scale: 1 },
  12: { type: 0, size: 1, scale: 1 }, // digital input
  13: { type: 2, size: 2, scale: 0.1 },
  14: { type: 103, size: 2, scale: 1 }, // temperature
  15: { type: 120, size: 1, scale: 0.1 },
  16: { type: 2, size: 2, scale: 0.1 },
};

/** One snapshot as Cayenne LPP: channel, type, value per reading. */
export function lppBytes(readings: Rec[]): number {
  return readings.reduce((n, r) => n + 2 + LPP[r.qty].size, 0);
}

/** A backlog as Cayenne LPP in frames of maxLen: each snapshot led by a unix-time item (type 133, 4 bytes), split where a frame fills. */
export function lppBacklogBytes(snapshots: Rec[][], maxLen: number): { bytes: number; frames: number } {
  let frames = 1;
  let used = 0;
  let total = 0;
  for (const snap of snapshots) {
    let needTime = true;
    for (const r of snap) {
      const item = 2 + LPP[r.qty].size;
      const time = needTime ? 6 : 0;
      if (used + time + item > maxLen) {
        total += used;
        frames++;
        used = 0;
        needTime = true;
      }
      used += (needTime ? 6 : 0) + item;
      needTime = false;
    }
  }
  return { bytes: total + used, frames };
}

/** One snapshot as SenML-CBOR (RFC 8428 §6: integer labels), encoded with cbor-x. */
export function senmlCborBytes(readings: Rec[], baseTime: number): number {
  const recs = readings.map((r, i) => {
    const q = codec.QUANTITIES[r.qty];
    const m = new Map<number, unknown>();
    if (i === 0) m.set(-3, baseTime); // bt
    m.set(0, `${r.ch}/${q[0]}`); // n
    if (q[3]) m.set(1, q[3]); // u
    m.set(2, r.value * q[4]); // v
    return m;
  });
  return encode(recs).length;
}

/** One snapshot as the JSON a device would commonly send. */
export function jsonBytes(readings: Rec[]): number {
  const o: Record<string, number> = {};
  for (const r of readings) o[`${codec.QUANTITIES[r.qty][0]}_${r.ch}`] = r.value / codec.QUANTITIES[r.qty][2];
  return Buffer.byteLength(JSON.stringify(o));
}

/**
 * LoRa time on air (Semtech AN1200.13): EU868, 125 kHz, coding rate 4/5,
 * explicit header, CRC on, 8 preamble symbols, low-data-rate optimisation
 * from SF11. `payload` is the application payload; LoRaWAN adds 13 bytes.
 */
export function airtimeMs(payload: number, sf: number, overhead = 13): number {
  const bw = 125000;
  const tSym = (2 ** sf / bw) * 1000;
  const de = sf >= 11 ? 1 : 0;
  const pl = payload + overhead;
  const n = 8 + Math.max(Math.ceil((8 * pl - 4 * sf + 28 + 16) / (4 * (sf - 2 * de))) * 5, 0);
  return (8 + 4.25) * tSym + n * tSym;
}

/** Maximum application payload at each EU868 data rate (RP002-1.0.4, no repeater). */
export const EU868_MAX_PAYLOAD = [51, 51, 51, 115, 222, 222, 222, 222];
