/**
 * The simulated board's pins behave as each board's official build makes
 * them (boards/types.ts, BuildPins): negated pins, pins without an ADC, pins
 * the build lacks, its UARTs, and the BTN1 that decides whether .bootcde runs.
 */
import { describe, expect, it } from "vitest";
import { makeBoard, runSnippet } from "./helpers";

const DK = "nrf52840dk-wioe5";
const XIAO = "xiao-nrf52840-wioe5";

describe("negated pins (nrf5x/jshardware.c:1161-1200)", () => {
  it("a contact to ground on a negated pin with input_pullup never changes what digitalRead says: the pull goes down", () => {
    const sim = runSnippet(`pinMode("D12", "input_pullup"); pinMode("D36", "input_pullup");`, DK);
    const read = () => sim.eval<string>(`digitalRead("D12") + "," + digitalRead("D36")`);
    expect(read()).toBe("1,1"); // open: D12 pulled down on the wire, read inverted; D36 pulled up
    sim.pins.contact("D12", true);
    sim.pins.contact("D36", true);
    expect(read()).toBe("1,0"); // closed to ground: D36 sees it, D12 reads the same as open
    expect(sim.pins.levelOf("D12")).toBe(0);
    sim.pins.contact("D12", false);
    expect(sim.pins.levelOf("D12")).toBe(0); // the pull-down the build made of input_pullup
  });

  it("digitalWrite on a negated pin drives the opposite level, and a watch sees the inverted line", () => {
    const sim = runSnippet(
      `digitalWrite("D13", 1); digitalWrite("D26", 1);
       pinMode("D24", "input"); setWatch(function (e) { console.log("D24", e.state); }, "D24", { edge: "both", repeat: true });`,
      DK,
    );
    expect(sim.pins.levelOf("D13")).toBe(0);
    expect(sim.pins.levelOf("D26")).toBe(1);
    sim.pins.setLevel("D24", 1);
    sim.advance(10);
    sim.pins.setLevel("D24", 0);
    sim.advance(10);
    expect(sim.output()).toContain("D24 false\nD24 true");
  });

  it("every board's negated pins are negated on the simulated board, and no other pin is", () => {
    for (const board of [DK, XIAO, "esp32-wifi", "sim"]) {
      const sim = runSnippet(";", board);
      const negated = new Set(sim.board.pins.negated);
      for (let n = 0; n < sim.board.pins.count; n++) {
        const p = `D${n}`;
        sim.pins.setLevel(p, 1);
        expect(sim.eval<number>(`digitalRead("${p}")`), `${board} ${p}`).toBe(negated.has(p) ? 0 : 1);
      }
    }
  });
});

describe("ADCs and pins the build lacks", () => {
  it("analogRead gives NaN on a pin without an ADC, as the nRF52 and ESP32 builds do", () => {
    const sim = runSnippet(`setTimeout(function () { console.log(analogRead("D31"), analogRead("D32") > 0.4, analogRead("D12")); }, 10);`, XIAO);
    sim.pins.setVolts("D31", 1.5);
    sim.pins.setVolts("D32", 1.5);
    sim.advance(20);
    expect(sim.output()).toBe("NaN true NaN");
  });

  it("a pin outside the build: pinMode, digitalRead, digitalWrite and digitalPulse throw Invalid pin, setWatch prints it", () => {
    const sim = runSnippet(
      `["pinMode", "digitalRead", "digitalWrite", "digitalPulse", "getPinMode"].forEach(function (f) {
         try { global[f]("D33", 1, 1); console.log(f, "no error"); } catch (e) { console.log(f, e instanceof Error, e.message); }
       });
       console.log("watch", setWatch(function () {}, "D33", { repeat: true }));
       console.log("adc", analogRead("D40"));`,
      XIAO,
    );
    expect(sim.output().split("\n")).toEqual([
      "pinMode true Invalid pin",
      "digitalRead true Invalid pin",
      "digitalWrite true Invalid pin",
      "digitalPulse true Invalid pin",
      "getPinMode true Invalid pin",
      "ERROR: Invalid pin",
      "watch undefined",
      "adc NaN",
    ]);
    expect(sim.errors).toEqual([]);
  });

  it("a pin the DK has and the XIAO lacks", () => {
    expect(runSnippet(`console.log(digitalRead("D40"))`, DK).output()).toBe("0");
    expect(runSnippet(`try { digitalRead("D40"); } catch (e) { console.log(e.message); }`, XIAO).output()).toBe("Invalid pin");
  });
});

describe("UARTs", () => {
  it("each build has its own number of UARTs", () => {
    const which = `console.log([1, 2, 3, 4].map(function (i) { return typeof global["Serial" + i]; }).join(" "))`;
    expect(runSnippet(which, XIAO).output()).toBe("object undefined undefined undefined");
    expect(runSnippet(which, DK).output()).toBe("object object undefined undefined");
    expect(runSnippet(which, "esp32-rak3172").output()).toBe("object object object undefined");
  });

  it("on the nRF52 builds, Serial.setup with pins the build lacks prints its error and returns: nothing is thrown, and the line is dead", () => {
    const sim = runSnippet(
      `try { Serial1.setup(9600, { rx: "D40", tx: "D41" }); console.log("returned"); } catch (e) { console.log("threw", e.message); }
       Serial1.write("AT\\r\\n");`,
      XIAO,
    );
    expect(sim.output()).toBe("ERROR: Invalid RX or TX pins\nreturned");
    expect(sim.uart("Serial1").txLog).toEqual([]);
  });

  it("on the nRF52 builds, a receive pin the build lacks leaves the line deaf", () => {
    const sim = runSnippet(`Serial1.setup(9600, { rx: "D40", tx: "D6" }); Serial1.on("data", function (d) { console.log("heard", d); }); Serial1.write("AT");`, XIAO);
    const u = sim.uart("Serial1");
    expect(u.txLog.length).toBe(1);
    u.send("OK\r\n");
    sim.advance(10);
    expect(sim.output()).toBe("");
  });
});

describe("BTN1 at reset decides whether .bootcde runs (nrf5x/main.c:30-37)", () => {
  const app = `console.log("firmware running");`;

  it("XIAOBLE: D1 held high at power-on (a soil probe reading dry) leaves the board without firmware", () => {
    const sim = makeBoard(XIAO, { bundle: app, world: false });
    sim.pins.setVolts("D1", 2.8);
    sim.boot();
    expect(sim.output()).not.toContain("firmware running");
    expect(sim.output()).toContain("[sim] BTN1 (D1) read pressed at reset: .bootcde not run");
    sim.pins.setVolts("D1", 0.2);
    sim.boot();
    expect(sim.output()).toContain("firmware running");
  });

  it("XIAOBLE: an open line reads low through BTN1's pull-down", () => {
    const sim = makeBoard(XIAO, { bundle: app, world: false });
    sim.boot();
    expect(sim.output()).toBe("firmware running");
  });

  it("NRF52840DK: BTN1 is the negated D11; a contact closing it to ground at reset stops the firmware, on E.reboot too", () => {
    const sim = makeBoard(DK, { bundle: `console.log("firmware running"); setTimeout(E.reboot, 1000);`, world: false });
    sim.boot();
    expect(sim.output()).toBe("firmware running");
    sim.pins.contact("D11", true);
    sim.advance(1500);
    expect(sim.resets.map((r) => r.cause)).toEqual(["power-on", "software"]);
    expect(sim.output()).toBe("firmware running\n[sim] BTN1 (D11) read pressed at reset: .bootcde not run");
  });

  it("ESP32: no autoload pin; D0 (BTN1) held low changes nothing", () => {
    const sim = makeBoard("esp32-wifi", { bundle: app, world: false });
    sim.pins.setLevel("D0", 0);
    sim.boot();
    expect(sim.output()).toBe("firmware running");
  });
});
