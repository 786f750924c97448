import type { Board } from "./types";
import esp32Wifi from "./esp32-wifi";
import esp32Rak3172 from "./esp32-rak3172";
import xiao from "./xiao-nrf52840-wioe5";
import nrf52840dk from "./nrf52840dk-wioe5";
import sim from "./sim";

/** Every supported board, by id. Node side only (build, size, simulator). */
export const boards: readonly Board[] = [esp32Wifi, esp32Rak3172, xiao, nrf52840dk, sim];

export function boardById(id: string): Board {
  for (const b of boards) if (b.id === id) return b;
  throw new Error(`unknown board "${id}"; known: ${boards.map((b) => b.id).join(", ")}`);
}
export type { Board, BoardHw } from "./types";
