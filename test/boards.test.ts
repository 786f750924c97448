import { describe, expect, it } from "vitest";
import fs from "node:fs";
import path from "node:path";
import { boards } from "../boards/index";
import { DIST } from "../scripts/sim/board";
import { budgetFromDist } from "../scripts/budget";
import { SETTINGS_PAGES_MIN } from "../src/store/storage-layout";
import { checkBundle } from "../scripts/build/gate";
import { bootBoard, demoSite } from "./helpers";
import { fillBuffer, FILL_READINGS_PER_CYCLE } from "../scripts/fill";

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

  // Known to fail: with the flash store the DK's app is about 1.6 KB over this line
  // (issue 12 waits on a decision). it.fails keeps the line checked: it turns red
  // the day the app fits, and then becomes a plain it() again.
  it.fails("the tight board: its app stored under the 24 KB line (known over it)", () => {
    const b = budgetFromDist(boards.find((x) => x.id === "nrf52840dk-wioe5")!, DIST);
    expect(b.slotBytes).toBeLessThan(24 * 1024); // stored compressed
  });

  it("the tight board: Storage leaves the store two settings pages", () => {
    const b = budgetFromDist(boards.find((x) => x.id === "nrf52840dk-wioe5")!, DIST);
    expect(b.storePages.settings).toBeGreaterThanOrEqual(SETTINGS_PAGES_MIN);
  });

  // Measured, never computed: the board's own bundle runs with no link until its buffer is full.
  it("the tight board's buffer, filled by its own bundle: over a week of 7 readings every 15 minutes, then the oldest dropped and the log says so", () => {
    const f = fillBuffer("nrf52840dk-wioe5");
    console.log(`nrf52840dk-wioe5: ${f.readingsHeld} readings held (${f.days.toFixed(1)} days) when the buffer first dropped ${f.dropped}`);
    expect(f.days).toBeGreaterThan(7);
    expect(f.dropLine).toBe(`WARN Buffer full: the oldest ${f.dropped} readings were dropped`);
    expect(f.refused).toBe(0);
    // The first page's cycles went, and the cycle that found the buffer full opened the newest page.
    expect(f.oldestHeld).toBeGreaterThan(0);
    expect(f.dropped).toBe(f.oldestHeld * FILL_READINGS_PER_CYCLE);
    expect(f.newestHeld).toBe(f.cycles - 1);
  }, 600_000);

  it("a board's bundle carries its own pins and no other board's", () => {
    const esp = fs.readFileSync(path.join(DIST, "esp32-wifi.js"), "utf8");
    const nrf = fs.readFileSync(path.join(DIST, "nrf52840dk-wioe5.js"), "utf8");
    expect(esp).toContain('"D36"');
    expect(nrf).not.toContain('"D36"');
    expect(nrf).toContain('"D28"');
  });
});
