/**
 * A gateway's identity, one per device: the LoRaWAN AppKey made here from the
 * operating system's CSPRNG, the DevEUI from the modem's factory value or from
 * a range the operator keeps, and the export file that holds them, created
 * with mode 0600 outside the repository. Keys are never printed.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Board } from "../../boards/types";

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");

export interface Identity {
  v: 1;
  devEui: string;
  joinEui: string;
  appKey: string;
  wifi?: unknown;
  mqtt?: unknown;
  http?: unknown;
}

/** 128 bits from the operating system's CSPRNG (crypto.randomBytes), as 32 hex digits. */
export function newAppKey(): string {
  return crypto.randomBytes(16).toString("hex").toUpperCase();
}

const EUI = /^[0-9A-F]{16}$/;

export function normalEui(s: string): string | null {
  const e = s.replace(/[:\-\s]/g, "").toUpperCase();
  return EUI.test(e) ? e : null;
}

/**
 * Code for the board that asks its modem for the DevEUI it holds and prints
 * the answer as `FGEUI:<json>`. It runs after the CLI's reset(), so the
 * firmware is not holding the modem's serial port. RAK3172 (RUI3 AT Command
 * Manual: `AT+DEVEUI=?` answers `AT+DEVEUI=<16 hex>` then `OK`) and Wio-E5
 * (LoRa-E5 AT Command Specification: `AT+ID=DevEui` answers
 * `+ID: DevEui, xx:xx:xx:xx:xx:xx:xx:xx`).
 */
export function modemQueryCode(board: Board): string | null {
  const m = board.hw.modem;
  if (!m) return null;
  const ask = m.kind === "rak3172" ? "AT+DEVEUI=?" : "AT+ID=DevEui";
  const u = m.uart;
  return [
    "(function(){",
    m.reset ? `pinMode(${JSON.stringify(m.reset)},"output");digitalWrite(${JSON.stringify(m.reset)},1);` : "",
    `var U=${u.serial},b="";U.setup(${m.baud},{rx:${JSON.stringify(u.rx)},tx:${JSON.stringify(u.tx)}});`,
    `U.on("data",function(d){b+=d;});`,
    // A first line wakes the modem and clears what it was reading; the question follows.
    `U.write("AT\\r\\n");setTimeout(function(){b="";U.write(${JSON.stringify(ask + "\r\n")});},300);`,
    `setTimeout(function(){U.removeAllListeners("data");print("FGEUI:"+JSON.stringify(b));},1300);`,
    "})()",
  ].join("");
}

/** The DevEUI in the modem's answer, or null. */
export function parseModemEui(board: Board, answer: string): string | null {
  const m = board.hw.modem;
  if (!m) return null;
  const r = m.kind === "rak3172" ? /AT\+DEVEUI=([0-9A-Fa-f]{16})/.exec(answer) : /\+ID: DevEui, ((?:[0-9A-Fa-f]{2}:){7}[0-9A-Fa-f]{2})/.exec(answer);
  return r ? normalEui(r[1]) : null;
}

/**
 * The operator's range of DevEUIs: a JSON file `{ "first": "...", "last":
 * "...", "next": "..." }`. Takes `next` (or `first`) and writes the one after
 * it back before the board is flashed, so a number is never handed out twice.
 */
export function takeFromRange(file: string): string {
  const r = JSON.parse(fs.readFileSync(file, "utf8")) as { first: string; last: string; next?: string };
  const first = normalEui(r.first ?? "");
  const last = normalEui(r.last ?? "");
  if (!first || !last) throw new Error(`${file}: "first" and "last" must be DevEUIs of 16 hex digits`);
  const next = normalEui(r.next ?? r.first)!;
  if (!next || BigInt("0x" + next) < BigInt("0x" + first)) throw new Error(`${file}: "next" must lie in the range`);
  if (BigInt("0x" + next) > BigInt("0x" + last)) throw new Error(`${file}: the range ${first}–${last} is used up: ask for a new range and put it in this file`);
  const after = (BigInt("0x" + next) + 1n).toString(16).toUpperCase().padStart(16, "0");
  const tmp = file + ".tmp";
  fs.writeFileSync(tmp, JSON.stringify({ ...r, next: after }, null, 2) + "\n");
  fs.renameSync(tmp, file);
  return next;
}

export function defaultKeysDir(): string {
  return path.join(os.homedir(), ".feldgate", "keys");
}

/** Whether a path lies inside the repository, where keys must never be. */
export function insideRepository(p: string): boolean {
  const rel = path.relative(ROOT, path.resolve(p));
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/**
 * Writes the export file: created new (never over an older one), mode 0600,
 * in a directory of mode 0700. Returns its path.
 */
export function writeExport(dir: string, devEui: string, record: object): string {
  if (insideRepository(dir)) throw new Error(`${dir} is inside the repository: keys are never kept there. Choose another --keys-dir.`);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  let file = path.join(dir, `${devEui}.json`);
  if (fs.existsSync(file)) file = path.join(dir, `${devEui}-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  writeSecret(file, JSON.stringify(record, null, 2) + "\n");
  return file;
}

/** A file with secrets: created new (never over an older one), mode 0600 whatever the umask. */
export function writeSecret(file: string, text: string): void {
  const fd = fs.openSync(file, "wx", 0o600);
  try {
    fs.fchmodSync(fd, 0o600);
    fs.writeSync(fd, text);
  } finally {
    fs.closeSync(fd);
  }
}
