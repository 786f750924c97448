/**
 * feldgate firmware entry: boot, site configuration, sensors, the reading cycle.
 * The loader in .bootcde evaluates this bundle from its app slot.
 */
import hw from "virtual:board";
import { VERSION } from "virtual:build";
import { log, why, ERROR, WARN, INFO } from "./log";
import { tallyRead, tallyWrite } from "./tally";
import { loadSite } from "./site";
import { every, start } from "./scheduler";
import { onReading, onEvent, QUALITY_WORDS, Q_OK } from "./reading";
import { describe, qtyWord } from "./quantities";
import { eventWords, EV_REFILL } from "./events";
import { readHealth } from "./health";
import { buildSensors, sampleAll, type SensorSet } from "./sensors";
import { SAMPLE_MAX_MS } from "./drivers/common";
import { queueInit, queueCycle, queueEvent, pending, MAX_COLS } from "./queue";
import { seqInit } from "./seq";

let set: SensorSet = { sensors: [], names: ["gateway"], error: "" };

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
  }, SAMPLE_MAX_MS + 100);
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
  log(INFO, "Boot number " + countBoot());
  try {
    seqInit();
    const waiting = queueInit();
    if (waiting > 0) log(INFO, "Readings kept from before the restart: " + waiting);
  } catch (e) {
    log(ERROR, "Buffer could not be read: " + why(e));
  }
  const r = loadSite(hw);
  const site = r.site;
  let error = r.error;
  if (!error) {
    set = buildSensors(site, hw, set.names);
    error = set.error;
  }
  if (error) log(ERROR, "Site configuration refused: " + error + ". Running without sensors until it is fixed.");
  else if (r.defaults) log(WARN, "No site configuration stored yet: running without sensors.");
  else log(INFO, 'Site "' + site.name + '": ' + site.sensors.length + " sensors, reading every " + Math.round(site.interval / 60) + " min");
  every("readings", site.interval * 1000, cycle, 2000);
  start();
}

try {
  main();
} catch (e) {
  log(ERROR, "Start-up failed: " + why(e));
}
