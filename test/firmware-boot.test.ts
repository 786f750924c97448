import { describe, expect, it } from "vitest";
import { bootBoard, makeBoard, demoSite, cycles } from "./helpers";
import { TALLY_SLOTS } from "../src/store/storage-layout";


describe("site configuration", () => {
  it("runs without sensors, and says so, when none is stored", () => {
    const sim = bootBoard("sim");
    expect(sim.output()).toContain("WARN No site configuration stored yet: running without sensors.");
  });

  const bad: [string, unknown, string][] = [
    ["wrong version", { ...demoSite, v: 2 }, "site.v: format version must be 1"],
    ["interval too short", { ...demoSite, interval: 5 }, "site.interval: whole seconds from 10 to 86400"],
    ["no such port", { ...demoSite, sensors: [{ kind: "trough", port: 9 }] }, "site.sensors[0].port: this board has no port 9"],
    ["a pin used twice", { ...demoSite, sensors: [{ kind: "trough", sensor: "4-20ma", port: 1, depth: 500, length: 1000, width: 500, rangeMm: 1000 }, { kind: "trough", sensor: "4-20ma", port: 1, depth: 500, length: 1000, width: 500, rangeMm: 1000 }] }, "site.sensors[1].port: port 1 adc is already in use"],
    ["an unknown kind", { ...demoSite, sensors: [{ kind: "teapot", port: 1 }] }, 'site.sensors[0].kind: unknown sensor kind "teapot"'],
    ["kind missing", { ...demoSite, sensors: [{ port: 1 }] }, "site.sensors[0].kind: missing"],
  ];
  for (const [what, site, message] of bad) {
    it(`refuses a configuration with ${what}, naming the field`, () => {
      const sim = bootBoard("sim", { site });
      expect(sim.output()).toContain(`ERROR Site configuration refused: ${message}`);
      sim.advance(4000);
      expect(cycles(sim)).toBe(1); // the gateway itself still reports
    });
  }

  it("refuses a configuration that is not JSON", () => {
    const sim = makeBoard("sim");
    sim.storage.write("fg.site", "{ not json");
    sim.boot();
    expect(sim.output()).toContain("site: stored configuration is not valid JSON");
  });
});

describe("scheduler", () => {
  it("keeps its rhythm through clock jumps", () => {
    const sim = bootBoard("sim", { site: demoSite });
    sim.advance(10 * 60_000);
    const before = cycles(sim);
    sim.jumpClock(86_400_000);
    sim.advance(5 * 60_000);
    sim.jumpClock(-3 * 3600_000);
    sim.advance(5 * 60_000);
    expect(cycles(sim) - before).toBe(10);
  });

  it("reports a failing job with its cause and keeps running", () => {
    const sim = bootBoard("sim", { site: demoSite });
    sim.pins.setVolts("D35", () => {
      throw new Error("ADC fault");
    });
    sim.advance(4000);
    expect(sim.output()).toContain("ERROR readings failed: ADC fault");
    sim.pins.setVolts("D35", 2.5);
    sim.advance(60_000);
    expect(sim.output()).toContain("Readings: supply 5.00 V");
  });
});

describe("boot count survives reboots", () => {
  it("counts every boot, across the roll-over of its tally file", () => {
    const sim = bootBoard("sim", { site: demoSite });
    for (let i = 0; i < 40; i++) sim.boot("software");
    expect(sim.output()).toContain("Boot number 41");
    expect(sim.storage.list(/^fg\.t\.boot/)).toHaveLength(1); // one twin holds the count; the full one was erased
  });
});

/**
 * Cuts power at every flash operation of a boot sequence, at several bytes
 * inside each, then powers the board again: it must boot, read, and never
 * count boots backwards.
 */
describe("power cut at every Storage write of a boot sequence", () => {
  const scenarios: [string, number][] = [
    ["first boot", 0],
    ["second boot", 1],
    ["boot that rolls the tally file over", TALLY_SLOTS],
  ];
  const tornAt = [0, 4, 8, 12, 31];

  for (const [name, priorBoots] of scenarios) {
    it(name, () => {
      const prepare = () => {
        const sim = bootBoard("sim", { site: demoSite });
        for (let i = 1; i < priorBoots; i++) sim.boot("software");
        if (priorBoots === 0) {
          const fresh = makeBoard("sim", { site: demoSite });
          return { sim: fresh, lastCount: 0 };
        }
        return { sim, lastCount: priorBoots };
      };
      // How many flash operations does this boot sequence make?
      const probe = prepare();
      probe.sim.armPowerCut(null);
      probe.sim.boot();
      probe.sim.advance(4000);
      const ops = probe.sim.flash.opsCounted;
      expect(ops).toBeGreaterThan(0);

      const tested: string[] = [];
      for (let op = 1; op <= ops; op++) {
        for (const k of tornAt) {
          const { sim, lastCount } = prepare();
          sim.armPowerCut({ atOp: op, tornAt: k });
          sim.boot();
          sim.advance(4000);
          expect(sim.powered).toBe(false);
          const mark = sim.console.length;
          sim.boot();
          sim.advance(4000);
          const out = sim.console.slice(mark).map((l) => l.text).join("\n");
          expect(sim.errors).toEqual([]);
          expect(out).toContain("Readings: supply 5.00 V");
          const n = Number(/Boot number (\d+)/.exec(out)![1]);
          expect(n).toBeGreaterThan(lastCount);
          tested.push(`op ${op}/${ops} byte ${k}`);
        }
      }
      console.log(`${name}: power cut at ${tested.length} positions: ${tested.join(", ")}`);
    });
  }
});
