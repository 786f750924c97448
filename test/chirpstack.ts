/**
 * A ChirpStack v4 REST API (the chirpstack-rest-api proxy) on a free local
 * port, for the registration tests: it keeps devices and keys as ChirpStack
 * does, answers with grpc-gateway's statuses (401, 404, 409), and notes every
 * request whose method, path, header or body ChirpStack would not take.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";

const hex = (n: number) => crypto.randomBytes(n).toString("hex").toUpperCase();

export const APP = "3b9d6a8c-1b1e-4f6a-9d36-0c4b7f2a1e01";
export const PROFILE = "9f0c2d44-7b3a-4c1e-8f5d-2a6b1c3d4e5f";
const TENANT = "52f14cd4-c6f1-4fbd-8f87-4025e1d49242";

export interface Fake {
  url: string;
  key: string;
  keyFile: string;
  devices: Map<string, { device: any; keys?: any }>;
  /** Every request, as method and path. */
  seen: string[];
  /** Problems with a request's method, path, headers or body; the test expects none. */
  wrong: string[];
  profile: any;
  close(): Promise<void>;
}

export async function fakeChirpStack(dir: string): Promise<Fake> {
  const key = "eyJ" + hex(24);
  const keyFile = path.join(dir, `api-key-${hex(4)}`);
  fs.writeFileSync(keyFile, key + "\n", { mode: 0o600 });
  const f: Partial<Fake> = { key, keyFile, devices: new Map(), seen: [], wrong: [], profile: { id: PROFILE, tenantId: TENANT, name: "EU868 OTAA 1.0.3", region: "EU868", macVersion: "LORAWAN_1_0_3", supportsOtaa: true } };
  const send = (res: http.ServerResponse, status: number, body: object) => {
    res.writeHead(status, { "Content-Type": "application/json" });
    res.end(JSON.stringify(body));
  };
  // grpc-gateway's errors: {code, message, details}, with the HTTP status of the gRPC code.
  const grpcError = (res: http.ServerResponse, status: number, code: number, message: string) => send(res, status, { code, message, details: [] });
  const server = http.createServer((req, res) => {
    let raw = "";
    req.on("data", (d) => (raw += d));
    req.on("end", () => {
      const m = req.method!;
      const p = req.url!;
      f.seen!.push(`${m} ${p}`);
      if (req.headers["grpc-metadata-authorization"] !== `Bearer ${key}`) return grpcError(res, 401, 16, "authentication failed");
      if (req.headers.accept !== "application/json") f.wrong!.push(`${m} ${p}: Accept ${req.headers.accept}`);
      let body: any = null;
      if (m === "POST" || m === "PUT") {
        if (req.headers["content-type"] !== "application/json") f.wrong!.push(`${m} ${p}: Content-Type ${req.headers["content-type"]}`);
        try {
          body = JSON.parse(raw);
        } catch {
          f.wrong!.push(`${m} ${p}: body is not JSON`);
          return grpcError(res, 400, 3, "bad body");
        }
      } else if (raw) f.wrong!.push(`${m} ${p}: a body on ${m}`);
      let r: RegExpExecArray | null;
      if (m === "GET" && (r = /^\/api\/applications\/([^/]+)$/.exec(p)))
        return r[1] === APP ? send(res, 200, { application: { id: APP, tenantId: TENANT, name: "Weiden" } }) : grpcError(res, 404, 5, "Object does not exist");
      if (m === "GET" && (r = /^\/api\/device-profiles\/([^/]+)$/.exec(p))) return r[1] === PROFILE ? send(res, 200, { deviceProfile: f.profile }) : grpcError(res, 404, 5, "Object does not exist");
      if (m === "POST" && p === "/api/devices") {
        const d = body?.device;
        const keysOk = d && Object.keys(d).every((k) => ["devEui", "joinEui", "name", "description", "applicationId", "deviceProfileId", "isDisabled", "skipFcntCheck", "tags", "variables"].includes(k));
        if (!d || !keysOk || !/^[0-9a-f]{16}$/.test(d.devEui) || !/^[0-9a-f]{16}$/.test(d.joinEui) || d.applicationId !== APP || d.deviceProfileId !== PROFILE || typeof d.name !== "string" || !d.name)
          f.wrong!.push(`POST /api/devices: ${raw}`);
        if (f.devices!.has(d.devEui)) return grpcError(res, 409, 6, "Object already exists");
        f.devices!.set(d.devEui, { device: d });
        return send(res, 200, {});
      }
      if ((r = /^\/api\/devices\/([0-9a-f]{16})(\/keys)?$/.exec(p))) {
        const dev = f.devices!.get(r[1]);
        if (!r[2]) {
          if (m !== "GET") f.wrong!.push(`${m} ${p}`);
          return dev ? send(res, 200, { device: dev.device, createdAt: "2026-01-01T00:00:00Z" }) : grpcError(res, 404, 5, "Object does not exist");
        }
        if (!dev) return grpcError(res, 404, 5, "Object does not exist");
        if (m === "GET") return dev.keys ? send(res, 200, { deviceKeys: dev.keys }) : grpcError(res, 404, 5, "Object does not exist");
        const k = body?.deviceKeys;
        // LoRaWAN 1.0.x: the AppKey in nwkKey (api/device.proto); appKey only for 1.1, here zero.
        if (!k || Object.keys(k).sort().join() !== "appKey,nwkKey" || !/^[0-9a-f]{32}$/.test(k.nwkKey) || k.appKey !== "0".repeat(32)) f.wrong!.push(`${m} ${p}: ${raw}`);
        if (m === "POST") {
          if (dev.keys) return grpcError(res, 409, 6, "Object already exists");
          dev.keys = k;
          return send(res, 200, {});
        }
        if (m === "PUT") {
          if (!dev.keys) return grpcError(res, 404, 5, "Object does not exist");
          dev.keys = k;
          return send(res, 200, {});
        }
      }
      f.wrong!.push(`unknown: ${m} ${p}`);
      grpcError(res, 404, 5, "Not Found");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  f.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  f.close = () => new Promise<void>((r) => server.close(() => r()));
  return f as Fake;
}

