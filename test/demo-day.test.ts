/**
 * The bytes on the wire stay as they are: a day of `npm start` (the demo site
 * over LoRaWAN, seed 7) must send the frames recorded in
 * test/fixtures/demo-day-frames.txt, byte for byte.
 *
 * One figure is masked: health key 12 is the Storage left free, which follows
 * the bundle's own size and the store's by design. Its value, whatever width
 * its CBOR head gives it, is blanked in both the recording and the run;
 * everything else must match.
 *
 * To record anew (only when the frame format is meant to change):
 *   FG_RECORD_DAY=1 npx vitest run test/demo-day.test.ts
 */
import { describe, expect, it } from "vitest";
import fs from "node:fs";
import path from "node:path";
import { SimBoard } from "../scripts/sim/board";
import { demoWorld } from "../scripts/sim/world";
import { attachLorawan } from "../scripts/sim/lorawan";

const FIXTURE = path.join(__dirname, "fixtures/demo-day-frames.txt");

/** fPort, confirmed flag and payload hex of every uplink of a simulated day of `npm start`. */
function recordDay(): string[] {
  const site = JSON.parse(fs.readFileSync(path.join(__dirname, "../scripts/sites/demo.json"), "utf8"));
  const sim = new SimBoard({ board: "sim", seed: 7 });
  sim.install();
  sim.writeSite(site);
  demoWorld(sim);
  const lw = attachLorawan(sim);
  sim.boot();
  sim.advance(24 * 3600_000);
  sim.powerOff();
  expect(sim.errors).toEqual([]);
  return lw.ns.uplinks.map((u) => `${u.fPort} ${u.confirmed ? "c" : "u"} ${Buffer.from(u.bytes).toString("hex")}`);
}

/** Blanks the value of health key 12 (an unsigned integer of 1, 2 or 4 bytes after the key byte 0x0c) inside a health note. */
function maskStorageFree(line: string): string {
  const hex = line.split(" ")[2];
  // The health note is {2: {1: uptime, …, 12: free, …}}: key 12 is the byte 0c, then 18, 19 or 1a and its bytes.
  const m = /0c(18[0-9a-f]{2}|19[0-9a-f]{4}|1a[0-9a-f]{8})/.exec(hex);
  if (!m || m.index % 2 || !/a[0-9a-f]02a/.test(hex.slice(0, m.index))) return line;
  return line.replace(hex, hex.slice(0, m.index + 2) + "xx" + hex.slice(m.index + m[0].length));
}

describe("a recorded day of frames", () => {
  it("is sent again byte for byte", () => {
    const day = recordDay();
    if (process.env.FG_RECORD_DAY) fs.writeFileSync(FIXTURE, day.join("\n") + "\n");
    const recorded = fs.readFileSync(FIXTURE, "utf8").trim().split("\n");
    console.log(`${day.length} frames sent in the day, ${recorded.length} recorded`);
    expect(day.length).toBeGreaterThan(90);
    expect(day.map(maskStorageFree)).toEqual(recorded.map(maskStorageFree));
  });
});
