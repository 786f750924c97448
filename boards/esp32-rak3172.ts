import { ALL_DRIVERS, type Board } from "./types";
import { ESP32_FLASH } from "./flash-esp32";
import { ESP32_PINS } from "./pins-esp32";

/** ESP32 DevKitC with a RAK3172 (RUI3 firmware) LoRaWAN module on UART2. */
const board: Board = {
  id: "esp32-rak3172",
  title: "ESP32 DevKit + RAK3172 LoRaWAN",
  espruinoBuild: "ESP32",
  storage: { bytes: 224 * 4096, pageBytes: 4096, align: 4 },
  flash: ESP32_FLASH,
  pins: ESP32_PINS,
  jsVars: 16383,
  jsVarBytes: 14,
  modules: ["Storage", "crypto", "heatshrink", "net", "http", "tls", "Wifi", "Flash"],
  // ESP32.py:62-63 (CRYPTO, SHA256, SHA512, TLS) with make/crypto/ESP32.make: no AES_CCM.
  crypto: { sha: ["SHA1", "SHA224", "SHA256", "SHA384", "SHA512"], pbkdf2: true, aes: true, aesCcm: false, tls: true },
  drivers: ALL_DRIVERS,
  bulkAcks: true,
  floatFigures: true,
  migratesOldLayout: true,
  hw: {
    id: "esp32-rak3172",
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
    storageBytes: 224 * 4096,
    appSlots: 2,
    nativeCrypto: true,
  },
};
export default board;
