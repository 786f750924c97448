/**
 * The build's UARTs, checked before they are used. Serial.setup reports its
 * own failures by printing and returning (nrf5x/jshardware.c:1903-1906:
 * neither pin known), and a pin the build lacks leaves that side of the line
 * unconnected (1942-1943): a missing UART would go unnoticed. So the UART and
 * both pins are checked first, and a missing one is thrown, named.
 */
import { fail, why } from "./log";

export function serialOpen(u: { readonly serial: string; readonly rx: string; readonly tx: string }, baud: number): any {
  const s = (global as any)[u.serial];
  if (!s) fail(u.serial + ": not on this build");
  for (const p of [u.rx, u.tx])
    try {
      // Without a mode, pinMode changes nothing, but throws "Invalid pin" for a pin the build lacks (jswrap_io.c:476-484).
      pinMode(p);
    } catch (e) {
      fail(p + ": " + why(e));
    }
  s.setup(baud, { rx: u.rx, tx: u.tx });
  return s;
}
