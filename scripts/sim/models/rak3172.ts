/**
 * A RAK3172 with RUI3 firmware on a serial line, speaking the dialogue of the
 * RUI3 AT Command Manual: status lines ("OK", "AT_PARAM_ERROR", …), values as
 * "AT+DR=5", and events "+EVT:JOINED", "+EVT:JOIN_FAILED_RX_TIMEOUT",
 * "+EVT:TX_DONE", "+EVT:SEND_CONFIRMED_OK", "+EVT:SEND_CONFIRMED_FAILED(4)",
 * "+EVT:RX_1:<rssi>:<snr>:UNICAST:<port>:<hex>". Timing follows LoRaWAN:
 * a join accept after 5–6 s, the receive windows 1 s and 2 s after an uplink.
 * Faults: a dead modem, garbage on the line, a network that refuses joins.
 */
import type { SimBoard } from "../board";
import type { SimNetworkServer } from "../network";
import { airtimeMs, EU868_MAX_PAYLOAD } from "../../frames";
import { AtModem, SF } from "./at-modem";

export class Rak3172 extends AtModem {
  cfm = 0;
  fCnt = 0;
  private busyUntil = 0;

  constructor(sim: SimBoard, serial: string, ns: SimNetworkServer, resetPin?: string) {
    super(sim, serial, ns, 115200, resetPin);
    // A factory DevEUI under RAKwireless's OUI, fixed by the board's serial number.
    this.devEui = ("AC1F09FFFE" + sim.serial.slice(0, 6)).toUpperCase();
  }

  /** The modem restarts (reset line pulled low): it forgets its session, and greets. */
  powerCycle(): void {
    super.powerCycle();
    this.cfm = 0;
    this.say("RAKwireless RAK3172 Example", 5);
  }

  private reply(status: string, value?: string): void {
    if (value !== undefined) this.say(value, 2);
    this.say(status, 3);
  }

  protected command(line: string): void {
    const m = /^AT(\+([A-Z]+))?(=(.*))?$/i.exec(line);
    if (!m) return this.reply("AT_ERROR");
    const name = (m[2] ?? "").toUpperCase();
    const arg = m[4];
    const hex = (n: number) => new RegExp(`^[0-9A-Fa-f]{${n}}$`).test(arg ?? "");
    switch (name) {
      case "":
        return this.reply("OK");
      case "NWM":
      case "NJM":
      case "ADR":
      case "CLASS":
      case "BAND":
        return this.reply("OK");
      case "DEVEUI":
        if (arg === "?") return this.reply("OK", `AT+DEVEUI=${this.devEui}`);
        if (!hex(16)) return this.reply("AT_PARAM_ERROR");
        this.devEui = arg!;
        return this.reply("OK");
      case "APPEUI":
        return this.reply(hex(16) ? "OK" : "AT_PARAM_ERROR");
      case "APPKEY":
        if (!hex(32)) return this.reply("AT_PARAM_ERROR");
        this.appKey = arg!;
        return this.reply("OK");
      case "CFM":
        if (arg !== "0" && arg !== "1") return this.reply("AT_PARAM_ERROR");
        this.cfm = +arg;
        return this.reply("OK");
      case "DR":
        if (arg === "?") return this.reply("OK", `AT+DR=${this.dr}`);
        return this.reply("OK");
      case "NJS":
        return this.reply("OK", `AT+NJS=${this.joined ? 1 : 0}`);
      case "JOIN":
        return this.join();
      case "SEND":
        return this.send(arg ?? "");
      default:
        return this.reply("AT_COMMAND_NOT_FOUND");
    }
  }

  private join(): void {
    this.reply("OK");
    const accepted = this.ns.join(this.devEui, this.appKey);
    this.sim.clock.schedule(5000 + 1000, () => {
      if (this.dead) return;
      this.joined = accepted;
      this.fCnt = 0;
      this.say(accepted ? "+EVT:JOINED" : "+EVT:JOIN_FAILED_RX_TIMEOUT", 0);
    });
  }

  private send(arg: string): void {
    const m = /^(\d+):([0-9A-Fa-f]*)$/.exec(arg);
    if (!m || m[2].length % 2) return this.reply("AT_PARAM_ERROR");
    if (!this.joined) return this.reply("AT_NO_NETWORK_JOINED");
    const bytes = Buffer.from(m[2], "hex");
    if (bytes.length > EU868_MAX_PAYLOAD[this.dr]) return this.reply("AT_PARAM_ERROR");
    if (this.sim.clock.mono < this.busyUntil) return this.reply("AT_BUSY_ERROR");
    this.reply("OK");
    const air = airtimeMs(bytes.length, SF[this.dr]);
    const confirmed = this.cfm === 1;
    this.busyUntil = this.sim.clock.mono + air + 3000;
    this.sim.clock.schedule(air, () => {
      const arrived = this.ns.receive({ devEui: this.devEui, fPort: +m[1], bytes, fCnt: this.fCnt++, at: this.sim.clock.wall, confirmed });
      // RX1 one second after the end of the uplink; the ack and any downlink come in it.
      this.sim.clock.schedule(1000, () => {
        if (this.dead) return;
        if (!confirmed) this.say("+EVT:TX_DONE", 0);
        else this.say(arrived ? "+EVT:SEND_CONFIRMED_OK" : "+EVT:SEND_CONFIRMED_FAILED(4)", 0);
        const dl = arrived ? this.ns.takeDownlink() : undefined;
        if (dl) this.say(`+EVT:RX_1:-72:8:UNICAST:${dl.port}:${Buffer.from(dl.bytes).toString("hex")}`, 1);
      });
    });
  }
}
