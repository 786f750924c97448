/**
 * npm run bench [-- --json]: figures measured now, on the demo site in the
 * simulated board. The table goes to stdout, or one JSON object with --json.
 *
 * One simulated day of the demo site is recorded by the firmware into its
 * offline buffer; the buffer's own code (the queue probe, built like the
 * bundles) then drains that same flash into frames. Everything below is
 * measured on those readings.
 */
import fs from "node:fs";
import path from "node:path";
import { SimBoard, DIST, V8_BYTES_PER_JSVAR } from "./sim/board";
import { demoWorld } from "./sim/world";
import { firmwareAllocation } from "./sim/alloc";
import { boardById } from "../boards/index";
import { budgetFromDist } from "./budget";
import { airtimeMs, decodeFrame, lppBytes, lppBacklogBytes, senmlCborBytes, jsonBytes, codec, type Rec } from "./frames";

const here = path.dirname(new URL(import.meta.url).pathname);
const demoSite = JSON.parse(fs.readFileSync(path.join(here, "sites/demo.json"), "utf8"));
const queueProbe = fs.readFileSync(path.join(DIST, "probes/queue.js"), "latin1");
const frameProbe = fs.readFileSync(path.join(DIST, "probes/frame.js"), "latin1");
const DAY = 86_400_000;
const SEG = 4064;
const RESERVE = 3 * 1024;
const DUTY = 0.01;

function demoBoard(board = "sim"): SimBoard {
  const sim = new SimBoard({ board, seed: 7 });
  sim.install();
  sim.writeSite(demoSite);
  demoWorld(sim);
  sim.boot();
  return sim;
}

/** Boots the queue probe on a copy of this board's flash. */
function probeOn(flash: Uint8Array, board = "sim"): SimBoard {
  const p = new SimBoard({ board, seed: 7 });
  p.flash.bytes.set(flash);
  p.install(queueProbe);
  p.boot();
  p.eval("fgQ.init()");
  return p;
}

interface Drain {
  frames: number[];
  readings: Rec[];
}

function drain(p: SimBoard, maxLen: number, now: number): Drain {
  const frames: number[] = [];
  const readings: Rec[] = [];
  for (;;) {
    const f = p.eval<{ bytes: number[]; o: { events: number; readings: number } }>(`(function(){ var r = fgQ.frame(${maxLen}, ${frames.length}, ${now}); global.__o = r.o; return r; })()`);
    if (f.o.events + f.o.readings === 0) break;
    frames.push(f.bytes.length);
    for (const r of decodeFrame(Uint8Array.from(f.bytes), now * 1000).readings) readings.push({ ch: r.ch, qty: r.qty, value: r.value ?? 0, q: r.q, t: r.time / 1000 });
    p.eval("fgQ.delivered(global.__o)");
  }
  return { frames, readings };
}

const sumAirtime = (frames: number[], sf: number) => frames.reduce((a, b) => a + airtimeMs(b, sf), 0);

// ------------------------------------------------------------------ a day of the demo site, recorded by the firmware
const day = demoBoard();
const start = day.clock.wall / 1000;
day.advance(DAY);
const flashAfterDay = day.flash.bytes.slice();
const held = probeOn(flashAfterDay);
const st = held.eval<number[]>("fgQ.stats()");
const cyclesHeld = st[0];
const usedBytes = (st[3] - 1) * SEG + st[5];
const readingsStored = held.eval<number>("fgQ.pending()");
const now = Math.ceil(day.clock.wall / 1000);

const dr51 = drain(held, 51, now);
const dr222 = drain(probeOn(flashAfterDay), 222, now);

/** The codec's time per call on the largest frames, as ChirpStack (100 ms limit) would run it; median of 200. */
function codecMs(): number {
  const p = probeOn(flashAfterDay);
  const f = p.eval<{ bytes: number[] }>(`fgQ.frame(222, 1, ${now})`).bytes;
  const times: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t0 = process.hrtime.bigint();
    codec.decodeUplink({ bytes: f, fPort: 10, recvTime: new Date(now * 1000) });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[100];
}

// Snapshots (one per cycle) from what the platform received, for the comparisons.
const byTime = new Map<number, Rec[]>();
for (const r of dr51.readings) byTime.set(r.t, [...(byTime.get(r.t) ?? []), r]);
const snapshots = [...byTime.values()];
const readingsPerDay = dr51.readings.length;

// ------------------------------------------------------------------ one snapshot of the demo site: its seven headline readings
const first = snapshots[1];
const pick = (ch: number, qty: number) => first.find((r) => r.ch === ch && r.qty === qty)!;
const snapshot: Rec[] = [pick(1, 3), pick(2, 6), pick(2, 7), pick(2, 8), pick(3, 12), pick(4, 14), pick(0, 1)].map((r) => ({ ...r, t: now }));
const fp = new SimBoard({ board: "sim", seed: 1 });
fp.install(frameProbe);
fp.boot();
const snapBytes = fp.eval<number>(`(function(){
  var v = ${JSON.stringify({ ch: snapshot.map((r) => r.ch), code: snapshot.map((r) => r.qty), value: snapshot.map((r) => r.value) })};
  var n = v.ch.length;
  var R = { n: n, kind: new Uint8Array(n), ch: new Uint8Array(v.ch), code: new Uint8Array(v.code), q: new Uint8Array(n), value: new Int32Array(v.value), t: new Float64Array(n).fill(${now}) };
  return fgPack(new Uint8Array(64), 64, 300, ${now}, R, null).bytes;
})()`);

// ------------------------------------------------------------------ the buffer on each board
const bytesPerReading = usedBytes / readingsStored;
/** Days of buffer are stated for seven sensors read every 15 minutes, the demo site's headline readings. */
const SEVEN_EVERY_15_MIN = 7 * 96;
function bufferDays(boardId: string, perDay = SEVEN_EVERY_15_MIN): number {
  const b = budgetFromDist(boardById(boardId), DIST);
  const segments = Math.floor((b.bufferBytes - RESERVE) / 4096);
  return (segments * SEG) / (bytesPerReading * perDay);
}

// ------------------------------------------------------------------ wear: ten days with the link up on the 40 KB board
function wear(): { erasesPerDay: number; maxPageErasesPerDay: number } {
  const p = new SimBoard({ board: "nrf52840dk-wioe5", seed: 7 });
  p.install(queueProbe);
  p.boot();
  p.eval("fgQ.init(); fgQ.seqInit()");
  const layout = snapshots[0].map((r) => (r.ch << 8) | r.qty);
  const days = 10;
  const cyclesPerDay = snapshots.length;
  for (let i = 0; i < days * cyclesPerDay; i++) {
    const s = snapshots[i % snapshots.length];
    const t = start + i * demoSite.interval;
    p.eval(`fgQ.cycle(${t}, ${JSON.stringify(layout)}, ${JSON.stringify(s.map((r) => r.value))}, ${JSON.stringify(s.map((r) => r.q))})`);
    for (;;) {
      const f = p.eval<{ o: { events: number; readings: number } }>(`(function(){ var r = fgQ.frame(51, fgQ.seqNext(), ${t + 10}); global.__o = r.o; return r; })()`);
      if (f.o.events + f.o.readings === 0) break;
      p.eval("fgQ.delivered(global.__o); fgQ.tidy()");
    }
  }
  let max = 0;
  for (const e of p.flash.pageErases) max = Math.max(max, e);
  return { erasesPerDay: p.flash.totalErases / days, maxPageErasesPerDay: max / days };
}
const w = wear();

// ------------------------------------------------------------------ what one reading cycle allocates
async function cycleAllocation(): Promise<number> {
  const sim = demoBoard();
  sim.advance(60_000);
  const per: number[] = [];
  for (let i = 0; i < 9; i++) {
    sim.advance(demoSite.interval * 1000 - 5000);
    per.push((await firmwareAllocation(() => sim.advance(5000))) / V8_BYTES_PER_JSVAR);
  }
  per.sort((a, b) => a - b);
  return Math.round(per[4]);
}

// ------------------------------------------------------------------ live operation: each cycle sent as it is read
const liveSF12 = snapshots.reduce((a, s) => a + sumAirtime(framesForSnapshot(s, 51), 12), 0) / 1000;
const liveSF7 = snapshots.reduce((a, s) => a + sumAirtime(framesForSnapshot(s, 222), 7), 0) / 1000;
function framesForSnapshot(s: Rec[], maxLen: number): number[] {
  const out: number[] = [];
  let rest = s;
  while (rest.length) {
    const v = { ch: rest.map((r) => r.ch), code: rest.map((r) => r.qty), value: rest.map((r) => r.value), q: rest.map((r) => r.q) };
    const r = fp.eval<{ bytes: number; records: number }>(`(function(){
      var v = ${JSON.stringify(v)}; var n = v.ch.length;
      var R = { n: n, kind: new Uint8Array(n), ch: new Uint8Array(v.ch), code: new Uint8Array(v.code), q: new Uint8Array(v.q), value: new Int32Array(v.value), t: new Float64Array(n).fill(${now}) };
      return fgPack(new Uint8Array(256), ${maxLen}, 300, ${now}, R, null);
    })()`);
    out.push(r.bytes);
    rest = rest.slice(r.records);
  }
  return out;
}

const results = {
  snapshotBytes: snapBytes,
  snapshotBytesLpp: lppBytes(snapshot),
  snapshotBytesSenmlCbor: senmlCborBytes(snapshot, now),
  snapshotBytesJson: jsonBytes(snapshot),
  batchBytesPerReading: +(dr51.frames.reduce((a, b) => a + b, 0) / dr51.readings.length).toFixed(2),
  batchBytesPerReadingLpp: +(lppBacklogBytes(snapshots, 51).bytes / dr51.readings.length).toFixed(2),
  airtimeMsPerReadingSF7: +(sumAirtime(dr222.frames, 7) / dr222.readings.length).toFixed(2),
  airtimeMsPerReadingSF12: +(sumAirtime(dr51.frames, 12) / dr51.readings.length).toFixed(2),
  bufferBytesPerReading: +bytesPerReading.toFixed(2),
  bufferDaysNrf52840dk: +bufferDays("nrf52840dk-wioe5").toFixed(1),
  bufferDaysXiao: +bufferDays("xiao-nrf52840-wioe5").toFixed(1),
  bufferDaysEsp32: +bufferDays("esp32-rak3172").toFixed(1),
  bufferDaysNrf52840dkAllReadings: +bufferDays("nrf52840dk-wioe5", readingsPerDay).toFixed(1),
  pageErasesPerDay: +w.erasesPerDay.toFixed(2),
  flashLifetimeYears: w.maxPageErasesPerDay > 0 ? +(10000 / w.maxPageErasesPerDay / 365).toFixed(0) : null,
  drainMinutesAfter24hSF7: +(sumAirtime(dr222.frames, 7) / DUTY / 60000).toFixed(1),
  drainMinutesAfter24hSF12: +(sumAirtime(dr51.frames, 12) / DUTY / 60000).toFixed(1),
  airtimeSecondsPerDaySF7: +liveSF7.toFixed(1),
  airtimeSecondsPerDaySF12: +liveSF12.toFixed(1),
  dutyCycleHeadroomSF7: +((DUTY * 86400) / liveSF7).toFixed(1),
  dutyCycleHeadroomSF12: +((DUTY * 86400) / liveSF12).toFixed(1),
  cycleAllocJsVars: await cycleAllocation(),
  codecDecodeMs222: +codecMs().toFixed(3),
  readingsPerDay,
  cyclesPerDay: cyclesHeld,
};

if (process.argv.includes("--json")) process.stdout.write(JSON.stringify(results) + "\n");
else {
  const r = results;
  console.log(`feldgate bench — demo site (${r.cyclesPerDay} cycles, ${r.readingsPerDay} readings a day), simulated board\n`);
  console.log("Frames (one snapshot: trough level, pump state, pressure, flow, smoke, temperature, supply)");
  console.log(`  feldgate CBOR ${r.snapshotBytes} B   Cayenne LPP ${r.snapshotBytesLpp} B   SenML-CBOR ${r.snapshotBytesSenmlCbor} B   JSON ${r.snapshotBytesJson} B`);
  console.log(`  a day of backlog in 51-byte frames: ${r.batchBytesPerReading} B a reading (Cayenne LPP with a time per snapshot: ${r.batchBytesPerReadingLpp})`);
  console.log(`  airtime a reading: ${r.airtimeMsPerReadingSF7} ms at SF7 (222-byte frames), ${r.airtimeMsPerReadingSF12} ms at SF12 (51-byte frames)`);
  console.log(`  codec: ${r.codecDecodeMs222} ms to decode a 222-byte frame (median, Node; ChirpStack allows 100 ms)`);
  console.log("\nOffline buffer");
  console.log(`  ${r.bufferBytesPerReading} B of flash a reading`);
  console.log(`  days held, 7 sensors every 15 min: nrf52840dk-wioe5 ${r.bufferDaysNrf52840dk}, xiao-nrf52840-wioe5 ${r.bufferDaysXiao}, esp32-rak3172 ${r.bufferDaysEsp32}`);
  console.log(`  (all ${r.readingsPerDay} readings a day of the demo site: nrf52840dk-wioe5 ${r.bufferDaysNrf52840dkAllReadings} days)`);
  console.log(`  page erases a day (40 KB board, link up): ${r.pageErasesPerDay}; 10,000-cycle flash lasts ~${r.flashLifetimeYears} years`);
  console.log(`  draining 24 h of backlog at 1 % duty cycle: ${r.drainMinutesAfter24hSF7} min at SF7, ${r.drainMinutesAfter24hSF12} min at SF12`);
  console.log("\nLive operation (each cycle sent when read)");
  console.log(`  airtime a day: ${r.airtimeSecondsPerDaySF7} s at SF7, ${r.airtimeSecondsPerDaySF12} s at SF12; duty-cycle headroom ×${r.dutyCycleHeadroomSF7} / ×${r.dutyCycleHeadroomSF12}`);
  console.log("\nRAM");
  console.log(`  one reading cycle allocates ~${r.cycleAllocJsVars} JsVars (estimate: the firmware's allocations in V8 / ${V8_BYTES_PER_JSVAR} B)`);
}
