/**
 * The world around a simulated gateway: what its pins and buses see.
 * `standardWorld` wires a healthy supply; sensor models add themselves here.
 */
import type { SimBoard } from "./board";

/** Supply voltage on the board's divider: 5.0 V by default (USB or a solar regulator). */
export function wireSupply(sim: SimBoard, volts = 5.0): void {
  const s = sim.board.hw.supply;
  if (s) sim.pins.setVolts(s.pin, volts / s.ratio);
}

export function standardWorld(sim: SimBoard): void {
  wireSupply(sim);
}
