/**
 * LoRaWAN through a RAK3172 with RUI3 firmware, on a UART (RUI3 AT Command
 * Manual): OTAA join with the device's keys, randomised growing backoff,
 * confirmed and unconfirmed uplinks on fPort 10, downlinks from
 * "+EVT:RX_…" lines, the data rate read after every send (ADR stays on) for
 * the payload limit, and a modem that stops answering reset through its pin.
 */
import type { FirmwareModem } from "../../boards/types";
import { atPort, type AtPort } from "./at";
import { airtimeMs, waitMs, spend } from "./dutycycle";
import { NOT_SENT, SENT, DELIVERED, PORT_UPLINK, type Link, type DownlinkHandler } from "./link";
import { serialOpen } from "../runtime/serial";
import { log, INFO, WARN } from "../runtime/log";
import { SF, hex, unhex, loraLink, type LoraKeys, loraState } from "./lora-common";
import { backoffMs } from "./backoff";

const STATUS = /^(OK|AT_ERROR|AT_PARAM_ERROR|AT_BUSY_ERROR|AT_TEST_PARAM_OVERFLOW|AT_NO_NETWORK_JOINED|AT_RX_ERROR|AT_DUTYCYCLE_RESTRICTED|AT_COMMAND_NOT_FOUND)$/;

function isEvent(l: string): boolean {
  return l.indexOf("+EVT:") === 0;
}

export function rak3172(m: FirmwareModem, keys: LoraKeys, onDownlink: DownlinkHandler): Link {
  const serial = serialOpen(m.uart, m.baud);
  const s = loraState();
  let cfm = -1;
  let joinTries = 0;
  /** Failures in a row since the last join: every one doubles the wait before the next try. */
  let streak = 0;
  let waitEvt: ((l: string) => boolean) | null = null;
  let evtTimer = 0;

  function onEvent(l: string): void {
    if (l.indexOf("+EVT:RX_") === 0) {
      // +EVT:RX_1:<rssi>:<snr>:UNICAST:<port>:<hex>
      const p = l.split(":");
      if (p.length >= 7) onDownlink(parseInt(p[5], 10), unhex(p[6]));
    }
    if (waitEvt && waitEvt(l)) {
      waitEvt = null;
      if (evtTimer) clearTimeout(evtTimer);
      evtTimer = 0;
    }
  }

  const at: AtPort = atPort(serial, function (l) { return STATUS.test(l); }, isEvent, onEvent);

  /** Waits for an event line that `fn` accepts, or calls onTimeout. */
  function expect(fn: (l: string) => boolean, ms: number, onTimeout: () => void): void {
    waitEvt = fn;
    evtTimer = setTimeout(function () {
      evtTimer = 0;
      waitEvt = null;
      onTimeout();
    }, ms);
  }

  function reset(): void {
    s.failures++;
    s.phase = 0;
    cfm = -1;
    s.sending = false;
    if (m.reset) {
      s.resets++;
      digitalPulse(m.reset, false, 10);
    }
    // Grow the wait with every failure in a row, and spread it so a village of gateways does not retry together.
    setTimeout(start, backoffMs(5000, streak++));
  }

  function run(cmds: string[], i: number, then: () => void): void {
    if (i >= cmds.length) return then();
    at.cmd(cmds[i], 3000, function (st) {
      if (st === "OK") return run(cmds, i + 1, then);
      log(WARN, "LoRaWAN modem: " + cmds[i].split("=")[0] + " answered " + st);
      reset();
    });
  }

  function start(): void {
    if (m.reset) {
      pinMode(m.reset, "output");
      digitalWrite(m.reset, 1);
    }
    run(["AT", "AT+NWM=1", "AT+NJM=1", "AT+BAND=4", "AT+DEVEUI=" + keys.devEui, "AT+APPEUI=" + keys.joinEui, "AT+APPKEY=" + keys.appKey, "AT+ADR=1", "AT+CLASS=A"], 0, join);
  }

  function join(): void {
    s.phase = 1;
    // A join request at DR0 is about 1.5 s of airtime: the duty cycle holds it back too.
    const air = airtimeMs(10, 12);
    const wait = waitMs(air);
    if (wait > 0) {
      setTimeout(join, wait);
      return;
    }
    at.cmd("AT+JOIN=1:0:10:1", 3000, function (st) {
      if (st !== "OK") return reset();
      spend(air);
      joinTries++;
      expect(function (l) {
        if (l === "+EVT:JOINED") {
          s.joins++;
          joinTries = 0;
          streak = 0;
          log(INFO, "LoRaWAN: joined the network");
          readDr(function () {
            s.phase = 2;
          });
          return true;
        }
        if (l.indexOf("+EVT:JOIN_FAILED") === 0) {
          log(WARN, "LoRaWAN: join failed, trying again later");
          retryJoin();
          return true;
        }
        return false;
      }, 30000, retryJoin);
    });
  }

  function retryJoin(): void {
    s.failures++;
    setTimeout(join, backoffMs(15000, joinTries));
  }

  function readDr(then: () => void): void {
    at.cmd("AT+DR=?", 3000, function (st, lines) {
      if (st !== "OK") return reset();
      for (let i = 0; i < lines.length; i++) {
        const v = lines[i].split("=");
        if (v.length === 2 && !isNaN(parseInt(v[1], 10))) s.dr = Math.min(7, Math.max(0, parseInt(v[1], 10)));
      }
      then();
    });
  }

  start();

  return loraLink(
    s,
    at,
    function (bytes, n, confirmed, done) {
      s.sending = true;
      const finish = function (r: number): void {
        s.sending = false;
        // ADR may have moved the data rate: read it before the next frame is sized.
        if (s.phase === 2) readDr(function () {});
        done(r);
      };
      const go = function (): void {
        at.cmd("AT+SEND=" + PORT_UPLINK + ":" + hex(bytes, n), 3000, function (st) {
          if (st === "AT_NO_NETWORK_JOINED") {
            s.phase = 1;
            s.sending = false;
            join();
            return done(NOT_SENT);
          }
          if (st === "TIMEOUT") {
            reset();
            return done(NOT_SENT);
          }
          if (st !== "OK") return finish(NOT_SENT);
          spend(airtimeMs(n, SF[s.dr]));
          expect(function (l) {
            if (l === "+EVT:SEND_CONFIRMED_OK") finish(DELIVERED);
            else if (l.indexOf("+EVT:SEND_CONFIRMED_FAILED") === 0) finish(NOT_SENT);
            else if (l === "+EVT:TX_DONE" && !confirmed) finish(SENT);
            else return false;
            return true;
          }, 40000, function () {
            finish(NOT_SENT);
          });
        });
      };
      const c = confirmed ? 1 : 0;
      if (c === cfm) return go();
      at.cmd("AT+CFM=" + c, 3000, function (st) {
        if (st !== "OK") {
          s.sending = false;
          reset();
          return done(NOT_SENT);
        }
        cfm = c;
        go();
      });
    },
  );
}
