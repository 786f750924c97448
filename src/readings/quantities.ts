/**
 * Quantity codes: each fixes a unit and a scale, so a frame carries a small
 * integer and the decoder knows exactly what it means. Append only: a code
 * once published never changes meaning (docs/frame-format.md). The decoders
 * carry the same table; a test holds them together.
 */
import { EVENT_WORDS } from "./events";

export const QTY_SUPPLY_MV = 1; // supply voltage, mV
export const QTY_BOARD_TEMP_DC = 2; // temperature inside the gateway, 0.1 °C
export const QTY_LEVEL_MM = 3; // liquid level above the bottom, mm
export const QTY_FILL_PERMILLE = 4; // fill, 0.1 %
export const QTY_VOLUME_L = 5; // volume held, L
export const QTY_RUNNING = 6; // pump running: 0 / 1
export const QTY_PRESSURE_MBAR = 7; // pressure, mbar
export const QTY_FLOW_LPH = 8; // flow rate, L/h
export const QTY_TOTAL_L = 9; // volume passed, running total, L
export const QTY_RUN_MIN = 10; // run time, running total, minutes
export const QTY_STARTS = 11; // starts, running total
export const QTY_SMOKE = 12; // smoke detector: 0 quiet, 1 alarm, 2 fault, 3 test
export const QTY_STAGE_MM = 13; // water level against the gauge datum, mm (signed)
export const QTY_TEMP_DC = 14; // temperature, 0.1 °C
export const QTY_SOIL_PERMILLE = 15; // soil moisture, 0.1 % of the dry–wet span
export const QTY_DEPTH_MM = 16; // groundwater depth below ground, mm

/** [unit, divisor, decimals, words, and for a quantity whose values have words of their own, what gives them]. */
type Format = [string, number, number, string, ((value: number) => string)?];
type Formats = { [code: number]: Format };

/**
 * How the device's own log lines show each quantity. The gateway's own
 * quantities are here; those of each driver go in when its module is in the
 * bundle (addWords), so a bundle carries the words of its own drivers only.
 */
const FORMAT: Formats = {
  1: ["V", 1000, 2, "supply"],
  2: ["\u00b0C", 10, 1, "inside the box"],
};

export const TROUGH_QTY: Formats = {
  3: ["mm", 1, 0, "level"],
  4: ["%", 10, 1, "full"],
  5: ["L", 1, 0, "holds"],
};
export const METER_QTY: Formats = {
  8: ["L/h", 1, 0, "flow"],
  9: ["L", 1, 0, "total"],
};
export const PUMP_QTY: Formats = {
  6: ["", 1, 0, "running", function (v) {
    return v ? "running" : "stopped";
  }],
  7: ["bar", 1000, 2, "pressure"],
  10: ["min", 1, 0, "run time"],
  11: ["", 1, 0, "starts"],
};
const SMOKE_WORDS = ["quiet", "ALARM", "fault", "test"];
export const SMOKE_QTY: Formats = {
  12: ["", 1, 0, "smoke", function (v) {
    return "smoke " + (SMOKE_WORDS[v] || v);
  }],
};
export const LEVEL_QTY: Formats = {
  13: ["m", 1000, 3, "water level"],
  16: ["m", 1000, 3, "depth to water"],
};
export const TEMP_QTY: Formats = { 14: ["\u00b0C", 10, 1, "temperature"] };
export const SOIL_QTY: Formats = { 15: ["%", 10, 1, "soil moisture"] };

/** A driver's quantities and events, for the log lines: called once by the driver's module. */
export function addWords(q: Formats, ev?: { [code: number]: string }): void {
  // Not Object.assign: it breaks on integer keys on 2v29 (docs/espruino-2v29.md, "Objects").
  for (const k in q) FORMAT[k] = q[k];
  if (ev) for (const k in ev) EVENT_WORDS[k] = ev[k];
}

export function qtyWord(qty: number): string {
  const f = FORMAT[qty];
  return f ? f[3] : "quantity " + qty;
}

export function describe(qty: number, value: number): string {
  const f = FORMAT[qty];
  if (!f) return "quantity " + qty + " = " + value;
  if (f[4]) return f[4](value);
  // In whole steps of the last digit shown, not with toFixed: on the interpreter toFixed truncates
  // and drops the carry (jsutils.c 700-707), so 4999 mV would read "4.99 V". Math.pow is exact for
  // these small whole powers (jswrap_math.c 306-315).
  const d = f[2];
  const t = ("" + Math.round((Math.abs(value) * Math.pow(10, d)) / f[1])).padStart(d + 1, "0");
  return f[3] + " " + (value < 0 && +t ? "-" : "") + t.slice(0, t.length - d) + (d ? "." + t.slice(-d) : "") + (f[0] ? " " + f[0] : "");
}
