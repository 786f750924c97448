/**
 * The move from the layout before the flash store (docs/storage-layout.md,
 * "Migration"): tally files and buffer segments in Storage. On the first boot
 * of a firmware with the store, the counters are copied as maxima, the
 * records not yet delivered are copied into the store's pages, and only once
 * all of it is there (a setting says so) are the old files erased. A power
 * cut before that point leaves the old files in charge: the copy starts again
 * at the next boot, on fresh pages, and no counter goes backwards.
 */
import { ID, OLD_FILE, OLD_TALLIES, OLD_TALLY_SLOTS } from "../store/storage-layout";
import { counterRead, counterWrite } from "../store/settings";
import { queueInit, queueCycle, queueEvent, queueSkipTo } from "./queue";
import { T_LAYOUT, T_CYCLE, T_EVENT, RECORD_HEAD, readIn, readByte, readU32, readVarint, readFrom, unzigzag } from "./format";
import { recordCrcOk } from "../store/record";
import { S } from "../store/builtin";

const OLD_FILES = /^fg\.[tqe]\./;
const OLD_PREFIXES = ["fg.t", "fg.q", "fg.e"];

/**
 * An old file, or what a power cut left of one while it was erased: the
 * erase zeroes the first word of the name, and a cut short write clears only
 * some of its bits. Such a file is no longer trash and keeps the rest of its
 * name; a byte cleared whole cuts the name short, and that file stays.
 */
function isOld(n: string): boolean {
  if (OLD_FILES.exec(n)) return true;
  if (!/^\.[0-9a-z]+(\.[01])?$/.exec(n.substr(4))) return false;
  for (let p = 0; p < OLD_PREFIXES.length; p++) {
    let sub = true;
    for (let k = 0; sub && k < 4; k++) sub = (n.charCodeAt(k) & ~OLD_PREFIXES[p].charCodeAt(k)) === 0;
    if (sub) return true;
  }
  return false;
}

function u32At(s: string, i: number): number {
  return (s.charCodeAt(i) | (s.charCodeAt(i + 1) << 8) | (s.charCodeAt(i + 2) << 16) | (s.charCodeAt(i + 3) << 24)) >>> 0;
}

/** The largest valid (a, b) of an old tally's twin files, or null. */
function oldTally(name: string): number[] | null {
  let best: number[] | null = null;
  for (let twin = 0; twin < 2; twin++) {
    const s = S.read(OLD_FILE.tally + name + "." + twin);
    for (let i = 0; s !== undefined && i < OLD_TALLY_SLOTS; i++) {
      const o = i * 12;
      const a = u32At(s, o);
      const b = u32At(s, o + 4);
      if ((E.CRC32(s.substr(o, 8)) >>> 0) !== u32At(s, o + 8)) continue;
      if (!best || a > best[0] || (a === best[0] && b > best[1])) best = [a, b];
    }
  }
  return best;
}

/** The old segments of one kind, oldest first. */
function segments(prefix: string): string[] {
  const names = S.list(new RegExp("^" + prefix.replace(/\./g, "\\.")));
  names.sort(function (x: string, y: string) {
    return parseInt(x.substr(prefix.length), 36) - parseInt(y.substr(prefix.length), 36);
  });
  return names;
}

/** Walks an old segment: records one after another, unpadded; a torn one is skipped. */
function walkOld(text: string, fn: (o: number, type: number) => void): void {
  for (let o = 0; o < text.length; ) {
    const len = text.charCodeAt(o);
    if (len === 0xff) break;
    if (len >= 4 && o + len <= text.length && recordCrcOk(text, o, len)) {
      readIn(text);
      fn(o, text.charCodeAt(o + 1));
    }
    o += Math.max(len, 1);
  }
}

function copyEvents(): number {
  let n = 0;
  const from = counterRead(ID.eventsDelivered);
  const names = segments(OLD_FILE.events);
  for (let i = 0; i < names.length; i++)
    walkOld(S.read(names[i])!, function (o, type) {
      if (type !== T_EVENT) return;
      readFrom(o + RECORD_HEAD);
      const ord = readU32();
      if (ord < from) return;
      const t = readU32();
      const ch = readByte();
      const code = readByte();
      const active = readByte();
      const value = unzigzag(readVarint());
      queueSkipTo(-1, ord);
      if (queueEvent(t, ch, code, active, value)) n++;
    });
  return n;
}

function copyCycles(): number {
  let n = 0;
  const from = counterRead(ID.readingsDelivered);
  const names = segments(OLD_FILE.queue);
  let cols: number[] = [];
  const val: number[] = [];
  const q: number[] = [];
  for (let i = 0; i < names.length; i++)
    walkOld(S.read(names[i])!, function (o, type) {
      readFrom(o + RECORD_HEAD);
      if (type === T_LAYOUT) {
        const k = readByte();
        cols = [];
        for (let j = 0; j < k; j++) cols.push((readByte() << 8) | readByte());
        return;
      }
      if (type !== T_CYCLE) return;
      const ord = readU32();
      if (ord < from) return;
      const t = readU32();
      const k = readByte();
      for (let j = 0; j < k; j++) {
        const x = readVarint();
        val[j] = unzigzag(Math.floor(x / 2));
        q[j] = x % 2 ? readByte() : 0;
      }
      queueSkipTo(ord, -1);
      if (queueCycle(t, k, cols, val, q)) n += k;
    });
  return n;
}

/**
 * Moves a gateway from the old layout to the store, if it has old files.
 * Call after storeOpen() and before queueInit(). Returns the readings it
 * copied, or -1 when there was nothing to move.
 */
export function migrate(): number {
  const all = S.list();
  const old: string[] = [];
  for (let i = 0; i < all.length; i++) if (isOld(all[i])) old.push(all[i]);
  if (!old.length) return -1;
  let copied = 0;
  if (counterRead(ID.migrated) < 1) {
    for (let i = 0; i < OLD_TALLIES.length; i++) {
      const v = oldTally(OLD_TALLIES[i][0]);
      if (v) counterWrite(OLD_TALLIES[i][1], v[0], v[1]);
    }
    // Water meters' totals: fg.t.m<channel>.
    for (let i = 0; i < old.length; i++) {
      const m = /^fg\.t\.m(\d+)\.[01]$/.exec(old[i]);
      const v = m ? oldTally("m" + m[1]) : null;
      if (v) counterWrite(ID.meterBase + +m![1], v[0], v[1]);
    }
    // Pages a cut copy left are put below the base: the copy starts over.
    queueInit(true);
    copyEvents();
    copied = copyCycles();
    counterWrite(ID.migrated, 1);
  }
  for (let i = 0; i < old.length; i++) S.erase(old[i]);
  return copied;
}
