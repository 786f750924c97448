/**
 * A new image onto a gateway that runs feldgate, keeping everything else:
 * its identity, the site, the flash store with its counters and unsent
 * readings (docs/storage-layout.md, "Boot control").
 *
 * No Storage file is created, replaced or erased: the image goes into the
 * slot that is not running (slot A, fg.app.a, written in place on its whole
 * pages; or the flash store's slot), is read back and checked by its CRC-32,
 * and only then is a boot record appended to fg.boot, which makes the
 * loader run it. A connection lost before that record leaves the board
 * booting the image it ran before; a record cut short does not check and is
 * passed over. The code runs after the CLI's reset(), from RAM, so the
 * firmware it replaces is not running while its flash is written.
 */
import zlib from "node:zlib";
import type { Board } from "../../boards/types";
import { BOOT_APP_A, BOOT_CHECK, BOOT_MAGIC, BOOT_OK, BOOT_OK_WORD, BOOT_RECORD_BYTES, BOOT_STORE, BOOT_TRIAL, BOOT_TRIES, BOOT_TRY_WORD, BOOT_Z, FILE, FILE_HEADER_BYTES, SLOT_BYTES, STORAGE_HASH_SEED, storePartition } from "../../src/store/storage-layout";
import { bootRecord, slotImage } from "../budget";

/** Words of a boot record. */
const R = BOOT_RECORD_BYTES / 4;

/** Code that prints where fg.boot, fg.app.a and fg.store lie, and fg.boot's records with the CRC-32 of each record's image as flash holds it now. */
export const LAYOUT_CODE = `(function(){var S=require("Storage");function at(n){var d=S.read(n);return d===undefined?null:[(S.hash(new RegExp("^"+n.replace(/\\./g,"\\\\.")+"$"))^${STORAGE_HASH_SEED}^E.CRC32(n))>>>0,d.length];}var b=S.readArrayBuffer(${JSON.stringify(FILE.bootCtl)}),r=[],w,k,d;if(b){w=new Uint32Array(b,0,(b.byteLength/${BOOT_RECORD_BYTES}|0)*${R});for(k=0;k<w.length&&w[k]!==0xffffffff;k+=${R}){d=S.read((w[k]&255)===${BOOT_APP_A}?${JSON.stringify(FILE.appA)}:${JSON.stringify(FILE.store)},w[k+1],w[k+2]);r.push([].slice.call(w,k,k+${R}).concat([d&&d.length===w[k+2]?E.CRC32(d)>>>0:-1]));}}var st=at(${JSON.stringify(FILE.store)}),pg=st?require("Flash").getPage(st[0]+${FILE_HEADER_BYTES}+st[1]-1):null,site=S.readJSON(${JSON.stringify(FILE.site)},1)||{};print("FGLAYOUT:"+JSON.stringify({eui:(S.readJSON(${JSON.stringify(FILE.identity)},1)||{}).devEui,kinds:(site.sensors||[]).map(function(x){return x.kind;}),pageBytes:pg?pg.length:0,boot:at(${JSON.stringify(FILE.bootCtl)}),a:at(${JSON.stringify(FILE.appA)}),store:at(${JSON.stringify(FILE.store)}),records:r}));})()`;

/** What LAYOUT_CODE prints: [header address, data length] per file, and per record its words and then its image's CRC now (-1: unreadable). */
export interface Layout {
  /** The DevEUI in fg.id, and nothing else of it: the keys stay on the board. */
  eui?: string;
  /** The sensor kinds of the site as flashed (fg.site). */
  kinds?: string[];
  /** The flash page size where the store ends, as the firmware reads it (src/store/store.ts). */
  pageBytes?: number;
  boot: [number, number] | null;
  a: [number, number] | null;
  store: [number, number] | null;
  records: number[][];
}

export interface SlotPlan {
  /** Which slot runs now, and which the new image goes into. */
  running: "A" | "store";
  target: "A" | "store";
  /** Flash address where the image goes, the file and offset the record names, and the slot's room. */
  addr: number;
  file: number;
  offset: number;
  capacity: number;
  /** Where the next boot record goes, and its bytes. */
  recordAddr: number;
  record: Uint8Array;
  image: Uint8Array;
  crc: number;
  /** The record of the image that runs now: appended again, it makes the loader go back to that image. */
  previous: Uint8Array;
}

const valid = (r: number[]) => r[0] >>> 16 === BOOT_MAGIC && (r[0] ^ r[1] ^ r[2] ^ r[3] ^ BOOT_CHECK) >>> 0 === r[4] >>> 0;

/** The loader would run this record's image (src/loader.ts): it checks, its bytes match, and it is confirmed or has tries left. */
function runs(r: number[]): boolean {
  if (!valid(r) || r[R] >>> 0 !== r[3] >>> 0) return false;
  if (!(r[0] & BOOT_TRIAL) || r[BOOT_OK_WORD] >>> 0 === BOOT_OK) return true;
  return r.slice(BOOT_TRY_WORD, BOOT_TRY_WORD + BOOT_TRIES).some((x) => x >>> 0 === 0xffffffff);
}

/** The slot the new image goes into and the record that will run it, or why a re-flash that keeps the data cannot be made. */
export function planReflash(board: Board, layout: Layout, bundle: Uint8Array): SlotPlan | string {
  if (board.hw.appSlots < 2)
    return `${board.id} has room for one copy of the firmware only, so a new one can replace it only by erasing Storage, identity, counters and unsent readings with it`;
  if (!layout.boot || !layout.a || !layout.store) return `the board holds no ${!layout.boot ? FILE.bootCtl : !layout.a ? FILE.appA : FILE.store}: it was flashed by an older npm run flash, or has not booted feldgate yet`;
  const pb = layout.pageBytes || board.flash.pageBytes;
  // The image the loader runs now: the newest valid record whose image matches its CRC (src/loader.ts).
  let running = -1;
  for (let i = layout.records.length - 1; i >= 0 && running < 0; i--) if (runs(layout.records[i])) running = i;
  if (running < 0) return "none of the board's boot records names an image that reads back whole";
  const runsA = (layout.records[running][0] & 0xff) === BOOT_APP_A;
  const image = slotImage(board, bundle);
  const crc = zlib.crc32(image) >>> 0;
  let addr: number, offset: number, capacity: number;
  if (runsA) {
    // The store's slot: the pages after its settings (src/store/store.ts; storePartition).
    const data = layout.store[0] + FILE_HEADER_BYTES;
    const first = Math.ceil(data / pb) * pb;
    const inside = Math.floor((data + layout.store[1] - first) / pb);
    const [settings, , , slot] = storePartition(inside, 0, Math.floor(SLOT_BYTES / pb));
    if (!slot) return "the board's flash store has no app slot";
    addr = first + settings * pb;
    offset = addr - data;
    capacity = slot * pb;
  } else {
    addr = layout.a[0] + FILE_HEADER_BYTES;
    if (addr % pb) return `its ${FILE.appA} does not begin on a page (it was flashed by an older npm run flash)`;
    offset = 0;
    capacity = Math.floor(layout.a[1] / pb) * pb;
  }
  if (image.length > capacity) return `the new image (${image.length} bytes) does not fit the slot that is not running (${capacity} bytes)`;
  const free = layout.records.length;
  // Room for its record, and for one more that goes back to the image before should the new one refuse the site.
  if ((free + 2) * BOOT_RECORD_BYTES > layout.boot[1]) return `its ${FILE.bootCtl} has no room left for another boot record`;
  const file = runsA ? BOOT_STORE : BOOT_APP_A;
  const prev = layout.records[running];
  return {
    running: runsA ? "A" : "store",
    target: runsA ? "store" : "A",
    addr,
    file,
    offset,
    capacity,
    recordAddr: layout.boot[0] + FILE_HEADER_BYTES + free * BOOT_RECORD_BYTES,
    record: bootRecord(file, offset, image.length, crc, !!board.compressApp, true),
    image,
    crc,
    // Confirmed, not on trial: the technician saw it run.
    previous: bootRecord(prev[0] & 0xff, prev[1], prev[2], prev[3], !!(prev[0] & BOOT_Z)),
  };
}

/** Code that appends the record of the image that ran before the new one, after the new one's, and starts it again. */
export function revertCode(plan: SlotPlan): string {
  const at = plan.recordAddr + BOOT_RECORD_BYTES;
  return `(function(){var F=require("Flash");${writeRecord(plan.previous, at)}print("FGREVERT:"+JSON.stringify(E.CRC32(F.read(20,${at}))>>>0));load();})()`;
}

/** Bytes each line of the upload carries: a multiple of the boards' 4-byte write unit. */
const LINE_BYTES = 768;
/** How long the board waits for the next line before it gives up and boots what it ran before. */
const WAIT_MS = 20_000;
/** The firmware's own watchdog timeout (src/runtime/scheduler.ts). */
const WATCHDOG_S = 20;

const u8 = (b: Uint8Array) => `new Uint8Array([${Array.from(b).join(",")}])`;

/** Code (with `F` the Flash module) that appends a record at `at`: its first four words, then its check word on its own, so that a record cut short never checks. */
function writeRecord(record: Uint8Array, at: number): string {
  return `F.write(${u8(record.subarray(0, 16))},${at});F.write(${u8(record.subarray(16, 20))},${at + 16});`;
}

/**
 * The code that writes the image, checks it, appends the record and starts
 * the new image. Each line writes its bytes and reads them back; the pages
 * are erased as the image reaches them, only inside the target slot.
 */
export function reflashCode(plan: SlotPlan): string {
  const lines = [
    // The gateway's watchdog is manual and still counts after the CLI's reset() (jsinteractive.h 177):
    // the interpreter kicks it from here on while it is idle (jsinteractive.c 2660-2662). Should the
    // lines stop coming (a cable pulled), the board starts again after WAIT_MS, with the image it ran before.
    `E.enableWatchdog(${WATCHDOG_S},true);var fgu={F:require("Flash"),a:${plan.addr},n:0,e:0,bad:0,t:setTimeout(load,${WAIT_MS}),w:function(s){clearTimeout(this.t);this.t=setTimeout(load,${WAIT_MS});var d=E.toUint8Array(atob(s)),F=this.F,b,i,p;while(this.e<this.n+d.length){p=F.getPage(this.a+this.e);F.erasePage(p.addr);this.e=p.addr+p.length-this.a;}F.write(d,this.a+this.n);b=F.read(d.length,this.a+this.n);for(i=0;i<d.length;i++)if(b[i]!==d[i]){this.bad=1;break;}this.n+=d.length;}};`,
  ];
  const img = plan.image;
  for (let i = 0; i < img.length; i += LINE_BYTES) {
    const part = new Uint8Array(Math.ceil(Math.min(LINE_BYTES, img.length - i) / 4) * 4).fill(0xff);
    part.set(img.subarray(i, i + LINE_BYTES));
    lines.push(`fgu.w(${JSON.stringify(Buffer.from(part).toString("base64"))});`);
  }
  const name = plan.file === BOOT_APP_A ? FILE.appA : FILE.store;
  lines.push(
    `(function(){var S=require("Storage"),F=require("Flash"),d=S.read(${JSON.stringify(name)},${plan.offset},${img.length});` +
      `clearTimeout(fgu.t);if(fgu.bad||d===undefined||(E.CRC32(d)>>>0)!==${plan.crc}){print("FGUPDATE:"+JSON.stringify({ok:false,bad:fgu.bad,n:fgu.n}));load();return;}` +
      writeRecord(plan.record, plan.recordAddr) +
      `var r=F.read(20,${plan.recordAddr}),i;for(i=0;i<20;i++)if(r[i]!==${u8(plan.record.subarray(0, 20))}[i]){print("FGUPDATE:"+JSON.stringify({ok:false,record:true}));load();return;}` +
      `print("FGUPDATE:"+JSON.stringify({ok:true,n:fgu.n}));fgu=undefined;load();})()`,
  );
  return lines.join("\n");
}

