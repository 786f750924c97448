/** Ultrasonic distance sensors as the firmware sees them, with their faults. Frame checksums are computed here apart from the driver: an independent oracle. */
import type { SimBoard } from "../board";
import type { Uart } from "../peripherals";

type Value = number | (() => number);
const valueOf = (v: Value) => (typeof v === "number" ? v : v());

/**
 * A02YYUW / DFRobot SEN0311: streams `0xFF H L SUM` every 100 ms at 9600 baud.
 * It streams only while the firmware listens: the bytes it would send
 * otherwise change nothing and would cost the simulation millions of events.
 */
export class A02yyuw {
  distance: Value;
  /** Every frame goes out with a wrong checksum. */
  badChecksum = false;
  /** The same frame forever, whatever the water does. */
  stuckAt: number | null = null;
  readonly uart: Uart;
  private timer = false;

  constructor(private readonly sim: SimBoard, serial: string, distanceMm: Value) {
    this.distance = distanceMm;
    this.uart = sim.uart(serial);
    this.uart.onListen((on) => on && this.tick());
  }

  /** Unplugged: nothing arrives. */
  set unplugged(v: boolean) {
    this.uart.unplugged = v;
  }

  frame(mm: number): Uint8Array {
    const h = (mm >> 8) & 255;
    const l = mm & 255;
    const sum = (0xff + h + l) & 255;
    return Uint8Array.of(0xff, h, l, this.badChecksum ? sum ^ 0x5a : sum);
  }

  private tick(): void {
    if (this.timer) return;
    this.timer = true;
    this.sim.clock.schedule(100, () => {
      this.timer = false;
      if (!this.uart.listening) return;
      if (this.uart.baud === 9600) {
        const mm = this.stuckAt ?? Math.max(0, Math.round(valueOf(this.distance)));
        this.uart.send(this.frame(mm), 0);
      }
      this.tick();
    });
  }
}

/** Half the speed of sound at 20 °C, mm/s. */
const HALF_SOUND_MM_S = 171500;

/** JSN-SR04T: after a trigger pulse, an echo pulse as long as the round trip; none when unplugged. */
export class JsnSr04t {
  distance: Value;
  unplugged = false;
  constructor(sim: SimBoard, trig: string, echo: string, distanceMm: Value) {
    this.distance = distanceMm;
    sim.pins.onWrite(trig, (level) => {
      if (level !== 1 || this.unplugged) return;
      const widthMs = (valueOf(this.distance) / HALF_SOUND_MM_S) * 1000;
      sim.clock.schedule(0.5, () => sim.pins.setLevel(echo, 1));
      sim.clock.schedule(0.5 + widthMs, () => sim.pins.setLevel(echo, 0));
    });
  }
}
