/**
 * Wi-Fi station on the ESP32: connects with a growing wait between tries and
 * reconnects when the access point goes away. After a soft reset the ESP32 can
 * believe it is still associated; disconnecting first makes every boot start
 * from a known state.
 */
import { backoffMs } from "./backoff";

/** Wi-Fi costs no airtime: retry at least every 5 minutes once the access point may be back. */
function wait(): number {
  return Math.min(300000, backoffMs(3000, tries++));
}
import { log, INFO, WARN } from "../runtime/log";

let up = false;
let tries = 0;
let reconnects = 0;

export function wifiStart(ssid: string, password: string): void {
  const W = require("Wifi");
  function connect(): void {
    W.connect(ssid, { password: password }, function (err) {
      if (err) {
        log(WARN, "Wi-Fi: could not connect to " + ssid + " (" + err + ")");
        setTimeout(connect, wait());
        return;
      }
      up = true;
      tries = 0;
      log(INFO, "Wi-Fi: connected to " + ssid);
    });
  }
  W.on("disconnected", function () {
    if (!up) return;
    up = false;
    reconnects++;
    log(WARN, "Wi-Fi: lost " + ssid + ", reconnecting");
    setTimeout(connect, wait());
  });
  W.disconnect();
  connect();
}

/** The network a Wi-Fi link runs over: whether it is up, and how often it was lost. */
export interface Network {
  up(): boolean;
  reconnects(): number;
}

export const wifi: Network = {
  up() {
    return up;
  },
  reconnects() {
    return reconnects;
  },
};
