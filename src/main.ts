/**
 * feldgate firmware entry: boot, site configuration, sensors, the reading cycle.
 * The loader in .bootcde evaluates this bundle from its app slot.
 */
import hw, { MODEM, HAS_WIFI, BULK_ACKS } from "virtual:board";
import { VERSION } from "virtual:build";
import { log, why, ERROR, WARN, INFO } from "./runtime/log";
import { tallyRead, tallyWrite } from "./store/tally";
import { loadSite } from "./config/site";
import { every, start, reschedule, uptimeMs } from "./runtime/scheduler";
import { onReading, onEvent, QUALITY_WORDS, Q_OK } from "./readings/reading";
import { describe, qtyWord } from "./readings/quantities";
import { eventWords, EV_REFILL } from "./readings/events";
import { readHealth } from "./drivers/gateway";
import { buildSensors, sampleAll, type SensorSet } from "./drivers/index";
import { SAMPLE_MAX_MS } from "./drivers/driver";
import { queueInit, queueCycle, queueEvent, pending, MAX_COLS } from "./buffer/queue";
import { seqInit } from "./uplink/seq";
import { rak3172 } from "./links/rak3172";
import { wioe5 } from "./links/wioe5";
import { mqttLink } from "./links/mqtt";
import { httpLink } from "./links/http";
import { wifiStart, wifi } from "./links/wifi";
import type { Link } from "./links/link";
import { startUplink, pump, requestHealth, framesSent, linkInUse, linkHealth, onAck } from "./uplink/sender";
import { handleDownlink, decodeAck } from "./uplink/downlink";
import { airtimeUsedMs, setFairUse } from "./links/dutycycle";
import { checkSite, type Site } from "./config/site";
import { closeSensors } from "./drivers/index";
import { queueStats } from "./buffer/queue";
import { FILE } from "./store/storage-layout";

let set: SensorSet = { sensors: [], names: ["gateway"], error: "" };
let site: Site;
let boots = 0;
/** Deliveries counted when a reboot was asked for; the reboot waits for one more (-1: none asked). */
let rebootAfter = -1;

/** Log sink: one plain line per cycle, sensor by sensor, in words a technician reads at a glance. */
const parts: string[] = [];
/** Buffer sink: the cycle's readings, gathered in preallocated arrays and stored as one record. */
const cChq: number[] = [];
const cVal = new Int32Array(MAX_COLS);
const cQ = new Uint8Array(MAX_COLS);
let cN = 0;
onReading(function (ch, qty, value, q) {
  const text = q === Q_OK ? describe(qty, value) : qtyWord(qty) + " " + QUALITY_WORDS[q];
  parts[ch] = parts[ch] ? parts[ch] + ", " + text : (ch ? set.names[ch] + ": " : "") + text;
  if (cN < MAX_COLS) {
    cChq[cN] = (ch << 8) | qty;
    cVal[cN] = value;
    cQ[cN] = q;
    cN++;
  }
});

onEvent(function (ch, code, active, value, t) {
  const who = set.names[ch] || "channel " + ch;
  if (code === EV_REFILL) log(INFO, who + ": " + eventWords(code));
  else log(active ? WARN : INFO, (active ? "ALARM " : "Cleared: ") + who + ": " + eventWords(code));
  if (!queueEvent(t, ch, code, active, value)) log(ERROR, "Storage full: could not keep the event");
});

function cycle(): void {
  parts.splice(0, parts.length);
  cN = 0;
  const t = getTime();
  readHealth(hw);
  sampleAll(set.sensors);
  setTimeout(function () {
    log(INFO, "Readings: " + parts.filter(function (p) { return !!p; }).join("; "));
    try {
      if (!queueCycle(t, cN, cChq, cVal, cQ)) log(WARN, "Buffer full: the oldest readings were dropped");
    } catch (e) {
      log(ERROR, "Could not store the readings: " + why(e));
    }
    log(INFO, "Waiting to be sent: " + pending() + " readings");
    pump();
  }, SAMPLE_MAX_MS + 100);
}

/** Health figures for status frames (keys: docs/frame-format.md), each link's state and counters last. */
function health(): number[] {
  const v = VERSION.split(".");
  const l = linkInUse();
  const h = [1, Math.floor(uptimeMs() / 1000), 2, boots, 4, pending(), 5, queueStats()[2], 6, +v[0] * 10000 + +v[1] * 100 + +v[2], 7, l === "lorawan" ? 1 : l === "mqtt" ? 2 : l === "http" ? 3 : 0, 12, require("Storage").getFree()];
  if (MODEM) h.push(10, Math.round(airtimeUsedMs()));
  linkHealth(h);
  return h;
}

/** Writes the site configuration back after a downlink changed it. */
function saveSite(raw: any): void {
  require("Storage").writeJSON(FILE.site, raw);
}

/** The site as stored, with a new interval or sensor list and every other field kept. */
function siteRaw(interval: number, sensors: Site["sensors"]): any {
  return { v: 1, name: site.name, interval: interval, sensors: sensors, link: site.link, prefer: site.prefer, fairUse: site.fairUse, acks: site.acks };
}

const actions = {
  setInterval: function (seconds: number): boolean {
    const raw = siteRaw(seconds, site.sensors);
    if (checkSite(raw, hw)) return false;
    saveSite(raw);
    site = raw;
    reschedule("readings", seconds * 1000);
    log(INFO, "Reading interval changed to " + Math.round(seconds / 60) + " min by the platform");
    return true;
  },
  setSensor: function (index: number, options: any): string {
    if (index < 0 || index >= site.sensors.length) return "no sensor " + index;
    const next = site.sensors.slice();
    next[index] = Object.assign(Object.assign({}, site.sensors[index]), options);
    const candidate = siteRaw(site.interval, next);
    const err = checkSite(candidate, hw);
    if (err) return err;
    closeSensors(set.sensors);
    const tryNew = buildSensors(candidate, hw, set.names);
    if (tryNew.error) {
      set = buildSensors(site, hw, set.names);
      log(WARN, "Sensor change from the platform refused: " + tryNew.error);
      return tryNew.error;
    }
    set = tryNew;
    site = candidate;
    saveSite(candidate);
    log(INFO, "Sensor " + (index + 1) + " settings changed by the platform");
    return "";
  },
  readNow: function (): void {
    cycle();
  },
  reboot: function (): void {
    // After the answer has gone out, or in ten minutes at the latest.
    rebootAfter = framesSent();
    setTimeout(E.reboot, 600000);
  },
  reportStatus: requestHealth,
};

function onDownlink(port: number, data: number[]): void {
  if (BULK_ACKS && port === 12) {
    const a = decodeAck(data);
    if (a) onAck(a[0], a[1]);
    return pump();
  }
  if (port !== 11) return;
  const r = handleDownlink(data, actions);
  log(INFO, "Message from the platform: " + (r === 0 ? "done" : "refused (" + r + ")"));
  pump();
}

/** The TLS certificates and key that provisioning stored: only those present are named, as the interpreter refuses an empty one. */
function tlsFiles(): any {
  const o: any = {};
  const names = ["ca", FILE.tlsCa, "cert", FILE.tlsCert, "key", FILE.tlsKey];
  for (let i = 0; i < names.length; i += 2) {
    const d = require("Storage").read(names[i + 1]);
    if (d !== undefined) o[names[i]] = d;
  }
  return o;
}

/**
 * The links this board and its identity allow, in the site's order of
 * preference (site.link: "lorawan", "wifi", or "both" with site.prefer).
 */
function startLink(): void {
  const id = require("Storage").readJSON(FILE.identity, true) || {};
  const use = site.link || "both";
  const links: Link[] = [];
  // The Things Network's fair use: 30 s of uplink airtime a day.
  if (site.fairUse) setFairUse(30000);
  if (MODEM && hw.modem && use !== "wifi") {
    if (!id.devEui || !id.appKey) log(ERROR, "No LoRaWAN keys stored: provision the board before it can join the network.");
    else {
      const keys = { devEui: id.devEui, joinEui: id.joinEui || "0000000000000000", appKey: id.appKey };
      links.push(MODEM === "rak3172" ? rak3172(hw.modem, keys, onDownlink) : wioe5(hw.modem, keys, onDownlink));
    }
  }
  if (HAS_WIFI && id.wifi && (id.mqtt || id.http) && use !== "lorawan") {
    wifiStart(id.wifi.ssid, id.wifi.pass || "");
    const m = id.mqtt;
    const h = id.http;
    const link = m
      ? mqttLink({ host: m.host, port: m.port || (m.tls ? 8883 : 1883), clientId: m.clientId || "feldgate-" + (id.devEui || hw.id), user: m.user, pass: m.pass, keepalive: m.keepalive || 60, clean: m.clean === true, prefix: "feldgate/" + (m.clientId || id.devEui || hw.id), tls: m.tls ? tlsFiles() : undefined }, onDownlink, wifi)
      : httpLink({ host: h.host, port: h.port || (h.tls ? 443 : 80), path: h.path || "/", tls: h.tls ? tlsFiles() : undefined }, wifi);
    if (site.prefer === "wifi") links.unshift(link);
    else links.push(link);
  }
  if (!links.length) return;
  startUplink(links, health, site.acks === "bulk");
  // A daily health report even when nothing changes: the platform sees the counters move.
  every("health", 86400000, requestHealth);
  every("uplink", 10000, function () {
    if (rebootAfter >= 0 && framesSent() > rebootAfter) E.reboot();
    pump();
  }, 15000);
}

function countBoot(): number {
  const prev = tallyRead("boot");
  const n = prev < 0 ? 1 : prev + 1;
  try {
    tallyWrite("boot", n);
  } catch (e) {
    log(WARN, "Could not record the boot count: " + why(e));
  }
  return n;
}

function main(): void {
  log(INFO, "feldgate " + VERSION + " starting on " + hw.id + " (Espruino " + process.env.VERSION + ")");
  boots = countBoot();
  log(INFO, "Boot number " + boots);
  try {
    seqInit();
    const waiting = queueInit();
    if (waiting > 0) log(INFO, "Readings kept from before the restart: " + waiting);
  } catch (e) {
    log(ERROR, "Buffer could not be read: " + why(e));
  }
  const r = loadSite(hw);
  site = r.site;
  let error = r.error;
  if (!error) {
    set = buildSensors(site, hw, set.names);
    error = set.error;
  }
  if (error) log(ERROR, "Site configuration refused: " + error + ". Running without sensors until it is fixed.");
  else if (r.defaults) log(WARN, "No site configuration stored yet: running without sensors.");
  else log(INFO, 'Site "' + site.name + '": ' + site.sensors.length + " sensors, reading every " + Math.round(site.interval / 60) + " min");
  every("readings", site.interval * 1000, cycle, 2000);
  // Readings are kept whatever happens to the links.
  try {
    startLink();
  } catch (e) {
    log(ERROR, "Links could not start: " + why(e));
  }
  start();
}

try {
  main();
} catch (e) {
  log(ERROR, "Start-up failed: " + why(e));
}
