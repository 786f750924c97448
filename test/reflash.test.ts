import { afterAll, describe, expect, it } from "vitest";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { DIST, SimBoard } from "../scripts/sim/board";
import { serveConsole, SimConsole, type ConsoleServer } from "../scripts/sim/console";
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

interface Sent {
  at: number;
  text: string;
}

/** A cable between the CLI and the board's console that keeps what the CLI sent, chunk by chunk as it arrived. */
async function recordingCable(to: number): Promise<{ port: number; sent: Sent[][]; close(): Promise<void> }> {
  const sent: Sent[][] = [];
  const server = net.createServer((laptop) => {
    const board = net.connect(to, "127.0.0.1");
    const mine: Sent[] = [];
    sent.push(mine);
    laptop.on("data", (d) => {
      mine.push({ at: Date.now(), text: d.toString("latin1") });
      board.write(d);
    });
    board.on("data", (d) => laptop.write(d));
    laptop.on("close", () => board.destroy());
    board.on("close", () => laptop.destroy());
    laptop.on("error", () => {});
    board.on("error", () => {});
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { port: (server.address() as net.AddressInfo).port, sent, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe("a cable pulled at every line of the new firmware's upload", () => {
  it("esp32-rak3172: each time, the board boots the firmware it ran before or the new one, whole, and starts again by itself", async () => {
    const b = await flashedGateway("esp32-rak3172");
    b.sim.powerOff();
    const before = b.sim.flash.saveState();
    const clock = { mono: b.sim.clock.mono, wall: b.sim.clock.wallOffset };
    b.sim.boot();
    await open(b);
    // The last of the CLI's three runs is the upload; record what it sends.
    const cable = await recordingCable(b.server!.port);
    const r = await run({ board: "esp32-rak3172", port: `tcp://127.0.0.1:${cable.port}`, site: siteFile("esp32-rak3172"), dist: newerDist("0.9.0") });
    await cable.close();
    await shut(b);
    expect(r.refused, r.out.join("\n")).toBeUndefined();
    // The CLI's last connection: its reset(), the upload, the record, load().
    const chunks = cable.sent[cable.sent.length - 1];
    const stream = chunks.map((c) => c.text).join("");
    expect(stream).toContain("var fgu=");
    const ends: number[] = [];
    for (let i = stream.indexOf("\n"); i >= 0; i = stream.indexOf("\n", i + 1)) ends.push(i + 1);
    expect(ends.length).toBeGreaterThan(60);

    const seen = { old: 0, new: 0 };
    let idle = 0;
    for (let k = 0; k <= ends.length; k++) {
      // The cable goes mid-line: the line it was in never runs.
      const cut = k === ends.length ? stream.length : Math.max(0, ends[k] - 7);
      const sim = new SimBoard({ board: "esp32-rak3172", seed: 5, memoryBaseline: false });
      sim.flash.loadState(before);
      sim.clock.mono = clock.mono;
      sim.clock.wallOffset = clock.wall;
      standardWorld(sim);
      attachModem(sim);
      sim.boot();
      sim.advance(2000);
      // The CLI's bytes as they came, with the board's time running between them as it did.
      const mark = sim.console.length;
      const c = new SimConsole(sim, () => {});
      for (let i = 0, at = 0; i < chunks.length && at < cut; at += chunks[i].text.length, i++) {
        if (i) sim.advance(chunks[i].at - chunks[i - 1].at);
        c.input(chunks[i].text.slice(0, cut - at));
      }
      c.detach();
      // Half the time the power goes with the cable; otherwise the board starts again by itself.
      const pulled = sim.console.length;
      if (k % 2) {
        sim.powerOff();
        sim.boot();
        sim.advance(5000);
      } else {
        sim.advance(25_000);
        // Cut before the CLI's reset(): the firmware never stopped, and its next reading cycle comes.
        if (!sim.console.slice(pulled).some((l) => l.text.includes("starting on"))) sim.advance(16 * 60_000);
        // Cut between the CLI's reset() and the upload's first line, which arms the restart: the board
        // idles until its power comes back (a board powered from USB loses it with the cable).
        if (!/starting on|INFO Readings:/.test(sim.console.slice(pulled).map((l) => l.text).join("\n"))) {
          idle++;
          sim.powerOff();
          sim.boot();
          sim.advance(5000);
        }
      }
      const out = sim.console.slice(mark).map((l) => l.text).join("\n");
      // The firmware that runs in the end: the last that started, or the one that never stopped.
      const v = [...out.matchAll(/INFO feldgate (\S+) starting on esp32-rak3172/g)].pop()?.[1] ?? (/INFO Readings:/.test(out) ? "0.1.0" : "none");
      expect(v, `cut ${k} of ${ends.length}: ${out.slice(0, 400)}`).toMatch(/^(0\.1\.0|0\.9\.0)$/);
      seen[v === "0.9.0" ? "new" : "old"]++;
      expect(sim.errors, `cut ${k}`).toEqual([]);
      expect(out).not.toMatch(/Uncaught|ERROR/);
      expect(sim.storage.getStats().trashCount).toBe(0);
    }
    console.log(`${ends.length + 1} cuts: the old firmware ran after ${seen.old}, the new after ${seen.new}; ${idle} left the board idle until its power came back`);
    expect(seen.old).toBeGreaterThan(50);
    // The window before the restart is armed: the CLI's lines after its reset() and before the upload's first.
    expect(idle).toBeLessThanOrEqual(3);
    expect(seen.new).toBeGreaterThan(0);
  });
});
