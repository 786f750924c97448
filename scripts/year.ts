/**
 * A long run of the store's users on a simulated board, through the buffer
 * probe (dist/probes/queue.js, built like the bundles): a cycle of readings
 * every 15 minutes, frames delivered while the link is up, an outage of a day
 * every week, a site change every week, an app slot written every month
 * (where the board has a second slot) and a reboot every week. Used by the
 * store's year test and by `npm run bench`.
 */
import fs from "node:fs";
import { crc32 } from "node:zlib";
import path from "node:path";
import { SimBoard, DIST } from "./sim/board";
import { boardById } from "../boards/index";
import { SLOT_BYTES } from "../src/store/storage-layout";

const probe = fs.readFileSync(path.join(DIST, "probes/queue.js"), "latin1");
const LAYOUT = [0x001, 0x002, 0x103, 0x104, 0x105, 0x206, 0x20a, 0x20b, 0x208, 0x209, 0x207, 0x30c, 0x40e];
const T0 = 1_780_000_000;
const STEP = 900;

export interface YearResult {
  days: number;
  cyclesStored: number;
  readingsDelivered: number;
  readingsDropped: number;
  /** Readings still waiting at the end. */
  pending: number;
  siteChanges: number;
  slotWrites: number;
  reboots: number;
  /** Storage after the run. */
  trashBytes: number;
  compactCalls: number;
  filesBefore: string[];
  filesAfter: string[];
  pageErases: number;
  maxErasesOnePage: number;
  /** What the store holds at the end, as the probe reads it. */
  siteText: string;
  lastSite: string;
  slotCrc: number;
  lastSlotCrc: number;
}


/** Runs `days` days on `boardId`, with the board's own flash and its rules. */
export function simulateYear(boardId: string, days = 365): YearResult {
  const b = boardById(boardId);
  const geometry = [b.flash.storageStart + b.storage.bytes, b.bufferArea?.addr ?? 0, b.bufferArea?.length ?? 0, b.hw.appSlots > 1 ? SLOT_BYTES : 0].join(", ");
  const sim = new SimBoard({ board: boardId, seed: 11 });
  sim.install(probe);
  sim.writeSite({ v: 1, name: "Weide Nord", interval: STEP, sensors: [] });
  // One day in the realm: cycles, and while the link is up, every frame delivered after each cycle.
  const dayFn = `global.fgDay = function (day, up) {
    var lay = ${JSON.stringify(LAYOUT)}, q = lay.map(function () { return 0; }), stored = 0, delivered = 0;
    for (var i = 0; i < 96; i++) {
      var c = day * 96 + i, t = ${T0} + c * ${STEP};
      var v = lay.map(function (x, k) { return 500 + ((c * (k + 3)) % 97) - k * 7; });
      if (fgQ.cycle(t, lay, v, q)) stored++;
      while (up) {
        var f = fgQ.frame(222, fgQ.seqNext(), t + 30);
        if (f.o.events + f.o.readings === 0) break;
        fgQ.delivered(f.o);
        delivered += f.o.readings;
      }
    }
    return [stored, delivered];
  };`;
  const boot = () => {
    sim.boot(sim.powered ? "software" : undefined);
    sim.eval(`fgQ.init(${geometry}); fgQ.seqInit(); ${dayFn}`);
  };
  boot();
  const filesBefore = sim.storage.list().sort();
  const erasesBefore = sim.flash.totalErases;
  const r: YearResult = {
    days, cyclesStored: 0, readingsDelivered: 0, readingsDropped: 0, pending: 0, siteChanges: 0, slotWrites: 0, reboots: 0,
    trashBytes: 0, compactCalls: 0, filesBefore, filesAfter: [], pageErases: 0, maxErasesOnePage: 0,
    siteText: "", lastSite: "", slotCrc: -1, lastSlotCrc: -1,
  };
  for (let d = 0; d < days; d++) {
    const [stored, delivered] = sim.eval<number[]>(`fgDay(${d}, ${d % 7 !== 3})`);
    r.cyclesStored += stored;
    r.readingsDelivered += delivered;
    if (d % 7 === 5) {
      const site = JSON.stringify({ v: 1, name: "Weide Nord", interval: 600 + (d % 5) * 60, sensors: [{ kind: "trough", port: 1, name: "Tränke " + d }] });
      sim.eval(`fgQ.siteStore(${JSON.stringify(site)})`);
      r.lastSite = site;
      r.siteChanges++;
    }
    if (d % 30 === 10 && b.hw.appSlots > 1) {
      const length = 40_000 + d * 17;
      const seed = (d % 13) * 2 + 3;
      const image = new Uint8Array(length).map((_, i) => (i * seed) & 255);
      r.lastSlotCrc = crc32(image);
      if (!sim.eval<boolean>(`fgQ.slotWrite(${length}, 1024, ${seed}, ${r.lastSlotCrc})`)) throw new Error(`slot write refused on day ${d}`);
      r.slotWrites++;
    }
    if (d % 7 === 6) {
      boot();
      r.reboots++;
    }
  }
  r.readingsDropped = sim.eval<number[]>("fgQ.stats()")[2];
  r.pending = sim.eval<number>("fgQ.pending()");
  r.siteText = sim.eval<string>("fgQ.siteText()") ?? "";
  r.slotCrc = sim.eval<number>("fgQ.slotImage()");
  const st = sim.storage.getStats();
  r.trashBytes = st.trashBytes;
  r.compactCalls = sim.storage.compactCalls;
  r.filesAfter = sim.storage.list().sort();
  r.pageErases = sim.flash.totalErases - erasesBefore;
  r.maxErasesOnePage = sim.flash.maxPageErases;
  return r;
}
