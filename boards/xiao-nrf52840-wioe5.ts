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
  pins: {
    target: "nrf5x",
    // XIAOBLE.py:130-164: D0 … D32, a table of its own (the header's D0-D10 and the board's inner pins).
    count: 33,
    // XIAOBLE.py:131-136, 144, 163.
    adc: ["D0", "D1", "D2", "D3", "D4", "D5", "D13", "D32"],
    // XIAOBLE.py:142-145, 154: the LEDs, VBAT_ENABLE and the charge line. nrf5x/jshardware.c:1161-1200.
    negated: ["D11", "D12", "D13", "D14", "D23"],
    // XIAOBLE.py:95-97: BTN1 is D1, a header pin with no button; nrf5x/main.c:30-37: high at reset skips .bootcde.
    autoload: "D1",
    taken: {
      D1: "BTN1: high at reset skips .bootcde (XIAOBLE.py:27-30, 95-97)",
      D11: "LED1, red, negated (XIAOBLE.py:92, 142)",
      D12: "LED3, blue, negated (XIAOBLE.py:94, 143)",
      D13: "LED2, green, negated (XIAOBLE.py:93, 144)",
      D14: "VBAT_ENABLE, negated (XIAOBLE.py:145, 171-172)",
      D22: "charge current HICHG (XIAOBLE.py:153, 168-170)",
      D23: "charging CHG, negated (XIAOBLE.py:99, 154)",
      D24: "SPI flash SCK (XIAOBLE.py:112, 155)",
      D25: "SPI flash CS (XIAOBLE.py:111, 156)",
      D26: "SPI flash MOSI (XIAOBLE.py:113, 157)",
      D27: "SPI flash MISO (XIAOBLE.py:114, 158)",
      D28: "SPI flash WP (XIAOBLE.py:115, 159)",
      D29: "SPI flash HOLD (XIAOBLE.py:116, 160)",
      D30: "NFC1 (XIAOBLE.py:102, 161)",
      D31: "NFC2, no ADC (XIAOBLE.py:102, 162)",
      D32: "VBAT: the battery divider (XIAOBLE.py:100, 163, 173-174)",
    },
    // XIAOBLE.py:76: Serial1 only. The console is USB (XIAOBLE.py:36), so Serial1 is free.
    serials: 1,
  },
  jsVars: 14000,
  jsVarBytes: 14,
  modules: ["Storage", "crypto", "heatshrink", "Flash"],
  // XIAOBLE.py:44-45 (CRYPTO, SHA256, SHA512, AES_CCM) with make/crypto/default.make: no TLS, so no PBKDF2 and no AES modes.
  crypto: { sha: ["SHA1", "SHA224", "SHA256", "SHA384", "SHA512"], pbkdf2: false, aes: false, aesCcm: true, tls: false },
  drivers: ALL_DRIVERS,
  bulkAcks: true,
  floatFigures: true,
  migratesOldLayout: true,
  hw: {
    id: "xiao-nrf52840-wioe5",
    // The header's D0-D10, less D1 (BTN1: high at reset, it stops the firmware from starting) and the
    // modem's D6/D7. Every ADC input is one of D0-D5. No I2C bus: D4 and D5 carry port 3's line and
    // the OneWire bus, and no driver uses I2C.
    ports: [
      { id: 1, adc: "D0", gpio: "D8", shuntOhms: 150 },
      { id: 2, adc: "D2", gpio: "D9", gpio2: "D10" },
      { id: 3, adc: "D3", gpio: "D4" },
      { id: 4, onewire: "D5" },
    ],
    modem: { kind: "wioe5", uart: { serial: "Serial1", rx: "D7", tx: "D6" }, baud: 9600 },
    wifi: false,
    ble: true,
    led: "LED1",
    // The battery on VBAT (D32), whose divider VBAT_ENABLE (D14) switches on: digitalWrite(D14, 1),
    // the build negating D14 (XIAOBLE.py:145, 163, 171-174).
    supply: { pin: "D32", ratio: 3, enable: "D14" },
    vref: 3.3,
    storageBytes: 512 * 4096,
    appSlots: 2,
    nativeCrypto: true,
  },
};
export default board;
