/**
 * The platform's half of bulk acknowledgements (docs/links.md). A gateway
 * sends routine frames unconfirmed and every so often asks (notes key 4) which
 * of its recent frames arrived; this answers on fPort 12 with [seq, bits], bit
 * i set when frame seq − i arrived. A payload codec cannot do it: codecs keep
 * no state between uplinks and cannot send downlinks.
 *
 * Run beside the network server, on its MQTT integration:
 *   npm run acker -- --chirpstack mqtt://127.0.0.1:1883
 *   npm run acker -- --tts mqtts://eu1.cloud.thethings.network:8883 --user app@ttn --pass NNSXS…
 */
import { codec } from "./frames";

/** Sequence numbers remembered per gateway: more than the 32 an answer covers, for frames that arrive out of order. */
const REMEMBER = 128;

export interface AckDownlink {
  fPort: number;
  bytes: number[];
}

export class Acker {
  private readonly recent = new Map<string, number[]>();

  /** A frame arrived from gateway `dev`; returns the answer to queue for it when the frame asked for one. */
  frame(dev: string, fPort: number, bytes: ArrayLike<number>): AckDownlink | null {
    if (fPort !== 10) return null;
    const out = codec.decodeUplink({ bytes: Array.from(bytes), fPort, recvTime: new Date() });
    if (out.errors) return null;
    const seq: number = out.data.frame.seq % 65536;
    let seen = this.recent.get(dev);
    if (!seen) this.recent.set(dev, (seen = []));
    seen.push(seq);
    if (seen.length > REMEMBER) seen.shift();
    if (!out.data.ackRequest) return null;
    let bits = 0;
    for (let i = 0; i < 32; i++) if (seen.includes((seq - i + 65536) % 65536)) bits += 2 ** i;
    const e = codec.encodeDownlink({ data: { command: "ack", seq, bits } });
    return { fPort: e.fPort!, bytes: e.bytes! };
  }
}

export type Flavour = "chirpstack" | "tts";

/** Topics and JSON of ChirpStack v4's and The Things Stack's MQTT integrations. */
export const integrations = {
  chirpstack: {
    subscribe: "application/+/device/+/event/up",
    /** Gateway id, fPort and payload of an uplink event. */
    uplink(topic: string, m: any): { dev: string; fPort: number; bytes: Buffer; reply: string } | null {
      const p = topic.split("/");
      if (!m || typeof m.data !== "string" || typeof m.fPort !== "number") return null;
      return { dev: p[3], fPort: m.fPort, bytes: Buffer.from(m.data, "base64"), reply: `application/${p[1]}/device/${p[3]}/command/down` };
    },
    downlink(dev: string, d: AckDownlink): string {
      return JSON.stringify({ devEui: dev, confirmed: false, fPort: d.fPort, data: Buffer.from(d.bytes).toString("base64") });
    },
  },
  tts: {
    subscribe: "v3/+/devices/+/up",
    uplink(topic: string, m: any): { dev: string; fPort: number; bytes: Buffer; reply: string } | null {
      const u = m && m.uplink_message;
      if (!u || typeof u.frm_payload !== "string" || typeof u.f_port !== "number") return null;
      return { dev: topic.split("/")[3], fPort: u.f_port, bytes: Buffer.from(u.frm_payload, "base64"), reply: topic.replace(/\/up$/, "/down/push") };
    },
    downlink(_dev: string, d: AckDownlink): string {
      return JSON.stringify({ downlinks: [{ f_port: d.fPort, frm_payload: Buffer.from(d.bytes).toString("base64"), priority: "NORMAL" }] });
    },
  },
};

/** Connects to the integration's broker and answers every request. Returns the MQTT client. */
export async function runAcker(flavour: Flavour, url: string, opts: { username?: string; password?: string } = {}) {
  const mqtt = await import("mqtt");
  const it = integrations[flavour];
  const acker = new Acker();
  const client = await mqtt.connectAsync(url, { username: opts.username, password: opts.password, reconnectPeriod: 2000 });
  client.on("message", (topic, payload) => {
    let m: any;
    try {
      m = JSON.parse(payload.toString());
    } catch {
      return;
    }
    const up = it.uplink(topic, m);
    if (!up) return;
    const d = acker.frame(up.dev, up.fPort, up.bytes);
    if (d) client.publish(up.reply, it.downlink(up.dev, d), { qos: 1 });
  });
  await client.subscribeAsync(it.subscribe, { qos: 1 });
  return client;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const a = process.argv.slice(2);
  const flag = (n: string) => {
    const i = a.indexOf(n);
    return i >= 0 ? a[i + 1] : undefined;
  };
  const flavour: Flavour = flag("--tts") ? "tts" : "chirpstack";
  const url = flag("--tts") ?? flag("--chirpstack");
  if (!url) {
    console.error("usage: npm run acker -- --chirpstack mqtt://host:1883 | --tts mqtts://host:8883 [--user U --pass P]");
    process.exit(2);
  }
  runAcker(flavour, url, { username: flag("--user"), password: flag("--pass") }).then(
    () => console.log(`Answering acknowledgement requests on ${url} (${flavour})`),
    (e) => {
      console.error(`Could not connect to ${url}: ${e.message}`);
      process.exit(1);
    },
  );
}
