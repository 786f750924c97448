/**
 * The simulated Flash module and Storage against what the interpreter's
 * source (Espruino RELEASE_2V29) says they do, board by board.
 */
import { describe, expect, it } from "vitest";
import zlib from "node:zlib";
import { LINUX_FLASH } from "../boards/sim";
import { boards } from "../boards/index";
import { SimBoard } from "../scripts/sim/board";
import { PowerCut } from "../scripts/sim/flash";
import { bootBoard, evalJson, runSnippet, storageOn } from "./helpers";

const SETUP = `global.F = require("Flash"); global.S = require("Storage");`;

const run = evalJson;

function bytes(sim: SimBoard, length: number, addr: number): number[] {
  return run<number[]>(sim, `var b = F.read(${length}, ${addr}); var o = []; for (var i = 0; i < b.length; i++) o.push(b[i]); return o;`);
}

function thrown(sim: SimBoard, code: string): string {
  return sim.eval<string>(`(function(){ try { ${code}; return "no error"; } catch (e) { return e.message; } })()`);
}

describe("require(\"Flash\") as jswrap_flash.c defines it", () => {
  const SIM = 0x10000000;
  const FREE = SIM + 200 * 1024; // high in Storage, past what the firmware uses

  it("getPage answers the page around an address, or undefined", () => {
    const sim = runSnippet(SETUP);
    expect(run(sim, `return F.getPage(${FREE + 5});`)).toEqual({ addr: FREE, length: 4096 });
    expect(run(sim, `return F.getPage(${SIM - 1}) === undefined;`)).toBe(true);
    expect(run(sim, `return F.getPage(${SIM + 256 * 1024}) === undefined;`)).toBe(true);
  });

  it("read(length, addr) gives a Uint8Array of the realm; a length of 0 or less gives undefined", () => {
    const sim = runSnippet(SETUP);
    expect(sim.eval(`F.read(4, ${FREE}) instanceof Uint8Array`)).toBe(true);
    expect(bytes(sim, 4, FREE)).toEqual([255, 255, 255, 255]);
    expect(sim.eval(`F.read(0, ${FREE}) === undefined && F.read(-3, ${FREE}) === undefined`)).toBe(true);
  });

  it("write(data, addr) only clears bits; erasePage(addr) erases the page holding addr", () => {
    const sim = runSnippet(SETUP);
    sim.eval(`F.write([0x0f, 0xf0, 0x55, 0xaa], ${FREE}); F.write([0xf0, 0x0f, 0xff, 0x0f], ${FREE});`);
    expect(bytes(sim, 4, FREE)).toEqual([0x00, 0x00, 0x55, 0x0a]);
    const before = sim.flash.erasesAt(FREE);
    sim.eval(`F.erasePage(${FREE + 1234})`);
    expect(bytes(sim, 4, FREE)).toEqual([255, 255, 255, 255]);
    expect(sim.flash.erasesAt(FREE)).toBe(before + 1);
  });

  it("an unaligned write on a 4-byte build is read-modify-write of its end words: byte-exact, one operation more at each end", () => {
    const sim = runSnippet(SETUP);
    sim.armPowerCut(null);
    sim.eval(`F.write("ABCDEFG", ${FREE + 3})`);
    expect(sim.flash.opsCounted).toBe(3); // word at +0 (byte 3), word at +4, word at +8 (bytes 8-9)
    expect(bytes(sim, 12, FREE)).toEqual([255, 255, 255, 65, 66, 67, 68, 69, 70, 71, 255, 255]);
  });

  it("errors: data undefined, an address that is not an integer", () => {
    const sim = runSnippet(SETUP);
    expect(thrown(sim, `F.write(undefined, ${FREE})`)).toBe("Data is not defined");
    expect(thrown(sim, `F.erasePage("${FREE}")`)).toBe("Address should be an integer, got String");
    expect(thrown(sim, `F.erasePage(${FREE} + 0.5)`)).toBe("Address should be an integer, got Number");
    expect(thrown(sim, `F.write([], ${FREE})`)).toBe("no error");
  });

  it("reading or writing flash the board does not model throws; erasing where the build has no page does nothing", () => {
    const sim = runSnippet(SETUP);
    expect(thrown(sim, `F.read(4, 0)`)).toMatch(/not modelled/);
    expect(thrown(sim, `F.write([0], ${SIM + 256 * 1024})`)).toMatch(/not modelled/);
    expect(thrown(sim, `F.erasePage(0)`)).toBe("no error");
    const esp = runSnippet(SETUP, "esp32-wifi");
    expect(thrown(esp, `F.erasePage(0x1000)`)).toMatch(/not modelled/); // the bootloader: a page, but not one to touch
    expect(thrown(esp, `F.erasePage(0x500000)`)).toBe("no error"); // past the 4 MB chip
  });

  it("nRF52840: getPage answers up to and including 1 MB (the test is `>`)", () => {
    const sim = runSnippet(SETUP, "nrf52840dk-wioe5");
    expect(run(sim, `return F.getPage(0x100000);`)).toEqual({ addr: 0x100000, length: 4096 });
    expect(run(sim, `return F.getPage(0x100001) === undefined;`)).toBe(true);
  });

  it("a write that fails without a word leaves the flash as it was: only reading back tells", () => {
    const sim = runSnippet(SETUP);
    sim.flash.armDroppedWrite(1);
    sim.eval(`F.write([1, 2, 3, 4], ${FREE})`);
    expect(bytes(sim, 4, FREE)).toEqual([255, 255, 255, 255]);
    expect(sim.flash.droppedWrites).toBe(1);
  });
});

describe("Flash.getFree() per build", () => {
  it("ESP32: three areas, the third inside Storage, where erasing destroys files", () => {
    const sim = runSnippet(SETUP, "esp32-wifi");
    const free = run<{ addr: number; length: number }[]>(sim, `return F.getFree();`);
    expect(free).toEqual([
      { addr: 0xe000, length: 0x2000 },
      { addr: 0x310000, length: 0x10000 },
      { addr: 0x360000, length: 0xa0000 },
    ]);
    const storageEnd = 0x320000 + 224 * 4096;
    expect(free[2].addr).toBeGreaterThanOrEqual(0x320000);
    expect(free[2].addr + free[2].length).toBeLessThanOrEqual(storageEnd);
    // A file that reaches into the third area loses its bytes there.
    sim.eval(`S.write("big", "x", 0, 300 * 1024); S.write("big", "y", 299 * 1024);`);
    expect(sim.storage.readBytes("big")![299 * 1024]).toBe(0x79);
    sim.eval(`var a = F.getFree()[2]; for (var p = a.addr; p < a.addr + a.length; p += 4096) F.erasePage(p);`);
    expect(sim.storage.readBytes("big")![299 * 1024]).toBe(0xff);
    // The two areas outside Storage are the board's own: writes there leave Storage alone.
    const st = sim.flash.bytes.slice();
    sim.eval(`F.erasePage(0x310000); F.write("mine", 0x310000); F.erasePage(0xe000); F.write("also", 0xe004);`);
    expect(bytes(sim, 4, 0x310000)).toEqual([109, 105, 110, 101]);
    expect(Buffer.from(sim.flash.bytes).equals(Buffer.from(st))).toBe(true);
  });

  it("NRF52840DK: internal flash from the end of the firmware to Storage at 0xEC000, modelled and outside Storage", () => {
    const sim = runSnippet(SETUP, "nrf52840dk-wioe5");
    const free = run<{ addr: number; length: number }[]>(sim, `return F.getFree();`);
    expect(free).toEqual([{ addr: 0x91000, length: 0xec000 - 0x91000 }]);
    const st = sim.flash.bytes.slice();
    sim.eval(`F.erasePage(0x91000); F.write("ours", 0x91000); F.erasePage(0xeb000); F.write("last", 0xebffc);`);
    expect(bytes(sim, 4, 0xebffc)).toEqual([108, 97, 115, 116]);
    expect(Buffer.from(sim.flash.bytes).equals(Buffer.from(st))).toBe(true);
    expect(thrown(sim, `F.read(4, 0x90ffc)`)).toMatch(/not modelled/); // the firmware
  });

  it("XIAOBLE: nothing is free; Storage fills the external flash at 0x60000000", () => {
    const sim = runSnippet(SETUP, "xiao-nrf52840-wioe5");
    expect(run(sim, `return F.getFree();`)).toEqual([]);
    expect(run(sim, `return F.getPage(0x60000000 + 2 * 1024 * 1024 - 1);`)).toEqual({ addr: 0x601ff000, length: 4096 });
  });

  it("the simulated board (the Linux build's rules): the whole of Storage", () => {
    const sim = runSnippet(SETUP);
    expect(run(sim, `return F.getFree();`)).toEqual([{ addr: 0x10000000, length: 256 * 1024 }]);
  });

  it("every board's free areas and modelled areas are whole pages", () => {
    for (const b of boards) {
      expect(b.flash.pageBytes).toBe(b.storage.pageBytes);
      for (const a of [...b.flash.freeAreas, ...b.flash.extraAreas]) {
        expect(a.addr % b.flash.pageBytes).toBe(0);
        expect(a.length % b.flash.pageBytes).toBe(0);
      }
    }
  });
});

describe("nRF52840: at most two writes to a 32-bit word between erases", () => {
  const A = 0x91000;

  it("the third write to a word is lost, and counted", () => {
    const sim = runSnippet(SETUP, "nrf52840dk-wioe5");
    sim.eval(`F.erasePage(${A}); F.write([0xfe, 0xff, 0xff, 0xff], ${A}); F.write([0xff, 0xfe, 0xff, 0xff], ${A});`);
    expect(bytes(sim, 4, A)).toEqual([0xfe, 0xfe, 0xff, 0xff]);
    expect(sim.flash.overWrites).toBe(0);
    sim.eval(`F.write([0xff, 0xff, 0x00, 0xff], ${A})`);
    expect(bytes(sim, 4, A)).toEqual([0xfe, 0xfe, 0xff, 0xff]);
    expect(sim.flash.overWrites).toBe(1);
    sim.eval(`F.erasePage(${A}); F.write([0, 0, 0, 0], ${A});`);
    expect(bytes(sim, 4, A)).toEqual([0, 0, 0, 0]); // the erase starts the count again
    expect(sim.flash.overWrites).toBe(1);
  });

  it("byte writes into one word count as writes of the whole word (read-modify-write)", () => {
    const sim = runSnippet(SETUP, "nrf52840dk-wioe5");
    sim.eval(`F.erasePage(${A}); F.write("a", ${A}); F.write("b", ${A + 1}); F.write("c", ${A + 2});`);
    expect(bytes(sim, 3, A)).toEqual([97, 98, 255]);
    expect(sim.flash.overWrites).toBe(1);
  });

  it("the other builds have no such limit", () => {
    const sim = runSnippet(SETUP);
    const a = 0x10000000 + 200 * 1024;
    sim.eval(`F.write("a", ${a}); F.write("b", ${a + 1}); F.write("c", ${a + 2});`);
    expect(bytes(sim, 3, a)).toEqual([97, 98, 99]);
    expect(sim.flash.overWrites).toBe(0);
  });
});

describe("Storage.hash gives a file's header address", () => {
  for (const id of ["sim", "esp32-wifi", "nrf52840dk-wioe5", "xiao-nrf52840-wioe5"]) {
    it(`${id}: hash ^ 0x579BB975 ^ E.CRC32(name) is the header, and Flash.read reads it`, () => {
      const sim = runSnippet(SETUP, id);
      sim.eval(`S.write("fg.store", "x", 0, 2000);`);
      const addr = sim.eval<number>(`S.hash(/^fg\\.store$/) ^ 0x579BB975 ^ E.CRC32("fg.store")`);
      const start = sim.board.flash.storageStart;
      expect(addr).toBeGreaterThan(start);
      expect(addr).toBeLessThan(start + sim.board.storage.bytes);
      const h = bytes(sim, 32, addr);
      expect(h[0] | (h[1] << 8) | (h[2] << 16)).toBe(2000);
      expect(Buffer.from(h.slice(4, 12)).toString("latin1")).toBe("fg.store");
      expect(bytes(sim, 1, addr + 32)).toEqual([0x78]);
    });
  }

  it("over several files: roll left one bit, XOR the header address and the name's CRC32, per file in Storage order; StorageFiles left out", () => {
    const sim = runSnippet(SETUP);
    sim.eval(`S.write("h.a", "1"); S.write("h.b", "22"); S.write("other", "3"); S.open("h.sf", "a").write("x");`);
    const files = sim.storage.headers().filter((f) => !f.trash && /^h\./.test(f.name) && !(f.flags & 64));
    expect(files.map((f) => f.name)).toEqual(["h.a", "h.b"]);
    let h = 0xabcddcba;
    for (const f of files) {
      h = ((h << 1) | (h >>> 31)) >>> 0;
      h = (h ^ f.addr ^ zlib.crc32(Buffer.from(f.name))) >>> 0;
    }
    expect(sim.eval(`S.hash(/^h\\./)`)).toBe(h | 0);
  });
});

describe("compact() starts at the first page holding trash (jsfGetStorageStats, jsfCompactInternal)", () => {
  const PAGE = 4096;
  const keepData = "k".repeat(PAGE - 32); // fills page 0 exactly

  it("a file that ends on a page boundary before the first trash is never read, moved or erased", () => {
    const s = storageOn(8, PAGE);
    s.write("keep", keepData);
    s.write("old", "o".repeat(3000));
    s.write("live", "l".repeat(2000));
    s.erase("old");
    const before = s.flash.read(s.start, PAGE);
    const touched: string[] = [];
    s.flash.onOp = (op, addr) => touched.push(`${op}@${(addr - s.start).toString(16)}`);
    s.compact();
    s.flash.onOp = null;
    expect(Buffer.from(s.flash.read(s.start, PAGE)).equals(Buffer.from(before))).toBe(true);
    expect(s.flash.erasesAt(s.start)).toBe(0);
    expect(touched.every((t) => parseInt(t.split("@")[1], 16) >= PAGE)).toBe(true);
    expect(s.read("live")).toBe("l".repeat(2000));
    expect(s.read("keep")).toBe(keepData);
    expect(s.getStats()).toMatchObject({ trashCount: 0, fileCount: 2 });
  });

  it("a file straddling into the first trash's page is rewritten with it: only a page that starts with a header is a safe start", () => {
    const s = storageOn(8, PAGE);
    s.write("keep", "k".repeat(5000)); // runs into page 1
    s.write("old", "o".repeat(1000));
    s.erase("old");
    s.compact();
    expect(s.flash.erasesAt(s.start)).toBe(1);
    expect(s.read("keep")).toBe("k".repeat(5000));
  });

  it("files before the trash keep their header addresses, so hashes of them do not change", () => {
    const s = storageOn(8, PAGE);
    s.write("keep", keepData);
    s.write("old", "o".repeat(100));
    s.write("later", "z");
    s.erase("old");
    const h = s.hash(/^keep$/);
    s.compact();
    expect(s.hash(/^keep$/)).toBe(h);
    expect(s.hash(/^later$/)).not.toBe(0);
  });

  it("Storage.write compacts by itself only when free space and trash together would make room", () => {
    const s = storageOn(2, PAGE);
    s.write("a", "x", 0, 5000);
    s.write("t", "y", 0, 100);
    s.erase("t");
    const erases = s.flash.totalErases;
    expect(() => s.write("b", "z", 0, 4000)).toThrow("Unable to find or create file");
    expect(s.flash.totalErases).toBe(erases); // it did not try
    expect(s.getStats().trashCount).toBe(1);
  });

  it("with the last file ending at Storage's end, a new file fails on Linux; on ESP32 the search would read the firmware, and the simulator says so", () => {
    for (const id of ["sim", "esp32-wifi"]) {
      const sim = new SimBoard({ board: id });
      sim.storage.write("fill", "x", 0, sim.storage.getFree() - 32);
      expect(sim.storage.getFree()).toBe(0);
      if (id === "sim") expect(() => sim.storage.write("n", "1")).toThrow("Unable to find or create file");
      else expect(() => sim.storage.write("n", "1")).toThrow(/reads the firmware there; not modelled/);
    }
  });

  it("the interpreter prints Compacting... to its console", () => {
    const sim = runSnippet(`${SETUP} S.write("a", "1"); S.write("a", "2"); S.compact();`);
    expect(sim.output()).toContain("Compacting... ");
  });
});

describe("power cuts inside Flash operations", () => {
  const A = 0x10000000 + 200 * 1024;

  it("a torn erase leaves bytes erased here and there over the page, the rest as they were", () => {
    const sim = runSnippet(SETUP);
    sim.eval(`F.write(new Uint8Array(4096), ${A});`); // the page all zeros
    sim.armPowerCut({ atOp: 1, tornAt: 2048 });
    expect(() => sim.eval(`F.erasePage(${A})`)).toThrow("power cut");
    expect(sim.powered).toBe(false);
    sim.boot();
    const b = sim.flash.read(A, 4096);
    const erased = b.filter((x) => x === 0xff).length;
    expect(b.every((x) => x === 0 || x === 0xff)).toBe(true);
    expect(erased).toBeGreaterThan(1500);
    expect(erased).toBeLessThan(2600);
    // Scattered, not a prefix: both halves of the page hold erased and old bytes.
    for (const half of [b.subarray(0, 2048), b.subarray(2048)]) {
      expect(half.includes(0)).toBe(true);
      expect(half.includes(0xff)).toBe(true);
    }
  });

  it("a torn write: the words before the cut are written, the word being written holds some of its bits, the rest nothing", () => {
    const sim = runSnippet(SETUP);
    sim.armPowerCut({ atOp: 1, tornAt: 5 });
    expect(() => sim.eval(`F.write(new Uint8Array(12), ${A})`)).toThrow("power cut");
    sim.boot();
    // Default torn mask 0x0F0F0F0F: the low half of each byte's bits to clear are cleared.
    expect(Array.from(sim.flash.read(A, 12))).toEqual([0, 0, 0, 0, 0xf0, 0xf0, 0xf0, 0xf0, 255, 255, 255, 255]);
  });

  it("XIAOBLE: the unit torn is the chunk of a 256-byte SPI program page being programmed", () => {
    const sim = bootBoard("xiao-nrf52840-wioe5", { bundle: SETUP, world: false });
    const a = 0x60000000 + 500 * 4096 + 200; // 56 bytes to the program page's end, then the next page
    sim.armPowerCut({ atOp: 1, tornAt: 100 });
    expect(() => sim.eval(`F.write(new Uint8Array(300), ${a})`)).toThrow("power cut");
    sim.boot();
    const b = Array.from(sim.flash.read(a, 300));
    expect(b.slice(0, 56).every((x) => x === 0)).toBe(true);
    expect(b.slice(56, 300).every((x) => x === 0xf0)).toBe(true);
  });

  it("at every operation of a sequence and inside each, what reached flash is the operations before it, whole, and a torn one", () => {
    const seq = `F.erasePage(${A}); F.write("0123456789ab", ${A}); F.erasePage(${A + 4096}); F.write("xyzw", ${A + 4096 + 1});`;
    const probe = runSnippet(SETUP);
    probe.armPowerCut(null);
    probe.eval(seq);
    const ops = probe.flash.opsCounted;
    expect(ops).toBe(5); // erase, write, erase, the two part words of the unaligned "xyzw"
    const full = probe.flash.read(A, 8192);
    let positions = 0;
    for (let op = 1; op <= ops + 1; op++) {
      for (const k of [0, 2, 4, 6, 4096]) {
        const sim = runSnippet(SETUP);
        sim.armPowerCut({ atOp: op, tornAt: k, tornMask: 0 });
        let cut = false;
        try {
          sim.eval(seq);
        } catch (e) {
          cut = /power cut/.test(String(e));
        }
        expect(cut).toBe(op <= ops);
        if (!cut) continue;
        positions++;
        sim.boot();
        const got = sim.flash.read(A, 8192);
        if (op > 2) expect(Buffer.from(got.subarray(0, 12)).toString("latin1")).toBe("0123456789ab");
        if (op === 5 && k >= 4) expect(Buffer.from(got).equals(Buffer.from(full))).toBe(true);
        if (op < 5) expect(got[4096 + 4]).toBe(0xff); // the last write had not begun
      }
    }
    expect(positions).toBe(ops * 5);
  });

  it("a cut inside compact() at every operation never touches the files before the first trash", () => {
    const keep = "k".repeat(4096 - 32);
    const build = () => {
      const s = storageOn(6, 4096);
      s.write("keep", keep);
      s.write("old", "o".repeat(3000));
      s.write("live", "l".repeat(6000));
      s.erase("old");
      return s;
    };
    const probe = build();
    probe.flash.armPowerCut(null);
    probe.compact();
    const ops = probe.flash.opsCounted;
    expect(ops).toBeGreaterThan(3);
    for (let op = 1; op <= ops; op++) {
      for (const k of [0, 100, 2048]) {
        const s = build();
        s.flash.armPowerCut({ atOp: op, tornAt: k });
        expect(() => s.compact()).toThrow(PowerCut);
        s.flash.dead = false;
        expect(s.read("keep")).toBe(keep);
        expect(s.flash.erasesAt(s.start)).toBe(0);
      }
    }
  });
});

describe("1 KB pages: the Linux build's own geometry", () => {
  it("getPage, compaction and StorageFile chunks follow the page size", () => {
    const sim = bootBoard("sim", { bundle: SETUP, world: false, flash: LINUX_FLASH });
    expect(sim.errors).toEqual([]);
    expect(run(sim, `return F.getPage(0x10000000 + 5000);`)).toEqual({ addr: 0x10000000 + 4096, length: 1024 });
    // STORAGEFILE_CHUNKSIZE: a page less a header.
    sim.eval(`var f = S.open("log", "a"); for (var i = 0; i < 30; i++) f.write("0123456789abcdefghijklmnopqrstuvwxyz0123456789");`);
    expect(sim.storage.chunkBytes).toBe(992);
    expect(sim.eval(`S.open("log", "r").getLength()`)).toBe(30 * 46);
    expect(sim.storage.headers().filter((h) => h.name.startsWith("log")).length).toBe(2);
    // Compaction erases 1 KB pages, from the first one with trash.
    const first = sim.storage.stats().freeBytes;
    sim.eval(`S.write("a", "x", 0, 3000); S.write("b", "y", 0, 500); S.erase("a");`);
    const from = sim.storage.stats().firstPageWithErasedFiles;
    sim.armPowerCut(null);
    const erased: number[] = [];
    sim.flash.onOp = (op, addr, len) => {
      if (op === "erase") erased.push(len, addr);
    };
    sim.eval(`S.compact()`);
    sim.flash.onOp = null;
    expect(erased.filter((_, i) => i % 2 === 0).every((len) => len === 1024)).toBe(true);
    expect(erased.length).toBeGreaterThan(0);
    expect(Math.min(...erased.filter((_, i) => i % 2 === 1))).toBe(from);
    expect(sim.eval(`String(S.read("b"))`)).toBe("y" + "\xff".repeat(499));
    expect(sim.storage.stats().freeBytes).toBe(first - 32 - 500);
  });
});
