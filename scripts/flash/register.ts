/**
 * What the network server needs to know about a flashed gateway, written
 * beside its export file (mode 0600, as they hold the AppKey):
 *
 * - ChirpStack v4: the bodies of `POST /api/devices` and
 *   `POST /api/devices/{devEui}/keys` of its REST API (the chirpstack-rest-api
 *   proxy of its gRPC API, api/device.proto); with `--chirpstack <url>
 *   --api-key-file <file>` the device is created there too;
 * - The Things Stack: an end device in The Things Stack JSON, as its
 *   console's "Import end devices" and `ttn-lw-cli end-devices create
 *   --application-id <id> < file` read it (The Things Stack documentation,
 *   "Adding devices in bulk", "JSON File Reference": ids.device_id,
 *   ids.dev_eui, ids.join_eui, name, lorawan_version, lorawan_phy_version,
 *   frequency_plan_id, supports_join, root_keys.app_key.key);
 * - a TR005 QR code label for the box (scripts/flash/label.ts), which holds
 *   no key.
 *
 * Nothing here prints a key or the API key.
 */
import fs from "node:fs";
import type { Board } from "../../boards/types";
import { labelSvg, tr005Text } from "./label";
import { writeSecret } from "./identity";

export interface RegistrationOptions {
  /** ChirpStack's REST API, e.g. http://chirpstack.example:8090. */
  chirpstack?: string;
  apiKeyFile?: string;
  /** The application's id (a UUID) and the device profile's. */
  application?: string;
  deviceProfile?: string;
  /** An existing device of the same DevEUI with other keys gets this flash's keys. */
  replaceKeys?: boolean;
  /** The Things Stack application id, for the import file. */
  ttsApplication?: string;
  /** The Things Stack frequency plan (EU_863_870_TTN for Germany, on The Things Network). */
  frequencyPlan: string;
  lorawanVersion: string;
  /** TR005 ProfileID: VendorID and vendor profile ID, 8 hex digits. */
  profileId?: string;
}

export const REGISTRATION_DEFAULTS: RegistrationOptions = { frequencyPlan: "EU_863_870_TTN", lorawanVersion: "1.0.3" };

/**
 * LoRaWAN versions by what the modems' AT firmware implements: RAK3172
 * (RUI3) and Wio-E5 (AT firmware 4.x) speak LoRaWAN 1.0.3 with Regional
 * Parameters 1.0.3 rev A; older Wio-E5 firmware 1.0.2 (rev B).
 */
const VERSIONS: Record<string, { mac: string; phy: string; chirpstack: string }> = {
  "1.0.2": { mac: "MAC_V1_0_2", phy: "PHY_V1_0_2_REV_B", chirpstack: "LORAWAN_1_0_2" },
  "1.0.3": { mac: "MAC_V1_0_3", phy: "PHY_V1_0_3_REV_A", chirpstack: "LORAWAN_1_0_3" },
};

/** The options' part of npm run flash's command line. */
export function registrationArgs(arg: (name: string) => string | undefined, has: (name: string) => boolean): RegistrationOptions {
  return {
    chirpstack: arg("--chirpstack"),
    apiKeyFile: arg("--api-key-file"),
    application: arg("--chirpstack-application"),
    deviceProfile: arg("--chirpstack-device-profile"),
    replaceKeys: has("--chirpstack-replace-keys"),
    ttsApplication: arg("--tts-application"),
    frequencyPlan: arg("--frequency-plan") ?? REGISTRATION_DEFAULTS.frequencyPlan,
    lorawanVersion: arg("--lorawan-version") ?? REGISTRATION_DEFAULTS.lorawanVersion,
    profileId: arg("--profile-id"),
  };
}

export interface Device {
  devEui: string;
  joinEui: string;
  appKey: string;
  /** The site's name and the board, for the descriptions. */
  site: string;
  board: Board;
}

/** The Things Stack's device ids: lower case letters, digits and single dashes, 3 to 36 characters. */
const TTS_ID = /^[a-z0-9](?:-?[a-z0-9]){2,35}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function deviceId(devEui: string): string {
  return "feldgate-" + devEui.toLowerCase();
}

/** The Things Stack JSON for one end device (v3 EndDevice, the fields an OTAA device needs). */
export function ttsEndDevice(d: Device, o: RegistrationOptions): object {
  const v = VERSIONS[o.lorawanVersion];
  return {
    ids: {
      device_id: deviceId(d.devEui),
      dev_eui: d.devEui,
      join_eui: d.joinEui,
      ...(o.ttsApplication ? { application_ids: { application_id: o.ttsApplication } } : {}),
    },
    name: `${d.site} (feldgate)`,
    description: `feldgate gateway on ${d.board.title}, site "${d.site}"`,
    lorawan_version: v.mac,
    lorawan_phy_version: v.phy,
    frequency_plan_id: o.frequencyPlan,
    supports_join: true,
    root_keys: { app_key: { key: d.appKey } },
  };
}

/** The body of ChirpStack's POST /api/devices (api.CreateDeviceRequest). */
export function chirpstackDevice(d: Device, o: RegistrationOptions): { device: Record<string, unknown> } {
  return {
    device: {
      devEui: d.devEui.toLowerCase(),
      joinEui: d.joinEui.toLowerCase(),
      name: deviceId(d.devEui),
      description: `feldgate gateway on ${d.board.title}, site "${d.site}"`,
      applicationId: o.application ?? "<application id>",
      deviceProfileId: o.deviceProfile ?? "<device profile id>",
      isDisabled: false,
      skipFcntCheck: false,
      tags: { feldgate: "1", board: d.board.id },
    },
  };
}

/**
 * The body of ChirpStack's POST /api/devices/{devEui}/keys
 * (api.CreateDeviceKeysRequest). For LoRaWAN 1.0.x the AppKey goes in
 * nwkKey (api/device.proto, DeviceKeys: "For LoRaWAN 1.0.x, use this field
 * for the LoRaWAN 1.0.x 'AppKey'"); appKey is for 1.1 only and stays zero.
 */
export function chirpstackKeys(d: Device): { deviceKeys: Record<string, string> } {
  return { deviceKeys: { nwkKey: d.appKey.toLowerCase(), appKey: "0".repeat(32) } };
}

interface Answer {
  status: number;
  body: any;
}

/** ChirpStack's REST API with a key: each request names the key in the header the REST proxy passes on as gRPC metadata. */
export class ChirpStack {
  constructor(
    readonly url: string,
    private readonly key: string,
    private readonly keyFile: string,
  ) {}

  async request(method: "GET" | "POST" | "PUT" | "DELETE", path: string, body?: object): Promise<Answer> {
    let res: Response;
    try {
      res = await fetch(this.url.replace(/\/+$/, "") + path, {
        method,
        headers: { Accept: "application/json", ...(body ? { "Content-Type": "application/json" } : {}), "Grpc-Metadata-Authorization": `Bearer ${this.key}` },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(20_000),
      });
    } catch (e) {
      const c = (e as { cause?: { code?: string; message?: string } }).cause;
      const cause = c?.code ?? c?.message ?? (e as Error).message;
      throw new Error(`ChirpStack's REST API at ${this.url} did not answer (${cause}). Check --chirpstack (the address of chirpstack-rest-api, often port 8090) and the network.`);
    }
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      /* an answer that is not JSON: its status says enough */
    }
    if (res.status === 401 || res.status === 403)
      throw new Error(
        `ChirpStack at ${this.url} refused the API key in ${this.keyFile} (${res.status}${res.status === 401 ? " Unauthorized" : " Forbidden"}). Make an API key in ChirpStack's web interface (the tenant's "API keys", or "Network Server" → "API keys"), put it alone in ${this.keyFile}, and run npm run flash again.`,
      );
    return { status: res.status, body: json };
  }
}

function serverSaid(a: Answer): string {
  const m = a.body && typeof a.body === "object" && typeof a.body.message === "string" ? `: ${a.body.message}` : "";
  return `${a.status}${m}`;
}

export interface Registration {
  /** Before the board is written: refuses a DevEUI that ChirpStack holds in another application or with other keys. */
  check(d: Device): Promise<void>;
  /** After the board is flashed whole: writes the files beside the export, registers; returns what to tell the technician. */
  complete(d: Device, exportFile: string): Promise<string[]>;
}

/** Checks the options and, with --chirpstack, that ChirpStack takes the key and knows the application and device profile. */
export async function prepareRegistration(o: RegistrationOptions, board: Board): Promise<Registration> {
  if (!VERSIONS[o.lorawanVersion]) throw new Error(`--lorawan-version ${o.lorawanVersion}: feldgate's modems speak ${Object.keys(VERSIONS).join(" or ")}.`);
  if (o.ttsApplication && !TTS_ID.test(o.ttsApplication))
    throw new Error(`--tts-application ${o.ttsApplication} is not an application id of The Things Stack (lower case letters, digits and dashes, 3 to 36).`);
  if (!/^[A-Z0-9_]+$/.test(o.frequencyPlan)) throw new Error(`--frequency-plan ${o.frequencyPlan} is not a frequency plan id of The Things Stack (such as EU_863_870_TTN).`);
  if (o.profileId !== undefined && !/^[0-9A-Fa-f]{8}$/.test(o.profileId)) throw new Error(`--profile-id ${o.profileId} is not 8 hex digits (the TR005 VendorID and profile ID).`);
  for (const [opt, v] of [["--chirpstack-application", o.application], ["--chirpstack-device-profile", o.deviceProfile]] as const)
    if (v !== undefined && !UUID.test(v)) throw new Error(`${opt} ${v} is not a ChirpStack id (a UUID, as in the address of its page in ChirpStack's web interface).`);
  const lorawan = !!board.hw.modem;
  let cs: ChirpStack | null = null;
  if (o.chirpstack) {
    if (!lorawan) throw new Error(`${board.id} has no LoRaWAN modem: there is nothing to register on ChirpStack. Leave out --chirpstack.`);
    if (!/^https?:\/\/[^/]+/.test(o.chirpstack)) throw new Error(`--chirpstack ${o.chirpstack} is not an http:// or https:// address of ChirpStack's REST API.`);
    if (!o.apiKeyFile) throw new Error(`--chirpstack needs --api-key-file <file>: a file that holds a ChirpStack API key, and nothing else.`);
    if (!o.application || !o.deviceProfile) throw new Error(`--chirpstack needs --chirpstack-application <id> and --chirpstack-device-profile <id>: the ids in the addresses of their pages in ChirpStack's web interface.`);
    let key: string;
    try {
      key = fs.readFileSync(o.apiKeyFile, "utf8").trim();
    } catch (e) {
      throw new Error(`The API key file ${o.apiKeyFile} could not be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
    }
    if (!key || /\s/.test(key)) throw new Error(`The API key file ${o.apiKeyFile} must hold one ChirpStack API key and nothing else.`);
    cs = new ChirpStack(o.chirpstack, key, o.apiKeyFile);
    const app = await cs.request("GET", `/api/applications/${o.application}`);
    if (app.status === 404) throw new Error(`ChirpStack has no application ${o.application} (404). Check --chirpstack-application: it is the id in the address of the application's page in ChirpStack's web interface.`);
    if (app.status !== 200) throw new Error(`ChirpStack did not give the application ${o.application}: ${serverSaid(app)}.`);
    const dp = await cs.request("GET", `/api/device-profiles/${o.deviceProfile}`);
    if (dp.status === 404) throw new Error(`ChirpStack has no device profile ${o.deviceProfile} (404). Check --chirpstack-device-profile.`);
    if (dp.status !== 200) throw new Error(`ChirpStack did not give the device profile ${o.deviceProfile}: ${serverSaid(dp)}.`);
    const p = dp.body?.deviceProfile ?? {};
    if (p.supportsOtaa === false) throw new Error(`ChirpStack's device profile ${o.deviceProfile} ("${p.name}") does not allow OTAA; feldgate joins by OTAA. Choose a profile with OTAA.`);
    if (p.region && p.region !== "EU868") throw new Error(`ChirpStack's device profile ${o.deviceProfile} ("${p.name}") is for ${p.region}; feldgate's modems are set to EU868. Choose an EU868 profile.`);
    const app0 = app.body?.application ?? {};
    if (p.tenantId && app0.tenantId && p.tenantId !== app0.tenantId) throw new Error(`ChirpStack's device profile ${o.deviceProfile} belongs to another tenant than the application ${o.application}.`);
  }

  /** The device as ChirpStack holds it: "absent", "same" keys, "nokeys", or "other" keys. */
  const state = async (d: Device): Promise<"absent" | "same" | "nokeys" | "other"> => {
    const eui = d.devEui.toLowerCase();
    const dev = await cs!.request("GET", `/api/devices/${eui}`);
    if (dev.status === 404) return "absent";
    if (dev.status !== 200) throw new Error(`ChirpStack did not say whether it holds device ${d.devEui}: ${serverSaid(dev)}.`);
    const in_ = dev.body?.device?.applicationId;
    if (in_ && in_ !== o.application)
      throw new Error(`ChirpStack already holds a device with DevEUI ${d.devEui}, in another application (${in_}). If it is this gateway, delete it there first; otherwise the DevEUI is taken: check --dev-eui or the range.`);
    const keys = await cs!.request("GET", `/api/devices/${eui}/keys`);
    if (keys.status === 404) return "nokeys";
    if (keys.status !== 200) throw new Error(`ChirpStack did not give the keys of device ${d.devEui}: ${serverSaid(keys)}.`);
    return String(keys.body?.deviceKeys?.nwkKey ?? "").toLowerCase() === d.appKey.toLowerCase() ? "same" : "other";
  };

  return {
    async check(d) {
      if (!cs) return;
      if ((await state(d)) === "other" && !o.replaceKeys)
        throw new Error(
          `ChirpStack already holds device ${d.devEui} in this application with other keys (from an earlier flash of this board, or another device with this DevEUI). If this board is that device, run again with --chirpstack-replace-keys to give it this flash's keys; otherwise check the DevEUI. Nothing was written to the board.`,
        );
    },

    async complete(d, exportFile) {
      const base = exportFile.replace(/\.json$/, "");
      const said: string[] = [];
      if (!lorawan) return [`${d.board.id} has no LoRaWAN modem: nothing to register on a LoRaWAN network server.`];
      const files = {
        csDevice: base + ".chirpstack-device.json",
        csKeys: base + ".chirpstack-keys.json",
        tts: base + ".tts.json",
        label: base + ".label.svg",
      };
      writeSecret(files.csDevice, JSON.stringify(chirpstackDevice(d, o), null, 2) + "\n");
      writeSecret(files.csKeys, JSON.stringify(chirpstackKeys(d), null, 2) + "\n");
      writeSecret(files.tts, JSON.stringify(ttsEndDevice(d, o), null, 2) + "\n");
      const qr = tr005Text({ joinEui: d.joinEui, devEui: d.devEui, profileId: o.profileId });
      // The label holds no secret: it may be printed and read by anyone.
      fs.writeFileSync(files.label, labelSvg(qr, { devEui: d.devEui, caption: `feldgate · ${d.site}` }), { flag: "wx", mode: 0o644 });
      said.push(`Files for the network server, beside the keys:`);
      said.push(`  - ${files.tts}: The Things Stack end device (console: "Import end devices", "The Things Stack JSON"; or ttn-lw-cli end-devices create --application-id <id> < file);`);
      said.push(`  - ${files.csDevice} and ${files.csKeys}: ChirpStack's POST /api/devices and POST /api/devices/${d.devEui.toLowerCase()}/keys;`);
      said.push(`  - ${files.label}: the QR code label (TR005, ${qr}) for the box.`);
      if (!cs) return said;

      const eui = d.devEui.toLowerCase();
      try {
        const st = await state(d);
        if (st === "absent") {
          const r = await cs.request("POST", "/api/devices", chirpstackDevice(d, o));
          if (r.status !== 200 && r.status !== 409) throw new Error(`ChirpStack did not create device ${d.devEui}: ${serverSaid(r)}.`);
        }
        let how = "created with its keys";
        if (st === "absent" || st === "nokeys") {
          const r = await cs.request("POST", `/api/devices/${eui}/keys`, chirpstackKeys(d));
          if (r.status === 409) {
            if ((await state(d)) !== "same") throw new Error(`ChirpStack took other keys for device ${d.devEui} meanwhile (409).`);
          } else if (r.status !== 200) throw new Error(`ChirpStack did not take the keys of device ${d.devEui}: ${serverSaid(r)}.`);
          if (st === "nokeys") how = "given its keys (the device was there already)";
        } else if (st === "same") how = "already there with these keys";
        else {
          const r = await cs.request("PUT", `/api/devices/${eui}/keys`, chirpstackKeys(d));
          if (r.status !== 200) throw new Error(`ChirpStack did not take the new keys of device ${d.devEui}: ${serverSaid(r)}.`);
          how = "given this flash's keys in place of its old ones (--chirpstack-replace-keys)";
        }
        said.unshift(`Registered on ChirpStack at ${cs.url}: device ${d.devEui} in application ${o.application}, ${how}.`);
      } catch (e) {
        said.unshift(
          `NOT registered on ChirpStack: ${(e as Error).message}`,
          `  The gateway is flashed and its keys are safe. Register it by hand: send the two ChirpStack files below to ${cs.url} (README, "Flash a gateway"), or add the device in ChirpStack's web interface.`,
        );
      }
      return said;
    },
  };
}
