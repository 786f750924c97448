import { describe, expect, it } from "vitest";
import { makeBoard, siteWith, cycles, storedSite } from "./helpers";
import { attachLorawan, type Lorawan } from "../scripts/sim/lorawan";
import { airtimeMs } from "../scripts/frames";
import { encode as cborEncode } from "cbor-x";
import { SIM_EPOCH_MS, type SimBoard } from "../scripts/sim/board";
import { A02yyuw } from "../scripts/sim/models/ultrasonic";

const HOUR = 3600_000;
const site = siteWith({ kind: "soil", name: "B", port: 3 });
(site as any).interval = 900;

function gateway(dr = 5): { sim: SimBoard; lw: Lorawan } {
  const sim = makeBoard("sim", { site });
  sim.pins.setVolts("D34", () => 2.0 + 0.001 * Math.sin(sim.clock.mono / 1e6));
  const lw = attachLorawan(sim);
  lw.modem.dr = dr;
  sim.boot();
  return { sim, lw };
}

/** EU868 1 % duty cycle at SF12: in any hour, at most 36 s of airtime (one frame's worth of slack at the hour's edge). */
function expectWithinDutyCycle(lw: Lorawan): void {
  const byHour = new Map<number, number>();
  for (const u of lw.ns.uplinks) {
    const h = Math.floor(u.at / HOUR);
    byHour.set(h, (byHour.get(h) ?? 0) + airtimeMs(u.bytes.length, 12));
  }
  for (const ms of byHour.values()) expect(ms).toBeLessThanOrEqual(36_000 + airtimeMs(51, 12));
}

describe("LoRaWAN through the RAK3172", () => {
  it("configures the modem as the RUI3 manual says, joins, and delivers every reading", () => {
    const { sim, lw } = gateway();
    sim.advance(6 * HOUR);
    expect(lw.modem.commands.slice(0, 9).map((c) => c.split("=")[0])).toEqual(["AT", "AT+NWM", "AT+NJM", "AT+BAND", "AT+DEVEUI", "AT+APPEUI", "AT+APPKEY", "AT+ADR", "AT+CLASS"]);
    expect(lw.modem.commands).toContain("AT+JOIN=1:0:10:1");
    expect(lw.ns.errors).toEqual([]);
    expect(lw.ns.readings.size).toBe(cycles(sim) * 3);
    expect(sim.errors).toEqual([]);
  });

  it("24 hours without coverage: every reading arrives after, no duplicates after de-duplication, within 1 % duty cycle", () => {
    const { sim, lw } = gateway(0); // DR0, SF12, 51-byte frames: the hard case
    sim.advance(HOUR);
    lw.ns.up = false;
    sim.advance(24 * HOUR);
    const offline = cycles(sim);
    lw.ns.up = true;
    sim.advance(12 * HOUR);
    expect(lw.ns.readings.size).toBe(cycles(sim) * 3);
    expect(offline).toBeGreaterThan(96);
    expectWithinDutyCycle(lw);
    console.log(`24 h outage at SF12: ${lw.ns.uplinks.length} uplinks, ${lw.ns.readings.size} readings, ${lw.ns.duplicates} duplicates dropped by the platform`);
  });

  it("a network that refuses joins: retries with growing, spread-out waits, then joins", () => {
    const sim = makeBoard("sim", { site });
    const lw = attachLorawan(sim);
    lw.ns.refuseJoins = 4;
    sim.boot();
    sim.advance(6 * HOUR);
    const joins = lw.modem.commands.filter((c) => c.startsWith("AT+JOIN"));
    expect(joins.length).toBe(5);
    expect(lw.ns.readings.size).toBeGreaterThan(0);
    expect(sim.output()).toContain("LoRaWAN: join failed, trying again later");
  });

  it("a modem that stops answering is reset through its reset line and set up again", () => {
    const { sim, lw } = gateway();
    sim.advance(HOUR);
    const resets: number[] = [];
    sim.pins.onWrite("D4", (l, t) => l === 0 && resets.push(t));
    lw.modem.dead = true;
    sim.advance(2 * HOUR);
    expect(resets.length).toBeGreaterThan(3);
    // The waits between resets grow.
    const gaps = resets.slice(1).map((t, i) => t - resets[i]);
    expect(gaps[gaps.length - 1]).toBeGreaterThan(gaps[0]);
    lw.modem.dead = false;
    sim.advance(4 * HOUR);
    expect(lw.ns.readings.size).toBe(cycles(sim) * 3);
    // The first frames after the modem came back carry a health report that says what happened.
    const first = lw.ns.health[0];
    const after = lw.ns.health[lw.ns.health.length - 1];
    expect(first).toMatchObject({ link: "lorawan", lorawan_state: "joined", lorawan_joins: 1, lorawan_modem_resets: 0 });
    expect(after).toMatchObject({ link: "lorawan", lorawan_state: "joined", lorawan_joins: 2 });
    expect(after.lorawan_modem_resets).toBe(resets.length);
    expect(after.lorawan_failures).toBeGreaterThanOrEqual(resets.length);
    expect(after.airtime_ms).toBeGreaterThan(0);
    expect(after.wifi_state).toBeUndefined();
  });

  it("garbage on the modem line does not stop it", () => {
    const { sim, lw } = gateway();
    for (let i = 0; i < 50; i++) lw.modem.uart.garbage(40, i * 60_000);
    sim.advance(6 * HOUR);
    expect(lw.ns.readings.size).toBe(cycles(sim) * 3);
  });
});

describe("health reports over LoRaWAN", () => {
  it("Wi-Fi that comes and goes every 10 minutes: its changes are reported at most hourly, with every reading delivered", () => {
    const s = siteWith({ kind: "soil", name: "B", port: 3 });
    Object.assign(s, { interval: 900, link: "both", prefer: "wifi" });
    const sim = makeBoard("sim", { site: s });
    sim.pins.setVolts("D34", () => 2.0 + 0.001 * Math.sin(sim.clock.mono / 1e6));
    const lw = attachLorawan(sim);
    const id = JSON.parse(sim.storage.read("fg.id")!);
    // A broker that never answers: the Wi-Fi link never carries a frame, and LoRaWAN takes them all.
    sim.writeIdentity({ ...id, wifi: { ssid: "Hof", pass: "geheim-123" }, mqtt: { host: "192.0.2.1", port: 1883 } });
    sim.wifi.addAp("Hof", "geheim-123");
    sim.boot();
    sim.advance(HOUR);
    const before = lw.ns.health.length;
    for (let i = 0; i < 36; i++) {
      sim.wifi.setApUp("Hof", i % 2 === 1);
      sim.advance(10 * 60_000);
    }
    const reports = lw.ns.health.slice(before);
    // 36 changes in 6 hours: one report an hour at most, and the counters carry the changes between them.
    expect(reports.length).toBeGreaterThan(1);
    expect(reports.length).toBeLessThanOrEqual(6);
    expect(reports[reports.length - 1].wifi_reconnects).toBeGreaterThan(10);
    expect(lw.ns.readings.size).toBe(cycles(sim) * 3);
  });
});

describe("The Things Network's fair use", () => {
  it("with fairUse the gateway stays within 30 s of airtime a day, and catches up after", () => {
    const s = siteWith({ kind: "soil", name: "B", port: 3 });
    Object.assign(s, { interval: 300, fairUse: true });
    const sim = makeBoard("sim", { site: s });
    sim.pins.setVolts("D34", () => 2.0 + 0.001 * Math.sin(sim.clock.mono / 1e6));
    const lw = attachLorawan(sim);
    lw.modem.dr = 0; // SF12: about 1.5 to 2.5 s a frame
    sim.boot();
    sim.advance(3 * 24 * HOUR);
    // The budget runs over days counted from the gateway's first transmission, right after it started.
    const byDay = new Map<number, number>();
    for (const u of lw.ns.uplinks) {
      const d = Math.floor((u.at - SIM_EPOCH_MS) / (24 * HOUR));
      byDay.set(d, (byDay.get(d) ?? 0) + airtimeMs(u.bytes.length, 12));
    }
    for (const ms of byDay.values()) expect(ms).toBeLessThanOrEqual(30_000);
    // More readings than 30 s a day can carry at SF12: the rest waits in the buffer, nothing is lost.
    expect(lw.ns.readings.size).toBeLessThan(cycles(sim) * 3);
    expect(sim.output()).toMatch(/Waiting to be sent: \d+ readings/);
  });
});

describe("downlinks through LoRaWAN", () => {
  it("a new interval is applied and answered; a replay and a malformed one are refused, the configuration kept", () => {
    const { sim, lw } = gateway();
    sim.advance(HOUR);
    lw.ns.queueDownlink({ command: "set_interval", counter: 7, seconds: 300 });
    sim.advance(HOUR);
    expect(lw.ns.status).toContainEqual({ counter: 7, result: "accepted", detail: undefined });
    const before = cycles(sim);
    sim.advance(HOUR);
    expect(cycles(sim) - before).toBe(12);
    expect(storedSite(sim).interval).toBe(300);

    lw.ns.queueDownlink({ command: "set_interval", counter: 7, seconds: 60 }); // the same counter again
    sim.advance(HOUR);
    expect(lw.ns.status).toContainEqual({ counter: 7, result: "replayed", detail: undefined });
    expect(storedSite(sim).interval).toBe(300);
  });

  it("an out-of-range value is refused with the running configuration unchanged", () => {
    const { sim, lw } = gateway();
    sim.advance(HOUR);
    // [1, 9, 1, 5]: interval of 5 s, which the codec would not even encode.
    (lw.ns as any).downlinks.push({ port: 11, bytes: [0x84, 0x01, 0x09, 0x01, 0x05] });
    (lw.ns as any).downlinks.push({ port: 11, bytes: [0xff, 0x00] });
    sim.advance(2 * HOUR);
    expect(lw.ns.status).toContainEqual({ counter: 9, result: "out_of_range", detail: undefined });
    expect(lw.ns.status).toContainEqual({ counter: 0, result: "malformed", detail: undefined });
    expect(storedSite(sim).interval).toBe(900);
  });

  it("sensor options: a valid change is applied, an invalid one refused naming the field", () => {
    const { sim, lw } = gateway();
    sim.advance(HOUR);
    lw.ns.queueDownlink({ command: "set_sensor", counter: 3, sensor: 0, options: { dry: 2.5 } });
    sim.advance(HOUR);
    // The codec refuses to encode dry 9 V; a platform with another encoder may still send it, and the gateway refuses it too.
    expect(() => lw.ns.queueDownlink({ command: "set_sensor", counter: 4, sensor: 0, options: { dry: 9 } })).toThrow(/dry: a number from 0.1 to 5/);
    (lw.ns as any).downlinks.push({ port: 11, bytes: Array.from(cborEncode([1, 4, 2, 0, { dry: 9 }])) });
    sim.advance(HOUR);
    expect(lw.ns.status.map((s) => s.result)).toEqual(["accepted", "rejected"]);
    // The platform is told why, in the gateway's own words.
    expect(lw.ns.status[1]).toEqual({ counter: 4, result: "rejected", detail: "site.sensors[0].dry: a number from 0.1 to 5 is needed" });
    expect(storedSite(sim).sensors[0].dry).toBe(2.5);
    expect(sim.output()).toContain("Sensor change from the platform refused: site.sensors[0].dry: a number from 0.1 to 5 is needed");
  });

  it("the counter's top: 2^32 - 1 is the last accepted; a larger one is malformed, never wrapped into an accepted one", () => {
    const { sim, lw } = gateway();
    sim.advance(HOUR);
    lw.ns.queueDownlink({ command: "set_interval", counter: 4294967295, seconds: 600 });
    sim.advance(HOUR);
    // [1, 2^32 + 7, 1, 300] with the counter as a double, as a lenient encoder writes it, and [1, 2^32 + 101, 3] in
    // 8 bytes: in 32 bits these would be 7 and 101.
    const f64 = Buffer.alloc(8);
    f64.writeDoubleBE(4294967303);
    (lw.ns as any).downlinks.push({ port: 11, bytes: [0x84, 0x01, 0xfb, ...f64, 0x01, 0x19, 0x01, 0x2c] });
    (lw.ns as any).downlinks.push({ port: 11, bytes: [0x83, 0x01, 0x1b, 0, 0, 0, 1, 0, 0, 0, 101, 0x03] });
    lw.ns.queueDownlink({ command: "set_interval", counter: 101, seconds: 300 });
    sim.advance(3 * HOUR);
    expect(lw.ns.status.map((x) => [x.counter, x.result])).toEqual([
      [4294967295, "accepted"],
      [0, "malformed"],
      [0, "malformed"],
      [101, "replayed"],
    ]);
    expect(storedSite(sim).interval).toBe(600);
  });

  it("a reboot is answered first, then the gateway restarts", () => {
    const { sim, lw } = gateway();
    sim.advance(HOUR);
    lw.ns.queueDownlink({ command: "reboot", counter: 11 });
    sim.advance(HOUR);
    expect(lw.ns.status).toContainEqual({ counter: 11, result: "accepted", detail: undefined });
    expect(sim.resets.map((r) => r.cause)).toEqual(["power-on", "software"]);
  });
});

describe("LoRaWAN through the Wio-E5", () => {
  for (const board of ["nrf52840dk-wioe5", "xiao-nrf52840-wioe5"]) {
    it(`${board}: configures the modem as Seeed's specification says, joins, and delivers every reading, also after 24 hours without coverage`, () => {
      const s = siteWith({ kind: "soil", name: "B", port: 2 });
      (s as any).interval = 900;
      const sim = makeBoard(board, { site: s });
      const adc = sim.board.hw.ports.find((p) => p.id === 2)!.adc!;
      sim.pins.setVolts(adc, () => 2.0 + 0.001 * Math.sin(sim.clock.mono / 1e6));
      const lw = attachLorawan(sim);
      sim.boot();
      sim.advance(2 * HOUR);
      expect(lw.modem.commands.slice(0, 4)).toEqual(["AT", "AT+MODE=LWOTAA", "AT+DR=EU868", `AT+ID=DevEui,"${(lw.modem as any).devEui}"`]);
      lw.ns.up = false;
      sim.advance(24 * HOUR);
      lw.ns.up = true;
      sim.advance(8 * HOUR);
      expect(lw.ns.errors).toEqual([]);
      expect(lw.ns.readings.size).toBe(cycles(sim) * 3);
      expect(sim.errors).toEqual([]);
    });
  }

  it("downlinks arrive through the Wio-E5 too, and a replay is refused", () => {
    const s = siteWith({ kind: "soil", name: "B", port: 2 });
    const sim = makeBoard("xiao-nrf52840-wioe5", { site: s });
    const lw = attachLorawan(sim);
    sim.boot();
    sim.advance(HOUR);
    lw.ns.queueDownlink({ command: "report_status", counter: 2 });
    sim.advance(HOUR);
    lw.ns.queueDownlink({ command: "report_status", counter: 2 });
    sim.advance(HOUR);
    expect(lw.ns.status.map((x) => x.result)).toEqual(["accepted", "replayed"]);
  });
});

describe("unconfirmed routine uplinks, acknowledged in bulk (site acks: bulk)", () => {
  const DAY = 24 * HOUR;
  function bulkGateway(board: string, dr = 5): { sim: SimBoard; lw: Lorawan } {
    const port = board === "sim" ? 3 : 2;
    const s = siteWith({ kind: "soil", name: "B", port });
    Object.assign(s, { interval: 900, acks: "bulk" });
    const sim = makeBoard(board, { site: s });
    const adc = sim.board.hw.ports.find((p) => p.id === port)!.adc!;
    sim.pins.setVolts(adc, () => 2.0 + 0.001 * Math.sin(sim.clock.mono / 1e6));
    const lw = attachLorawan(sim);
    lw.modem.dr = dr;
    sim.boot();
    return { sim, lw };
  }
  const ackDownlinks = (lw: Lorawan) => lw.ns.sentDownlinks.filter((d) => d.port === 12).length;

  for (const board of ["sim", "xiao-nrf52840-wioe5"]) {
    it(`${board}: routine frames go unconfirmed, every reading arrives, and acknowledgements stay within TTN's 10 downlinks a day`, () => {
      const { sim, lw } = bulkGateway(board);
      sim.advance(2 * DAY);
      const confirmed = lw.ns.uplinks.filter((u) => u.confirmed).length;
      expect(lw.ns.uplinks.length).toBeGreaterThan(180);
      // Nothing goes confirmed without cause: no alarm, no answer to the platform.
      expect(sim.output()).not.toContain("ALARM");
      expect(confirmed).toBe(0);
      expect(ackDownlinks(lw)).toBeGreaterThan(10);
      expect(ackDownlinks(lw)).toBeLessThanOrEqual(2 * 10);
      // Readings of the last frames may wait for their acknowledgement; all of them have arrived.
      expect(lw.ns.readings.size).toBe(cycles(sim) * 3);
      expect(lw.ns.errors).toEqual([]);
      expect(sim.errors).toEqual([]);
      // The buffer keeps at most the frames since the last acknowledgement.
      expect(+/Waiting to be sent: (\d+) readings/.exec(sim.output().split("\n").reverse().join("\n"))![1]).toBeLessThanOrEqual(3 * 17);
    });
  }

  it("frames lost on air are found missing in the acknowledgement and sent again: every reading arrives", () => {
    const { sim, lw } = bulkGateway("sim");
    let lost = 0;
    // One uplink in seven never reaches a gateway.
    lw.ns.lose = (n) => n % 7 === 3 && ++lost > 0;
    sim.advance(2 * DAY);
    lw.ns.lose = null;
    sim.advance(6 * HOUR);
    expect(lost).toBeGreaterThan(20);
    expect(lw.ns.readings.size).toBe(cycles(sim) * 3);
    expect(lw.ns.duplicates).toBeGreaterThan(0);
    console.log(`bulk acknowledgements with 1 uplink in 7 lost: ${lost} lost, ${lw.ns.uplinks.length} uplinks arrived, ${lw.ns.duplicates} duplicate readings dropped by the platform`);
  });

  for (const board of ["sim", "xiao-nrf52840-wioe5"]) {
    it(`${board}: 24 hours without coverage at SF12: every reading arrives after, within 1 % duty cycle`, () => {
      const { sim, lw } = bulkGateway(board, 0);
      sim.advance(HOUR);
      lw.ns.up = false;
      sim.advance(DAY);
      lw.ns.up = true;
      sim.advance(14 * HOUR);
      expect(lw.ns.readings.size).toBe(cycles(sim) * 3);
      expectWithinDutyCycle(lw);
    });
  }

  it("a platform that never acknowledges: the gateway goes back to confirmed frames and nothing is lost", () => {
    const { sim, lw } = bulkGateway("sim");
    lw.ns.acks = false;
    sim.advance(DAY);
    expect(sim.output()).toContain("LoRaWAN: no bulk acknowledgements, confirming every frame");
    const late = lw.ns.uplinks.filter((u) => u.at > SIM_EPOCH_MS + 18 * HOUR);
    expect(late.every((u) => u.confirmed)).toBe(true);
    expect(lw.ns.readings.size).toBe(cycles(sim) * 3);
    // Once the platform answers, routine frames go unconfirmed again.
    lw.ns.acks = true;
    sim.advance(2 * DAY);
    expect(lw.ns.uplinks.filter((u) => u.at > SIM_EPOCH_MS + 2 * DAY && !u.confirmed).length).toBeGreaterThan(50);
    expect(lw.ns.readings.size).toBe(cycles(sim) * 3);
  });

  it("an alarm goes confirmed, in the next frame", () => {
    const s = siteWith({ kind: "trough", name: "T", port: 4, sensor: "a02yyuw", depth: 600, length: 2000, width: 600, mount: 800, lowPct: 30, hystPct: 5 });
    Object.assign(s, { interval: 900, acks: "bulk" });
    let distance = 350;
    const sim = makeBoard("sim", { site: s });
    new A02yyuw(sim, "Serial3", () => distance);
    const lw = attachLorawan(sim);
    const withEvents: { confirmed: boolean; at: number }[] = [];
    lw.ns.onDecoded = (d, up) => {
      if (d.events.length) withEvents.push({ confirmed: up.confirmed, at: up.at });
    };
    sim.boot();
    sim.advance(3 * HOUR);
    distance = 760; // 40 mm of water in a 600 mm trough
    const low = sim.clock.wall;
    sim.advance(HOUR);
    expect(lw.ns.events.map((e) => e.event)).toContain("level_low");
    expect(withEvents.length).toBeGreaterThan(0);
    expect(withEvents.every((e) => e.confirmed)).toBe(true);
    expect(withEvents[0].at - low).toBeLessThan(16 * 60_000);
    expect(lw.ns.uplinks.filter((u) => !u.confirmed).length).toBeGreaterThan(5);
  });

  it("the nRF52840 DK build confirms every frame and refuses acks: bulk, naming the field", () => {
    const s = siteWith({ kind: "soil", name: "B", port: 2 });
    Object.assign(s, { acks: "bulk" });
    const sim = makeBoard("nrf52840dk-wioe5", { site: s });
    attachLorawan(sim);
    sim.boot();
    expect(sim.output()).toContain("site.acks: this board confirms each frame");
  });
});
