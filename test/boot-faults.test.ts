/**
 * Boot and faults: an alarm raised before a reboot is not raised again after
 * it, and a link or driver that cannot start is reported while the rest of
 * the gateway runs.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { makeBoard, siteWith, cycles } from "./helpers";
import { DIST } from "../scripts/sim/board";
import { codec } from "../scripts/frames";
import { transmitter } from "../scripts/sim/models/analog";
import { readStore } from "../scripts/store-reader";
import { ID } from "../src/store/storage-layout";

const soil = { kind: "soil", name: "S", port: 1 };

function count(text: string, what: string): number {
  return text.split("\n").filter((l) => l.includes(what)).length;
}

describe("alarms across reboots", () => {
  it("100 boots with a sensor unplugged raise its fault once; plugged in again, it is cleared once", () => {
    const sim = makeBoard("sim", { site: siteWith(soil), memoryBaseline: false });
    sim.fault("D36", { kind: "unplugged" });
    for (let i = 0; i < 100; i++) {
      sim.boot(i % 2 ? "software" : "power-on");
      sim.advance(4000);
    }
    const out = sim.output();
    expect(count(out, "INFO Readings: ")).toBe(100);
    expect(count(out, "soil moisture no answer")).toBe(100);
    expect(count(out, "ALARM S: sensor fault")).toBe(1);
    // Its state went into the flash store once, as one change of channel 1 with the sensor-fault bit (event 16) set.
    expect(readStore(sim, sim.board)!.counters.get(ID.alarmBase + 1)).toEqual([1, 1 << 16]);
    sim.fault("D36", null);
    sim.pins.setVolts("D36", 2.0);
    for (let i = 0; i < 3; i++) {
      sim.boot();
      sim.advance(4000);
    }
    expect(count(sim.output(), "Cleared: S: sensor fault")).toBe(1);
    expect(count(sim.output(), "ALARM S: sensor fault")).toBe(1);
  });

  it("an alarm of a level reading (high water) is kept too, and cleared when the water falls", () => {
    let mm = 3000;
    const river = { kind: "level", name: "R", port: 1, sensor: "4-20ma", rangeMm: 5000, highMm: 2000 };
    const sim = makeBoard("sim", { site: siteWith(river), memoryBaseline: false });
    transmitter(sim, "D36", 150, () => mm, 0, 5000);
    for (let i = 0; i < 10; i++) {
      sim.boot();
      sim.advance(4000);
    }
    expect(count(sim.output(), "ALARM R: high water")).toBe(1);
    mm = 1000;
    sim.advance(60_000);
    sim.boot();
    sim.advance(4000);
    expect(count(sim.output(), "Cleared: R: high water")).toBe(1);
    expect(count(sim.output(), "ALARM R: high water")).toBe(1);
  });

  it("a smoke alarm still sounding after a reboot is not raised again; one that stopped meanwhile is cleared at boot", () => {
    const sim = makeBoard("sim", { site: siteWith({ kind: "smoke", name: "F", port: 3 }), memoryBaseline: false });
    sim.pins.setLevel("D32", 1); // fault line closed: healthy
    sim.pins.setLevel("D27", 1); // in alarm
    sim.boot();
    sim.advance(4000);
    sim.boot("software");
    sim.advance(4000);
    expect(count(sim.output(), "ALARM F: SMOKE ALARM")).toBe(1);
    sim.powerOff();
    sim.pins.setLevel("D27", 0);
    sim.boot();
    sim.advance(4000);
    expect(count(sim.output(), "Cleared: F: SMOKE ALARM")).toBe(1);
    expect(count(sim.output(), "F: smoke quiet")).toBe(1);
  });
});

/** A board's built bundle with texts replaced, each exactly once: a board file wired otherwise. */
function patched(board: string, ...swaps: [string, string][]): string {
  let code = fs.readFileSync(path.join(DIST, `${board}.js`), "latin1");
  for (const [from, to] of swaps) {
    expect(code.split(from).length, from).toBe(2);
    code = code.replace(from, to);
  }
  return code;
}

const XIAO = "xiao-nrf52840-wioe5";
const keys = { v: 1, devEui: "70B3D57ED0000043", appKey: "00112233445566778899AABBCCDDEEFF" };

describe("a link or driver that cannot start", () => {
  it("a modem UART whose pins the build lacks: Serial.setup would only print; the firmware checks first, reports it, and keeps reading", () => {
    const sim = makeBoard(XIAO, { bundle: patched(XIAO, ['rx:"D7",tx:"D6"', 'rx:"D40",tx:"D41"']), site: siteWith() });
    sim.writeIdentity(keys);
    sim.boot();
    sim.advance(10 * 60_000);
    const out = sim.output();
    expect(out).toContain("ERROR LoRaWAN not started: D40: Invalid pin");
    expect(out).not.toContain("Invalid RX or TX pins");
    expect(out).not.toContain("LoRaWAN modem:");
    expect(cycles(sim)).toBe(10);
    expect(sim.errors).toEqual([]);
  });

  it("a modem on a UART the build lacks is reported by name", () => {
    const sim = makeBoard(XIAO, { bundle: patched(XIAO, ['"Serial1"', '"Serial2"']), site: siteWith() });
    sim.writeIdentity(keys);
    sim.boot();
    sim.advance(5000);
    expect(sim.output()).toContain("ERROR LoRaWAN not started: Serial2: not on this build");
    expect(sim.errors).toEqual([]);
  });

  describe("over Wi-Fi, the health report says what did not start", () => {
    const health: any[] = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        const h = codec.decodeUplink({ bytes: Array.from(Buffer.concat(chunks)), recvTime: new Date() }).data?.health;
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

    it("a modem reset pin outside the build (Invalid pin) and a sensor's UART pin outside it: Wi-Fi runs, and reports both", async () => {
      const board = "esp32-rak3172";
      const site = siteWith({ kind: "trough", name: "T", port: 4, sensor: "a02yyuw", depth: 600, length: 2000, width: 600, mount: 800 });
      const sim = makeBoard(board, { bundle: patched(board, ['reset:"D4"', 'reset:"D40"'], ['rx:"D18"', 'rx:"D40"']), site });
      sim.wifi.addAp("Hof", "geheim-123");
      sim.writeIdentity({ ...keys, wifi: { ssid: "Hof", pass: "geheim-123" }, http: { host: "127.0.0.1", port, path: "/ingest" } });
      sim.boot();
      await sim.runRealtime(20 * 60_000, 2000, 2000);
      const out = sim.output();
      expect(out).toContain("ERROR LoRaWAN not started: Invalid pin");
      expect(out).toContain("ERROR Site configuration refused: D40: Invalid pin");
      expect(cycles(sim)).toBeGreaterThan(10);
      expect(health.length).toBeGreaterThan(0);
      expect(health[0].not_started).toEqual(["lorawan", "sensors"]);
      expect(health[0].wifi_state).toBe("connected");
      expect(sim.errors).toEqual([]);
    });
  });
});
