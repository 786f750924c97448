import { afterAll, describe, expect, it } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { encode as cborEncode } from "cbor-x";
import { DIST, SimBoard } from "../scripts/sim/board";
import { serveConsole } from "../scripts/sim/console";
import { attachModem } from "../scripts/sim/lorawan";
import { standardWorld } from "../scripts/sim/world";
import { flash, Refusal } from "../scripts/flash";
import { budgetFromDist, slotImage } from "../scripts/budget";
import { buildSiteBundle, siteDrivers, DriverChoiceError } from "../scripts/build/site";
import { boardById } from "../boards/index";
import { ALL_DRIVERS } from "../boards/types";
import { FILE } from "../src/store/storage-layout";
import { storedSite } from "./helpers";

/**
 * Only what the site needs: npm run flash builds a bundle with the drivers of
 * the site's sensors (and those of --drivers) and no others; the rest of the
 * board's drivers stay out, and their bytes stay free.
 */

const DK = boardById("nrf52840dk-wioe5");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "feldgate-site-drivers-"));
const cache = path.join(tmp, "cache");
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const water = { kind: "temp", name: "Water", port: 4, count: 1 };
const site = (sensors: object[]) => ({ v: 1, name: "Weide Nord", interval: 900, sensors });

/**
 * What only one driver's own file has, of all the firmware's sources: the
 * options it reads (`c.maxC`, `num(c, "maxC", …)`) and its own messages. Its
 * code is in a bundle when they are: option names are never shortened (they
 * come from JSON), nor is text.
 */
function ownMarks(): Record<string, string[]> {
  const src = path.join(__dirname, "../src");
  const files = fs.readdirSync(src, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts")).map((f) => path.join(src, f));
  const text = new Map(files.map((f) => [f, fs.readFileSync(f, "utf8")]));
  const out: Record<string, string[]> = {};
  for (const k of ALL_DRIVERS) {
    const own = path.join(src, "drivers", k + ".ts");
    const marks = new Set([...text.get(own)!.matchAll(/\bc\.(\w+)|\(c, "(\w+)"|"([A-Za-z][\w ,:;.{}()-]{11,})"/g)].map((m) => m[1] ?? m[2] ?? m[3]));
    const elsewhere = (o: string, t: string) => (/^\w+$/.test(o) ? new RegExp(`\\b${o}\\b`).test(t) : t.includes(o));
    out[k] = [...marks].filter((o) => files.every((f) => f === own || !elsewhere(o, text.get(f)!)));
  }
  return out;
}

/** The mark in a bundle: a string, or a property read. */
const has = (code: string, o: string) => code.includes(`"${o}"`) || code.includes(`.${o}`);

/** The DK's bundle for a temperature site with the trough added: built once, by whichever test comes first. */
const tempTrough = () => buildSiteBundle(DK, ["temp", "trough"], cache);

describe("which drivers a site's bundle holds", () => {
  it("the site's kinds and the extras, in the board file's order; unknown kinds and kinds the board leaves out are refused, naming what it offers", () => {
    expect(siteDrivers(DK, site([water, { kind: "trough", port: 1 }]))).toEqual(["trough", "temp"]);
    expect(siteDrivers(DK, site([water]), ["soil", "temp"])).toEqual(["temp", "soil"]);
    expect(siteDrivers(DK, site([]))).toEqual([]);
    // A sensor without a kind is the site's checks' to name.
    expect(siteDrivers(DK, site([{ port: 1 }]))).toEqual([]);
    expect(() => siteDrivers(DK, site([water, { kind: "pump", port: 2 }]))).toThrow(DriverChoiceError);
    expect(() => siteDrivers(DK, site([water, { kind: "pump", port: 2 }]))).toThrow(
      'site.sensors[1].kind: nrf52840dk-wioe5 has no "pump" driver (its board file leaves it out); nrf52840dk-wioe5 offers trough, level, meter, temp, soil.',
    );
    expect(() => siteDrivers(DK, site([water]), ["teapot"])).toThrow('--drivers: there is no "teapot" driver; nrf52840dk-wioe5 offers trough, level, meter, temp, soil.');
    expect(siteDrivers(boardById("esp32-rak3172"), site([{ kind: "pump", port: 2 }]))).toEqual(["pump"]);
  });
});

describe("npm run flash refuses drivers the board cannot carry, before it asks the board anything", () => {
  for (const [what, sensors, drivers, message] of [
    ["a kind the board file leaves out", [water, { kind: "pump", port: 2 }], [], /^site.sensors\[1\].kind: nrf52840dk-wioe5 has no "pump" driver .*offers trough, level, meter, temp, soil\. Fix the site file or --drivers/],
    ["an unknown kind with --drivers", [water], ["teapot"], /^--drivers: there is no "teapot" driver; nrf52840dk-wioe5 offers/],
  ] as [string, object[], string[], RegExp][])
    it(what, async () => {
      const file = path.join(tmp, `refused-${drivers.length}.json`);
      fs.writeFileSync(file, JSON.stringify(site(sensors)));
      const out: string[] = [];
      // Nothing listens on port 1: the board would be asked only after the drivers are chosen.
      const r = await flash({ board: DK.id, port: "tcp://127.0.0.1:1", site: file, wipe: false, keysDir: path.join(tmp, "keys"), build: true, dist: DIST, drivers, siteCache: cache }, (l) => out.push(l)).then(
        () => "",
        (e) => (e instanceof Refusal ? e.message : Promise.reject(e)),
      );
      expect(r).toMatch(message);
      expect(out.join("\n")).not.toContain("Building");
    });
});

describe("npm run flash writes the site's bundle", () => {
  it("end to end through the CLI: --drivers adds one, the summary names them, and a downlink for a kind left out is refused with the configuration unchanged", async () => {
    const sim = new SimBoard({ board: DK.id, seed: 3, memoryBaseline: false });
    standardWorld(sim);
    const lw = attachModem(sim);
    lw.ns.up = false;
    sim.boot();
    const server = await serveConsole(sim, { port: 0 });
    const file = path.join(tmp, "site.json");
    fs.writeFileSync(file, JSON.stringify(site([water])));
    const out: string[] = [];
    try {
      try {
        await flash({ board: DK.id, port: `tcp://127.0.0.1:${server.port}`, site: file, wipe: false, keysDir: path.join(tmp, "keys"), build: true, dist: DIST, drivers: ["trough"], siteCache: cache }, (l) => out.push(l));
      } catch (e) {
        if (e instanceof Refusal) throw new Error("refused: " + e.message + "\n" + out.join("\n"));
        throw e;
      }
    } finally {
      await server.close();
    }
    const said = out.join("\n");
    expect(said).toContain(`Building feldgate for ${DK.id} with the drivers trough, temp ...`);
    expect(said).toContain(`  - the drivers trough, temp, and no others of ${DK.id}'s`);
    expect(said).toContain("is a feldgate gateway now");

    // What went on the board is the site's bundle, with the trough's code and without the level's.
    const sb = await tempTrough();
    expect(sb.cached).toBe(true);
    const bundle = fs.readFileSync(path.join(sb.dir, `${DK.id}.js`));
    expect(Buffer.from(sim.storage.readBytes(FILE.appA)!).equals(Buffer.from(slotImage(DK, new Uint8Array(bundle))))).toBe(true);

    // Joined with the export's keys; then the platform asks for a pump and a level sensor, which this bundle lacks.
    const keys = JSON.parse(fs.readFileSync(/The keys are in (.*) \(only you can read it\)/.exec(said)![1], "utf8"));
    lw.ns.up = true;
    lw.ns.register(keys.devEui, keys.appKey);
    expect(sim.runUntil(() => lw.ns.uplinks.length > 0, 3 * 3600_000)).toBe(true);
    const before = storedSite(sim);
    lw.ns.queueDownlink({ command: "set_sensor", counter: 5, sensor: 0, options: { kind: "level" } });
    (lw.ns as any).downlinks.push({ port: 11, bytes: Array.from(cborEncode([1, 6, 2, 0, { kind: "pump", port: 2 }])) });
    // A change the bundle can make goes on as before.
    lw.ns.queueDownlink({ command: "set_sensor", counter: 7, sensor: 0, options: { maxC: 20 } });
    expect(sim.runUntil(() => lw.ns.status.length >= 3, 6 * 3600_000)).toBe(true);
    expect(lw.ns.status[0]).toEqual({ counter: 5, result: "kind_not_in_firmware", detail: "site.sensors[0].kind: level is not in this firmware, only trough,temp" });
    expect(lw.ns.status[1]).toEqual({ counter: 6, result: "kind_not_in_firmware", detail: "site.sensors[0].kind: pump is not in this firmware, only trough,temp" });
    expect(lw.ns.status[2]).toEqual({ counter: 7, result: "accepted", detail: undefined });
    expect(storedSite(sim)).toEqual({ ...before, sensors: [{ ...before.sensors[0], maxC: 20 }] });
    expect(sim.output()).not.toContain("Sensor change from the platform refused");
    expect(sim.errors).toEqual([]);
  }, 120_000);

  it("its code: the DS18B20's and the trough's drivers, and nothing of any other", async () => {
    const code = fs.readFileSync(path.join((await tempTrough()).dir, `${DK.id}.js`), "latin1");
    const own = ownMarks();
    for (const k of ALL_DRIVERS) {
      expect(own[k].length, k).toBeGreaterThan(0);
      for (const o of own[k]) expect(has(code, o), `${k}: ${o}`).toBe(k === "temp" || k === "trough");
    }
    // The full bundle reads them all: the test looks for what it means to.
    const full = fs.readFileSync(path.join(DIST, `${DK.id}.js`), "latin1");
    for (const k of DK.drivers) for (const o of own[k]) expect(has(full, o), `${k}: ${o}`).toBe(true);
  });

  it("is smaller than the full bundle, and leaves the difference free in the DK's Storage", async () => {
    const s = budgetFromDist(DK, (await tempTrough()).dir);
    const f = budgetFromDist(DK, DIST);
    console.log(`${DK.id}: temp + trough site bundle ${s.bundleBytes} B (${s.slotBytes} stored), full ${f.bundleBytes} B (${f.slotBytes} stored)`);
    expect(s.bundleBytes).toBeLessThan(f.bundleBytes - 1000);
    expect(s.slotBytes).toBeLessThan(f.slotBytes - 500);
    expect(s.storageUsed).toBeLessThan(f.storageUsed);
    expect(s.bufferBytes).toBeGreaterThanOrEqual(f.bufferBytes);
  });

  it("a site file naming a kind the bundle lacks is refused at boot, naming what it has", async () => {
    const sim = new SimBoard({ board: DK.id, dist: (await tempTrough()).dir, memoryBaseline: false });
    sim.install();
    sim.writeSite(site([{ kind: "level", port: 1 }]));
    standardWorld(sim);
    sim.boot();
    sim.advance(3000);
    expect(sim.output()).toContain("Site configuration refused: site.sensors[0].kind: level is not in this firmware, only trough,temp. Running without sensors until it is fixed.");
    expect(sim.errors).toEqual([]);
  });
});
