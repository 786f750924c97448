import { ALL_DRIVERS, type Board, type BoardFlash } from "./types";
import { ESP32_PINS } from "./pins-esp32";

/**
 * The interpreter's Linux build, exactly: 256 pages of 1 KB at 0x10000000
 * (build_platform_config.py:80-84, 120, 290; LINUX.py:48), written in 4-byte
 * units (targets/linux/jshardware.c:41-42), read as flash strings (LINUX.py:38
 * defines SPIFLASH_BASE; linux/jshardware.c:946-948), and Flash.getFree()
 * answering the whole of Storage (linux/jshardware.c:840-850).
 */
export const LINUX_FLASH: BoardFlash = {
  driver: "linux",
  storageStart: 0x10000000,
  pageBytes: 1024,
  writeUnit: 4,
  reads: "flash-strings",
  freeAreas: [{ addr: 0x10000000, length: 256 * 1024 }],
  extraAreas: [],
  // linux/jshardware.c:831-838
  pageMap: [{ addr: 0x10000000, length: 256 * 1024, pageBytes: 1024 }],
};

/**
 * The simulated board's flash: the Linux build's rules and size with the
 * target boards' 4 KB pages, so that Storage behaves as on them.
 * `new SimBoard({ board: "sim", flash: LINUX_FLASH })` gives the Linux
 * build's own 1 KB pages.
 */
const SIM_FLASH: BoardFlash = {
  ...LINUX_FLASH,
  pageBytes: 4096,
  pageMap: [{ addr: 0x10000000, length: 256 * 1024, pageBytes: 4096 }],
};

/**
 * The simulated board: every capability the real boards have, so that one
 * demo site exercises all of them. Wired like the ESP32 + RAK3172 board.
 */
const board: Board = {
  id: "sim",
  title: "Simulated board",
  espruinoBuild: "LINUX",
  storage: { bytes: 64 * 4096, pageBytes: 4096, align: 4 },
  flash: SIM_FLASH,
  // Wired like the ESP32 + RAK3172 board, so its pins follow the ESP32 build: the Linux build has D0-D32 and no ADC.
  pins: ESP32_PINS,
  jsVars: 16383,
  jsVarBytes: 14,
  modules: ["Storage", "crypto", "heatshrink", "net", "http", "tls", "Wifi", "Flash"],
  // LINUX.py:28-30 (CRYPTO, SHA256, SHA512, AES_CCM, TLS): the Linux build has all of it.
  crypto: { sha: ["SHA1", "SHA224", "SHA256", "SHA384", "SHA512"], pbkdf2: true, aes: true, aesCcm: true, tls: true },
  drivers: ALL_DRIVERS,
  bulkAcks: true,
  floatFigures: true,
  migratesOldLayout: true,
  hw: {
    id: "sim",
    ports: [
      { id: 1, adc: "D36", gpio: "D25", shuntOhms: 150 },
      { id: 2, adc: "D39", gpio: "D26", gpio2: "D14" },
      // Not D12: a strapping pin, and a line held high on it at reset stops the board from booting.
      { id: 3, adc: "D34", gpio: "D27", gpio2: "D32" },
      { id: 4, uart: { serial: "Serial3", rx: "D18", tx: "D19" }, de: "D23" },
      { id: 5, onewire: "D13" },
    ],
    i2c: { scl: "D22", sda: "D21" },
    modem: { kind: "rak3172", uart: { serial: "Serial2", rx: "D16", tx: "D17" }, baud: 115200, reset: "D4" },
    wifi: true,
    ble: false,
    led: "D2",
    supply: { pin: "D35", ratio: 2 },
    vref: 3.3,
    storageBytes: 64 * 4096,
    appSlots: 2,
    nativeCrypto: true,
  },
};
export default board;
