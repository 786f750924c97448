/**
 * LoRaWAN through a Seeed Wio-E5 (LoRa-E5 AT Command Specification): replies
 * are "+CMD: …" lines rather than OK; a join runs "+JOIN: Start" … "+JOIN:
 * Done" with "Network joined" or "Join failed" between; a confirmed message
 * runs "+CMSGHEX: Start" … "+CMSGHEX: Done" with "ACK Received" when the
 * network confirmed it and "PORT: n; RX: "…"" for a downlink. Stray "+INFO"
 * and "+LOG" lines are ignored.
 */
import type { FirmwareModem } from "../../boards/types";
import { atPort, type AtPort } from "./at";
import { airtimeMs, waitMs, spend } from "./dutycycle";
import { NOT_SENT, SENT, DELIVERED, PORT_UPLINK, type Link, type DownlinkHandler } from "./link";
import { serialOpen } from "../runtime/serial";
import { log, INFO, WARN } from "../runtime/log";
import { SF, hex, unhex, loraLink, type LoraKeys, loraState } from "./lora-common";
import { backoffMs } from "./backoff";

function endOf(tag: string): (l: string) => boolean {
  return function (l) {
    return l.indexOf("+" + tag + ": Done") === 0;
  };
}

export function wioe5(m: FirmwareModem, keys: LoraKeys, onDownlink: DownlinkHandler): Link {
  const serial = serialOpen(m.uart, m.baud);
  const s = loraState();
  let streak = 0;
  const at: AtPort = atPort(
    serial,
    function (l) {
      return l.charAt(0) === "+";
    },
    function (l) {
      return l.indexOf("+INFO") === 0 || l.indexOf("+LOG") === 0;
    },
    function () {},
  );

  function fail(why: string): void {
    log(WARN, "LoRaWAN modem: " + why);
    s.failures++;
    s.phase = 0;
    s.sending = false;
    if (m.reset) {
      s.resets++;
      digitalPulse(m.reset, false, 10);
    }
    setTimeout(start, backoffMs(5000, streak++));
  }

  function run(cmds: string[], i: number, then: () => void): void {
    if (i >= cmds.length) return then();
    at.cmd(cmds[i], 3000, function (st) {
      if (st === "TIMEOUT" || st.indexOf("ERROR") >= 0) return fail(cmds[i].split("=")[0] + " answered " + st);
      run(cmds, i + 1, then);
    });
  }

  function start(): void {
    if (m.reset) {
      pinMode(m.reset, "output");
      digitalWrite(m.reset, 1);
    }
    run(["AT", "AT+MODE=LWOTAA", "AT+DR=EU868", 'AT+ID=DevEui,"' + keys.devEui + '"', 'AT+ID=AppEui,"' + keys.joinEui + '"', 'AT+KEY=APPKEY,"' + keys.appKey + '"', "AT+ADR=ON", "AT+CLASS=A", "AT+PORT=" + PORT_UPLINK], 0, join);
  }

  function join(): void {
    s.phase = 1;
    const air = airtimeMs(10, 12);
    const wait = waitMs(air);
    if (wait > 0) {
      setTimeout(join, wait);
      return;
    }
    spend(air);
    at.cmd("AT+JOIN", 20000, function (st, lines) {
      let ok = false;
      for (let i = 0; i < lines.length; i++) if (lines[i].indexOf("Network joined") >= 0) ok = true;
      if (st === "TIMEOUT" && !lines.length) return fail("no answer to the join");
      if (!ok) {
        log(WARN, "LoRaWAN: join failed, trying again later");
        s.failures++;
        setTimeout(join, backoffMs(15000, streak++));
        return;
      }
      s.joins++;
      streak = 0;
      log(INFO, "LoRaWAN: joined the network");
      readDr(function () {
        s.phase = 2;
      });
    }, endOf("JOIN"));
  }

  function readDr(then: () => void): void {
    at.cmd("AT+DR", 3000, function (st, lines) {
      if (st === "TIMEOUT") return fail("no answer to AT+DR");
      for (let i = 0; i < lines.length; i++) {
        const k = lines[i].indexOf(" DR");
        if (k >= 0) {
          const n = parseInt(lines[i].substr(k + 3), 10);
          if (!isNaN(n)) s.dr = Math.min(7, Math.max(0, n));
        }
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
      const tag = confirmed ? "CMSGHEX" : "MSGHEX";
      spend(airtimeMs(n, SF[s.dr]));
      at.cmd("AT+" + tag + '="' + hex(bytes, n) + '"', 30000, function (st, lines) {
        s.sending = false;
        if (st === "TIMEOUT" && !lines.length) {
          fail("no answer to a send");
          return done(NOT_SENT);
        }
        let r = NOT_SENT;
        for (let i = 0; i < lines.length; i++) {
          const l = lines[i];
          // "Start": the frame went on air; "ACK Received": the network confirmed it.
          if (l.indexOf(": Start") >= 0 && !confirmed) r = SENT;
          if (l.indexOf("ACK Received") >= 0 && confirmed) r = DELIVERED;
          if (l.indexOf("Please join network first") >= 0 || l.indexOf("Not joined") >= 0) {
            s.phase = 1;
            join();
          }
          // +CMSGHEX: PORT: 11; RX: "0102"
          const p = l.indexOf("PORT: ");
          const x = l.indexOf('RX: "');
          if (p >= 0 && x > p) onDownlink(parseInt(l.substr(p + 6), 10), unhex(l.substr(x + 5, l.length - x - 6)));
        }
        if (s.phase === 2) readDr(function () {});
        done(r);
      }, endOf(tag));
    },
  );
}
