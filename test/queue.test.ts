import { describe, expect, it } from "vitest";
import fs from "node:fs";
import path from "node:path";
import { crc32 } from "node:zlib";
import { SimBoard, DIST } from "../scripts/sim/board";
import { decodeFrame } from "../scripts/frames";
import { boardById } from "../boards/index";

const probe = fs.readFileSync(path.join(DIST, "probes/queue.js"), "latin1");
/** The demo site's 13 readings per cycle: channel << 8 | quantity. */
const LAYOUT = [0x001, 0x002, 0x103, 0x104, 0x105, 0x206, 0x20a, 0x20b, 0x208, 0x209, 0x207, 0x30c, 0x40e];
const STEP = 900;
const T0 = 1_780_000_000;

function cycleValues(i: number): number[] {
  // Slowly moving values, as a pasture gives them.
  return [5000 - (i % 7), 310 + (i % 5), 480 - (i % 40), 800 - (i % 40) * 2, 576 - (i % 40), i % 4 === 0 ? 1 : 0, 20 * Math.floor(i / 4), Math.floor(i / 4), i % 4 === 0 ? 2400 : 0, 400 * Math.floor(i / 4), i % 4 === 0 ? 3500 : 2800, 0, 95 + (i % 3)];
}

interface Got {
  key: string;
  value: number | null;
}

/** A board running the buffer probe, and a platform that drops duplicates. */
class Rig {
  sim: SimBoard;
  cycle = 0;
  stored = new Map<string, number>();
  platform = new Map<string, number | null>();
  frames = 0;
  bytes = 0;
  readonly geometry: string;
  /** `outsideBytes`: a smaller buffer area outside Storage than the board names, to fill it quickly. */
  constructor(board = "sim", outsideBytes?: number) {
    const b = boardById(board);
    // The probe is built for the sim board: the store is told where this board's Storage ends and what it has outside.
    this.geometry = [b.flash.storageStart + b.storage.bytes, b.bufferArea?.addr ?? 0, outsideBytes ?? b.bufferArea?.length ?? 0].join(", ");
    this.sim = new SimBoard({ board, seed: 3 });
    this.sim.install(probe);
    this.sim.boot();
    this.init();
  }
  q<T>(code: string): T {
    return this.sim.eval<T>(code);
  }
  init(): number {
    return this.q<number>(`fgQ.init(${this.geometry})`);
  }
  /** One cycle of readings; remembered as stored if the buffer took it. */
  addCycle(): boolean {
    const i = this.cycle++;
    const t = T0 + i * STEP;
    const v = cycleValues(i);
    const ok = this.q<boolean>(`fgQ.cycle(${t}, ${JSON.stringify(LAYOUT)}, ${JSON.stringify(v)}, ${JSON.stringify(LAYOUT.map(() => 0))})`);
    if (ok) LAYOUT.forEach((chq, k) => this.stored.set(`${chq >> 8}/${chq & 255}/${t}`, v[k]));
    return ok;
  }
  /** Sends one frame; the platform receives it; `ack` says whether the acknowledgement comes back. */
  send(maxLen: number, ack = true): number {
    const now = T0 + this.cycle * STEP;
    const f = this.q<{ bytes: number[]; o: { events: number; readings: number } }>(`(function(){ var r = fgQ.frame(${maxLen}, ${this.frames}, ${now}); global.__last = r.o; return r; })()`);
    if (f.o.events + f.o.readings === 0) return 0;
    expect(f.bytes.length).toBeLessThanOrEqual(maxLen);
    this.frames++;
    this.bytes += f.bytes.length;
    for (const r of decodeFrame(Uint8Array.from(f.bytes), now * 1000).readings) this.platform.set(`${r.ch}/${r.qty}/${r.time / 1000}`, r.value);
    if (ack) this.q("fgQ.delivered(global.__last)");
    return f.o.events + f.o.readings;
  }
  drain(maxLen: number): number {
    let n = 0;
    while (this.send(maxLen) > 0) n++;
    return n;
  }
  /** Every reading the buffer took arrived, with its value. */
  allArrived(): void {
    for (const [k, v] of this.stored) expect(this.platform.get(k), k).toBe(v);
  }
}

describe("offline buffer", () => {
  it("keeps readings until they are delivered, then erases what is behind", () => {
    const r = new Rig();
    for (let i = 0; i < 40; i++) r.addCycle();
    expect(r.q<number>("fgQ.pending()")).toBe(40 * 13);
    r.drain(222);
    r.allArrived();
    expect(r.platform.size).toBe(40 * 13);
    expect(r.q<number>("fgQ.pending()")).toBe(0);
    // Only the page still being written is in use, and Storage holds no trash.
    expect(r.q<number[]>("fgQ.stats()")[3]).toBe(1);
    expect(r.sim.storage.getStats().trashBytes).toBe(0);
  });

  it("a frame whose acknowledgement is lost is sent again, and the platform drops the copy", () => {
    const r = new Rig();
    for (let i = 0; i < 8; i++) r.addCycle();
    r.send(51, false);
    const before = r.platform.size;
    r.drain(51);
    r.allArrived();
    expect(r.platform.size).toBe(8 * 13);
    expect(before).toBeGreaterThan(0);
  });

  it("frames sent unconfirmed move the sent position only; a bulk acknowledgement moves delivery, and a rewind sends the rest again", () => {
    const r = new Rig();
    for (let i = 0; i < 10; i++) r.addCycle();
    const sentFrame = () => {
      const f = r.q<{ bytes: number[]; o: { readings: number } }>(`(function(){ var x = fgQ.frame(51, ${r.frames++}, ${T0 + 10 * STEP}); fgQ.sent(x.o); (global.__sent = global.__sent || []).push(x.o); return x; })()`);
      return f;
    };
    const first = sentFrame();
    const second = sentFrame();
    // The second frame starts where the first one ended, and nothing is delivered yet.
    const d1 = decodeFrame(Uint8Array.from(first.bytes), 0).readings.length;
    expect(d1).toBe(first.o.readings);
    expect(decodeFrame(Uint8Array.from(second.bytes), 0).readings[0]).not.toEqual(decodeFrame(Uint8Array.from(first.bytes), 0).readings[0]);
    expect(r.q<number>("fgQ.pending()")).toBe(10 * 13);
    // The platform acknowledges the first only: delivery moves over it.
    r.q("fgQ.acked(global.__sent[0])");
    expect(r.q<number>("fgQ.pending()")).toBe(10 * 13 - first.o.readings);
    // The second was lost: the next frame is the second again.
    r.q("fgQ.rewind()");
    const again = r.q<{ bytes: number[] }>(`fgQ.frame(51, 99, ${T0 + 10 * STEP})`);
    expect(decodeFrame(Uint8Array.from(again.bytes), 0).readings).toEqual(decodeFrame(Uint8Array.from(second.bytes), 0).readings);
    r.drain(51);
    expect(r.q<number>("fgQ.pending()")).toBe(0);
  });

  it("survives reboots: what was pending is delivered after", () => {
    const r = new Rig();
    for (let i = 0; i < 30; i++) r.addCycle();
    for (let i = 0; i < 5; i++) r.send(51);
    r.sim.boot("software");
    expect(r.init()).toBeGreaterThan(0);
    r.drain(115);
    r.allArrived();
  });

  it("a day of backlog drains in 51-byte frames at under 3 bytes a reading", () => {
    const r = new Rig();
    for (let i = 0; i < 96; i++) r.addCycle();
    r.drain(51);
    r.allArrived();
    const perReading = r.bytes / (96 * 13);
    console.log(`day of backlog: ${r.frames} frames of at most 51 bytes, ${r.bytes} bytes, ${perReading.toFixed(2)} bytes a reading`);
    expect(perReading).toBeLessThan(3);
  });

  it("a week offline on the ESP32 board: every reading kept, then delivered", () => {
    const r = new Rig("esp32-rak3172");
    for (let i = 0; i < 7 * 96; i++) expect(r.addCycle()).toBe(true);
    expect(r.q<number[]>("fgQ.stats()")[2]).toBe(0); // nothing dropped
    r.drain(222);
    r.allArrived();
    expect(r.platform.size).toBe(7 * 96 * 13);
  });

  it("events are kept over readings and go out first", () => {
    const r = new Rig();
    for (let i = 0; i < 20; i++) r.addCycle();
    r.q(`fgQ.event(${T0 + 5}, 3, 8, 1, 1)`);
    const f = r.q<{ bytes: number[] }>(`fgQ.frame(51, 0, ${T0 + 20 * STEP})`);
    const d = decodeFrame(Uint8Array.from(f.bytes), (T0 + 20 * STEP) * 1000);
    expect(d.events).toEqual([{ ch: 3, time: (T0 + 5) * 1000, code: 8, active: 1, value: 1 }]);
  });

  it("sequence numbers never go backwards across reboots, and flash is written every 16 frames", () => {
    const r = new Rig();
    const seen: number[] = [];
    for (let boot = 0; boot < 4; boot++) {
      r.q("fgQ.seqInit()");
      const writes = r.sim.flash.writeOps;
      for (let i = 0; i < 40; i++) seen.push(r.q<number>("fgQ.seqNext()"));
      expect(r.sim.flash.writeOps - writes).toBeLessThanOrEqual(3);
      r.sim.boot("software");
      r.init();
    }
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1]);
  });
});

describe("offline buffer: the ring fills up", () => {
  it("drops the oldest readings first, counts them exactly, keeps events, and never stops", () => {
    // A DK whose interpreter leaves only 32 KB of free flash beside Storage: six pages of readings.
    const r = new Rig("nrf52840dk-wioe5", 8 * 4096);
    r.q(`fgQ.event(${T0}, 3, 8, 1, 1)`);
    let kept = 0;
    const total = 14 * 96;
    for (let i = 0; i < total; i++) if (r.addCycle()) kept++;
    const [cycles, events, dropped] = r.q<number[]>("fgQ.stats()");
    expect(events).toBe(1);
    expect(kept).toBe(total);
    expect(dropped).toBe((total - cycles) * 13);
    expect(dropped).toBeGreaterThan(0);
    // What is still held is the newest, and it all arrives.
    r.drain(222);
    const newest = T0 + (total - 1) * STEP;
    expect(r.platform.get(`1/3/${newest}`)).toBe(cycleValues(total - 1)[2]);
    for (const [k, v] of r.platform) expect(r.stored.get(k)).toBe(v);
    console.log(`nrf52840dk-wioe5: ${total} cycles offered, ${cycles} held, ${dropped} readings dropped oldest-first`);
  });
});

/**
 * Power cut at every flash operation, at several bytes inside each, while
 * readings are appended (a new segment included), delivered (the position,
 * the erase of a delivered segment) and while the sequence counter is kept.
 * After each cut the board boots, and every reading stored before the cut and
 * not yet delivered arrives.
 */
describe("offline buffer: power cuts", () => {
  const TORN = [0, 1, 4, 8, 13, 31];

  function scenario(name: string, setup: (r: Rig) => void, act: (r: Rig) => void): void {
    it(name, () => {
      const probeRig = new Rig();
      setup(probeRig);
      probeRig.sim.armPowerCut(null);
      act(probeRig);
      const ops = probeRig.sim.flash.opsCounted;
      expect(ops).toBeGreaterThan(0);
      const tested: string[] = [];
      for (let op = 1; op <= ops; op++) {
        for (const k of TORN) {
          const r = new Rig();
          setup(r);
          const storedBefore = new Map(r.stored);
          r.sim.armPowerCut({ atOp: op, tornAt: k });
          try {
            act(r);
          } catch {
            // the realm is gone with the power
          }
          expect(r.sim.powered).toBe(false);
          r.sim.boot();
          expect(r.sim.errors).toEqual([]);
          r.init();
          r.stored = storedBefore;
          r.drain(222);
          r.allArrived();
          tested.push(`${op}/${ops}@${k}`);
        }
      }
      console.log(`${name}: ${tested.length} cut positions: ${tested.join(" ")}`);
    });
  }

  scenario(
    "append, opening a new page",
    (r) => {
      // Fill the first page until the next cycle no longer fits: the act opens the second.
      for (;;) {
        const st = r.q<number[]>("fgQ.stats()");
        if (st[3] >= 1 && st[5] > 4096 - 40) break;
        r.addCycle();
      }
    },
    (r) => {
      r.addCycle();
      r.addCycle();
    },
  );
  scenario(
    "delivery: the position, and a page freed behind it",
    (r) => {
      for (let i = 0; i < 130; i++) r.addCycle();
    },
    (r) => {
      for (let i = 0; i < 12; i++) r.send(222);
    },
  );
  scenario(
    "the sequence counter",
    (r) => {
      for (let i = 0; i < 3; i++) r.addCycle();
      r.q("fgQ.seqInit()");
    },
    (r) => {
      for (let i = 0; i < 20; i++) r.q("fgQ.seqNext()");
    },
  );
});

/**
 * Power cut at every flash operation of an app slot being written, and inside
 * each: the board boots, the slot holds either nothing whole or the whole new
 * image, the buffered readings all arrive, and Storage gains neither a file
 * nor trash.
 */
describe("the app slot in the store: power cuts while an image is written", () => {
  const LENGTH = 9000;
  const SEED = 5;
  const crc = crc32(new Uint8Array(LENGTH).map((_, i) => (i * SEED) & 255)) >>> 0;
  const write = (r: Rig) => r.q<boolean>(`fgQ.slotWrite(${LENGTH}, 1024, ${SEED}, ${crc})`);

  it("every cut position", () => {
    const setup = (r: Rig) => {
      for (let i = 0; i < 3; i++) r.addCycle();
    };
    const uncut = new Rig();
    setup(uncut);
    const files = uncut.sim.storage.list().sort();
    uncut.sim.armPowerCut(null);
    expect(write(uncut)).toBe(true);
    expect(uncut.q<number>("fgQ.slotImage()")).toBe(crc);
    const ops = uncut.sim.flash.opsCounted;
    let whole = 0;
    let positions = 0;
    for (let op = 1; op <= ops; op++) {
      for (const k of [0, 1, 4, 13]) {
        const r = new Rig();
        setup(r);
        const storedBefore = new Map(r.stored);
        r.sim.armPowerCut({ atOp: op, tornAt: k });
        try {
          write(r);
        } catch {
          // the realm is gone with the power
        }
        r.sim.boot();
        expect(r.sim.errors).toEqual([]);
        r.init();
        const got = r.q<number>("fgQ.slotImage()");
        expect([-1, crc]).toContain(got);
        if (got === crc) whole++;
        r.stored = storedBefore;
        r.drain(222);
        r.allArrived();
        expect(r.sim.storage.list().sort()).toEqual(files);
        expect(r.sim.storage.getStats().trashBytes).toBe(0);
        positions++;
      }
    }
    // The last operation is the record that makes the image count: every cut reaches it before it is whole.
    console.log(`app slot write: ${positions} cut positions over ${ops} flash operations; the slot held the whole image after ${whole}, nothing whole after the rest`);
  });
});

describe("the DK's buffer area outside Storage", () => {
  it("taken back by an interpreter update: the buffer starts afresh there, the loss is counted once, and no page outside the free flash is touched", () => {
    const r = new Rig("nrf52840dk-wioe5", 8 * 4096);
    for (let i = 0; i < 50; i++) r.addCycle();
    expect(r.q<number>("fgQ.pending()")).toBe(50 * 13);
    expect(r.q<number>("fgQ.areaLosses()")).toBe(0);
    // The interpreter grows by 8 KB: Flash.getFree() now begins two pages later.
    r.sim.flashDriver.setFreeAreas([{ addr: 0x93000, length: 0xec000 - 0x93000 }]);
    const erasesBelow = [0x91000, 0x92000].map((a) => r.sim.flash.erasesAt(a));
    r.sim.boot("software");
    expect(r.init()).toBe(0);
    expect(r.q<number>("fgQ.areaLosses()")).toBe(1);
    // The buffer works on in what is left, and what it keeps from now on arrives.
    r.stored.clear();
    for (let i = 0; i < 30; i++) r.addCycle();
    r.drain(222);
    r.allArrived();
    expect([0x91000, 0x92000].map((a) => r.sim.flash.erasesAt(a))).toEqual(erasesBelow);
    // The next boot finds the area it used: no new loss.
    r.sim.boot("software");
    r.init();
    expect(r.q<number>("fgQ.areaLosses()")).toBe(1);
  });
});
