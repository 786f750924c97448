import { describe, expect, it } from "vitest";
import { FILE } from "../src/store/storage-layout";
import { flashedGateway, HOUR, newerDist, open, run, seqs, shut, siteFile } from "./flashing";

/**
 * npm run flash on a gateway that already runs feldgate, through the real
 * EspruinoTools CLI: the new image goes into the spare slot, and the
 * identity, the counters and the readings not yet sent stay.
 */
describe("npm run flash on a gateway that runs feldgate keeps its identity, counters and unsent readings", () => {
  it("esp32-rak3172: the new firmware in the store's slot, then the next in slot A in place; every reading delivered, no sequence number reused", async () => {
    const b = await flashedGateway("esp32-rak3172");
    const id = b.sim.storage.read(FILE.identity);
    const files = b.sim.storage.list().sort();
    // Six hours without coverage: readings wait in the store.
    b.lw.ns.up = false;
    b.sim.advance(6 * HOUR);
    const before = b.lw.ns.uplinks.length;
    const waiting = b.sim.output().match(/Waiting to be sent: (\d+)/g)!.length;
    expect(waiting).toBeGreaterThan(20);

    for (const [version, slot] of [["0.1.1", "B"], ["0.1.2", "A"]]) {
      await open(b);
      const r = await run({ board: "esp32-rak3172", port: b.port, site: siteFile("esp32-rak3172"), dist: newerDist(version) });
      await shut(b);
      expect(r.refused, r.out.join("\n")).toBeUndefined();
      const said = r.out.join("\n");
      expect(said).toContain(`into slot ${slot}`);
      expect(said).toContain("runs the new feldgate now");
      expect(said).toMatch(new RegExp(`INFO feldgate ${version.replace(/\./g, "\\.")} starting on esp32-rak3172`));
      expect(said).toMatch(/Readings kept over the restart: [1-9]\d*/);
      // Nothing in Storage was created, replaced or erased.
      expect(b.sim.storage.list().sort()).toEqual(files);
      expect(b.sim.storage.getStats().trashCount).toBe(0);
      expect(b.sim.storage.read(FILE.identity)).toBe(id);
      // A power cut after: the new firmware boots again.
      b.sim.powerOff();
      const mark = b.sim.console.length;
      b.sim.boot();
      b.sim.advance(5000);
      expect(b.sim.console.slice(mark).map((l) => l.text).join("\n")).toContain(`feldgate ${version} starting`);
    }

    // Coverage back: the backlog arrives, and no frame sequence number came twice.
    b.lw.ns.up = true;
    b.sim.advance(12 * HOUR);
    expect(b.lw.ns.uplinks.length).toBeGreaterThan(before);
    const s = seqs(b.lw);
    expect(new Set(s).size).toBe(s.length);
    // Every cycle stored reached the platform: the ones of the offline hours among them.
    const times = new Set([...b.lw.ns.readings.values()].map((r) => r.time));
    expect(times.size).toBeGreaterThanOrEqual(waiting);
    expect(b.sim.errors).toEqual([]);
  });

  it("nrf52840dk-wioe5, one slot only: refused, saying why and what to do, and the gateway runs on as before", async () => {
    const b = await flashedGateway("nrf52840dk-wioe5");
    const image = b.sim.storage.readBytes(FILE.appA);
    await open(b);
    const r = await run({ board: "nrf52840dk-wioe5", port: b.port, site: siteFile("nrf52840dk-wioe5"), dist: newerDist("0.1.1") });
    await shut(b);
    expect(r.refused).toMatch(/has room for one copy of the firmware only.*It runs as before.*--wipe/);
    expect(Buffer.from(b.sim.storage.readBytes(FILE.appA)!).equals(Buffer.from(image!))).toBe(true);
    const mark = b.sim.console.length;
    b.sim.advance(HOUR);
    expect(b.sim.console.slice(mark).some((l) => l.text.startsWith("INFO Readings:"))).toBe(true);
  });
});

