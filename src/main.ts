/**
 * feldgate firmware entry: the boot order and the schedule. The loader in
 * .bootcde evaluates this bundle from its app slot. The data path it wires
 * (docs/architecture.md): drivers emit readings, the buffer keeps them, the
 * sender packs frames and hands them to the links; downlinks come back
 * through uplink/downlink.ts.
 */
import hw, { BOARD_ID, BULK_ACKS, MIGRATES, STORAGE_END, BUFFER_AREA_ADDR, BUFFER_AREA_BYTES, APP_SLOTS, SUPPLY_ENABLE } from "virtual:board";
import { VERSION } from "virtual:build";
import { log, why, startFailed, ERROR, WARN, INFO } from "./runtime/log";
import { every, start, reschedule } from "./runtime/scheduler";
import { trialStart, trialPassed } from "./store/trial";
import { loadSite, checkSite, siteChanged, saveSite, type Site } from "./config/site";
import { onReading, onEvent, QUALITY_WORDS, Q_OK } from "./readings/reading";
import { describe, qtyWord } from "./readings/quantities";
import { eventWords, EV_REFILL } from "./readings/events";
import { readGateway } from "./drivers/gateway";
import { buildSensors, sampleAll, closeSensors, type SensorSet } from "./drivers/index";
import { SAMPLE_MAX_MS } from "./drivers/driver";
import { queueInit, queueCycle, queueEvent, pending, dropped, MAX_COLS } from "./buffer/queue";
import { migrate } from "./buffer/migrate";
import { storeOpen, bufferFresh, areaLosses } from "./store/store";
import { SLOT_BYTES } from "./store/storage-layout";
import { seqInit } from "./uplink/seq";
import { startSender, sendNext, framesSent, onAck } from "./uplink/sender";
import { countBoot, requestReport } from "./uplink/report";
import { handleDownlink, decodeAck } from "./uplink/downlink";
import { startLinks } from "./links/index";
import { PORT_DOWNLINK, PORT_BULK_ACK } from "./links/link";

let set: SensorSet = { running: [], names: ["gateway"], error: "" };
let site: Site;
/** Deliveries counted when a reboot was asked for; the reboot waits for one more (-1: none asked). */
let rebootAfter = -1;

/** Log sink: one plain line per cycle, sensor by sensor, in words a technician reads at a glance. */
const parts: string[] = [];
/** Buffer sink: the cycle's readings, gathered in preallocated arrays and stored as one record. */
const cycleChq: number[] = [];
const cycleValues = new Int32Array(MAX_COLS);
const cycleQuality = new Uint8Array(MAX_COLS);
let cycleN = 0;
onReading(function (ch, qty, value, q) {
  const text = q === Q_OK ? describe(qty, value) : qtyWord(qty) + " " + QUALITY_WORDS[q];
  parts[ch] = parts[ch] ? parts[ch] + ", " + text : (ch ? set.names[ch] + ": " : "") + text;
  if (cycleN < MAX_COLS) {
    cycleChq[cycleN] = (ch << 8) | qty;
    cycleValues[cycleN] = value;
    cycleQuality[cycleN] = q;
    cycleN++;
  }
});

onEvent(function (ch, code, active, value, t) {
  const who = set.names[ch] || "channel " + ch;
  // A refill is a notice, raised only: neither an alarm nor cleared.
  const notice = code === EV_REFILL;
  log(active && !notice ? WARN : INFO, (notice ? "" : active ? "ALARM " : "Cleared: ") + who + ": " + eventWords(code));
  if (!queueEvent(t, ch, code, active, value)) log(ERROR, "Event buffer full: event not kept");
});

function cycle(): void {
  parts.splice(0, parts.length);
  cycleN = 0;
  const t = getTime();
  readGateway(hw);
  sampleAll(set.running);
  setTimeout(function () {
    log(INFO, "Readings: " + parts.filter(function (p) { return !!p; }).join("; "));
    try {
      // A full ring makes room by dropping its oldest readings (docs/buffer.md); false is this cycle not kept at all.
      const was = dropped;
      if (!queueCycle(t, cycleN, cycleChq, cycleValues, cycleQuality)) log(WARN, "Buffer: readings not kept");
      else {
        if (dropped > was) log(WARN, "Buffer full: the oldest " + (dropped - was) + " readings were dropped");
        if (APP_SLOTS > 1) trialPassed();
      }
    } catch (e) {
      log(ERROR, "Readings not stored: " + why(e));
    }
    log(INFO, "Waiting to be sent: " + pending() + " readings");
    sendNext();
  }, SAMPLE_MAX_MS + 100);
}

/** What the platform's commands do (src/uplink/downlink.ts): a refused change leaves the running configuration as it was. */
const actions = {
  setInterval: function (seconds: number): string {
    const raw = siteChanged(site, seconds, site.sensors);
    const err = checkSite(raw, hw);
    if (err) return err;
    saveSite(raw);
    site = raw;
    reschedule("readings", seconds * 1000);
    log(INFO, "Reading interval changed to " + Math.round(seconds / 60) + " min by the platform");
    return "";
  },
  setSensor: function (index: number, options: any): string {
    if (index < 0 || index >= site.sensors.length) return "no sensor " + index;
    const next = site.sensors.slice();
    next[index] = Object.assign(Object.assign({}, site.sensors[index]), options);
    const candidate = siteChanged(site, site.interval, next);
    const err = checkSite(candidate, hw);
    if (err) return err;
    closeSensors(set.running);
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
  readNow: cycle,
  reboot: function (): void {
    // After the answer has gone out, or in ten minutes at the latest.
    rebootAfter = framesSent();
    setTimeout(E.reboot, 600000);
  },
  reportStatus: requestReport,
};

function onDownlink(port: number, data: number[]): void {
  if (BULK_ACKS && port === PORT_BULK_ACK) {
    const a = decodeAck(data);
    if (a) onAck(a[0], a[1]);
    return sendNext();
  }
  if (port !== PORT_DOWNLINK) return;
  const r = handleDownlink(data, actions);
  log(INFO, "Platform message: " + (r === 0 ? "done" : "refused (" + r + ")"));
  sendNext();
}

/** Starts the links and the sender; the readings go on whatever happens to them. */
function startSending(): void {
  const links = startLinks(site, onDownlink);
  if (!links.length) return;
  startSender(links, site.acks === "bulk");
  // A daily health report even when nothing changes: the platform sees the counters move.
  every("health", 86400000, requestReport);
  every("uplink", 10000, function () {
    if (rebootAfter >= 0 && framesSent() > rebootAfter) E.reboot();
    sendNext();
  }, 15000);
}

/** Opens the flash store, moves a gateway of the old layout into it, and reads the buffer back. */
function openStore(): void {
  storeOpen(STORAGE_END, BUFFER_AREA_ADDR, BUFFER_AREA_BYTES, APP_SLOTS > 1 ? SLOT_BYTES : 0);
  if (MIGRATES)
    try {
      const moved = migrate();
      if (moved >= 0) log(INFO, "Moved to the flash store: " + moved + " readings kept");
    } catch (e) {
      log(ERROR, "Moving to the flash store failed: " + why(e) + ". The old files stay; it starts again at the next boot");
    }
  if (bufferFresh && areaLosses() > 0) log(WARN, "A firmware update took the buffer's flash area: its readings are lost, the buffer starts afresh");
  const waiting = queueInit(bufferFresh);
  if (waiting > 0) log(INFO, "Readings kept over the restart: " + waiting);
}

function main(): void {
  log(INFO, "feldgate " + VERSION + " starting on " + BOARD_ID + " (Espruino " + process.env.VERSION + ")");
  // A switched supply divider (the XIAO's VBAT_ENABLE) is switched on for good, long before the first reading.
  if (SUPPLY_ENABLE) digitalWrite(SUPPLY_ENABLE, 1);
  try {
    openStore();
  } catch (e) {
    log(ERROR, "Flash store: " + why(e));
  }
  log(INFO, "Boot number " + countBoot());
  try {
    seqInit();
  } catch (e) {
    log(ERROR, "Frame counter not restored: " + why(e));
  }
  const r = loadSite(hw);
  site = r.site;
  let error = r.error;
  if (!error) {
    set = buildSensors(site, hw, set.names);
    error = set.error;
  }
  if (error) startFailed(4, "Site configuration refused: " + error + ". Running without sensors until it is fixed.");
  else if (r.defaults) log(WARN, "No site configuration stored yet: running without sensors.");
  else log(INFO, 'Site "' + site.name + '": ' + site.sensors.length + " sensors, reading every " + Math.round(site.interval / 60) + " min");
  every("readings", site.interval * 1000, cycle, 2000);
  try {
    startSending();
  } catch (e) {
    log(ERROR, "Links not started: " + why(e));
  }
  if (APP_SLOTS > 1) trialStart();
  start();
}

try {
  main();
} catch (e) {
  log(ERROR, "Start-up failed: " + why(e));
}
