/**
 * The device identity that provisioning stores (docs/storage-layout.md):
 * LoRaWAN keys, Wi-Fi and platform credentials in fg.id, TLS files beside it.
 * Read once when the links start; never logged, never sent.
 */
import { FILE, FILE_IDENTITY } from "../store/storage-layout";
import { S } from "../store/builtin";

/** fg.id as stored: every field optional, as a board may have only some links provisioned. */
export function readIdentity(): any {
  return S.readJSON(FILE_IDENTITY, true) || {};
}

/** The TLS certificates and key that provisioning stored: only those present are named, as the interpreter refuses an empty one. */
export function tlsFiles(): any {
  const o: any = {};
  const names = ["ca", FILE.tlsCa, "cert", FILE.tlsCert, "key", FILE.tlsKey];
  for (let i = 0; i < names.length; i += 2) {
    const d = S.read(names[i + 1]);
    if (d !== undefined) o[names[i]] = d;
  }
  return o;
}
