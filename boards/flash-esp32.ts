import type { BoardFlash } from "./types";

/** The flash of the official ESP32 build (legacy ESP-IDF, 4 MB SPI flash). */
export const ESP32_FLASH: BoardFlash = {
  driver: "esp32",
  // ESP32.py:91-94: Storage at 0x320000, 224 pages of 4 KB (896 KB, to the end of the 4 MB chip).
  storageStart: 0x320000,
  pageBytes: 4096,
  // jsutils.h:134 JSF_ALIGNMENT 4; esp32/jshardware.c:750-751 jshFlashWrite is given whole words.
  writeUnit: 4,
  // esp32/jshardware.c:814-825: Storage is read through the memory map of its partition.
  reads: "memory-mapped",
  // esp32/jshardware.c:794-796, the partitions of targets/esp32/Changes_V3.1/partitions_espruino.csv.
  // The third area (0x360000, 640 KB) lies inside Storage (0x320000-0x400000): never use it.
  freeAreas: [
    { addr: 0xe000, length: 0x2000 },
    { addr: 0x310000, length: 0x10000 },
    { addr: 0x360000, length: 0xa0000 },
  ],
  extraAreas: [
    { addr: 0xe000, length: 0x2000 },
    { addr: 0x310000, length: 0x10000 },
  ],
  // esp32/jshardware.c:76-78, 775-777: 4 KB pages for every address below 4 MB.
  pageMap: [{ addr: 0, length: 0x400000, pageBytes: 4096 }],
};
