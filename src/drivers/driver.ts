/**
 * The contract between the firmware and a sensor driver, in the style of
 * ECMA-419: a driver is made from its frozen options and the board, sampled
 * each cycle, and closed. It emits its readings (src/readings/reading.ts) and
 * keeps its state private.
 */
import type { FirmwareHw } from "../../boards/types";

/** A sensor on the gateway, in the style of ECMA-419: made from options, sampled, closed. */
export interface Sensor {
  /** Channels it uses: from the context's ch on, ch + 1, … for a sensor with several probes. */
  readonly channels: number;
  /** Reads now and emits its readings within SAMPLE_MAX_MS. */
  sample(): void;
  /** Stops timers and watches and releases the port. */
  close(): void;
}

export interface DriverContext {
  readonly hw: FirmwareHw;
  readonly ch: number;
  /** "site.sensors[2]": prefix for the field names in error messages. */
  readonly field: string;
}

/** A driver returns its readings within this time of sample(). */
export const SAMPLE_MAX_MS = 1500;

