/**
 * npm start: the gateway on the simulated board with the demo site.
 * It flashes the built bundle into simulated Storage, provisions the demo
 * site, powers on, and prints what the gateway says, hour after simulated hour.
 *
 *   --hours N   simulated hours to run (default 3)
 *   --site F    site configuration file (default scripts/sites/demo.json)
 *   --board B   board (default sim)
 *   --mqtt URL  send over Wi-Fi and MQTT to this broker (e.g. mqtt://127.0.0.1:1883) instead of LoRaWAN
 */
import fs from "node:fs";
import path from "node:path";
import { SimBoard } from "./sim/board";
import { standardWorld, demoWorld } from "./sim/world";
import { humanLine, stamp } from "./sim/format";
import { attachLorawan, makeIdentity } from "./sim/lorawan";
import mqtt from "mqtt";
import { codec } from "./frames";

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : dflt;
}

const hours = Number(arg("--hours", "3"));
const sitePath = arg("--site", path.join(path.dirname(new URL(import.meta.url).pathname), "sites/demo.json"));
const site = JSON.parse(fs.readFileSync(sitePath, "utf8"));
const sim = new SimBoard({ board: arg("--board", "sim"), seed: 7, onLine: (l, s) => console.log(humanLine(s, l)) });

console.log(`feldgate on the simulated board "${sim.board.title}", site "${site.name}", ${hours} simulated hours\n`);
sim.install();
sim.writeSite(site);
if (sitePath.endsWith("sites/demo.json")) demoWorld(sim);
else standardWorld(sim);

function showDecoded(d: any): void {
  const parts = d.readings.map((r: any) => `ch${r.channel} ${r.quantity} ${r.value ?? r.quality}${r.unit ? " " + r.unit : ""}`);
  const ev = d.events.map((e: any) => `ch${e.channel} ${e.event} ${e.active ? "raised" : "cleared"}`);
  console.log(`${stamp(sim)}  Platform received frame ${d.frame.seq}: ${[...ev, ...parts].join(", ") || "status"}${d.health ? ` [health: ${JSON.stringify(d.health)}]` : ""}`);
}

const brokerUrl = arg("--mqtt", "");
let lw: ReturnType<typeof attachLorawan> | null = null;
let sub: mqtt.MqttClient | null = null;
if (brokerUrl) {
  // Wi-Fi to a simulated access point, MQTT to a real broker; a subscriber decodes what arrives.
  const u = new URL(brokerUrl);
  const clientId = "demo-" + sim.board.id;
  sim.writeSite({ ...site, link: "wifi" });
  sim.wifi.addAp("Hof", "demo-pass");
  sim.writeIdentity({ ...makeIdentity(), wifi: { ssid: "Hof", pass: "demo-pass" }, mqtt: { host: u.hostname, port: +(u.port || 1883), clientId, keepalive: 60 } });
  sub = mqtt.connect(brokerUrl);
  sub.on("connect", () => sub!.subscribe(`feldgate/${clientId}/up`, { qos: 1 }));
  sub.on("message", (_t, payload) => {
    const out = codec.decodeUplink({ bytes: Array.from(payload), fPort: 10, recvTime: new Date(sim.clock.wall) });
    if (out.data) showDecoded(out.data);
  });
  await new Promise((r) => sub!.once("connect", r));
  sim.boot();
  await sim.runRealtime(hours * 3600_000, 2000, 2000);
} else {
  // By default the demo sends over LoRaWAN to a simulated network server, which decodes with decoders/feldgate.js.
  lw = sim.board.hw.modem ? attachLorawan(sim) : null;
  if (lw) lw.ns.onDecoded = showDecoded;
  sim.boot();
  sim.advance(hours * 3600_000);
}
sim.powerOff();
if (sub) sub.end(true);
if (lw) console.log(`\nThe platform holds ${lw.ns.readings.size} readings and ${lw.ns.events.length} events from ${lw.ns.uplinks.length} uplinks (${lw.ns.duplicates} duplicates dropped).`);
const st = sim.storage.getStats();
console.log(`\nStorage: ${st.fileCount} files, ${(st.freeBytes / 1024).toFixed(1)} KB free; flash page erases so far: ${sim.flash.totalErases}`);
if (sim.errors.length) {
  console.log(`${sim.errors.length} uncaught error(s) in the firmware`);
  process.exitCode = 1;
}
