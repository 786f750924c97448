/**
 * Power cuts in long runs of the full firmware, by record and replay
 * (scripts/sim/cuts.ts): each sequence runs once, then every flash operation
 * is cut at several bytes inside it and once after it, and a fresh board
 * boots from each flash state so left. The sim board runs with its own 4 KB
 * pages and with the Linux build's 1 KB pages, where a day of readings fills
 * more than one page.
 *
 * What was stored before a cut is taken from the uncut run: a cycle counts as
 * stored once the firmware printed "Waiting to be sent" after it (queueCycle
 * has returned), and its readings are those the platform got from the uncut
 * run at that cycle's time. After the cut the board must boot and print its
 * readings, deliver every reading stored before the cut that the platform did
 * not have yet, deliver no reading the uncut run did not take, keep every
 * counter at or above its value before the cut, use no frame sequence number
 * it had handed its modem, and run with a whole site configuration: the one
 * in force before the cut, or the one being written. Booted once more, it
 * must run with the same configuration: nothing it ran with was in RAM only.
 */
import { describe, expect, it } from "vitest";
import { makeBoard, siteWith, storedSite } from "./helpers";
import { LINUX_FLASH } from "../boards/sim";
import type { BoardFlash } from "../boards/types";
import { attachLorawan, attachModem, type Lorawan } from "../scripts/sim/lorawan";
import { CutRecording, type Cut } from "../scripts/sim/cuts";
import { readStore, type StoreView } from "../scripts/store-reader";
import { decodeFrame, type DecodedReading } from "../scripts/frames";
import type { SimBoard } from "../scripts/sim/board";

const HOUR = 3600_000;
/** Bytes into each operation; the last is past the end of any: the operation completes and power fails before the next. */
const TORN = [0, 1, 4, 13, 1 << 20];
/** Two readings of one quantity less than this apart are one reading sent twice (docs/frame-format.md). */
const SAME_MS = 5000;

/** Soil probes on ports 3 and 2 whose output drifts with the time of day. */
function wireProbes(sim: SimBoard): void {
  sim.pins.setVolts("D34", () => 2.0 + 0.3 * Math.sin(sim.clock.wall / 7e6));
  sim.pins.setVolts("D39", () => 2.2 + 0.3 * Math.cos(sim.clock.wall / 5e6));
  sim.pins.setVolts(sim.board.hw.supply!.pin, 5.0 / sim.board.hw.supply!.ratio);
}

interface Facts {
  lines: number;
  sends: number;
  uplinks: number;
  downlinks: number;
  counters: Map<number, [number, number]>;
}

function capture(lw: Lorawan): (sim: SimBoard) => Facts {
  return (sim) => {
    const v = readStore(sim, sim.board);
    return { lines: sim.console.length, sends: lw.modem.commands.length, uplinks: lw.ns.uplinks.length, downlinks: lw.ns.sentDownlinks.length, counters: v ? v.counters : new Map() };
  };
}

const key = (r: DecodedReading) => `${r.ch}/${r.qty}/${r.value}/${r.q}`;

/** Readings by channel, quantity, value and quality, each with its times: what matches a reading sent again. */
class ReadingSet {
  private readonly byKey = new Map<string, number[]>();
  size = 0;
  add(r: DecodedReading): void {
    const k = key(r);
    let times = this.byKey.get(k);
    if (!times) this.byKey.set(k, (times = []));
    if (times.some((t) => Math.abs(t - r.time) < SAME_MS)) return;
    times.push(r.time);
    this.size++;
  }
  has(r: DecodedReading): boolean {
    return !!this.byKey.get(key(r))?.some((t) => Math.abs(t - r.time) < SAME_MS);
  }
  /** Removes r's match; false when there was none. */
  take(r: DecodedReading): boolean {
    const times = this.byKey.get(key(r));
    const i = times ? times.findIndex((t) => Math.abs(t - r.time) < SAME_MS) : -1;
    if (i < 0) return false;
    times!.splice(i, 1);
    this.size--;
    return true;
  }
  list(): string[] {
    const out: string[] = [];
    for (const [k, ts] of this.byKey) for (const t of ts) out.push(`${k}@${new Date(t).toISOString()}`);
    return out;
  }
}

const FRAME_SEND = /^AT\+SEND=\d+:([0-9A-Fa-f]+)$/;

/** Sequence numbers of the frames the gateway handed its modem. */
function seqsSent(commands: readonly string[]): number[] {
  const out: number[] = [];
  for (const c of commands) {
    const m = FRAME_SEND.exec(c);
    if (m) out.push(decodeFrame(Buffer.from(m[1], "hex"), 0).seq);
  }
  return out;
}

/** A reading of the uncut run, and the first uplink that carried it to the platform. */
interface RefReading extends DecodedReading {
  firstUplink: number;
}

const same = (a: DecodedReading, b: DecodedReading) => key(a) === key(b) && Math.abs(a.time - b.time) < SAME_MS;

/** The uncut run, as the checks need it: its cycles, the readings the platform got of each, its frames. */
class Reference {
  readonly text: string[];
  /** Console index and wall time of each cycle's "Readings:" line, and the index of each "Waiting to be sent" line. */
  readonly cycleLines: { at: number; wall: number }[] = [];
  readonly storedLines: number[] = [];
  /** Each cycle's readings, as the platform got them. */
  readonly cycles: RefReading[][];
  /** The highest frame sequence number handed to the modem up to each of its commands (-1: none yet). */
  private readonly seqUpTo: number[];
  private readonly boots: { at: number; n: number }[] = [];

  constructor(readonly sim: SimBoard, readonly lw: Lorawan, readonly perCycle: number) {
    this.text = sim.console.map((l) => l.text);
    this.text.forEach((t, i) => {
      if (t.startsWith("INFO Readings: ")) this.cycleLines.push({ at: i, wall: sim.console[i].t + sim.clock.wallOffset });
      if (t.startsWith("INFO Waiting to be sent: ")) this.storedLines.push(i);
      const b = /Boot number (\d+)/.exec(t);
      if (b) this.boots.push({ at: i, n: +b[1] });
    });
    const all = new ReadingSet();
    this.cycles = this.cycleLines.map(() => []);
    lw.ns.uplinks.forEach((u, k) => {
      for (const r of decodeFrame(u.bytes, u.at).readings) {
        if (all.has(r)) continue;
        all.add(r);
        const i = this.cycleOf(r.time);
        if (i >= 0) this.cycles[i].push({ ...r, firstUplink: k });
      }
    });
    let max = -1;
    this.seqUpTo = lw.modem.commands.map((c) => {
      const m = FRAME_SEND.exec(c);
      if (m) max = Math.max(max, decodeFrame(Buffer.from(m[1], "hex"), 0).seq);
      return max;
    });
  }

  /** The cycle a reading's time belongs to: its "Readings:" line follows the sampling by less than SAME_MS. -1: none. */
  cycleOf(time: number): number {
    let lo = 0;
    let hi = this.cycleLines.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.cycleLines[mid].wall <= time) lo = mid;
      else hi = mid - 1;
    }
    for (const i of [lo, lo + 1]) if (i < this.cycleLines.length && Math.abs(this.cycleLines[i].wall - time) < SAME_MS) return i;
    return -1;
  }

  /** Cycles begun and cycles stored before a cut at this operation. */
  begun(f: Facts): number {
    return this.cycleLines.filter((c) => c.at < f.lines).length;
  }
  stored(f: Facts): number {
    return this.storedLines.filter((i) => i < f.lines).length;
  }

  /** Whether r is a reading of one of the first `cycles` cycles. */
  took(r: DecodedReading, cycles: number): boolean {
    const i = this.cycleOf(r.time);
    return i >= 0 && i < cycles && this.cycles[i].some((x) => same(x, r));
  }

  /** The highest frame sequence number handed to the modem before a cut at this operation (-1: none). */
  seqBefore(f: Facts): number {
    return f.sends ? this.seqUpTo[f.sends - 1] : -1;
  }

  /** The boot number printed last before a cut at this operation (0: none). */
  bootBefore(f: Facts): number {
    let n = 0;
    for (const b of this.boots) if (b.at < f.lines) n = b.n;
    return n;
  }
}

interface Tally {
  positions: number;
  states: number;
}

interface CheckOptions {
  /** The site configurations in force, in order, and how many of them were in force before a cut. */
  sites: string[];
  committed: (f: Facts) => number;
}

/** Boots a fresh board from the flash a cut left and checks it; the platform is reachable from now on. */
function checkCut(ref: Reference, rec: CutRecording<Facts>, cut: Cut<Facts>, o: CheckOptions): void {
  const f = cut.op.facts;
  const where = `cut at op ${cut.op.index}/${rec.ops.length} (${cut.op.op} of ${cut.op.len} at 0x${cut.op.addr.toString(16)}), byte ${cut.positions.join("/")}`;
  let printed = false;
  const sim = rec.boardAt(cut, {
    seed: 7,
    memoryBaseline: false,
    onLine: (t) => {
      printed ||= t.startsWith("INFO Readings: ");
    },
  });
  wireProbes(sim);
  const lw = attachModem(sim);
  const cutWall = sim.clock.wall;

  // Every reading stored before the cut that the platform did not have then.
  const missing = new ReadingSet();
  for (const c of ref.cycles.slice(0, ref.stored(f))) for (const r of c) if (r.firstUplink >= f.uplinks) missing.add(r);
  const after: DecodedReading[] = [];
  lw.ns.onDecoded = (_d, up) => {
    for (const r of decodeFrame(up.bytes, up.at).readings) {
      missing.take(r);
      after.push(r);
    }
  };

  sim.boot();
  expect(sim.runUntil(() => printed, 10_000), `${where}: no readings after the boot\n${sim.output()}`).toBe(true);
  const out = sim.output();
  expect(sim.errors, where).toEqual([]);
  expect(out.split("\n").filter((l) => /^(ERROR|Uncaught)/.test(l)), `${where}\n${out}`).toEqual([]);
  const boot = +/Boot number (\d+)/.exec(out)![1];
  expect(boot, where).toBeGreaterThan(ref.bootBefore(f));

  // Counters never go back: each is at least what the flash held before the cut.
  const view: StoreView = readStore(sim, sim.board)!;
  for (const [id, [a, b]] of f.counters) {
    const now = view.counters.get(id);
    expect(now && (now[0] > a || (now[0] === a && now[1] >= b)), `${where}: counter ${id} was ${a},${b}, is ${now}`).toBe(true);
  }

  // A whole site configuration, the one in force before the cut or the one being written.
  const site = JSON.stringify(storedSite(sim));
  const c = o.committed(f);
  const allowed = o.sites.slice(c, f.downlinks > c ? c + 2 : c + 1);
  expect(allowed, `${where}: site in force ${site}`).toContain(site);
  const minutes = Math.round(JSON.parse(site).interval / 60);
  expect(out, where).toMatch(new RegExp(`Site "[^"]+": \\d+ sensors, reading every ${minutes} min`));

  // What was stored before the cut arrives.
  const drained = sim.runUntil(() => missing.size === 0 && lw.ns.uplinks.length > 0, 6 * HOUR);
  expect(drained, `${where}: never delivered ${missing.list().slice(0, 8).join(", ")}`).toBe(true);
  expect(lw.ns.errors, where).toEqual([]);

  // Nothing arrives that the uncut run did not take. Readings timed before the cut are of the cycles begun by
  // then: those are sampled well before the cut, the first after the boot seconds after it, and frame times
  // are rounded to the second, so the moment of the cut keeps them apart.
  const begun = ref.begun(f);
  const strange = after.filter((r) => r.time < cutWall && !ref.took(r, begun));
  expect(strange, where).toEqual([]);

  // No frame sequence number handed to the modem before the cut is used again.
  const since = seqsSent(lw.modem.commands);
  expect(since.length, where).toBeGreaterThan(0);
  const floor = ref.seqBefore(f);
  expect(since.filter((s) => s <= floor), `${where}: frames since the cut reuse numbers up to ${floor}`).toEqual([]);
  for (let i = 1; i < since.length; i++) expect(since[i], where).toBeGreaterThan(since[i - 1]);

  // Booted once more, it runs with what it ran with: nothing of it was held in RAM only.
  const mark = sim.console.length;
  sim.boot("software");
  const again = sim.console.slice(mark).map((l) => l.text).join("\n");
  expect(/INFO Site .*/.exec(again)?.[0], where).toBe(/INFO Site .*/.exec(out)![0]);
  expect(JSON.stringify(storedSite(sim)), where).toBe(site);
  expect(+/Boot number (\d+)/.exec(again)![1], where).toBeGreaterThan(boot);
}

function checkAll(ref: Reference, rec: CutRecording<Facts>, o: CheckOptions, t: Tally = { positions: 0, states: 0 }): Tally {
  for (const cut of rec.cuts({ tornAt: TORN })) {
    checkCut(ref, rec, cut, o);
    t.positions += cut.positions.length;
    t.states++;
  }
  return t;
}

/** Runs until the platform has every reading of the cycles stored so far. */
function deliverAll(sim: SimBoard, lw: Lorawan, perCycle: number, maxMs: number): boolean {
  let stored = 0;
  let seen = 0;
  return sim.runUntil(() => {
    for (; seen < sim.console.length; seen++) if (sim.console[seen].text.startsWith("INFO Waiting to be sent: ")) stored++;
    return lw.ns.readings.size >= stored * perCycle;
  }, maxMs);
}

/** Every cycle of the uncut run reached the platform whole: the reference for the cuts. */
function expectWhole(ref: Reference): void {
  expect(ref.cycles.length).toBe(ref.storedLines.length);
  for (const c of ref.cycles) expect(c.length).toBe(ref.perCycle);
  expect(ref.sim.errors).toEqual([]);
  expect(ref.text.filter((l) => /^(ERROR|Uncaught)|Buffer full/.test(l))).toEqual([]);
}

/** The sim board's own flash, and the Linux build's 1 KB pages. */
const GEOMETRIES: [string, BoardFlash | undefined][] = [
  ["4 KB pages", undefined],
  ["1 KB pages", LINUX_FLASH],
];

describe.each(GEOMETRIES)("power cuts in the full firmware, every flash operation cut (record and replay), sim board with %s", (label, flash) => {
  it("a day of readings with the network unreachable, then the backlog delivered", () => {
    const t0 = Date.now();
    const site = siteWith({ kind: "soil", name: "Boden Nord", port: 3 }, { kind: "soil", name: "Boden Sued", port: 2 });
    Object.assign(site, { interval: 900 });
    const sim = makeBoard("sim", { site, flash });
    wireProbes(sim);
    const lw = attachLorawan(sim);
    lw.ns.up = false;
    // From the first boot, which creates the store, to the backlog delivered.
    const rec = new CutRecording(sim, capture(lw));
    sim.boot();
    sim.advance(24 * HOUR);
    expect(lw.ns.uplinks.length).toBe(0);
    lw.ns.up = true;
    expect(deliverAll(sim, lw, 4, 8 * HOUR)).toBe(true);
    rec.stop();
    // Cycles stored while recording and not yet delivered reach the platform after it.
    expect(deliverAll(sim, lw, 4, 2 * HOUR)).toBe(true);
    const ref = new Reference(sim, lw, 4);
    expectWhole(ref);
    expect(ref.storedLines.length).toBeGreaterThan(96);
    // Where a day fills more than one readings page, a page was erased and opened after the boot.
    const bootLines = ref.text.findIndex((l) => l.startsWith("INFO Readings: "));
    const opened = rec.ops.filter((op) => op.op === "erase" && op.facts.lines > bootLines).length;
    if (flash === LINUX_FLASH) expect(opened).toBeGreaterThan(0);
    const recorded = Date.now() - t0;

    const t = checkAll(ref, rec, { sites: [JSON.stringify(site)], committed: () => 0 });
    console.log(`${label}, a day offline, then delivered: ${rec.ops.length} flash operations, ${t.positions} cut positions, ${t.states} distinct flash states booted; recorded in ${recorded} ms, checked in ${Date.now() - t0 - recorded} ms`);
  });

  it("a site changed by two downlinks, each landing on a settings page turnover", () => {
    const t0 = Date.now();
    // Names long enough that the configuration takes two records in the store: a cut can fall between them.
    const site = siteWith(
      { kind: "soil", name: "Boden am oberen Hang, Parzelle 12", port: 3, dry: 2.8, wet: 1.2 },
      { kind: "soil", name: "Boden unten am Bach, Parzelle 14", port: 2, dry: 2.7, wet: 1.1 },
    );
    Object.assign(site, { name: "Weide am Bach, Nordhang", interval: 900 });
    const sim = makeBoard("sim", { site, flash });
    wireProbes(sim);
    const lw = attachLorawan(sim);
    sim.boot();
    const settings = () => {
      const v = readStore(sim, sim.board)!;
      const live = v.pages.filter((p) => p.area === "settings" && p.kind === 4).sort((a, b) => a.seq - b.seq);
      return { v, live, left: v.pageBytes - 8 - live[live.length - 1].used };
    };
    // Runs until the newest settings page lacks room for a configuration, with no page free after it, and
    // `oldest` holds: the change then opens a page and copies the oldest one's records forward before retiring it.
    const place = (oldest: (addr: number) => boolean) => {
      const need = JSON.stringify(site).length + 48;
      const placed = () => {
        const s = settings();
        return s.live.length === 2 && s.left < need && s.left >= 96 && oldest(s.live[0].addr);
      };
      // A frame a cycle, each writing a record or two: steps of a cycle cannot jump the window.
      let found = placed();
      for (let m = 0; m < 8 * 24 * 12 && !found; m++) {
        sim.advance(5 * 60_000);
        found = placed();
      }
      expect(found).toBe(true);
    };
    const recordChange = (downlink: object) => {
      const rec = new CutRecording(sim, capture(lw));
      lw.ns.queueDownlink(downlink);
      sim.advance(HOUR);
      rec.stop();
      return rec;
    };

    // The first change: the configuration provisioned (fg.site) is in force, the store holds none yet.
    place(() => true);
    const first = recordChange({ command: "set_interval", counter: 7, seconds: 300 });
    const v1 = readStore(sim, sim.board)!.site!;
    // The second: the oldest settings page holds the first change whole (both records), which is copied forward while the second is written.
    const holdsV1 = (addr: number) => {
      const page = Buffer.from(sim.flash.read(addr, sim.flashDriver.getPage(addr)!.length)).toString("latin1");
      return page.includes(v1.slice(0, 200)) && page.includes(v1.slice(228));
    };
    place(holdsV1);
    const second = recordChange({ command: "set_sensor", counter: 8, sensor: 0, options: { dry: 2.6 } });
    expect(deliverAll(sim, lw, 4, HOUR)).toBe(true);
    const ref = new Reference(sim, lw, 4);
    expectWhole(ref);
    expect(lw.ns.status.map((s) => s.result)).toEqual(["accepted", "accepted"]);

    // The configurations in force, in order: as provisioned, then as each change left it in the store.
    const sites = [JSON.stringify(site), v1, readStore(sim, sim.board)!.site!];
    expect(JSON.parse(sites[1])).toMatchObject({ ...site, interval: 300 });
    expect(JSON.parse(sites[2])).toMatchObject({ ...site, interval: 300, sensors: [{ ...(site as any).sensors[0], dry: 2.6 }, (site as any).sensors[1]] });
    expect(sites[1].length).toBeGreaterThan(228);
    // Both changes turned the settings ring over, and the second copied the first forward.
    const settingsPages = settings().v.pages.filter((p) => p.area === "settings").map((p) => p.addr);
    for (const rec of [first, second]) expect(rec.ops.some((op) => op.op === "erase" && settingsPages.includes(op.addr))).toBe(true);
    expect(second.ops.some((op) => op.data && Buffer.from(op.data).toString("latin1").includes(v1.slice(0, 200)))).toBe(true);
    const recorded = Date.now() - t0;

    // A change counts once the firmware said so; its log line follows the store's write.
    const changes = ref.text.map((l, i) => (/Reading interval changed|settings changed by the platform/.test(l) ? i : -1)).filter((i) => i >= 0);
    expect(changes.length).toBe(2);
    const o = { sites, committed: (f: Facts) => changes.filter((i) => i < f.lines).length };
    const t = checkAll(ref, second, o, checkAll(ref, first, o));
    console.log(`${label}, site changes by downlink: ${first.ops.length} + ${second.ops.length} flash operations, ${t.positions} cut positions, ${t.states} distinct flash states booted; recorded in ${recorded} ms, checked in ${Date.now() - t0 - recorded} ms`);
  });
});
