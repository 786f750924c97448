/**
 * A board's offline buffer, measured and never computed: the board's own
 * bundle runs on the simulated board with no link, seven readings every 15
 * minutes (the gateway's supply and box temperature, a trough's level, fill
 * and volume, a soil probe and a water thermometer), until the buffer first
 * drops readings. Used by `npm run bench` (bufferDays<Board>) and by the
 * tight board's test in test/boards.test.ts.
 */
import { SimBoard } from "./sim/board";
import { standardWorld } from "./sim/world";
import { loop4to20, voltageOut } from "./sim/models/analog";
import { Ds18b20 } from "./sim/models/ds18b20";
import { readStore } from "./store-reader";
import { boardById } from "../boards/index";
import { ID, PAGE_HEAD_BYTES } from "../src/store/storage-layout";

const DAY = 86_400_000;
export const FILL_INTERVAL_S = 900;
export const FILL_READINGS_PER_CYCLE = 7;

export interface Fill {
  board: string;
  /** Readings the buffer held when it first had to drop some. */
  readingsHeld: number;
  /** The same in days of seven readings every 15 minutes. */
  days: number;
  /** Reading cycles run until then, the one that found the buffer full included. */
  cycles: number;
  /** What the log said when it dropped readings. */
  dropLine: string;
  /** Readings dropped, as the store counts them, just after. */
  dropped: number;
  /** Ordinal of the oldest cycle still held just after (0 is the first cycle run), and of the newest. */
  oldestHeld: number;
  newestHeld: number;
  /** Cycles the log said it could not keep at all. */
  refused: number;
}

/** The site: sensors on the board's own ports, chosen by what each port has. */
function fillSite(boardId: string) {
  const ports = boardById(boardId).hw.ports;
  const loop = ports.find((p) => p.adc && p.shuntOhms);
  const soil = ports.find((p) => p.adc && p !== loop);
  const ow = ports.find((p) => p.onewire);
  if (!loop || !soil || !ow) throw new Error(`${boardId}: no ports for the buffer's site`);
  return {
    ports: { loop, soil, ow },
    site: {
      v: 1,
      name: "Buffer fill",
      interval: FILL_INTERVAL_S,
      sensors: [
        { kind: "trough", name: "Trough", port: loop.id, sensor: "4-20ma", depth: 600, length: 2000, width: 600, rangeMm: 1000 },
        { kind: "soil", name: "Soil", port: soil.id },
        { kind: "temp", name: "Water", port: ow.id, count: 1 },
      ],
    },
  };
}

/** Ordinals of the oldest and newest cycles the store's reading pages hold (their layout records carry them). */
function heldOrdinals(sim: SimBoard): [number, number] {
  const st = readStore(sim, sim.board)!;
  const base = st.counters.get(ID.base)?.[0] ?? 0;
  const pages = st.pages.filter((p) => p.area === "readings" && p.kind === 1 && p.seq >= base).sort((a, b) => a.seq - b.seq);
  const first = (addr: number) => {
    const b = sim.flashDriver.read(addr + PAGE_HEAD_BYTES, 6);
    return b[1] === 1 ? (b[2] | (b[3] << 8) | (b[4] << 16) | (b[5] << 24)) >>> 0 : -1;
  };
  return [first(pages[0].addr), first(pages[pages.length - 1].addr)];
}

/** Runs the board until its buffer is full (at most maxDays simulated days). */
export function fillBuffer(boardId: string, maxDays = 2000): Fill {
  const sim = new SimBoard({ board: boardId, seed: 5, memoryBaseline: false });
  const { site, ports } = fillSite(boardId);
  sim.install();
  sim.writeSite(site);
  standardWorld(sim);
  // Slow changes, so values and their deltas are as a real site's: level and soil drift over hours.
  loop4to20(sim, ports.loop.adc!, ports.loop.shuntOhms!, () => 8 + 2 * Math.sin(sim.clock.mono / 3.6e6));
  voltageOut(sim, ports.soil.adc!, () => 2.0 + 0.3 * Math.sin(sim.clock.mono / 7.2e6));
  sim.oneWire(ports.ow.onewire!).devices.push(new Ds18b20(0x51, 9.5));
  sim.boot();
  for (let d = 0; d < maxDays; d++) {
    sim.advance(DAY);
    const dropped = readStore(sim, sim.board)!.counters.get(ID.readingsDropped)?.[0] ?? 0;
    if (!dropped) continue;
    // The store counts the drop whether or not the log says so: the line is looked for, not waited for.
    const lines = sim.console;
    let at = lines.findIndex((l) => l.text.startsWith("WARN Buffer"));
    const dropLine = at < 0 ? "" : lines[at].text;
    if (at < 0) at = lines.length;
    let held = 0;
    let cycles = 0;
    for (let i = 0; i < at; i++) {
      const m = /^INFO Waiting to be sent: (\d+) readings/.exec(lines[i].text);
      if (m) held = Math.max(held, +m[1]);
      if (lines[i].text.startsWith("INFO Readings: ")) cycles++;
    }
    const [oldestHeld, newestHeld] = heldOrdinals(sim);
    return {
      board: boardId,
      readingsHeld: held,
      days: held / FILL_READINGS_PER_CYCLE / (86400 / FILL_INTERVAL_S),
      cycles,
      dropLine,
      dropped,
      oldestHeld,
      newestHeld,
      refused: lines.filter((l) => /^WARN Buffer: .*not kept/.test(l.text)).length,
    };
  }
  throw new Error(`${boardId}: the buffer was not full after ${maxDays} days`);
}
