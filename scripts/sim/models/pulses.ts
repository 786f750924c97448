/**
 * A pulse output (water meter reed, flow meter): 50 ms low pulses at a rate
 * that may change. A push-pull output drives the line high between pulses; a
 * dry contact (a reed, an open collector) only pulls it to ground while
 * closed, and between pulses leaves it to the pin's pull resistor.
 */
import type { SimBoard } from "../board";

export class PulseSource {
  /** Pulses per second. */
  rate: number;
  sent = 0;
  private scheduled = false;
  constructor(private readonly sim: SimBoard, private readonly pin: string, rate = 0, private readonly contact = false) {
    this.rate = rate;
    this.idle();
    this.next();
  }
  /** Change the rate; takes effect from the next pulse. */
  setRate(r: number): void {
    this.rate = r;
    this.next();
  }
  private idle(): void {
    if (this.contact) this.sim.pins.release(this.pin);
    else this.sim.pins.setLevel(this.pin, 1);
  }
  private next(): void {
    if (this.scheduled || this.rate <= 0) return;
    this.scheduled = true;
    this.sim.clock.schedule(1000 / this.rate, () => {
      this.scheduled = false;
      if (this.rate <= 0) return;
      this.sim.pins.setLevel(this.pin, 0);
      this.sim.clock.schedule(50, () => this.idle());
      this.sent++;
      this.next();
    });
  }
}
