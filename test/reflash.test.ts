import { afterAll, describe, expect, it } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DIST, SimBoard } from "../scripts/sim/board";
import { serveConsole, type ConsoleServer } from "../scripts/sim/console";
import { attachModem, type Lorawan } from "../scripts/sim/lorawan";
import { standardWorld } from "../scripts/sim/world";
import { flash, Refusal, type FlashOptions } from "../scripts/flash";
import { codec } from "../scripts/frames";
import { boardById } from "../boards/index";
import { FILE } from "../src/store/storage-layout";

/**
 * npm run flash on a gateway that already runs feldgate, through the real
 * EspruinoTools CLI: the new image goes into the spare slot, and the
 * identity, the counters and the readings not yet sent stay.
 */

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "feldgate-reflash-test-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const HOUR = 3600_000;

/** A copy of dist/ whose bundles say another version as they start: the "new firmware". */
function newerDist(version: string): string {
  const dir = fs.mkdtempSync(path.join(tmp, "dist-"));
  for (const f of fs.readdirSync(DIST)) {
    if (!f.endsWith(".js")) continue;
    const text = fs.readFileSync(path.join(DIST, f), "latin1");
    fs.writeFileSync(path.join(dir, f), text.replace(/feldgate \d+\.\d+\.\d+ starting/, `feldgate ${version} starting`), "latin1");
  }
  return dir;
}

interface Bench {
  sim: SimBoard;
  lw: Lorawan;
  server: ConsoleServer | null;
  port: string;
}

async function open(b: Bench): Promise<void> {
  b.server = await serveConsole(b.sim, { port: 0 });
  b.port = `tcp://127.0.0.1:${b.server.port}`;
}
async function shut(b: Bench): Promise<void> {
  await b.server?.close();
  b.server = null;
}

async function run(o: Partial<FlashOptions> & { board: string; port: string; site: string }): Promise<{ out: string[]; refused?: string }> {
  const out: string[] = [];
  try {
    await flash({ wipe: false, keysDir: path.join(tmp, "keys"), build: false, dist: DIST, ...o }, (l) => out.push(l));
    return { out };
  } catch (e) {
    if (e instanceof Refusal) return { out, refused: e.message };
    throw e;
  }
}

function siteFile(board: string): string {
  const p = boardById(board).hw.ports.find((x) => x.onewire)!;
  const f = path.join(tmp, `site-${board}.json`);
  fs.writeFileSync(f, JSON.stringify({ v: 1, name: "Pumpwerk", interval: 900, sensors: [{ kind: "temp", name: "Water", port: p.id, count: 1 }] }));
  return f;
}

/** Flashes a bare board and lets it join and deliver for two hours. */
async function flashedGateway(id: string): Promise<Bench> {
  const sim = new SimBoard({ board: id, seed: 5, memoryBaseline: false });
  standardWorld(sim);
  const lw = attachModem(sim);
  sim.boot();
  const b: Bench = { sim, lw, server: null, port: "" };
  await open(b);
  const r = await run({ board: id, port: b.port, site: siteFile(id) });
  expect(r.refused).toBeUndefined();
  await shut(b);
  const file = /The keys are in (.*) \(only you can read it\)/.exec(r.out.join("\n"))![1];
  const keys = JSON.parse(fs.readFileSync(file, "utf8"));
  lw.ns.register(keys.devEui, keys.appKey);
  sim.advance(2 * HOUR);
  expect(lw.ns.uplinks.length).toBeGreaterThan(0);
  return b;
}

function seqs(lw: Lorawan): number[] {
  return lw.ns.uplinks.filter((u) => u.fPort !== 0).map((u) => codec.decodeUplink({ bytes: Array.from(u.bytes), fPort: u.fPort, recvTime: new Date(u.at) }).data?.frame?.seq);
}

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
