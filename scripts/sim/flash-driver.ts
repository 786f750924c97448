/**
 * A build's jshFlash* functions over the simulated flash: how it finds
 * pages, erases and aligns writes. Storage and the Flash module both go
 * through these, as they do in the interpreter. File and line references are
 * to Espruino at tag RELEASE_2V29.
 */
import type { BoardFlash, FlashArea } from "../../boards/types";
import { Flash, type FlashAreaSpec } from "./flash";

/** SPIFLASH_LENGTH is the XIAOBLE's whole 2 MB (XIAOBLE.py:117). */
const SPI_CHIP_BYTES = 512 * 4096;

export class FlashDriver {
  constructor(readonly flash: Flash, readonly conf: BoardFlash) {}

  /** jshFlashGetPage: the page holding addr, or null where the build has none. */
  getPage(addr: number): FlashArea | null {
    addr >>>= 0;
    for (const m of this.conf.pageMap) {
      if (addr < m.addr || addr >= m.addr + m.length) continue;
      const start = addr - ((addr - m.addr) % m.pageBytes);
      return { addr: start, length: m.pageBytes };
    }
    return null;
  }

  /** What getFree() answers after the interpreter was updated (a larger firmware takes free flash back); null: the board's own. */
  private freeNow: readonly FlashArea[] | null = null;

  /** jshFlashGetFree */
  getFree(): FlashArea[] {
    return (this.freeNow ?? this.conf.freeAreas).map((a) => ({ addr: a.addr, length: a.length }));
  }

  /** An interpreter update that changes what Flash.getFree() answers; the flash itself is kept. */
  setFreeAreas(areas: readonly FlashArea[] | null): void {
    this.freeNow = areas;
  }

  /** jshFlashRead: any alignment, any length. */
  read(addr: number, len: number): Uint8Array {
    return this.flash.read(addr >>> 0, len);
  }

  /**
   * jshFlashErasePage. Where the build has no page nothing happens:
   * nrf5x/jshardware.c:2484-2485, linux/jshardware.c:876; on the ESP32
   * (esp32/jshardware.c:804-811) the sector number lies past the 4 MB chip.
   */
  erasePage(addr: number): void {
    const p = this.getPage(addr);
    if (!p) return;
    if (this.isSpi(p.addr)) this.spiErase(p.addr, 4096);
    else this.flash.erase(p.addr, p.length);
  }

  /** jshFlashErasePages: Storage's erase of a run of pages. */
  erasePages(addr: number, len: number): boolean {
    addr >>>= 0;
    len >>>= 0;
    if (this.isSpi(addr)) return this.spiErase(addr, len);
    const first = this.getPage(addr);
    if (!first) return false;
    if (this.conf.driver === "nrf52" || this.conf.driver === "nrf52-spi") {
      // nrf5x/jshardware.c:2482-2503: whole 4 KB pages from the first; a part page at the end is left.
      for (let a = first.addr; len >= 4096; a += 4096, len -= 4096) this.flash.erase(a, 4096);
      return true;
    }
    // jshardware_common.c:142-156 (the ESP32 and Linux builds): every page that starts before the end.
    const end = addr + len;
    for (let p: FlashArea | null = first; p && p.addr < end; p = this.getPage(p.addr + p.length)) this.flash.erase(p.addr, p.length);
    return true;
  }

  /** jshFlashWrite: one program operation; the caller aligns. */
  write(addr: number, data: Uint8Array): void {
    if (data.length) this.flash.program(addr >>> 0, data);
  }

  /**
   * jshFlashWriteAligned (jshardware_common.c:56-94): SPI flash takes the
   * bytes as they are; elsewhere a part word at either end is read, merged
   * and written whole, so a word there takes one more write.
   */
  writeAligned(addr: number, data: Uint8Array): void {
    addr >>>= 0;
    const u = this.conf.writeUnit;
    if (u === 1 || this.isSpi(addr)) return this.write(addr, data);
    let d = data;
    const head = addr % u;
    if (head) {
      const word = this.read(addr - head, u);
      const n = Math.min(u - head, d.length);
      word.set(d.subarray(0, n), head);
      this.write(addr - head, word);
      addr += n;
      d = d.subarray(n);
      if (!d.length) return;
    }
    const tail = d.length % u;
    const mid = d.length - tail;
    this.write(addr, d.subarray(0, mid));
    if (tail) {
      const word = this.read(addr + mid, u);
      word.set(d.subarray(mid), 0);
      this.write(addr + mid, word);
    }
  }

  /** Whether addr is in the XIAOBLE's external flash (SPIFLASH_BASE). */
  private isSpi(addr: number): boolean {
    return this.conf.driver === "nrf52-spi" && addr >= this.conf.storageStart && addr < this.conf.storageStart + SPI_CHIP_BYTES;
  }

  /**
   * nrf5x/jshardware.c:2427-2480: 4 KB sector erases, a 64 KB block erase
   * where 64 KB are left from a 64 KB boundary, and one chip erase for the
   * whole chip from its start: each one operation.
   */
  private spiErase(addr: number, len: number): boolean {
    let off = addr - this.conf.storageStart;
    while (len >= 4096) {
      let n = 4096;
      if (len >= 65536 && !(off & 0xffff)) n = 65536;
      if (off === 0 && len >= SPI_CHIP_BYTES) n = SPI_CHIP_BYTES;
      // The chip erases the sector, block or chip holding the address.
      const base = off - (off % n);
      this.flash.erase(this.conf.storageStart + base, n);
      len -= n;
      off += n;
    }
    return true;
  }
}

/** The flash a board models: Storage at its real address and the free areas outside it. */
export function makeFlash(conf: BoardFlash, storageBytes: number): FlashDriver {
  const unit = { writeUnit: conf.writeUnit, programPageBytes: conf.programPageBytes, maxWritesPerWord: conf.maxWritesPerWord };
  const areas: FlashAreaSpec[] = [{ addr: conf.storageStart, length: storageBytes, pageBytes: conf.pageBytes, ...unit }];
  for (const e of conf.extraAreas) areas.push({ addr: e.addr, length: e.length, pageBytes: conf.pageBytes, ...unit });
  return new FlashDriver(new Flash(areas, conf.storageStart), conf);
}
