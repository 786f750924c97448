import { ALL_DRIVERS, type Board } from "./types";

/**
 * The simulated board: every capability the real boards have, so that one
 * demo site exercises all of them. Wired like the ESP32 + RAK3172 board.
 */
const board: Board = {
  id: "sim",
  title: "Simulated board",
  espruinoBuild: "LINUX",
  storage: { bytes: 64 * 4096, pageBytes: 4096, align: 4 },
  jsVars: 16383,
  jsVarBytes: 14,
  modules: ["Storage", "crypto", "heatshrink", "net", "http", "tls", "Wifi"],
  drivers: ALL_DRIVERS,
  bulkAcks: true,
  hw: {
    id: "sim",
    ports: [
      { id: 1, adc: "D36", gpio: "D25", shuntOhms: 150 },
      { id: 2, adc: "D39", gpio: "D26", gpio2: "D14" },
      { id: 3, adc: "D34", gpio: "D27", gpio2: "D12" },
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
