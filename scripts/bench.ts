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
import { readStore } from "./store-reader";
import { simulateYear } from "./year";
import { fillBuffer } from "./fill";
import { boards } from "../boards/index";
import { airtimeMs, decodeFrame, lppBytes, lppBacklogBytes, senmlCborBytes, jsonBytes, codec, type Rec } from "./frames";

const here = path.dirname(new URL(import.meta.url).pathname);
const demoSite = JSON.parse(fs.readFileSync(path.join(here, "sites/demo.json"), "utf8"));
const queueProbe = fs.readFileSync(path.join(DIST, "probes/queue.js"), "latin1");
const frameProbe = fs.readFileSync(path.join(DIST, "probes/frame.js"), "latin1");
const DAY = 86_400_000;
const DUTY = 0.01;
/** The name each board goes by in the figures' keys. */
const KEY: Record<string, string> = { "nrf52840dk-wioe5": "Nrf52840dk", "xiao-nrf52840-wioe5": "Xiao", "esp32-rak3172": "Esp32", "esp32-wifi": "Esp32Wifi", sim: "Sim" };

function demoBoard(board = "sim"): SimBoard {
  const sim = new SimBoard({ board, seed: 7 });
  sim.install();
  sim.writeSite(demoSite);
  demoWorld(sim);
  sim.boot();
  return sim;
}

/**
 * The queue probe on a copy of this board's flash: the board boots its own
 * firmware from that flash (and is never advanced, so it does nothing more),
 * and the probe, evaluated beside it, reads the same store.
 */
function probeOn(flash: Uint8Array, board = "sim"): SimBoard {
  const p = new SimBoard({ board, seed: 7 });
  p.flash.bytes.set(flash);
  p.boot();
  p.eval(queueProbe);
  const b = boardById(board);
  p.eval(`fgQ.init(${b.flash.storageStart + b.storage.bytes}, 0, 0)`);
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
// The bytes the day's records take in the store's reading pages, page headers left out.
const usedBytes = readStore(held, boardById("sim"))!.pages.filter((p) => p.area === "readings" && p.kind === 1).reduce((a, p) => a + p.used, 0);
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
/**
 * Days of buffer, measured: the board's own bundle runs with no link, seven
 * readings every 15 minutes, until its buffer first drops readings (scripts/fill.ts).
 */
const fills = boards.map((b) => fillBuffer(b.id));

// ------------------------------------------------------------------ wear and trash: a year of each board's store (scripts/year.ts)
const years = boards.map((b) => ({ board: b.id, r: simulateYear(b.id, 365) }));
const perBoard: Record<string, number> = {};
for (const f of fills) perBoard[`bufferDays${KEY[f.board]}`] = +f.days.toFixed(1);
for (const { board, r } of years) perBoard[`pageErasesPerDay${KEY[board]}`] = +(r.pageErases / r.days).toFixed(2);
const dkYear = years.find((y) => y.board === "nrf52840dk-wioe5")!.r;

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

// ------------------------------------------------------------------ what the loader keeps while the app runs
/** JsVars the loader's scope holds on the tight board, whose slot is unpacked into RAM (scripts/sim/scope.ts). */
async function loaderRetained(): Promise<number> {
  const sim = new SimBoard({ board: "nrf52840dk-wioe5", seed: 7 });
  sim.install();
  sim.writeSite({ v: 1, name: "Loader", interval: 900, sensors: [] });
  sim.boot();
  sim.advance(5000);
  return (await sim.loaderRetained()).jsVars;
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
  ...perBoard,
  pageErasesPerDay: perBoard.pageErasesPerDayNrf52840dk,
  storageTrashBytesAfterYear: Math.max(...years.map((y) => y.r.trashBytes)),
  storageCompactionsInYear: years.reduce((a, y) => a + y.r.compactCalls, 0),
  flashLifetimeYears: dkYear.maxErasesOnePage > 0 ? +((10000 * dkYear.days) / dkYear.maxErasesOnePage / 365).toFixed(0) : null,
  drainMinutesAfter24hSF7: +(sumAirtime(dr222.frames, 7) / DUTY / 60000).toFixed(1),
  drainMinutesAfter24hSF12: +(sumAirtime(dr51.frames, 12) / DUTY / 60000).toFixed(1),
  airtimeSecondsPerDaySF7: +liveSF7.toFixed(1),
  airtimeSecondsPerDaySF12: +liveSF12.toFixed(1),
  dutyCycleHeadroomSF7: +((DUTY * 86400) / liveSF7).toFixed(1),
  dutyCycleHeadroomSF12: +((DUTY * 86400) / liveSF12).toFixed(1),
  cycleAllocJsVars: await cycleAllocation(),
  loaderRetainedJsVars: await loaderRetained(),
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
  console.log(`  days held, 7 readings every 15 min, measured by running each board's bundle until its buffer drops readings: ${boards.map((b) => `${b.id} ${perBoard[`bufferDays${KEY[b.id]}`]}`).join(", ")}`);
  console.log(`  page erases a day over a simulated year (weekly outage, site change and reboot, monthly slot write): ${boards.map((b) => `${b.id} ${perBoard[`pageErasesPerDay${KEY[b.id]}`]}`).join(", ")}`);
  console.log(`  10,000-cycle flash on nrf52840dk-wioe5 lasts ~${r.flashLifetimeYears} years at its most-erased page`);
  console.log(`  Storage trash after that year: ${r.storageTrashBytesAfterYear} B; compactions: ${r.storageCompactionsInYear}`);
  console.log(`  draining 24 h of backlog at 1 % duty cycle: ${r.drainMinutesAfter24hSF7} min at SF7, ${r.drainMinutesAfter24hSF12} min at SF12`);
  console.log("\nLive operation (each cycle sent when read)");
  console.log(`  airtime a day: ${r.airtimeSecondsPerDaySF7} s at SF7, ${r.airtimeSecondsPerDaySF12} s at SF12; duty-cycle headroom ×${r.dutyCycleHeadroomSF7} / ×${r.dutyCycleHeadroomSF12}`);
  console.log("\nRAM");
  console.log(`  one reading cycle allocates ~${r.cycleAllocJsVars} JsVars (estimate: the firmware's allocations in V8 / ${V8_BYTES_PER_JSVAR} B)`);
  console.log(`  the loader keeps ${r.loaderRetainedJsVars} JsVars while the app runs on nrf52840dk-wioe5 (its scope, counted as the interpreter stores it)`);
}
