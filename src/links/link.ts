/** What the sender needs of a link to the platform. */
export interface Link {
  readonly name: string;
  /** Joined or connected, and not busy. */
  ready(): boolean;
  /** Largest application payload right now (follows the LoRaWAN data rate). */
  maxPayload(): number;
  /** Milliseconds until a frame of n bytes may go (duty cycle), 0 for now. */
  waitFor(n: number): number;
  /** done(true) only when the platform confirmed it. */
  send(bytes: Uint8Array, n: number, confirmed: boolean, done: (delivered: boolean) => void): void;
  /** Joins, failures, resets of the modem or reconnects. */
  stats(): number[];
}

export type DownlinkHandler = (port: number, data: number[]) => void;
