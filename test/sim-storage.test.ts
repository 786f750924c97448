import { describe, expect, it } from "vitest";
import { PowerCut } from "../scripts/sim/flash";
import { SimStorage, SimStorageFile } from "../scripts/sim/storage";
import { runSnippet, storageOn } from "./helpers";

function storage(pages = 4): SimStorage {
  return storageOn(pages, 4096);
}

describe("simulated Storage follows jsflash.c", () => {
  it("write and read back, with 32-byte headers and 4-byte alignment", () => {
    const s = storage();
    s.write("a", "hello");
    expect(s.read("a")).toBe("hello");
    expect(s.getStats()).toMatchObject({ fileCount: 1, fileBytes: 32 + 8, freeBytes: 4 * 4096 - 40, trashCount: 0 });
    expect(s.read("missing")).toBeUndefined();
  });

  it("builds a file in pieces with offset and size; unwritten bytes read 0xFF", () => {
    const s = storage();
    s.write("f", "ab", 0, 8);
    s.write("f", "cd", 4);
    expect(Array.from(s.readBytes("f")!)).toEqual([97, 98, 255, 255, 99, 100, 255, 255]);
  });

  it("refuses to rewrite a written region: File already written with different data", () => {
    const s = storage();
    s.write("f", "ab", 0, 8);
    expect(() => s.write("f", "xy", 1)).toThrow("File already written with different data");
  });

  it("refuses data past the file's size", () => {
    const s = storage();
    s.write("f", "ab", 0, 4);
    expect(() => s.write("f", "xyz", 2)).toThrow("Too much data for file size");
  });

  it("writing an existing name at offset 0 replaces it; the old copy becomes trash", () => {
    const s = storage();
    s.write("f", "one");
    s.write("f", "two");
    expect(s.read("f")).toBe("two");
    expect(s.getStats()).toMatchObject({ fileCount: 1, trashCount: 1 });
    s.write("f", "two"); // the same bytes again: nothing is written
    expect(s.getStats().trashCount).toBe(1);
  });

  it("names are at most 28 characters", () => {
    const s = storage();
    expect(() => s.write("x".repeat(29), "a")).toThrow(/too long/);
    s.write("x".repeat(28), "a");
  });

  it("list, erase, readJSON", () => {
    const s = storage();
    s.write("fg.a", JSON.stringify({ a: 1 }));
    s.write("fg.b", "x");
    s.write("other", "y");
    expect(s.list(/^fg\./)).toEqual(["fg.a", "fg.b"]);
    s.erase("fg.b");
    expect(s.list()).toEqual(["fg.a", "other"]);
    expect(s.readJSON("fg.a")).toEqual({ a: 1 });
    expect(s.readJSON("other", true)).toBeUndefined();
  });

  it("compact() reclaims trash and erases every page it rewrites, as the interpreter does", () => {
    const s = storage();
    for (let i = 0; i < 10; i++) s.write("f", "v".repeat(1000) + i);
    const before = s.getStats();
    expect(before.trashCount).toBe(9);
    s.compact();
    const after = s.getStats();
    expect(after).toMatchObject({ fileCount: 1, trashCount: 0 });
    expect(after.freeBytes).toBe(4 * 4096 - 32 - 1004);
    expect(s.read("f")).toBe("v".repeat(1000) + 9);
    expect(s.flash.totalErases).toBe(3); // the pages the files spanned
  });

  it("a full Storage compacts by itself, then refuses: Unable to find or create file", () => {
    const s = storage(2);
    s.write("big", "x", 0, 5000);
    s.write("tmp", "y", 0, 2000);
    s.erase("tmp");
    s.write("next", "z", 0, 2000); // fits only after the automatic compaction
    expect(s.getStats().trashCount).toBe(0);
    expect(() => s.write("more", "w", 0, 2000)).toThrow("Unable to find or create file");
  });

  it("counts bytes written and operations", () => {
    const s = storage();
    s.write("a", "12345678");
    expect(s.flash.writeOps).toBe(2); // header, data
    expect(s.flash.bytesWritten).toBe(32 + 8);
  });
});

describe("StorageFile", () => {
  it("appends across chunks and reads back", () => {
    const s = storage(8);
    const w = new SimStorageFile(s, "log", "a");
    const line = "0123456789".repeat(100);
    for (let i = 0; i < 10; i++) w.write(line);
    const r = new SimStorageFile(s, "log", "r");
    expect(r.getLength()).toBe(10_000);
    expect(s.list(undefined, { sf: true })).toEqual(["log"]);
    let got = "";
    for (let b = r.readBytes(3000); b; b = r.readBytes(3000)) got += Buffer.from(b).toString("latin1");
    expect(got).toBe(line.repeat(10));
  });

  it("0xFF marks the end of a StorageFile: data after a 0xFF byte is lost", () => {
    const s = storage();
    const w = new SimStorageFile(s, "cbor", "a");
    w.write(Uint8Array.from([0x82, 0x01, 0xff, 0x02]));
    expect(new SimStorageFile(s, "cbor", "r").getLength()).toBe(2);
  });

  it("names are at most 27 characters", () => {
    expect(() => new SimStorageFile(storage(), "y".repeat(28), "a")).toThrow(/too long/);
  });
});

describe("power cuts inside flash operations", () => {
  it("a write torn at byte K keeps the whole words before K; with tornMask 0 the torn word stays as it was", () => {
    const s = storage();
    s.write("f", "x", 0, 16);
    s.flash.armPowerCut({ atOp: 1, tornAt: 7, tornMask: 0 });
    expect(() => s.write("f", "ABCDEFGHIJ", 4)).toThrow(PowerCut);
    expect(Buffer.from(s.readBytes("f")!.subarray(0, 16)).toString("latin1")).toBe("x\xff\xff\xff" + "ABCD" + "\xff".repeat(8));
  });

  it("an unaligned Storage.write is up to three flash writes, as jshFlashWriteAligned makes it", () => {
    const s = storage();
    s.write("f", "x", 0, 16);
    const before = s.flash.opsCounted;
    s.write("f", "ABCDEFGHIJK", 2); // part word, two whole words, part word
    expect(s.flash.opsCounted - before).toBe(3);
    expect(Buffer.from(s.readBytes("f")!.subarray(0, 14)).toString("latin1")).toBe("x\xff" + "ABCDEFGHIJK" + "\xff");
  });

  it("after the cut nothing reaches the flash until power returns", () => {
    const s = storage();
    s.flash.armPowerCut({ atOp: 1, tornAt: 0 });
    expect(() => s.write("a", "1")).toThrow(PowerCut);
    expect(() => s.write("b", "2")).toThrow(PowerCut);
    s.flash.dead = false;
    s.write("b", "2");
    expect(s.list()).toEqual(["b"]);
  });

  it("a cut while a header is written leaves Storage readable", () => {
    const s = storage();
    s.write("keep", "safe");
    s.flash.armPowerCut({ atOp: 1, tornAt: 8 }); // size word and 4 name bytes
    expect(() => s.write("new-file", "data")).toThrow(PowerCut);
    s.flash.dead = false;
    expect(s.read("keep")).toBe("safe");
  });

  it("through the realm: a cut during Storage.write powers the board off", () => {
    const sim = runSnippet(`setTimeout(function () { try { require("Storage").write("x", "data"); } catch (e) { console.log("caught"); } console.log("after"); }, 10);`);
    sim.armPowerCut({ atOp: 1, tornAt: 0 });
    sim.advance(20);
    expect(sim.powered).toBe(false);
    expect(sim.output()).toMatch(/power cut/);
    expect(sim.output()).not.toMatch(/caught|after/);
  });
});

// As the interpreter's Linux build showed: a string from Storage.read is a view of flash
// (jsflash.c 1043-1057) that jsvUpdateMemoryAddress (jsvar.c 467-485) moves or turns to null.
describe("Storage.read gives a view of flash, not a copy", () => {
  const run = (code: string, board = "sim") => {
    const sim = runSnippet(`var S = require("Storage"); S.eraseAll();\n${code}`, board);
    expect(sim.errors.map((e) => e.message)).toEqual([]);
    return sim.output().split("\n");
  };

  it("after its file is erased or replaced the view is null", () => {
    expect(run(`S.write("a", "hello world"); S.write("b", "second"); var va = S.read("a"), vb = S.read("b");
      S.erase("a"); S.write("b", "other");
      console.log(JSON.stringify(va), JSON.stringify(vb), "" + va);
      try { va.length; } catch (e) { console.log(e.message); }
      try { vb.charCodeAt(0); } catch (e) { console.log(e.message); }`)).toEqual([
      "null null null",
      "Can't read property 'length' of null",
      "Can't read property 'charCodeAt' of null",
    ]);
  });

  it("it shows what is written under it, and moves with its file when compaction moves it", () => {
    expect(run(`S.write("a", "A".repeat(3000)); S.write("b", "bee file"); var vb = S.read("b");
      S.write("c", "ab", 0, 8); var vc = S.read("c"); var head = vc.substr(0, 2);
      S.write("c", "cd", 2);
      S.erase("a"); S.compact(); S.write("d", "dddddddd");
      console.log(JSON.stringify(vb), JSON.stringify(vc), head, vb.length, vb.indexOf("file"), vb == "bee file");`)).toEqual([
      "Compacting... ",
      '"bee file" "abcd\xff\xff\xff\xff" ab 8 4 true',
    ]);
  });

  it("a buffer from readArrayBuffer goes with its file", () => {
    const sim = runSnippet(`var S = require("Storage"); S.write("a", "hello"); var b = S.readArrayBuffer("a"); console.log(new Uint8Array(b)[0]); S.erase("a"); new Uint8Array(b);`);
    expect(sim.output().split("\n")[0]).toBe("104");
    expect(sim.errors.length).toBe(1);
  });

  it("E.memoryArea is a view too: it shows what the Flash module writes under it", () => {
    // The DK's free flash beside Storage (boards/nrf52840dk-wioe5.ts).
    expect(run(`var F = require("Flash"); F.erasePage(0x91000); var v = E.memoryArea(0x91000, 4);
      console.log(v.charCodeAt(0)); F.write(new Uint8Array([1, 2, 3, 4]), 0x91000); console.log(v.charCodeAt(0), E.CRC32(v) === E.CRC32([1, 2, 3, 4]));`, "nrf52840dk-wioe5")).toEqual(["255", "1 true"]);
  });
});

describe("the interpreter's boot-time Storage check", () => {
  it("a cut in the middle of compact() usually leaves Storage corrupt, and the interpreter then erases all of it", () => {
    let corrupt = 0;
    let positions = 0;
    for (let op = 1; op <= 12; op++) {
      const s = storage(4);
      for (let i = 0; i < 6; i++) s.write("f" + i, "x".repeat(1500) + i);
      s.erase("f1");
      s.erase("f3");
      s.flash.armPowerCut({ atOp: op, tornAt: 2048 });
      try {
        s.compact();
      } catch {
        positions++;
        s.flash.dead = false;
        if (!s.isValid()) corrupt++;
      }
    }
    expect(positions).toBeGreaterThan(0);
    expect(corrupt).toBeGreaterThan(0);
  });

  it("torn header and data writes never make it corrupt", () => {
    for (let op = 1; op <= 6; op++) {
      for (const k of [0, 4, 8, 12, 31]) {
        const s = storage(2);
        s.write("keep", "safe");
        s.flash.armPowerCut({ atOp: op, tornAt: k });
        try {
          s.write("new", "data", 0, 64);
          s.write("new", "more", 8);
          s.write("other", "z".repeat(100));
        } catch {
          s.flash.dead = false;
        }
        expect(s.isValid()).toBe(true);
        expect(s.read("keep")).toBe("safe");
      }
    }
  });
});
