/**
 * A Seeed Wio-E5 on a serial line, speaking the LoRa-E5 AT Command
 * Specification: "+CMD: value" replies, "+JOIN: Start … Network joined …
 * Done", "+CMSGHEX: Start / Wait ACK / ACK Received / PORT: n; RX: "…" /
 * RXWIN1, RSSI …, SNR … / Done", and stray "+INFO" lines. Faults: dead,
 * garbage, a network that refuses joins.
 */
import type { SimBoard } from "../board";
import type { SimNetworkServer } from "../network";
import { airtimeMs, EU868_MAX_PAYLOAD } from "../../frames";
import { AtModem, SF } from "./at-modem";

export class WioE5 extends AtModem {
  private busy = false;

  constructor(sim: SimBoard, serial: string, ns: SimNetworkServer, resetPin?: string) {
    super(sim, serial, ns, 9600, resetPin);
    // A factory DevEUI under Seeed's OUI, fixed by the board's serial number.
    this.devEui = ("2CF7F120" + sim.serial.slice(0, 8)).toUpperCase();
  }

  /** The modem restarts (reset line pulled low): it forgets its session and any send under way. */
  powerCycle(): void {
    super.powerCycle();
    this.busy = false;
  }

  protected command(line: string): void {
    const m = /^AT(\+([A-Z]+))?(=(.*))?$/i.exec(line);
    if (!m) return this.say("+AT: ERROR(-1)", 5);
    const name = (m[2] ?? "AT").toUpperCase();
    const arg = m[4] ?? "";
    switch (name) {
      case "AT":
        return this.say("+AT: OK", 5);
      case "MODE":
        return this.say(`+MODE: ${arg}`, 5);
      case "DR":
        if (!arg) return this.say(`+DR: DR${this.dr}`, 5);
        return this.say(`+DR: ${arg}`, 5);
      case "ID": {
        const [what, value] = arg.split(",");
        if (what === "DevEui" && value === undefined) return this.say(`+ID: DevEui, ${this.devEui.match(/../g)!.join(":")}`, 5);
        const v = (value ?? "").replace(/"/g, "");
        if (!/^[0-9A-Fa-f]{16}$/.test(v)) return this.say("+ID: ERROR(-1)", 5);
        if (what === "DevEui") this.devEui = v;
        return this.say(`+ID: ${what}, ${v.match(/../g)!.join(":")}`, 5);
      }
      case "KEY": {
        const v = (arg.split(",")[1] ?? "").replace(/"/g, "");
        if (!/^[0-9A-Fa-f]{32}$/.test(v)) return this.say("+KEY: ERROR(-1)", 5);
        this.appKey = v;
        return this.say(`+KEY: APPKEY ${v}`, 5);
      }
      case "ADR":
      case "CLASS":
      case "PORT":
        return this.say(`+${name}: ${arg}`, 5);
      case "JOIN":
        return this.join();
      case "CMSGHEX":
      case "MSGHEX":
        return this.send(name, arg.replace(/"/g, ""));
      default:
        return this.say(`+${name}: ERROR(-10)`, 5);
    }
  }

  private join(): void {
    this.say("+JOIN: Start", 5);
    this.say("+JOIN: NORMAL", 6);
    const ok = this.ns.join(this.devEui, this.appKey);
    this.sim.clock.schedule(6000, () => {
      if (this.dead) return;
      this.joined = ok;
      if (ok) {
        this.say("+JOIN: Network joined", 0);
        this.say("+JOIN: NetID 000013 DevAddr 26:0B:11:22", 1);
      } else this.say("+JOIN: Join failed", 0);
      this.say("+INFO: Input timeout", 2); // a stray line the driver must ignore
      this.say("+JOIN: Done", 3);
    });
  }

  private send(tag: string, hexData: string): void {
    if (!this.joined) {
      this.say(`+${tag}: Please join network first`, 5);
      return this.say(`+${tag}: Done`, 6);
    }
    const bytes = Buffer.from(hexData, "hex");
    if (bytes.length > EU868_MAX_PAYLOAD[this.dr]) {
      this.say(`+${tag}: Length error ${EU868_MAX_PAYLOAD[this.dr]}`, 5);
      return this.say(`+${tag}: Done`, 6);
    }
    if (this.busy) return this.say(`+${tag}: LoRaWAN modem is busy`, 5);
    this.busy = true;
    const confirmed = tag === "CMSGHEX";
    this.say(`+${tag}: Start`, 5);
    if (confirmed) this.say(`+${tag}: Wait ACK`, 6);
    const air = airtimeMs(bytes.length, SF[this.dr]);
    this.sim.clock.schedule(air, () => {
      const arrived = this.ns.receive({ devEui: this.devEui, fPort: 10, bytes, fCnt: 0, at: this.sim.clock.wall, confirmed });
      this.sim.clock.schedule(1000, () => {
        this.busy = false;
        if (this.dead) return;
        if (confirmed && arrived) this.say(`+${tag}: ACK Received`, 0);
        const dl = arrived ? this.ns.takeDownlink() : undefined;
        if (dl) this.say(`+${tag}: PORT: ${dl.port}; RX: "${Buffer.from(dl.bytes).toString("hex").toUpperCase()}"`, 1);
        if (arrived) this.say(`+${tag}: RXWIN1, RSSI -80, SNR 7.5`, 2);
        this.say(`+${tag}: Done`, 3);
      });
    });
  }
}
