/**
 * HTTP(S) POST of frames (Content-Type: application/cbor) over require("http"),
 * for platforms without MQTT. A 2xx answer is the delivery; anything else, or
 * no answer, and the frame stays in the buffer to be sent again.
 */
import { NOT_SENT, DELIVERED, type Link } from "./link";
import { backoffMs } from "./backoff";
import { log, WARN } from "../runtime/log";
import type { Network } from "./wifi";

export interface HttpConfig {
  host: string;
  port: number;
  path: string;
  /** HTTPS with these options (ca, cert, key as DER), or plain HTTP when absent. */
  tls?: object;
}

export function httpLink(cfg: HttpConfig, wifi: Network): Link {
  const http = require("http");
  let busy = false;
  let notBefore = 0;
  let failures = 0;
  /** Requests the endpoint answered, whatever the status: the connections it took. */
  let answered = 0;
  let streak = 0;
  return {
    name: "http",
    ready() {
      return !busy && wifi.up() && getTime() >= notBefore;
    },
    maxPayload() {
      return 1024;
    },
    waitFor() {
      return 0;
    },
    send(bytes, n, _confirmed, done) {
      busy = true;
      let body = "";
      for (let i = 0; i < n; i++) body += String.fromCharCode(bytes[i]);
      let settled = false;
      const finish = function (ok: boolean, why: string): void {
        if (settled) return;
        settled = true;
        busy = false;
        if (ok) streak = 0;
        else {
          failures++;
          log(WARN, "HTTP: frame not taken (" + why + ")");
          notBefore = getTime() + backoffMs(2000, streak++) / 1000;
        }
        done(ok ? DELIVERED : NOT_SENT);
      };
      const req = http.request(Object.assign({ host: cfg.host, port: cfg.port, path: cfg.path, method: "POST", protocol: cfg.tls ? "https:" : "http:", headers: { "Content-Type": "application/cbor", "Content-Length": n } }, cfg.tls), function (res: any) {
        const code = +res.statusCode;
        answered++;
        res.on("data", function () {});
        res.on("close", function () {
          finish(code >= 200 && code < 300, "status " + code);
        });
      });
      req.on("error", function (e: any) {
        finish(false, e && e.message ? e.message : "error");
      });
      setTimeout(function () {
        finish(false, "no answer");
      }, 30000);
      req.end(body);
    },
    stats() {
      return [wifi.up() ? (streak ? 1 : 2) : 0, answered, failures, wifi.reconnects()];
    },
  };
}
