import { afterAll, beforeAll, describe, expect, it } from "vitest";
import http from "node:http";
import { makeBoard, siteWith, cycles } from "./helpers";
import { decodeFrame, codec } from "../scripts/frames";
import type { SimBoard } from "../scripts/sim/board";

const HOUR = 3600_000;

/** A platform's HTTP endpoint: keeps every reading once; can fail or be gone. */
let mode: "ok" | "fail" = "ok";
let sim: SimBoard;
const readings = new Map<string, number | null>();
let posts = 0;
let contentTypes = new Set<string>();
const health: any[] = [];
const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    posts++;
    contentTypes.add(String(req.headers["content-type"]));
    if (mode === "fail") {
      res.writeHead(503).end();
      return;
    }
    const body = Buffer.concat(chunks);
    for (const r of decodeFrame(new Uint8Array(body), sim.clock.wall).readings) readings.set(`${r.ch}/${r.qty}/${Math.round(r.time / 300000)}`, r.value);
    const h = codec.decodeUplink({ bytes: Array.from(body), recvTime: new Date(sim.clock.wall) }).data?.health;
    if (h) health.push(h);
    res.writeHead(204).end();
  });
});
let port = 0;

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  port = (server.address() as any).port;
});
afterAll(() => server.close());


describe("HTTP POST of frames", () => {
  it("2xx is delivery; a failing endpoint and a day without it lose nothing", async () => {
    const site = siteWith({ kind: "soil", name: "B", port: 3 });
    (site as any).interval = 900;
    sim = makeBoard("esp32-wifi", { site });
    sim.pins.setVolts("D34", () => 2.0 + 0.001 * Math.sin(sim.clock.mono / 1e6));
    sim.wifi.addAp("Hof", "geheim-123");
    sim.writeIdentity({ v: 1, devEui: "70B3D57ED0000043", wifi: { ssid: "Hof", pass: "geheim-123" }, http: { host: "127.0.0.1", port, path: "/ingest" } });
    sim.boot();
    await sim.runRealtime(2 * HOUR, 2000, 2000);
    expect(readings.size).toBe(cycles(sim) * 3);
    mode = "fail"; // the platform answers 503 for six hours
    await sim.runRealtime(6 * HOUR, 2000, 2000);
    const refused = posts;
    mode = "ok";
    await sim.runRealtime(4 * HOUR, 2000, 2000);
    expect(readings.size).toBe(cycles(sim) * 3);
    expect(refused).toBeGreaterThan(0);
    expect(sim.output()).toContain("HTTP: frame not taken (status 503)");
    expect([...contentTypes]).toEqual(["application/cbor"]);
    // The endpoint's trouble is in the health report once it answers again.
    const last = health[health.length - 1];
    expect(last).toMatchObject({ link: "wifi-http", wifi_state: "connected", wifi_reconnects: 0 });
    expect(last.wifi_failures).toBeGreaterThan(0);
    expect(last.wifi_connections).toBeGreaterThan(last.wifi_failures);
    expect(last.airtime_ms).toBeUndefined();
    await new Promise<void>((r) => server.close(() => r())); // gone for a day
    await sim.runRealtime(24 * HOUR, 20000, 20000);
    await new Promise<void>((r) => server.listen(port, "127.0.0.1", () => r()));
    await sim.runRealtime(6 * HOUR, 2000, 2000);
    expect(readings.size).toBe(cycles(sim) * 3);
  });
});
