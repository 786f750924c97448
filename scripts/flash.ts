/**
 * npm run flash -- --board <id> --port <port> --site <file>
 *
 * Takes a board that runs the Espruino interpreter to a provisioned feldgate
 * gateway, through the EspruinoTools CLI (scripts/flash/espruino.ts), the way
 * a technician's laptop talks to a board over USB:
 *
 * 1. builds the board's bundle with the drivers of the site's sensors and
 *    no others (scripts/build/site.ts), and checks the site on a simulated
 *    board of the same kind, with that bundle's own checks;
 * 2. asks the board what it is (process.env.BOARD and VERSION) and what its
 *    Storage holds, and its modem for its DevEUI; refuses another build or
 *    version, and a board that holds files unless --wipe is given; a locked
 *    console is unlocked first with its password (scripts/flash/lock.ts),
 *    and locked again if the run stops before anything is written;
 * 3. makes the identity (AppKey from the OS CSPRNG) and its export file
 *    (mode 0600, outside the repository);
 * 4. writes the app, its boot control, the site and the identity, reads back
 *    each file's length and CRC-32, and refuses to go on at a mismatch;
 * 5. only then writes the loader (.bootcde), with the console lock
 *    (.bootPowerOn) just before it under --lock, checks them, and starts the
 *    gateway.
 *
 * A board cut off before step 5 has no loader and boots nothing: never
 * half-written firmware.
 *
 * A board that runs feldgate gets only a new image, in its spare slot
 * (scripts/flash/reflash.ts), and keeps its identity, site, counters and
 * unsent readings; a cable pulled on the way leaves it booting the image it
 * ran before. --wipe starts from an empty Storage instead.
 *
 *   --board <id>            a board of boards/ (npm run size lists them)
 *   --port <port>           /dev/ttyUSB0, COM3, or tcp://host:port (a simulated board: npm run sim -- --console)
 *   --site <file>           the site configuration (docs/storage-layout.md, "Site configuration")
 *   --drivers <a,b>         drivers to carry besides the site's, for sensors planned later (docs/provisioning.md)
 *   --wipe                  erase everything in the board's Storage first (identity, readings, counters);
 *                           without it, a board that runs feldgate gets the new image and keeps them
 *   --dev-eui <hex>         use this DevEUI
 *   --dev-eui-range <file>  take the DevEUI from the operator's range when the modem has none
 *   --credentials <file>    per-device Wi-Fi, MQTT or HTTP credentials and TLS files (scripts/flash/credentials.ts)
 *   --join-eui <hex>        the JoinEUI (default 0000000000000000)
 *   registration on the network server (scripts/flash/register.ts, docs/provisioning.md):
 *   --chirpstack <url> --api-key-file <file> --chirpstack-application <id> --chirpstack-device-profile <id>
 *   [--chirpstack-replace-keys] [--tts-application <id>] [--frequency-plan <id>] [--lorawan-version 1.0.3] [--profile-id <8 hex>]
 *   --keys-dir <dir>        where the export file goes (default ~/.feldgate/keys)
 *   --all-drivers           build the full bundle instead, every driver of the board, into dist/
 *   --no-build              flash dist/ as it is: the full bundle, every driver of the board
 *   --lock                  lock the board's console with a password of its own, kept in the export (scripts/flash/lock.ts)
 *   --password-file <file>  the password of a locked board (else the export of --dev-eui in the keys dir, else asked on the terminal)
 */
import fs from "node:fs";
import path from "node:path";
import { rollup, type OutputOptions, type RollupOptions } from "rollup";
import { boards } from "../boards/index";
import type { Board } from "../boards/types";
import { bundleConfig, loaderConfig } from "./build/config";
import { buildSiteBundle, DriverChoiceError, parseDriverList, siteDrivers, SITE_CACHE } from "./build/site";
import { SimBoard } from "./sim/board";
import { standardWorld } from "./sim/world";
import { FILE, FILE_HEADER_BYTES, SETTINGS_PAGES_MIN } from "../src/store/storage-layout";
import { CLI_VERSION, runCli, type CliResult, type StorageFile } from "./flash/espruino";
import { crc32, crcCode, flashSet, mismatches, PROBE_CODE, storageBytes, tagged, type BoardReport, type FlashSet } from "./flash/files";
import { defaultKeysDir, insideRepository, modemQueryCode, newAppKey, normalEui, parseModemEui, ROOT, takeFromRange, writeExport, type Identity } from "./flash/identity";
import { readCredentials, type Credentials } from "./flash/credentials";
import { LAYOUT_CODE, planReflash, reflashCode, revertCode, type Layout } from "./flash/reflash";
import { prepareRegistration, registrationArgs, REGISTRATION_DEFAULTS, type RegistrationOptions } from "./flash/register";
import { answeredLocked, askPassword, checkPassword, lockCode, newConsolePassword, passwordFromExport, passwordFromFile, unlockConsole, type PasswordSource } from "./flash/lock";

/** The interpreter release feldgate runs on (docs/espruino-2v29.md). */
const ESPRUINO = "2v29";
/** Baud rate of the builds whose console is a serial port (boards/ESP32.py 52); the others are on USB. */
const CONSOLE_BAUD: Record<string, number> = { ESP32: 115200 };

class Refusal extends Error {
  /** The console lock may have reached the board: its export, which holds the password, is kept. */
  lockWritten = false;
}

function refuse(msg: string): never {
  throw new Refusal(msg);
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

let say: (s?: string) => void = (s = "") => void process.stdout.write(s + "\n");
/** A bar that redraws in place, on a terminal; lines at each quarter otherwise. */
let tty = !!process.stdout.isTTY;
const kb = (n: number) => (n / 1024).toFixed(1) + " KB";

/** The full bundle, every driver of the board file, into `dist` (npm run flash -- --all-drivers). */
async function build(board: Board, dist: string): Promise<void> {
  for (const cfg of [loaderConfig(dist), bundleConfig(board, { outDir: dist })] as RollupOptions[]) {
    const b = await rollup({ ...cfg, onwarn: () => {} });
    await b.write(cfg.output as OutputOptions);
    await b.close();
  }
}

/** The bundle's own checks of the site, run on a simulated board of the same kind: the refusal the gateway would log, or "". */
export function siteProblem(board: Board, dist: string, siteJson: string): string {
  const sim = new SimBoard({ board, dist, memoryBaseline: false });
  sim.install();
  sim.storage.write(FILE.site, siteJson);
  standardWorld(sim);
  sim.boot();
  sim.advance(3000);
  sim.powerOff();
  const refused = sim.console.map((l) => /Site configuration refused: (.*?)\. Running without sensors/.exec(l.text)).find((m) => m);
  if (refused) return refused[1];
  if (sim.errors.length) return "the firmware stopped on it: " + sim.errors[0].message;
  return "";
}

function progressBar(label: string): (sent: number, total: number) => void {
  let shown = -1;
  return (sent, total) => {
    const pct = Math.min(100, Math.floor((sent / total) * 100));
    if (tty) {
      if (pct === shown) return;
      const w = 30;
      const fill = Math.round((pct / 100) * w);
      process.stdout.write(`\r  ${label} [${"#".repeat(fill)}${".".repeat(w - fill)}] ${String(pct).padStart(3)} %  ${kb(sent)} of ${kb(total)}`);
      if (pct === 100) process.stdout.write("\n");
    } else if (Math.floor(pct / 25) > Math.floor(shown / 25)) say(`  ${label}: ${pct} %`);
    shown = pct;
  };
}

function noBoard(port: string, r: CliResult): never {
  if (r.noConnection) refuse(`Nothing answered on ${port}. Check that the board is plugged in and powered, that ${port} is its port, and that no terminal or Web IDE holds the port.`);
  refuse(`Something is on ${port}, but no Espruino interpreter answered. Check that the board runs Espruino ${ESPRUINO} (README, "Flash a gateway"), then unplug it, plug it in again and retry.`);
}

/**
 * Writes the files, then the loader, each read back; starts the gateway.
 * Returns the lines it printed as it started.
 */
async function writeBoard(board: Board, port: string, baud: number | undefined, set: FlashSet, wipe: boolean, lock: StorageFile | null): Promise<string[]> {
  if (wipe) {
    say(`Erasing the board's Storage (--wipe) ...`);
    // The firmware's manual watchdog goes on counting after the CLI's reset() (jsinteractive.h 177): kicked
    // by the idle loop from here on, it does not restart the board while its files are written.
    const w = await runCli({ port, baud, code: `E.enableWatchdog(20,true);require("Storage").eraseAll();print("FGWIPED:"+JSON.stringify(require("Storage").list().length))`, timeoutMs: 120_000 });
    const left = tagged<number>(w.lines, "FGWIPED:")[0];
    if (left !== 0) refuse(`The board's Storage could not be erased${w.disconnected ? ": the connection was lost" : ""}. Run npm run flash again.`);
  }
  say(`Writing ${set.files.length} files (${kb(storageBytes(board, set.files))}) with EspruinoTools ${CLI_VERSION} ...`);
  const wr = await runCli({ port, baud, files: set.files, code: crcCode(set.files.map((f) => f.name)), onProgress: progressBar("Writing"), timeoutMs: 15 * 60_000 });
  const bad = mismatches(set.files, wr.lines);
  if (bad.length) {
    const lost = wr.disconnected || !wr.finished ? "The connection was lost while writing. " : "";
    refuse(`${lost}${bad.map((b) => `${b.name}: ${b.why}`).join("; ")}. The board has no loader and boots nothing; check the cable and run npm run flash again with --wipe.`);
  }
  say(`  Read back ${set.files.map((f) => f.name).join(", ")}: every byte as written.`);

  // The loader last; the gateway starts only if it reads back whole. The console lock goes with it, just
  // before it: a board cut off between the two is locked and boots nothing, and its export is kept.
  const start = `(function(){var d=require("Storage").read(".bootcde");if(d!==undefined&&d.length===${set.boot.data.length}&&E.CRC32(d)===${crc32(set.boot.data)})load();})()`;
  say(lock ? `Writing the console lock and the loader, and starting the gateway ...` : `Writing the loader and starting the gateway ...`);
  const last = lock ? [lock, set.boot] : [set.boot];
  // It listens on for a while after: the gateway's first lines come once it has read its app.
  // load() runs the loader, which locks the console again (src/loader.ts).
  const fin = await runCli({ port, baud, files: last, code: crcCode(last.map((f) => f.name)) + ";\n" + start, sleepS: 3, timeoutMs: 120_000 });
  const badBoot = mismatches(last, fin.lines);
  if (badBoot.length) {
    const r = new Refusal(`${badBoot.map((b) => `${b.name}: ${b.why}`).join("; ")}. The board boots nothing now; check the cable and run npm run flash again with --wipe.`);
    r.lockWritten = !!lock;
    throw r;
  }
  return logLines(fin.lines);
}

/** A line the console printed, without the REPL's redrawn prompt (">\r\x1b[J") it may come after. */
function withoutPrompt(line: string): string {
  return line.replace(/^(?:>|\r|\x1b\[J)*/, "");
}

/** The gateway's log lines among what the console printed. */
export function logLines(lines: string[]): string[] {
  return lines.map(withoutPrompt).filter((l) => /^(INFO|WARN|ERROR) /.test(l));
}

/** The summary's line on the drivers the bundle holds. */
function driversLine(board: Board, drivers: readonly string[], more = ""): string {
  return `  - the drivers ${drivers.length ? drivers.join(", ") : "(none)"}${drivers.length < board.drivers.length ? `, and no others of ${board.id}'s${more}` : `: every driver of ${board.id}`};`;
}

/**
 * A gateway that runs feldgate gets the new image in its spare slot and keeps its identity, site,
 * counters and unsent readings (scripts/flash/reflash.ts). Nothing else is written.
 */
async function reflashKeeping(board: Board, argv: FlashOptions, port: string, baud: number | undefined, dist: string, drivers: readonly string[], held: readonly string[]): Promise<void> {
  say(`  It runs feldgate: the new firmware goes into its spare slot, and its identity, site, counters and unsent readings stay (--wipe erases them instead).`);
  const restart = async () => void (await runCli({ port, baud, code: "load()", timeoutMs: 30_000 }));
  // A new Storage file on a gateway whose store fills Storage would make the interpreter compact it (docs/storage-layout.md).
  if (argv.lock && !held.includes(FILE.powerOn))
    refuse(`This gateway's console is not locked, and locking it needs a file that only a flash from an empty Storage writes: run npm run flash again with --wipe --lock (a new identity: register it again), or without --lock.`);
  if (argv.devEui || argv.credentials || argv.joinEui)
    refuse(`A new firmware for a gateway keeps the identity and credentials it has; --dev-eui, --join-eui and --credentials take effect only with --wipe, which also erases its counters and unsent readings.`);
  const lr = await runCli({ port, baud, code: LAYOUT_CODE, timeoutMs: 60_000 });
  const layout = tagged<Layout>(lr.lines, "FGLAYOUT:")[0];
  if (!layout) noBoard(port, lr);
  // The gateway keeps its own site: the new firmware carries the drivers of its sensors too.
  const missing = (layout.kinds ?? []).filter((k) => !drivers.includes(k));
  if (missing.length) {
    if (!argv.build) refuse(`The gateway's own site has sensors of kinds ${missing.join(", ")}, which the firmware in ${dist} lacks. Run npm run flash without --no-build, or with --drivers ${missing.join(",")}.`);
    const kinds = [...new Set([...drivers, ...missing])];
    say(`  Its own site has sensors of kinds ${missing.join(", ")} too: building feldgate with the drivers ${kinds.join(", ")} ...`);
    let chosen: ReturnType<typeof siteDrivers>;
    try {
      chosen = siteDrivers(board, { sensors: kinds.map((kind) => ({ kind })) });
    } catch (e) {
      refuse(`The gateway's own site has a sensor this firmware cannot carry: ${(e as Error).message}`);
    }
    const sb = await buildSiteBundle(board, chosen, argv.siteCache ?? SITE_CACHE);
    dist = sb.dir;
    drivers = sb.drivers;
  }
  const bundle = new Uint8Array(fs.readFileSync(path.join(dist, `${board.id}.js`)));
  const plan = planReflash(board, layout, bundle);
  if (typeof plan === "string") {
    await restart();
    refuse(`This gateway cannot take the new firmware and keep its data: ${plan}. It runs as before. Let it deliver its readings, then run npm run flash again with --wipe (a new identity: register it again).`);
  }
  say(`Writing feldgate (${kb(plan.image.length)}) into slot ${plan.target === "A" ? "A" : "B, in the flash store"}; slot ${plan.running === "A" ? "A" : "B"} runs until it is checked ...`);
  const up = await runCli({ port, baud, code: reflashCode(plan), onProgress: progressBar("Writing"), sleepS: 3, timeoutMs: 15 * 60_000 });
  const r = tagged<{ ok: boolean }>(up.lines, "FGUPDATE:")[0];
  if (!r || !r.ok)
    refuse(
      `${!r ? "The connection was lost while writing" : "The new firmware did not read back as written"}: the gateway keeps the firmware it ran before, and starts it again ${!r ? "within 20 s, or when it is powered again" : "now"}. Check the cable and run npm run flash again.`,
    );
  const started = logLines(up.lines);
  // The site in force may have changed by downlink since it was flashed: should the new firmware refuse it, the old one runs again.
  // A new image that stops at its start is sent back at once (the loader would pass it over after its tries).
  const refusedSite = started.find((l) => /Site configuration refused|Start-up failed/.test(l)) ?? up.lines.map(withoutPrompt).find((l) => l.startsWith("Uncaught "));
  if (refusedSite) {
    const back = await runCli({ port, baud, code: revertCode(plan), sleepS: 3, timeoutMs: 60_000 });
    const ok = tagged<number>(back.lines, "FGREVERT:")[0] !== undefined;
    refuse(
      `The new firmware did not start as it should: "${refusedSite}". ${ok ? "The gateway runs the firmware it ran before again" : "Going back to the firmware it ran before did not answer: run npm run flash again"}. ${/Site configuration refused/.test(refusedSite) ? "Add the drivers its site needs with --drivers and run npm run flash again." : "Keep the firmware it runs, and report the message with the firmware's version."}`,
    );
  }
  say("");
  say(`Done. The gateway on ${port} runs the new feldgate now:`);
  say(`  - ${board.title}; feldgate, ${bundle.length} bytes, in slot ${plan.target === "A" ? "A" : "B"} (slot ${plan.running === "A" ? "A" : "B"} keeps the one before);`);
  say(driversLine(board, drivers));
  say(`  - kept: its identity (DevEUI ${layout.eui ?? "unknown"}), its site, its counters and the readings it had not sent yet.`);
  if (started.length) {
    say(`It started and said:`);
    for (const l of started.slice(0, 8)) say(`  ${l}`);
  } else say(`It was started, but said nothing yet: open its console to watch it.`);
  say(`It is on trial until its first reading cycle is stored, which confirms it; a firmware that does not get there in three starts is passed over, and the one before runs again.`);
  say(`Next: nothing to register; its keys did not change. Check on the platform that its frames keep coming.`);
}

export async function flash(argv: FlashOptions, out?: (line: string) => void): Promise<void> {
  const saved = { say, tty };
  if (out) {
    say = (s = "") => out(s);
    tty = false;
  }
  try {
    await flashBoard(argv);
  } catch (e) {
    // Refused after the board was unlocked and before anything was written: the gateway runs again, locked.
    if (relock) await relock();
    throw e;
  } finally {
    relock = null;
    ({ say, tty } = saved);
  }
}

/** Set while a board this run unlocked has had nothing written: restarts its gateway, which locks its console again. */
let relock: (() => Promise<void>) | null = null;

/** Asks for the password of a locked board (scripts/flash/lock.ts), and unlocks it; refuses when it cannot. */
async function unlockBoard(argv: FlashOptions, port: string, baud: number | undefined): Promise<PasswordSource> {
  say(`  Its console is locked: it takes nothing but its password.`);
  let src: PasswordSource | null = null;
  try {
    if (argv.passwordFile) src = passwordFromFile(argv.passwordFile);
    else if (argv.devEui) {
      const eui = normalEui(argv.devEui) ?? refuse(`--dev-eui ${argv.devEui} is not a DevEUI of 16 hex digits.`);
      src = passwordFromExport(argv.keysDir, eui);
      if (!src) say(`  No export of ${eui} in ${argv.keysDir} holds a console password.`);
    }
    if (!src) {
      const typed = await askPassword(`  The console password of the board on ${port} (not shown): `);
      if (typed !== null) src = { password: checkPassword(typed, "What was typed"), from: "what you typed" };
    }
  } catch (e) {
    if (e instanceof Refusal) throw e;
    refuse(`${(e as Error).message} Nothing on the board was changed.`);
  }
  if (!src)
    refuse(
      `The board on ${port} is locked: its console takes nothing but its password. Give the password with --password-file <file>, ` +
        `or the board's DevEUI (on its label) with --dev-eui <hex> so that it is taken from the board's export in ${argv.keysDir}, ` +
        `or run npm run flash in a terminal to type it. Nothing on the board was changed.`,
    );
  const r = await unlockConsole(port, baud, src.password);
  if (r === "wrong")
    refuse(
      `The board on ${port} did not take the password from ${src.from}: its console is still locked, and nothing on it was changed. ` +
        `Check that the password belongs to this board (its DevEUI is on its label, and each export file is named after one), then run npm run flash again with the right --password-file or --dev-eui.`,
    );
  if (r === "no-answer") refuse(`The board on ${port} stopped answering while it was being unlocked. Unplug it, plug it in again and run npm run flash again; nothing on it was changed.`);
  say(r === "open" ? `  Its console was open by the time the password was sent (someone unlocked it); going on.` : `  Unlocked with the password from ${src.from}.`);
  relock = async () => {
    relock = null;
    say(`Starting the board's gateway again, which locks its console ...`);
    // reset() is not sent: it would stop nothing more, and the console stays open across it (lock.ts).
    // Without a loader, load() would leave the console locked with no password until power-on: the lock itself is run.
    await runCli({ port, baud, reset: false, code: `(function(){var S=require("Storage");if(S.read(".bootcde")!==undefined)load();else eval(S.read(".bootPowerOn")||"");})()`, timeoutMs: 60_000 });
  };
  return src;
}

export interface FlashOptions {
  board: string;
  port: string;
  site: string;
  wipe: boolean;
  devEui?: string;
  devEuiRange?: string;
  credentials?: string;
  keysDir: string;
  /**
   * Build what is flashed: the site's bundle, with the drivers of its sensors
   * and `drivers` and no others (the default of npm run flash), or with
   * `allDrivers` the full bundle into `dist`. False flashes `dist` as it is.
   */
  build: boolean;
  dist: string;
  /** Drivers to carry besides the site's, for sensors planned later. */
  drivers?: string[];
  allDrivers?: boolean;
  /** Where site bundles are kept between runs (default .cache/site-bundles, which git ignores). */
  siteCache?: string;
  joinEui?: string;
  registration?: RegistrationOptions;
  /** Lock the console with a new password of the device's own. */
  lock?: boolean;
  /** The password of a board whose console is locked. */
  passwordFile?: string;
}

export { Refusal };

async function flashBoard(argv: FlashOptions): Promise<void> {
  const board = boards.find((b) => b.id === argv.board) ?? refuse(`No board "${argv.board}". The boards are: ${boards.map((b) => b.id).join(", ")}.`);
  const port = argv.port;
  const baud = CONSOLE_BAUD[board.espruinoBuild];

  // --- the site, the bundle and where the keys go, before anything touches the board
  if (insideRepository(argv.keysDir)) refuse(`${argv.keysDir} is inside the repository: keys are never kept there. Choose another --keys-dir.`);
  let siteText: string;
  let site: { name: string; interval: number; sensors: { kind: string; port: number; name?: string }[] };
  try {
    siteText = fs.readFileSync(argv.site, "utf8");
    site = JSON.parse(siteText);
  } catch (e) {
    refuse(`The site file ${argv.site} could not be read as JSON: ${(e as Error).message}`);
  }
  const siteJson = JSON.stringify(site);
  if (siteJson.length > 1024) refuse(`The site configuration is ${siteJson.length} characters; a gateway keeps at most 1024. Shorten the sensor names or options.`);
  // The drivers of the site's sensors, and those asked for with --drivers: the bundle holds these and no others.
  let drivers: readonly string[] = board.drivers;
  let dist = argv.dist;
  if ((argv.drivers?.length || argv.allDrivers) && !argv.build) refuse(`--drivers and --all-drivers choose what is built; with --no-build, dist/ is flashed as it is.`);
  if (argv.build && argv.allDrivers) {
    if (argv.drivers?.length) refuse(`--all-drivers carries every driver of ${board.id} already: leave out --drivers.`);
    say(`Building feldgate for ${board.id}, with every driver of the board (${board.drivers.join(", ")}) ...`);
    await build(board, dist);
  } else if (argv.build) {
    let kinds: ReturnType<typeof siteDrivers>;
    try {
      kinds = siteDrivers(board, site, argv.drivers ?? []);
    } catch (e) {
      if (e instanceof DriverChoiceError) refuse(`${e.message} Fix the site file or --drivers and run npm run flash again.`);
      throw e;
    }
    say(`Building feldgate for ${board.id} with the drivers ${kinds.length ? kinds.join(", ") : "(none: the site has no sensors)"} ...`);
    const sb = await buildSiteBundle(board, kinds, argv.siteCache ?? SITE_CACHE);
    if (sb.cached) say(`  Built before, for the same sources: ${path.relative(process.cwd(), sb.dir) || sb.dir}.`);
    drivers = sb.drivers;
    dist = sb.dir;
  }
  const problem = siteProblem(board, dist, siteJson);
  if (problem) refuse(`The site file ${argv.site} would be refused by the gateway: ${problem}. Fix the file and run npm run flash again.`);
  // Credentials, TLS files and the network server are checked before anything touches the board.
  let creds: Credentials | null = null;
  const joinEui = argv.joinEui === undefined ? "0000000000000000" : (normalEui(argv.joinEui) ?? refuse(`--join-eui ${argv.joinEui} is not a JoinEUI of 16 hex digits.`));
  let reg: Awaited<ReturnType<typeof prepareRegistration>>;
  try {
    if (argv.credentials) creds = readCredentials(argv.credentials, board);
    reg = await prepareRegistration(argv.registration ?? REGISTRATION_DEFAULTS, board);
  } catch (e) {
    refuse((e as Error).message);
  }

  // --- what is on the port
  say(`Asking the board on ${port} what it is ...`);
  const modemCode = modemQueryCode(board);
  const ask = () => runCli({ port, baud, code: PROBE_CODE + (modemCode && !argv.devEui ? ";try{" + modemCode + "}catch(e){print('FGEUI:'+JSON.stringify(''+e));}" : ""), sleepS: modemCode && !argv.devEui ? 2 : 0, timeoutMs: 60_000 });
  let probe = await ask();
  let unlockedWith: PasswordSource | null = null;
  if (!tagged<BoardReport>(probe.lines, "FGBOARD:").length && answeredLocked(probe.lines)) {
    unlockedWith = await unlockBoard(argv, port, baud);
    probe = await ask();
  }
  const rep = tagged<BoardReport>(probe.lines, "FGBOARD:")[0];
  if (!rep && answeredLocked(probe.lines)) refuse(`The board on ${port} locked its console again before it could be asked (was it restarted?). Run npm run flash again.`);
  if (!rep) noBoard(port, probe);
  if (rep.board !== board.espruinoBuild)
    refuse(`The board on ${port} runs Espruino for ${rep.board}, but ${board.id} needs the ${board.espruinoBuild} build. Check --board, or put the ${board.espruinoBuild} build of Espruino ${ESPRUINO} on it (README, "Flash a gateway").`);
  if (rep.version !== ESPRUINO)
    refuse(`The board on ${port} runs Espruino ${rep.version}; feldgate needs ${ESPRUINO}. Put Espruino ${ESPRUINO} for ${board.espruinoBuild} on it first (README, "Flash a gateway").`);
  const held = rep.files;
  // Erased files leave trash that only compact() reclaims, which would move the flash store (docs/storage-layout.md).
  const dirty = held.length > 0 || rep.trash > 0;
  say(`  Espruino ${rep.version} for ${rep.board}, Storage ${kb(rep.total)}, ${held.length ? held.length + " files in it" : rep.trash ? "erased files in it" : "empty"}.`);
  if (dirty && !argv.wipe && [FILE.bootCtl, FILE.appA, FILE.identity].every((f) => held.includes(f))) return reflashKeeping(board, argv, port, baud, dist, drivers, held);
  if (dirty && !argv.wipe)
    refuse(
      (held.length ? `The board already holds ${held.length} file${held.length > 1 ? "s" : ""} in Storage (${held.slice(0, 6).map((f) => JSON.stringify(f)).join(", ")}${held.length > 6 ? ", ..." : ""}). ` : `The board's Storage holds ${rep.trash} bytes of erased files. `) +
        `It does not run feldgate as npm run flash leaves it, so npm run flash starts from an empty Storage: run it again with --wipe to erase everything on the board, including an earlier identity, its counters and any readings not yet sent.`,
    );

  // --- identity
  let devEui: string;
  let euiFrom: string;
  if (argv.devEui) {
    devEui = normalEui(argv.devEui) ?? refuse(`--dev-eui ${argv.devEui} is not a DevEUI of 16 hex digits.`);
    euiFrom = "given with --dev-eui";
  } else {
    const answer = tagged<string>(probe.lines, "FGEUI:")[0] ?? "";
    const fromModem = parseModemEui(board, answer);
    if (fromModem) {
      devEui = fromModem;
      euiFrom = `the ${board.hw.modem!.kind === "rak3172" ? "RAK3172" : "Wio-E5"} modem's own`;
    } else if (argv.devEuiRange) {
      try {
        devEui = takeFromRange(argv.devEuiRange);
      } catch (e) {
        refuse((e as Error).message);
      }
      euiFrom = `from the range in ${argv.devEuiRange}`;
    } else if (board.hw.modem) {
      refuse(`The board's ${board.hw.modem.kind} modem gave no DevEUI (check its wiring and power). Give one with --dev-eui, or a range with --dev-eui-range <file>.`);
    } else {
      refuse(`${board.id} has no LoRaWAN modem to take a DevEUI from: give one with --dev-eui, or a range with --dev-eui-range <file>.`);
    }
  }
  const identity: Identity = { ...creds?.identity, v: 1, devEui, joinEui, appKey: newAppKey() };
  const device = { devEui, joinEui, appKey: identity.appKey, site: site.name, board };
  try {
    await reg.check(device);
  } catch (e) {
    refuse((e as Error).message);
  }
  const set = flashSet(board, dist, siteJson, JSON.stringify(identity));
  // The console password: made here from the CSPRNG, kept in the export, run on the board from .bootPowerOn.
  const consolePassword = argv.lock ? newConsolePassword() : null;
  const lockFile: StorageFile | null = consolePassword ? { name: FILE.powerOn, data: new Uint8Array(Buffer.from(lockCode(consolePassword), "latin1")) } : null;
  if (creds) set.files.push(...creds.files);
  const need = storageBytes(board, [...set.files, set.boot, ...(lockFile ? [lockFile] : [])]);
  // The flash store follows the files, from the next whole page to a page before Storage's end, and needs
  // its settings pages there, and its buffer too where the board has no flash area outside Storage
  // (docs/storage-layout.md, "Where it lives"; src/store/storage-layout.ts, storePartition).
  const pb = board.flash.pageBytes;
  const storePages = Math.floor((rep.total - pb - Math.ceil((need + FILE_HEADER_BYTES) / pb) * pb) / pb);
  const storeNeeds = SETTINGS_PAGES_MIN + (board.bufferArea ? 0 : 4);
  if (storePages < storeNeeds)
    refuse(`The files take ${kb(need)} of the board's ${kb(rep.total)} of Storage, which leaves ${Math.max(0, storePages)} pages for the flash store; it needs ${storeNeeds}. This build of feldgate is too large for ${board.id}.`);
  const keysDir = argv.keysDir;

  // The export exists before the keys reach the board, so they are never only on the board.
  const exportFile = writeExport(keysDir, devEui, {
    format: "feldgate-device/1",
    devEui,
    joinEui: identity.joinEui,
    appKey: identity.appKey,
    board: board.id,
    espruino: `${rep.board} ${rep.version}`,
    chipSerial: rep.serial,
    site: site.name,
    flashedAt: new Date().toISOString(),
    ...(creds ? { credentials: creds.exported } : {}),
    ...(consolePassword ? { consolePassword } : {}),
  });
  let started: string[];
  relock = null; // from here the board is written: what it runs after is npm run flash's own
  try {
    started = await writeBoard(board, port, baud, set, dirty, lockFile);
  } catch (e) {
    // A board that was not flashed whole boots nothing and holds no usable keys: their export goes,
    // unless the board may ask for the console password in it.
    if (e instanceof Refusal && e.lockWritten) {
      e.message += ` Its console may be locked now: the password is in ${exportFile} (npm run flash -- ... --password-file, or --dev-eui ${devEui}).`;
    } else fs.rmSync(exportFile, { force: true });
    throw e;
  }

  say("");
  say(`Done. The board on ${port} is a feldgate gateway now:`);
  say(`  - ${board.title}, Espruino ${rep.version};`);
  say(`  - feldgate, ${set.bundleBytes} bytes${board.compressApp ? ` (${set.files.find((f) => f.name === FILE.appA)!.data.length} stored compressed)` : ""}, with its loader;`);
  say(driversLine(board, drivers, " (a sensor of another kind needs npm run flash again with --drivers)"));
  say(`  - the site "${site.name}": ${site.sensors.length} sensor${site.sensors.length === 1 ? "" : "s"}, a reading every ${Math.round(site.interval / 60)} min;`);
  say(`  - its identity: DevEUI ${devEui} (${euiFrom}), JoinEUI ${identity.joinEui}, and a new AppKey${creds ? `; ${creds.summary}` : ""}${consolePassword ? ";" : "."}`);
  if (consolePassword) say(`  - its console locked with a password of its own.`);
  if (started.length) {
    say(`It started and said:`);
    for (const l of started.slice(0, 8)) say(`  ${l}`);
  } else say(`It was started, but said nothing yet: open its console to watch it (npm run sim shows it on the simulated board).`);
  const registered = await reg.complete(device, exportFile);
  say("");
  say(`The keys are in ${exportFile} (only you can read it).`);
  if (consolePassword) say(`The console is locked; its password is in the same file. npm run console -- --port ${port} --dev-eui ${devEui} opens it, and npm run flash asks for it again.`);
  else if (unlockedWith) say(`The console is not locked any more: add --lock to lock it with a new password.`);
  for (const l of registered) say(l);
  say(`Next:`);
  if (!board.hw.modem) say(`  1. Make sure the MQTT broker or HTTP endpoint knows this gateway's credentials.`);
  else if (!registered.some((l) => l.startsWith("Registered on ChirpStack")))
    say(`  1. Register the device on the network server with the files above (docs/provisioning.md), or by hand with DevEUI ${devEui}, JoinEUI ${identity.joinEui} and the AppKey from ${path.basename(exportFile)}.`);
  else say(`  1. Nothing to register: ChirpStack knows the device.`);
  say(`  2. Wire the sensors as the site says: ${site.sensors.map((s) => `port ${s.port}: ${s.kind}${s.name ? ` "${s.name}"` : ""}`).join("; ") || "none yet"}.`);
  say(`  3. Install the gateway; its first frame goes out once it has joined the network.`);
  say(`  4. Keep ${path.basename(exportFile)} safe, away from the repository; whoever holds it can speak for this gateway.`);
}

async function main(): Promise<void> {
  const board = arg("--board");
  const port = arg("--port");
  const site = arg("--site");
  if (!board || !port || !site) {
    say("npm run flash -- --board <id> --port <port> --site <file>   (see the README, \"Flash a gateway\")");
    say(`boards: ${boards.map((b) => b.id).join(", ")}`);
    process.exitCode = 2;
    return;
  }
  await flash({
    board,
    port,
    site,
    wipe: process.argv.includes("--wipe"),
    devEui: arg("--dev-eui"),
    devEuiRange: arg("--dev-eui-range"),
    credentials: arg("--credentials"),
    joinEui: arg("--join-eui"),
    registration: registrationArgs(arg, (n) => process.argv.includes(n)),
    keysDir: arg("--keys-dir") ?? defaultKeysDir(),
    lock: process.argv.includes("--lock"),
    passwordFile: arg("--password-file"),
    build: !process.argv.includes("--no-build"),
    dist: path.join(ROOT, "dist"),
    drivers: parseDriverList(arg("--drivers")),
    allDrivers: process.argv.includes("--all-drivers"),
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  main().catch((e) => {
    if (e instanceof Refusal) {
      process.stdout.write(`\nNot flashed: ${e.message}\n`);
      process.exitCode = 1;
    } else {
      process.stdout.write(`\nnpm run flash failed: ${(e as Error).stack ?? e}\n`);
      process.exitCode = 3;
    }
  });
}
