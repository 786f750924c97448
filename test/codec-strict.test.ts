/**
 * The platform codec is strict where the frame format is strict
 * (docs/frame-format.md): every class of input a lenient decoder turns into
 * plausible readings is refused here, RFC 8949's Appendix A vectors are read
 * right or refused, and a differential fuzz holds the codec against cbor2
 * (strict well-formedness), cbor-x and the format's schema written out below.
 * FUZZ_CASES=200000 npm test runs the fuzz longer.
 */
import { describe, expect, it } from "vitest";
import fs from "node:fs";
import path from "node:path";
import { decode as cbor2Decode } from "cbor2";
import { Decoder, encode as cborxEncode } from "cbor-x";
import { getQuickJS } from "quickjs-emscripten";
import { codec, decodeFrame as cborxFrame } from "../scripts/frames";
import { ALL_DRIVERS } from "../boards/types";

const hex = (s: string) => Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
const RECV = Date.UTC(2026, 5, 1, 12);
const up = (bytes: number[]) => codec.decodeUplink({ bytes, fPort: 10, recvTime: new Date(RECV) });
const down = (data: unknown, variables?: Record<string, unknown>) => (codec.encodeDownlink as any)({ data, variables });
const C = codec as any;

describe("the codec refuses what the frame format does not allow", () => {
  it("byte strings, tags, reserved and simple values, and malformed indefinite strings", () => {
    expect(up(hex("84010000830103420a05")).errors![0]).toMatch(/byte string .* not part of the frame format/);
    expect(up(hex("84010000830103c48221196ab3")).errors![0]).toMatch(/tag .* not part of the frame format/);
    expect(up(hex("84010000a101fc05")).errors![0]).toMatch(/reserved additional information 28/);
    expect(up(hex("84010000a101f005")).errors![0]).toMatch(/simple value/);
    expect(up(hex("84010000a101f81005")).errors![0]).toMatch(/malformed simple value/);
    expect(up(hex("840100008301037f01ff")).errors![0]).toMatch(/indefinite-length text string/);
    expect(up(hex("84010000830103f7")).errors![0]).toMatch(/undefined/);
    expect(up(hex("830100ff")).errors![0]).toMatch(/break outside/);
  });

  it("map keys: only numbers in frames, no duplicates, nothing that reaches a prototype", () => {
    expect(up(hex("84010000a1613283010301")).errors![0]).toMatch(/text key "2"/);
    expect(up(hex("84010000a2040c040c")).errors![0]).toMatch(/duplicate map key 4/);
    const proto = up(hex("84010000a1695f5f70726f746f5f5fa101818403000801"));
    expect(proto.errors![0]).toMatch(/text key "__proto__"/);
    expect(up(hex("84010000a16b636f6e7374727563746f7201")).errors![0]).toMatch(/text key "constructor"/);
    // A failed reading keyed by text, and one with a key the format does not have.
    expect(up(hex("84010000830103a1613003")).errors![0]).toMatch(/text key/);
    expect(up(hex("84010000830103a2000305 01".replace(" ", ""))).errors![0]).toMatch(/unknown key 5/);
  });

  it("numbers: NaN and infinities are errors, a fractional reading keeps its fraction", () => {
    expect(up(hex("84010000830103f97e00")).errors![0]).toMatch(/NaN/);
    expect(up(hex("84010000830103fa7f800000")).errors![0]).toMatch(/infinite/);
    expect(up(hex("84010000a102a101fbfff0000000000000")).errors![0]).toMatch(/infinite/);
    const f32 = Buffer.alloc(4);
    f32.writeFloatBE(12.7);
    const r = up([0x84, 0x01, 0x00, 0x00, 0x83, 0x00, 0x01, 0xfa, ...f32]);
    expect(r.data.readings[0].value).toBe(Math.fround(12.7) / 1000);
    expect(r.data.readings[0].value).not.toBe(0.013);
  });

  it("series, offsets and events take whole numbers where the format says int", () => {
    expect(up(hex("8401000083010384000a01f93e00")).errors![0]).toMatch(/malformed series/);
    expect(up(hex("84010000830103830000 01".replace(" ", ""))).errors![0]).toMatch(/malformed value/);
    expect(up(hex("84010000a101818403000802")).errors![0]).toMatch(/malformed event/);
  });

  it("an unknown notes key is skipped, however deep it nests", () => {
    const deep = [...Array(12).fill(0x81), 0x00];
    const r = up([0x84, 0x01, 0x00, 0x00, 0xa2, 0x09, ...deep, 0x04, 0x02]);
    expect(r.errors).toBeUndefined();
    expect(r.warnings).toEqual(["unknown notes key 9 skipped"]);
    expect(r.data.ackRequest).toBe(2);
  });
});

describe("downlinks: every field checked, both ways", () => {
  it("counters are whole numbers from 1 to 2^32 - 1", () => {
    expect(down({ command: "read_now", counter: 4294967303 }).errors[0]).toMatch(/counter: a whole number from 1 to 4294967295/);
    expect(down({ command: "read_now", counter: 0 }).errors[0]).toMatch(/counter/);
    expect(down({ command: "read_now", counter: 1.5 }).errors[0]).toMatch(/counter/);
    expect(down({ command: "read_now", counter: 4294967295 }).bytes).toEqual(hex("83011affffffff03"));
    // A counter in 8 bytes, or in text, does not decode.
    expect(codec.decodeDownlink({ bytes: hex("83011b000000010000000703"), fPort: 11 }).errors![0]).toMatch(/counter/);
    expect(codec.decodeDownlink({ bytes: hex("8301613503"), fPort: 11 }).errors![0]).toMatch(/counter/);
  });

  it("commands and options are names the gateway knows, with values in range", () => {
    expect(down({ command: "__proto__", counter: 3 }).errors[0]).toMatch(/unknown command "__proto__"/);
    expect(down({ command: "constructor", counter: 3 }).errors[0]).toMatch(/unknown command/);
    expect(codec.decodeDownlink({ bytes: hex("8301056b636f6e7374727563746f72"), fPort: 11 }).errors![0]).toMatch(/unknown command/);
    expect(down({ command: "set_sensor", counter: 3, sensor: 0, options: { lowPct: null } }).errors[0]).toMatch(/lowPct: a number from 0 to 100/);
    expect(down({ command: "set_sensor", counter: 3, sensor: 0, options: { lowPct: 400 } }).errors[0]).toMatch(/lowPct: a number from 0 to 100/);
    expect(down({ command: "set_sensor", counter: 3, sensor: 0, options: { lowPct: 5e9 } }).errors[0]).toMatch(/lowPct/);
    expect(down({ command: "set_sensor", counter: 3, sensor: 0, options: { name: "x".repeat(300) } }).errors[0]).toMatch(/name: text of 1 to 40/);
    expect(down({ command: "set_sensor", counter: 3, sensor: 0, options: { __proto__x: 1 } }).errors[0]).toMatch(/not a sensor option/);
    expect(down({ command: "set_sensor", counter: 3, sensor: 0, options: JSON.parse('{"__proto__": {"lowPct": 1}}') }).errors[0]).toMatch(/not a sensor option/);
    // Decoding: an options map with a prototype key or a bad value is refused, not turned into an object.
    const enc = (o: Record<string, unknown>) => hex("85010902 00".replace(" ", "")).concat(Array.from(cborxEncode(o)));
    expect(codec.decodeDownlink({ bytes: enc({ constructor: 1 }), fPort: 11 }).errors![0]).toMatch(/not a sensor option/);
    expect(codec.decodeDownlink({ bytes: enc({ lowPct: 400 }), fPort: 11 }).errors![0]).toMatch(/lowPct/);
    expect(codec.decodeDownlink({ bytes: enc({ lowPct: 40 }), fPort: 11 }).data).toEqual({ command: "set_sensor", counter: 9, sensor: 0, options: { lowPct: 40 } });
  });

  it("an encoded downlink fits the data rate's payload, or is refused", () => {
    const options = { name: "Tränke am oberen Hang, Parzelle", lowPct: 30, hystPct: 5, refillMm: 50 };
    const at0 = down({ command: "set_sensor", counter: 3, sensor: 0, options });
    expect(at0.errors[0]).toMatch(/more than the 51 this data rate carries/);
    const at5 = down({ command: "set_sensor", counter: 3, sensor: 0, options }, { dataRate: 5 });
    expect(at5.bytes.length).toBeLessThanOrEqual(222);
    expect(at5.bytes.length).toBeGreaterThan(51);
    expect(down({ command: "read_now", counter: 3 }, { dataRate: 9 }).errors[0]).toMatch(/dataRate/);
  });

  it("a sensor's kind: one of the kinds there are drivers for; the gateway's answer when its firmware lacks it", () => {
    expect(C.SENSOR_KINDS).toEqual(ALL_DRIVERS);
    const ok = down({ command: "set_sensor", counter: 9, sensor: 0, options: { kind: "pump" } });
    expect(ok.errors).toBeUndefined();
    expect(codec.decodeDownlink({ bytes: ok.bytes, fPort: 11 }).data).toEqual({ command: "set_sensor", counter: 9, sensor: 0, options: { kind: "pump" } });
    expect(down({ command: "set_sensor", counter: 9, sensor: 0, options: { kind: "teapot" } }).errors[0]).toBe("options.kind: one of trough, pump, smoke, level, meter, temp, soil");
    // Result 6 (docs/frame-format.md): the kind is not in the firmware the gateway was flashed with.
    const detail = "site.sensors[0].kind: pump is not in this firmware, only trough,temp";
    // [1, 0, 0, {3: {1: 9, 2: 6, 3: detail}}]: a frame that carries only the answer.
    const frame = [0x84, 1, 0, 0, 0xa1, 3, 0xa3, 1, 9, 2, 6, 3, 0x78, detail.length, ...Buffer.from(detail)];
    expect(up(frame).data.status).toEqual({ counter: 9, result: "kind_not_in_firmware", detail });
    expect(C.STATUS_RESULTS).toEqual(["accepted", "malformed", "unknown_command", "out_of_range", "replayed", "rejected", "kind_not_in_firmware"]);
  });

  it("the option table holds every option the drivers read, with their ranges", () => {
    const dir = path.join(__dirname, "../src/drivers");
    const ranges: Record<string, [number, number]> = {};
    for (const f of fs.readdirSync(dir).filter((n) => n.endsWith(".ts"))) {
      const src = fs.readFileSync(path.join(dir, f), "utf8");
      for (const m of src.matchAll(/num\(c, "(\w+)", \w+, (-?[\d.e]+), (-?[\d.e]+)/g)) {
        const [lo, hi] = [Number(m[2]), Number(m[3])];
        const r = ranges[m[1]];
        ranges[m[1]] = r ? [Math.min(r[0], lo), Math.max(r[1], hi)] : [lo, hi];
      }
    }
    expect(Object.keys(ranges).length).toBeGreaterThan(30);
    for (const [name, r] of Object.entries(ranges)) expect(C.OPTIONS[name], name).toEqual(r);
  });
});

describe("SenML (RFC 8428) and NGSI-LD forms", () => {
  // RFC 8428 section 12.1: the registered units this codec may produce (none of those marked NOT RECOMMENDED).
  const REGISTERED = new Set(["m", "kg", "s", "A", "K", "Pa", "J", "W", "V", "Cel", "m3", "m3/s", "/", "count", "B", "%RH", "%EL"]);
  const frame = hex("88010500830001191388830103 1901e0 87020601071 90dac08190960 83030c00 83040e185f".replace(/ /g, ""));

  it("units are registered and recommended; ratios run from 0 to 1; the base name is on the first record", () => {
    const d = codec.decodeUplink({ bytes: frame, recvTime: new Date(RECV) }).data;
    const s = codec.toSenML(d, "urn:dev:eui:70b3d57ed0000001:");
    expect(s[0].bn).toBe("urn:dev:eui:70b3d57ed0000001:");
    for (const r of s) if (r.u !== undefined) expect(REGISTERED.has(r.u), r.u).toBe(true);
    for (const q of Object.values(C.QUANTITIES) as any[]) if (q[3]) expect(REGISTERED.has(q[3]), q[3]).toBe(true);
    expect(s.find((r: any) => r.n === "2/running")).toMatchObject({ vb: true });
    const fill = codec.decodeUplink({ bytes: hex("84010000830104 1902a8".replace(" ", "")), recvTime: new Date(RECV) }).data;
    expect(codec.toSenML(fill, "")[0]).toMatchObject({ n: "1/fill", u: "/", v: 0.68 });
  });

  it("a failed first reading, events, health and status all become records", () => {
    const d = codec.decodeUplink({ bytes: hex("85010a03a101818503000801018301 03a10003".replace(" ", "")), recvTime: new Date(RECV) }).data;
    const s = codec.toSenML(d, "gw1:");
    expect(s[0]).toMatchObject({ bn: "gw1:", n: "1/level/quality", vs: "no_answer" });
    expect(s).toContainEqual(expect.objectContaining({ n: "3/event/smoke", vb: true }));
    const h = codec.decodeUplink({ bytes: hex("8401182a00a102a2011a000151800203"), recvTime: new Date(RECV) }).data;
    const hs = codec.toSenML(h, "");
    expect(hs).toContainEqual(expect.objectContaining({ n: "health/uptime_s", u: "s", v: 86400 }));
    expect(hs).toContainEqual(expect.objectContaining({ n: "health/boots", u: "count", v: 3 }));
    const st = codec.decodeUplink({ bytes: hex("84010000a103a2011829020 0".replace(/ /g, "")), recvTime: new Date(RECV) }).data;
    expect(codec.toSenML(st, "")).toEqual([expect.objectContaining({ n: "status/41", vs: "accepted" })]);
  });

  it("NGSI-LD: an id per device, escaped; every reading of a series kept with its time", () => {
    const backlog = hex("84011901021 91c20830103860019038419 01e0373818 18c8".replace(/ /g, ""));
    expect(codec.decodeUplink({ bytes: backlog, recvTime: new Date(RECV), variables: { format: "ngsi-ld" } }).errors![0]).toMatch(/deviceId/);
    const e = codec.decodeUplink({ bytes: backlog, recvTime: new Date(RECV), variables: { format: "ngsi-ld", deviceId: "Weide Nord/1" } }).data;
    expect(e.id).toBe("urn:ngsi-ld:Device:Weide%20Nord%2F1");
    expect(e.type).toBe("Device");
    expect(e.ch1_level.map((p: any) => [p.value, p.observedAt])).toEqual([
      [480, "2026-06-01T10:00:00.000Z"],
      [456, "2026-06-01T10:15:00.000Z"],
      [431, "2026-06-01T10:30:00.000Z"],
      [631, "2026-06-01T10:45:00.000Z"],
    ]);
    for (const p of e.ch1_level) expect(p).toMatchObject({ type: "Property", unitCode: "MMT" });
  });
});

describe("RFC 8949 Appendix A, through the codec's own reader", () => {
  const M = (...kv: unknown[]) => ({ map: kv });
  // [hex, value] or [hex, null] where the frame format has no such item (refused).
  const VECTORS: [string, unknown][] = [
    ["00", 0], ["01", 1], ["0a", 10], ["17", 23], ["1818", 24], ["1819", 25], ["1864", 100], ["1903e8", 1000],
    ["1a000f4240", 1000000], ["1b000000e8d4a51000", 1000000000000], ["1bffffffffffffffff", null], ["c249010000000000000000", null],
    ["3bffffffffffffffff", null], ["c349010000000000000000", null], ["20", -1], ["29", -10], ["3863", -100], ["3903e7", -1000],
    ["f90000", 0], ["f98000", -0], ["f93c00", 1], ["fb3ff199999999999a", 1.1], ["f93e00", 1.5], ["f97bff", 65504],
    ["fa47c35000", 100000], ["fa7f7fffff", 3.4028234663852886e38], ["fb7e37e43c8800759c", 1e300], ["f90001", 5.960464477539063e-8],
    ["f90400", 0.00006103515625], ["f9c400", -4], ["fbc010666666666666", -4.1], ["f97c00", null], ["f97e00", null], ["f9fc00", null],
    ["fa7f800000", null], ["fa7fc00000", null], ["faff800000", null], ["fb7ff0000000000000", null], ["fb7ff8000000000000", null],
    ["fbfff0000000000000", null], ["f4", false], ["f5", true], ["f6", null === null ? "NULL" : 0], ["f7", null], ["f0", null], ["f8ff", null],
    ["c074323031332d30332d32315432303a30343a30305a", null], ["c11a514b67b0", null], ["c1fb41d452d9ec200000", null], ["d74401020304", null],
    ["d818456449455446", null], ["d82076687474703a2f2f7777772e6578616d706c652e636f6d", null], ["40", null], ["4401020304", null],
    ["60", ""], ["6161", "a"], ["6449455446", "IETF"], ["62225c", '"\\'], ["62c3bc", "\u00fc"], ["63e6b0b4", "\u6c34"], ["64f0908591", "\ud800\udd51"],
    ["80", []], ["83010203", [1, 2, 3]], ["8301820203820405", [1, [2, 3], [4, 5]]],
    ["98190102030405060708090a0b0c0d0e0f101112131415161718181819", Array.from({ length: 25 }, (_, i) => i + 1)],
    ["a0", M()], ["a201020304", M(1, 2, 3, 4)], ["a26161016162820203", M("a", 1, "b", [2, 3])], ["826161a161626163", ["a", M("b", "c")]],
    ["a56161614161626142616361436164614461656145", M("a", "A", "b", "B", "c", "C", "d", "D", "e", "E")],
    ["5f42010243030405ff", null], ["7f657374726561646d696e67ff", "streaming"], ["9fff", []], ["9f018202039f0405ffff", [1, [2, 3], [4, 5]]],
    ["9f01820203820405ff", [1, [2, 3], [4, 5]]], ["83018202039f0405ff", [1, [2, 3], [4, 5]]], ["83019f0203ff820405", [1, [2, 3], [4, 5]]],
    ["9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff", Array.from({ length: 25 }, (_, i) => i + 1)],
    ["bf61610161629f0203ffff", M("a", 1, "b", [2, 3])], ["826161bf61626163ff", ["a", M("b", "c")]], ["bf6346756ef563416d7421ff", M("Fun", true, "Amt", -2)],
  ];
  const plain = (v: any): unknown => (v instanceof C.CborMap ? { map: v.keys.flatMap((k: unknown, i: number) => [k, plain(v.values[i])]) } : Array.isArray(v) ? v.map(plain) : v);

  it(`decodes each of its ${VECTORS.length} vectors right, or refuses it; never a wrong value`, () => {
    let right = 0;
    let refused = 0;
    for (const [h, want] of VECTORS) {
      let got: unknown;
      let error = "";
      try {
        got = plain(C.cborDecode(hex(h)));
      } catch (e) {
        error = (e as Error).message;
      }
      if (want === null) {
        expect(error, h).not.toBe("");
        refused++;
      } else {
        expect(error, h).toBe("");
        expect(got, h).toEqual(want === "NULL" ? null : want);
        right++;
      }
    }
    expect(right + refused).toBe(VECTORS.length);
    console.log(`RFC 8949 Appendix A: ${right} decoded right, ${refused} refused (byte strings, tags, simple values, non-finite floats, integers beyond 2^53)`);
  });
});

// ------------------------------------------------------------------ differential fuzz

/** The frame format's schema (docs/frame-format.md, CDDL), written out apart from the codec, over cbor2's strict decoding. */
interface Ref {
  readings: [number, number, number | null, number, number][];
  events: [number, number, number, boolean, number | null][];
}
const uint = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0;
const int = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);
const num = (v: unknown): v is number => typeof v === "number";
function fail(): never {
  throw new Error("refused");
}
/**
 * The value with every item one the format's CBOR may hold: numbers (finite;
 * integers safe, which cbor2 gives as bigint when sent in 8 bytes), text,
 * booleans, null, arrays, and maps with uint or text keys. Anything else refuses.
 */
function plainCbor(v: unknown): unknown {
  if (typeof v === "bigint") return v >= -BigInt(Number.MAX_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : fail();
  if (typeof v === "number") return Number.isFinite(v) && (!Number.isInteger(v) || Number.isSafeInteger(v)) ? v : fail();
  if (typeof v === "string" || typeof v === "boolean" || v === null) return v;
  if (Array.isArray(v)) return v.map(plainCbor);
  if (v instanceof Map) {
    const m = new Map();
    for (const [k, x] of v) {
      const key = plainCbor(k);
      if (!uint(key) && typeof key !== "string") fail();
      m.set(key, plainCbor(x));
    }
    return m;
  }
  return fail();
}
function refDecode(bytes: Uint8Array, recvMs: number): Ref | null {
  let f: any;
  try {
    f = plainCbor(cbor2Decode(bytes, { rejectDuplicateKeys: true, rejectUndefined: true, rejectSimple: true, preferMap: true, ignoreGlobalTags: true } as any));
  } catch {
    return null;
  }
  // cbor-x reads the same value.
  expect(plainCbor(new Decoder({ mapsAsObjects: false, useRecords: false, int64AsNumber: false } as any).decode(bytes))).toEqual(f);
  try {
    if (!Array.isArray(f) || f.length < 3 || f[0] !== 1 || !uint(f[1]) || f[1] > 65535 || !uint(f[2])) fail();
    const base = recvMs - f[2] * 1000;
    const out: Ref = { readings: [], events: [] };
    for (const b of f.slice(3)) {
      if (Array.isArray(b)) {
        if (b.length < 3 || b.length % 2 !== 1 || !uint(b[0])) fail();
        for (let i = 1; i < b.length; i += 2) {
          const [qty, x] = [b[i], b[i + 1]];
          if (!uint(qty)) fail();
          const rs: Ref["readings"] = [];
          if (num(x)) rs.push([b[0], qty, x, 0, base]);
          else if (Array.isArray(x) && x.length === 2 && int(x[0]) && num(x[1])) rs.push([b[0], qty, x[1], 0, base + x[0] * 1000]);
          else if (Array.isArray(x) && x.length >= 4 && x.every(int) && x[1] > 0) {
            let v = x[2];
            rs.push([b[0], qty, v, 0, base + x[0] * 1000]);
            for (let k = 3; k < x.length; k++) rs.push([b[0], qty, (v += x[k]), 0, base + (x[0] + x[1] * (k - 2)) * 1000]);
          } else if (x instanceof Map && [...x.keys()].every((k) => k === 0 || k === 1 || k === 2)) {
            const q = x.get(0);
            if (!uint(q) || q === 0 || (x.has(1) && (!int(x.get(1)) || q !== 1)) || (x.has(2) && !int(x.get(2)))) fail();
            rs.push([b[0], qty, x.has(1) ? x.get(1) : null, q, base + (x.get(2) ?? 0) * 1000]);
          } else fail();
          if (qty >= 1 && qty <= 16) out.readings.push(...rs);
        }
      } else if (b instanceof Map) {
        for (const [k, v] of b) {
          if (!uint(k)) fail();
          if (k === 1) {
            if (!Array.isArray(v)) fail();
            for (const e of v) {
              if (!Array.isArray(e) || (e.length !== 4 && e.length !== 5) || !uint(e[0]) || !int(e[1]) || !uint(e[2]) || (e[3] !== 0 && e[3] !== 1) || (e.length === 5 && !int(e[4]))) fail();
              out.events.push([e[0], base + e[1] * 1000, e[2], e[3] === 1, e.length === 5 ? e[4] : null]);
            }
          } else if (k === 2) {
            if (!(v instanceof Map) || ![...v].every(([hk, hv]) => uint(hk) && num(hv))) fail();
          } else if (k === 3) {
            if (!(v instanceof Map) || ![...v.keys()].every((sk) => sk === 1 || sk === 2 || sk === 3)) fail();
            if (!uint(v.get(1)) || v.get(1) > 4294967295 || !uint(v.get(2)) || (v.has(3) && typeof v.get(3) !== "string")) fail();
          } else if (k === 4) {
            if (!uint(v) || v < 1 || v > 32) fail();
          }
        }
      } else fail();
    }
    return out;
  } catch {
    return null;
  }
}

/** The codec's answer in the same terms. */
function codecDecode(bytes: number[], recvMs: number): Ref | null {
  const r = codec.decodeUplink({ bytes, fPort: 10, recvTime: new Date(recvMs) });
  if (r.errors) return null;
  const code = (name: string) => Number(Object.keys(C.QUANTITIES).find((c) => C.QUANTITIES[c][0] === name));
  const quality = ["ok", "out_of_range", "stuck", "no_answer", "checksum_error"];
  const ev = (name: string) => Number(Object.keys(C.EVENTS).find((c) => C.EVENTS[c] === name) ?? name.replace("event_", ""));
  return {
    readings: r.data.readings.map((x: any) => {
      const q = code(x.quantity);
      const ql = quality.indexOf(x.quality);
      return [x.channel, q, x.value === null ? null : x.value * C.QUANTITIES[q][2], ql < 0 ? Number(x.quality.replace("quality_", "")) : ql, Date.parse(x.time)];
    }),
    events: r.data.events.map((e: any) => [e.channel, Date.parse(e.time), ev(e.event), e.active, e.value]),
  };
}

/** Readings' values as the codec scales them: raw / divisor * divisor is not always raw in floating point. */
function scaledRef(r: Ref): Ref {
  return { ...r, readings: r.readings.map(([ch, q, v, ql, t]) => [ch, q, v === null ? null : (v / C.QUANTITIES[q][2]) * C.QUANTITIES[q][2], ql, t]) };
}

const FRAMES = fs
  .readFileSync(path.join(__dirname, "fixtures/demo-day-frames.txt"), "utf8")
  .split("\n")
  .map((l) => l.trim().split(/\s+/).pop()!)
  .filter((h) => /^[0-9a-f]+$/.test(h) && h.length >= 6)
  .map(hex);
const INTERESTING = [0x00, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1f, 0x20, 0x38, 0x3b, 0x40, 0x5f, 0x60, 0x61, 0x7f, 0x80, 0x81, 0x9f, 0xa0, 0xa1, 0xbf, 0xc0, 0xc4, 0xd8, 0xe0, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xff];

function* cases(n: number, seed: number): Generator<number[]> {
  let s = seed >>> 0 || 1;
  const rnd = (k: number) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % k;
  };
  for (let i = 0; i < n; i++) {
    const b = FRAMES[rnd(FRAMES.length)].slice();
    for (let m = 1 + rnd(3); m > 0 && b.length; m--) {
      const at = rnd(b.length);
      switch (rnd(7)) {
        case 0: b[at] ^= 1 << rnd(8); break;
        case 1: b[at] = rnd(256); break;
        case 2: b[at] = INTERESTING[rnd(INTERESTING.length)]; break;
        case 3: b.splice(at, 0, INTERESTING[rnd(INTERESTING.length)]); break;
        case 4: b.splice(at, 1); break;
        case 5: b.length = at; break;
        default: b.splice(at, 0, ...b.slice(rnd(b.length), rnd(b.length) + 1 + rnd(8)));
      }
    }
    yield b;
  }
}

describe("differential fuzz: codec against cbor2, cbor-x and the schema, on mutations of real frames", () => {
  const N = Number(process.env.FUZZ_CASES || 20000);

  it(`${N} mutated frames: both refuse, or both give the same readings and events`, () => {
    expect(FRAMES.length).toBeGreaterThan(50);
    let accepted = 0;
    for (const b of cases(N, 20261202)) {
      const ref = refDecode(Uint8Array.from(b), RECV);
      const got = codecDecode(b, RECV);
      const where = Buffer.from(b).toString("hex");
      if (ref === null) expect(got, `codec accepted ${where}`).toBeNull();
      else {
        expect(got, `codec refused ${where}: ${JSON.stringify(codec.decodeUplink({ bytes: b }).errors)}`).not.toBeNull();
        expect(got, where).toEqual(scaledRef(ref));
        accepted++;
      }
    }
    // The unmutated frames decode the same through scripts/frames.ts (cbor-x) too.
    for (const f of FRAMES) {
      const x = cborxFrame(Uint8Array.from(f), RECV);
      const got = codecDecode(f, RECV)!;
      expect(got.readings.map((r) => [r[0], r[1], r[3], r[4]])).toEqual(x.readings.filter((r) => r.qty <= 16).map((r) => [r.ch, r.qty, r.q, r.time]));
    }
    console.log(`differential fuzz: ${N} mutated frames, ${accepted} valid, ${N - accepted} refused by both`);
    expect(accepted).toBeGreaterThan(N / 50);
  });

  it("the codec gives the same answers in QuickJS, the engine family ChirpStack runs codecs in", async () => {
    const QuickJS = await getQuickJS();
    const vm = QuickJS.newContext();
    try {
      const src = fs.readFileSync(path.join(__dirname, "../decoders/feldgate.js"), "utf8");
      vm.unwrapResult(vm.evalCode(src)).dispose();
      let n = 0;
      for (const b of cases(Math.min(N, 2000), 99)) {
        const input = JSON.stringify({ bytes: b, fPort: 10, recvTime: new Date(RECV).toISOString() });
        const h = vm.unwrapResult(vm.evalCode(`JSON.stringify(decodeUplink(${input}))`));
        const inQjs = vm.getString(h);
        h.dispose();
        const inNode = JSON.stringify(codec.decodeUplink(JSON.parse(input)));
        expect(inQjs, Buffer.from(b).toString("hex")).toBe(inNode);
        n++;
      }
      expect(n).toBe(Math.min(N, 2000));
    } finally {
      vm.dispose();
    }
  });
});
