/**
 * The gateway's own readings on channel 0: supply voltage and the
 * temperature inside its box.
 */
import type { FirmwareHw } from "../../boards/types";
import { emit, Q_OK, Q_RANGE, Q_NO_ANSWER } from "../readings/reading";
import { QTY_SUPPLY_MV, QTY_BOARD_TEMP_DC } from "../readings/quantities";

/** Below this the divider reads nothing: it is not fitted, or the input is broken. */
const SUPPLY_MIN_MV = 500;

export function readGateway(hw: FirmwareHw): void {
  if (hw.supply) {
    const mv = Math.round(analogRead(hw.supply.pin) * hw.vref * hw.supply.ratio * 1000);
    // NaN: the pin has no ADC on this build (nrf5x/jshardware.c:1410).
    emit(0, QTY_SUPPLY_MV, mv, isNaN(mv) ? Q_NO_ANSWER : mv < SUPPLY_MIN_MV ? Q_RANGE : Q_OK);
  }
  const c = E.getTemperature();
  if (isNaN(c)) emit(0, QTY_BOARD_TEMP_DC, 0, Q_NO_ANSWER);
  else emit(0, QTY_BOARD_TEMP_DC, Math.round(c * 10), Q_OK);
}
