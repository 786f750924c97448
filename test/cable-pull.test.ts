import { describe, expect, it } from "vitest";
import { SimBoard } from "../scripts/sim/board";
import { attachModem } from "../scripts/sim/lorawan";
import { standardWorld } from "../scripts/sim/world";
import { CutRecording } from "../scripts/sim/cuts";
import { flashedGateway, newerDist, open, recordingCable, replay, run, shut, siteFile, type Bench, type Sent } from "./flashing";

/**
 * The connection to the board cut at every line the CLI sends while it
 * flashes: the recorded stream of a real run, replayed into fresh boards up
 * to each cut, after which the power goes or the board is left alone.
 */
/** A re-flash of a running gateway to 0.9.0 through the real CLI, recorded: the flash and clock it began from, and what the CLI sent in its last run. */
interface Recorded {
  start: ReturnType<SimBoard["flash"]["saveState"]>;
  clock: { mono: number; wall: number };
  chunks: Sent[];
}

async function recordedReflash(): Promise<Recorded> {
  const b = await flashedGateway("esp32-rak3172");
  b.sim.powerOff();
  const start = b.sim.flash.saveState();
  const clock = { mono: b.sim.clock.mono, wall: b.sim.clock.wallOffset };
  b.sim.boot();
  await open(b);
  const cable = await recordingCable(b.server!.port);
  const r = await run({ board: "esp32-rak3172", port: `tcp://127.0.0.1:${cable.port}`, site: siteFile("esp32-rak3172"), dist: newerDist("0.9.0") });
  await cable.close();
  await shut(b);
  expect(r.refused, r.out.join("\n")).toBeUndefined();
  // The CLI's last connection: its reset(), the upload, the record, load().
  return { start, clock, chunks: cable.sent[cable.sent.length - 1] };
}

/** A fresh board as the re-flash found it: its flash and clock, its world and modem, running the old firmware. */
function runningAsFound(rec: Recorded): SimBoard {
  const sim = new SimBoard({ board: "esp32-rak3172", seed: 5, memoryBaseline: false });
  sim.flash.loadState(rec.start);
  sim.clock.mono = rec.clock.mono;
  sim.clock.wallOffset = rec.clock.wall;
  standardWorld(sim);
  attachModem(sim);
  sim.boot();
  sim.advance(2000);
  return sim;
}

let recorded: Promise<Recorded> | null = null;
const reflashRecording = () => (recorded ??= recordedReflash());

describe("a cable pulled at every line of the new firmware's upload", () => {
  it("esp32-rak3172: each time, the board boots the firmware it ran before or the new one, whole, and starts again by itself", async () => {
    const rec = await reflashRecording();
    const chunks = rec.chunks;
    const stream = chunks.map((c) => c.text).join("");
    expect(stream).toContain("var fgu=");
    const ends: number[] = [];
    for (let i = stream.indexOf("\n"); i >= 0; i = stream.indexOf("\n", i + 1)) ends.push(i + 1);
    expect(ends.length).toBeGreaterThan(60);

    const seen = { old: 0, new: 0 };
    let idle = 0;
    for (let k = 0; k <= ends.length; k++) {
      // The cable goes mid-line: the line it was in never runs.
      const cut = k === ends.length ? stream.length : Math.max(0, ends[k] - 7);
      const sim = runningAsFound(rec);
      const mark = sim.console.length;
      replay(sim, chunks, cut);
      // Half the time the power goes with the cable; otherwise the board starts again by itself.
      const pulled = sim.console.length;
      if (k % 2) {
        sim.powerOff();
        sim.boot();
        sim.advance(5000);
      } else {
        sim.advance(25_000);
        // Cut before the CLI's reset(): the firmware never stopped, and its next reading cycle comes.
        if (!sim.console.slice(pulled).some((l) => l.text.includes("starting on"))) sim.advance(16 * 60_000);
        // Cut between the CLI's reset() and the upload's first line, which arms the restart: the board
        // idles until its power comes back (a board powered from USB loses it with the cable).
        if (!/starting on|INFO Readings:/.test(sim.console.slice(pulled).map((l) => l.text).join("\n"))) {
          idle++;
          sim.powerOff();
          sim.boot();
          sim.advance(5000);
        }
      }
      const out = sim.console.slice(mark).map((l) => l.text).join("\n");
      // The firmware that runs in the end: the last that started, or the one that never stopped.
      const v = [...out.matchAll(/INFO feldgate (\S+) starting on esp32-rak3172/g)].pop()?.[1] ?? (/INFO Readings:/.test(out) ? "0.1.0" : "none");
      expect(v, `cut ${k} of ${ends.length}: ${out.slice(0, 400)}`).toMatch(/^(0\.1\.0|0\.9\.0)$/);
      seen[v === "0.9.0" ? "new" : "old"]++;
      expect(sim.errors, `cut ${k}`).toEqual([]);
      expect(out).not.toMatch(/Uncaught|ERROR/);
      expect(sim.storage.getStats().trashCount).toBe(0);
    }
    console.log(`${ends.length + 1} cuts: the old firmware ran after ${seen.old}, the new after ${seen.new}; ${idle} left the board idle until its power came back`);
    expect(seen.old).toBeGreaterThan(50);
    // The window before the restart is armed: the CLI's lines after its reset() and before the upload's first.
    expect(idle).toBeLessThanOrEqual(3);
    expect(seen.new).toBeGreaterThan(0);
  });
});

describe("a cable pulled at every line of a first flash", () => {
  it("nrf52840dk-wioe5: each time, the board boots nothing, as before, or the whole gateway", async () => {
    const sim0 = new SimBoard({ board: "nrf52840dk-wioe5", seed: 5, memoryBaseline: false });
    standardWorld(sim0);
    attachModem(sim0);
    sim0.boot();
    const clock = { mono: sim0.clock.mono, wall: sim0.clock.wallOffset };
    const b: Bench = { sim: sim0, lw: null as never, server: null, port: "" };
    await open(b);
    const cable = await recordingCable(b.server!.port);
    const r = await run({ board: "nrf52840dk-wioe5", port: `tcp://127.0.0.1:${cable.port}`, site: siteFile("nrf52840dk-wioe5") });
    await cable.close();
    await shut(b);
    expect(r.refused, r.out.join("\n")).toBeUndefined();
    // The probe, the files, the loader: the last two write.
    const runs = cable.sent.slice(-2);
    expect(runs[0].map((c) => c.text).join("")).toContain('require("Storage").write("fg.app.a"');
    const seen = { nothing: 0, gateway: 0 };
    for (const chunks of runs) {
      const stream = chunks.map((c) => c.text).join("");
      const ends: number[] = [];
      for (let i = stream.indexOf("\n"); i >= 0; i = stream.indexOf("\n", i + 1)) ends.push(i + 1);
      for (let k = 0; k <= ends.length; k++) {
        const cut = k === ends.length ? stream.length : Math.max(0, ends[k] - 5);
        // The board as this connection found it: bare, or with the files of the run before.
        const sim = new SimBoard({ board: "nrf52840dk-wioe5", seed: 5, memoryBaseline: false });
        sim.clock.mono = clock.mono;
        sim.clock.wallOffset = clock.wall;
        standardWorld(sim);
        attachModem(sim);
        sim.boot();
        if (chunks === runs[1]) replay(sim, runs[0], Infinity);
        replay(sim, chunks, cut);
        sim.powerOff();
        const mark = sim.console.length;
        sim.boot();
        sim.advance(5000);
        const out = sim.console.slice(mark).map((l) => l.text).join("\n");
        const started = /INFO feldgate \S+ starting on nrf52840dk-wioe5/.test(out);
        if (started) {
          seen.gateway++;
          expect(out, `cut ${k}`).toMatch(/INFO Site "Pumpwerk": 1 sensors/);
          expect(sim.errors).toEqual([]);
        } else {
          seen.nothing++;
          expect(out, `cut ${k}`).not.toMatch(/INFO |WARN /);
        }
      }
    }
    console.log(`${seen.nothing + seen.gateway} cuts of a first flash: nothing booted after ${seen.nothing}, the whole gateway after ${seen.gateway}`);
    expect(seen.gateway).toBeGreaterThan(0);
    expect(seen.nothing).toBeGreaterThan(50);
  });
});


describe("power cut at every flash operation of a new firmware's upload, its boot record and its first trial boot, and inside each", () => {
  it("esp32-rak3172: each cut boots the firmware before or the new one, whole, with no error and no Storage trash", async () => {
    const recd = await reflashRecording();
    const sim = runningAsFound(recd);
    const rec = new CutRecording(sim, () => 0);
    replay(sim, recd.chunks, Infinity);
    sim.advance(5000); // the new firmware's first boot, on trial: its try word and its store writes
    rec.stop();
    expect(sim.output()).toContain("feldgate 0.9.0 starting");
    const erases = rec.ops.filter((o) => o.op === "erase").length;
    expect(erases).toBeGreaterThan(10);
    let states = 0;
    const seen = new Set<string>();
    for (const cut of rec.cuts({ tornAt: [0, 2, 17] })) {
      states++;
      const at = rec.boardAt(cut, { seed: 5, memoryBaseline: false });
      standardWorld(at);
      attachModem(at);
      at.boot();
      at.advance(5000);
      const first = /INFO feldgate (\S+) starting/.exec(at.output())?.[1];
      expect(first, `cut at op ${cut.op.index} (${cut.op.op}) byte ${cut.tornAt}`).toMatch(/^(0\.1\.0|0\.9\.0)$/);
      seen.add(first!);
      expect(at.errors, `cut at op ${cut.op.index}`).toEqual([]);
      expect(at.storage.getStats().trashCount).toBe(0);
    }
    console.log(`${rec.ops.length} flash operations (${erases} erases), ${states} distinct flash states after a cut: booted ${[...seen].join(" and ")}`);
    expect([...seen].sort()).toEqual(["0.1.0", "0.9.0"]);
  });
});
