/**
 * npm run sim -- --board <id> --site <file> [--seed N]
 * The simulated board, interactive: flash, provision, power on, then type
 * commands to move time and disturb the world. `help` lists them.
 *
 *   --console tcp://127.0.0.1:<port>  the board's console (its REPL) on that port, for the
 *                                     EspruinoTools CLI and npm run flash; the clock runs in real time
 *   --speed N                         with --console: the clock runs N times as fast as real time
 *   --bare                            a board with nothing but the interpreter: no firmware, no site
 */
import fs from "node:fs";
import readline from "node:readline";
import { SimBoard } from "./board";
import { standardWorld } from "./world";
import { humanLine, stamp } from "./format";
import { serveConsole } from "./console";
import { attachModem } from "./lorawan";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

/** "90s", "15m", "2h", "3d", or plain milliseconds. */
export function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(s.trim());
  if (!m) throw new Error(`not a duration: ${s} (try 30s, 15m, 2h, 3d)`);
  const mult = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] ?? "ms"]!;
  return Math.round(Number(m[1]) * mult);
}

const HELP = `Commands:
  run <time>                 let simulated time pass (30s, 15m, 2h, 3d)
  volts <pin> <V>            voltage on an analog pin
  level <pin> 0|1            drive a digital input
  fault <pin> unplugged|stuck|clear, or: fault <pin> noisy <sigma V>
  garbage <SerialN> <bytes>  random bytes on a serial line
  cut <op> <byte>            cut power at the op-th flash operation from now, torn at byte
  power on|off               switch the supply
  reboot                     software reset
  jump <time>|-<time>        the wall clock jumps
  storage                    files and usage in Storage
  memory                     process.memory() estimate
  help, quit`;

const board = arg("--board") ?? "sim";
const sim = new SimBoard({ board, seed: Number(arg("--seed") ?? 1), onLine: (l, s) => console.log(humanLine(s, l)) });
const bare = process.argv.includes("--bare");
if (!bare) sim.install();
const sitePath = arg("--site");
if (sitePath && !bare) sim.writeSite(JSON.parse(fs.readFileSync(sitePath, "utf8")));
standardWorld(sim);
// The board's LoRaWAN modem, on the air to a simulated network server that decodes what arrives.
const lw = sim.board.hw.modem ? attachModem(sim) : null;
if (lw) lw.ns.onDecoded = (d) => console.log(`${stamp(sim)}  Network server: frame ${d.frame.seq} from ${lw.modem.devEui}, ${d.readings.length} readings, ${d.events.length} events`);
console.log(`Simulated ${sim.board.title}${bare ? ", nothing but the interpreter in Storage" : ""}. Type "help" for commands.`);
sim.boot();
const consoleUrl = arg("--console");
if (consoleUrl) {
  const m = /^tcp:\/\/([^:/]+):(\d+)$/.exec(consoleUrl);
  if (!m) throw new Error(`--console wants tcp://host:port, not ${consoleUrl}`);
  const server = await serveConsole(sim, { host: m[1], port: Number(m[2]), speed: Number(arg("--speed") ?? 1) });
  console.log(`Console on tcp://${m[1]}:${server.port}: espruino --no-ble -p tcp://${m[1]}:${server.port}`);
}

function command(line: string): boolean {
  const [cmd, a, b, c] = line.trim().split(/\s+/);
  switch (cmd) {
    case undefined:
    case "":
      break;
    case "run":
      sim.advance(parseDuration(a ?? "1m"));
      break;
    case "volts":
      sim.pins.setVolts(a, Number(b));
      break;
    case "level":
      sim.pins.setLevel(a, Number(b));
      break;
    case "fault":
      if (b === "clear") sim.fault(a, null);
      else if (b === "noisy") sim.fault(a, { kind: "noisy", sigma: Number(c ?? "0.05") });
      else if (b === "unplugged" || b === "stuck") sim.fault(a, { kind: b });
      else console.log("fault <pin> unplugged|stuck|noisy <sigma>|clear");
      break;
    case "garbage":
      sim.uart(a).garbage(Number(b ?? "16"));
      sim.advance(0);
      break;
    case "cut":
      sim.armPowerCut({ atOp: Number(a), tornAt: Number(b ?? "0") });
      break;
    case "power":
      if (a === "off") sim.powerOff();
      else sim.boot("power-on");
      break;
    case "reboot":
      sim.boot("software");
      break;
    case "jump":
      sim.jumpClock(a.startsWith("-") ? -parseDuration(a.slice(1)) : parseDuration(a));
      break;
    case "storage": {
      const st = sim.storage.getStats();
      for (const n of sim.storage.list()) console.log(`  ${JSON.stringify(n).padEnd(24)} ${sim.storage.readBytes(n)!.length} B`);
      console.log(`  ${st.fileCount} files, ${st.trashCount} trash (${st.trashBytes} B), ${st.freeBytes} B free; page erases ${sim.flash.totalErases}`);
      break;
    }
    case "memory":
      console.log(sim.memory());
      break;
    case "help":
      console.log(HELP);
      break;
    case "quit":
    case "exit":
      return false;
    default:
      console.log(`unknown command "${cmd}"; type help`);
  }
  if (!sim.powered) console.log("(the board is off: `power on` to start it)");
  return true;
}

const rl = readline.createInterface({ input: process.stdin, output: process.stdout, prompt: "sim> ", terminal: process.stdin.isTTY });
rl.prompt();
rl.on("line", (line) => {
  try {
    if (!command(line)) {
      rl.close();
      process.exit(0);
    }
  } catch (e) {
    console.log((e as Error).message);
  }
  rl.prompt();
});
