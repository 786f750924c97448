/**
 * Modbus RTU master over RS-485 (Modbus over Serial Line V1.02): reads of
 * holding (03) and input (04) registers, CRC-16, timeouts and exception
 * responses. Written here because Espruino has no Modbus module.
 */
import type { UartPins } from "../../boards/types";
import { Q_OK, Q_NO_ANSWER, Q_CHECKSUM } from "../readings/reading";
import { serialOpen } from "../runtime/serial";

/** CRC-16/MODBUS: polynomial 0xA001 (reflected 0x8005), initial 0xFFFF. */
export function crc16(b: number[], n: number): number {
  let crc = 0xffff;
  for (let i = 0; i < n; i++) {
    crc ^= b[i];
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >> 1) ^ 0xa001 : crc >> 1;
  }
  return crc;
}

/** done(words, q, cause): words are unsigned 16-bit register values. */
export type ModbusDone = (words: number[] | null, q: number, cause: string) => void;

const EXCEPTIONS = ["", "illegal function", "illegal data address", "illegal data value", "device failure", "acknowledge", "device busy"];

export interface ModbusMaster {
  read(unit: number, fn: number, reg: number, count: number, done: ModbusDone): void;
  close(): void;
}

/** `de` is the transceiver's driver-enable pin, high while sending. */
export function modbusMaster(u: UartPins, baud: number, de: string | undefined, timeoutMs: number): ModbusMaster {
  const serial = serialOpen(u, baud);
  if (de) {
    pinMode(de, "output");
    digitalWrite(de, 0);
  }
  const rxb: number[] = [];
  let busy = false;
  let timer = 0;
  let want = { unit: 0, fn: 0, count: 0, done: null as ModbusDone | null };

  function finish(words: number[] | null, q: number, cause: string): void {
    serial.removeListener("data", onData);
    if (timer) clearTimeout(timer);
    timer = 0;
    busy = false;
    const d = want.done;
    want.done = null;
    if (d) d(words, q, cause);
  }

  function onData(s: string): void {
    for (let i = 0; i < s.length; i++) rxb.push(s.charCodeAt(i));
    // Drop bytes before a frame for our unit and function (line noise, another talker).
    while (rxb.length && (rxb[0] !== want.unit || (rxb.length > 1 && (rxb[1] & 0x7f) !== want.fn))) rxb.shift();
    if (rxb.length < 5) return;
    const exception = (rxb[1] & 0x80) !== 0;
    const len = exception ? 5 : 5 + rxb[2];
    if (!exception && rxb[2] !== want.count * 2) return finish(null, Q_CHECKSUM, "wrong byte count " + rxb[2]);
    if (rxb.length < len) return;
    const crc = crc16(rxb, len - 2);
    if ((crc & 255) !== rxb[len - 2] || crc >> 8 !== rxb[len - 1]) return finish(null, Q_CHECKSUM, "CRC error");
    if (exception) return finish(null, Q_NO_ANSWER, "exception " + rxb[2] + " " + (EXCEPTIONS[rxb[2]] || ""));
    const words: number[] = [];
    for (let k = 0; k < want.count; k++) words.push((rxb[3 + 2 * k] << 8) | rxb[4 + 2 * k]);
    finish(words, Q_OK, "");
  }

  return {
    read(unit, fn, reg, count, done) {
      if (busy) return done(null, Q_NO_ANSWER, "bus busy");
      busy = true;
      want = { unit: unit, fn: fn, count: count, done: done };
      rxb.splice(0, rxb.length);
      const req = [unit, fn, reg >> 8, reg & 255, count >> 8, count & 255];
      const crc = crc16(req, 6);
      req.push(crc & 255, crc >> 8);
      serial.on("data", onData);
      if (de) digitalWrite(de, 1);
      serial.write(req);
      // Release the bus once the 8 bytes (10 bits each) have left the UART.
      if (de) setTimeout(digitalWrite, Math.ceil(80000 / baud) + 1, de, 0);
      timer = setTimeout(function () {
        timer = 0;
        finish(null, Q_NO_ANSWER, rxb.length ? "incomplete reply" : "no reply");
      }, timeoutMs);
    },
    close() {
      serial.removeListener("data", onData);
      if (timer) clearTimeout(timer);
    },
  };
}
