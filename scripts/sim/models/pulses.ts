/** A pulse output (water meter reed, flow meter): 50 ms low pulses on an idle-high line, at a rate that may change. */
import type { SimBoard } from "../board";

export class PulseSource {
  /** Pulses per second. */
  rate: number;
  sent = 0;
  private scheduled = false;
  constructor(private readonly sim: SimBoard, private readonly pin: string, rate = 0) {
    this.rate = rate;
    sim.pins.setLevel(pin, 1);
    this.next();
  }
  /** Change the rate; takes effect from the next pulse. */
  setRate(r: number): void {
    this.rate = r;
    this.next();
  }
  private next(): void {
    if (this.scheduled || this.rate <= 0) return;
    this.scheduled = true;
    this.sim.clock.schedule(1000 / this.rate, () => {
      this.scheduled = false;
      if (this.rate <= 0) return;
      this.sim.pins.setLevel(this.pin, 0);
      this.sim.clock.schedule(50, () => this.sim.pins.setLevel(this.pin, 1));
      this.sent++;
      this.next();
    });
  }
}
