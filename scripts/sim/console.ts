/**
 * The interpreter's console (its REPL) on a simulated board: what a
 * technician's laptop, or the EspruinoTools CLI, talks to over USB. It
 * follows jsinteractive.c of Espruino 2v29 (tag RELEASE_2V29), character by
 * character: echo, a line that begins with DLE (0x10) run without echo,
 * Ctrl-C, Esc sequences, lines held open while brackets are, `=value` after
 * a line, `Uncaught ...` after an error, the prompt taken away while the
 * firmware prints and given back after. docs/simulator.md ("The console")
 * says what it leaves out.
 *
 * `serveConsole` puts it on a TCP port, as the Linux build's `--telnet` does,
 * and runs the board's clock in step with real time while it listens.
 */
import net from "node:net";
import { ESPRUINO_VERSION, type ConsoleHooks, type SimBoard } from "./board";

const DLE = 0x10;
const ESC = 27;
const NAK = "\x15";

type InputState = "none" | "dle" | "esc" | "esc[" | "esc[n" | "escO" | "pk0" | "pk1" | "pkdata";

/**
 * The banner reset() prints (jsinteractive.c 906-946); builds other than
 * Linux first switch the terminal's line wrap off.
 */
function banner(build: string): string {
  return (
    (build === "LINUX" ? "" : "\x1b[?7l") +
    "\n ____                 _ \n|  __|___ ___ ___ _ _|_|___ ___ \n|  __|_ -| . |  _| | | |   | . |\n|____|___|  _|_| |___|_|_|_|___|\n" +
    `         |_| espruino.com\n ${ESPRUINO_VERSION} (c) 2025 G.Williams\n\nEspruino is Open Source. Our work is supported\nonly by sales of official boards and donations:\nhttp://espruino.com/Donate\n\n`
  );
}

/** Brackets left open in a line of source: strings, template literals and comments skipped (jsiCountBracketsInInput). */
export function openBrackets(src: string): number {
  let n = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '"' || c === "'" || c === "`") {
      for (i++; i < src.length && src[i] !== c; i++) if (src[i] === "\\") i++;
    } else if (c === "/" && src[i + 1] === "/") {
      while (i < src.length && src[i] !== "\n") i++;
    } else if (c === "/" && src[i + 1] === "*") {
      const end = src.indexOf("*/", i + 2);
      i = end < 0 ? src.length : end + 1;
    } else if (c === "(" || c === "{" || c === "[") n++;
    else if (c === ")" || c === "}" || c === "]") n--;
  }
  return n;
}

const IDENT = /^[A-Za-z_$][\w$]*$/;

/** A value as the REPL shows it after `=`, on one line (the interpreter breaks long ones, jsfPrintJSON with JSON_PRETTY). */
export function replValue(v: unknown, depth = 0): string {
  if (v === undefined) return "undefined";
  if (v === null) return "null";
  if (typeof v === "string") return JSON.stringify(v).replace(/\\u00([0-9a-f]{2})/g, "\\x$1");
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (typeof v === "function") return "function () { ... }";
  if (depth > 4) return "...";
  const o = v as Record<string, unknown>;
  if (o instanceof Object.getPrototypeOf(Uint8Array) || (typeof o.length === "number" && typeof o.subarray === "function")) {
    return `new ${(o.constructor as { name: string }).name}([${Array.prototype.join.call(o, ", ")}])`;
  }
  if (Array.isArray(v)) return v.length ? `[ ${v.map((x) => replValue(x, depth + 1)).join(", ")} ]` : "[ ]";
  const keys = Object.keys(o);
  return keys.length ? `{ ${keys.map((k) => `${IDENT.test(k) ? k : JSON.stringify(k)}: ${replValue(o[k], depth + 1)}`).join(", ")} }` : "{ }";
}

/** `Uncaught ...` as the interpreter words it: V8's `x is not defined` is `"x" is not defined` there. */
function uncaught(e: unknown): string {
  const err = e as Error;
  if (!err || err.message === undefined) return "Uncaught " + String(e);
  const msg = err.name === "ReferenceError" ? err.message.replace(/^(\S+) is not defined$/, '"$1" is not defined') : err.message;
  return `Uncaught ${err.name || "Error"}: ${msg}`;
}

export class SimConsole {
  private line = "";
  private state: InputState = "none";
  /** echo(0): JSIS_ECHO_OFF. */
  private echoOff = false;
  /** A line begun with DLE: JSIS_ECHO_OFF_FOR_LINE. */
  private echoOffForLine = false;
  /** The prompt and input line are not on the terminal just now (inputLineRemoved). */
  private removed = false;
  private packetLength = 0;
  private packet = "";
  /** Input still to be handled in this turn; reset() drops it. */
  private pending = "";
  private restarted = false;
  private readonly listener: (text: string) => void;
  private readonly hooks: ConsoleHooks;
  private returnQueued = false;

  constructor(
    readonly sim: SimBoard,
    private readonly out: (bytes: string) => void,
  ) {
    this.listener = (text) => this.print(text);
    sim.outputListeners.add(this.listener);
    this.hooks = {
      echo: (on) => {
        this.echoOff = !on;
      },
      restarted: (how) => this.onRestart(how),
    };
    sim.consoleHooks = this.hooks;
  }

  /** The cable is unplugged: the board's output goes nowhere. */
  detach(): void {
    this.sim.outputListeners.delete(this.listener);
    if (this.sim.consoleHooks === this.hooks) this.sim.consoleHooks = null;
  }

  /** Bytes from the laptop, as a latin1 string. One call is one turn of the interpreter's idle loop. */
  input(data: string): void {
    if (!this.sim.powered) return; // a board without power hears nothing
    this.pending += data;
    while (this.pending.length) {
      const ch = this.pending.charCodeAt(0);
      this.pending = this.pending.slice(1);
      this.char(ch);
      if (this.restarted) {
        // Input already received when reset() ran is lost (seen on the Linux build: the rest
        // of a read after "reset();\n" never ran); the CLI waits 250 ms after it for this reason.
        this.restarted = false;
        this.pending = "";
      }
      if (!this.sim.powered) {
        this.pending = "";
        return;
      }
    }
    this.returnInputLine();
  }

  private emit(s: string): void {
    this.out(s.replace(/\r?\n/g, "\r\n"));
  }

  private get echo(): boolean {
    return !this.echoOff && !this.echoOffForLine;
  }

  private get showInputLine(): boolean {
    return this.echo && !this.removed;
  }

  /** jsiConsoleRemoveInputLine: the prompt and the line typed so far leave the terminal before the board prints. */
  private removeInputLine(): void {
    if (this.removed) return;
    this.removed = true;
    if (this.echo) {
      // A locked console's cursor stays at 0: its bytes are added without moving it (jsinteractive.c 1909-1910, 198-207).
      const back = this.sim.consoleLocked ? 0 : this.line.length - Math.max(0, this.line.lastIndexOf("\n") + 1);
      this.out((back ? `\x1b[${back}D` : "") + "\r\x1b[J");
    }
  }

  /** jsiConsoleReturnInputLine, at the end of the idle loop. */
  private returnInputLine(): void {
    this.returnQueued = false;
    if (!this.removed) return;
    this.removed = false;
    // A locked console's prompt is "password>", and the line typed so far comes back after it
    // as on any other prompt: jsiEcho, not jsiShowInputLine (jsinteractive.c 428-442).
    // A locked console's cursor is at 0, so it goes back over that line (jsinteractive.c 440, 376-386).
    if (this.echo && this.sim.consoleLocked) this.out("password>" + this.line + "\x1b[D".repeat(this.line.length));
    else if (this.echo) this.emit(">" + this.line.replace(/\n/g, "\n:"));
  }

  /** A line the board prints, in or out of a console turn. */
  print(text: string): void {
    if (text.startsWith("[sim] ")) return; // the simulator's own notes are not the board's output
    this.removeInputLine();
    this.emit(text + "\n");
    if (!this.returnQueued) {
      this.returnQueued = true;
      // Printed outside a console turn (a timer, a serial line): the prompt comes back after it.
      setImmediate(() => {
        if (this.returnQueued) this.returnInputLine();
      });
    }
  }

  private onRestart(how: "reset" | "load"): void {
    this.echoOff = false;
    this.echoOffForLine = false;
    this.restarted = true;
    this.line = "";
    this.state = "none";
    if (how === "reset") this.emit(banner(this.sim.board.espruinoBuild));
    this.removed = true;
  }

  private append(s: string): void {
    this.line += s;
    if (this.showInputLine) this.out(s);
  }

  /** jsiHandleConsoleChar. */
  private char(ch: number): void {
    const c = String.fromCharCode(ch);
    if (this.sim.consoleLocked) return this.lockedChar(ch);
    switch (this.state) {
      case "pk0":
        if (this.line === "") this.echoOffForLine = false;
        this.packetLength = ch << 8;
        this.state = "pk1";
        return;
      case "pk1":
        this.packetLength |= ch;
        this.packet = "";
        if ((this.packetLength & 0x1fff) === 0) return this.packetDone();
        this.state = "pkdata";
        return;
      case "pkdata":
        this.packet += c;
        if (this.packet.length >= (this.packetLength & 0x1fff)) this.packetDone();
        return;
    }
    if (ch === 0) {
      this.state = "none";
    } else if (ch === 1) {
      if (this.state === "dle") this.state = "pk0";
    } else if (ch === 3) {
      // Ctrl-C: nothing runs to be broken off between turns here; the line typed so far is cleared.
      this.state = "none";
      if (this.line !== "") {
        this.removeInputLine();
        this.line = "";
      }
    } else if (ch === 5) {
      if (this.line === "") this.emit(`Espruino ${ESPRUINO_VERSION} ${this.sim.board.espruinoBuild}\n`);
    } else if (ch === DLE) {
      if (this.line === "") this.echoOffForLine = true;
      this.state = "dle";
    } else if (ch === ESC) {
      this.state = "esc";
    } else if (this.state === "esc") {
      this.state = ch === 79 ? "escO" : ch === 91 ? "esc[" : "none";
      if (ch === 10) this.newLine(false); // Alt-Enter: a new line that does not run yet
    } else if (this.state === "escO") {
      this.state = "none"; // numpad keys: not modelled
    } else if (this.state === "esc[") {
      // Cursor keys are not modelled: the line is always edited at its end.
      this.state = ch >= 48 && ch <= 57 ? "esc[n" : "none";
    } else if (this.state === "esc[n") {
      if (ch < 48 || ch > 57) this.state = "none"; // Esc [ n d sets a line number; Esc [ n ~ a key
    } else {
      this.state = "none";
      if (ch === 8 || ch === 0x7f) {
        if (this.line.length && !this.line.endsWith("\n")) {
          this.line = this.line.slice(0, -1);
          if (this.showInputLine) this.out("\b \b");
        }
      } else if (ch === 13 || ch === 10) {
        this.newLine(true);
      } else if (ch === 9) {
        // With echo on, Tab completes a name (not modelled, nothing is added); without, it is four spaces.
        if (!this.echo) this.append("    ");
      } else if (ch >= 32) {
        this.append(c);
      }
    }
  }

  /**
   * A locked console (jsinteractive.c 1893-1912), ahead of everything else:
   * CR or LF compares the line with the password, exactly; any other byte,
   * DLE, Esc, Backspace and Ctrl-C among them, is added to the line without
   * echo while it holds fewer than 20. Ctrl-C breaks nothing off
   * (jsiCtrlC, 2216-2222). There is no limit on tries (jswrap_espruino.c 2182).
   */
  private lockedChar(ch: number): void {
    if (ch === 13 || ch === 10) {
      const ok = this.sim.consolePassword !== undefined && this.line === this.sim.consolePassword;
      this.line = "";
      this.state = "none";
      if (!ok) {
        this.emit("\n  Invalid password\npassword>");
      } else {
        this.sim.consoleLocked = false;
        this.emit("\n  Logged in.\n");
        this.removed = true;
        this.returnInputLine();
      }
    } else if (this.line.length < 20) this.line += String.fromCharCode(ch);
  }

  /** jsiHandleNewLine. */
  private newLine(execute: boolean): void {
    if (!execute || openBrackets(this.line) > 0) {
      if (this.showInputLine) this.emit("\n:");
      this.line += "\n";
      return;
    }
    if (this.showInputLine) this.emit("\n");
    if (!this.echoOffForLine) this.removed = true;
    const code = this.line.replace(/\s+$/, "");
    this.line = "";
    if (code !== "") {
      const r = this.sim.consoleEval(code);
      if (!r.ok) this.print(uncaught(r.error));
      else if (this.echo) this.emit("=" + replValue(r.value) + "\n");
    }
    this.echoOffForLine = false;
    // What the line asked for at idle: reset(), load(), E.reboot().
    this.sim.idle();
  }

  /** Packets (DLE SOH, jsiPacketProcess) are not modelled: each is refused with NAK. */
  private packetDone(): void {
    this.state = "none";
    this.out(NAK);
  }
}

export interface ConsoleServer {
  port: number;
  close(): Promise<void>;
}

/**
 * The board's console on a TCP port, one laptop at a time (a new connection
 * takes the console from the last, as the Linux build's telnet server does).
 * While it listens, the board's clock runs with real time, `speed` times as fast.
 */
export async function serveConsole(sim: SimBoard, o: { host?: string; port: number; speed?: number }): Promise<ConsoleServer> {
  let current: { socket: net.Socket; console: SimConsole } | null = null;
  const server = net.createServer((socket) => {
    if (current) {
      current.console.detach();
      current.socket.destroy();
    }
    const c = new SimConsole(sim, (s) => {
      if (!socket.destroyed) socket.write(Buffer.from(s, "latin1"));
    });
    const me = { socket, console: c };
    current = me;
    socket.on("data", (d) => c.input(d.toString("latin1")));
    socket.on("error", () => {});
    socket.on("close", () => {
      c.detach();
      if (current === me) current = null;
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host ?? "127.0.0.1", () => resolve());
  });
  const speed = o.speed ?? 1;
  let last = Date.now();
  const pump = setInterval(() => {
    const now = Date.now();
    sim.advance(Math.max(0, (now - last) * speed));
    last = now;
  }, 10);
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(pump);
        if (current) current.socket.destroy();
        server.close(() => resolve());
      }),
  };
}
