/**
 * The locked console (docs/provisioning.md, "The locked console"): a
 * password per device, made here, kept in the device's export file, and the
 * code the board runs at every chip reset to ask for it.
 *
 * What Espruino 2v29 does with it (tag RELEASE_2V29):
 * - E.setPassword keeps the password in a hidden variable in RAM
 *   (jswrap_espruino.c 2190-2195): a power-on, reset() or load() loses it
 *   (jsinteractive.c 974, 2612, 2637, 2648); only save() would keep it, and
 *   feldgate never saves. So the board sets it again at each boot, from
 *   `.bootPowerOn`, which the interpreter runs at every chip reset before
 *   .bootcde, BTN1 held or not (jsflash.c 1409-1426), and the loader runs it
 *   once more after load() (src/loader.ts).
 * - E.lockConsole sets JSIS_PASSWORD_PROTECTED if a password is set
 *   (jswrap_espruino.c 2208-2214). While it is set, every byte but CR and LF
 *   goes into the line without echo, up to 20 (so a password has at most 20
 *   characters); CR or LF compares the line with the password exactly and
 *   answers `\n  Invalid password\npassword>` or `\n  Logged in.\n`
 *   (jsinteractive.c 1893-1912). Ctrl-C breaks nothing off (2216-2222).
 *   There is no limit on tries (jswrap_espruino.c 2182).
 * - The board's own output is not held back: a locked console still shows
 *   the gateway's log, which never holds keys.
 * - Once unlocked the console stays open until the next lock: reset() keeps
 *   that state (JSIS_SOFTINIT_MASK, jsinteractive.h 177), so the tools lock
 *   it again when they are done (load(), or E.lockConsole).
 *
 * The EspruinoTools CLI 0.1.67 knows nothing of passwords. Against a locked
 * console, each line it sends (the newline that looks for a prompt,
 * core/utils.js 356; the `process.env` query, core/env.js 54; the code, each
 * line with a DLE in front, core/codeWriter.js) is one wrong try; and it
 * takes `password>` for a prompt (core/utils.js 317). A password line has to
 * reach the board as it is, so it goes through the CLI's terminal mode
 * (bin/espruino-cli.js 684-745: what comes in on standard input is written
 * to the board unchanged), with the query on connecting switched off
 * (ENV_ON_CONNECT=false).
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { CLI_PATH } from "./espruino";

/** The password's characters: Crockford's base32, lower case (no i, l, o, u). 32 of them, so a byte's low 5 bits pick one without bias. */
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
/** 16 characters, 80 bits; the interpreter's line takes 20 at most (jsinteractive.c 1909). */
export const PASSWORD_CHARS = 16;
/** The interpreter's limit (jsinteractive.c 1909; jswrap_espruino.c 2172). */
export const PASSWORD_MAX = 20;

/** A console password from the operating system's CSPRNG (crypto.randomBytes). */
export function newConsolePassword(): string {
  const b = crypto.randomBytes(PASSWORD_CHARS);
  let s = "";
  for (const x of b) s += ALPHABET[x & 31];
  return s;
}

/** What `.bootPowerOn` holds: the password set and the console locked. */
export function lockCode(password: string): string {
  return `E.setPassword(${JSON.stringify(password)});E.lockConsole();`;
}

/** Whether the board's answer is a locked console's. */
export function answeredLocked(text: string | string[]): boolean {
  const t = Array.isArray(text) ? text.join("\n") : text;
  return /Invalid password|password>/.test(t);
}

/** A password usable at the console: printable ASCII, 1 to 20 characters. */
export function checkPassword(p: string, from: string): string {
  if (!p.length || p.length > PASSWORD_MAX || !/^[\x21-\x7e]+$/.test(p))
    throw new Error(`${from} does not hold a console password (1 to ${PASSWORD_MAX} printable characters, no spaces).`);
  return p;
}

export interface PasswordSource {
  password: string;
  /** Where it came from, for messages: never the password itself. */
  from: string;
}

/** The password in a file given with --password-file: its first line. */
export function passwordFromFile(file: string): PasswordSource {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(`The password file ${file} could not be read: ${(e as Error).message}`);
  }
  return { password: checkPassword(text.split(/\r?\n/)[0].trim(), `The password file ${file}`), from: file };
}

/**
 * The console password in the export of one DevEUI in the keys directory,
 * the newest first (`<EUI>.json` and `<EUI>-<time>.json`), or null. Only the
 * DevEUI named is looked at: trying every export's password on whatever
 * answers on the port would hand them all to a device that only pretends
 * to be a board.
 */
export function passwordFromExport(keysDir: string, devEui: string): PasswordSource | null {
  let names: string[];
  try {
    names = fs.readdirSync(keysDir).filter((n) => n === `${devEui}.json` || (n.startsWith(`${devEui}-`) && n.endsWith(".json")));
  } catch {
    return null;
  }
  const found: { file: string; at: string; password: string }[] = [];
  for (const n of names) {
    const file = path.join(keysDir, n);
    try {
      const r = JSON.parse(fs.readFileSync(file, "utf8")) as { consolePassword?: unknown; flashedAt?: unknown };
      if (typeof r.consolePassword === "string") found.push({ file, at: String(r.flashedAt ?? ""), password: r.consolePassword });
    } catch {
      /* not an export */
    }
  }
  found.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  return found.length ? { password: found[0].password, from: found[0].file } : null;
}

/**
 * Asks for the password on the terminal, without echo; null when standard
 * input is not a terminal (then nothing is asked).
 */
export async function askPassword(question: string): Promise<string | null> {
  const stdin = process.stdin;
  if (!stdin.isTTY || !process.stdout.isTTY) return null;
  process.stdout.write(question);
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding("utf8");
  try {
    return await new Promise<string | null>((resolve) => {
      let got = "";
      const onData = (s: string) => {
        for (const c of s) {
          if (c === "\r" || c === "\n") {
            stdin.off("data", onData);
            resolve(got);
            return;
          }
          if (c === "\x03" || c === "\x04") {
            stdin.off("data", onData);
            resolve(null);
            return;
          }
          if (c === "\x7f" || c === "\b") got = got.slice(0, -1);
          else got += c;
        }
      };
      stdin.on("data", onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    process.stdout.write("\n");
  }
}

/** The CLI in terminal mode on a port: standard input goes to the board unchanged, what the board prints comes out as it is. */
export function terminalCli(port: string, baud?: number, cli = CLI_PATH): ChildProcessWithoutNullStreams {
  const args = [cli, "--no-ble", "-p", port, "--config", "ENV_ON_CONNECT=false"];
  if (baud) args.push("-b", String(baud));
  const child = spawn(process.execPath, args, { stdio: ["pipe", "pipe", "pipe"] });
  child.stdout.setEncoding("latin1");
  child.stderr.setEncoding("latin1");
  return child;
}

/** Waits until `seen` matches what the CLI printed since `from`, or the time is up; returns the text after `from`, or null. */
function waitFor(child: ChildProcessWithoutNullStreams, text: { s: string }, from: number, re: RegExp, ms: number): Promise<string | null> {
  return new Promise((resolve) => {
    const check = () => {
      const t = text.s.slice(from);
      if (re.test(t)) {
        done();
        resolve(t);
      }
    };
    const timer = setTimeout(() => {
      done();
      resolve(null);
    }, ms);
    const onExit = () => {
      done();
      resolve(null);
    };
    const done = () => {
      clearTimeout(timer);
      child.stdout.off("data", check);
      child.off("exit", onExit);
    };
    child.stdout.on("data", check);
    child.on("exit", onExit);
    check();
  });
}

export type UnlockResult = "unlocked" | "wrong" | "open" | "no-answer";

/**
 * Unlocks a board's console with a password, through the CLI's terminal
 * mode: a CR first ends whatever line the console holds (one wrong try),
 * then the password and CR. "open" when the console was not locked.
 */
export async function unlockConsole(port: string, baud: number | undefined, password: string, cli?: string): Promise<UnlockResult> {
  const child = terminalCli(port, baud, cli);
  const text = { s: "" };
  child.stdout.on("data", (d: string) => (text.s += d));
  try {
    // The CLI's own line ends in LF alone, the board's in CR LF; the board's output may come first, without a newline.
    if ((await waitFor(child, text, 0, /Connected\n/, 15_000)) === null) return "no-answer";
    let at = text.s.length;
    child.stdin.write("\r");
    const first = await waitFor(child, text, at, /Invalid password\r?\npassword>|>/, 5_000);
    if (first === null) return "no-answer";
    if (!answeredLocked(first)) return "open";
    at = text.s.length;
    child.stdin.write(password + "\r");
    const r = await waitFor(child, text, at, /Logged in\.|Invalid password/, 5_000);
    if (r === null) return "no-answer";
    return /Logged in\./.test(r) ? "unlocked" : "wrong";
  } finally {
    await endCli(child);
  }
}

/** Ends a terminal-mode CLI: its standard input closed, it exits by itself (bin/espruino-cli.js 742-745); killed after 5 s. */
export function endCli(child: ChildProcessWithoutNullStreams): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.on("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.stdin.end();
  });
}
