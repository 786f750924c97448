/**
 * Espruino's Storage (src/jsflash.c, RELEASE_2V29) on the simulated flash,
 * byte for byte and at the build's real addresses: 32-byte headers
 * (size | flags << 24, then a 28-byte name), data aligned to JSF_ALIGNMENT,
 * new files after the last one, a replaced or erased file turned to trash
 * by zeroing its name's first word, and compact() starting at the first page
 * that holds trash (storage-compact.ts). Files before that page are never
 * read, moved or erased by it. Every flash access goes through the build's
 * jshFlash* functions (flash-driver.ts).
 */
import zlib from "node:zlib";
import type { FlashDriver } from "./flash-driver";
import { compactFrom } from "./storage-compact";

const HEADER = 32;
const NAME_MAX = 28;
const FLAG_STORAGEFILE = 64;
/** jsflash.h:46-53: the flags a real file may carry (jsfIsRealFile, jsflash.c:194-199). */
const REAL_FLAGS = new Set([0, FLAG_STORAGEFILE, 128]);

export class StorageError extends Error {}

export interface StorageHeader {
  addr: number; // header address
  size: number;
  flags: number;
  name: string;
  trash: boolean;
}

export interface StorageStats {
  totalBytes: number;
  freeBytes: number;
  fileBytes: number;
  fileCount: number;
  trashBytes: number;
  trashCount: number;
}

export interface StorageGeometry {
  /** FLASH_SAVED_CODE_START */
  start: number;
  bytes: number;
  /** JSF_ALIGNMENT */
  align: number;
}

/**
 * A live file as the interpreter's views of it see it: jsvUpdateMemoryAddress
 * (jsvar.c 467-485) moves every view of a file that compaction moves
 * (jsflash.c 508-511) and turns every view of an erased or replaced one into
 * null (jsflash.c 283-286, and all of Storage at 267-280).
 */
export interface StorageFileId {
  /** Flash address of the file's data. */
  data: number;
  erased: boolean;
  /** Buffers from readArrayBuffer: taken away (detached) when the file is erased. */
  buffers?: ArrayBuffer[];
}

/** A file's views become null; its buffers are detached, so that using one fails. */
function erased(id: StorageFileId): void {
  id.erased = true;
  for (const b of id.buffers ?? []) if (b.byteLength) structuredClone(b, { transfer: [b] });
  id.buffers = undefined;
}

/** What a string from Storage.read or E.memoryArea shows: bytes of a file (moving with it), or at a fixed address. */
export interface FlashView {
  file: StorageFileId | null;
  /** Offset in the file, or the flash address where there is no file. */
  offset: number;
  length: number;
}

export function bytesToString(b: Uint8Array): string {
  // latin1 maps each byte to the character of its code, as fromCharCode does, in one native step.
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("latin1");
}

export function stringToBytes(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 255;
  return b;
}

/** Espruino's JSV_GET_AS_CHAR_ARRAY: strings, arrays of bytes, typed arrays and ArrayBuffers (from any realm). */
export function dataToBytes(data: unknown): Uint8Array {
  if (typeof data === "string") return stringToBytes(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  if (Object.prototype.toString.call(data) === "[object ArrayBuffer]") return new Uint8Array(data as ArrayBuffer).slice();
  if (Array.isArray(data)) return Uint8Array.from(data as number[], (v) => Number(v) & 255);
  if (typeof data === "number") return Uint8Array.of(data & 255);
  throw new StorageError("Can't get pointer to data to write");
}

function matches(name: string, regex: unknown): boolean {
  if (regex === undefined || regex === null) return true;
  return String.prototype.match.call(name, regex as RegExp) !== null;
}

export class SimStorage {
  readonly drv: FlashDriver;
  readonly start: number;
  readonly end: number;
  readonly align: number;
  /** Prints what the interpreter prints to its console (compaction). */
  log: (text: string) => void = () => {};
  /** Files that views were made of, by header address. */
  private ids = new Map<number, StorageFileId>();

  constructor(drv: FlashDriver, geom: StorageGeometry) {
    this.drv = drv;
    this.start = geom.start;
    this.end = geom.start + geom.bytes;
    this.align = geom.align;
  }

  get flash() {
    return this.drv.flash;
  }

  get bytes(): number {
    return this.end - this.start;
  }

  /**
   * STORAGEFILE_CHUNKSIZE (jswrap_storage.c:32-40): a page (at most 4 KB)
   * less a header, or ten pages less a header where Storage is 1,000,000
   * bytes or more (the XIAOBLE's 2 MB).
   */
  get chunkBytes(): number {
    const page = this.pageBytes;
    return this.bytes < 1000000 ? Math.min(page, 4096) - HEADER : page * 10 - HEADER;
  }

  get pageBytes(): number {
    return this.drv.getPage(this.start)!.length;
  }

  alignUp(n: number): number {
    return (n + this.align - 1) & ~(this.align - 1);
  }

  // ------------------------------------------------------------------ walking the headers

  /** jsfGetFileHeader (jsflash.c:213-220): valid when the size word is set, not zero, and the file ends inside Storage. */
  headerAt(addr: number): StorageHeader | null {
    if (!addr) return null;
    if (!this.flash.covers(addr, HEADER)) {
      // Only jsfCreateFile's search gets here, when the last file ends in Storage's last 32 bytes
      // (jsflash.c:368 returns address 0, 734 then asks for the page holding 0): on builds with a
      // page at 0 the interpreter goes on to read the firmware as if it were Storage.
      throw new Error(`Storage's search left Storage at 0x${addr.toString(16)}: the interpreter reads the firmware there; not modelled`);
    }
    const word = this.flash.u32(addr);
    const size = word & 0xffffff;
    if (word === 0xffffffff || word === 0 || addr + HEADER + size > this.end) return null;
    const b = this.flash.view(addr + 4, NAME_MAX);
    let name = "";
    for (let i = 0; i < NAME_MAX && b[i] !== 0; i++) name += String.fromCharCode(b[i]);
    return { addr, size, flags: word >>> 24, name, trash: this.flash.u32(addr + 4) === 0 };
  }

  /** jsfGetAddressOfNextPage (jsflash.c:319-329): the page after addr's, or 0 past the end. */
  nextPage(addr: number): number {
    const p = this.drv.getPage(addr);
    if (!p) return 0;
    const n = p.addr + p.length;
    return n >= this.end ? 0 : n;
  }

  /**
   * jsfGetNextFileHeader (jsflash.c:358-380): the header after h, and with
   * getAll, failing that the one at the start of the next page. `addr` is
   * where it stopped (0: no room or no next page), `readAt` the header it
   * read last.
   */
  next(h: StorageHeader, getAll: boolean): { addr: number; header: StorageHeader | null; readAt: number } {
    const at = this.alignUp(h.addr + h.size + HEADER);
    if (at + HEADER > this.end) return { addr: 0, header: null, readAt: h.addr };
    const header = this.headerAt(at);
    if (header || !getAll) return { addr: at, header, readAt: at };
    const np = this.nextPage(at);
    if (!np) return { addr: 0, header: null, readAt: at };
    return { addr: np, header: this.headerAt(np), readAt: np };
  }

  /** Every header from the start of Storage, as jsfBankListFiles walks them (GNFH_GET_ALL). */
  headers(): StorageHeader[] {
    const out: StorageHeader[] = [];
    for (let h = this.headerAt(this.start); h; h = this.next(h, true).header) out.push(h);
    return out;
  }

  /**
   * jsfIsBankStorageValid(JSFSTT_NORMAL) (jsflash.c:957-1001), which the
   * interpreter runs at boot (jsinteractive.c:867): the walk must end on an
   * erased header, or with the last file right at the end; with no files at
   * all, everything must be erased. Otherwise it prints "Storage is corrupt."
   * and erases all of Storage.
   */
  isValid(): boolean {
    let h = this.headerAt(this.start);
    let addr = this.start;
    let readAt = this.start;
    if (h) {
      let last = h;
      for (;;) {
        const n = this.next(last, true);
        addr = n.addr;
        readAt = n.readAt;
        if (!n.header) break;
        last = n.header;
      }
      if (!addr) {
        // Storage may simply be full: the last file ends where no header fits after it.
        const raw = readAt === last.addr ? last.size : this.flash.u32(readAt) & 0xffffff;
        const after = this.alignUp(last.addr + raw + HEADER);
        if (after <= this.end && after + HEADER > this.end) return true;
      }
    }
    const allFF = this.flash.isErased(readAt, HEADER);
    if (allFF && !h && addr === this.start) return this.flash.isErased(this.start, this.bytes);
    return allFF;
  }

  /** jsfGetStorageStats (jsflash.c:398-435), with the page compaction starts from. */
  stats(): StorageStats & { firstPageWithErasedFiles: number } {
    const s = { totalBytes: this.bytes, freeBytes: 0, fileBytes: 0, fileCount: 0, trashBytes: 0, trashCount: 0, firstPageWithErasedFiles: 0 };
    let lastAddr = this.start;
    // The last page that starts with a header: a file straddling into a page makes it unsafe to start there.
    let unbroken = this.start;
    for (let h = this.headerAt(this.start); h; h = this.next(h, true).header) {
      const p = this.drv.getPage(h.addr);
      if (p && p.addr === h.addr) unbroken = h.addr;
      const n = this.alignUp(h.size) + HEADER;
      lastAddr = h.addr + n;
      if (!h.trash) {
        s.fileBytes += n;
        s.fileCount++;
      } else {
        s.trashBytes += n;
        s.trashCount++;
        if (!s.firstPageWithErasedFiles) s.firstPageWithErasedFiles = unbroken;
      }
    }
    s.freeBytes = this.end - lastAddr;
    return s;
  }

  /** jsfBankFindFile (jsflash.c:789-849): names compare on their first 28 characters. */
  private find(name: string): StorageHeader | null {
    const n = name.slice(0, NAME_MAX);
    for (const h of this.headers()) if (!h.trash && h.name === n) return h;
    return null;
  }

  private checkName(name: unknown): string {
    const n = String(name);
    if (n.length === 0) throw new StorageError("Invalid filename");
    if (n.length > NAME_MAX) throw new StorageError(`File name "${n}" too long (max ${NAME_MAX} chars)`);
    return n;
  }

  /** jsfEraseFileInternal (jsflash.c:283-291): views of the file become null, then the name's first word is zeroed. */
  private trash(f: StorageHeader): void {
    const id = this.ids.get(f.addr);
    if (id) erased(id);
    this.ids.delete(f.addr);
    this.drv.write(f.addr + 4, new Uint8Array(4));
  }

  /** Compaction moved a live file's header from `from` to `to` (jsflash.c:508-511): its views follow it. */
  moved(from: number, to: number): void {
    const id = this.ids.get(from);
    if (!id || from === to) return;
    this.ids.delete(from);
    id.data = to + HEADER;
    this.ids.set(to, id);
  }

  /** Forgets the views of a realm that is gone (power off, reset). */
  forgetViews(): void {
    this.ids.clear();
  }

  /** jsfGetSpaceLeftInPage (jsflash.c:333-346) */
  private spaceLeftInPage(addr: number): number {
    const p = this.drv.getPage(addr);
    if (!p) return 0;
    let next = p.addr + p.length;
    if (next < this.end && !this.headerAt(next)) next = this.end;
    return next - addr;
  }

  /**
   * _jsfCreateFile (jsflash.c:707-783): look for room after the files, page
   * by page; without room, compact once, and only if free space and trash
   * together (trash counted without headers) would make room.
   */
  private create(name: string, size: number, flags: number): StorageHeader | null {
    const required = this.alignUp(size) + HEADER;
    let compacted = false;
    let freeAddr = 0;
    while (!freeAddr) {
      let addr = this.start;
      let freeSpace = 0;
      let trashSpace = 0;
      do {
        let h = this.headerAt(addr);
        while (h) {
          if (h.trash) trashSpace += h.size;
          const n = this.next(h, false);
          addr = n.addr;
          h = n.header;
        }
        const space = this.spaceLeftInPage(addr);
        freeSpace += space;
        if (space < required) addr = this.nextPage(addr);
        else freeAddr = addr;
      } while (addr && !freeAddr);
      if (!freeAddr) {
        if (compacted || required >= freeSpace + trashSpace) return null;
        compacted = true;
        if (!this.compact()) return null;
      }
    }
    const h = new Uint8Array(HEADER);
    const word = (size | (flags << 24)) >>> 0;
    h[0] = word & 255;
    h[1] = (word >>> 8) & 255;
    h[2] = (word >>> 16) & 255;
    h[3] = word >>> 24;
    for (let i = 0; i < name.length; i++) h[4 + i] = name.charCodeAt(i) & 255;
    this.drv.write(freeAddr, h);
    return { addr: freeAddr, size, flags, name, trash: false };
  }

  /** Storage.write(name, data, offset, size): jsfWriteFile (jsflash.c:1080-1145). */
  write(nameArg: unknown, data: unknown, offset = 0, size = 0, flags = 0): boolean {
    const name = this.checkName(nameArg);
    const d = dataToBytes(data);
    if (offset < 0 || size < 0) return false;
    if (!size) size = d.length;
    if (!size) throw new StorageError("Can't create zero length file");
    let f = this.find(name);
    if ((!f && offset === 0) || (f && offset === 0 && (f.flags !== flags || f.size !== size || !this.flash.isErased(f.addr + HEADER, size)))) {
      if (f && f.size === size && f.flags === flags && d.length === size && this.equal(f.addr + HEADER, d)) return true;
      if (f) this.trash(f);
      f = this.create(name, size, flags);
    }
    if (!f) throw new StorageError("Unable to find or create file");
    if (offset + d.length > f.size) throw new StorageError("Too much data for file size");
    const at = f.addr + HEADER + offset;
    if (!this.flash.isErased(at, d.length)) throw new StorageError("File already written with different data");
    this.drv.writeAligned(at, d);
    return true;
  }

  private equal(addr: number, d: Uint8Array): boolean {
    const b = this.flash.view(addr, d.length);
    for (let i = 0; i < d.length; i++) if (b[i] !== d[i]) return false;
    return true;
  }

  /** Offset and length of a read of a file of `size` bytes, bounded as jsfReadFile bounds them (jsflash.c:1043-1057). */
  private static span(size: number, offset: number, length: number): [number, number] {
    if (offset < 0) offset = 0;
    if (length <= 0) length = size;
    if (offset > size) offset = size;
    if (offset + length > size) length = size - offset;
    return [offset, Math.max(0, length)];
  }

  /** The file's bytes, or null when it does not exist (jsfReadFile, jsflash.c:1043-1057). */
  readBytes(nameArg: unknown, offsetArg = 0, lengthArg = 0): Uint8Array | null {
    const f = this.find(String(nameArg));
    if (!f) return null;
    const [offset, length] = SimStorage.span(f.size, offsetArg, lengthArg);
    if (length === 0) return new Uint8Array(0);
    return this.drv.read(f.addr + HEADER + offset, length);
  }

  read(name: unknown, offset?: number, length?: number): string | undefined {
    const b = this.readBytes(name, offset, length);
    return b ? bytesToString(b) : undefined;
  }

  /**
   * Storage.read as the interpreter gives it to JavaScript: a view of the
   * file's bytes in flash (jsfReadFile, jsflash.c:1043-1057), or undefined.
   */
  view(nameArg: unknown, offsetArg = 0, lengthArg = 0): FlashView | undefined {
    const f = this.find(String(nameArg));
    if (!f) return undefined;
    const [offset, length] = SimStorage.span(f.size, offsetArg, lengthArg);
    let id = this.ids.get(f.addr);
    if (!id) this.ids.set(f.addr, (id = { data: f.addr + HEADER, erased: false }));
    return { file: id, offset, length };
  }

  /** Ties a buffer from readArrayBuffer to its file. */
  keepBuffer(v: FlashView, b: ArrayBuffer): void {
    if (v.file) (v.file.buffers ??= []).push(b);
  }

  /** A view of the bytes at a flash address (E.memoryArea): inside a live file it follows the file. */
  viewAt(addr: number, length: number): FlashView {
    if (addr < this.start || addr >= this.end) return { file: null, offset: addr, length };
    for (const h of this.headers()) {
      if (h.trash || addr < h.addr + HEADER || addr >= h.addr + HEADER + h.size) continue;
      let id = this.ids.get(h.addr);
      if (!id) this.ids.set(h.addr, (id = { data: h.addr + HEADER, erased: false }));
      return { file: id, offset: addr - id.data, length };
    }
    return { file: null, offset: addr, length };
  }

  /** What a view shows now, or null once its file was erased. */
  viewText(v: FlashView): string | null {
    if (v.file && v.file.erased) return null;
    const at = v.file ? v.file.data + v.offset : v.offset;
    return v.length ? bytesToString(this.drv.read(at, v.length)) : "";
  }

  readJSON(name: unknown, noExceptions?: boolean): unknown {
    const s = this.read(name);
    if (s === undefined) return undefined;
    try {
      return JSON.parse(s);
    } catch (e) {
      if (noExceptions) return undefined;
      throw e;
    }
  }

  erase(nameArg: unknown): void {
    const f = this.find(String(nameArg));
    if (f) this.trash(f);
  }

  /** jsfEraseAll (jsflash.c:267-280): every view of Storage becomes null. */
  eraseAll(): void {
    for (const id of this.ids.values()) erased(id);
    this.ids.clear();
    this.drv.erasePages(this.start, this.bytes);
  }

  /** The real files jsfBankListFiles (jsflash.c:1147-1217) passes on, with the names it gives them. */
  private listed(regex: unknown, containing: number, notContaining: number): StorageHeader[] {
    const out: StorageHeader[] = [];
    for (const h of this.headers()) {
      if (h.trash || !REAL_FLAGS.has(h.flags)) continue;
      if (notContaining & h.flags) continue;
      if (containing && !(containing & h.flags)) continue;
      let n = h.name;
      if (h.flags & FLAG_STORAGEFILE) {
        if (n.charCodeAt(n.length - 1) !== 1) continue;
        if (containing & FLAG_STORAGEFILE) n = n.slice(0, -1);
      }
      if (matches(n, regex)) out.push({ ...h, name: n });
    }
    return out;
  }

  /** Names of live files (jswrap_storage.c:342-355). Chunks of StorageFiles show as the file's name only with {sf:true}. */
  list(regex?: unknown, filter?: { sf?: boolean }): string[] {
    const sf = filter && typeof filter === "object" && "sf" in filter ? !!filter.sf : undefined;
    return this.listed(regex, sf === true ? FLAG_STORAGEFILE : 0, sf === false ? FLAG_STORAGEFILE : 0).map((h) => h.name);
  }

  /**
   * Storage.hash(regex): jsfHashFiles (jsflash.c:1238-1245) over the files
   * jswrap_storage.c:387-389 asks for (StorageFiles left out). Per file, in
   * Storage order, jsflash.c:1169-1172 rolls the hash left by one bit and
   * XORs in the header's flash address and the CRC32 of the name. The
   * result is a JsVarInt, a signed 32-bit number (jstypes.h:26).
   */
  hash(regex?: unknown): number {
    let h = 0xabcddcba;
    for (const f of this.listed(regex, 0, FLAG_STORAGEFILE)) {
      h = ((h << 1) | (h >>> 31)) >>> 0;
      h = (h ^ f.addr ^ zlib.crc32(Buffer.from(f.name, "latin1"))) >>> 0;
    }
    return h | 0;
  }

  getStats(): StorageStats {
    const { firstPageWithErasedFiles: _, ...s } = this.stats();
    return s;
  }

  getFree(): number {
    return this.stats().freeBytes;
  }

  /** Calls of compact(), from the firmware or from Storage itself: the store's tests expect none. */
  compactCalls = 0;

  /** jsfCompact / jsfBankCompact (jsflash.c:572-652): false when there was no trash. */
  compact(): boolean {
    this.compactCalls++;
    const st = this.stats();
    if (!st.trashBytes) return false;
    const buffer = Math.min(st.fileBytes, this.pageBytes + HEADER);
    return compactFrom(this, st.firstPageWithErasedFiles, buffer);
  }

  // --- StorageFile: chunks "name\1", "name\2", … flagged as StorageFile; data ends at the first 0xFF.

  sfChunkName(name: string, chunk: number): string {
    return name + String.fromCharCode(chunk);
  }

  sfChunkBytes(name: string, chunk: number): Uint8Array | null {
    const b = this.readBytes(this.sfChunkName(name, chunk));
    if (!b) return null;
    const end = b.indexOf(0xff);
    return end < 0 ? b : b.subarray(0, end);
  }

  sfWriteChunk(name: string, chunk: number, offset: number, data: Uint8Array): void {
    const n = this.sfChunkName(name, chunk);
    if (!this.find(n)) this.write(n, new Uint8Array(0), 0, this.chunkBytes, FLAG_STORAGEFILE);
    this.write(n, data, offset, this.chunkBytes, FLAG_STORAGEFILE);
  }

  sfErase(name: string): void {
    for (let c = 1; c < 256; c++) {
      const f = this.find(this.sfChunkName(name, c));
      if (!f) break;
      this.trash(f);
    }
  }

  static readonly HEADER = HEADER;
}

/** StorageFile, as returned by require("Storage").open(name, mode). */
export class SimStorageFile {
  private chunk = 1;
  private offset = 0;
  constructor(private readonly st: SimStorage, readonly name: string, readonly mode: string) {
    if (name.length > NAME_MAX - 1) throw new StorageError(`File name "${name}" too long (max ${NAME_MAX - 1} chars)`);
    if (mode === "w") st.sfErase(name);
    if (mode === "a" || mode === "w") {
      // Append after the data already there: last chunk, first 0xFF.
      let c = 1;
      while (st.sfChunkBytes(name, c + 1)) c++;
      const b = st.sfChunkBytes(name, c);
      this.chunk = c;
      this.offset = b ? b.length : 0;
    } else if (mode !== "r") throw new StorageError(`Invalid mode "${mode}"`);
  }

  write(data: unknown): void {
    if (this.mode === "r") throw new StorageError("Can't write in read mode");
    const chunk = this.st.chunkBytes;
    let d = dataToBytes(data);
    while (d.length) {
      const room = chunk - this.offset;
      if (room <= 0) {
        this.chunk++;
        this.offset = 0;
        continue;
      }
      const part = d.subarray(0, room);
      this.st.sfWriteChunk(this.name, this.chunk, this.offset, part);
      this.offset += part.length;
      d = d.subarray(part.length);
    }
  }

  /** Up to len bytes from the read position, or undefined at the end. */
  readBytes(len: number): Uint8Array | undefined {
    const chunk = this.st.chunkBytes;
    const out: number[] = [];
    while (out.length < len) {
      const b = this.st.sfChunkBytes(this.name, this.chunk);
      if (!b || this.offset >= b.length) {
        if (b && b.length === chunk) {
          this.chunk++;
          this.offset = 0;
          continue;
        }
        break;
      }
      const take = Math.min(len - out.length, b.length - this.offset);
      for (let i = 0; i < take; i++) out.push(b[this.offset + i]);
      this.offset += take;
    }
    return out.length ? Uint8Array.from(out) : undefined;
  }

  getLength(): number {
    const chunk = this.st.chunkBytes;
    let n = 0;
    for (let c = 1; ; c++) {
      const b = this.st.sfChunkBytes(this.name, c);
      if (!b) return n;
      n += b.length;
      if (b.length < chunk) return n;
    }
  }

  erase(): void {
    this.st.sfErase(this.name);
  }
}
