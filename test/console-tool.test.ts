import { afterAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { SimBoard } from "../scripts/sim/board";
import { serveConsole } from "../scripts/sim/console";

/**
 * npm run console against a simulated board over TCP: the tool as a
 * technician runs it (tsx scripts/console.ts), through the real
 * EspruinoTools CLI in its terminal mode, its input a pipe.
 */

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "feldgate-console-test-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const TSX = path.resolve("node_modules/tsx/dist/cli.mjs");
const PW = "k3ys4f3ty0nb0ard";

/** A board whose firmware logs a line a second, locked at boot as npm run flash -- --lock leaves one. */
async function lockedBoard(lock = true) {
  const sim = new SimBoard({ board: "sim", memoryBaseline: false });
  if (lock) sim.storage.write(".bootPowerOn", `E.setPassword(${JSON.stringify(PW)});E.lockConsole();`);
  sim.storage.write(".bootcde", `var n=0;setInterval(function(){console.log("INFO tick "+(++n));},1000);`);
  sim.boot();
  const server = await serveConsole(sim, { port: 0 });
  return { sim, server, port: `tcp://127.0.0.1:${server.port}` };
}

/** Runs npm run console; `script` gets its input and output as they come, and ends its input. */
function runConsole(args: string[], script: (send: (s: string) => void, seen: (re: RegExp) => Promise<void>, end: () => void) => Promise<void>): Promise<{ code: number; out: string }> {
  const child = spawn(process.execPath, [TSX, "scripts/console.ts", ...args], { stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  child.stdout.setEncoding("latin1");
  child.stdout.on("data", (d: string) => (out += d));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const seen = (re: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const t0 = Date.now();
      const tick = setInterval(() => {
        if (re.test(out)) {
          clearInterval(tick);
          resolve();
        } else if (Date.now() - t0 > 20_000 || child.exitCode !== null) {
          clearInterval(tick);
          reject(new Error(`never saw ${re} in:\n${out}`));
        }
      }, 50);
    });
  const done = new Promise<number>((resolve) => child.on("exit", (c) => resolve(c ?? -1)));
  return script((s) => child.stdin.write(s), seen, () => child.stdin.end()).then(async () => ({ code: await done, out }));
}

describe("npm run console", () => {
  it("unlocks a locked board with --password-file, shows the gateway's log live, runs what is typed, and locks it again on quitting", async () => {
    const b = await lockedBoard();
    const f = path.join(tmp, "pw");
    fs.writeFileSync(f, PW + "\n", { mode: 0o600 });
    try {
      const r = await runConsole(["--port", b.port, "--password-file", f], async (send, seen, end) => {
        await seen(/Unlocked with the password from .*pw; it is locked again when you quit\./);
        expect(b.sim.consoleLocked).toBe(false);
        await seen(/INFO tick \d+[\s\S]*INFO tick \d+/);
        send("6*7\n");
        await seen(/=42/);
        end();
      });
      expect(r.code).toBe(0);
      expect(r.out).toContain("It quits at the end of its input.");
      expect(r.out).toContain("The console is locked again.");
      expect(r.out).not.toContain(PW);
      expect(b.sim.consoleLocked).toBe(true);
      expect(b.sim.consolePassword).toBe(PW);
    } finally {
      await b.server.close();
    }
  }, 60_000);

  it("a wrong password: refused, saying what to do; the board stays locked", async () => {
    const b = await lockedBoard();
    const f = path.join(tmp, "wrong");
    fs.writeFileSync(f, "notthepassword\n", { mode: 0o600 });
    try {
      const r = await runConsole(["--port", b.port, "--password-file", f], async () => {});
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/did not take the password from .*wrong: its console stays locked\. Check that the password belongs to this board/);
      expect(b.sim.consoleLocked).toBe(true);
    } finally {
      await b.server.close();
    }
  }, 60_000);

  it("without a password it shows the log of a locked board, and what is typed goes nowhere", async () => {
    const b = await lockedBoard();
    try {
      const r = await runConsole(["--port", b.port], async (send, seen, end) => {
        await seen(/Showing its log only\. To type at it, give its password with --password-file/);
        await seen(/INFO tick \d+/);
        send("6*7\n");
        await new Promise((res) => setTimeout(res, 500));
        end();
      });
      expect(r.code).toBe(0);
      expect(r.out).not.toContain("=42");
      expect(b.sim.consoleLocked).toBe(true);
    } finally {
      await b.server.close();
    }
  }, 60_000);

  it("an open console is just opened", async () => {
    const b = await lockedBoard(false);
    try {
      const r = await runConsole(["--port", b.port], async (send, seen, end) => {
        await seen(/What the gateway logs follows:/);
        send("6*7\n");
        await seen(/=42/);
        end();
      });
      expect(r.code).toBe(0);
      expect(r.out).not.toContain("locked");
    } finally {
      await b.server.close();
    }
  }, 60_000);
});
