/**
 * A simulated LoRaWAN network server with its application: it accepts joins,
 * acknowledges confirmed uplinks, hands every uplink to the codec in
 * decoders/, keeps what the platform saw (dropping duplicates as a platform
 * would), answers requests for bulk acknowledgements (scripts/acker.ts), and
 * queues downlinks. Coverage can be switched off for outages, and uplinks
 * lost at random.
 */
import { codec } from "../frames";
import { Acker } from "../acker";

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
  /** Health reports as decoded, one per frame that carried figures (a long report spans frames). */
  readonly health: any[] = [];
  duplicates = 0;
  /** The platform runs the acker (scripts/acker.ts). */
  acks = true;
  /** Uplinks lost on air, by sequence in the uplinks heard: lose(n) drops whatever return true. */
  lose: ((n: number) => boolean) | null = null;
  private heard = 0;
  /** Downlinks sent, by the time (ms since 1970) of the uplink whose receive window carried them, and their port. */
  readonly sentDownlinks: { at: number; port: number }[] = [];
  private readonly acker = new Acker();
  /** Answers made while an uplink was handled: an application's downlink goes out after the next uplink (Class A). */
  private later: { port: number; bytes: number[] }[] = [];
  private downlinks: { port: number; bytes: number[] }[] = [];
  onDecoded: ((d: any, up: Uplink) => void) | null = null;
  /** Devices registered with their AppKey: once any is, only they may join, and only with their own key. */
  private readonly registered = new Map<string, string>();

  /** Registers a device as an operator does on the network server. */
  register(devEui: string, appKey: string): void {
    this.registered.set(devEui.toUpperCase(), appKey.toUpperCase());
  }

  join(devEui: string, appKey: string): boolean {
    if (!this.up) return false;
    if (this.registered.size && this.registered.get(devEui.toUpperCase()) !== appKey.toUpperCase()) return false;
    if (this.refuseJoins > 0) {
      this.refuseJoins--;
      return false;
    }
    return /^[0-9A-Fa-f]{16}$/.test(devEui) && /^[0-9A-Fa-f]{32}$/.test(appKey);
  }

  /** An uplink reaches the network; returns false when it did not arrive. */
  receive(up: Uplink): boolean {
    if (!this.up) return false;
    if (this.lose && this.lose(this.heard++)) return false;
    this.downlinks.push(...this.later);
    this.later = [];
    this.uplinks.push(up);
    if (this.acks) {
      const a = this.acker.frame(up.devEui, up.fPort, up.bytes);
      if (a) this.later.push({ port: a.fPort, bytes: a.bytes });
    }
    const out = codec.decodeUplink({ bytes: Array.from(up.bytes), fPort: up.fPort, recvTime: new Date(up.at) });
    if (out.errors) {
      this.errors.push(out.errors.join("; "));
      return true;
    }
    const d = out.data;
    for (const r of d.readings) {
      if (this.isCopy(r)) this.duplicates++;
      else this.readings.set(`${r.channel}/${r.quantity}/${r.time}`, r);
    }
    for (const e of d.events) this.events.push(e);
    if (d.status) this.status.push(d.status);
    if (d.health) this.health.push(d.health);
    if (this.onDecoded) this.onDecoded(d, up);
    return true;
  }

  private readonly seen = new Map<string, number[]>();
  /**
   * A reading the platform already has (docs/frame-format.md, Sequence and
   * duplicates): same channel, quantity and value, at a time less than 5 s
   * away. A copy's time is rebuilt from a later receive time and can differ by
   * the airtime and a rounded second; two real readings of one quantity are at
   * least 10 s apart.
   */
  private isCopy(r: { channel: number; quantity: string; value: number | null; quality: string; time: string }): boolean {
    const k = `${r.channel}/${r.quantity}/${r.value}/${r.quality}`;
    const t = Date.parse(r.time);
    let times = this.seen.get(k);
    if (!times) this.seen.set(k, (times = []));
    if (times.some((x) => Math.abs(x - t) < 5000)) return true;
    times.push(t);
    return false;
  }

  queueDownlink(data: unknown): void {
    const e = codec.encodeDownlink({ data });
    if (e.errors) throw new Error(e.errors.join("; "));
    this.downlinks.push({ port: e.fPort!, bytes: e.bytes! });
  }

  /** The downlink for the receive window after an uplink, if one is queued. */
  takeDownlink(): { port: number; bytes: number[] } | undefined {
    const d = this.downlinks.shift();
    if (d) this.sentDownlinks.push({ at: this.uplinks.length ? this.uplinks[this.uplinks.length - 1].at : 0, port: d.port });
    return d;
  }
}
