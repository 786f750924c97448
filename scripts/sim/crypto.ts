/**
 * The build's crypto (libs/crypto/jswrap_crypto.c, RELEASE_2V29) for the
 * realm: only what the board's build keeps (boards/types.ts, BuildCrypto),
 * computed with Node's crypto. Errors behave as there: an unknown mode or
 * hasher throws (jsExceptionHere); a failure of the cipher prints
 * "ERROR: ..." and gives undefined (jsError, jswrap_crypto.c 112-116).
 */
import nodeCrypto from "node:crypto";
import type { BuildCrypto, ShaName } from "../../boards/types";
import { dataToBytes } from "./storage";

export interface CryptoHost {
  readonly sha: readonly ShaName[];
  readonly pbkdf2: boolean;
  readonly aes: boolean;
  readonly aesCcm: boolean;
  hash(name: ShaName, message: unknown): Uint8Array;
  pbkdf2Key(pass: unknown, salt: unknown, options: unknown): Uint8Array | undefined;
  aesCrypt(message: unknown, key: unknown, options: unknown, encrypt: boolean): Uint8Array | undefined;
  ccmEncrypt(message: unknown, key: unknown, iv: unknown, tagLen: unknown): { data: Uint8Array; tag: Uint8Array } | undefined;
  ccmDecrypt(message: unknown, key: unknown, iv: unknown, tag: unknown): Uint8Array | undefined;
}

/** The type vcbprintf's %t prints: String, Number, Boolean, Function. */
const typeName = (v: unknown) => ((t) => t.charAt(0).toUpperCase() + t.slice(1))(typeof v);

const DIGEST: Record<ShaName, string> = { SHA1: "sha1", SHA224: "sha224", SHA256: "sha256", SHA384: "sha384", SHA512: "sha512" };

/** The object the realm builds `require("crypto")` and `AES` from; null where the build has no crypto. */
export function cryptoHost(build: BuildCrypto | null, printError: (line: string) => void): CryptoHost | null {
  if (!build) return null;
  const jsError = (msg: string): undefined => {
    printError(`ERROR: ${msg}`);
    return undefined;
  };
  const obj = (o: unknown): Record<string, unknown> | null => (o && typeof o === "object" ? (o as Record<string, unknown>) : null);
  const hasher = (v: unknown): ShaName => {
    const n = String(v) as ShaName;
    // jswrap_crypto.c 137-150: only the hashes the build has.
    if (!build.sha.includes(n)) throw new Error(`Unknown Hasher "${String(v)}"`);
    return n;
  };
  /** jsvIterateCallbackToBytes into a zeroed buffer of n bytes. */
  const fixed = (v: unknown, n: number): Buffer => {
    const out = Buffer.alloc(n);
    out.set(dataToBytes(v).subarray(0, n));
    return out;
  };
  const aesKey = (key: unknown): Buffer | undefined => {
    const k = Buffer.from(dataToBytes(key));
    // mbedtls_aes_setkey_*: MBEDTLS_ERR_AES_INVALID_KEY_LENGTH (-0x20), which jswrap_crypto.c 81-103 has no words for.
    if (k.length !== 16 && k.length !== 24 && k.length !== 32) return jsError("Unknown error: -0x20");
    return k;
  };
  return {
    sha: build.sha,
    pbkdf2: build.pbkdf2,
    aes: build.aes,
    aesCcm: build.aesCcm,
    hash(name, message) {
      return nodeCrypto.createHash(DIGEST[name]).update(dataToBytes(message)).digest();
    },
    // jswrap_crypto.c 285-340: keySize in 32-bit words (4), iterations (1), hasher (SHA1).
    pbkdf2Key(pass, salt, options) {
      let keySize = 4;
      let iterations = 1;
      let h: ShaName = "SHA1";
      const o = obj(options);
      if (o) {
        keySize = Number(o.keySize) | 0;
        if (keySize <= 0) keySize = 4;
        iterations = Number(o.iterations) | 0;
        if (iterations < 1) iterations = 1;
        if (o.hasher !== undefined) h = hasher(o.hasher);
      } else if (options !== undefined) jsError(`Options should be an object or undefined, got ${typeName(options)}`);
      if (!build.sha.includes(h)) throw new Error(`Unknown Hasher "${h}"`);
      return nodeCrypto.pbkdf2Sync(Buffer.from(dataToBytes(pass)), Buffer.from(dataToBytes(salt)), iterations, keySize * 4, DIGEST[h]);
    },
    // jswrap_crypto.c 343-449: CBC by default, an IV of 16 bytes (zeros where shorter), no padding.
    aesCrypt(message, key, options, encrypt) {
      let iv: Buffer = Buffer.alloc(16);
      let mode = "CBC";
      const o = obj(options);
      if (o) {
        if (o.iv !== undefined) iv = fixed(o.iv, 16);
        if (o.mode !== undefined) {
          mode = String(o.mode);
          if (!["CBC", "CFB", "CTR", "OFB", "ECB"].includes(mode)) throw new Error(`Unknown Crypto mode "${mode}"`);
        }
      } else if (options !== undefined) return jsError("'options' must be undefined, or an Object");
      const m = Buffer.from(dataToBytes(message));
      const k = aesKey(key);
      if (!k) return undefined;
      const bits = k.length * 8;
      const run = (name: string, v: Buffer | null, dir: boolean, data: Buffer) => {
        const c = dir ? nodeCrypto.createCipheriv(`aes-${bits}-${name}`, k, v) : nodeCrypto.createDecipheriv(`aes-${bits}-${name}`, k, v);
        c.setAutoPadding(false);
        return Buffer.concat([c.update(data), c.final()]);
      };
      switch (mode) {
        case "CBC":
          if (m.length % 16) return jsError("Invalid input length");
          return run("cbc", iv, encrypt, m);
        case "ECB": {
          // Whole blocks only: bytes after the last one stay 0 (jswrap_crypto.c 431-440).
          const out = Buffer.alloc(m.length);
          const whole = m.length - (m.length % 16);
          if (whole) run("ecb", null, encrypt, m.subarray(0, whole)).copy(out);
          return out;
        }
        case "CTR":
        case "CFB":
          // CTR counts from a zero nonce and ignores the IV (jswrap_crypto.c 416-429); CFB is mbedtls's CFB8.
          // Decrypting runs the cipher forwards with the key scheduled for decryption (setkey_dec, 378-381):
          // on the interpreter the result is not the message, and the simulator does not compute it.
          if (!encrypt) throw new Error(`AES.decrypt in ${mode} mode gives wrong bytes on the interpreter (it encrypts with the decryption key schedule): not modelled`);
          return mode === "CTR" ? run("ctr", Buffer.alloc(16), true, m) : run("cfb8", iv, true, m);
        default:
          return jsError("Feature unavailable"); // OFB: no case in the switch (jswrap_crypto.c 442-444)
      }
    },
    // jswrap_crypto.c 498-575: a nonce of 7 to 13 bytes given as an array or buffer, tags of 4 to 16 bytes, even.
    ccmEncrypt(message, key, iv, tagLen) {
      const c = ccm(message, key, iv);
      if (!c) return undefined;
      const n = typeof tagLen === "number" ? tagLen | 0 : NaN;
      if (!(n >= 4 && n <= 16 && n % 2 === 0)) return jsError("Bad input data");
      const e = nodeCrypto.createCipheriv(`aes-${c.k.length * 8}-ccm` as nodeCrypto.CipherCCMTypes, c.k, c.iv, { authTagLength: n });
      const data = Buffer.concat([e.update(c.m), e.final()]);
      return { data, tag: e.getAuthTag() };
    },
    ccmDecrypt(message, key, iv, tag) {
      const c = ccm(message, key, iv);
      if (!c) return undefined;
      const t = Buffer.from(dataToBytes(tag));
      if (t.length < 4 || t.length > 16 || t.length % 2) return jsError("Unknown error: -0xd");
      const d = nodeCrypto.createDecipheriv(`aes-${c.k.length * 8}-ccm` as nodeCrypto.CipherCCMTypes, c.k, c.iv, { authTagLength: t.length });
      d.setAuthTag(t);
      const out = d.update(c.m);
      try {
        d.final();
      } catch {
        return jsError("Authenticated decryption failed");
      }
      return out;
    },
  };

  function ccm(message: unknown, key: unknown, iv: unknown): { m: Buffer; k: Buffer; iv: Buffer } | undefined {
    const isBuffer = Array.isArray(iv) || ArrayBuffer.isView(iv) || Object.prototype.toString.call(iv) === "[object ArrayBuffer]";
    if (!isBuffer) return jsError("Bad input data");
    const v = Buffer.from(dataToBytes(iv));
    if (v.length < 2 || v.length > 13) return jsError("Bad input data");
    // mbedtls_ccm_*: nonces under 7 bytes are MBEDTLS_ERR_CCM_BAD_INPUT (-0xd).
    if (v.length < 7) return jsError("Unknown error: -0xd");
    const k = Buffer.from(dataToBytes(key));
    if (k.length !== 16 && k.length !== 24 && k.length !== 32) return jsError("Unknown error: -0xd");
    return { m: Buffer.from(dataToBytes(message)), k, iv: v };
  }
}
