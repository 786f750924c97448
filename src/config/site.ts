/**
 * Site configuration: what is wired to which port, and how often to read.
 * Read at boot, from the flash store where a downlink changed it, else from
 * the file provisioning wrote, and validated against the board; a bad one is
 * refused with a message that names the field, and the gateway then runs
 * with no sensors rather than with a guess. A sensor kind whose driver the
 * bundle lacks is refused here too, before any sensor is touched.
 */
import type { FirmwareHw, SensorPort } from "../../boards/types";
import { FILE_SITE } from "../store/storage-layout";
import { siteText, siteStore } from "../store/settings";
import { BULK_ACKS } from "virtual:board";
import { S } from "../store/builtin";
// The drivers this bundle holds: only those of the site it was flashed for, and any named with --drivers (docs/provisioning.md).
import DRIVERS from "virtual:drivers";

export interface SensorConf {
  readonly kind: string;
  readonly port: number;
  readonly name?: string;
  readonly [option: string]: any;
}

export interface Site {
  readonly name: string;
  /** Reading interval in seconds. */
  readonly interval: number;
  /** Links to use: "lorawan", "wifi" or "both" (the default), and which to prefer. */
  readonly link?: string;
  readonly prefer?: string;
  /** Hold LoRaWAN to The Things Network's fair use: 30 s of uplink airtime a day (when true, and only then). */
  readonly fairUse?: boolean;
  /** LoRaWAN delivery: "each" frame confirmed (the default), or routine frames unconfirmed and acknowledged in "bulk" by the platform. */
  readonly acks?: string;
  readonly sensors: readonly SensorConf[];
}

export interface SiteResult {
  site: Site;
  /** Why the stored configuration was refused; empty when it was taken. */
  error: string;
  /** True when Storage held no configuration and the defaults apply. */
  defaults: boolean;
}

export const DEFAULT_SITE: Site = { name: "unconfigured", interval: 900, sensors: [] };

export function portById(hw: FirmwareHw, id: number): SensorPort | undefined {
  for (let i = 0; i < hw.ports.length; i++) if (hw.ports[i].id === id) return hw.ports[i];
  return undefined;
}

function isInt(v: any, lo: number, hi: number): boolean {
  return typeof v === "number" && v % 1 === 0 && v >= lo && v <= hi;
}

/** Checks a parsed configuration. Returns the first problem as "field: what is wrong", or "". */
export function checkSite(raw: any, hw: FirmwareHw): string {
  if (!raw || typeof raw !== "object") return "site: not a JSON object";
  if (raw.v !== 1) return "site.v: format version must be 1";
  if (typeof raw.name !== "string" || !raw.name.length || raw.name.length > 40) return "site.name: 1 to 40 characters";
  if (!isInt(raw.interval, 10, 86400)) return "site.interval: whole seconds from 10 to 86400";
  if (!Array.isArray(raw.sensors)) return "site.sensors: must be a list";
  if (raw.sensors.length > 15) return "site.sensors: at most 15 sensors";
  if (raw.link !== undefined && ["lorawan", "wifi", "both"].indexOf(raw.link) < 0) return "site.link: lorawan, wifi or both";
  if (raw.prefer !== undefined && ["lorawan", "wifi"].indexOf(raw.prefer) < 0) return "site.prefer: lorawan or wifi";
  if (raw.acks !== undefined && raw.acks !== "each" && !(BULK_ACKS && raw.acks === "bulk")) return BULK_ACKS ? "site.acks: each or bulk" : "site.acks: this board confirms each frame";
  for (let i = 0; i < raw.sensors.length; i++) {
    const s = raw.sensors[i];
    const f = "site.sensors[" + i + "]";
    if (!s || typeof s !== "object") return f + ": not an object";
    if (typeof s.kind !== "string") return f + ".kind: missing";
    // By its own keys: a kind such as "constructor" is no driver.
    const has = Object.keys(DRIVERS);
    if (has.indexOf(s.kind) < 0) return f + ".kind: " + s.kind + " is not in this firmware, only " + has.join();
    if (!isInt(s.port, 1, 99)) return f + ".port: missing or not a port number";
    if (!portById(hw, s.port)) return f + ".port: this board has no port " + s.port;
  }
  return "";
}

export function loadSite(hw: FirmwareHw): SiteResult {
  let raw: any;
  let error = "";
  try {
    const stored = siteText();
    raw = stored === undefined ? S.readJSON(FILE_SITE, false) : JSON.parse(stored);
  } catch (e) {
    error = "site: stored configuration is not valid JSON";
  }
  const none = !error && raw === undefined;
  if (!error && !none) error = checkSite(raw, hw);
  return { site: error || none ? DEFAULT_SITE : siteChanged(raw, raw.interval, raw.sensors), error: error, defaults: none };
}

/** The site as stored, with a new interval or sensor list and every other field kept. */
export function siteChanged(site: Site, interval: number, sensors: Site["sensors"]): any {
  return { v: 1, name: site.name, interval: interval, sensors: sensors, link: site.link, prefer: site.prefer, fairUse: site.fairUse, acks: site.acks };
}

/** Keeps a site configuration that a downlink changed and checkSite() accepted, in the flash store: fg.site is never written again. */
export function saveSite(raw: any): void {
  siteStore(JSON.stringify(raw));
}
