/**
 * AT-command line transport on a serial port, for LoRaWAN modems: one command
 * at a time, its reply lines gathered until a final status line, asynchronous
 * event lines ("+EVT:…", "+INFO…") handed on. Lines that fit nothing (noise,
 * a modem rebooting, the wrong baud rate) are dropped.
 */

/** done(status, lines): status is the final line ("OK", "AT_ERROR", …) or "TIMEOUT". */
export type AtDone = (status: string, lines: string[]) => void;

export interface AtPort {
  /** `final`, where given, decides which line ends this command's reply. */
  cmd(line: string, timeoutMs: number, done: AtDone, final?: (line: string) => boolean): void;
  busy(): boolean;
}

/** Longest line kept; anything longer is noise. */
const MAX_LINE = 300;

export function atPort(serial: any, isFinal: (line: string) => boolean, isEvent: (line: string) => boolean, onEvent: (line: string) => void): AtPort {
  let buf = "";
  let lines: string[] = [];
  let done: AtDone | null = null;
  let endsWith: ((l: string) => boolean) | null = null;
  let timer = 0;
  function finish(status: string): void {
    if (timer) clearTimeout(timer);
    timer = 0;
    const d = done;
    const l = lines;
    done = null;
    lines = [];
    if (d) d(status, l);
  }
  function line(l: string): void {
    if (!l.length) return;
    if (isEvent(l)) return onEvent(l);
    if (!done) return;
    lines.push(l);
    if (endsWith ? endsWith(l) : isFinal(l)) finish(l);
  }
  function onData(d: string): void {
    buf += d;
    let i: number;
    while ((i = buf.indexOf("\n")) >= 0) {
      line(buf.substr(0, i).replace("\r", "").trim());
      buf = buf.substr(i + 1);
    }
    if (buf.length > MAX_LINE) buf = "";
  }
  serial.on("data", onData);
  return {
    cmd(l, timeoutMs, d, final) {
      if (done) return d("BUSY", []);
      done = d;
      endsWith = final || null;
      lines = [];
      serial.write(l + "\r\n");
      timer = setTimeout(function () {
        timer = 0;
        finish("TIMEOUT");
      }, timeoutMs);
    },
    busy() {
      return done !== null;
    },
  };
}
