import { describe, expect, it } from "vitest";
import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { decode } from "cbor-x";
import { bootBoard } from "./helpers";
import { DIST } from "../scripts/sim/board";
import { codec, decodeFrame, type Rec } from "../scripts/frames";

const probe = fs.readFileSync(path.join(DIST, "probes/frame.js"), "latin1");
const sim = bootBoard("sim", { bundle: probe, world: false });
const NOW = 1_780_000_000;

interface PackResult {
  bytes: number[];
  records: number;
  health: number;
  answered: boolean;
}

interface Answer {
  counter: number;
  result: number;
  detail: string;
}

/** The firmware's packer, as compiled for the board, inside the simulated realm. */
function pack(recs: (Rec & { kind?: number })[], maxLen: number, seq = 7, now = NOW, health: number[] | null = null, answer: Answer | null = null, ackAsk = 0): PackResult {
  const v = {
    n: recs.length,
    kind: recs.map((r) => r.kind ?? 0),
    ch: recs.map((r) => r.ch),
    code: recs.map((r) => r.qty),
    q: recs.map((r) => r.q),
    value: recs.map((r) => r.value),
    t: recs.map((r) => r.t),
  };
  return sim.eval<PackResult>(`(function () {
    var v = ${JSON.stringify(v)};
    var R = { n: v.n, kind: new Uint8Array(v.kind), ch: new Uint8Array(v.ch), code: new Uint8Array(v.code), q: new Uint8Array(v.q), value: new Int32Array(v.value), t: new Float64Array(v.t) };
    var out = new Uint8Array(300);
    var r = fgPack(out, ${maxLen}, ${seq}, ${now}, R, ${JSON.stringify(health)}, ${JSON.stringify(answer)}, ${ackAsk});
    return { bytes: Array.prototype.slice.call(out, 0, r.bytes), records: r.records, health: r.health, answered: r.answered };
  })()`);
}

const QTYS = Object.keys(codec.QUANTITIES).map(Number);

/** Records as the buffer hands them over: grouped by channel and quantity, oldest first. */
const recordsArb = fc
  .array(
    fc.record({
      ch: fc.integer({ min: 0, max: 15 }),
      qty: fc.constantFrom(...QTYS),
      value: fc.integer({ min: -2_000_000, max: 2_000_000 }),
      q: fc.constantFrom(0, 0, 0, 0, 1, 2, 3, 4),
      dt: fc.constantFrom(900, 900, 900, 60, 1, 3600, 17),
    }),
    { minLength: 1, maxLength: 60 },
  )
  .map((rs) => {
    let t = NOW - 86400;
    const out = rs.map((r) => ({ ch: r.ch, qty: r.qty, value: r.q >= 2 ? 0 : r.value, q: r.q, t: (t += r.dt) }));
    return out.sort((a, b) => a.ch - b.ch || a.qty - b.qty || a.t - b.t);
  });

function expected(r: Rec) {
  return { ch: r.ch, qty: r.qty, value: r.q >= 2 ? null : r.value, q: r.q, time: r.t * 1000 };
}

/** Packs everything into frames of maxLen, as a link would send them. */
function packAll(recs: Rec[], maxLen: number): number[][] {
  const frames: number[][] = [];
  let rest = recs;
  while (rest.length) {
    const r = pack(rest, maxLen, frames.length);
    expect(r.records).toBeGreaterThan(0);
    expect(r.bytes.length).toBeLessThanOrEqual(maxLen);
    frames.push(r.bytes);
    rest = rest.slice(r.records);
  }
  return frames;
}

describe("frames: the bundle's encoder against cbor-x and the codec", () => {
  it("random records round-trip through the firmware encoder, cbor-x and the codec", () => {
    fc.assert(
      fc.property(recordsArb, fc.constantFrom(51, 115, 222), (recs, maxLen) => {
        const frames = packAll(recs, maxLen);
        const viaCborX = frames.flatMap((f) => decodeFrame(Uint8Array.from(f), NOW * 1000).readings);
        expect(viaCborX).toEqual(recs.map(expected));
        const viaCodec = frames.flatMap((f) => {
          const out = codec.decodeUplink({ bytes: f, fPort: 10, recvTime: new Date(NOW * 1000) });
          expect(out.errors).toBeUndefined();
          return out.data.readings;
        });
        expect(viaCodec.length).toBe(recs.length);
        viaCodec.forEach((d: any, i: number) => {
          const r = recs[i];
          const q = codec.QUANTITIES[r.qty];
          expect(d.channel).toBe(r.ch);
          expect(d.quantity).toBe(q[0]);
          expect(d.time).toBe(new Date(r.t * 1000).toISOString());
          expect(d.value === null ? null : Math.round(d.value * q[2])).toBe(r.q >= 2 ? null : r.value);
        });
      }),
      { numRuns: 150, seed: 4242 },
    );
  });

  it("every frame is valid CBOR on its own, however the batch is cut", () => {
    fc.assert(
      fc.property(recordsArb, fc.integer({ min: 20, max: 222 }), (recs, maxLen) => {
        for (const f of packAll(recs, maxLen)) expect(() => decode(Uint8Array.from(f))).not.toThrow();
      }),
      { numRuns: 100, seed: 99 },
    );
  });

  it("a steady series costs under two bytes a reading", () => {
    const recs: Rec[] = Array.from({ length: 20 }, (_, i) => ({ ch: 1, qty: 3, value: 480 - i, q: 0, t: NOW - 20 * 900 + i * 900 }));
    const r = pack(recs, 222);
    expect(r.records).toBe(20);
    // header 6, group 2, quantity 1, series header, offset, step and first value 8, then one byte a delta
    expect(r.bytes.length).toBe(36);
  });

  it("events go first, in a notes block, and decode with their channel and state", () => {
    const recs = [
      { kind: 1, ch: 3, qty: 8, value: 1, q: 1, t: NOW - 5 },
      { kind: 0, ch: 1, qty: 3, value: 200, q: 0, t: NOW - 5 },
    ];
    const r = pack(recs, 51);
    expect(r.records).toBe(2);
    const d = codec.decodeUplink({ bytes: r.bytes, recvTime: new Date(NOW * 1000) }).data;
    expect(d.events).toEqual([{ channel: 3, event: "smoke", active: true, time: new Date((NOW - 5) * 1000).toISOString(), value: 1 }]);
    expect(d.readings[0]).toMatchObject({ channel: 1, quantity: "level", value: 200 });
  });

  it("health goes into the notes block; floats only where needed, in their shortest exact form", () => {
    const r = pack([], 51, 9, NOW, [1, 3600, 3, 4980, 4, 2.5, 5, 0.1]);
    const f = decode(Uint8Array.from(r.bytes)) as any[];
    const h = f[3] instanceof Map ? f[3].get(2) : f[3][2];
    const get = (k: number) => (h instanceof Map ? h.get(k) : h[k]);
    expect([get(1), get(3), get(4)]).toEqual([3600, 4980, 2.5]);
    expect(get(5)).toBeCloseTo(0.1, 15);
    const hex = Buffer.from(r.bytes).toString("hex");
    expect(hex).toContain("04f94100"); // 2.5 as a half float
    expect(hex).toContain("05fb3fb999999999999a"); // 0.1 needs a double
  });

  it("a float goes in the shortest width that holds it exactly: every half exponent, subnormals too", () => {
    // Made by multiplying by powers of two in Node, which is exact; JSON carries them to the realm bit for bit.
    const p2 = (e: number) => 2 ** e;
    const cases: [number, number][] = [];
    for (let e = -14; e <= 15; e++) for (const m of [1, 341, 512, 1023]) cases.push([(1024 + m) * p2(e - 10), 2]);
    for (const k of [1, 3, 511, 1023]) cases.push([k * p2(-24), 2]);
    for (let e = -30; e <= 30; e += 3) for (const m of [1, 4097, 8191, 0x7fffff]) cases.push([(0x800000 + m) * p2(e - 23), 4]);
    cases.push([p2(-25), 4], [p2(-126), 4], [65536.5, 4], [3 * p2(-25), 4]);
    for (const x of [0.1, 1 / 3, 2.2, 1e-300, 1e300, 4999.99]) cases.push([x, 8]);
    const all = cases.flatMap(([x, n]) => [[x, n], [-x, n]] as [number, number][]).filter(([x]) => x % 1 !== 0);
    const wrong: string[] = [];
    for (const [x, n] of all) {
      const b = pack([], 51, 9, NOW, [1, x]).bytes;
      const head = b[b.length - 1 - n];
      const d = decode(Uint8Array.from(b)) as any[];
      const h = d[3] instanceof Map ? d[3].get(2) : d[3][2];
      const back = h instanceof Map ? h.get(1) : h[1];
      if (head !== { 2: 0xf9, 4: 0xfa, 8: 0xfb }[n] || b[b.length - 2 - n] !== 1 || back !== x) wrong.push(`${x}: ${Buffer.from(b.slice(-2 - n)).toString("hex")}`);
    }
    expect(all.length).toBeGreaterThan(300);
    expect(wrong).toEqual([]);
  });

  it("a health report longer than the payload goes over two frames, every figure once, and records wait", () => {
    // A gateway with both links, at DR0 (51 bytes): 16 figures that take 53 bytes in one frame.
    const health = [1, 86400, 2, 3, 4, 96, 5, 0, 6, 100, 7, 1, 12, 820480, 10, 12870, 14, 2, 15, 1, 16, 0, 17, 0, 18, 0, 19, 2, 20, 1, 21, 1];
    const recs = [
      { ch: 3, qty: 12, value: 1, q: 1, t: NOW - 5, kind: 1 },
      { ch: 1, qty: 3, value: 480, q: 0, t: NOW },
    ];
    const figures = (r: PackResult) => codec.decodeUplink({ bytes: r.bytes, recvTime: new Date(NOW * 1000) }).data;
    const a = pack(recs, 51, 300, NOW, health);
    expect(a.bytes.length).toBeLessThanOrEqual(51);
    expect(a.health).toBeGreaterThan(0);
    expect(a.health).toBeLessThan(16);
    expect(a.records).toBe(0);
    const b = pack(recs, 51, 301, NOW, health.slice(a.health * 2));
    expect(a.health + b.health).toBe(16);
    expect(b.bytes.length).toBeLessThanOrEqual(51);
    const da = figures(a);
    const db = figures(b);
    expect(Object.keys(da.health).length + Object.keys(db.health).length).toBe(16);
    expect({ ...da.health, ...db.health }).toMatchObject({ uptime_s: 86400, lorawan_state: "joined", wifi_state: "no_wifi", wifi_reconnects: 1 });
    // The event went in with the rest of the report, or waits: never lost, never dropped silently.
    expect(da.events).toEqual([]);
    expect(b.records).toBe(db.events.length + db.readings.length);
    // With room, the whole report and the records share one frame.
    const c = pack(recs, 222, 9, NOW, health);
    expect([c.health, c.records]).toEqual([16, 2]);
  });

  it("a frame too small for even one reading holds none, and says so", () => {
    const r = pack([{ ch: 1, qty: 3, value: 1_000_000, q: 0, t: NOW }], 8);
    expect(r.records).toBe(0);
    expect(decode(Uint8Array.from(r.bytes))).toEqual([1, 7, 0]);
  });
});

describe("codec file", () => {
  const file = path.join(__dirname, "../decoders/feldgate.js");
  const src = fs.readFileSync(file, "utf8");

  it("is ECMAScript 5.1, standalone, and within The Things Stack's 40,960 bytes", async () => {
    const acorn = await import("acorn");
    expect(() => acorn.parse(src, { ecmaVersion: 5, sourceType: "script" })).not.toThrow();
    expect(src).not.toMatch(/\brequire\s*\(/);
    expect(Buffer.byteLength(src)).toBeLessThanOrEqual(40960);
  });

  it("carries the same quantity and event tables as the firmware", () => {
    const q = fs.readFileSync(path.join(__dirname, "../src/readings/quantities.ts"), "utf8");
    for (const m of q.matchAll(/export const QTY_\w+ = (\d+); \/\/ .*/g)) expect(codec.QUANTITIES[Number(m[1])]).toBeDefined();
    expect(Object.keys(codec.QUANTITIES).length).toBe([...q.matchAll(/export const QTY_\w+ = (\d+);/g)].length);
    const e = fs.readFileSync(path.join(__dirname, "../src/readings/events.ts"), "utf8");
    expect(Object.keys(codec.EVENTS).length).toBe([...e.matchAll(/export const EV_\w+ = (\d+);/g)].length);
  });

  it("truncated, oversized, deeply nested and random bytes give errors, never a throw", () => {
    const good = pack([{ ch: 1, qty: 3, value: 480, q: 0, t: NOW }, { ch: 2, qty: 7, value: 3500, q: 0, t: NOW }], 51).bytes;
    for (let n = 0; n < good.length; n++) expect(codec.decodeUplink({ bytes: good.slice(0, n) }).errors?.length).toBe(1);
    expect(codec.decodeUplink({ bytes: [...good, 0] }).errors?.[0]).toMatch(/after the end/);
    const nested = [...Array(200).fill(0x81), 0];
    expect(codec.decodeUplink({ bytes: nested }).errors?.[0]).toMatch(/nested deeper/);
    expect(codec.decodeUplink({ bytes: [0x9b, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff] }).errors?.[0]).toMatch(/longer than the frame/);
    expect(codec.decodeUplink({ bytes: [0x7a, 0xff, 0xff, 0xff, 0xff] }).errors?.[0]).toMatch(/truncated/);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (b) => {
        const out = codec.decodeUplink({ bytes: Array.from(b) });
        expect(out.errors || out.data).toBeTruthy();
      }),
      { numRuns: 3000, seed: 7 },
    );
  });

  it("downlinks encode and decode back; bad ones are refused with a reason", () => {
    const e = codec.encodeDownlink({ data: { command: "set_interval", counter: 5, seconds: 600 } });
    expect(e.fPort).toBe(codec.DOWNLINK_PORT);
    expect(codec.decodeDownlink({ bytes: e.bytes! }).data).toEqual({ command: "set_interval", counter: 5, seconds: 600 });
    expect(codec.encodeDownlink({ data: { command: "set_interval", counter: 5, seconds: 2 } }).errors).toEqual(["seconds: 10 to 86400"]);
    expect(codec.encodeDownlink({ data: { command: "launch", counter: 5 } }).errors?.[0]).toMatch(/unknown command/);
    for (const x of [2.5, 0.1, 123.456789, Math.PI, 999.9999, 1000]) {
      const d = codec.encodeDownlink({ data: { command: "set_sensor", counter: 6, sensor: 0, options: { ampsPerVolt: x } } });
      expect(decode(Uint8Array.from(d.bytes!))[4].ampsPerVolt).toBe(x);
      expect(codec.decodeDownlink({ bytes: d.bytes!, fPort: 11 }).data.options.ampsPerVolt).toBe(x);
    }
  });

  it("SenML and NGSI-LD forms", () => {
    const bytes = pack([{ ch: 1, qty: 3, value: 480, q: 0, t: NOW }, { ch: 4, qty: 14, value: 95, q: 0, t: NOW }], 51).bytes;
    const d = codec.decodeUplink({ bytes, recvTime: new Date(NOW * 1000) }).data;
    expect(codec.toSenML(d, "urn:dev:eui:70b3d57ed0000001:")).toEqual([
      { bn: "urn:dev:eui:70b3d57ed0000001:", n: "1/level", u: "m", v: 0.48, t: NOW },
      { n: "4/temperature", u: "Cel", v: 9.5, t: NOW },
    ]);
    const ngsi = codec.toNgsiLd(d, "weide-nord");
    expect(ngsi.id).toBe("urn:ngsi-ld:Device:weide-nord");
    expect(ngsi.ch1_level).toEqual([{ type: "Property", value: 480, unitCode: "MMT", observedAt: new Date(NOW * 1000).toISOString() }]);
  });
});

describe("packFrame: a pure function of what it is given", () => {
  const reading = { ch: 1, qty: 3, value: 480, q: 0, t: NOW - 60 };

  it("puts a downlink's answer first, with the reason for a refusal", () => {
    const r = pack([reading], 80, 9, NOW, null, { counter: 42, result: 5, detail: "site.sensors[0].depth: 50 to 5000" });
    expect(r.answered).toBe(true);
    expect(r.records).toBe(1);
    const f = decode(Buffer.from(r.bytes));
    expect(f[3]).toEqual({ 3: { 1: 42, 2: 5, 3: "site.sensors[0].depth: 50 to 5000" } });
    const d = codec.decodeUplink({ bytes: r.bytes, fPort: 10, recvTime: new Date(NOW * 1000) });
    expect(d.data.status).toEqual({ counter: 42, result: "rejected", detail: "site.sensors[0].depth: 50 to 5000" });
  });

  it("sends the answer without its reason when the reason does not fit", () => {
    const r = pack([], 24, 9, NOW, null, { counter: 42, result: 5, detail: "site.sensors[0].depth: 50 to 5000" });
    expect(r.answered).toBe(true);
    expect(decode(Buffer.from(r.bytes))[3]).toEqual({ 3: { 1: 42, 2: 5 } });
  });

  it("leaves the answer out when even that does not fit, and says so", () => {
    const r = pack([], 8, 9, NOW, null, { counter: 42, result: 5, detail: "" });
    expect(r.answered).toBe(false);
    expect(decode(Buffer.from(r.bytes))).toEqual([1, 9, 0]);
  });

  it("asks for a bulk acknowledgement only when told to", () => {
    expect(decode(Buffer.from(pack([reading], 51, 9, NOW, null, null, 12).bytes))[3]).toEqual({ 4: 12 });
    expect(decode(Buffer.from(pack([reading], 51, 9, NOW, null, null, 0).bytes))[3]).not.toHaveProperty("4");
  });

  it("records newer than the send time (the clock set back) keep their times: the base is then the send time", () => {
    const r = pack([{ ch: 1, qty: 3, value: 480, q: 0, t: NOW + 30 }, { ch: 1, qty: 3, value: 470, q: 0, t: NOW + 90 }], 51, 9, NOW);
    const d = codec.decodeUplink({ bytes: r.bytes, fPort: 10, recvTime: new Date(NOW * 1000) }).data;
    expect(d.readings.map((x: any) => x.time)).toEqual([new Date((NOW + 30) * 1000).toISOString(), new Date((NOW + 90) * 1000).toISOString()]);
  });

  it("gives the same bytes for the same inputs, whatever it packed before", () => {
    const first = pack([reading], 51, 9, NOW);
    pack([reading], 51, 9, NOW, [1, 2, 3, 4], { counter: 7, result: 0, detail: "" }, 5);
    expect(pack([reading], 51, 9, NOW).bytes).toEqual(first.bytes);
  });
});

