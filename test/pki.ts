/**
 * A throw-away PKI for the TLS tests: a CA, the broker's certificate and a gateway's, made for each run
 * and never kept. OpenSSL makes them where it is installed (as in CI); elsewhere Node does, with
 * @peculiar/x509, so that `npm test` passes on a machine that has only Node.
 *
 * Files in `dir`: ca.pem, broker.pem and broker.key (PEM, PKCS#8) for the servers; gw-tls.pem and
 * gw-tls.key; and what provisioning stores on the board: ca.der, gw-tls.der and gw-tls.key.der
 * (DER, the key as PKCS#8). Every certificate is ECDSA P-256 and valid for two days.
 */
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { needPackage, noticeOnce, onPath } from "./programs";

export interface Pki {
  readonly dir: string;
  /** Which tool made the files. */
  readonly madeBy: "OpenSSL" | "Node";
  file(name: string): string;
  read(name: string): Buffer;
  remove(): void;
}

const SUBJECTS = { ca: "feldgate test CA", broker: "127.0.0.1", "gw-tls": "gw-tls" } as const;
const DAY = 86400_000;

export async function makePki(): Promise<Pki> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "feldgate-pki-"));
  const madeBy = onPath("openssl") ? "OpenSSL" : "Node";
  try {
    if (madeBy === "OpenSSL") withOpenssl(dir);
    else await withNode(dir);
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  // Mosquitto started as root reads its files as the user mosquitto: throw-away test keys may be readable.
  fs.chmodSync(dir, 0o755);
  for (const f of fs.readdirSync(dir)) fs.chmodSync(path.join(dir, f), 0o644);
  return {
    dir,
    madeBy,
    file: (name) => path.join(dir, name),
    read: (name) => fs.readFileSync(path.join(dir, name)),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

function withOpenssl(dir: string): void {
  const sh = (args: string[]) => {
    try {
      execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
    } catch (e) {
      const err = (e as { stderr?: Buffer }).stderr?.toString().trim();
      throw new Error(`openssl ${args.slice(0, 2).join(" ")} … failed: ${err || (e as Error).message}`);
    }
  };
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  sh(["req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", `/CN=${SUBJECTS.ca}`]);
  for (const who of ["broker", "gw-tls"] as const) {
    sh(["req", ...ec, "-keyout", `${who}.key`, "-out", `${who}.csr`, "-subj", `/CN=${SUBJECTS[who]}`]);
    sh(["x509", "-req", "-in", `${who}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${who}.pem`, "-days", "2"]);
  }
  sh(["x509", "-in", "ca.pem", "-outform", "DER", "-out", "ca.der"]);
  sh(["x509", "-in", "gw-tls.pem", "-outform", "DER", "-out", "gw-tls.der"]);
  sh(["pkcs8", "-topk8", "-nocrypt", "-in", "gw-tls.key", "-outform", "DER", "-out", "gw-tls.key.der"]);
}

/** The same files as OpenSSL writes, with the same extensions that matter: the CA marked as one, key identifiers on each. */
async function withNode(dir: string): Promise<void> {
  const x509 = await needPackage(
    "@peculiar/x509",
    async () => {
      // @peculiar/x509 needs a Reflect metadata polyfill loaded before it.
      await import("reflect-metadata");
      return import("@peculiar/x509");
    },
    "OpenSSL is not on PATH (apt-get install openssl)",
  );
  noticeOnce("openssl", "OpenSSL not found on PATH: the TLS tests' certificates are made in Node (@peculiar/x509) instead. CI makes them with OpenSSL.");
  const subtle = crypto.webcrypto.subtle;
  x509.cryptoProvider.set(crypto.webcrypto);
  const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const newKeys = () => subtle.generateKey(alg, true, ["sign", "verify"]) as Promise<crypto.webcrypto.CryptoKeyPair>;
  const serial = () => crypto.randomBytes(16).toString("hex").replace(/^[89a-f]/, "1");
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(notBefore.getTime() + 2 * DAY);
  const write = (name: string, data: string | Buffer | ArrayBuffer) => fs.writeFileSync(path.join(dir, name), data instanceof ArrayBuffer ? Buffer.from(data) : data);
  const pem = (k: crypto.webcrypto.CryptoKey) => crypto.KeyObject.from(k).export({ type: "pkcs8", format: "pem" });

  const caKeys = await newKeys();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${SUBJECTS.ca}`,
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: alg,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true), await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey), await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey)],
  });
  write("ca.key", pem(caKeys.privateKey));
  write("ca.pem", ca.toString("pem"));
  write("ca.der", ca.rawData);

  for (const who of ["broker", "gw-tls"] as const) {
    const keys = await newKeys();
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: `CN=${SUBJECTS[who]}`,
      issuer: ca.subject,
      notBefore,
      notAfter,
      publicKey: keys.publicKey,
      signingKey: caKeys.privateKey,
      signingAlgorithm: alg,
      extensions: [await x509.SubjectKeyIdentifierExtension.create(keys.publicKey), await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey)],
    });
    write(`${who}.key`, pem(keys.privateKey));
    write(`${who}.pem`, cert.toString("pem"));
    if (who === "gw-tls") {
      write("gw-tls.der", cert.rawData);
      write("gw-tls.key.der", crypto.KeyObject.from(keys.privateKey).export({ type: "pkcs8", format: "der" }));
    }
  }
}
