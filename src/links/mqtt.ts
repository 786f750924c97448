/**
 * MQTT 3.1.1 (OASIS standard) over require("net") or require("tls"), written here because
 * Espruino's MQTT module is fetched online and is not in the firmware. QoS 1
 * publishes of frames (PUBACK is the delivery), a subscription to the
 * gateway's downlink topic, keepalive pings, clean or persistent sessions, and
 * a last will that tells the platform the gateway went offline. Topics:
 * docs/links.md.
 */
import { NOT_SENT, DELIVERED, PORT_DOWNLINK, type Link, type DownlinkHandler } from "./link";
import { backoffMs } from "./backoff";
import { log, INFO, WARN } from "../runtime/log";
import type { Network } from "./wifi";

export interface MqttConfig {
  host: string;
  port: number;
  clientId: string;
  user?: string;
  pass?: string;
  /** Seconds between pings when idle. */
  keepalive: number;
  clean: boolean;
  /** Topic prefix: <prefix>/up, <prefix>/down, <prefix>/state. */
  prefix: string;
  /** Connect over require("tls") with these options (ca, cert, key as DER), or plain TCP when absent. */
  tls?: object;
}

/** Control packet types (MQTT 3.1.1, 2.2.1), as the high nibble of the first byte. */
const CONNECT = 1;
const CONNACK = 2;
const PUBLISH = 3;
const PUBACK = 4;
const SUBSCRIBE = 8;
const PINGREQ = 12;
const PINGRESP = 13;
/** A packet's first byte is its type << 4 and flags (2.2.2): SUBSCRIBE has 0b0010; PUBLISH 0b0010 for QoS 1, 0b0001 to retain. */
const QOS1 = 2;
const RETAIN = 1;

function chr(n: number): string {
  return String.fromCharCode(n & 255);
}
function str16(s: string): string {
  return chr(s.length >> 8) + chr(s.length) + s;
}
function packet(type: number, body: string): string {
  let n = body.length;
  let len = "";
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 128;
    len += chr(b);
  } while (n > 0);
  return chr(type) + len + body;
}

export function mqttLink(cfg: MqttConfig, onDownlink: DownlinkHandler, wifi: Network): Link {
  const net = require(cfg.tls ? "tls" : "net");
  let sock: any = null;
  let state = 0; // 0 down, 1 connecting, 2 connected
  let buf = "";
  let pid = 1;
  let waiting: ((r: number) => void) | null = null;
  let waitPid = -1;
  let waitTimer = 0;
  let lastOut = 0;
  let pingTimer = 0;
  let pongDue = 0;
  let retry = 0;
  let connects = 0;
  let failures = 0;
  const up = cfg.prefix + "/up";
  const down = cfg.prefix + "/down";
  const stateTopic = cfg.prefix + "/state";

  function send(p: string): void {
    if (!sock) return;
    lastOut = getTime();
    sock.write(p);
  }

  function settle(ok: boolean): void {
    if (waitTimer) clearTimeout(waitTimer);
    waitTimer = 0;
    const w = waiting;
    waiting = null;
    waitPid = -1;
    if (w) w(ok ? DELIVERED : NOT_SENT);
  }

  function drop(why: string): void {
    if (state === 0) return;
    if (state === 2) log(WARN, "MQTT: connection lost (" + why + ")");
    state = 0;
    failures++;
    if (pingTimer) clearInterval(pingTimer);
    pingTimer = 0;
    const s = sock;
    sock = null;
    buf = "";
    if (s) {
      try {
        s.end();
      } catch (e) {
        // already closed
      }
    }
    settle(false);
    setTimeout(connect, backoffMs(2000, retry++));
  }

  function handle(type: number, flags: number, body: string): void {
    if (type === CONNACK) {
      // Return code 0 accepts.
      if (body.charCodeAt(1) !== 0) return drop("refused, code " + body.charCodeAt(1));
      state = 2;
      retry = 0;
      // A ping left unanswered on the last connection says nothing about this one.
      pongDue = 0;
      connects++;
      log(INFO, "MQTT: connected to " + cfg.host);
      send(packet((SUBSCRIBE << 4) | QOS1, chr(0) + chr(1) + str16(down) + chr(1)));
      send(packet((PUBLISH << 4) | RETAIN, str16(stateTopic) + "online"));
      pingTimer = setInterval(ping, 1000 * Math.max(5, cfg.keepalive / 2));
    } else if (type === PUBACK) {
      const id = (body.charCodeAt(0) << 8) | body.charCodeAt(1);
      if (id === waitPid) settle(true);
    } else if (type === PUBLISH) {
      // A downlink.
      const tl = (body.charCodeAt(0) << 8) | body.charCodeAt(1);
      const topic = body.substr(2, tl);
      let o = 2 + tl;
      const qos = (flags >> 1) & 3;
      if (qos > 0) {
        send(packet(PUBACK << 4, body.substr(o, 2)));
        o += 2;
      }
      if (topic === down) {
        const data: number[] = [];
        for (let i = o; i < body.length; i++) data.push(body.charCodeAt(i));
        onDownlink(PORT_DOWNLINK, data);
      }
    } else if (type === PINGRESP) pongDue = 0;
  }

  function onData(d: string): void {
    buf += d;
    for (;;) {
      if (buf.length < 2) return;
      let len = 0;
      let mul = 1;
      let i = 1;
      let b = 0;
      do {
        if (i >= buf.length) return;
        b = buf.charCodeAt(i++);
        len += (b & 127) * mul;
        mul *= 128;
      } while (b & 128 && i < 5);
      if (buf.length < i + len) return;
      const h = buf.charCodeAt(0);
      const body = buf.substr(i, len);
      buf = buf.substr(i + len);
      handle(h >> 4, h & 15, body);
    }
  }

  function ping(): void {
    if (state !== 2) return;
    const t = getTime();
    if (pongDue && t > pongDue) return drop("no answer to a ping");
    if (t - lastOut >= cfg.keepalive / 2) {
      send(chr(PINGREQ << 4) + chr(0));
      pongDue = t + cfg.keepalive;
    }
  }

  function connect(): void {
    if (state !== 0) return;
    if (!wifi.up()) {
      // Asking Wi-Fi costs nothing on air: look again soon, so the broker is back within seconds of the access point.
      setTimeout(connect, 5000);
      return;
    }
    state = 1;
    let flags = (cfg.clean ? 2 : 0) | 4 | 8 | 32; // will: QoS 1, retained
    let payload = str16(cfg.clientId) + str16(stateTopic) + str16("offline");
    if (cfg.user) {
      flags |= 128;
      payload += str16(cfg.user);
      if (cfg.pass) {
        flags |= 64;
        payload += str16(cfg.pass);
      }
    }
    const s = net.connect(Object.assign({ host: cfg.host, port: cfg.port }, cfg.tls), function () {
      if (sock !== s) return;
      send(packet(CONNECT << 4, str16("MQTT") + chr(4) + chr(flags) + chr(cfg.keepalive >> 8) + chr(cfg.keepalive) + payload));
    });
    sock = s;
    s.on("data", function (d: string) {
      if (sock === s) onData(d);
    });
    s.on("close", function () {
      if (sock === s) drop("closed");
    });
    s.on("error", function (e: any) {
      if (sock === s) drop(e && e.message ? e.message : "error");
    });
  }

  connect();

  return {
    name: "mqtt",
    ready() {
      return state === 2 && waiting === null;
    },
    maxPayload() {
      return 1024;
    },
    waitFor() {
      return 0;
    },
    send(bytes, n, _confirmed, done) {
      if (state !== 2) return done(NOT_SENT);
      pid = (pid % 65535) + 1;
      waitPid = pid;
      waiting = done;
      let payload = "";
      for (let i = 0; i < n; i++) payload += chr(bytes[i]);
      send(packet((PUBLISH << 4) | QOS1, str16(up) + chr(pid >> 8) + chr(pid) + payload));
      // A broker slow to acknowledge is waited for; the connection is dropped only by keepalive.
      waitTimer = setTimeout(function () {
        waitTimer = 0;
        drop("no PUBACK");
      }, 60000);
    },
    stats() {
      return [wifi.up() ? (state === 2 ? 2 : 1) : 0, connects, failures, wifi.reconnects()];
    },
  };
}
