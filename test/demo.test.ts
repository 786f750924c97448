import { describe, expect, it } from "vitest";
import fs from "node:fs";
import path from "node:path";
import { SimBoard } from "../scripts/sim/board";
import { demoWorld } from "../scripts/sim/world";
import { humanLine } from "../scripts/sim/format";

describe("npm start's demo site", () => {
  it("shows trough, pump station and smoke detector readings, and alarms raised and cleared", () => {
    const site = JSON.parse(fs.readFileSync(path.join(__dirname, "../scripts/sites/demo.json"), "utf8"));
    const sim = new SimBoard({ board: "sim", seed: 7 });
    sim.install();
    sim.writeSite(site);
    demoWorld(sim);
    sim.boot();
    sim.advance(3 * 3600_000);
    const out = sim.console.map((l) => l.text);
    expect(sim.errors).toEqual([]);
    const at = (s: string) => out.indexOf(s);
    expect(at("WARN ALARM Trough: water level low")).toBeGreaterThan(0);
    expect(at("INFO Cleared: Trough: water level low")).toBeGreaterThan(at("WARN ALARM Trough: water level low"));
    expect(at("INFO Cleared: Barn smoke detector: SMOKE ALARM")).toBeGreaterThan(at("WARN ALARM Barn smoke detector: SMOKE ALARM"));
    const readings = out.filter((l) => l.startsWith("INFO Readings"));
    expect(readings.length).toBe(12);
    expect(readings[1]).toMatch(/Trough: level 480 mm.*Well pump: running.*pressure 3\.\d\d bar.*Barn smoke detector: smoke quiet; Water temperature: temperature 9\.5/);
    expect(humanLine(sim, readings[0]).split("\n")[1].trim()).toBe("Gateway: supply 5.00 V, inside the box 31.0 \u00b0C");
  });
});
