/**
 * Boot and faults: an alarm raised before a reboot is not raised again after
 * it, and a link or driver that cannot start is reported while the rest of
 * the gateway runs.
 */
import { describe, expect, it } from "vitest";
import { makeBoard, siteWith } from "./helpers";
import { transmitter } from "../scripts/sim/models/analog";
import { readStore } from "../scripts/store-reader";
import { ID } from "../src/store/storage-layout";

const soil = { kind: "soil", name: "S", port: 1 };

function count(text: string, what: string): number {
  return text.split("\n").filter((l) => l.includes(what)).length;
}

describe("alarms across reboots", () => {
  it("100 boots with a sensor unplugged raise its fault once; plugged in again, it is cleared once", () => {
    const sim = makeBoard("sim", { site: siteWith(soil), memoryBaseline: false });
    sim.fault("D36", { kind: "unplugged" });
    for (let i = 0; i < 100; i++) {
      sim.boot(i % 2 ? "software" : "power-on");
      sim.advance(4000);
    }
    const out = sim.output();
    expect(count(out, "INFO Readings: ")).toBe(100);
    expect(count(out, "soil moisture no answer")).toBe(100);
    expect(count(out, "ALARM S: sensor fault")).toBe(1);
    // Its state went into the flash store once, as one change of channel 1 with the sensor-fault bit (event 16) set.
    expect(readStore(sim, sim.board)!.counters.get(ID.alarmBase + 1)).toEqual([1, 1 << 16]);
    sim.fault("D36", null);
    sim.pins.setVolts("D36", 2.0);
    for (let i = 0; i < 3; i++) {
      sim.boot();
      sim.advance(4000);
    }
    expect(count(sim.output(), "Cleared: S: sensor fault")).toBe(1);
    expect(count(sim.output(), "ALARM S: sensor fault")).toBe(1);
  });

  it("an alarm of a level reading (high water) is kept too, and cleared when the water falls", () => {
    let mm = 3000;
    const river = { kind: "level", name: "R", port: 1, sensor: "4-20ma", rangeMm: 5000, highMm: 2000 };
    const sim = makeBoard("sim", { site: siteWith(river), memoryBaseline: false });
    transmitter(sim, "D36", 150, () => mm, 0, 5000);
    for (let i = 0; i < 10; i++) {
      sim.boot();
      sim.advance(4000);
    }
    expect(count(sim.output(), "ALARM R: high water")).toBe(1);
    mm = 1000;
    sim.advance(60_000);
    sim.boot();
    sim.advance(4000);
    expect(count(sim.output(), "Cleared: R: high water")).toBe(1);
    expect(count(sim.output(), "ALARM R: high water")).toBe(1);
  });

  it("a smoke alarm still sounding after a reboot is not raised again; one that stopped meanwhile is cleared at boot", () => {
    const sim = makeBoard("sim", { site: siteWith({ kind: "smoke", name: "F", port: 3 }), memoryBaseline: false });
    sim.pins.setLevel("D32", 1); // fault line closed: healthy
    sim.pins.setLevel("D27", 1); // in alarm
    sim.boot();
    sim.advance(4000);
    sim.boot("software");
    sim.advance(4000);
    expect(count(sim.output(), "ALARM F: SMOKE ALARM")).toBe(1);
    sim.powerOff();
    sim.pins.setLevel("D27", 0);
    sim.boot();
    sim.advance(4000);
    expect(count(sim.output(), "Cleared: F: SMOKE ALARM")).toBe(1);
    expect(count(sim.output(), "F: smoke quiet")).toBe(1);
  });
});
