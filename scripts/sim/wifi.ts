/**
 * require("Wifi") on the ESP32 build: station mode against simulated access
 * points that can vanish and come back.
 */
import { VirtualClock } from "./clock";

type Deliver = (fn: unknown, args: unknown[]) => void;
type Emitter = { emit(ev: string, d: unknown): void };

interface Ap {
  ssid: string;
  password: string;
  up: boolean;
}

/** Time an association and DHCP take. */
const CONNECT_MS = 2500;

export class WifiModel {
  private aps = new Map<string, Ap>();
  private status: "off" | "connecting" | "connected" | "no_ap_found" | "wrong_password" = "off";
  private ssid = "";
  private emitter: Emitter | null = null;
  connects = 0;
  /** Called when the station loses its access point. */
  onDrop: (() => void) | null = null;

  constructor(private readonly clock: VirtualClock, private readonly deliver: Deliver) {}

  addAp(ssid: string, password: string): void {
    this.aps.set(ssid, { ssid, password, up: true });
  }

  /** The access point goes away or comes back. A station on it is dropped. */
  setApUp(ssid: string, up: boolean): void {
    const ap = this.aps.get(ssid);
    if (!ap) return;
    ap.up = up;
    if (!up && this.status === "connected" && this.ssid === ssid) {
      this.status = "off";
      if (this.onDrop) this.onDrop();
      this.emit("disconnected", { ssid, reason: "beacon_timeout" });
    }
  }

  get connected(): boolean {
    return this.status === "connected";
  }

  resetProgramState(): void {
    this.status = "off";
    this.emitter = null;
  }

  private emit(ev: string, d: unknown): void {
    const e = this.emitter;
    if (e) this.deliver((x: unknown) => e.emit(ev, x), [d]);
  }

  /** The methods the realm's Wifi object forwards to. */
  readonly api = {
    bind: (emitter: Emitter) => {
      this.emitter = emitter;
    },
    connect: (ssid: string, opts: { password?: string } | undefined, cb: unknown) => {
      this.ssid = ssid;
      this.status = "connecting";
      this.clock.schedule(CONNECT_MS, () => {
        if (this.status !== "connecting" || this.ssid !== ssid) return;
        const ap = this.aps.get(ssid);
        let err: string | null = null;
        if (!ap || !ap.up) {
          this.status = "no_ap_found";
          err = "no_ap_found";
        } else if ((opts?.password ?? "") !== ap.password) {
          this.status = "wrong_password";
          err = "auth_fail";
        } else {
          this.status = "connected";
          this.connects++;
        }
        if (typeof cb === "function") this.deliver(cb, [err]);
        if (err) this.emit("disconnected", { ssid, reason: err });
        else this.emit("connected", { ssid, ip: "192.0.2.10" });
      });
    },
    disconnect: (cb: unknown) => {
      const was = this.status === "connected";
      this.status = "off";
      if (typeof cb === "function") this.deliver(cb, []);
      if (was) this.emit("disconnected", { ssid: this.ssid, reason: "assoc_leave" });
    },
    getStatus: () => ({ station: this.status, ap: "disabled", mode: "Station", powersave: "none" }),
    getIP: () => (this.status === "connected" ? { ip: "192.0.2.10", netmask: "255.255.255.0", gw: "192.0.2.1", mac: "24:0a:c4:00:00:01" } : { ip: "0.0.0.0", netmask: "0.0.0.0", gw: "0.0.0.0", mac: "24:0a:c4:00:00:01" }),
  };
}
