/**
 * The site configuration in the store's settings (src/store/settings.ts) when
 * it takes several records (parts): read back after reboots and across
 * settings pages turning over, and after a power cut at every flash operation
 * of a store, the old configuration or the new one, whole.
 */
import { describe, expect, it } from "vitest";
import fs from "node:fs";
import path from "node:path";
import { SimBoard, DIST } from "../scripts/sim/board";
import { boardById } from "../boards/index";

const probe = fs.readFileSync(path.join(DIST, "probes/queue.js"), "latin1");
const b = boardById("sim");
const geometry = [b.flash.storageStart + b.storage.bytes, 0, 0].join(", ");

function rig(): SimBoard {
  const sim = new SimBoard({ board: "sim", seed: 3 });
  sim.install(probe);
  sim.boot();
  sim.eval(`fgQ.init(${geometry})`);
  return sim;
}

/** A configuration of about n + 40 characters: 228 a part, so up to five parts. */
function site(n: number, name: string): string {
  return JSON.stringify({ v: 1, name: name, interval: 900, sensors: [], note: "x".repeat(n) });
}

describe("a site configuration of several parts", () => {
  it("reads back whole after reboots and while settings pages turn over", () => {
    const sim = rig();
    let last = "";
    for (let i = 0; i < 120; i++) {
      last = site(200 + ((i * 37) % 700), "site " + i);
      sim.eval(`fgQ.siteStore(${JSON.stringify(last)})`);
      for (let k = 0; k < 5; k++) sim.eval("fgQ.seqNext()");
      if (i % 7 === 3) {
        sim.boot();
        sim.eval(`fgQ.init(${geometry})`);
      }
      expect(sim.eval<string>("fgQ.siteText()")).toBe(last);
    }
  });

  // After 3, 4 and 9 earlier stores the new one fits its page, fills it, or opens the next and copies the settings over.
  for (const earlier of [3, 4, 9]) {
    it(`a cut at every operation of a store after ${earlier} others leaves the old one or the new one`, () => {
      const setup = () => {
        const sim = rig();
        for (let i = 0; i < earlier; i++) sim.eval(`fgQ.siteStore(${JSON.stringify(site(700, "old " + i))})`);
        return sim;
      };
      const old = site(700, "old " + (earlier - 1));
      const neu = site(900, "new");
      const uncut = setup();
      uncut.armPowerCut(null);
      uncut.eval(`fgQ.siteStore(${JSON.stringify(neu)})`);
      const ops = uncut.flash.opsCounted;
      let news = 0;
      for (let op = 1; op <= ops; op++) {
        for (const tornAt of [0, 3, 9]) {
          const sim = setup();
          sim.armPowerCut({ atOp: op, tornAt: tornAt });
          try {
            sim.eval(`fgQ.siteStore(${JSON.stringify(neu)})`);
          } catch {
            // the realm is gone with the power
          }
          sim.boot();
          sim.eval(`fgQ.init(${geometry})`);
          const got = sim.eval<string>("fgQ.siteText()");
          expect([old, neu]).toContain(got);
          if (got === neu) news++;
        }
      }
      // The new one is whole only once its last part has been written: a cut in the last operation at most.
      expect(news).toBeLessThanOrEqual(3);
    });
  }
});
