/**
 * A simulated LoRaWAN network server with its application: it accepts joins,
 * acknowledges confirmed uplinks, hands every uplink to the codec in
 * decoders/, keeps what the platform saw (dropping duplicates as a platform
 * would), and queues downlinks. Coverage can be switched off for outages.
 */
import { codec } from "../frames";

export interface Uplink {
  devEui: string;
  fPort: number;
  bytes: Uint8Array;
  fCnt: number;
  at: number; // ms since 1970
  confirmed: boolean;
}

export class SimNetworkServer {
  /** Coverage: with it off, nothing the modem sends arrives. */
  up = true;
  /** Joins are refused while this is above zero (counted down per try). */
  refuseJoins = 0;
  readonly uplinks: Uplink[] = [];
  readonly errors: string[] = [];
  /** Readings by channel/quantity/time, as a platform keeps them. */
  readonly readings = new Map<string, any>();
  readonly events: any[] = [];
  readonly status: any[] = [];
  duplicates = 0;
  private downlinks: { port: number; bytes: number[] }[] = [];
  onDecoded: ((d: any, up: Uplink) => void) | null = null;

  join(devEui: string, appKey: string): boolean {
    if (!this.up) return false;
    if (this.refuseJoins > 0) {
      this.refuseJoins--;
      return false;
    }
    return /^[0-9A-Fa-f]{16}$/.test(devEui) && /^[0-9A-Fa-f]{32}$/.test(appKey);
  }

  /** An uplink reaches the network; returns false when it did not arrive. */
  receive(up: Uplink): boolean {
    if (!this.up) return false;
    this.uplinks.push(up);
    const out = codec.decodeUplink({ bytes: Array.from(up.bytes), fPort: up.fPort, recvTime: new Date(up.at) });
    if (out.errors) {
      this.errors.push(out.errors.join("; "));
      return true;
    }
    const d = out.data;
    for (const r of d.readings) {
      const k = `${r.channel}/${r.quantity}/${r.time}`;
      if (this.readings.has(k)) this.duplicates++;
      else this.readings.set(k, r);
    }
    for (const e of d.events) this.events.push(e);
    if (d.status) this.status.push(d.status);
    if (this.onDecoded) this.onDecoded(d, up);
    return true;
  }

  queueDownlink(data: unknown): void {
    const e = codec.encodeDownlink({ data });
    if (e.errors) throw new Error(e.errors.join("; "));
    this.downlinks.push({ port: e.fPort!, bytes: e.bytes! });
  }

  /** The downlink for the receive window after an uplink, if one is queued. */
  takeDownlink(): { port: number; bytes: number[] } | undefined {
    return this.downlinks.shift();
  }
}
