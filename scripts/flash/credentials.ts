/**
 * A gateway's own Wi-Fi, MQTT and HTTP credentials and TLS files, given per
 * device with `npm run flash -- --credentials <file>`:
 *
 *   { "wifi": { "ssid": "...", "pass": "..." },
 *     "mqtt": { "host": "...", "port": 8883, "user": "...", "pass": "...", "tls": true },
 *     "tls":  { "ca": "ca.pem", "cert": "gw.pem", "key": "gw.key" } }
 *
 * The records go into fg.id as the firmware reads them (src/links/index.ts);
 * the PEM files named under "tls" (relative to the credentials file) become
 * fg.tls.ca, fg.tls.crt and fg.tls.key, DER with the key as PKCS#8, which is
 * what the firmware hands to require("tls") (docs/links.md, "TLS"). Nothing
 * here prints a secret: errors name the field, never its value.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Board } from "../../boards/types";
import { FILE } from "../../src/store/storage-layout";
import type { StorageFile } from "./espruino";

export interface Credentials {
  /** Records for fg.id: wifi, mqtt, http, as given. */
  identity: { wifi?: object; mqtt?: object; http?: object };
  /** fg.tls.ca, fg.tls.crt, fg.tls.key: those given, as DER. */
  files: StorageFile[];
  /** For the export file: the records and the TLS files as PEM. */
  exported: object;
  /** What the technician may see: which links and files, never a secret. */
  summary: string;
}

type Field = "string" | "number" | "boolean";
const FIELDS: Record<string, Record<string, Field>> = {
  wifi: { ssid: "string", pass: "string" },
  mqtt: { host: "string", port: "number", user: "string", pass: "string", tls: "boolean", clientId: "string", keepalive: "number", clean: "boolean" },
  http: { host: "string", port: "number", path: "string", tls: "boolean" },
  tls: { ca: "string", cert: "string", key: "string" },
};
const REQUIRED: Record<string, string[]> = { wifi: ["ssid"], mqtt: ["host"], http: ["host"], tls: [] };

/** The credentials in `file`, checked against the board; throws an Error that says what to fix. */
export function readCredentials(file: string, board: Board): Credentials {
  let c: Record<string, Record<string, unknown>>;
  try {
    c = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`The credentials file ${file} could not be read as JSON: ${(e as Error).message}`);
  }
  const bad = (what: string) => new Error(`The credentials file ${file}: ${what}. Fix the file and run npm run flash again.`);
  if (!c || typeof c !== "object" || Array.isArray(c)) throw bad("it must hold a JSON object");
  for (const [k, rec] of Object.entries(c)) {
    const fields = FIELDS[k];
    if (!fields) throw bad(`"${k}" is not a record feldgate reads (it reads ${Object.keys(FIELDS).join(", ")})`);
    if (!rec || typeof rec !== "object" || Array.isArray(rec)) throw bad(`"${k}" must be an object`);
    for (const [f, v] of Object.entries(rec)) {
      if (!fields[f]) throw bad(`"${k}.${f}" is not a field feldgate reads (${k} has ${Object.keys(fields).join(", ")})`);
      if (typeof v !== fields[f]) throw bad(`"${k}.${f}" must be a ${fields[f]}`);
    }
    for (const f of REQUIRED[k]) if (rec[f] === undefined || rec[f] === "") throw bad(`"${k}.${f}" is missing`);
  }
  const links = ["wifi", "mqtt", "http"].filter((k) => c[k]);
  if ((c.mqtt || c.http) && !c.wifi) throw bad(`"mqtt" and "http" go over Wi-Fi: add a "wifi" record`);
  if (c.wifi && !c.mqtt && !c.http) throw bad(`"wifi" alone sends nothing: add an "mqtt" or "http" record`);
  if (links.length && !board.hw.wifi) throw bad(`${board.id} has no Wi-Fi; its credentials file may not hold ${links.map((k) => `"${k}"`).join(", ")}`);
  const wantsTls = (c.mqtt?.tls ?? c.http?.tls) === true;
  if (wantsTls && !board.crypto?.tls) throw bad(`the Espruino build of ${board.id} has no TLS ("tls": true)`);
  if (c.tls && Object.keys(c.tls).length && !wantsTls) throw bad(`"tls" names files, but neither "mqtt" nor "http" has "tls": true`);

  // The TLS files, PEM on the technician's machine, DER on the board.
  const files: StorageFile[] = [];
  const pems: Record<string, string> = {};
  const t = (c.tls ?? {}) as Record<string, string>;
  const pemOf = (f: "ca" | "cert" | "key") => {
    const p = path.resolve(path.dirname(file), t[f]);
    try {
      return (pems[f] = fs.readFileSync(p, "utf8"));
    } catch (e) {
      throw bad(`"tls.${f}": ${p} could not be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  };
  let cert: crypto.X509Certificate | undefined;
  if (t.ca) {
    try {
      files.push({ name: FILE.tlsCa, data: new Uint8Array(new crypto.X509Certificate(pemOf("ca")).raw) });
    } catch (e) {
      if ((e as Error).message.startsWith("The credentials file")) throw e;
      throw bad(`"tls.ca" is not a PEM certificate`);
    }
  }
  if (t.cert) {
    try {
      cert = new crypto.X509Certificate(pemOf("cert"));
    } catch (e) {
      if ((e as Error).message.startsWith("The credentials file")) throw e;
      throw bad(`"tls.cert" is not a PEM certificate`);
    }
    files.push({ name: FILE.tlsCert, data: new Uint8Array(cert.raw) });
  }
  if (t.key) {
    let key: crypto.KeyObject;
    try {
      key = crypto.createPrivateKey(pemOf("key"));
    } catch (e) {
      if ((e as Error).message.startsWith("The credentials file")) throw e;
      // The reason from OpenSSL names no part of the key.
      throw bad(`"tls.key" is not a PEM private key without a passphrase`);
    }
    if (!cert) throw bad(`"tls.key" needs the certificate it belongs to in "tls.cert"`);
    if (!cert.checkPrivateKey(key)) throw bad(`"tls.key" is not the key of the certificate in "tls.cert"`);
    files.push({ name: FILE.tlsKey, data: new Uint8Array(key.export({ type: "pkcs8", format: "der" })) });
  } else if (cert) throw bad(`"tls.cert" needs its private key in "tls.key"`);

  const identity: Credentials["identity"] = {};
  for (const k of ["wifi", "mqtt", "http"] as const) if (c[k]) identity[k] = c[k];
  const exported = { ...identity, ...(Object.keys(pems).length ? { tls: pems } : {}) };
  const parts = [
    c.wifi ? `Wi-Fi "${c.wifi.ssid}"` : "",
    c.mqtt ? `MQTT ${c.mqtt.host}${c.mqtt.user ? ` as "${c.mqtt.user}"` : ""}${c.mqtt.tls ? " over TLS" : ""}` : "",
    c.http && !c.mqtt ? `HTTP${c.http.tls ? "S" : ""} ${c.http.host}` : "",
    files.length ? `TLS files ${files.map((f) => f.name).join(", ")}` : "",
  ].filter(Boolean);
  return { identity, files, exported, summary: parts.join(", ") };
}
