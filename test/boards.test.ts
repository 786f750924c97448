import { describe, expect, it } from "vitest";
import fs from "node:fs";
import path from "node:path";
import { boards } from "../boards/index";
import { DIST } from "../scripts/sim/board";
import { budgetFromDist } from "../scripts/budget";
import { SETTINGS_PAGES_MIN } from "../src/store/storage-layout";
import { checkBundle } from "../scripts/build/gate";
import { bootBoard, demoSite } from "./helpers";

describe("every board's own bundle on the simulated board", () => {
  for (const b of boards) {
    it(`${b.id}: boots and completes a reading cycle`, () => {
      const sim = bootBoard(b.id, { site: demoSite });
      sim.advance(4000);
      const out = sim.output();
      expect(out).toContain(`starting on ${b.id}`);
      expect(out).toContain('Site "Test site"');
      expect(out).toMatch(/Readings: supply 5\.00 V, inside the box 31\.0 °C/);
      expect(sim.errors).toEqual([]);
      sim.advance(24 * 3600_000);
      expect(sim.resets.map((r) => r.cause)).toEqual(["power-on"]); // the watchdog never bit
      expect(out.split("\n").filter((l) => l.startsWith("INFO Readings")).length).toBe(1);
    });

    it(`${b.id}: the bundle passes the gate for its own build`, () => {
      const code = fs.readFileSync(path.join(DIST, `${b.id}.js`), "utf8");
      expect(checkBundle(code, { es5: true, modules: b.modules })).toEqual([]);
      expect(code).toMatch(/^[\x20-\x7e\n]*$/); // ASCII only: strings stay 8-bit on the interpreter
    });
  }

  it("the tight board: its app stored under the 24 KB line", () => {
    const b = budgetFromDist(boards.find((x) => x.id === "nrf52840dk-wioe5")!, DIST);
    expect(b.slotBytes).toBeLessThan(24 * 1024); // stored compressed
  });

  it("the tight board: Storage leaves the store two settings pages, and the flash beside it holds a week of readings", () => {
    const b = budgetFromDist(boards.find((x) => x.id === "nrf52840dk-wioe5")!, DIST);
    expect(b.storePages.settings).toBeGreaterThanOrEqual(SETTINGS_PAGES_MIN);
    // Seven sensors every 15 minutes for seven days, at 3 bytes a reading (the bench measures it).
    expect(b.bufferBytes).toBeGreaterThanOrEqual(7 * 7 * 96 * 3);
  });

  it("a board's bundle carries its own pins and no other board's", () => {
    const esp = fs.readFileSync(path.join(DIST, "esp32-wifi.js"), "utf8");
    const nrf = fs.readFileSync(path.join(DIST, "nrf52840dk-wioe5.js"), "utf8");
    expect(esp).toContain('"D36"');
    expect(nrf).not.toContain('"D36"');
    expect(nrf).toContain('"D28"');
  });
});
