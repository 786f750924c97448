/** LoRaWAN around a simulated board: its modem model, a network server, and a device identity made for the run. */
import crypto from "node:crypto";
import type { SimBoard } from "./board";
import { SimNetworkServer } from "./network";
import { Rak3172 } from "./models/rak3172";
import { WioE5 } from "./models/wioe5";

/** A fresh identity for a simulated board: random keys, made for the run and never stored in the repository. */
export function makeIdentity(): { v: number; devEui: string; joinEui: string; appKey: string } {
  return {
    v: 1,
    devEui: "70B3D57ED0" + crypto.randomBytes(3).toString("hex").toUpperCase(),
    joinEui: "0000000000000000",
    appKey: crypto.randomBytes(16).toString("hex").toUpperCase(),
  };
}

export interface Lorawan {
  ns: SimNetworkServer;
  modem: Rak3172 | WioE5;
}

/** Provisions an identity and wires the board's modem (RAK3172 or Wio-E5) to a network server. */
export function attachLorawan(sim: SimBoard): Lorawan {
  if (!sim.board.hw.modem) throw new Error(`${sim.board.id} has no LoRaWAN modem`);
  sim.writeIdentity(makeIdentity());
  return attachModem(sim);
}

/** Wires the board's modem to a network server, for a board whose flash already holds its identity. */
export function attachModem(sim: SimBoard, ns = new SimNetworkServer()): Lorawan {
  const m = sim.board.hw.modem;
  if (!m) throw new Error(`${sim.board.id} has no LoRaWAN modem`);
  return { ns, modem: m.kind === "rak3172" ? new Rak3172(sim, m.uart.serial, ns, m.reset) : new WioE5(sim, m.uart.serial, ns, m.reset) };
}
