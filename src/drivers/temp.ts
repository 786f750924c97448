/**
 * DS18B20 temperature probes, several on one OneWire bus, for cold rooms and
 * heat islands. Every probe is its own channel; each scratchpad read is
 * checked with the Dallas CRC-8. Alarms: too warm (with hysteresis), and a
 * door contact left open. See temp.md.
 */
import { claim, num, bad, alarm, qualityWatch, type Alarm } from "./common";
import { type DriverContext, type Sensor } from "./driver";
import { emit, Q_OK, Q_NO_ANSWER, Q_CHECKSUM, Q_RANGE } from "../readings/reading";
import { QTY_TEMP_DC, TEMP_QTY, addWords } from "../readings/quantities";
import { EV_OVER_TEMP, EV_DOOR_OPEN, EV_SENSOR_FAULT, TEMP_EVENTS } from "../readings/events";

// The words of what this driver emits, for the log lines.
addWords(TEMP_QTY, TEMP_EVENTS);

/** Dallas/Maxim CRC-8 (polynomial x^8 + x^5 + x^4 + 1, reflected 0x8C). */
export function crc8(b: number[], n: number): number {
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

/** 16 lower-case hex digits, family code 28 (DS18B20). */
function isRom(r: string): boolean {
  return r.length === 16 && !!/^28[0-9a-f]*$/.exec(r);
}

/** 12-bit conversion time. */
const CONVERT_MS = 750;
/** The power-on value of the scratchpad: the probe was reset and never converted. */
const POWER_ON_RAW = 0x0550;

export function createTemp(c: any, ctx: DriverContext): Sensor {
  const f = ctx.field;
  const hw = ctx.hw;
  const ch = ctx.ch;
  const ow = new OneWire(claim(hw, c.port, "onewire", f + ".port"));
  let roms: string[] = [];
  if (c.probes !== undefined) {
    if (!Array.isArray(c.probes) || !c.probes.length) bad(f + ".probes", "a list of probe ROM codes is needed");
    for (let i = 0; i < c.probes.length; i++) {
      const rom = String(c.probes[i]).toLowerCase();
      if (!isRom(rom)) bad(f + ".probes[" + i + "]", "a DS18B20 ROM code is 16 hex digits starting with 28");
      roms.push(rom);
    }
  }
  const count = roms.length || num(c, "count", f, 1, 10, 1);
  const maxDc = c.maxC === undefined ? 0 : num(c, "maxC", f, -50, 120) * 10;
  const hystDc = num(c, "hystC", f, 0, 20, 1) * 10;
  const doorPin = c.doorPort !== undefined ? claim(hw, c.doorPort, "gpio", f + ".doorPort") : "";
  const doorOpenS = num(c, "doorOpenS", f, 1, 86400, 120);
  const warm: Alarm[] = [];
  const faults: ((q: number) => void)[] = [];
  for (let i = 0; i < count; i++) {
    warm.push(alarm(ch + i, EV_OVER_TEMP, maxDc, hystDc, true));
    faults.push(qualityWatch(ch + i, EV_SENSOR_FAULT));
  }
  const door = alarm(ch, EV_DOOR_OPEN, 0, 0, true);
  let doorTimer = 0;
  let doorWatch = 0;
  if (doorPin) {
    // The contact is closed (high) while the door is shut.
    pinMode(doorPin, "input_pulldown");
    doorWatch = setWatch(function (e) {
      if (doorTimer) clearTimeout(doorTimer);
      doorTimer = 0;
      if (e.state) return door.set(false, 0);
      doorTimer = setTimeout(function () {
        doorTimer = 0;
        door.set(true, doorOpenS);
      }, doorOpenS * 1000);
    }, doorPin, { edge: "both", repeat: true, debounce: 100 });
  }
  const fixed = roms.length > 0;
  const pad: number[] = [];

  function discover(): void {
    if (fixed) return;
    let found: string[] = [];
    try {
      found = ow.search() || [];
    } catch (e) {
      found = [];
    }
    roms = found.filter(function (r: string) { return r.indexOf("28") === 0; }).sort();
  }
  discover();

  function readProbe(i: number): void {
    const rom = roms[i];
    if (!rom || !ow.reset()) return report(i, 0, Q_NO_ANSWER);
    ow.select(rom);
    ow.write(0xbe);
    const b = ow.read(9);
    let allOnes = true;
    for (let k = 0; k < 9; k++) {
      pad[k] = b[k];
      if (b[k] !== 0xff) allOnes = false;
    }
    if (allOnes) return report(i, 0, Q_NO_ANSWER);
    if (crc8(pad, 8) !== pad[8]) return report(i, 0, Q_CHECKSUM);
    let raw = pad[0] | (pad[1] << 8);
    if (raw & 0x8000) raw -= 0x10000;
    if (raw === POWER_ON_RAW) return report(i, 0, Q_NO_ANSWER);
    const dc = Math.round((raw * 10) / 16);
    // The DS18B20 measures -55 to +125 °C; anything else is not a temperature.
    report(i, dc, dc < -550 || dc > 1250 ? Q_RANGE : Q_OK);
  }

  function report(i: number, dc: number, q: number): void {
    emit(ch + i, QTY_TEMP_DC, dc, q);
    faults[i](q);
    if (q === Q_OK && maxDc) warm[i].update(dc);
  }

  return {
    channels: count,
    sample() {
      if (roms.length < count) discover();
      // One conversion for every probe on the bus, then each scratchpad in turn.
      if (!ow.reset()) {
        for (let i = 0; i < count; i++) report(i, 0, Q_NO_ANSWER);
        return;
      }
      ow.skip();
      ow.write(0x44, true);
      setTimeout(function () {
        for (let i = 0; i < count; i++) readProbe(i);
      }, CONVERT_MS);
    },
    close() {
      if (doorWatch) clearWatch(doorWatch);
      if (doorTimer) clearTimeout(doorTimer);
    },
  };
}
