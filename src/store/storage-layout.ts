/**
 * Names and budgets of everything feldgate keeps in Storage.
 * docs/storage-layout.md is the specification; keep the two in step.
 * Plain constants only: the Node-side tools import this file too.
 */

/**
 * Storage file names the firmware opens, as plain constants: the build
 * inlines these, not an object's properties.
 */
export const FILE_STORE = "fg.store";
export const FILE_SITE = "fg.site";
export const FILE_IDENTITY = "fg.id";

/** Storage file names (28 characters at most, 27 for a StorageFile). */
export const FILE = {
  /** Loader the interpreter runs at power-on; it picks an app slot. */
  bootCode: ".bootcde",
  /**
   * The console lock, written by `npm run flash -- --lock`: code that sets the
   * console password and locks the console. The interpreter runs it at every
   * chip reset before .bootcde, BTN1 held or not (jsflash.c 1409-1426); the
   * loader runs it again after load(), which empties RAM (docs/provisioning.md, "The locked console").
   */
  powerOn: ".bootPowerOn",
  appA: "fg.app.a",
  /** Boot records: which image runs (BOOT below). Created by the flasher, appended to in place, never rewritten. */
  bootCtl: "fg.boot",
  /** Device identity and keys (JSON), written by provisioning. */
  identity: FILE_IDENTITY,
  /** TLS for MQTT and HTTPS, written by provisioning: the CA certificate, the gateway's certificate and its private key (DER). */
  tlsCa: "fg.tls.ca",
  tlsCert: "fg.tls.crt",
  tlsKey: "fg.tls.key",
  /** Site configuration (JSON) as provisioned; a downlink's change goes into the store. */
  site: FILE_SITE,
  /** The flash store: one file, created once, whose pages the firmware writes through require("Flash"). */
  store: FILE_STORE,
} as const;

/**
 * Files of the layout before the flash store, which the migration reads once
 * and erases (docs/storage-layout.md, "Migration").
 */
export const OLD_FILE = {
  /** Tally files: name + "." + 0|1, 21 slots of 12 bytes. */
  tally: "fg.t.",
  /** Reading-buffer segments (prefix + segment number, base 36). */
  queue: "fg.q.",
  /** Event-buffer segments. */
  events: "fg.e.",
} as const;

/**
 * A boot record in fg.boot (docs/storage-layout.md, "Boot control"): nine
 * little-endian words. `where` (BOOT_MAGIC << 16 | BOOT_Z if compressed |
 * BOOT_TRIAL for an image on trial | the file: BOOT_APP_A or BOOT_STORE),
 * the image's offset in that file, its length, its CRC-32, and a check word,
 * `where ^ offset ^ length ^ crc ^ BOOT_CHECK`, written last and on its own.
 * Then, for an image on trial, BOOT_TRIES words the loader writes BOOT_TRY
 * into, one at each boot it runs the image, and one the image writes BOOT_OK
 * into once its self-test passed. fg.boot is made of erased bytes when the
 * flasher writes it but its first record; each new image appends one. The
 * loader runs the image of the newest valid record whose bytes match its
 * CRC and that is confirmed or has tries left, else the record before it.
 */
export const BOOT_RECORD_BYTES = 36;
export const BOOT_MAGIC = 0x4642;
export const BOOT_APP_A = 1;
export const BOOT_STORE = 2;
export const BOOT_Z = 0x100;
export const BOOT_TRIAL = 0x200;
export const BOOT_CHECK = 0x5aa55aa5;
/** Boots an image on trial gets before it is passed over, unless it confirms itself. */
export const BOOT_TRIES = 3;
export const BOOT_TRY = 0x31595254;
export const BOOT_OK = 0x59414b4f;
/** Where in a record (words) the tries and the confirmation are. */
export const BOOT_TRY_WORD = 5;
export const BOOT_OK_WORD = 8;

/**
 * Storage.hash(/^name$/) is rol32(0xABCDDCBA, 1) ^ header address ^
 * E.CRC32(name) (jsflash.c 1169-1172, 1238-1245): a file's header address is
 * its hash ^ STORAGE_HASH_SEED ^ E.CRC32(name).
 */
export const STORAGE_HASH_SEED = 0x579bb975;

/** Espruino's per-file header in Storage. */
export const FILE_HEADER_BYTES = 32;

/** A tally file of the old layout held this many 12-byte slots. */
export const OLD_TALLY_SLOTS = 21;

/**
 * Ids of the store's settings (docs/storage-layout.md, "Settings"). A counter
 * holds two 32-bit words and only grows; the site configuration is a value of
 * up to SITE_MAX_BYTES.
 */
export const ID = {
  boot: 1,
  /** Frame sequence, stored every 16 frames. */
  seq: 2,
  /** Readings delivered: (first cycle not wholly sent, window << 16 | readings of the window sent). */
  readingsDelivered: 3,
  eventsDelivered: 4,
  readingsDropped: 5,
  /** Last downlink counter accepted. */
  downlink: 6,
  /** The flash area outside Storage the buffer was last kept in: (address, length). */
  area: 8,
  /** Pages with a sequence below these are not the buffer's: (readings, events). Raised by the migration and by a lost area. */
  base: 9,
  /** 1 once the old layout's records are all in the store. */
  migrated: 10,
  /** The app slot in the store: (generation, length); length 0 while it is being written. */
  slot: 11,
  /** (generation, CRC-32) of the image the slot holds. */
  slotCrc: 12,
  /** A water meter's pulse total: meterBase + channel. */
  meterBase: 16,
  site: 64,
  /**
   * The alarms of a channel as last raised or cleared: alarmBase + channel,
   * (changes, a bit per raised event code). Ids from 112 on (channel 40 and
   * up, past a cycle's 40 readings) are ignored when the settings are read.
   */
  alarmBase: 72,
} as const;

/** Counters of the old layout's tally files, by name, and the setting each moves to. */
export const OLD_TALLIES: readonly (readonly [string, number])[] = [
  ["boot", ID.boot],
  ["seq", ID.seq],
  ["qack", ID.readingsDelivered],
  ["eack", ID.eventsDelivered],
  ["drop", ID.readingsDropped],
  ["dl", ID.downlink],
];

/** Largest site configuration the store keeps (JSON characters). */
export const SITE_MAX_BYTES = 1024;

/** Bytes reserved per file for the small files, headers included. */
export const RESERVED_BYTES = {
  /** fg.boot on a board with one slot: its one record. Boards with two fill the first page with it (BOOT_RECORD_BYTES). */
  bootCtl: 64,
  /** fg.id with Wi-Fi and platform credentials beside the LoRaWAN keys. */
  identity: 320,
  /** fg.id of a board without Wi-Fi: LoRaWAN keys only (about 100 bytes of JSON). */
  identityLorawanOnly: 160,
  site: 1056,
} as const;

/** Bytes of a store page's header: the state word and the page's sequence number. */
export const PAGE_HEAD_BYTES = 8;

/** Pages of the settings ring when the store has room for them, and the least it works with. */
export const SETTINGS_PAGES = 3;
export const SETTINGS_PAGES_MIN = 2;

/** Room for the second app slot in the store, on boards with two slots: the image an update writes. */
export const SLOT_BYTES = 96 * 1024;

/**
 * How the store's pages are shared out (docs/storage-layout.md, "Where it
 * lives"): `inside` pages of fg.store, `outside` pages of a flash area outside
 * Storage (0 where the board names none), `slot` pages for an app slot.
 * Returns [settings, events, readings, slot] pages. Inside come the settings,
 * then the slot, then events and readings; these go outside when there is an
 * outside area. A slot that would leave too little for the rest is left out.
 */
export function storePartition(inside: number, outside: number, slot: number): number[] {
  const settings = outside > 0 ? Math.min(inside, SETTINGS_PAGES) : inside >= SETTINGS_PAGES + 4 ? SETTINGS_PAGES : SETTINGS_PAGES_MIN;
  if (inside - settings - (outside > 0 ? 0 : 8) < slot) slot = 0;
  const buffer = outside > 0 ? outside : inside - settings - slot;
  const events = Math.max(2, (buffer / 16) | 0);
  // Integers (| 0): the interpreter gives Math.max, Math.min and Math.floor results as floats,
  // and Flash.erasePage refuses an address computed from one (jswrap_flash.c:106-112).
  return [settings | 0, events | 0, (buffer - events) | 0, slot | 0];
}
