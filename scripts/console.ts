/**
 * npm run console -- --port <port> [--password-file <file> | --dev-eui <hex>] [--board <id>] [--keys-dir <dir>]
 *
 * Opens a gateway's console live: what the gateway logs comes out as it
 * logs it, and what is typed goes to the board. A locked console
 * (npm run flash -- --lock) still shows the log; to type at it, it is
 * unlocked with its password, from --password-file, from the export of
 * --dev-eui in the keys directory, or typed (not shown) when this runs in a
 * terminal. On quitting, a console this unlocked is locked again: the
 * interpreter would otherwise leave it open until the next power-on
 * (scripts/flash/lock.ts).
 *
 * It runs the EspruinoTools CLI in its terminal mode (bin/espruino-cli.js
 * 684-745) rather than opening the port itself: the CLI already speaks to
 * serial ports (the serialport package, core/serial_node_serial.js), TCP
 * and the rest, as `npm run flash` does, and its terminal mode passes bytes
 * both ways unchanged, which the password needs (lock.ts). Its query on
 * connecting is switched off (ENV_ON_CONNECT=false): it would be two wrong
 * tries on a locked console.
 *
 * Ctrl-D quits (in a terminal, every other key goes to the board, Ctrl-C
 * too); without a terminal, the end of standard input does.
 */
import path from "node:path";
import { boards } from "../boards/index";
import { defaultKeysDir, normalEui } from "./flash/identity";
import { answeredLocked, askPassword, checkPassword, endCli, passwordFromExport, passwordFromFile, terminalCli, type PasswordSource } from "./flash/lock";

/** Baud rate of the builds whose console is a serial port (boards/ESP32.py 52), as npm run flash has it. */
const CONSOLE_BAUD: Record<string, number> = { ESP32: 115200 };

export interface ConsoleOptions {
  port: string;
  baud?: number;
  passwordFile?: string;
  devEui?: string;
  keysDir: string;
  /** What comes in from the technician: their keyboard, or a pipe. */
  input: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (on: boolean) => unknown };
  /** Where the board's output and the tool's own lines go. */
  write: (s: string) => void;
  cli?: string;
}

/** Opens the console until the input ends or Ctrl-D; returns the exit code. */
export async function openConsole(o: ConsoleOptions): Promise<number> {
  const say = (s: string) => o.write(s + "\n");
  const child = terminalCli(o.port, o.baud, o.cli);
  let text = "";
  let connected = false;
  let live = false;
  const listeners = new Set<() => void>();
  child.stdout.on("data", (d: string) => {
    if (!connected) {
      // The CLI's own line ends in LF alone, the board's in CR LF; the board's output may come first, without a newline.
      const i = (text + d).search(/Connected\n/);
      text += d;
      if (i < 0) return;
      connected = true;
      d = text.slice(i).replace(/^Connected\n/, "");
      text = "";
    }
    text += d;
    if (live) o.write(d);
    for (const l of listeners) l();
  });
  let err = "";
  child.stderr.on("data", (d: string) => (err += d));
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));

  /** Waits for `re` in what the board printed since `from`, up to ms; the text since `from`, or null. */
  const waitFor = (from: number, re: RegExp, ms: number) =>
    new Promise<string | null>((resolve) => {
      const check = () => {
        if (re.test(text.slice(from))) finish(text.slice(from));
      };
      const finish = (v: string | null) => {
        clearTimeout(t);
        listeners.delete(check);
        resolve(v);
      };
      const t = setTimeout(() => finish(null), ms);
      listeners.add(check);
      void exited.then(() => finish(null));
      check();
    });

  await waitForConnect(() => connected, exited, 15_000);
  if (!connected) {
    say(`Nothing answered on ${o.port}. Check that the board is plugged in and powered, that ${o.port} is its port, and that no other terminal holds it.${err ? ` (${err.trim().split("\n").pop()})` : ""}`);
    await endCli(child);
    return 1;
  }
  say(`Connected to the board on ${o.port}.`);

  // A CR shows whether the console is locked: a locked one answers "Invalid password" (one wrong try, no harm).
  let at = text.length;
  child.stdin.write("\r");
  let first = await waitFor(at, /Invalid password|>/, 3000);
  if (first !== null && !answeredLocked(first)) first = (await waitFor(at, /Invalid password/, 300)) ?? first;
  let unlockedWith: PasswordSource | null = null;
  let typing = true;
  if (first !== null && answeredLocked(first)) {
    say(`Its console is locked: its log shows, but it takes nothing typed but its password.`);
    let src: PasswordSource | null = null;
    try {
      if (o.passwordFile) src = passwordFromFile(o.passwordFile);
      else if (o.devEui) {
        const eui = normalEui(o.devEui);
        if (!eui) throw new Error(`--dev-eui ${o.devEui} is not a DevEUI of 16 hex digits.`);
        src = passwordFromExport(o.keysDir, eui);
        if (!src) say(`No export of ${eui} in ${o.keysDir} holds a console password.`);
      }
      if (!src && o.input.isTTY) {
        const typed = await askPassword(`The console password (not shown; Enter alone for the log only): `);
        if (typed) src = { password: checkPassword(typed, "What was typed"), from: "what you typed" };
      }
    } catch (e) {
      say(`${(e as Error).message} The console stays locked.`);
      await endCli(child);
      return 1;
    }
    if (src) {
      at = text.length;
      child.stdin.write(src.password + "\r");
      const r = await waitFor(at, /Logged in\.|Invalid password/, 5000);
      if (r === null || !/Logged in\./.test(r)) {
        say(
          r === null
            ? `The board stopped answering while it was being unlocked. Unplug it, plug it in again and retry.`
            : `The board did not take the password from ${src.from}: its console stays locked. Check that the password belongs to this board (its DevEUI is on its label, and each export file is named after one), then retry with the right --password-file or --dev-eui.`,
        );
        await endCli(child);
        return 1;
      }
      unlockedWith = src;
      say(`Unlocked with the password from ${src.from}; it is locked again when you quit.`);
    } else {
      typing = false;
      say(`Showing its log only. To type at it, give its password with --password-file <file>, or its DevEUI with --dev-eui <hex> for the password in its export, or run this in a terminal to type it.`);
    }
  }
  say(o.input.isTTY ? `Ctrl-D quits. What the gateway logs follows:` : `It quits at the end of its input. What the gateway logs follows:`);
  live = true;

  await new Promise<void>((resolve) => {
    const stop = () => {
      o.input.off("data", onData);
      o.input.off("end", stop);
      resolve();
    };
    const onData = (d: Buffer | string) => {
      let s = typeof d === "string" ? d : d.toString("latin1");
      const q = o.input.isTTY ? s.indexOf("\x04") : -1;
      if (q >= 0) s = s.slice(0, q);
      if (s && typing) child.stdin.write(Buffer.from(s, "latin1"));
      if (q >= 0) stop();
    };
    if (o.input.isTTY && o.input.setRawMode) o.input.setRawMode(true);
    o.input.on("data", onData);
    o.input.on("end", stop);
    void exited.then(stop);
    o.input.resume();
  });
  if (o.input.isTTY && o.input.setRawMode) o.input.setRawMode(false);
  o.input.pause();

  if (unlockedWith && child.exitCode === null) {
    // A DLE line: no echo, and not kept in the console's history (jsinteractive.c 1531). The password is
    // set again as well as locked: a reset() typed meanwhile has taken it out of RAM (lock.ts).
    live = false;
    child.stdin.write(`\x10E.setPassword(${JSON.stringify(unlockedWith.password)});E.lockConsole();\n`);
    // A CR then shows the lock: a locked console answers "Invalid password" (one wrong try, no harm).
    const from = text.length;
    child.stdin.write("\r");
    const locked = await waitFor(from, /Invalid password/, 3000);
    o.write("\n");
    say(locked ? `The console is locked again.` : `The console did not say that it is locked again: power the board off and on, which locks it.`);
  } else {
    live = false;
    o.write("\n");
  }
  await endCli(child);
  return 0;
}

function waitForConnect(isConnected: () => boolean, exited: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const tick = setInterval(() => {
      if (isConnected() || Date.now() - t0 > ms) done();
    }, 50);
    const done = () => {
      clearInterval(tick);
      resolve();
    };
    void exited.then(done);
  });
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const port = arg("--port");
  if (!port) {
    process.stdout.write("npm run console -- --port <port> [--password-file <file> | --dev-eui <hex>] [--board <id>] [--keys-dir <dir>]   (docs/provisioning.md)\n");
    process.exitCode = 2;
    return;
  }
  const boardId = arg("--board");
  const board = boardId ? boards.find((b) => b.id === boardId) : undefined;
  if (boardId && !board) {
    process.stdout.write(`No board "${boardId}". The boards are: ${boards.map((b) => b.id).join(", ")}.\n`);
    process.exitCode = 2;
    return;
  }
  process.exitCode = await openConsole({
    port,
    baud: arg("--baud") ? Number(arg("--baud")) : board ? CONSOLE_BAUD[board.espruinoBuild] : undefined,
    passwordFile: arg("--password-file"),
    devEui: arg("--dev-eui"),
    keysDir: arg("--keys-dir") ?? defaultKeysDir(),
    input: process.stdin,
    write: (s) => void process.stdout.write(s),
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  main().catch((e) => {
    process.stdout.write(`\nnpm run console failed: ${(e as Error).stack ?? e}\n`);
    process.exitCode = 3;
  });
}
