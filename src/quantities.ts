/**
 * Quantity codes: each fixes a unit and a scale, so a frame carries a small
 * integer and the decoder knows exactly what it means. Append only: a code
 * once published never changes meaning (docs/frame-format.md).
 */
export const QTY_SUPPLY_MV = 1; // supply voltage, mV
export const QTY_BOARD_TEMP_DC = 2; // board temperature, 0.1 °C

/** Unit and scale for log lines on the device: [unit, divisor, decimals]. */
export const QTY_FORMAT: { [code: number]: [string, number, number, string] } = {
  1: ["V", 1000, 2, "supply"],
  2: ["°C", 10, 1, "inside the box"],
};

export function describe(qty: number, value: number): string {
  const f = QTY_FORMAT[qty];
  if (!f) return "quantity " + qty + " = " + value;
  return f[3] + " " + (value / f[1]).toFixed(f[2]) + " " + f[0];
}
