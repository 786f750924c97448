/**
 * Quantity codes: each fixes a unit and a scale, so a frame carries a small
 * integer and the decoder knows exactly what it means. Append only: a code
 * once published never changes meaning (docs/frame-format.md). The decoders
 * carry the same table; a test holds them together.
 */
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

/** [unit, divisor, decimals, words] for the device's own log lines. */
const FORMAT: { [code: number]: [string, number, number, string] } = {
  1: ["V", 1000, 2, "supply"],
  2: ["\u00b0C", 10, 1, "inside the box"],
  3: ["mm", 1, 0, "level"],
  4: ["%", 10, 1, "full"],
  5: ["L", 1, 0, "holds"],
  6: ["", 1, 0, "running"],
  7: ["bar", 1000, 2, "pressure"],
  8: ["L/h", 1, 0, "flow"],
  9: ["L", 1, 0, "total"],
  10: ["min", 1, 0, "run time"],
  11: ["", 1, 0, "starts"],
  12: ["", 1, 0, "smoke"],
  13: ["m", 1000, 3, "water level"],
  14: ["\u00b0C", 10, 1, "temperature"],
  15: ["%", 10, 1, "soil moisture"],
  16: ["m", 1000, 3, "depth to water"],
};

const SMOKE_WORDS = ["quiet", "ALARM", "fault", "test"];

export function qtyWord(qty: number): string {
  const f = FORMAT[qty];
  return f ? f[3] : "quantity " + qty;
}

export function describe(qty: number, value: number): string {
  const f = FORMAT[qty];
  if (!f) return "quantity " + qty + " = " + value;
  if (qty === QTY_RUNNING) return value ? "running" : "stopped";
  if (qty === QTY_SMOKE) return "smoke " + (SMOKE_WORDS[value] || value);
  return f[3] + " " + (value / f[1]).toFixed(f[2]) + (f[0] ? " " + f[0] : "");
}
