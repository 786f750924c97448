/**
 * What both LoRaWAN modem models share: a serial line at the vendor's baud
 * rate, commands split at CR LF, the reset line that restarts the modem, the
 * dead-modem fault, and the EU868 spreading factor by data rate. Each model
 * speaks its own vendor's dialogue in `command`.
 */
import type { SimBoard } from "../board";
import type { Uart } from "../peripherals";
import type { SimNetworkServer } from "../network";

/** EU868 (RP002-1.0.4): spreading factor by data rate. */
export const SF = [12, 11, 10, 9, 8, 7, 7, 7];

export abstract class AtModem {
  dead = false;
  joined = false;
  dr = 5;
  devEui = "";
  appKey = "";
  readonly commands: string[] = [];
  readonly uart: Uart;
  private rx = "";

  constructor(
    protected readonly sim: SimBoard,
    serial: string,
    protected readonly ns: SimNetworkServer,
    private readonly baud: number,
    resetPin?: string,
  ) {
    this.uart = sim.uart(serial);
    this.uart.onTx((b) => this.hear(b));
    if (resetPin) sim.pins.onWrite(resetPin, (level) => level === 0 && this.powerCycle());
  }

  /** The modem restarts (reset line pulled low): it forgets its session and what it was reading. */
  powerCycle(): void {
    this.joined = false;
    this.rx = "";
  }

  protected say(line: string, delayMs: number): void {
    if (!this.dead) this.uart.send(line + "\r\n", delayMs);
  }

  /** One command line, as the gateway sent it (already recorded in `commands`). */
  protected abstract command(line: string): void;

  /** Bytes from the gateway: a dead modem, or one at another baud rate, hears nothing. */
  private hear(bytes: Uint8Array): void {
    if (this.dead || this.uart.baud !== this.baud) return;
    this.rx += Buffer.from(bytes).toString("latin1");
    let i: number;
    while ((i = this.rx.indexOf("\r\n")) >= 0) {
      const line = this.rx.slice(0, i).trim();
      this.rx = this.rx.slice(i + 2);
      if (line) {
        this.commands.push(line);
        this.command(line);
      }
    }
  }
}
