/**
 * The world around a simulated gateway: what its pins and buses see.
 * `standardWorld` wires a healthy supply; `demoWorld` plays a day on the
 * demo pasture (scripts/sites/demo.json) for `npm start`.
 */
import type { SimBoard } from "./board";
import { A02yyuw } from "./models/ultrasonic";
import { transmitter } from "./models/analog";
import { PulseSource } from "./models/pulses";
import { Ds18b20 } from "./models/ds18b20";

/**
 * Supply voltage on the board's divider: 5.0 V by default (USB or a solar
 * regulator). A switched divider (the XIAO's VBAT_ENABLE) gives it only while
 * the firmware drives its switch on.
 */
export function wireSupply(sim: SimBoard, volts = 5.0): void {
  const s = sim.board.hw.supply;
  if (!s) return;
  const e = s.enable;
  sim.pins.setVolts(s.pin, e ? () => (sim.pins.modeOf(e) === "output" && sim.pins.read(e) === 1 ? volts / s.ratio : 0) : volts / s.ratio);
}

export function standardWorld(sim: SimBoard): void {
  wireSupply(sim);
}

const MIN = 60_000;

/**
 * The demo pasture, wired as the sim board's demo site:
 * - the trough's float valve sticks at 0:20, the herd drinks it down on a hot
 *   afternoon, the low alarm goes off, and the farmer frees the valve at 2:10:
 *   refill, alarm cleared;
 * - the well pump runs 20 minutes every hour at 3.5 bar and 2400 L/h;
 * - welding in the barn sets the smoke detector off for 40 seconds at 1:20;
 * - the trough water is at 9.5 °C.
 */
export function demoWorld(sim: SimBoard): void {
  standardWorld(sim);
  const t0 = sim.clock.mono;
  const at = (m: number, fn: () => void) => sim.clock.schedule(t0 + m * MIN - sim.clock.mono, fn);

  // Trough: 800 mm from sensor to bottom, 600 mm deep. The valve keeps it at 480 mm until it sticks.
  let level = 480;
  let valveStuck = false;
  const drinkMmPerMin = 3.5;
  let lastMin = 0;
  const trough = () => {
    const m = (sim.clock.mono - t0) / MIN;
    if (valveStuck) level = Math.max(0, level - drinkMmPerMin * (m - lastMin));
    lastMin = m;
    return 800 - level;
  };
  new A02yyuw(sim, "Serial3", trough);
  at(20, () => (valveStuck = true));
  at(130, () => {
    trough();
    valveStuck = false;
    level = 480;
  });

  // Well pump on port 2 (run contact D26), pressure on port 1 (D36), flow pulses on port 1 (D25).
  let running = false;
  transmitter(sim, "D36", 150, () => (running ? 3500 : 2800), 0, 10000);
  const flow = new PulseSource(sim, "D25", 0);
  for (let h = 0; h < 48; h++) {
    at(h * 60 + 5, () => {
      running = true;
      sim.pins.setLevel("D26", 1);
      flow.setRate(2400 / 10 / 3600);
    });
    at(h * 60 + 25, () => {
      running = false;
      sim.pins.setLevel("D26", 0);
      flow.setRate(0);
    });
  }

  // Smoke detector on port 3: fault line (D32) closed while healthy; alarm contact D27.
  sim.pins.setLevel("D32", 1);
  at(80, () => {
    sim.pins.setLevel("D27", 1);
    sim.clock.schedule(40_000, () => sim.pins.setLevel("D27", 0));
  });

  sim.oneWire("D13").devices.push(new Ds18b20(0x51, 9.5));
}
