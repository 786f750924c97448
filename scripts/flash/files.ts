/**
 * What `npm run flash` writes into a board's Storage (docs/storage-layout.md,
 * "Files"), the code the board runs to report on itself and on what it
 * holds, and how that report is read.
 */
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import type { Board } from "../../boards/types";
import { FILE, FILE_HEADER_BYTES } from "../../src/store/storage-layout";
import { appFiles } from "../budget";
import type { StorageFile } from "./espruino";

export interface FlashSet {
  /** Written first, in this order; none of them runs by itself. */
  files: StorageFile[];
  /** The loader, written last: only once it is there does the board boot feldgate. */
  boot: StorageFile;
  bundleBytes: number;
}

const latin1 = (s: string) => new Uint8Array(Buffer.from(s, "latin1"));

/**
 * The board's files, in the order they are written into an empty Storage: the boot records, app
 * slot A (compressed where the board file says so), the site, the identity, and the loader.
 */
export function flashSet(board: Board, dist: string, siteJson: string, identityJson: string): FlashSet {
  const bundle = fs.readFileSync(path.join(dist, `${board.id}.js`));
  const loader = fs.readFileSync(path.join(dist, "loader.js"));
  const app = appFiles(board, new Uint8Array(bundle));
  const files: StorageFile[] = [
    { name: FILE.bootCtl, data: app.boot },
    { name: FILE.appA, data: app.appA },
    { name: FILE.site, data: latin1(siteJson) },
    { name: FILE.identity, data: latin1(identityJson) },
  ];
  return { files, boot: { name: FILE.bootCode, data: new Uint8Array(loader) }, bundleBytes: bundle.length };
}

/** Storage these files take: a 32-byte header each, data padded to the build's write unit. */
export function storageBytes(board: Board, files: StorageFile[]): number {
  const a = board.storage.align;
  return files.reduce((n, f) => n + FILE_HEADER_BYTES + Math.ceil(f.data.length / a) * a, 0);
}

export function crc32(b: Uint8Array): number {
  return zlib.crc32(b) >>> 0;
}

/** What the board says about itself: its build, its Storage and what is in it. */
export interface BoardReport {
  board: string;
  version: string;
  serial?: string;
  files: string[];
  free: number;
  total: number;
  /** Bytes of erased files, which only compact() reclaims. */
  trash: number;
}

export const PROBE_CODE = `(function(){var S=require("Storage"),e=process.env,s=S.getStats();print("FGBOARD:"+JSON.stringify({board:e.BOARD,version:e.VERSION,serial:e.SERIAL,files:S.list(),free:s.freeBytes,total:s.totalBytes,trash:s.trashBytes}));})()`;

/** Code that prints the length and CRC-32 of each named file as `FGCRC:[name,length,crc]` (-1 for a missing file). */
export function crcCode(names: string[]): string {
  return `(function(){var S=require("Storage");${JSON.stringify(names)}.forEach(function(n){var d=S.read(n);print("FGCRC:"+JSON.stringify([n,d===undefined?-1:d.length,d===undefined?0:E.CRC32(d)]));});})()`;
}

/** The JSON after `tag` in the board's lines, or undefined. */
export function tagged<T>(lines: string[], tag: string): T[] {
  const out: T[] = [];
  for (const l of lines) {
    const i = l.indexOf(tag);
    if (i < 0) continue;
    try {
      out.push(JSON.parse(l.slice(i + tag.length)) as T);
    } catch {
      /* a line cut short: not a report */
    }
  }
  return out;
}

/** Files whose length or CRC read back differently from what was written; a file the board did not report counts as missing. */
export function mismatches(files: StorageFile[], lines: string[]): { name: string; why: string }[] {
  const got = new Map(tagged<[string, number, number]>(lines, "FGCRC:").map((r) => [r[0], r]));
  const bad: { name: string; why: string }[] = [];
  for (const f of files) {
    const r = got.get(f.name);
    if (!r || r[1] < 0) bad.push({ name: f.name, why: "not on the board" });
    else if (r[1] !== f.data.length) bad.push({ name: f.name, why: `${r[1]} bytes instead of ${f.data.length}` });
    else if (r[2] >>> 0 !== crc32(f.data)) bad.push({ name: f.name, why: `CRC ${(r[2] >>> 0).toString(16)} instead of ${crc32(f.data).toString(16)}` });
  }
  return bad;
}
