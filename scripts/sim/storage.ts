/**
 * Espruino's Storage (jsflash.c, 2v29) on a simulated flash, byte for byte:
 * 32-byte headers (size | flags << 24, then a 28-byte name), data aligned to
 * the build's write unit, files appended after the last one, a replaced or
 * erased file turned to trash by zeroing its name's first word, and compact()
 * rewriting every page from the start, as the interpreter does.
 */
import { Flash } from "./flash";

const HEADER = 32;
const NAME_MAX = 28;
const FLAG_STORAGEFILE = 64;
/** jswrap_storage.c: STORAGEFILE_CHUNKSIZE for 4 KB pages. */
const CHUNK = 4096 - HEADER;

export class StorageError extends Error {}

interface FileEntry {
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

export function bytesToString(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 4096) s += String.fromCharCode.apply(null, Array.from(b.subarray(i, i + 4096)));
  return s;
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

export class SimStorage {
  readonly flash: Flash;
  readonly align: number;

  constructor(flash: Flash, align: number) {
    this.flash = flash;
    this.align = align;
  }

  private alignUp(n: number): number {
    return (n + this.align - 1) & ~(this.align - 1);
  }

  private u32(addr: number): number {
    const b = this.flash.bytes;
    return (b[addr] | (b[addr + 1] << 8) | (b[addr + 2] << 16) | (b[addr + 3] << 24)) >>> 0;
  }

  /** jsfGetFileHeader: a header is valid when its size word is set, not zero, and the file ends inside Storage. */
  private headerAt(addr: number): FileEntry | null {
    if (addr + HEADER > this.flash.size) return null;
    const word = this.u32(addr);
    const size = word & 0xffffff;
    if (word === 0xffffffff || word === 0 || addr + HEADER + size > this.flash.size) return null;
    const b = this.flash.bytes;
    let name = "";
    for (let i = 0; i < NAME_MAX && b[addr + 4 + i] !== 0; i++) name += String.fromCharCode(b[addr + 4 + i]);
    return { addr, size, flags: word >>> 24, name, trash: this.u32(addr + 4) === 0 };
  }

  /**
   * Walks the headers as jsfGetNextFileHeader(GNFH_GET_ALL) does: after a file,
   * the next header; if that is not valid, the start of the next page (files
   * used to be page aligned); then it stops. `stoppedOnBlank` tells whether it
   * stopped on an erased header, which is what the boot-time check wants.
   */
  private scan(): { files: FileEntry[]; end: number; stoppedOnBlank: boolean } {
    const files: FileEntry[] = [];
    const page = this.flash.pageBytes;
    let addr = 0;
    let f = this.headerAt(0);
    let end = 0;
    let probe = 0;
    while (f) {
      files.push(f);
      end = addr + HEADER + this.alignUp(f.size);
      addr = end;
      probe = addr;
      f = this.headerAt(addr);
      if (!f && addr < this.flash.size) {
        const next = Math.ceil((addr + 1) / page) * page;
        if (next + HEADER <= this.flash.size && next !== addr) {
          probe = next;
          f = this.headerAt(next);
          if (f) addr = next;
        }
      }
    }
    const stoppedOnBlank = probe + HEADER > this.flash.size || this.flash.isErased(probe, HEADER);
    return { files, end, stoppedOnBlank };
  }

  /**
   * jsfIsStorageValid(JSFSTT_NORMAL), which the interpreter runs at boot: the
   * walk must end on an erased header (or at the end of Storage); with no
   * files at all, everything must be erased. Otherwise it prints "Storage is
   * corrupt." and erases all of Storage.
   */
  isValid(): boolean {
    const { files, stoppedOnBlank } = this.scan();
    if (!files.length) return this.flash.isErased(0, this.flash.size);
    return stoppedOnBlank;
  }

  private find(name: string): FileEntry | null {
    for (const f of this.scan().files) if (!f.trash && f.name === name) return f;
    return null;
  }

  private checkName(name: unknown): string {
    const n = String(name);
    if (n.length === 0) throw new StorageError("Invalid filename");
    if (n.length > NAME_MAX) throw new StorageError(`File name "${n}" too long (max ${NAME_MAX} chars)`);
    return n;
  }

  private trash(f: FileEntry): void {
    this.flash.write(f.addr + 4, new Uint8Array(4));
  }

  private create(name: string, size: number, flags: number): FileEntry {
    const need = HEADER + this.alignUp(size);
    let end = this.scan().end;
    if (end + need > this.flash.size) {
      this.compact();
      end = this.scan().end;
      if (end + need > this.flash.size) throw new StorageError("Unable to find or create file");
    }
    const h = new Uint8Array(HEADER);
    const word = (size | (flags << 24)) >>> 0;
    h[0] = word & 255;
    h[1] = (word >>> 8) & 255;
    h[2] = (word >>> 16) & 255;
    h[3] = word >>> 24;
    for (let i = 0; i < name.length; i++) h[4 + i] = name.charCodeAt(i) & 255;
    this.flash.write(end, h);
    return { addr: end, size, flags, name, trash: false };
  }

  /** Storage.write(name, data, offset, size): the rules of jsfWriteFile. */
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
    if (d.length) this.flash.write(at, d);
    return true;
  }

  private equal(addr: number, d: Uint8Array): boolean {
    for (let i = 0; i < d.length; i++) if (this.flash.bytes[addr + i] !== d[i]) return false;
    return true;
  }

  /** The file's bytes, or null when it does not exist. */
  readBytes(nameArg: unknown, offset = 0, length = 0): Uint8Array | null {
    const f = this.find(String(nameArg));
    if (!f) return null;
    if (offset < 0) offset = 0;
    if (length <= 0) length = f.size;
    if (offset > f.size) offset = f.size;
    if (offset + length > f.size) length = f.size - offset;
    const start = f.addr + HEADER + offset;
    return this.flash.bytes.slice(start, start + Math.max(0, length));
  }

  read(name: unknown, offset?: number, length?: number): string | undefined {
    const b = this.readBytes(name, offset, length);
    return b ? bytesToString(b) : undefined;
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

  eraseAll(): void {
    for (let p = 0; p < this.flash.pageErases.length; p++) this.flash.erasePage(p);
  }

  /** Names of live files. Chunks of StorageFiles show as the file's name only with {sf:true}. */
  list(regex?: RegExp, filter?: { sf?: boolean }): string[] {
    const out: string[] = [];
    for (const f of this.scan().files) {
      if (f.trash) continue;
      let n = f.name;
      const isSf = (f.flags & FLAG_STORAGEFILE) !== 0;
      if (filter && filter.sf === true && !isSf) continue;
      if (filter && filter.sf === false && isSf) continue;
      if (isSf) {
        if (n.charCodeAt(n.length - 1) !== 1) continue;
        if (filter && filter.sf) n = n.slice(0, -1);
      }
      if (regex && !regex.test(n)) continue;
      out.push(n);
    }
    return out;
  }

  getStats(): StorageStats {
    const { files, end } = this.scan();
    const s: StorageStats = { totalBytes: this.flash.size, freeBytes: this.flash.size - end, fileBytes: 0, fileCount: 0, trashBytes: 0, trashCount: 0 };
    for (const f of files) {
      const n = HEADER + this.alignUp(f.size);
      if (f.trash) {
        s.trashBytes += n;
        s.trashCount++;
      } else {
        s.fileBytes += n;
        s.fileCount++;
      }
    }
    return s;
  }

  getFree(): number {
    return this.getStats().freeBytes;
  }

  /**
   * jsfCompactInternal: live files are streamed down to the start of Storage
   * through a RAM buffer, every page from the first is erased before it is
   * written, and the pages left behind are erased. A power cut part-way loses
   * what was in the buffer, as it would on the board.
   */
  compact(): void {
    const { files, end } = this.scan();
    if (!files.some((f) => f.trash)) return;
    const live: Uint8Array[] = [];
    for (const f of files) if (!f.trash) live.push(this.flash.bytes.slice(f.addr, f.addr + HEADER + this.alignUp(f.size)));
    const image = new Uint8Array(live.reduce((n, l) => n + l.length, 0));
    let o = 0;
    for (const l of live) {
      image.set(l, o);
      o += l.length;
    }
    const page = this.flash.pageBytes;
    const oldPages = Math.ceil(end / page);
    for (let p = 0; p * page < image.length; p++) {
      this.flash.erasePage(p);
      const chunk = image.subarray(p * page, Math.min(image.length, (p + 1) * page));
      this.flash.write(p * page, chunk);
    }
    for (let p = Math.ceil(image.length / page); p < oldPages; p++) this.flash.erasePage(p);
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
    if (!this.find(n)) this.write(n, new Uint8Array(0), 0, CHUNK, FLAG_STORAGEFILE);
    this.write(n, data, offset, CHUNK, FLAG_STORAGEFILE);
  }

  sfErase(name: string): void {
    for (let c = 1; c < 256; c++) {
      const f = this.find(this.sfChunkName(name, c));
      if (!f) break;
      this.trash(f);
    }
  }

  static readonly CHUNK = CHUNK;
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
    let d = dataToBytes(data);
    while (d.length) {
      const room = CHUNK - this.offset;
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
    const out: number[] = [];
    while (out.length < len) {
      const b = this.st.sfChunkBytes(this.name, this.chunk);
      if (!b || this.offset >= b.length) {
        if (b && b.length === CHUNK) {
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
    let n = 0;
    for (let c = 1; ; c++) {
      const b = this.st.sfChunkBytes(this.name, c);
      if (!b) return n;
      n += b.length;
      if (b.length < CHUNK) return n;
    }
  }

  erase(): void {
    this.st.sfErase(this.name);
  }
}
