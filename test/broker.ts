/**
 * A real MQTT broker on loopback for the tests. Mosquitto where it is installed (as in CI, which installs
 * the Debian package); elsewhere aedes, a broker from npm, so that `npm install && npm test` passes on a
 * machine that has only Node. Both give what the tests use: anonymous clients, QoS 1, last wills,
 * persistent sessions that outlive a restart, and a TLS listener that requires a client certificate.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import type { Aedes } from "aedes";
import type { Pki } from "./pki";
import { needPackage, noticeOnce, onPath } from "./programs";

export type BrokerName = "Mosquitto" | "aedes";

export interface BrokerOptions {
  /** Plain MQTT on 127.0.0.1, anonymous clients allowed. */
  port: number;
  /** Sessions, their subscriptions and queued messages outlive stop() and start(), as in a deployment. */
  persistent?: boolean;
  /** A second listener with TLS, with the PKI's broker certificate, that requires a client certificate signed by its CA. */
  tls?: { port: number; pki: Pki };
}

export interface Broker {
  readonly name: BrokerName;
  /** Resolves once every listener accepts connections; rejects, saying why, when the broker cannot start. */
  start(): Promise<void>;
  /** Stops the broker and keeps what it stored, for the next start(). */
  stop(): Promise<void>;
  /** Stops the broker for good and removes what it stored. */
  close(): Promise<void>;
}

/** Which broker makeBroker() gives on this machine. */
export function brokerName(): BrokerName {
  return onPath("mosquitto") ? "Mosquitto" : "aedes";
}

export function makeBroker(o: BrokerOptions): Broker {
  return brokerName() === "Mosquitto" ? new Mosquitto(o) : new AedesBroker(o);
}

export async function portOpen(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = net.connect({ host: "127.0.0.1", port }, () => {
      s.destroy();
      res(true);
    });
    s.on("error", () => res(false));
  });
}

const ports = (o: BrokerOptions) => (o.tls ? [o.port, o.tls.port] : [o.port]);

/** Another program on a port would answer in the broker's place and hide that the broker never started. */
async function assertFree(o: BrokerOptions): Promise<void> {
  for (const port of ports(o)) if (await portOpen(port)) throw new Error(`127.0.0.1:${port} is already in use by another program: the MQTT tests cannot start their broker there`);
}

/** The uid and gid of a system user, from /etc/passwd; null where there is none. */
function systemUser(name: string): { uid: number; gid: number } | null {
  try {
    const line = fs.readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith(`${name}:`));
    const f = line?.split(":");
    return f ? { uid: Number(f[2]), gid: Number(f[3]) } : null;
  } catch {
    return null;
  }
}

class Mosquitto implements Broker {
  readonly name = "Mosquitto";
  private proc: ChildProcess | null = null;
  private readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "feldgate-mqtt-"));
  private readonly conf: string;

  constructor(private readonly o: BrokerOptions) {
    const dir = this.dir;
    const lines: string[] = [];
    if (o.tls) {
      const f = (n: string) => o.tls!.pki.file(n);
      lines.push(`listener ${o.tls.port} 127.0.0.1`, `cafile ${f("ca.pem")}`, `certfile ${f("broker.pem")}`, `keyfile ${f("broker.key")}`, "require_certificate true", "use_identity_as_username true");
    }
    lines.push(`listener ${o.port} 127.0.0.1`, "allow_anonymous true", "set_tcp_nodelay true");
    if (o.persistent) {
      const db = path.join(dir, "db");
      fs.mkdirSync(db);
      // Started as root, Mosquitto runs as the user mosquitto and must be able to write its database.
      const user = process.getuid?.() === 0 ? systemUser("mosquitto") : null;
      if (user) {
        fs.chmodSync(dir, 0o755);
        fs.chownSync(db, user.uid, user.gid);
      }
      lines.push("persistence true", `persistence_location ${db}/`);
    }
    this.conf = path.join(dir, "mosquitto.conf");
    fs.writeFileSync(this.conf, lines.join("\n") + "\n");
  }

  async start(): Promise<void> {
    if (this.proc) return;
    await assertFree(this.o);
    const p = spawn("mosquitto", ["-c", this.conf], { stdio: ["ignore", "ignore", "pipe"] });
    this.proc = p;
    let log = "";
    let failed = "";
    p.stderr!.on("data", (d: Buffer) => (log = (log + d.toString()).slice(-2000)));
    p.on("error", (e) => (failed ||= e.message));
    p.on("exit", (code, signal) => (failed ||= `it exited (${signal ?? `code ${code}`})`));
    for (const port of ports(this.o)) {
      for (let i = 0; i < 100 && !failed && !(await portOpen(port)); i++) await new Promise((r) => setTimeout(r, 50));
      if (failed || !(await portOpen(port))) {
        await this.stop();
        throw new Error(`Mosquitto did not open 127.0.0.1:${port}: ${failed || "no listener after 5 s"}\n${log.trim()}`);
      }
    }
  }

  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = null;
    if (!p || p.exitCode !== null || p.signalCode !== null || p.pid === undefined) return;
    await new Promise<void>((res) => {
      p.once("exit", () => res());
      p.kill("SIGTERM");
    });
  }

  async close(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

class AedesBroker implements Broker {
  readonly name = "aedes";
  /** One in-memory store for every start(): what Mosquitto keeps in its database file across a restart. */
  private persistence: unknown = null;
  private running: { aedes: Aedes; servers: net.Server[]; sockets: Set<net.Socket> } | null = null;

  constructor(private readonly o: BrokerOptions) {}

  async start(): Promise<void> {
    if (this.running) return;
    await assertFree(this.o);
    const why = "Mosquitto is not on PATH (apt-get install mosquitto)";
    const { Aedes } = await needPackage("aedes", () => import("aedes"), why);
    if (this.o.persistent && !this.persistence) this.persistence = (await needPackage("aedes-persistence", () => import("aedes-persistence"), why)).default();
    noticeOnce("mosquitto", "Mosquitto not found on PATH: the MQTT tests run against aedes, an MQTT broker from npm, instead. CI runs them against Mosquitto.");
    const aedes = await Aedes.createBroker(this.persistence ? { persistence: this.persistence } : {});
    const sockets = new Set<net.Socket>();
    const servers: net.Server[] = [net.createServer(aedes.handle)];
    if (this.o.tls) {
      const pki = this.o.tls.pki;
      // Like Mosquitto's require_certificate: the handshake fails without a certificate signed by the CA.
      servers.push(tls.createServer({ key: pki.read("broker.key"), cert: pki.read("broker.pem"), ca: pki.read("ca.pem"), requestCert: true, rejectUnauthorized: true }, aedes.handle));
    }
    this.running = { aedes, servers, sockets };
    try {
      await Promise.all(
        servers.map((s, i) => {
          s.on("connection", (c: net.Socket) => (sockets.add(c), c.once("close", () => sockets.delete(c))));
          return new Promise<void>((res, rej) => {
            s.once("error", (e) => rej(new Error(`aedes could not listen on 127.0.0.1:${ports(this.o)[i]}: ${e.message}`)));
            s.listen(ports(this.o)[i], "127.0.0.1", () => res());
          });
        }),
      );
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  async stop(): Promise<void> {
    const r = this.running;
    this.running = null;
    if (!r) return;
    const closed = r.servers.map((s) => new Promise<void>((res) => (s.listening ? s.close(() => res()) : res())));
    // Clients see their connection go, as when Mosquitto stops; the store is kept for the next start().
    await new Promise<void>((res) => r.aedes.close(() => res()));
    // What aedes does not hold, such as a TLS handshake under way.
    for (const c of r.sockets) c.destroy();
    await Promise.all(closed);
  }

  async close(): Promise<void> {
    await this.stop();
    this.persistence = null;
  }
}
