import type { Board } from "./types";

/**
 * Nordic nRF52840 DK on the NRF52840DK build with a Seeed Wio-E5 on UART.
 * 40 KB of Storage and no native crypto: the board that keeps the bundle honest.
 */
const board: Board = {
  id: "nrf52840dk-wioe5",
  title: "nRF52840 DK + Wio-E5 LoRaWAN",
  espruinoBuild: "NRF52840DK",
  storage: { bytes: 10 * 4096, pageBytes: 4096, align: 4 },
  jsVars: 12500,
  jsVarBytes: 14,
  modules: ["Storage", "heatshrink"],
  // 40 KB of Storage: the code goes in compressed and runs from RAM (12500 JsVars leave room for it).
  compressApp: true,
  // Pasture and well sites: the pump, Modbus and smoke drivers are left out to keep Storage for readings.
  drivers: ["trough", "level", "meter", "temp", "soil"],
  // Every frame goes confirmed: bulk acknowledgements would cost a 4 KB segment of buffer.
  bulkAcks: false,
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
