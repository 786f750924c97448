/** What the sender needs of a link to the platform. */
export interface Link {
  readonly name: string;
  /** Joined or connected, and not busy. */
  ready(): boolean;
  /** Largest application payload right now (follows the LoRaWAN data rate). */
  maxPayload(): number;
  /** Milliseconds until a frame of n bytes may go (duty cycle), 0 for now. */
  waitFor(n: number): number;
  /**
   * done(DELIVERED) only when the platform confirmed it; done(SENT) when an
   * unconfirmed frame went on air (its fate is learnt from a bulk
   * acknowledgement); done(NOT_SENT) otherwise. A link that confirms every
   * frame (MQTT, HTTP) ignores `confirmed`.
   */
  send(bytes: Uint8Array, n: number, confirmed: boolean, done: (result: number) => void): void;
  /**
   * For the health report (docs/frame-format.md, keys 14–21): state (0 down:
   * modem not ready or no Wi-Fi; 1 joining, or Wi-Fi up without the platform;
   * 2 up), joins or connections, failures, modem resets or Wi-Fi reconnects.
   */
  stats(): number[];
}

export const NOT_SENT = 0;
export const SENT = 1;
export const DELIVERED = 2;

export type DownlinkHandler = (port: number, data: number[]) => void;

/** Application ports (docs/frame-format.md): frames up, downlinks and bulk acknowledgements down. MQTT and HTTP carry the same numbers. */
export const PORT_UPLINK = 10;
export const PORT_DOWNLINK = 11;
export const PORT_BULK_ACK = 12;
