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
  // 40 KB of Storage holds the code; readings go in the free internal flash beside it (docs/storage-layout.md).
  bufferArea: NRF52840DK_FREE,
  jsVars: 12500,
  jsVarBytes: 14,
  modules: ["Storage", "heatshrink", "Flash"],
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
    // Arduino-header analog inputs A0..A2 are P0.03, P0.04, P0.28.
    ports: [
      { id: 1, adc: "D3", gpio: "D11", shuntOhms: 150 },
      { id: 2, adc: "D4", gpio: "D12", gpio2: "D24" },
      { id: 3, adc: "D28", gpio: "D25" },
      { id: 4, onewire: "D29" },
    ],
    i2c: { scl: "D27", sda: "D26" },
    modem: { kind: "wioe5", uart: { serial: "Serial1", rx: "D33", tx: "D34" }, baud: 9600, reset: "D35" },
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
