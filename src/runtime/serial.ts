/**
 * A board's UART, as the sensors and the modems on it open theirs: the
 * interpreter's serial object that the board file names (UartPins in
 * boards/types.ts), set up on its pins.
 */
export function openSerial(u: { readonly serial: string; readonly rx: string; readonly tx: string }, baud: number): any {
  const serial = (global as any)[u.serial];
  serial.setup(baud, { rx: u.rx, tx: u.tx });
  return serial;
}
