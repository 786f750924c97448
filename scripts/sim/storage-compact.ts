/**
 * Storage compaction as jsfCompactInternal (src/jsflash.c:447-568,
 * RELEASE_2V29) does it: from the first page holding trash (never from the
 * start of Storage), live files stream through a circular RAM buffer of
 * min(live bytes, page + 32) bytes; a page is erased when the write position
 * reaches its start, and written only once reading has left it; at the end
 * the pages after the last one written, up to where the walk stopped, are
 * erased. The same erases and writes, of the same sizes, in the same order:
 * a power cut lands where it would on the board, and loses what the buffer
 * held.
 */
import type { SimStorage } from "./storage";

const HEADER = 32;

class Ring {
  readonly buf: Uint8Array;
  head = 0;
  tail = 0;
  used = 0;
  constructor(readonly size: number) {
    this.buf = new Uint8Array(size);
  }

  /** memcpy_circular (jsflash.c:440-445): no room check; the buffer's size leaves room for one header. */
  push(d: Uint8Array): void {
    for (let i = 0; i < d.length; i++) {
      this.buf[this.head] = d[i];
      this.head = (this.head + 1) % this.size;
    }
    this.used += d.length;
  }

  /** Contiguous free bytes at the head (jsflash.c:522-526). */
  room(): number {
    let s = Math.min(this.size - this.used, this.size - this.head);
    if (this.tail > this.head) s = Math.min(s, this.tail - this.head);
    return s;
  }
}

export function compactFrom(st: SimStorage, start: number, bufferBytes: number): boolean {
  const drv = st.drv;
  const end = st.end;
  const ring = new Ring(bufferBytes);
  let write = start;
  let progress = 0;
  let line = "Compacting... ";

  // jsfCompactWriteBuffer (jsflash.c:447-484): write out what the buffer holds, never into the page being read.
  const flush = (readAddr: number): void => {
    let nextPage = st.nextPage(write) || end;
    while (ring.used) {
      let s = ring.used;
      if (s + ring.tail > ring.size) s = ring.size - ring.tail;
      if (s + write > nextPage) s = nextPage - write;
      if (readAddr < nextPage) return;
      const p = drv.getPage(write);
      if (p && p.addr === write) drv.erasePage(write);
      drv.write(write, ring.buf.slice(ring.tail, ring.tail + s));
      write += s;
      nextPage = st.nextPage(write) || end;
      ring.tail = (ring.tail + s) % ring.size;
      ring.used -= s;
    }
  };

  let addr = start;
  let h = st.headerAt(start);
  while (h) {
    if (!h.trash && (h.flags === 0 || h.flags === 64 || h.flags === 128)) {
      // jsflash.c:508-511: views of the file move with it, to where its header will be written.
      st.moved(h.addr, write + ring.used);
      ring.push(drv.read(h.addr, HEADER));
      let left = st.alignUp(h.size);
      let ptr = h.addr + HEADER;
      flush(ptr);
      while (left) {
        let s = ring.room();
        if (s === 0) return false; // jsflash.c:527-530
        if (s > left) s = left;
        ring.buf.set(drv.read(ptr, s), ring.head);
        left -= s;
        ptr += s;
        ring.used += s;
        ring.head = (ring.head + s) % ring.size;
        flush(ptr);
      }
      // jsflash.c:541-545: a spinner every 16 KB
      const pr = (h.addr - start) >> 14;
      if (pr !== progress) {
        line += "\b" + "/-\\|"[pr & 3];
        progress = pr;
      }
    }
    const n = st.next(h, true);
    addr = n.addr;
    h = n.header;
  }
  flush(end);
  // jsflash.c:556-564: erase from the page after the last byte written to where the walk stopped.
  if (write !== start) write = st.nextPage(write - 1);
  if (write) {
    if (!addr) addr = end;
    drv.erasePages(write, addr - write);
  }
  st.log(line);
  return true;
}
