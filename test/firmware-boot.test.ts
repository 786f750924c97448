import { describe, expect, it } from "vitest";
import { bootBoard, makeBoard, demoSite, cycles } from "./helpers";
import { ID } from "../src/store/storage-layout";
import { LINUX_FLASH } from "../boards/sim";
import { readStore } from "../scripts/store-reader";
import type { SimBoard } from "../scripts/sim/board";

/** The Linux build's 1 KB pages: a settings page holds 63 counter records, so pages turn over within a few dozen boots. */
const small = { site: demoSite, flash: LINUX_FLASH };

/** Settings pages in use, and the bytes left in the newest. */
function settingsState(sim: SimBoard): { live: number; left: number } {
  const v = readStore(sim, sim.board)!;
  const pages = v.pages.filter((p) => p.area === "settings" && p.kind === 4).sort((a, b) => a.seq - b.seq);
  return { live: pages.length, left: v.pageBytes - 8 - pages[pages.length - 1].used };
}


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
    ["an unknown kind", { ...demoSite, sensors: [{ kind: "teapot", port: 1 }] }, "site.sensors[0].kind: teapot is not in this firmware, only trough,pump,smoke,level,meter,temp,soil"],
    ["a kind that is no driver's", { ...demoSite, sensors: [{ kind: "constructor", port: 1 }] }, "site.sensors[0].kind: constructor is not in this firmware"],
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
  it("counts every boot, across settings pages turning over, with 1 KB pages and no Storage file written", () => {
    const sim = bootBoard("sim", small);
    const files = sim.storage.list().sort();
    for (let i = 0; i < 100; i++) sim.boot("software");
    expect(sim.output()).toContain("Boot number 101");
    expect(readStore(sim, sim.board)!.counters.get(ID.boot)).toEqual([101, 0]);
    expect(sim.storage.list().sort()).toEqual(files);
    expect(sim.storage.getStats().trashBytes).toBe(0);
  });
});

/**
 * Cuts power at every flash operation of a boot sequence, at several bytes
 * inside each, then powers the board again: it must boot, read, and never
 * count boots backwards.
 */
describe("power cut at every flash operation of a boot sequence", () => {
  /** The boots before the one cut: none, one, or as many as leave the settings ring one record short of collecting its oldest page. */
  const scenarios: [string, "none" | "one" | "turnover"][] = [
    ["first boot, which creates the store", "none"],
    ["second boot", "one"],
    ["boot that turns a settings page over and retires the oldest (1 KB pages)", "turnover"],
  ];
  const tornAt = [0, 4, 8, 12, 31];

  for (const [name, prior] of scenarios) {
    it(name, () => {
      let snapshot: Uint8Array | null = null;
      let boots = 0;
      const prepare = () => {
        if (prior === "none") return { sim: makeBoard("sim", { site: demoSite }), lastCount: 0 };
        const opts = prior === "turnover" ? small : { site: demoSite };
        if (!snapshot) {
          const sim = bootBoard("sim", opts);
          boots = 1;
          // Two settings pages in use and the newest nearly full: the next boot opens the third and collects the first.
          while (prior === "turnover" && !(settingsState(sim).live === 2 && settingsState(sim).left < 40)) {
            sim.boot("software");
            boots++;
          }
          sim.powerOff();
          snapshot = Uint8Array.from(sim.flash.bytes);
        }
        const sim = makeBoard("sim", opts);
        sim.flash.bytes.set(snapshot);
        return { sim, lastCount: boots };
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
