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
  jsVars: 14000,
  jsVarBytes: 14,
  modules: ["Storage", "crypto", "heatshrink"],
  drivers: ALL_DRIVERS,
  bulkAcks: true,
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
