/** What both LoRaWAN modem drivers share: EU868 data-rate tables, hex, and the link's common methods. */
import { NOT_SENT, type Link } from "./link";
import type { AtPort } from "./at";
import { airtimeMs, waitMs } from "./dutycycle";

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

/** A modem driver's state: its phase (0 starting, 1 joining, 2 joined), the data rate, a send under way; counters for the health report. */
export interface LoraState {
  phase: number;
  dr: number;
  sending: boolean;
  joins: number;
  failures: number;
  resets: number;
}

export function loraState(): LoraState {
  return { phase: 0, dr: 0, sending: false, joins: 0, failures: 0, resets: 0 };
}

/** The link as the sender sees it: ready when joined and idle, payload and duty cycle from the data rate. */
export function loraLink(s: LoraState, at: AtPort, send: Link["send"]): Link {
  return {
    name: "lorawan",
    ready() {
      return s.phase === 2 && !s.sending && !at.busy();
    },
    maxPayload() {
      return MAX_PAYLOAD[s.dr];
    },
    waitFor(n) {
      return waitMs(airtimeMs(n, SF[s.dr]));
    },
    send(bytes, n, confirmed, done) {
      send(bytes, n, confirmed, function (r) {
        // A failure that sent the modem back to setup was counted there.
        if (r === NOT_SENT && s.phase) s.failures++;
        done(r);
      });
    },
    stats() {
      return [s.phase, s.joins, s.failures, s.resets];
    },
  };
}
