/**
 * Names and budgets of everything feldgate keeps in Storage.
 * docs/storage-layout.md is the specification; keep the two in step.
 * Plain constants only: the Node-side tools import this file too.
 */

/** Storage file names (28 characters at most, 27 for a StorageFile). */
export const FILE = {
  /** Loader the interpreter runs at power-on; it picks an app slot. */
  bootCode: ".bootcde",
  appA: "fg.app.a",
  appB: "fg.app.b",
  /** Which slot runs, and the trial count of a fresh update (JSON). */
  bootCtl: "fg.boot",
  /** Device identity and keys (JSON), written by provisioning. */
  identity: "fg.id",
  /** TLS for MQTT and HTTPS, written by provisioning: the CA certificate, the gateway's certificate and its private key (DER). */
  tlsCa: "fg.tls.ca",
  tlsCert: "fg.tls.crt",
  tlsKey: "fg.tls.key",
  /** Site configuration (JSON): which sensor is on which port. */
  site: "fg.site",
  /** Prefix of tally files: counters persisted every K steps (name + "." + 0|1). */
  tally: "fg.t.",
  /** Prefix of reading-buffer segments (prefix + segment number, base 36). */
  queue: "fg.q.",
  /** Prefix of event-buffer segments. */
  events: "fg.e.",
} as const;

/** Espruino's per-file header in Storage. */
export const FILE_HEADER_BYTES = 32;

/** A tally file holds this many 12-byte slots before it rolls over to its twin. */
export const TALLY_SLOTS = 21;

/**
 * The counters every gateway keeps, by tally name: boots, frame sequence,
 * readings delivered, events delivered, readings dropped, last downlink
 * counter. A water meter keeps one more, its pulse total ("m" + channel).
 */
export const TALLY_COUNTERS = ["boot", "seq", "qack", "eack", "drop", "dl"] as const;

/** Storage one counter takes: its live tally file and its erased twin, until compaction, headers included. */
export const TALLY_BYTES = 2 * (TALLY_SLOTS * 12 + 32);

/** Bytes reserved per file for the small records, headers included. */
export const RESERVED_BYTES = {
  bootCtl: 64,
  /** fg.id with Wi-Fi and platform credentials beside the LoRaWAN keys. */
  identity: 320,
  /** fg.id of a board without Wi-Fi: LoRaWAN keys only (about 100 bytes of JSON). */
  identityLorawanOnly: 160,
  site: 1056,
  tallies: TALLY_COUNTERS.length * TALLY_BYTES,
} as const;
