import { describe, expect, it } from "vitest";
import fs from "node:fs";
import path from "node:path";
import { boards, type Board } from "../boards/index";
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

  it("the tight board: its app stored under the 24 KB line", () => {
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
    expect(esp).toContain('"D25"');
    expect(nrf).not.toContain('"D25"');
    expect(nrf).toContain('"D28"');
  });
});

/** Every pin a board file wires, with what it is for. */
function wiring(b: Board): { pin: string; use: string; output: boolean; sensor: boolean }[] {
  const out: { pin: string; use: string; output: boolean; sensor: boolean }[] = [];
  const add = (pin: string | undefined, use: string, output: boolean, sensor = true) => pin !== undefined && out.push({ pin, use, output, sensor });
  for (const p of b.hw.ports) {
    add(p.adc, `port ${p.id} adc`, false);
    add(p.gpio, `port ${p.id} gpio`, true);
    add(p.gpio2, `port ${p.id} gpio2`, true);
    add(p.onewire, `port ${p.id} onewire`, true);
    add(p.uart?.rx, `port ${p.id} uart rx`, false);
    add(p.uart?.tx, `port ${p.id} uart tx`, true);
    add(p.de, `port ${p.id} de`, true);
  }
  add(b.hw.i2c?.scl, "i2c scl", true);
  add(b.hw.i2c?.sda, "i2c sda", true);
  add(b.hw.modem?.uart.rx, "modem rx", false);
  add(b.hw.modem?.uart.tx, "modem tx", true);
  add(b.hw.modem?.reset, "modem reset", true);
  // The supply's divider and its switch are the board's own pins, taken on purpose.
  add(b.hw.supply?.pin, "supply", false, false);
  add(b.hw.supply?.enable, "supply enable", true, false);
  return out;
}

describe("each board's wiring against its build's pins (boards/types.ts, BuildPins)", () => {
  for (const b of boards) {
    const pins = b.pins;
    const w = wiring(b);
    const where = (f: (x: (typeof w)[number]) => boolean) => w.filter(f).map((x) => `${x.use} ${x.pin}`);

    it(`${b.id}: every pin it wires exists on the ${b.espruinoBuild === "LINUX" ? "ESP32" : b.espruinoBuild} build, and none is used twice`, () => {
      expect(where((x) => !/^D\d+$/.test(x.pin) || +x.pin.slice(1) >= pins.count)).toEqual([]);
      const seen = new Map<string, string>();
      const twice: string[] = [];
      for (const x of w) {
        if (seen.has(x.pin)) twice.push(`${x.pin}: ${seen.get(x.pin)} and ${x.use}`);
        seen.set(x.pin, x.use);
      }
      expect(twice).toEqual([]);
    });

    it(`${b.id}: no sensor, bus or modem on the autoload pin, a negated pin, a pin the board uses itself, or a strapping pin`, () => {
      expect(where((x) => x.pin === pins.autoload)).toEqual([]);
      expect(where((x) => x.sensor && pins.negated.includes(x.pin))).toEqual([]);
      expect(where((x) => x.sensor && x.pin in pins.taken)).toEqual([]);
      expect(where((x) => (pins.strapping ?? []).includes(x.pin))).toEqual([]);
    });

    it(`${b.id}: every ADC input has an ADC, and nothing that drives a line is on an input-only pin`, () => {
      expect(where((x) => (x.use.endsWith("adc") || x.use === "supply") && !pins.adc.includes(x.pin))).toEqual([]);
      expect(where((x) => x.output && (pins.inputOnly ?? []).includes(x.pin))).toEqual([]);
    });

    it(`${b.id}: every UART it names exists on the build, and none is the console's`, () => {
      const uarts = [b.hw.modem?.uart.serial, ...b.hw.ports.map((p) => p.uart?.serial)].filter((s): s is string => !!s);
      for (const s of uarts) {
        expect(+s.replace("Serial", ""), s).toBeLessThanOrEqual(pins.serials);
        expect(s).not.toBe(pins.console);
      }
      expect(new Set(uarts).size).toBe(uarts.length);
    });
  }
});
