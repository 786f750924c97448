/**
 * The flash store's page layer (src/store/pages.ts, docs/storage-layout.md
 * "The flash store") under power cuts at every flash operation of a sequence
 * and inside each: a page is either free or carries the sequence it was opened
 * with, and its records are exactly those whose append completed, the one
 * being written at most if it reached flash whole.
 */
import { describe, expect, it } from "vitest";
import fs from "node:fs";
import path from "node:path";
import { DIST, type SimBoard } from "../scripts/sim/board";
import { bootBoard, evalJson } from "./helpers";

const probe = fs.readFileSync(path.join(DIST, "probes/store.js"), "latin1");
/** Two 4 KB pages of the DK's free internal flash outside Storage, read as the store reads its outside area. */
const A = 0x91000 + 64 * 1024;
const B = A + 4096;
const PAGE = 4096;

interface PageInfo {
  kind: number;
  seq: number;
  end: number;
  writable: boolean;
}

const run = evalJson;

function boot(): SimBoard {
  return bootBoard("nrf52840dk-wioe5", { bundle: probe, world: false });
}

/** A record of the buffer's format with `n` payload bytes, its CRC made by the realm's E.CRC32. */
function record(sim: SimBoard, type: number, n: number): number[] {
  return run<number[]>(sim, `var r = [${n + 4}, ${type}]; for (var i = 0; i < ${n}; i++) r.push((i * 37 + ${type}) & 255);
    var c = E.CRC32(new Uint8Array(r)); r.push(c & 255, (c >>> 8) & 255); return r;`);
}

/** The steps: open A, five appends, open B, two appends. Each returns what it did for the checks. */
function steps(recs: number[][]): string[] {
  const s = [`fgPages.open(${A}, 1, 5)`];
  let at = 8;
  for (const r of recs.slice(0, 5)) {
    s.push(`fgPages.append(${A}, ${PAGE}, ${at}, ${JSON.stringify(r)})`);
    at += (r.length + 3) & ~3;
  }
  s.push(`fgPages.open(${B}, 1, 6)`);
  at = 8;
  for (const r of recs.slice(5)) {
    s.push(`fgPages.append(${B}, ${PAGE}, ${at}, ${JSON.stringify(r)})`);
    at += (r.length + 3) & ~3;
  }
  return s;
}

describe("the flash store's pages", () => {
  it("open, append and scan: records read back in order, the page stays writable", () => {
    const sim = boot();
    const recs = [record(sim, 2, 10), record(sim, 3, 1)];
    expect(run(sim, `return fgPages.open(${A}, 4, 9);`)).toBe(true);
    const next = run<number>(sim, `return fgPages.append(${A}, ${PAGE}, 8, ${JSON.stringify(recs[0])});`);
    expect(next).toBe(8 + 16);
    expect(run(sim, `return fgPages.append(${A}, ${PAGE}, ${next}, ${JSON.stringify(recs[1])});`)).toBe(8 + 16 + 8);
    expect(run<PageInfo>(sim, `return fgPages.scan(${A}, ${PAGE});`)).toEqual({ kind: 4, seq: 9, end: 32, writable: true });
    // A page that was never opened is free, whatever it holds.
    expect(run<PageInfo>(sim, `return fgPages.scan(${B}, ${PAGE});`).kind).toBe(0);
    // A record that does not fit is refused, and nothing is written.
    expect(run(sim, `return fgPages.append(${A}, ${PAGE}, ${PAGE - 4}, ${JSON.stringify(recs[0])});`)).toBe(-1);
  });

  it("a record that fails its CRC ends the page: nothing after it is read, nothing more is written", () => {
    const sim = boot();
    const good = record(sim, 2, 6);
    const bad = good.slice();
    bad[3] ^= 1;
    run(sim, `fgPages.open(${A}, 1, 1); fgPages.append(${A}, ${PAGE}, 8, ${JSON.stringify(good)}); fgPages.append(${A}, ${PAGE}, 20, ${JSON.stringify(bad)}); fgPages.append(${A}, ${PAGE}, 32, ${JSON.stringify(good)}); return 0;`);
    expect(run<PageInfo>(sim, `return fgPages.scan(${A}, ${PAGE});`)).toEqual({ kind: 1, seq: 1, end: 20, writable: false });
  });

  it("a cut at every flash operation, and inside each, leaves only whole records and true sequence numbers", () => {
    const ref = boot();
    const recs = [10, 3, 40, 1, 7, 20, 5].map((n, i) => record(ref, 2 + (i % 2), n));
    const s = steps(recs);
    ref.armPowerCut(null);
    for (const step of s) ref.eval(step);
    const ops = ref.flash.opsCounted;
    expect(ops).toBe(3 + 5 + 3 + 2);
    let positions = 0;
    for (let op = 1; op <= ops; op++) {
      for (const torn of [0, 1, 3, 5, 2048]) {
        const sim = boot();
        sim.armPowerCut({ atOp: op, tornAt: torn });
        // Steps that completed before the cut, counted per page.
        let done = 0;
        for (const step of s) {
          try {
            sim.eval(step);
            done++;
          } catch (e) {
            expect(String(e)).toContain("power cut");
            break;
          }
        }
        sim.boot();
        positions++;
        const a = run<PageInfo>(sim, `return fgPages.scan(${A}, ${PAGE});`);
        const b = run<PageInfo>(sim, `return fgPages.scan(${B}, ${PAGE});`);
        const whole = (recsOn: number[][], n: number) => 8 + recsOn.slice(0, n).reduce((t, r) => t + ((r.length + 3) & ~3), 0);
        // Page A: free only if its opening did not complete; then its sequence is 5, its records those appended.
        if (done === 0) expect([0, 1]).toContain(a.kind);
        else expect(a).toMatchObject({ kind: 1, seq: 5 });
        if (a.kind) {
          const appendedA = Math.max(0, Math.min(done, 6) - 1);
          const tornHereA = done >= 1 && done < 6;
          expect([whole(recs, appendedA), ...(tornHereA ? [whole(recs, appendedA + 1)] : [])]).toContain(a.end);
          expect(a.seq).toBe(5);
        }
        if (done <= 6) expect([0, 1]).toContain(b.kind);
        else expect(b).toMatchObject({ kind: 1, seq: 6 });
        if (b.kind) {
          expect(b.seq).toBe(6);
          const appendedB = Math.max(0, done - 7);
          expect([whole(recs.slice(5), appendedB), whole(recs.slice(5), appendedB + 1)]).toContain(b.end);
        }
      }
    }
    console.log(`page layer: power cut at ${positions} positions (${ops} operations, 5 cuts inside each)`);
  });
});
