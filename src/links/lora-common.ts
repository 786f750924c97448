/** What both LoRaWAN modem drivers share: EU868 data-rate tables, hex, and the retry wait. */

export const UPLINK_PORT = 10;
/** EU868 (RP002-1.0.4): maximum application payload and spreading factor by data rate. */
export const MAX_PAYLOAD = [51, 51, 51, 115, 222, 222, 222, 222];
export const SF = [12, 11, 10, 9, 8, 7, 7, 7];

export interface LoraKeys {
  devEui: string;
  joinEui: string;
  appKey: string;
}

export function hex(b: Uint8Array, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += (b[i] < 16 ? "0" : "") + b[i].toString(16);
  return s;
}

export function unhex(h: string): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1 < h.length; i += 2) out.push(parseInt(h.substr(i, 2), 16));
  return out;
}

/**
 * Wait before the next try: doubles with every failure in a row from `baseMs`
 * up to an hour, spread by a random factor of 0.5–1.5 so that the gateways of
 * a village do not retry together.
 */
export function backoffMs(baseMs: number, failuresInARow: number): number {
  return Math.min(3600000, baseMs * Math.pow(2, Math.min(failuresInARow, 10))) * (0.5 + Math.random());
}
