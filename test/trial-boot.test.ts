import { beforeAll, describe, expect, it } from "vitest";
import fs from "node:fs";
import path from "node:path";
import { flashedGateway, HOUR, newerDist, open, run, shut, siteFile, type Bench } from "./flashing";

/**
 * A new firmware written over USB runs on trial (docs/storage-layout.md,
 * "Boot control"): it confirms itself at its first stored reading cycle, and
 * one that does not is tried three times, then passed over for the one before.
 */
describe("a new firmware on trial", () => {
  // One gateway for the three, in order: each leaves it running the firmware it was flashed with, confirmed.
  let b: Bench;
  beforeAll(async () => {
    b = await flashedGateway("esp32-rak3172");
  });

  it("esp32-rak3172: a new firmware that stops at its start is sent back at once, and the gateway runs the one before", async () => {
    await open(b);
    const r = await run({ board: "esp32-rak3172", port: b.port, site: siteFile("esp32-rak3172"), dist: newerDist("0.2.0", (t) => 'if(require("Storage").read("fg.store"))throw new Error("a broken build");' + t) });
    await shut(b);
    expect(r.refused).toMatch(/did not start as it should: "Uncaught Error: a broken build".*runs the firmware it ran before again/);
    const mark = b.sim.console.length;
    b.sim.powerOff();
    b.sim.boot();
    b.sim.advance(HOUR);
    const out = b.sim.console.slice(mark).map((l) => l.text).join("\n");
    expect(out).toContain("feldgate 0.1.0 starting");
    expect(out).not.toContain("0.2.0");
  });

  it("esp32-rak3172: a new firmware whose self-test never passes is tried three times, then the one before runs again", async () => {
    await open(b);
    // Its self-test never passes: it starts, reads and sends, but its confirmation finds nothing to confirm.
    const errors = b.sim.errors.length;
    const never = newerDist("0.3.0", (t) => t.replace(/=global\.fgTrial;/, "=0;"));
    expect(fs.readFileSync(path.join(never, "esp32-rak3172.js"), "latin1")).not.toMatch(/=global\.fgTrial;/);
    const r = await run({ board: "esp32-rak3172", port: b.port, site: siteFile("esp32-rak3172"), dist: never });
    await shut(b);
    expect(r.refused, r.out.join("\n")).toBeUndefined();
    expect(r.out.join("\n")).toContain("on trial");
    const mark = b.sim.console.length;
    b.sim.advance(HOUR);
    const out = b.sim.console.slice(mark).map((l) => l.text).join("\n");
    expect(out.match(/no reading cycle stored in 10 min on trial: restarting/g)?.length).toBe(3);
    expect(out).toContain("the image on trial never confirmed itself in 3 boots; running the one before");
    expect([...out.matchAll(/feldgate (\S+) starting/g)].map((m) => m[1])).toEqual(["0.3.0", "0.3.0", "0.1.0"]);
    expect(b.sim.errors.slice(errors)).toEqual([]);
  });

  it("esp32-rak3172: a good new firmware confirms itself at its first reading cycle, and is no longer on trial", async () => {
    await open(b);
    const r = await run({ board: "esp32-rak3172", port: b.port, site: siteFile("esp32-rak3172"), dist: newerDist("0.4.0") });
    await shut(b);
    expect(r.refused, r.out.join("\n")).toBeUndefined();
    b.sim.advance(20 * 60_000);
    expect(b.sim.output()).toContain("the self-test passed; this firmware is confirmed");
    for (let i = 0; i < 4; i++) {
      const mark = b.sim.console.length;
      b.sim.powerOff();
      b.sim.boot();
      b.sim.advance(20 * 60_000);
      const out = b.sim.console.slice(mark).map((l) => l.text).join("\n");
      expect(out).toContain("feldgate 0.4.0 starting");
      expect(out).not.toContain("on trial");
    }
  });

});
