import { afterAll, beforeAll, describe, expect, it } from "vitest";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import QRCode from "qrcode";
import { boardById } from "../boards/index";
import { chirpstackDevice, chirpstackKeys, prepareRegistration, REGISTRATION_DEFAULTS, registrationArgs, ttsEndDevice, type Device, type RegistrationOptions } from "../scripts/flash/register";
import { labelModules, labelSvg, TR005_GRAMMAR, tr005Text } from "../scripts/flash/label";
import { readCredentials } from "../scripts/flash/credentials";
import { FILE } from "../src/store/storage-layout";
import { makePki, type Pki } from "./pki";
import { APP, fakeChirpStack, PROFILE, type Fake } from "./chirpstack";

/**
 * What npm run flash tells the network server (scripts/flash/register.ts),
 * its box label (scripts/flash/label.ts) and the per-device credentials
 * (scripts/flash/credentials.ts), each against its documented shape;
 * ChirpStack against a local server that checks every request.
 */

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "feldgate-register-test-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const hex = (n: number) => crypto.randomBytes(n).toString("hex").toUpperCase();
const dk = boardById("nrf52840dk-wioe5");
const device = (): Device => ({ devEui: "70B3D57ED0001" + hex(2).slice(0, 3), joinEui: "0000000000000000", appKey: hex(16), site: "Weide Nord", board: dk });

let cs: Fake;
beforeAll(async () => {
  cs = await fakeChirpStack(tmp);
});
afterAll(() => cs.close());

const opts = (o: Partial<RegistrationOptions> = {}): RegistrationOptions => ({ ...REGISTRATION_DEFAULTS, chirpstack: cs.url, apiKeyFile: cs.keyFile, application: APP, deviceProfile: PROFILE, ...o });
function keysDir(): string {
  const d = fs.mkdtempSync(path.join(tmp, "keys-"));
  return d;
}
const exportIn = (dir: string, d: Device) => path.join(dir, `${d.devEui}.json`);
async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).message;
  }
  return "(no refusal)";
}

describe("ChirpStack v4, through its REST API", () => {
  it("creates the device and its OTAA keys: the requests' methods, paths, header and bodies as the API takes them", async () => {
    const d = device();
    const reg = await prepareRegistration(opts(), dk);
    await reg.check(d);
    const said = await reg.complete(d, exportIn(keysDir(), d));
    expect(cs.wrong).toEqual([]);
    const eui = d.devEui.toLowerCase();
    expect(cs.seen.slice(-6)).toEqual([`GET /api/applications/${APP}`, `GET /api/device-profiles/${PROFILE}`, `GET /api/devices/${eui}`, `GET /api/devices/${eui}`, "POST /api/devices", `POST /api/devices/${eui}/keys`]);
    const held = cs.devices.get(eui)!;
    expect(held.device).toMatchObject({ devEui: eui, joinEui: "0000000000000000", applicationId: APP, deviceProfileId: PROFILE, isDisabled: false });
    expect(held.keys.nwkKey).toBe(d.appKey.toLowerCase());
    expect(said[0]).toBe(`Registered on ChirpStack at ${cs.url}: device ${d.devEui} in application ${APP}, created with its keys.`);
    expect(said.join("\n")).not.toContain(d.appKey);
    expect(said.join("\n").toLowerCase()).not.toContain(d.appKey.toLowerCase());
  });

  it("a re-flash with the same keys is fine; other keys are refused before the board is written, unless --chirpstack-replace-keys", async () => {
    const d = device();
    const reg = await prepareRegistration(opts(), dk);
    await reg.complete(d, exportIn(keysDir(), d));
    // Same DevEUI, same keys (identity kept): nothing to do.
    await reg.check(d);
    expect((await reg.complete(d, exportIn(keysDir(), d)))[0]).toMatch(/already there with these keys\.$/);
    // Same DevEUI, a new AppKey: refused, with what to do.
    const again = { ...d, appKey: hex(16) };
    expect(await refusal(reg.check(again))).toMatch(/already holds device [0-9A-F]{16} in this application with other keys.*--chirpstack-replace-keys.*Nothing was written to the board/);
    const replace = await prepareRegistration(opts({ replaceKeys: true }), dk);
    await replace.check(again);
    expect((await replace.complete(again, exportIn(keysDir(), again)))[0]).toMatch(/given this flash's keys in place of its old ones/);
    expect(cs.devices.get(d.devEui.toLowerCase())!.keys.nwkKey).toBe(again.appKey.toLowerCase());
    expect(cs.seen.at(-1)).toBe(`PUT /api/devices/${d.devEui.toLowerCase()}/keys`);
    expect(cs.wrong).toEqual([]);
  });

  it("a device of that DevEUI in another application is refused", async () => {
    const d = device();
    cs.devices.set(d.devEui.toLowerCase(), { device: { devEui: d.devEui.toLowerCase(), applicationId: "00000000-0000-4000-8000-000000000000" } });
    const reg = await prepareRegistration(opts(), dk);
    expect(await refusal(reg.check(d))).toMatch(/already holds a device with DevEUI [0-9A-F]{16}, in another application \(00000000-/);
  });

  it("401 (a wrong API key), 404 (a wrong application or profile), a profile without OTAA or for another region: each says what to do, and never shows the key", async () => {
    const wrongKey = path.join(tmp, "wrong-key");
    fs.writeFileSync(wrongKey, "not-the-key");
    const m401 = await refusal(prepareRegistration(opts({ apiKeyFile: wrongKey }), dk));
    expect(m401).toMatch(/refused the API key in .*wrong-key \(401 Unauthorized\)\. Make an API key in ChirpStack's web interface.*run npm run flash again/);
    expect(m401).not.toContain("not-the-key");
    expect(await refusal(prepareRegistration(opts({ application: "11111111-2222-4333-8444-555555555555" }), dk))).toMatch(/has no application 11111111-.* \(404\)\. Check --chirpstack-application/);
    expect(await refusal(prepareRegistration(opts({ deviceProfile: "11111111-2222-4333-8444-555555555555" }), dk))).toMatch(/has no device profile .* \(404\)\. Check --chirpstack-device-profile/);
    cs.profile = { ...cs.profile, supportsOtaa: false };
    expect(await refusal(prepareRegistration(opts(), dk))).toMatch(/does not allow OTAA/);
    cs.profile = { ...cs.profile, supportsOtaa: true, region: "US915" };
    expect(await refusal(prepareRegistration(opts(), dk))).toMatch(/is for US915; feldgate's modems are set to EU868/);
    cs.profile = { ...cs.profile, region: "EU868" };
    expect(await refusal(prepareRegistration(opts({ application: "not-a-uuid" }), dk))).toMatch(/is not a ChirpStack id/);
    expect(await refusal(prepareRegistration(opts({ apiKeyFile: undefined }), dk))).toMatch(/needs --api-key-file/);
    expect(await refusal(prepareRegistration(opts(), boardById("esp32-wifi")))).toMatch(/has no LoRaWAN modem/);
    // A port nothing listens on: one the OS gave and took back.
    const gone = http.createServer();
    await new Promise<void>((r) => gone.listen(0, "127.0.0.1", r));
    const port = (gone.address() as { port: number }).port;
    await new Promise<void>((r) => gone.close(() => r()));
    const closed = await refusal(prepareRegistration(opts({ chirpstack: `http://127.0.0.1:${port}` }), dk));
    expect(closed).toMatch(/did not answer \(ECONNREFUSED\)\. Check --chirpstack/);
  });

  it("a server that fails after the board is flashed: the flash stands, and the files say how to register by hand", async () => {
    const d = device();
    const reg = await prepareRegistration(opts(), dk);
    await reg.check(d);
    await cs.close(); // gone between the check and the registration
    try {
      const said = await reg.complete(d, exportIn(keysDir(), d));
      expect(said[0]).toMatch(/^NOT registered on ChirpStack: ChirpStack's REST API at .* did not answer/);
      expect(said[1]).toMatch(/The gateway is flashed and its keys are safe\. Register it by hand/);
    } finally {
      cs = await fakeChirpStack(tmp);
    }
  });
});

describe("the command line", () => {
  it("npm run flash's registration options, with the defaults for Hessen and NRW", () => {
    const argv = ["--chirpstack", "http://cs:8090", "--api-key-file", "k", "--chirpstack-application", APP, "--chirpstack-device-profile", PROFILE, "--chirpstack-replace-keys", "--tts-application", "weiden"];
    const arg = (n: string) => (argv.includes(n) ? argv[argv.indexOf(n) + 1] : undefined);
    expect(registrationArgs(arg, (n) => argv.includes(n))).toEqual({ chirpstack: "http://cs:8090", apiKeyFile: "k", application: APP, deviceProfile: PROFILE, replaceKeys: true, ttsApplication: "weiden", frequencyPlan: "EU_863_870_TTN", lorawanVersion: "1.0.3", profileId: undefined });
    expect(registrationArgs(() => undefined, () => false)).toMatchObject({ chirpstack: undefined, replaceKeys: false, frequencyPlan: "EU_863_870_TTN" });
  });
});

describe("the files beside the export", () => {
  it("without --chirpstack: ChirpStack's request bodies, The Things Stack JSON and the label, 0600 but the label, and nothing sent", async () => {
    const d = device();
    const dir = keysDir();
    const before = cs.seen.length;
    const reg = await prepareRegistration({ ...REGISTRATION_DEFAULTS, ttsApplication: "weiden-hessen" }, dk);
    await reg.check(d);
    const said = await reg.complete(d, exportIn(dir, d));
    expect(cs.seen.length).toBe(before);
    const files = fs.readdirSync(dir).sort();
    expect(files).toEqual([`${d.devEui}.chirpstack-device.json`, `${d.devEui}.chirpstack-keys.json`, `${d.devEui}.label.svg`, `${d.devEui}.tts.json`]);
    for (const f of files) expect(fs.statSync(path.join(dir, f)).mode & 0o777).toBe(f.endsWith(".svg") ? 0o644 : 0o600);
    expect(JSON.parse(fs.readFileSync(path.join(dir, `${d.devEui}.chirpstack-device.json`), "utf8"))).toEqual(chirpstackDevice(d, REGISTRATION_DEFAULTS));
    expect(JSON.parse(fs.readFileSync(path.join(dir, `${d.devEui}.chirpstack-keys.json`), "utf8"))).toEqual({ deviceKeys: { nwkKey: d.appKey.toLowerCase(), appKey: "0".repeat(32) } });
    expect(fs.readFileSync(path.join(dir, `${d.devEui}.label.svg`), "utf8")).not.toContain(d.appKey);
    expect(said.join("\n")).toContain(`${d.devEui}.tts.json: The Things Stack end device`);
    expect(said.join("\n")).not.toContain(d.appKey);
  });

  it("The Things Stack JSON: the fields of its JSON File Reference, and no others", () => {
    const d = device();
    const t = ttsEndDevice(d, { ...REGISTRATION_DEFAULTS, ttsApplication: "weiden-hessen" }) as any;
    expect(Object.keys(t).sort()).toEqual(["description", "frequency_plan_id", "ids", "lorawan_phy_version", "lorawan_version", "name", "root_keys", "supports_join"]);
    expect(t.ids).toEqual({ device_id: `feldgate-${d.devEui.toLowerCase()}`, dev_eui: d.devEui, join_eui: "0000000000000000", application_ids: { application_id: "weiden-hessen" } });
    expect(t.ids.device_id).toMatch(/^[a-z0-9](?:-?[a-z0-9]){2,35}$/);
    expect(t).toMatchObject({ lorawan_version: "MAC_V1_0_3", lorawan_phy_version: "PHY_V1_0_3_REV_A", frequency_plan_id: "EU_863_870_TTN", supports_join: true, root_keys: { app_key: { key: d.appKey } } });
    expect(t.root_keys.app_key.key).toMatch(/^[0-9A-F]{32}$/);
    expect((ttsEndDevice(d, { ...REGISTRATION_DEFAULTS, lorawanVersion: "1.0.2" }) as any).lorawan_phy_version).toBe("PHY_V1_0_2_REV_B");
    expect(chirpstackKeys(d).deviceKeys.nwkKey).toBe(d.appKey.toLowerCase());
  });

  it("options that no server would take are refused before anything else", async () => {
    expect(await refusal(prepareRegistration({ ...REGISTRATION_DEFAULTS, ttsApplication: "Weiden Hessen" }, dk))).toMatch(/is not an application id of The Things Stack/);
    expect(await refusal(prepareRegistration({ ...REGISTRATION_DEFAULTS, lorawanVersion: "1.1" }, dk))).toMatch(/--lorawan-version 1.1: feldgate's modems speak 1.0.2 or 1.0.3/);
    expect(await refusal(prepareRegistration({ ...REGISTRATION_DEFAULTS, profileId: "123" }, dk))).toMatch(/--profile-id 123 is not 8 hex digits/);
  });
});

describe("the TR005 QR code label", () => {
  it("the text follows TR005's grammar, optional fields in order", () => {
    const s = tr005Text({ joinEui: "70b3d57ed0000000", devEui: "2C:F7:F1:20:32:30:A1:B2" });
    expect(s).toBe("LW:D0:70B3D57ED0000000:2CF7F1203230A1B2:00000000");
    expect(TR005_GRAMMAR.exec(s)!.slice(1, 4)).toEqual(["70B3D57ED0000000", "2CF7F1203230A1B2", "00000000"]);
    const full = tr005Text({ joinEui: "0000000000000000", devEui: "0102030405060708", profileId: "000a1234", checksum: "AB12", ownerToken: "0102", serialNumber: "FG-001", proprietary: "X" });
    expect(full).toBe("LW:D0:0000000000000000:0102030405060708:000A1234:CAB12:O0102:SFG-001:PX");
    expect(TR005_GRAMMAR.exec(full)!.slice(4)).toEqual(["AB12", "0102", "FG-001", "X"]);
    // What the grammar does not take.
    for (const bad of ["LW:D0:70B3D57ED000000:2CF7F1203230A1B2:00000000", "LW:D1:70B3D57ED0000000:2CF7F1203230A1B2:00000000", "LW:D0:70B3D57ED0000000:2CF7F1203230A1B2", "LW:D0:70b3d57ed0000000:2CF7F1203230A1B2:00000000", "LW:D0:70B3D57ED0000000:2CF7F1203230A1B2:00000000:SA:OB"])
      expect(TR005_GRAMMAR.test(bad)).toBe(false);
    expect(() => tr005Text({ joinEui: "0000000000000000", devEui: "0102030405060708", serialNumber: "a:b" })).toThrow(/field S may hold only/);
    expect(() => tr005Text({ joinEui: "00", devEui: "0102030405060708" })).toThrow(/16 hex digits/);
  });

  it("the SVG draws exactly the QR code of that text, with the DevEUI under it", () => {
    const text = tr005Text({ joinEui: "0000000000000000", devEui: "70B3D57ED0001000" });
    const svg = labelSvg(text, { devEui: "70B3D57ED0001000", caption: "feldgate · Weide <Nord>" });
    const drawn = labelModules(svg);
    const want = QRCode.create(text, { errorCorrectionLevel: "M" }).modules;
    expect(drawn.length).toBe(want.size);
    const bits = (g: boolean[][]) => g.map((r) => r.map((b) => (b ? "1" : "0")).join("")).join("\n");
    const wantBits = Array.from({ length: want.size }, (_, r) => Array.from({ length: want.size }, (_, c) => (want.get(r, c) ? "1" : "0")).join("")).join("\n");
    expect(bits(drawn)).toBe(wantBits);
    // Another DevEUI gives another code: the comparison can fail.
    const other = QRCode.create(tr005Text({ joinEui: "0000000000000000", devEui: "70B3D57ED0001001" }), { errorCorrectionLevel: "M" }).modules;
    expect(Array.from(other.data).join("")).not.toBe(Array.from(want.data).join(""));
    // The text needs no byte mode (digits, A-F and ":"), so the code stays small.
    expect(QRCode.create(text, { errorCorrectionLevel: "M" }).segments.map((s: { mode: { id: string } }) => s.mode.id)).not.toContain("Byte");
    expect(want.size).toBe(29); // version 3 at level M: 2 cm square at 0.5 mm a module
    expect(svg).toContain(">DevEUI</text>");
    expect(svg).toContain(">70B3 D57E D000 1000</text>");
    expect(svg).toContain("Weide &lt;Nord&gt;");
    expect(svg).toContain(`<title>${text}</title>`);
  });
});

describe("per-device credentials and TLS files", () => {
  let pki: Pki;
  beforeAll(async () => {
    pki = await makePki();
  });
  afterAll(() => pki.remove());
  const esp = boardById("esp32-rak3172");
  const write = (o: object) => {
    const f = path.join(pki.dir, `cred-${hex(4)}.json`);
    fs.writeFileSync(f, JSON.stringify(o));
    return f;
  };

  it("MQTT credentials go into fg.id; the PEM files become fg.tls.* in DER, the key as PKCS#8, as the firmware reads them", () => {
    const pass = "pw-" + hex(8);
    const c = readCredentials(write({ wifi: { ssid: "Hof", pass: "wlan-" + hex(6) }, mqtt: { host: "broker.example", port: 8883, user: "gw-17", pass, tls: true }, tls: { ca: "ca.pem", cert: "gw-tls.pem", key: "gw-tls.key" } }), esp);
    expect(c.identity).toEqual({ wifi: { ssid: "Hof", pass: expect.any(String) }, mqtt: { host: "broker.example", port: 8883, user: "gw-17", pass, tls: true } });
    const byName = Object.fromEntries(c.files.map((f) => [f.name, Buffer.from(f.data)]));
    expect(Object.keys(byName)).toEqual([FILE.tlsCa, FILE.tlsCert, FILE.tlsKey]);
    expect(byName[FILE.tlsCa].equals(pki.read("ca.der"))).toBe(true);
    expect(byName[FILE.tlsCert].equals(pki.read("gw-tls.der"))).toBe(true);
    expect(byName[FILE.tlsKey].equals(pki.read("gw-tls.key.der"))).toBe(true);
    expect((c.exported as any).tls.key).toBe(fs.readFileSync(pki.file("gw-tls.key"), "utf8"));
    expect(c.summary).toBe(`Wi-Fi "Hof", MQTT broker.example as "gw-17" over TLS, TLS files fg.tls.ca, fg.tls.crt, fg.tls.key`);
    expect(c.summary).not.toContain(pass);
  });

  it("bad credentials are refused with the field named and no secret shown", () => {
    const pass = "pw-" + hex(8);
    const wifi = { ssid: "Hof", pass };
    const msg = (o: object, board = esp) => {
      try {
        readCredentials(write(o), board);
        return "(accepted)";
      } catch (e) {
        return (e as Error).message;
      }
    };
    const cases: [object, RegExp][] = [
      [{ wifi, mqtt: { host: "b", password: pass } }, /"mqtt.password" is not a field feldgate reads/],
      [{ wifi, mqtt: { host: "b", port: "8883" } }, /"mqtt.port" must be a number/],
      [{ wifi, mqtt: { user: "u" } }, /"mqtt.host" is missing/],
      [{ mqtt: { host: "b" } }, /add a "wifi" record/],
      [{ wifi, mqtt: { host: "b", tls: true }, tls: { key: "gw-tls.key" } }, /"tls.key" needs the certificate/],
      [{ wifi, mqtt: { host: "b", tls: true }, tls: { cert: "gw-tls.pem", key: "broker.key" } }, /"tls.key" is not the key of the certificate/],
      [{ wifi, mqtt: { host: "b", tls: true }, tls: { cert: "gw-tls.key", key: "gw-tls.key" } }, /"tls.cert" is not a PEM certificate/],
      [{ wifi, mqtt: { host: "b", tls: true }, tls: { ca: "missing.pem" } }, /"tls.ca": .*missing.pem could not be read \(ENOENT\)/],
      [{ wifi, mqtt: { host: "b" }, tls: { ca: "ca.pem" } }, /neither "mqtt" nor "http" has "tls": true/],
      [{ wifi, mqtt: { host: "b" }, lorawan: {} }, /"lorawan" is not a record feldgate reads/],
    ];
    for (const [o, re] of cases) {
      const m = msg(o);
      expect(m).toMatch(re);
      expect(m).not.toContain(pass);
    }
    expect(msg({ wifi, mqtt: { host: "b" } }, dk)).toMatch(/nrf52840dk-wioe5 has no Wi-Fi/);
  });
});
