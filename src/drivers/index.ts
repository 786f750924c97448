/**
 * The site's sensors: the drivers by site-configuration kind, as this board's
 * build includes them (boards/<board>.ts lists them; the build generates
 * virtual:drivers), built channel by channel from the site configuration and
 * sampled each cycle; only for a site that checkSite() accepted. Any sensor whose options are wrong refuses the whole
 * configuration: a half-configured site would report a misleading picture.
 */
import type { FirmwareHw } from "../../boards/types";
import type { Site } from "../config/site";
import type { Sensor } from "./driver";
import { releaseAll } from "./common";
import { why } from "../runtime/log";
// The drivers by kind: each one checks its options and throws an error naming the field when they are wrong.
import DRIVERS from "virtual:drivers";

export interface SensorSet {
  /** The sensors made, and running. */
  running: Sensor[];
  /** Channel names for log lines, by channel. */
  names: string[];
  error: string;
}
/** `names` is filled as sensors are made, so events raised while a sensor starts already carry its name. */
export function buildSensors(site: Site, hw: FirmwareHw, names: string[]): SensorSet {
  const sensors: Sensor[] = [];
  names.splice(0, names.length, "gateway");
  let ch = 1;
  for (let i = 0; i < site.sensors.length; i++) {
    const c = site.sensors[i];
    const field = "site.sensors[" + i + "]";
    // checkSite() has refused a kind this bundle has no driver for (src/config/site.ts).
    const make = DRIVERS[c.kind];
    try {
      const label = c.name || c.kind;
      names[ch] = label;
      const s = make(c, { hw: hw, ch: ch, field: field });
      sensors.push(s);
      for (let k = 0; k < s.channels; k++) names[ch + k] = label + (s.channels > 1 ? " " + (k + 1) : "");
      ch += s.channels;
    } catch (e) {
      closeSensors(sensors);
      names.splice(1, names.length);
      return { running: [], names: names, error: why(e) };
    }
  }
  return { running: sensors, names: names, error: "" };
}

export function closeSensors(sensors: Sensor[]): void {
  for (let i = 0; i < sensors.length; i++) sensors[i].close();
  sensors.splice(0, sensors.length);
  releaseAll();
}

export function sampleAll(sensors: Sensor[]): void {
  for (let i = 0; i < sensors.length; i++) sensors[i].sample();
}
