import { afterAll, beforeAll, describe, expect, it } from "vitest";
import net from "node:net";
import https from "node:https";
import mqtt from "mqtt";
import { makeBoard, siteWith, cycles, storedSite } from "./helpers";
import { brokerName, makeBroker, portOpen, type Broker } from "./broker";
import { makePki, type Pki } from "./pki";
import { decodeFrame, codec } from "../scripts/frames";
import { runAcker } from "../scripts/acker";
import type { SimBoard } from "../scripts/sim/board";
import { attachLorawan, type Lorawan } from "../scripts/sim/lorawan";

const HOUR = 3600_000;
const PORT = 18830 + Math.floor(Math.random() * 1000);
/** The broker on loopback, keeping sessions and queued messages across restarts as a deployment would. */
const broker = makeBroker({ port: PORT, persistent: true });
const startBroker = () => broker.start();
const stopBroker = () => broker.stop();
afterAll(() => broker.close());

/** The platform's side: a real MQTT client that keeps every reading once, and the gateway's state messages. */
class Platform {
  readings = new Map<string, number | null>();
  copies = 0;
  states: string[] = [];
  status: any[] = [];
  health: any[] = [];
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
      if (c.data?.health) this.health.push(c.data.health);
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

/**
 * The esp32-wifi board with a soil sensor every 15 minutes and an access point; its identity holds
 * `link` (an mqtt or http record), and `files` go into Storage, as provisioning writes them. Not booted.
 */
function wifiBoard(devEui: string, link: object, files: Record<string, Buffer> = {}): SimBoard {
  const site = siteWith({ kind: "soil", name: "B", port: 3 });
  (site as any).interval = 900;
  const sim = makeBoard("esp32-wifi", { site });
  sim.pins.setVolts("D34", () => 2.0 + 0.001 * Math.sin(sim.clock.mono / 1e6));
  sim.wifi.addAp("Hof", "geheim-123");
  sim.writeIdentity({ v: 1, devEui, wifi: { ssid: "Hof", pass: "geheim-123" }, ...link });
  for (const [name, data] of Object.entries(files)) sim.storage.write(name, data);
  return sim;
}

function gateway(id: string, p: Platform, brokerPort = PORT): SimBoard {
  const sim = wifiBoard("70B3D57ED0000042", { mqtt: { host: "127.0.0.1", port: brokerPort, clientId: id, keepalive: 60 } });
  p.now = () => sim.clock.wall;
  sim.boot();
  return sim;
}


describe(`Wi-Fi and MQTT against a real broker (${brokerName()})`, () => {
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
      // Until the gateway is back on the broker over a new connection, then cut it while it publishes the backlog.
      const before = sim.net.opened;
      for (let k = 0; k < 24 && !(sim.net.opened > before && conns.size > 0); k++) await sim.runRealtime(60_000, 200, 200);
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
    // A ping unanswered on a cut connection does not drop the next one.
    expect(sim.output()).not.toContain("no answer to a ping");
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
    expect(storedSite(sim).interval).toBe(600);
    p.close();
  });
});

/**
 * The simulated board with both links: its LoRaWAN modem and network server, and Wi-Fi to the broker
 * as client `id`, with `prefer` as the site's preference; `before` sets faults before it boots. Booted.
 */
async function bothLinks(id: string, prefer: "wifi" | "lorawan", before: (lw: Lorawan) => void = () => {}): Promise<{ p: Platform; sim: SimBoard; lw: Lorawan }> {
  const p = new Platform(id);
  await p.connected();
  const site = siteWith({ kind: "soil", name: "B", port: 3 });
  Object.assign(site, { interval: 900, link: "both", prefer });
  const sim = makeBoard("sim", { site });
  sim.pins.setVolts("D34", () => 2.0 + 0.001 * Math.sin(sim.clock.mono / 1e6));
  const lw = attachLorawan(sim);
  before(lw);
  const ident = JSON.parse(sim.storage.read("fg.id")!);
  sim.writeIdentity({ ...ident, wifi: { ssid: "Hof", pass: "geheim-123" }, mqtt: { host: "127.0.0.1", port: PORT, clientId: id, keepalive: 60 } });
  sim.wifi.addAp("Hof", "geheim-123");
  p.now = () => sim.clock.wall;
  sim.boot();
  return { p, sim, lw };
}

describe("link manager: the preferred link when it works, the other when it fails, and a health report that says which", () => {
  beforeAll(startBroker);
  afterAll(stopBroker);

  it("every reading arrives by one link or the other, and frames go back to Wi-Fi", async () => {
    const { p, sim, lw } = await bothLinks("both1", "wifi");
    await sim.runRealtime(2 * HOUR, 2000, 2000);
    const viaWifiBefore = p.readings.size;
    const viaLoraBefore = lw.ns.readings.size;
    const wifiReports = p.health.length;
    sim.wifi.setApUp("Hof", false);
    await sim.runRealtime(6 * HOUR, 2000, 2000);
    const viaLoraDuring = lw.ns.readings.size - viaLoraBefore;
    // The first frame over LoRaWAN says why: Wi-Fi is gone, and was lost once.
    expect(lw.ns.health[0]).toMatchObject({ link: "lorawan", lorawan_state: "joined", wifi_state: "no_wifi", wifi_reconnects: 1 });
    sim.wifi.setApUp("Hof", true);
    await sim.runRealtime(6 * HOUR, 2000, 2000);
    const viaWifiAfter = p.readings.size - viaWifiBefore;
    // Back on Wi-Fi, a report over MQTT: connected again, one connection more, one failure (the connection lost with the access point).
    const back = Object.assign({}, ...p.health.slice(wifiReports));
    expect(back).toMatchObject({ link: "wifi-mqtt", wifi_state: "connected", wifi_reconnects: 1, lorawan_state: "joined" });
    expect(back.wifi_failures).toBeGreaterThanOrEqual(1);
    expect(back.wifi_connections).toBe(p.health[0].wifi_connections + 1);
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

  it("LoRaWAN preferred and its modem dead: Wi-Fi carries the frames, and the health report names the modem", async () => {
    const { p, sim, lw } = await bothLinks("both2", "lorawan", (lw) => (lw.modem.dead = true));
    await sim.runRealtime(3 * HOUR, 2000, 2000);
    const viaWifi = p.readings.size;
    expect(viaWifi).toBe(cycles(sim) * 3);
    const dead = p.health[p.health.length - 1];
    expect(dead).toMatchObject({ link: "wifi-mqtt", wifi_state: "connected", wifi_connections: 1, lorawan_state: "modem_not_ready", lorawan_joins: 0 });
    expect(dead.lorawan_modem_resets).toBeGreaterThan(0);
    // The modem answers again: it joins, frames go back to LoRaWAN, and the report over it counts the resets.
    lw.modem.dead = false;
    // Up to 1.5 h until the modem's next try (its backoff after 3 hours dead), and up to an hour more
    // until a change is reported on a board with Wi-Fi.
    await sim.runRealtime(4 * HOUR, 2000, 2000);
    expect(lw.ns.readings.size).toBeGreaterThan(0);
    const back = lw.ns.health[lw.ns.health.length - 1];
    expect(back).toMatchObject({ link: "lorawan", lorawan_state: "joined", lorawan_joins: 1, wifi_state: "connected" });
    expect(back.lorawan_modem_resets).toBeGreaterThanOrEqual(dead.lorawan_modem_resets);
    console.log(`dead modem: ${viaWifi} readings by Wi-Fi, ${back.lorawan_modem_resets} modem resets before it answered again`);
    p.close();
  });
});

describe("the platform's acker on the network server's MQTT integration", () => {
  beforeAll(startBroker);
  afterAll(stopBroker);

  /** A frame with seq `seq` holding one level reading; with `ask`, it asks for an acknowledgement of that many frames. */
  function frame(seq: number, ask = 0): Buffer {
    const notes = ask ? [0xa1, 0x04, ask] : [];
    return Buffer.from([0x80 | (4 + (ask ? 1 : 0)), 0x01, 0x19, seq >> 8, seq & 255, 0x00, ...notes, 0x83, 0x01, 0x03, 0x19, 0x01, 0xe0]);
  }

  const cases = [
    {
      flavour: "chirpstack" as const,
      up: (dev: string, b: Buffer) => [`application/app-1/device/${dev}/event/up`, JSON.stringify({ deviceInfo: { devEui: dev }, fPort: 10, data: b.toString("base64") })],
      down: (dev: string) => `application/app-1/device/${dev}/command/down`,
      payload: (m: any) => ({ port: m.fPort, bytes: Buffer.from(m.data, "base64") }),
    },
    {
      flavour: "tts" as const,
      up: (dev: string, b: Buffer) => [`v3/pasture@ttn/devices/${dev}/up`, JSON.stringify({ end_device_ids: { device_id: dev }, uplink_message: { f_port: 10, frm_payload: b.toString("base64") } })],
      down: (dev: string) => `v3/pasture@ttn/devices/${dev}/down/push`,
      payload: (m: any) => ({ port: m.downlinks[0].f_port, bytes: Buffer.from(m.downlinks[0].frm_payload, "base64") }),
    },
  ];

  for (const c of cases) {
    it(`${c.flavour}: answers a request with the frames that arrived, on fPort 12`, async () => {
      const acker = await runAcker(c.flavour, `mqtt://127.0.0.1:${PORT}`);
      const dev = "70b3d57ed0000001";
      const watcher = await mqtt.connectAsync(`mqtt://127.0.0.1:${PORT}`);
      const answers: any[] = [];
      watcher.on("message", (_t, p) => answers.push(c.payload(JSON.parse(p.toString()))));
      await watcher.subscribeAsync(c.down(dev), { qos: 1 });
      // Frames 100..111 sent; 104 and 107 never arrived; 111 asks.
      for (let s = 100; s <= 111; s++) {
        if (s === 104 || s === 107) continue;
        const [topic, msg] = c.up(dev, frame(s, s === 111 ? 12 : 0));
        await watcher.publishAsync(topic, msg, { qos: 1 });
      }
      for (let i = 0; i < 100 && !answers.length; i++) await new Promise((r) => setTimeout(r, 20));
      await watcher.endAsync();
      await acker.endAsync();
      expect(answers).toHaveLength(1);
      expect(answers[0].port).toBe(12);
      const a = codec.decodeDownlink({ fPort: 12, bytes: [...answers[0].bytes] }).data;
      expect(a.seq).toBe(111);
      const got = [];
      for (let i = 0; i < 12; i++) if (Math.floor(a.bits / 2 ** i) % 2) got.push(111 - i);
      expect(got.sort()).toEqual([100, 101, 102, 103, 105, 106, 108, 109, 110, 111]);
    });
  }
});

describe("TLS (require(\"tls\")): MQTT and HTTPS with a client certificate the server requires", () => {
  const TLS_PORT = PORT + 1000;
  let pki: Pki | undefined;
  let tlsBroker: Broker | undefined;
  const der = (f: string) => pki!.read(f);

  // A CA, the broker's certificate and a gateway's, made for this run and never kept; and a broker with
  // a TLS listener that requires a client certificate, beside a plain one for the platform.
  beforeAll(async () => {
    pki = await makePki();
    tlsBroker = makeBroker({ port: PORT, tls: { port: TLS_PORT, pki } });
    await tlsBroker.start();
  });
  afterAll(async () => {
    await tlsBroker?.close();
    pki?.remove();
  });

  /** The gateway's certificate and key, as provisioning stores them. */
  const gatewayCert = () => ({ "fg.tls.crt": der("gw-tls.der"), "fg.tls.key": der("gw-tls.key.der") });

  function tlsGateway(id: string, p: Platform, withCert: boolean): SimBoard {
    const sim = wifiBoard("70B3D57ED0000043", { mqtt: { host: "127.0.0.1", port: TLS_PORT, clientId: id, tls: true } }, { "fg.tls.ca": der("ca.der"), ...(withCert ? gatewayCert() : {}) });
    p.now = () => sim.clock.wall;
    sim.boot();
    return sim;
  }

  it("a gateway with its certificate delivers every reading over TLS", async () => {
    const p = new Platform("gw-tls");
    await p.connected();
    const sim = tlsGateway("gw-tls", p, true);
    await sim.runRealtime(3 * HOUR, 2000, 2000);
    expect(sim.output()).toContain("MQTT: connected to 127.0.0.1");
    expect(p.readings.size).toBe(cycles(sim) * 3);
    expect(sim.errors).toEqual([]);
    p.close();
  });

  it("HTTPS: frames are posted over TLS with the gateway's certificate, which the endpoint requires", async () => {
    const got = new Map<string, number | null>();
    let unauthorised = 0;
    const server = https.createServer({ key: pki!.read("broker.key"), cert: pki!.read("broker.pem"), ca: pki!.read("ca.pem"), requestCert: true, rejectUnauthorized: true }, (req, res) => {
      if (!(req.socket as any).authorized) unauthorised++;
      const chunks: Buffer[] = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        for (const r of decodeFrame(new Uint8Array(Buffer.concat(chunks)), sim.clock.wall).readings) got.set(`${r.ch}/${r.qty}/${Math.round(r.time / 300000)}`, r.value);
        res.writeHead(201).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const sim = wifiBoard("70B3D57ED0000044", { http: { host: "127.0.0.1", port: (server.address() as any).port, path: "/feldgate", tls: true } }, gatewayCert());
    sim.boot();
    await sim.runRealtime(3 * HOUR, 2000, 2000);
    server.close();
    expect(got.size).toBe(cycles(sim) * 3);
    expect(unauthorised).toBe(0);
    expect(sim.errors).toEqual([]);
  });

  it("a gateway without a certificate is refused by the broker, and keeps its readings", async () => {
    const p = new Platform("gw-nocert");
    await p.connected();
    const sim = tlsGateway("gw-nocert", p, false);
    await sim.runRealtime(2 * HOUR, 2000, 2000);
    expect(await portOpen(TLS_PORT)).toBe(true);
    expect(sim.net.opened).toBeGreaterThan(1);
    expect(sim.output()).not.toContain("MQTT: connected");
    expect(p.readings.size).toBe(0);
    expect(sim.output()).toMatch(/Waiting to be sent: [1-9]\d* readings/);
    p.close();
  });
});
