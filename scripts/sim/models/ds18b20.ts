/**
 * DS18B20 temperature probes on a OneWire bus: ROM codes with CRC, scratchpad with CRC, and their faults.
 * The CRC here is written apart from the driver's on purpose: an independent oracle for it.
 */
import type { OneWireDevice } from "../peripherals";

export function crc8(b: ArrayLike<number>, n = b.length): number {
  let crc = 0;
  for (let i = 0; i < n; i++) {
    let x = b[i];
    for (let k = 0; k < 8; k++) {
      const mix = (crc ^ x) & 1;
      crc >>= 1;
      if (mix) crc ^= 0x8c;
      x >>= 1;
    }
  }
  return crc;
}

export class Ds18b20 implements OneWireDevice {
  readonly rom: Uint8Array;
  celsius: number;
  unplugged = false;
  badCrc = false;
  /** Reset without a conversion since: the scratchpad holds the power-on 85 °C. */
  powerOnValue = false;
  private converted = false;
  private pending: number[] = [];

  constructor(serial: number, celsius: number) {
    const r = [0x28, serial & 255, (serial >> 8) & 255, (serial >> 16) & 255, 0, 0, 0];
    this.rom = Uint8Array.from([...r, crc8(r)]);
    this.celsius = celsius;
  }

  present = () => !this.unplugged;

  write(bytes: Uint8Array): void {
    for (const b of bytes) {
      if (b === 0x44) this.converted = !this.powerOnValue;
      if (b === 0xbe) this.pending = this.scratchpad();
    }
  }

  read(n: number): Uint8Array {
    const out = new Uint8Array(n).fill(0xff);
    for (let i = 0; i < n && this.pending.length; i++) out[i] = this.pending.shift()!;
    return out;
  }

  private scratchpad(): number[] {
    const raw = this.converted ? Math.round(this.celsius * 16) & 0xffff : 0x0550;
    const p = [raw & 255, raw >> 8, 0x4b, 0x46, 0x7f, 0xff, 0x0c, 0x10];
    p.push(crc8(p));
    if (this.badCrc) p[8] ^= 0x55;
    return p;
  }
}
