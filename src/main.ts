/**
 * feldgate firmware entry: boot, site configuration, the reading cycle.
 * The loader in .bootcde evaluates this bundle from its app slot.
 */
import hw from "virtual:board";
import { VERSION } from "virtual:build";
import { log, why, ERROR, WARN, INFO } from "./log";
import { tallyRead, tallyWrite } from "./tally";
import { loadSite, type Site } from "./site";
import { every, start } from "./scheduler";
import { onReading, QUALITY_WORDS, Q_OK, type Reading } from "./reading";
import { describe } from "./quantities";
import { readHealth } from "./health";

/** Log sink: one plain line per cycle, in words a technician reads at a glance. */
let line = "";
onReading(function (r: Reading) {
  const text = r.q === Q_OK ? describe(r.qty, r.value) : describe(r.qty, r.value).split(" ")[0] + " " + QUALITY_WORDS[r.q];
  line += (line ? ", " : "") + (r.ch ? "#" + r.ch + " " : "") + text;
});

function cycle(): void {
  line = "";
  readHealth(hw, Math.floor(getTime()));
  log(INFO, "Readings: " + line);
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
  const boots = countBoot();
  log(INFO, "Boot number " + boots);
  const r = loadSite(hw);
  let site: Site = r.site;
  if (r.error) log(ERROR, "Site configuration refused: " + r.error + ". Running without sensors until it is fixed.");
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
