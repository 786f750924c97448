import type { BuildPins } from "./types";

/**
 * The pins of the official ESP32 build (boards/ESP32.py, targets/esp32 of
 * Espruino RELEASE_2V29) on an ESP32-WROOM-32 DevKitC. Where a fact is the
 * chip's and not the build's, it cites Espressif's ESP-IDF v4.4 "GPIO & RTC
 * GPIO" page (api-reference/peripherals/gpio, the table and its notes).
 */
export const ESP32_PINS: BuildPins = {
  target: "esp32",
  // ESP32.py:160: D0 … D39.
  count: 40,
  // ESP32.py:162-169: ADC1 only. ADC2 is not mapped at all (171-179, commented out), so analogRead on
  // an ADC2 pin gives NaN (esp32/jshardware.c:396-398); ESP-IDF cannot use ADC2 while Wi-Fi runs either.
  adc: ["D32", "D33", "D34", "D35", "D36", "D37", "D38", "D39"],
  // ESP32.py:184: BTN1. esp32/jshardware.c:304-319, 371, 391: reads and writes inverted, pulls swapped.
  negated: ["D0"],
  // No autoload pin: esp32/main.c:109 always loads (jsiInit(true)).
  // ESP-IDF GPIO table: GPIO34-39 are inputs only, without pull-up or pull-down.
  inputOnly: ["D34", "D35", "D36", "D37", "D38", "D39"],
  // ESP-IDF GPIO notes: GPIO0, 2, 5, 12 and 15 are strapping pins. GPIO12 (MTDI) held high at reset
  // selects 1.8 V flash, and a WROOM-32's 3.3 V flash then fails to boot.
  strapping: ["D0", "D2", "D5", "D12", "D15"],
  taken: {
    D0: "BTN1, strapping (ESP32.py:100)",
    D1: "Serial1 TX, the console (ESP32.py:51, 186)",
    D2: "LED1, strapping (ESP32.py:99)",
    D3: "Serial1 RX, the console (ESP32.py:51, 187)",
    D6: "SPI flash (ESP-IDF GPIO table)",
    D7: "SPI flash",
    D8: "SPI flash",
    D9: "SPI flash",
    D10: "SPI flash",
    D11: "SPI flash",
  },
  // ESP32.py:86.
  serials: 3,
  // ESP32.py:51; esp32/jshardwareUart.c:65-67: Serial1 stays on the console's pins whatever setup says.
  console: "Serial1",
};
