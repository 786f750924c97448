import { afterAll, beforeAll, describe, expect, it } from "vitest";
import crypto from "node:crypto";
import { SimBoard } from "../scripts/sim/board";
import { serveConsole, type ConsoleServer } from "../scripts/sim/console";
import { CLI_VERSION, padShortCode, runCli } from "../scripts/flash/espruino";
import { compress } from "../scripts/heatshrink";

/** The real EspruinoTools CLI from node_modules against a simulated board's console over TCP. */
describe("the EspruinoTools CLI talks to the simulated board", () => {
  let sim: SimBoard;
  let server: ConsoleServer;
  let port: string;
  beforeAll(async () => {
    sim = new SimBoard({ board: "nrf52840dk-wioe5", memoryBaseline: false });
    sim.boot();
    server = await serveConsole(sim, { port: 0 });
    port = `tcp://127.0.0.1:${server.port}`;
  });
  afterAll(() => server.close());

  it("writes Storage files byte for byte, the bytes 0 to 255 and heatshrink output among them", async () => {
    const all = new Uint8Array(256).map((_, i) => i);
    const random = new Uint8Array(crypto.randomBytes(5000));
    const packed = compress(new Uint8Array(Buffer.from("feldgate ".repeat(800))));
    const files = [
      { name: "t.all", data: all },
      { name: "t.random", data: random },
      { name: "t.packed", data: packed },
    ];
    const r = await runCli({ port, files, code: 'print("FGDONE")', timeoutMs: 60_000 });
    expect(r.finished).toBe(true);
    expect(r.lines).toContain("FGDONE");
    for (const f of files) expect(Buffer.from(sim.storage.readBytes(f.name)!).equals(Buffer.from(f.data))).toBe(true);
    expect(sim.storage.getStats().trashCount).toBe(0);
  });

  it("runs code sent to the board after reset(): the firmware that ran is stopped", async () => {
    sim.eval('setInterval(function(){print("still running")}, 100)');
    const r = await runCli({ port, code: 'print("FGREADY")', timeoutMs: 60_000 });
    expect(r.lines).toContain("FGREADY");
    const before = sim.output().split("still running").length;
    await new Promise((res) => setTimeout(res, 400));
    expect(sim.output().split("still running").length).toBe(before);
  });

  // EspruinoTools 0.1.67 never finishes sending 512 bytes or less over a console it does not throttle
  // (USB, Bluetooth, Telnet), 19 bytes or less over one it does (core/serial.js, writeSerialWorker).
  // The flasher pads short code; when a release of the CLI finishes on its own, this test fails:
  // then drop padShortCode from scripts/flash/espruino.ts and this test with it.
  it(`short code: the CLI ${CLI_VERSION} never finishes it unpadded, and does padded`, async () => {
    // The sim board's build is Linux's, whose console over TCP is Telnet: the CLI sends in blocks of 512.
    const linux = new SimBoard({ board: "sim", memoryBaseline: false });
    linux.boot();
    const s = await serveConsole(linux, { port: 0 });
    const p = `tcp://127.0.0.1:${s.port}`;
    try {
      const padded = await runCli({ port: p, code: 'print("FGSHORT1")', timeoutMs: 30_000 });
      expect(padded.finished).toBe(true);
      expect(padded.lines).toContain("FGSHORT1");
      expect(padShortCode('print("x")').length).toBeGreaterThan(512);
      // Four times what the padded run took, and at least 8 s: it would have finished by then.
      const bare = await runCli({ port: p, code: 'print("FGSHORT2")', pad: false, timeoutMs: Math.max(8000, 4 * padded.ms) });
      expect(bare.lines).toContain("FGSHORT2"); // the code arrived and ran ...
      expect(bare.finished, "the CLI finishes short code now: the padding can go").toBe(false); // ... but the CLI did not end
    } finally {
      await s.close();
    }
  });

  it("a port where nothing listens is reported as no connection", async () => {
    const r = await runCli({ port: "tcp://127.0.0.1:1", code: "print(1)", timeoutMs: 30_000 });
    expect(r.finished).toBe(true);
    expect(r.noConnection).toBe(true);
    expect(r.lines).toEqual([]);
  });
});

describe("the gateway's first words after flashing", () => {
  it("are found after the REPL's redrawn prompt, and nothing else is taken for them", async () => {
    const { logLines } = await import("../scripts/flash");
    const printed = ['FGCRC:[".bootcde",478,1]', ">\r\x1b[JINFO feldgate 0.1.0 starting on x", "INFO Boot number 1", ">", "  INFO in a string", "WARN ALARM Water: sensor fault"];
    expect(logLines(printed)).toEqual(["INFO feldgate 0.1.0 starting on x", "INFO Boot number 1", "WARN ALARM Water: sensor fault"]);
  });
});
