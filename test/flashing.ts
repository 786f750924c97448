/**
 * A simulated board flashed through the real EspruinoTools CLI over TCP, for
 * the tests of re-flashing and of cables pulled: the helpers they share.
 */
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, expect } from "vitest";
import { DIST, SimBoard } from "../scripts/sim/board";
import { serveConsole, SimConsole, type ConsoleServer } from "../scripts/sim/console";
import { attachModem, type Lorawan } from "../scripts/sim/lorawan";
import { standardWorld } from "../scripts/sim/world";
import { flash, Refusal, type FlashOptions } from "../scripts/flash";
import { codec } from "../scripts/frames";
import { boardById } from "../boards/index";

export const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "feldgate-reflash-test-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
export const HOUR = 3600_000;

/** A copy of dist/ whose bundles say another version as they start: the "new firmware". */
export function newerDist(version: string, edit: (bundle: string) => string = (b) => b): string {
  const dir = fs.mkdtempSync(path.join(tmp, "dist-"));
  for (const f of fs.readdirSync(DIST)) {
    if (!f.endsWith(".js")) continue;
    const text = fs.readFileSync(path.join(DIST, f), "latin1");
    const newer = text.replace(/feldgate \d+\.\d+\.\d+ starting/, `feldgate ${version} starting`);
    fs.writeFileSync(path.join(dir, f), f === "loader.js" ? text : edit(newer), "latin1");
  }
  return dir;
}

export interface Bench {
  sim: SimBoard;
  lw: Lorawan;
  server: ConsoleServer | null;
  port: string;
}

export async function open(b: Bench): Promise<void> {
  b.server = await serveConsole(b.sim, { port: 0 });
  b.port = `tcp://127.0.0.1:${b.server.port}`;
}
export async function shut(b: Bench): Promise<void> {
  await b.server?.close();
  b.server = null;
}

export async function run(o: Partial<FlashOptions> & { board: string; port: string; site: string }): Promise<{ out: string[]; refused?: string }> {
  const out: string[] = [];
  try {
    await flash({ wipe: false, keysDir: path.join(tmp, "keys"), build: false, dist: DIST, ...o }, (l) => out.push(l));
    return { out };
  } catch (e) {
    if (e instanceof Refusal) return { out, refused: e.message };
    throw e;
  }
}

export function siteFile(board: string): string {
  const p = boardById(board).hw.ports.find((x) => x.onewire)!;
  const f = path.join(tmp, `site-${board}.json`);
  fs.writeFileSync(f, JSON.stringify({ v: 1, name: "Pumpwerk", interval: 900, sensors: [{ kind: "temp", name: "Water", port: p.id, count: 1 }] }));
  return f;
}

/** Flashes a bare board and lets it join and deliver for two hours. */
export async function flashedGateway(id: string): Promise<Bench> {
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

export function seqs(lw: Lorawan): number[] {
  return lw.ns.uplinks.filter((u) => u.fPort !== 0).map((u) => codec.decodeUplink({ bytes: Array.from(u.bytes), fPort: u.fPort, recvTime: new Date(u.at) }).data?.frame?.seq);
}

export interface Sent {
  at: number;
  text: string;
}

/** A cable between the CLI and the board's console that keeps what the CLI sent, chunk by chunk as it arrived. */
export async function recordingCable(to: number): Promise<{ port: number; sent: Sent[][]; close(): Promise<void> }> {
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

/** Feeds what the CLI sent, up to `cut` characters, into the board's console with its time running as it did; then the cable goes. */
export function replay(sim: SimBoard, chunks: Sent[], cut: number): void {
  const c = new SimConsole(sim, () => {});
  for (let i = 0, at = 0; i < chunks.length && at < cut; at += chunks[i].text.length, i++) {
    if (i) sim.advance(chunks[i].at - chunks[i - 1].at);
    c.input(chunks[i].text.slice(0, cut - at));
  }
  sim.advance(50);
  c.detach();
}
