import { afterAll, describe, expect, it } from "vitest";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { DIST, SimBoard } from "../scripts/sim/board";
import { serveConsole } from "../scripts/sim/console";
import { attachModem } from "../scripts/sim/lorawan";
import { standardWorld } from "../scripts/sim/world";
import { flash, Refusal, type FlashOptions } from "../scripts/flash";
import { REGISTRATION_DEFAULTS } from "../scripts/flash/register";
import { FILE } from "../src/store/storage-layout";
import { APP, fakeChirpStack, PROFILE } from "./chirpstack";
import { makePki } from "./pki";

/**
 * npm run flash with per-device credentials and TLS files, registering on
 * ChirpStack, through the real EspruinoTools CLI against a simulated board:
 * the secrets reach the board and the export, and nowhere else a person
 * sees: not the flash transcript, not the board's console output, not what
 * the console sends back to the laptop (its echo).
 */

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "feldgate-flash-secrets-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A TCP relay between the CLI and the board's console that keeps what the board sends back. */
async function recorder(to: number): Promise<{ port: number; back: () => string; close: () => Promise<void> }> {
  const chunks: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((laptop) => {
    const board = net.connect(to, "127.0.0.1");
    sockets.add(laptop).add(board);
    laptop.pipe(board);
    board.on("data", (d) => chunks.push(d));
    board.pipe(laptop);
    const end = () => {
      laptop.destroy();
      board.destroy();
    };
    laptop.on("close", end).on("error", end);
    board.on("close", end).on("error", end);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as net.AddressInfo).port,
    back: () => Buffer.concat(chunks).toString("latin1"),
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/**
 * The secret, as text and as base64 in each of the three alignments a
 * Storage line can give it: the base64 of the secret from its 0th, 1st or
 * 2nd character on, less the last group, which depends on what follows.
 */
function forms(secret: string): string[] {
  const out = [secret];
  for (let k = 0; k < 3; k++) out.push(Buffer.from(secret.slice(k), "latin1").toString("base64").slice(0, -4));
  return out.filter((s) => s.length >= 8);
}

describe("npm run flash keeps every secret out of what people see", () => {
  it("esp32-rak3172 with MQTT credentials and TLS files, registered on ChirpStack: secrets on the board and in the 0600 export only", async () => {
    const pki = await makePki();
    const cs = await fakeChirpStack(tmp);
    const sim = new SimBoard({ board: "esp32-rak3172", seed: 5, memoryBaseline: false });
    standardWorld(sim);
    const lw = attachModem(sim);
    lw.ns.up = false;
    sim.boot();
    const server = await serveConsole(sim, { port: 0 });
    const rec = await recorder(server.port);
    try {
      const mqttPass = "mq-" + crypto.randomBytes(9).toString("hex");
      const wifiPass = "wl-" + crypto.randomBytes(9).toString("hex");
      const credFile = path.join(pki.dir, "gw-17.json");
      fs.writeFileSync(
        credFile,
        JSON.stringify({ wifi: { ssid: "Hof", pass: wifiPass }, mqtt: { host: "127.0.0.1", port: 1, user: "gw-17", pass: mqttPass, tls: true }, tls: { ca: "ca.pem", cert: "gw-tls.pem", key: "gw-tls.key" } }),
      );
      const site = path.join(tmp, "site.json");
      fs.writeFileSync(site, JSON.stringify({ v: 1, name: "Weide Nord", interval: 900, sensors: [] }));
      const keysDir = path.join(tmp, "keys");
      const out: string[] = [];
      const o: FlashOptions = {
        board: "esp32-rak3172",
        port: `tcp://127.0.0.1:${rec.port}`,
        site,
        wipe: false,
        credentials: credFile,
        keysDir,
        build: false,
        dist: DIST,
        lock: true,
        registration: { ...REGISTRATION_DEFAULTS, chirpstack: cs.url, apiKeyFile: cs.keyFile, application: APP, deviceProfile: PROFILE, ttsApplication: "weiden-hessen" },
      };
      try {
        await flash(o, (l) => out.push(l));
      } catch (e) {
        if (e instanceof Refusal) throw new Error("refused: " + e.message + "\n" + out.join("\n"));
        throw e;
      }
      const said = out.join("\n");
      expect(said).toContain("is a feldgate gateway now");
      expect(said).toContain(`MQTT 127.0.0.1 as "gw-17" over TLS, TLS files fg.tls.ca, fg.tls.crt, fg.tls.key`);
      expect(said).toMatch(/Registered on ChirpStack at http:\/\/127\.0\.0\.1:\d+: device [0-9A-F]{16} in application .*, created with its keys\./);
      expect(cs.wrong).toEqual([]);

      // On the board: the credentials in fg.id, the TLS files as DER.
      const file = /The keys are in (.*) \(only you can read it\)/.exec(said)![1];
      const exp = JSON.parse(fs.readFileSync(file, "utf8"));
      const id = JSON.parse(sim.storage.read(FILE.identity)!);
      expect(id).toEqual({ v: 1, devEui: exp.devEui, joinEui: "0000000000000000", appKey: exp.appKey, wifi: { ssid: "Hof", pass: wifiPass }, mqtt: { host: "127.0.0.1", port: 1, user: "gw-17", pass: mqttPass, tls: true } });
      expect(Buffer.from(sim.storage.readBytes(FILE.tlsCa)!).equals(pki.read("ca.der"))).toBe(true);
      expect(Buffer.from(sim.storage.readBytes(FILE.tlsCert)!).equals(pki.read("gw-tls.der"))).toBe(true);
      expect(Buffer.from(sim.storage.readBytes(FILE.tlsKey)!).equals(pki.read("gw-tls.key.der"))).toBe(true);
      // ChirpStack holds the export's key.
      expect(cs.devices.get(exp.devEui.toLowerCase())!.keys.nwkKey).toBe(exp.appKey.toLowerCase());

      // The export and the files beside it: mode 0600 (the label, which holds no key, 0644).
      expect(exp.credentials.mqtt.pass).toBe(mqttPass);
      expect(exp.consolePassword).toMatch(/^[0-9a-z]{16}$/);
      expect(sim.consoleLocked).toBe(true);
      expect(exp.credentials.tls.key).toBe(fs.readFileSync(pki.file("gw-tls.key"), "utf8"));
      const base = file.replace(/\.json$/, "");
      for (const f of [file, base + ".tts.json", base + ".chirpstack-device.json", base + ".chirpstack-keys.json"]) expect(fs.statSync(f).mode & 0o777).toBe(0o600);
      expect(fs.statSync(base + ".label.svg").mode & 0o777).toBe(0o644);

      // Let the gateway run a while: its own log may say what it does, never with what.
      await server.close();
      sim.advance(120_000);

      const keyPem = fs.readFileSync(pki.file("gw-tls.key"), "utf8");
      const keyBody = keyPem.split("\n").filter((l) => l && !l.startsWith("-----")).join("");
      const secrets = {
        AppKey: exp.appKey,
        "AppKey (lower case)": exp.appKey.toLowerCase(),
        "MQTT password": mqttPass,
        "Wi-Fi password": wifiPass,
        "API key": cs.key,
        "console password": exp.consolePassword,
        "TLS key (PEM)": keyBody.slice(0, 40),
        "TLS key (DER, hex)": pki.read("gw-tls.key.der").toString("hex").slice(-64),
      };
      const seen = {
        "the flash transcript": said,
        "the board's console output": sim.output(),
        "what the console sent back to the laptop": rec.back(),
        "the label": fs.readFileSync(base + ".label.svg", "utf8"),
      };
      const found: string[] = [];
      for (const [w, text] of Object.entries(seen)) for (const [s, v] of Object.entries(secrets)) for (const f of forms(v)) if (text.includes(f)) found.push(`${s} in ${w}`);
      expect(found).toEqual([]);
      // The search can find them: fg.id as the CLI sends it, base64 in its Storage lines, holds every LoRaWAN and MQTT secret.
      const sent = Buffer.from(sim.storage.read(FILE.identity)!, "latin1").toString("base64");
      for (const v of [exp.appKey, mqttPass, wifiPass]) expect(forms(v).slice(1).some((f) => sent.includes(f))).toBe(true);
      // The relay did carry the connection: the board's banner and its answers went back through it.
      expect(rec.back()).toMatch(/FGCRC:\["fg\.tls\.key",\d+,-?\d+\]/);
    } finally {
      await rec.close();
      await server.close();
      await cs.close();
      pki.remove();
    }
  });

  it("a ChirpStack that refuses the API key, or credentials the board cannot use: refused before the board is asked anything", async () => {
    const cs = await fakeChirpStack(tmp);
    const sim = new SimBoard({ board: "nrf52840dk-wioe5", seed: 6, memoryBaseline: false });
    standardWorld(sim);
    attachModem(sim);
    sim.boot();
    const server = await serveConsole(sim, { port: 0 });
    try {
      const site = path.join(tmp, "site-dk.json");
      fs.writeFileSync(site, JSON.stringify({ v: 1, name: "Weide Nord", interval: 900, sensors: [] }));
      const wrongKey = path.join(tmp, "wrong-key");
      fs.writeFileSync(wrongKey, "wrong-" + crypto.randomBytes(8).toString("hex"));
      const base: FlashOptions = { board: "nrf52840dk-wioe5", port: `tcp://127.0.0.1:${server.port}`, site, wipe: false, keysDir: path.join(tmp, "keys-refused"), build: false, dist: DIST };
      const attempt = async (o: Partial<FlashOptions>) => {
        const out: string[] = [];
        try {
          await flash({ ...base, ...o }, (l) => out.push(l));
        } catch (e) {
          if (e instanceof Refusal) return { out: out.join("\n"), refused: e.message };
          throw e;
        }
        return { out: out.join("\n"), refused: "" };
      };
      const r401 = await attempt({ registration: { ...REGISTRATION_DEFAULTS, chirpstack: cs.url, apiKeyFile: wrongKey, application: APP, deviceProfile: PROFILE } });
      expect(r401.refused).toMatch(/refused the API key in .*wrong-key \(401 Unauthorized\)/);
      expect(r401.refused).not.toContain(fs.readFileSync(wrongKey, "utf8"));
      const cred = path.join(tmp, "dk-cred.json");
      fs.writeFileSync(cred, JSON.stringify({ wifi: { ssid: "Hof", pass: "x" }, mqtt: { host: "b" } }));
      const rWifi = await attempt({ credentials: cred });
      expect(rWifi.refused).toMatch(/nrf52840dk-wioe5 has no Wi-Fi/);
      for (const r of [r401, rWifi]) expect(r.out).not.toContain("Asking the board");
      expect(sim.storage.list()).toEqual([]);
      expect(fs.existsSync(base.keysDir)).toBe(false);
    } finally {
      await server.close();
      await cs.close();
    }
  });
});
