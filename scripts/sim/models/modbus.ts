/**
 * A Modbus RTU slave (a pump controller or a meter) on an RS-485 line, with its faults.
 * Its CRC-16 is written apart from the driver's on purpose: an independent oracle for it.
 */
import type { SimBoard } from "../board";
import type { Uart } from "../peripherals";

export function crc16(b: Uint8Array | number[]): number {
  let crc = 0xffff;
  for (const x of b) {
    crc ^= x;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >> 1) ^ 0xa001 : crc >> 1;
  }
  return crc;
}

export function withCrc(b: number[]): Uint8Array {
  const c = crc16(b);
  return Uint8Array.from([...b, c & 255, c >> 8]);
}

export class ModbusSlave {
  /** Register values by function (3 holding, 4 input) and address. */
  readonly holding = new Map<number, number>();
  readonly input = new Map<number, number>();
  silent = false;
  badCrc = false;
  /** Answer every request with this exception code. */
  exception = 0;
  replyMs = 15;
  readonly requests: Uint8Array[] = [];
  readonly uart: Uart;
  private rx: number[] = [];

  constructor(sim: SimBoard, serial: string, readonly unit: number) {
    this.uart = sim.uart(serial);
    this.uart.onTx((bytes) => this.hear(bytes));
  }

  private hear(bytes: Uint8Array): void {
    this.rx.push(...bytes);
    if (this.rx.length < 8) return;
    const req = Uint8Array.from(this.rx.splice(0, 8));
    this.requests.push(req);
    const c = crc16(req.subarray(0, 6));
    if (req[0] !== this.unit || req[6] !== (c & 255) || req[7] !== c >> 8 || this.silent) return;
    const fn = req[1];
    const reg = (req[2] << 8) | req[3];
    const n = (req[4] << 8) | req[5];
    let reply: Uint8Array;
    const table = fn === 3 ? this.holding : fn === 4 ? this.input : null;
    let exc = this.exception;
    if (!exc && !table) exc = 1;
    if (!exc) for (let i = 0; i < n; i++) if (!table!.has(reg + i)) exc = 2;
    if (exc) reply = withCrc([this.unit, fn | 0x80, exc]);
    else {
      const body = [this.unit, fn, n * 2];
      for (let i = 0; i < n; i++) {
        const v = table!.get(reg + i)!;
        body.push((v >> 8) & 255, v & 255);
      }
      reply = withCrc(body);
    }
    if (this.badCrc) reply[reply.length - 1] ^= 0xff;
    this.uart.send(reply, this.replyMs);
  }
}
