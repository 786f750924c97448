import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import mqtt from "mqtt";
import { makeBoard, siteWith, cycles } from "./helpers";
import { decodeFrame, codec } from "../scripts/frames";
import type { SimBoard } from "../scripts/sim/board";

const HOUR = 3600_000;
const PORT = 18830 + Math.floor(Math.random() * 1000);
let broker: ChildProcess | null = null;

async function portOpen(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = net.connect({ host: "127.0.0.1", port }, () => {
      s.destroy();
      res(true);
    });
    s.on("error", () => res(false));
  });
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "feldgate-mqtt-"));
const conf = path.join(dir, "mosquitto.conf");
fs.writeFileSync(conf, `listener ${PORT} 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location ${dir}/\nset_tcp_nodelay true\n`);

/** Mosquitto (Debian package mosquitto) on loopback, keeping sessions and queued messages across restarts as a deployment would. */
async function startBroker(): Promise<void> {
  broker = spawn("mosquitto", ["-c", conf], { stdio: "ignore" });
  for (let i = 0; i < 100 && !(await portOpen(PORT)); i++) await new Promise((r) => setTimeout(r, 50));
}

async function stopBroker(): Promise<void> {
  const b = broker;
  broker = null;
  if (!b) return;
  await new Promise<void>((res) => {
    b.once("exit", () => res());
    b.kill("SIGTERM");
  });
}

/** The platform's side: a real MQTT client that keeps every reading once, and the gateway's state messages. */
class Platform {
  readings = new Map<string, number | null>();
  copies = 0;
  states: string[] = [];
  status: any[] = [];
  client: mqtt.MqttClient;
  /** Reception time on the gateway's (virtual) clock, as a platform would stamp it. */
  now: () => number = () => Date.now();
  constructor(id: string) {
    this.client = mqtt.connect(`mqtt://127.0.0.1:${PORT}`, { reconnectPeriod: 100, clientId: `platform-${id}`, clean: false });
    this.client.on("connect", () => this.client.subscribe([`feldgate/${id}/up`, `feldgate/${id}/state`], { qos: 1 }));
    this.client.on("message", (topic, payload) => {
      if (topic.endsWith("/state")) return this.states.push(payload.toString());
      const d = decodeFrame(new Uint8Array(payload), this.now());
      for (const r of d.readings) {
        // Times come from reception minus age, and this platform stamps reception with the gateway's
        // simulated clock, which runs a thousand times faster than the real wire: a copy can land a
        // minute or two off. Readings are 15 minutes apart, so copies are matched within 5 minutes.
        const k = `${r.ch}/${r.qty}/${Math.round(r.time / 300000)}`;
        if (this.readings.has(k)) this.copies++;
        this.readings.set(k, r.value);
      }
      const c = codec.decodeUplink({ bytes: Array.from(payload), recvTime: new Date(this.now()) });
      if (c.data?.status) this.status.push(c.data.status);
    });
  }
  async connected(): Promise<void> {
    for (let i = 0; i < 200 && !this.client.connected; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 100));
  }
  close(): void {
    this.client.end(true);
  }
}

function gateway(id: string, p: Platform, brokerPort = PORT): SimBoard {
  const site = siteWith({ kind: "soil", name: "B", port: 3 });
  (site as any).interval = 900;
  const sim = makeBoard("esp32-wifi", { site });
  sim.pins.setVolts("D34", () => 2.0 + 0.001 * Math.sin(sim.clock.mono / 1e6));
  sim.wifi.addAp("Hof", "geheim-123");
  sim.writeIdentity({ v: 1, devEui: "70B3D57ED0000042", wifi: { ssid: "Hof", pass: "geheim-123" }, mqtt: { host: "127.0.0.1", port: brokerPort, clientId: id, keepalive: 60 } });
  p.now = () => sim.clock.wall;
  sim.boot();
  return sim;
}


describe("Wi-Fi and MQTT against a real broker (Mosquitto)", () => {
  beforeAll(startBroker);
  afterAll(stopBroker);

  it("publishes every reading with QoS 1, and the last will says when the gateway is gone", async () => {
    const p = new Platform("gw1");
    await p.connected();
    const sim = gateway("gw1", p);
    await sim.runRealtime(3 * HOUR, 2000, 2000);
    expect(sim.output()).toContain("MQTT: connected to 127.0.0.1");
    expect(p.readings.size).toBe(cycles(sim) * 3);
    expect(p.states).toContain("online");
    sim.powerOff();
    await new Promise((r) => setTimeout(r, 300));
    expect(p.states[p.states.length - 1]).toBe("offline");
    p.close();
  });

  it("the broker stopped for 24 hours and restarted: every reading arrives after", async () => {
    const p = new Platform("gw2");
    await p.connected();
    const sim = gateway("gw2", p);
    await sim.runRealtime(HOUR, 2000, 2000);
    await stopBroker();
    await sim.runRealtime(24 * HOUR, 20000, 20000);
    await startBroker();
    await p.connected();
    await sim.runRealtime(6 * HOUR, 2000, 2000);
    expect(p.readings.size).toBe(cycles(sim) * 3);
    console.log(`broker down 24 h: ${p.readings.size} readings arrived, ${p.copies} copies dropped by the platform`);
    p.close();
  });

  it("the connection dropped in the middle of publishing: nothing is lost", async () => {
    // The gateway reaches the broker through a proxy whose connections are cut while it publishes a backlog.
    const conns = new Set<net.Socket>();
    const proxy = net.createServer((c) => {
      const up = net.connect({ host: "127.0.0.1", port: PORT });
      conns.add(c);
      c.on("data", (d) => up.write(d));
      up.on("data", (d) => !c.destroyed && c.write(d));
      c.on("close", () => (conns.delete(c), up.destroy()));
      up.on("close", () => c.destroy());
      c.on("error", () => up.destroy());
      up.on("error", () => c.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", () => r()));
    const p = new Platform("gw3");
    await p.connected();
    const sim = gateway("gw3", p, (proxy.address() as net.AddressInfo).port);
    await sim.runRealtime(HOUR, 2000, 2000);
    let cuts = 0;
    for (let i = 0; i < 4; i++) {
      sim.wifi.setApUp("Hof", false);
      sim.advance(6 * HOUR); // a backlog builds up offline
      sim.wifi.setApUp("Hof", true);
      // Until the gateway is back on the broker, then cut it while it publishes the backlog.
      for (let k = 0; k < 12 && conns.size === 0; k++) await sim.runRealtime(5 * 60_000, 2000, 2000);
      const run = sim.runRealtime(20 * 60_000, 1000, 1000);
      await new Promise((r) => setTimeout(r, 3));
      for (const c of conns) {
        c.destroy();
        cuts++;
      }
      await run;
    }
    await sim.runRealtime(6 * HOUR, 2000, 2000);
    expect(cuts).toBeGreaterThan(0);
    expect(p.readings.size).toBe(cycles(sim) * 3);
    console.log(`connection cut ${cuts} times while publishing: ${p.readings.size} readings arrived, ${p.copies} copies dropped`);
    proxy.close();
    p.close();
  });

  it("slow acknowledgements are waited for", async () => {
    // A proxy that holds everything from the broker back by 30 ms of real time: 30 s of the gateway's.
    const proxy = net.createServer((c) => {
      const up = net.connect({ host: "127.0.0.1", port: PORT });
      c.on("data", (d) => up.write(d));
      up.on("data", (d) => setTimeout(() => !c.destroyed && c.write(d), 30));
      c.on("close", () => up.destroy());
      up.on("close", () => c.destroy());
      c.on("error", () => up.destroy());
      up.on("error", () => c.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", () => r()));
    const p = new Platform("gw4");
    await p.connected();
    const sim = gateway("gw4", p, (proxy.address() as net.AddressInfo).port);
    await sim.runRealtime(4 * HOUR, 1000, 1000);
    expect(p.readings.size).toBe(cycles(sim) * 3);
    proxy.close();
    p.close();
  });

  it("downlinks over MQTT: a new interval, answered in the next frame", async () => {
    const p = new Platform("gw5");
    await p.connected();
    const sim = gateway("gw5", p);
    await sim.runRealtime(HOUR, 2000, 2000);
    const dl = codec.encodeDownlink({ data: { command: "set_interval", counter: 1, seconds: 600 } });
    p.client.publish("feldgate/gw5/down", Buffer.from(dl.bytes!), { qos: 1 });
    await new Promise((r) => setTimeout(r, 200));
    await sim.runRealtime(2 * HOUR, 2000, 2000);
    expect(p.status).toContainEqual({ counter: 1, result: "accepted", detail: undefined });
    expect(JSON.parse(sim.storage.read("fg.site")!).interval).toBe(600);
    p.close();
  });
});

describe("link manager: Wi-Fi preferred, LoRaWAN when it fails, back when it recovers", () => {
  beforeAll(startBroker);
  afterAll(stopBroker);

  it("every reading arrives by one link or the other, and frames go back to Wi-Fi", async () => {
    const { attachLorawan } = await import("../scripts/sim/lorawan");
    const p = new Platform("both1");
    await p.connected();
    const site = siteWith({ kind: "soil", name: "B", port: 3 });
    Object.assign(site, { interval: 900, link: "both", prefer: "wifi" });
    const sim = makeBoard("sim", { site });
    sim.pins.setVolts("D34", () => 2.0 + 0.001 * Math.sin(sim.clock.mono / 1e6));
    const lw = attachLorawan(sim);
    const id = JSON.parse(sim.storage.read("fg.id")!);
    sim.writeIdentity({ ...id, wifi: { ssid: "Hof", pass: "geheim-123" }, mqtt: { host: "127.0.0.1", port: PORT, clientId: "both1", keepalive: 60 } });
    sim.wifi.addAp("Hof", "geheim-123");
    p.now = () => sim.clock.wall;
    sim.boot();
    await sim.runRealtime(2 * HOUR, 2000, 2000);
    const viaWifiBefore = p.readings.size;
    const viaLoraBefore = lw.ns.readings.size;
    sim.wifi.setApUp("Hof", false);
    await sim.runRealtime(6 * HOUR, 2000, 2000);
    const viaLoraDuring = lw.ns.readings.size - viaLoraBefore;
    sim.wifi.setApUp("Hof", true);
    await sim.runRealtime(6 * HOUR, 2000, 2000);
    const viaWifiAfter = p.readings.size - viaWifiBefore;
    const all = new Set<string>();
    for (const k of p.readings.keys()) all.add(k);
    for (const r of lw.ns.readings.values()) all.add(`${r.channel}/${({ supply_voltage: 1, board_temperature: 2, soil_moisture: 15 } as any)[r.quantity]}/${Math.round(Date.parse(r.time) / 300000)}`);
    expect(viaWifiBefore).toBeGreaterThan(0);
    expect(viaLoraDuring).toBeGreaterThan(0);
    expect(viaWifiAfter).toBeGreaterThan(0);
    expect(all.size).toBe(cycles(sim) * 3);
    console.log(`failover: ${viaWifiBefore} readings by Wi-Fi, ${viaLoraDuring} by LoRaWAN while it was gone, ${viaWifiAfter} by Wi-Fi after`);
    p.close();
  });
});
