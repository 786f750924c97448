/**
 * Reads a board's flash store from the Node side, as docs/storage-layout.md
 * specifies it: where fg.store is, how its pages are shared out, what state
 * each page is in, and the newest value of every setting. Tests use it to
 * check what the firmware left in flash; it shares no code with the
 * firmware's store, so the two implementations check each other.
 */
import { crc32 } from "node:zlib";
import type { Board } from "../boards/types";
import type { SimBoard } from "./sim/board";
import { FILE, FILE_HEADER_BYTES, ID, PAGE_HEAD_BYTES, SLOT_BYTES, storePartition } from "../src/store/storage-layout";

const HASH_SEED = 0x579bb975;
const MAGIC = 0x4647;
const T_COUNTER = 16;
const T_VALUE = 17;

export interface PageState {
  area: "settings" | "events" | "readings";
  index: number;
  addr: number;
  /** 0 free (or retired), else 1 readings, 2 events, 4 settings. */
  kind: number;
  seq: number;
  /** Bytes of valid records after the header. */
  used: number;
}

export interface StoreView {
  /** Flash address of fg.store's header. */
  header: number;
  pageBytes: number;
  pages: PageState[];
  counters: Map<number, [number, number]>;
  /** The site configuration in force, as the store holds it. */
  site?: string;
}

function u32(b: Uint8Array, i: number): number {
  return (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;
}


function crc16ok(page: Uint8Array, o: number, len: number): boolean {
  return (crc32(page.subarray(o, o + len - 2)) & 0xffff) === (page[o + len - 2] | (page[o + len - 1] << 8));
}

/** The valid records of a page (offsets after the header), up to the first that fails. */
function records(page: Uint8Array): number[] {
  const out: number[] = [];
  for (let o = PAGE_HEAD_BYTES; o < page.length; ) {
    const len = page[o];
    if (len === 0xff || len < 4 || o + len > page.length || !crc16ok(page, o, len)) break;
    out.push(o);
    o += (len + 3) & ~3;
  }
  return out;
}

/** The store on a simulated board, or null when there is no fg.store. */
export function readStore(sim: SimBoard, board: Board, outsideBytes?: number): StoreView | null {
  const data = sim.storage.readBytes(FILE.store);
  if (!data) return null;
  const header = (sim.storage.hash(/^fg\.store$/) ^ HASH_SEED ^ crc32(Buffer.from(FILE.store, "latin1"))) >>> 0;
  const pb = sim.flashDriver.getPage(board.flash.storageStart + board.storage.bytes - 1)!.length;
  const first = Math.ceil((header + FILE_HEADER_BYTES) / pb) * pb;
  const inside = Math.floor((header + FILE_HEADER_BYTES + data.length - first) / pb);
  let out = { addr: 0, pages: 0 };
  if (board.bufferArea) {
    const want = { addr: board.bufferArea.addr, length: outsideBytes ?? board.bufferArea.length };
    for (const f of sim.flashDriver.getFree()) {
      const lo = Math.ceil(Math.max(want.addr, f.addr) / pb) * pb;
      const hi = Math.floor(Math.min(want.addr + want.length, f.addr + f.length) / pb) * pb;
      if (hi - lo > out.pages * pb) out = { addr: lo, pages: (hi - lo) / pb };
    }
  }
  const [s, e, r, slot] = storePartition(inside, out.pages, board.hw.appSlots > 1 ? Math.floor(SLOT_BYTES / pb) : 0);
  const areas: [PageState["area"], number, number][] = out.pages
    ? [["settings", first, s], ["events", out.addr, e], ["readings", out.addr + e * pb, r]]
    : [["settings", first, s], ["events", first + (s + slot) * pb, e], ["readings", first + (s + slot + e) * pb, r]];
  const view: StoreView = { header, pageBytes: pb, pages: [], counters: new Map() };
  const settings: { seq: number; page: Uint8Array }[] = [];
  for (const [area, base, n] of areas) {
    for (let i = 0; i < n; i++) {
      const addr = base + i * pb;
      const page = sim.flashDriver.read(addr, pb);
      const state = u32(page, 0);
      const kind = state >>> 16 === MAGIC && [1, 2, 4].includes(state & 0xffff) ? state & 0xffff : 0;
      const recs = kind ? records(page) : [];
      const end = recs.length ? recs[recs.length - 1] + ((page[recs[recs.length - 1]] + 3) & ~3) : PAGE_HEAD_BYTES;
      view.pages.push({ area, index: i, addr, kind, seq: u32(page, 4), used: end - PAGE_HEAD_BYTES });
      if (kind === 4) settings.push({ seq: u32(page, 4), page });
    }
  }
  // Settings in order of their pages' sequence: the largest counter value, and the site as the firmware finds it
  // (src/store/settings.ts): a whole version is a run of its parts from part 0, and a later whole run takes over.
  settings.sort((x, y) => x.seq - y.seq);
  let site: { version: number; parts: string[] } | null = null;
  let run: { version: number; parts: string[]; of: number } | null = null;
  for (const { page } of settings) {
    for (const o of records(page)) {
      const type = page[o + 1];
      const id = page[o + 2];
      if (type === T_COUNTER) {
        const v: [number, number] = [u32(page, o + 3), u32(page, o + 7)];
        const was = view.counters.get(id);
        if (!was || v[0] > was[0] || (v[0] === was[0] && v[1] >= was[1])) view.counters.set(id, v);
      } else if (type === T_VALUE && id === ID.site) {
        const version = u32(page, o + 3);
        const part = page[o + 7];
        const parts = page[o + 8];
        const text = Buffer.from(page.subarray(o + 9, o + page[o] - 2)).toString("latin1");
        if (part === 0) run = { version, parts: [], of: parts };
        if (!run || run.version !== version || run.of !== parts || run.parts.length !== part) {
          run = null;
          continue;
        }
        run.parts.push(text);
        if (run.parts.length === parts && (!site || version >= site.version)) site = { version, parts: run.parts };
      }
    }
  }
  if (site) view.site = site.parts.join("");
  return view;
}
