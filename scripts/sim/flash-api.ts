/**
 * require("Flash") as src/jswrap_flash.c (RELEASE_2V29) defines it: the
 * argument conversions, return values and errors of each call. The realm
 * turns the results into its own objects.
 */
import type { FlashArea } from "../../boards/types";
import type { FlashDriver } from "./flash-driver";
import { dataToBytes } from "./storage";

/** An "int" parameter (jsvGetInteger): numbers truncate to 32 bits, numeric strings parse, anything else is 0. */
function toInt(v: unknown): number {
  const n = typeof v === "object" && v !== null ? NaN : Number(v);
  return Number.isFinite(n) ? Math.trunc(n) | 0 : 0;
}

/** The type name jsExceptionHere's %t prints. */
function typeName(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "undefined";
  if (typeof v === "number") return "Number";
  if (typeof v === "string") return "String";
  if (typeof v === "boolean") return "Boolean";
  if (typeof v === "function") return "Function";
  return Array.isArray(v) ? "Array" : "Object";
}

export interface FlashModule {
  getPage(addr: unknown): FlashArea | undefined;
  getFree(): FlashArea[];
  erasePage(addr: unknown): void;
  read(length: unknown, addr: unknown): Uint8Array | undefined;
  write(data: unknown, addr: unknown): void;
  /**
   * E.memoryArea(addr, len) over flash (jswrap_espruino.c, E.memoryArea): a
   * string of the bytes at addr, through jshFlashGetMemMapAddress. It reads
   * flash only where the build maps it into memory; elsewhere the interpreter
   * reads RAM at that address, which the simulator refuses.
   */
  memoryArea(addr: unknown, len: unknown): Uint8Array | undefined;
}

export function flashModule(drv: FlashDriver): FlashModule {
  return {
    // jswrap_flash.c:61-70
    getPage(addr) {
      return drv.getPage(toInt(addr)) ?? undefined;
    },
    // jswrap_flash.c:88-92
    getFree() {
      return drv.getFree();
    },
    // jswrap_flash.c:106-112: only an integer value passes. On the interpreter a float that
    // happens to be whole (from `/`, Math.floor) fails too; V8 cannot tell the two apart.
    erasePage(addr) {
      if (typeof addr !== "number" || !Number.isInteger(addr)) throw new Error(`Address should be an integer, got ${typeName(addr)}`);
      drv.erasePage(addr | 0);
    },
    // jswrap_flash.c:158-179: no array for a length of 0 or less.
    read(length, addr) {
      const n = toInt(length);
      if (n <= 0) return undefined;
      return drv.read(toInt(addr), n);
    },
    // jswrap_flash.c:132-142: data as Storage takes it; nothing to write is no error.
    write(data, addr) {
      if (data === undefined) throw new Error("Data is not defined");
      if (data === null) return;
      const d = dataToBytes(data);
      if (d.length) drv.writeAligned(toInt(addr), d);
    },
    memoryArea(addr, len) {
      const a = toInt(addr);
      const n = toInt(len);
      // As of 2v21 an address of 0 gives undefined; a negative length too.
      if (!a || n < 0) return undefined;
      if (drv.conf.reads !== "memory-mapped") throw new Error(`E.memoryArea(0x${(a >>> 0).toString(16)}): this build does not map its flash into memory; read it with Storage.read or Flash.read`);
      return drv.read(a, n);
    },
  };
}
