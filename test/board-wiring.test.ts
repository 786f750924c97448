/**
 * The boards' ports as wired, with each board's own bundle on the simulated
 * board, which behaves by the build's pins (boards/types.ts, BuildPins):
 * sensors that would fail in the field on the nRF52840 builds' buttons,
 * negated pins and pins without an ADC.
 */
import { describe, expect, it } from "vitest";
import fs from "node:fs";
import path from "node:path";
import { boardById } from "../boards/index";
import { DIST, type SimBoard } from "../scripts/sim/board";
import { PulseSource } from "../scripts/sim/models/pulses";
import { JsnSr04t } from "../scripts/sim/models/ultrasonic";
import { voltageOut } from "../scripts/sim/models/analog";
import { makeBoard, readingLines, siteWith } from "./helpers";

const DK = "nrf52840dk-wioe5";
const XIAO = "xiao-nrf52840-wioe5";

function pin(board: string, port: number, key: "adc" | "gpio" | "gpio2"): string {
  const p = boardById(board).hw.ports.find((x) => x.id === port)?.[key];
  if (!p) throw new Error(`${board} has no ${key} on port ${port}`);
  return p;
}

/** A board's built bundle with one text replaced, exactly once: a board file wired otherwise. */
function patched(board: string, from: string, to: string): string {
  const code = fs.readFileSync(path.join(DIST, `${board}.js`), "latin1");
  expect(code.split(from).length, from).toBe(2);
  return code.replace(from, to);
}

function started(sim: SimBoard): boolean {
  return sim.output().includes(`starting on ${sim.board.id}`);
}

describe("nRF52840 DK", () => {
  it("a reed-contact water meter on port 2 counts its pulses", () => {
    const sim = makeBoard(DK, { site: siteWith({ kind: "meter", name: "M", port: 2, litresPerPulse: 1 }) });
    const reed = new PulseSource(sim, pin(DK, 2, "gpio"), 0.05, true);
    sim.boot();
    sim.advance(10 * 60_000 + 5000);
    const last = readingLines(sim).at(-1)!;
    const total = Number(/M: total (\d+) L/.exec(last)?.[1]);
    expect(reed.sent).toBeGreaterThan(25);
    expect(Math.abs(total - reed.sent)).toBeLessThanOrEqual(1);
  });

  it("a JSN-SR04T on port 2 times its echo into the trough's level", () => {
    const sim = makeBoard(DK, { site: siteWith({ kind: "trough", name: "T", port: 2, sensor: "jsn-sr04t", depth: 600, length: 2000, width: 600, mount: 900 }) });
    new JsnSr04t(sim, pin(DK, 2, "gpio"), pin(DK, 2, "gpio2"), 500);
    sim.boot();
    sim.advance(5000);
    expect(readingLines(sim).at(-1)).toMatch(/T: level 400 mm/);
  });

  it("a meter whose contact is closed at power-on, on any port, leaves the firmware starting", () => {
    for (const port of boardById(DK).hw.ports.filter((p) => p.gpio)) {
      const sim = makeBoard(DK, { site: siteWith({ kind: "meter", name: "M", port: port.id }) });
      sim.pins.contact(port.gpio!, true);
      sim.boot();
      expect(started(sim), `port ${port.id}`).toBe(true);
    }
  });
});

describe("Seeed XIAO nRF52840", () => {
  it("a soil probe reading dry (2.8 V) at power-on, on any port, leaves the firmware starting", () => {
    for (const port of boardById(XIAO).hw.ports.filter((p) => p.adc)) {
      const sim = makeBoard(XIAO, { site: siteWith({ kind: "soil", name: "S", port: port.id }) });
      voltageOut(sim, port.adc!, 2.8);
      sim.boot();
      expect(started(sim), `port ${port.id}`).toBe(true);
      sim.advance(5000);
      expect(readingLines(sim).at(-1), `port ${port.id}`).toMatch(/S: soil moisture -?0\.\d %/);
    }
  });

  it("the battery is read on VBAT, which the divider feeds only while VBAT_ENABLE is switched on", () => {
    const sim = makeBoard(XIAO, { site: siteWith() });
    sim.boot();
    sim.advance(5000);
    expect(readingLines(sim).at(-1)).toMatch(/^supply 5\.00 V/);
  });

  it("an ADC input on a pin without an ADC reads no answer, never a value: a sensor's, and the supply's", () => {
    const soil = makeBoard(XIAO, { bundle: patched(XIAO, 'adc:"D0"', 'adc:"D8"'), site: siteWith({ kind: "soil", name: "S", port: 1 }) });
    voltageOut(soil, "D8", 2.0);
    soil.boot();
    soil.advance(5000);
    expect(readingLines(soil).at(-1)).toMatch(/S: soil moisture no answer/);
    const supply = makeBoard(XIAO, { bundle: patched(XIAO, '"D32"', '"D31"'), site: siteWith() });
    supply.pins.setVolts("D31", 1.5);
    supply.boot();
    supply.advance(5000);
    expect(readingLines(supply).at(-1)).toMatch(/^supply no answer/);
  });
});
