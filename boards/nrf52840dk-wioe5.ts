import type { Board, FlashArea } from "./types";

/**
 * Flash.getFree() on this build: from the page after the end of the firmware
 * to Storage (nrf5x/jshardware.c:2386-2392, 2414-2415). The firmware starts at
 * 0x26000 (targetlibs/nrf5x_15/nrf5x_linkers/linker_nrf52840_ble_espruino.ld:12)
 * and its end depends on the build, which is not released as a binary. The
 * figure here is an estimate that errs small: Jolt.js, an nRF52840 build on
 * the same SDK with a similar set of libraries, puts its Storage at
 * 0x91000 (JOLTJS.py:77), so its firmware ends below that. The real area
 * starts at or below 0x91000; firmware must take it from Flash.getFree().
 */
const NRF52840DK_FREE: FlashArea = { addr: 0x91000, length: 0xec000 - 0x91000 };

/**
 * Nordic nRF52840 DK on the NRF52840DK build with a Seeed Wio-E5 on UART.
 * 40 KB of Storage and no native crypto: the board that keeps the bundle honest.
 */
const board: Board = {
  id: "nrf52840dk-wioe5",
  title: "nRF52840 DK + Wio-E5 LoRaWAN",
  espruinoBuild: "NRF52840DK",
  storage: { bytes: 10 * 4096, pageBytes: 4096, align: 4 },
  flash: {
    driver: "nrf52",
    // NRF52840DK.py:72-75: Storage at (246 - 10) * 4096 = 0xEC000, 10 pages of 4 KB.
    storageStart: 0xec000,
    pageBytes: 4096,
    // jsutils.h:134 JSF_ALIGNMENT 4; nrf5x/jshardware.c:2563 jshFlashWrite takes whole words.
    writeUnit: 4,
    // nRF52840 Product Specification, NVMC: a 32-bit word may be written nWRITE = 2 times between erases.
    maxWritesPerWord: 2,
    // nrf5x/jshardware.c:2696-2702: flash addresses are memory addresses.
    reads: "memory-mapped",
    freeAreas: [NRF52840DK_FREE],
    extraAreas: [NRF52840DK_FREE],
    // nrf5x/jshardware.c:2367-2370: a page for every address up to and including 1 MB (the test is `>`).
    pageMap: [{ addr: 0, length: 0x100001, pageBytes: 4096 }],
  },
  pins: {
    target: "nrf5x",
    // NRF52840DK.py:134: D0 … D47 (P0.00-P0.31 are D0-D31, P1.00-P1.15 are D32-D47).
    count: 48,
    // NRF52840DK.py:143-150.
    adc: ["D2", "D3", "D4", "D5", "D28", "D29", "D30", "D31"],
    // NRF52840DK.py:151-159: the four buttons and the four LEDs. nrf5x/jshardware.c:1161-1200:
    // digitalRead and digitalWrite inverted, "input_pullup" becomes a pull-down and back.
    negated: ["D11", "D12", "D24", "D25", "D13", "D14", "D15", "D16"],
    // NRF52840DK.py:81 (BTN1 is D11); nrf5x/main.c:30-37: BTN1 pressed at reset skips .bootcde.
    autoload: "D11",
    taken: {
      D0: "32 kHz crystal XL1 (NRF52840DK.py:135)",
      D1: "32 kHz crystal XL2 (NRF52840DK.py:136)",
      D5: "console RTS (NRF52840DK.py:92, 137)",
      D6: "console TX (NRF52840DK.py:24, 90)",
      D7: "console CTS (NRF52840DK.py:91, 139)",
      D8: "console RX (NRF52840DK.py:25, 89)",
      D9: "NFC1 (NRF52840DK.py:141)",
      D10: "NFC2 (NRF52840DK.py:142)",
      D11: "BTN1, negated, autoload (NRF52840DK.py:81, 156)",
      D12: "BTN2, negated (NRF52840DK.py:82, 157)",
      D13: "LED1, negated (NRF52840DK.py:85, 152)",
      D14: "LED2, negated (NRF52840DK.py:86, 153)",
      D15: "LED3, negated (NRF52840DK.py:87, 154)",
      D16: "LED4, negated (NRF52840DK.py:88, 155)",
      D18: "reset: CONFIG_GPIO_AS_PINRESET (NRF52840DK.py:41), P0.18 on the nRF52840",
      D24: "BTN3, negated (NRF52840DK.py:83, 158)",
      D25: "BTN4, negated (NRF52840DK.py:84, 159)",
    },
    // NRF52840DK.py:67.
    serials: 2,
    // NRF52840DK.py:23: without a USB host the console is Serial1 (jsinteractive.c:211-226).
    console: "Serial1",
  },
  // 40 KB of Storage holds the code; readings go in the free internal flash beside it (docs/storage-layout.md).
  bufferArea: NRF52840DK_FREE,
  jsVars: 12500,
  jsVarBytes: 14,
  modules: ["Storage", "heatshrink", "Flash"],
  // NRF52840DK.py:32-39: no CRYPTO among the libraries, so no require("crypto") and no AES.
  crypto: null,
  // 40 KB of Storage: the code goes in compressed and runs from RAM (12500 JsVars leave room for it).
  compressApp: true,
  // Pasture and well sites: the pump, Modbus and smoke drivers are left out to keep Storage for readings.
  drivers: ["trough", "level", "meter", "temp", "soil"],
  // Every frame goes confirmed: bulk acknowledgements would cost about 1 KB of bundle that 40 KB of Storage cannot spare.
  bulkAcks: false,
  // Its health figures are whole, as on every board: the float encoder is left out.
  floatFigures: false,
  // The old layout filled this Storage with buffer segments to within 3 KB: the store's settings
  // pages cannot be made beside them without compaction, the danger the store exists to remove.
  // A DK of the old layout is flashed again over USB.
  migratesOldLayout: false,
  hw: {
    id: "nrf52840dk-wioe5",
    // Analog inputs on P0.03, P0.04, P0.28 (the Arduino header's A0-A2). Digital lines on P1.04-P1.07
    // (D36-D39): D11, D12, D24 and D25 are the DK's buttons, negated by the build, and D11 is BTN1,
    // which stops the firmware from starting when held at reset (pins above).
    ports: [
      { id: 1, adc: "D3", gpio: "D36", shuntOhms: 150 },
      { id: 2, adc: "D4", gpio: "D37", gpio2: "D38" },
      { id: 3, adc: "D28", gpio: "D39" },
      { id: 4, onewire: "D29" },
    ],
    i2c: { scl: "D27", sda: "D26" },
    // Serial2: Serial1 is the console whenever no USB host is attached, and would read the modem's lines as commands.
    modem: { kind: "wioe5", uart: { serial: "Serial2", rx: "D33", tx: "D34" }, baud: 9600, reset: "D35" },
    wifi: false,
    ble: true,
    led: "LED1",
    supply: { pin: "D31", ratio: 2 },
    vref: 3.3,
    storageBytes: 10 * 4096,
    appSlots: 1,
    nativeCrypto: false,
  },
};
export default board;
