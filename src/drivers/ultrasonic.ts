/**
 * Ultrasonic distance sensors for tanks and troughs.
 * - A02YYUW / DFRobot SEN0311 style on a UART, 9600 8N1: it streams 4-byte
 *   frames `0xFF H L SUM`, SUM = (0xFF + H + L) & 0xFF, distance = H·256 + L mm.
 * - JSN-SR04T style trigger/echo: a 20 µs trigger pulse, then an echo pulse
 *   as long as the sound's round trip.
 * Both take the median of several measurements and report through `done`.
 */
import type { UartPins } from "../../boards/types";
import { median } from "./common";
import { serialOpen } from "../runtime/serial";
import { SAMPLE_MAX_MS } from "./driver";
import { Q_OK, Q_RANGE, Q_NO_ANSWER, Q_CHECKSUM } from "../readings/reading";

export type DistanceDone = (mm: number, q: number) => void;

/** Half the speed of sound at 20 °C, in mm per second: the echo travels there and back. */
const HALF_SOUND_MM_S = 171500;

export interface DistanceSensor {
  measure(done: DistanceDone): void;
  close(): void;
}

/** The UART kind: listens for a window, keeps frames whose sum is right. */
export function uartUltrasonic(u: UartPins, n: number, minMm: number, maxMm: number): DistanceSensor {
  const serial = serialOpen(u, 9600);
  const vals: number[] = [];
  let count = 0;
  let badSums = 0;
  // The last four bytes seen; a frame is accepted where they make one.
  let b0 = -1;
  let b1 = -1;
  let b2 = -1;
  function onData(d: string): void {
    for (let i = 0; i < d.length; i++) {
      const b3 = d.charCodeAt(i);
      if (b0 === 0xff && b1 >= 0) {
        if (((0xff + b1 + b2) & 0xff) === b3) {
          if (count < n) vals[count++] = b1 * 256 + b2;
          b0 = b1 = b2 = -1;
          continue;
        }
        badSums++;
      }
      b0 = b1;
      b1 = b2;
      b2 = b3;
    }
  }
  return {
    measure(done) {
      count = 0;
      badSums = 0;
      b0 = b1 = b2 = -1;
      serial.on("data", onData);
      setTimeout(function () {
        serial.removeListener("data", onData);
        if (!count) return done(0, badSums ? Q_CHECKSUM : Q_NO_ANSWER);
        const mm = Math.round(median(vals, count));
        done(mm, mm < minMm || mm > maxMm ? Q_RANGE : Q_OK);
      }, SAMPLE_MAX_MS - 500);
    },
    close() {
      serial.removeListener("data", onData);
    },
  };
}

/** The trigger/echo kind: n pings 60 ms apart, each timed from the echo's rising to its falling edge. */
export function echoUltrasonic(trig: string, echo: string, n: number, minMm: number, maxMm: number): DistanceSensor {
  pinMode(trig, "output");
  digitalWrite(trig, 0);
  pinMode(echo, "input");
  const vals: number[] = [];
  let watch = 0;
  return {
    measure(done) {
      let pings = 0;
      let count = 0;
      watch = setWatch(
        function (e) {
          const w = e.time - e.lastTime;
          // An echo longer than 30 ms is no echo (over 5 m): the sensor timed out.
          if (w > 0 && w < 0.03 && count < n) vals[count++] = w * HALF_SOUND_MM_S;
        },
        echo,
        { edge: "falling", repeat: true },
      );
      function ping(): void {
        if (pings++ < n) {
          digitalPulse(trig, true, 0.02);
          setTimeout(ping, 60);
          return;
        }
        clearWatch(watch);
        watch = 0;
        if (!count) return done(0, Q_NO_ANSWER);
        const mm = Math.round(median(vals, count));
        done(mm, mm < minMm || mm > maxMm ? Q_RANGE : Q_OK);
      }
      ping();
    },
    close() {
      if (watch) clearWatch(watch);
    },
  };
}
