/**
 * require("net") on the simulated board: real TCP connections from Node, so
 * the gateway talks to a real broker on this machine. Socket events reach the
 * realm as turns of its event loop whenever they arrive; tests let real time
 * pass with runRealtime() for them to arrive. Only loopback addresses are allowed.
 */
import net from "node:net";
import tls from "node:tls";
import https from "node:https";
import crypto from "node:crypto";

/** Certificates and key as the firmware passes them to require("tls"): DER, as binary strings. */
export interface TlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
}

/**
 * Node's TLS options for what the firmware passed. Espruino 2v29 loads `ca`
 * but does not verify the server's certificate (libs/network/network.c sets
 * MBEDTLS_SSL_VERIFY_NONE); the model does the same, so a test cannot pass
 * here on a check the board would not make.
 */
function tlsOptions(f: TlsFiles): tls.ConnectionOptions {
  const der = (s: string) => Buffer.from(s, "latin1");
  const o: tls.ConnectionOptions = { rejectUnauthorized: false };
  if (f.cert) o.cert = new crypto.X509Certificate(der(f.cert)).toString();
  if (f.key) o.key = crypto.createPrivateKey({ key: der(f.key), format: "der", type: "pkcs8" }).export({ format: "pem", type: "pkcs8" });
  return o;
}

type Deliver = (fn: unknown, args: unknown[]) => void;
type Emitter = { emit(ev: string, d?: unknown): void };

export class NetModel {
  private sockets = new Map<number, net.Socket>();
  private next = 1;
  opened = 0;
  /** Real time (ms) of the last write that has not been answered yet; 0 when none. */
  waitingSince = 0;
  /** Whether the board's network interface is up (Wi-Fi associated); connections fail while it is not. */
  online: () => boolean = () => true;
  constructor(private readonly deliver: Deliver) {}

  closeAll(): void {
    for (const s of this.sockets.values()) s.destroy();
    this.sockets.clear();
  }

  readonly api = {
    connect: (host: string, port: number, em: Emitter, secure?: TlsFiles): number => {
      const id = this.next++;
      if (!/^(127\.\d+\.\d+\.\d+|localhost|::1)$/.test(host) || !this.online()) {
        const why = this.online() ? "only loopback addresses in the simulator" : "no network";
        setImmediate(() => this.deliver((e: Emitter) => e.emit("error", { message: why }), [em]));
        return id;
      }
      this.opened++;
      let s: net.Socket;
      try {
        s = secure ? tls.connect({ host, port, ...tlsOptions(secure) }) : net.connect({ host, port });
      } catch (err) {
        // As the interpreter does for a certificate or key it cannot parse: an exception at connect().
        throw new Error(`HTTPS init failed! ${(err as Error).message}`);
      }
      s.setNoDelay(true);
      this.sockets.set(id, s);
      this.waitingSince = Date.now();
      s.on(secure ? "secureConnect" : "connect", () => this.deliver((e: Emitter) => e.emit("connect"), [em]));
      s.on("data", (b: Buffer) => {
        this.waitingSince = 0;
        this.deliver((e: Emitter, d: string) => e.emit("data", d), [em, b.toString("latin1")]);
      });
      s.on("error", (err) => {
        this.waitingSince = 0;
        this.deliver((e: Emitter, m: string) => e.emit("error", { message: m }), [em, err.message]);
      });
      s.on("close", () => {
        this.waitingSince = 0;
        this.sockets.delete(id);
        this.deliver((e: Emitter) => e.emit("close"), [em]);
      });
      return id;
    },
    write: (id: number, d: string) => {
      const s = this.sockets.get(id);
      if (s && !s.destroyed) {
        if (!this.waitingSince) this.waitingSince = Date.now();
        s.write(Buffer.from(d, "latin1"));
      }
    },
    end: (id: number) => {
      const s = this.sockets.get(id);
      if (s) s.destroy();
    },
  };
}

/**
 * require("http") on the simulated board: client requests over real HTTP to
 * loopback, answered through the realm's event loop.
 */
import http from "node:http";

export class HttpModel {
  private next = 1;
  online: () => boolean = () => true;
  /** Real time (ms) since a request has waited for its answer; 0 when none waits. */
  waitingSince = 0;
  constructor(private readonly deliver: Deliver) {}

  readonly api = {
    request: (opts: { host: string; port: number; path: string; method: string; protocol?: string; headers: Record<string, unknown> } & TlsFiles, body: string, req: Emitter, onRes: unknown, makeRes: (code: number) => Emitter) => {
      const id = this.next++;
      if (!/^(127\.\d+\.\d+\.\d+|localhost)$/.test(opts.host) || !this.online()) {
        setImmediate(() => this.deliver((e: Emitter) => e.emit("error", { message: this.online() ? "only loopback in the simulator" : "no network" }), [req]));
        return id;
      }
      const headers: Record<string, string> = {};
      for (const k of Object.keys(opts.headers || {})) headers[k] = String(opts.headers[k]);
      this.waitingSince = Date.now();
      const onResponse = (res: http.IncomingMessage): void => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          this.waitingSince = 0;
          this.deliver((cb: (x: Emitter) => void) => {
            const em = makeRes(res.statusCode ?? 0);
            if (typeof cb === "function") cb(em);
            em.emit("data", Buffer.concat(chunks).toString("latin1"));
            em.emit("close");
          }, [onRes]);
        });
      };
      const o = { host: opts.host, port: opts.port, path: opts.path, method: opts.method, headers };
      const r = opts.protocol === "https:" ? https.request({ ...o, ...tlsOptions(opts) }, onResponse) : http.request(o, onResponse);
      r.on("error", (err) => {
        this.waitingSince = 0;
        this.deliver((e: Emitter, m: string) => e.emit("error", { message: m }), [req, err.message]);
      });
      r.end(Buffer.from(body, "latin1"));
      return id;
    },
  };
}
