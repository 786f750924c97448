import { ALL_DRIVERS, type Board } from "./types";

/**
 * Seeed XIAO nRF52840 on the XIAOBLE build (Storage on the 2 MB external
 * QSPI flash) with a Seeed Wio-E5 LoRaWAN module on its UART.
 * Bluetooth is for installers on site.
 */
const board: Board = {
  id: "xiao-nrf52840-wioe5",
  title: "Seeed XIAO nRF52840 + Wio-E5 LoRaWAN",
  espruinoBuild: "XIAOBLE",
  storage: { bytes: 512 * 4096, pageBytes: 4096, align: 4 },
  flash: {
    driver: "nrf52-spi",
    // XIAOBLE.py:81-84: Storage is the whole 2 MB external flash, 512 pages of 4 KB, mapped at 0x60000000 (XIAOBLE.py:117-118).
    storageStart: 0x60000000,
    pageBytes: 4096,
    // jshardware_common.c:57-62: no read-modify-write for SPI flash, any byte can be written alone.
    writeUnit: 1,
    // nrf5x/jshardware.c:2597-2605: a write is split at 256-byte program pages.
    programPageBytes: 256,
    // nrf5x/jshardware.c:2697-2699 and jsflash.c:1062-1066: SPI flash is not memory-mapped.
    reads: "flash-strings",
    // nrf5x/jshardware.c:2393-2405: Storage fills the SPI flash, and FLASH_AVAILABLE_FOR_CODE
    // (XIAOBLE.py:85, 12 KB) is far below the firmware's size, so nothing is free.
    freeAreas: [],
    extraAreas: [],
    pageMap: [
      // nrf5x/jshardware.c:2360-2365 (SPIFLASH_PAGESIZE 4096: build_platform_config.py:558)
      { addr: 0x60000000, length: 512 * 4096, pageBytes: 4096 },
      // nrf5x/jshardware.c:2367-2370: the internal flash, up to and including 1 MB.
      { addr: 0, length: 0x100001, pageBytes: 4096 },
    ],
  },
  jsVars: 14000,
  jsVarBytes: 14,
  modules: ["Storage", "crypto", "heatshrink", "Flash"],
  drivers: ALL_DRIVERS,
  bulkAcks: true,
  floatFigures: true,
  migratesOldLayout: true,
  hw: {
    id: "xiao-nrf52840-wioe5",
    ports: [
      { id: 1, adc: "D0", gpio: "D8", shuntOhms: 150 },
      { id: 2, adc: "D1", gpio: "D9", gpio2: "D10" },
      { id: 3, adc: "D2", gpio: "D3" },
      { id: 4, onewire: "D5" },
    ],
    i2c: { scl: "D4", sda: "D5" },
    modem: { kind: "wioe5", uart: { serial: "Serial1", rx: "D7", tx: "D6" }, baud: 9600 },
    wifi: false,
    ble: true,
    led: "LED1",
    supply: { pin: "D31", ratio: 3 },
    vref: 3.3,
    storageBytes: 512 * 4096,
    appSlots: 2,
    nativeCrypto: true,
  },
};
export default board;
