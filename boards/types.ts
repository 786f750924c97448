/**
 * What a board file describes. `hw` is the part the firmware sees (it is
 * inlined into the bundle); everything else is for the build, the size
 * report and the simulated board.
 */

/** A built-in module of an Espruino build, reached with `require(name)`. */
export type BuiltinModule = "Storage" | "crypto" | "heatshrink" | "net" | "http" | "tls" | "Wifi" | "Flash";

export type ModemKind = "rak3172" | "wioe5";

export interface UartPins {
  /** Espruino serial object name, e.g. "Serial2". */
  readonly serial: string;
  readonly rx: string;
  readonly tx: string;
}

/**
 * A screw-terminal sensor port on the gateway. A site configuration says
 * "the trough sensor is on port 2"; the driver then takes the port's pins.
 */
export interface SensorPort {
  readonly id: number;
  /** ADC-capable pin (0–3.3 V, or 4–20 mA through the port's shunt). */
  readonly adc?: string;
  /** General digital pin: contacts, pulses, trigger. */
  readonly gpio?: string;
  /** Second digital pin: echo, tamper, battery-low line. */
  readonly gpio2?: string;
  /** OneWire bus pin (DS18B20). */
  readonly onewire?: string;
  /** UART for serial sensors and RS-485 (through a transceiver). */
  readonly uart?: UartPins;
  /** Direction pin of the port's RS-485 transceiver, where fitted. */
  readonly de?: string;
  /** Shunt resistor in ohms for 4–20 mA inputs, where fitted. */
  readonly shuntOhms?: number;
}

export interface ModemHw {
  readonly kind: ModemKind;
  readonly uart: UartPins;
  readonly baud: number;
  /** Active-low reset line, where the board routes one. */
  readonly reset?: string;
}

export interface BoardHw {
  readonly id: string;
  readonly ports: readonly SensorPort[];
  readonly i2c?: { readonly scl: string; readonly sda: string };
  readonly modem?: ModemHw;
  readonly wifi: boolean;
  readonly ble: boolean;
  /** Status LED, active high. */
  readonly led?: string;
  /**
   * Supply or battery voltage: ADC pin and divider ratio (Vin = Vpin * ratio),
   * and where the divider is switched, the pin whose digitalWrite(pin, 1)
   * switches it on.
   */
  readonly supply?: { readonly pin: string; readonly ratio: number; readonly enable?: string };
  /** ADC full-scale voltage. */
  readonly vref: number;
  /** Storage bytes of this build; the buffer sizes itself from it. */
  readonly storageBytes: number;
  /** App slots for over-the-air updates: 2 (A/B) or 1 (USB updates or drained-buffer OTA). */
  readonly appSlots: 1 | 2;
  readonly nativeCrypto: boolean;
}

/**
 * The fields of `hw` the firmware reads, and all of it that goes into the
 * bundle: the build passes id, wifi, appSlots, nativeCrypto and the modem's
 * kind as constants of their own (virtual:board), and nothing in the
 * firmware reads the rest.
 */
export const FIRMWARE_HW_KEYS = ["ports", "modem", "supply", "vref"] as const;
/** The modem as the firmware sees it: its kind is the build's MODEM constant. */
export type FirmwareModem = Omit<ModemHw, "kind">;
export type FirmwareHw = Omit<Pick<BoardHw, (typeof FIRMWARE_HW_KEYS)[number]>, "modem"> & { readonly modem?: FirmwareModem };

/**
 * What the official build says of its pins, as far as wiring goes. Each board
 * file cites its build's definition (boards/<BUILD>.py) and the target code
 * (targets/nrf5x, targets/esp32) of Espruino, tag RELEASE_2V29.
 */
export interface BuildPins {
  /** Whose jshardware.c decides how pins behave: targets/nrf5x or targets/esp32. */
  readonly target: "nrf5x" | "esp32";
  /**
   * The build's pins are D0 … D(count − 1). Any other name is no pin
   * (jspin.c:41-112): pinMode, digitalRead, digitalWrite and digitalPulse
   * throw "Invalid pin" (jspin.c:239-268, jswrap_io.c:262-265, 476-484),
   * setWatch prints it and returns undefined (jswrap_io.c:760-768).
   */
  readonly count: number;
  /** Pins with an ADC channel. analogRead of any other pin gives NaN, and prints nothing. */
  readonly adc: readonly string[];
  /**
   * Pins the build marks NEGATED: digitalRead and digitalWrite are inverted,
   * and "input_pullup" pulls the line down ("input_pulldown" up).
   */
  readonly negated: readonly string[];
  /**
   * BTN1, where the build reads it at every reset and skips .bootcde when it
   * reads pressed (1): a sensor that holds it there leaves the board without
   * firmware. Read with BTN1's own pin state, "input_pulldown" (jsdevices.c:155-162).
   */
  readonly autoload?: string;
  /** Pins that are inputs only: no output, no pull resistors. */
  readonly inputOnly?: readonly string[];
  /** Pins the chip reads at reset to choose how it boots: a sensor must not hold them. */
  readonly strapping?: readonly string[];
  /** Pins the board or the build uses itself, and what for: not for sensors. */
  readonly taken: { readonly [pin: string]: string };
  /**
   * Hardware UARTs: Serial1 … Serial<serials> exist (the .py's chip "usart"
   * is ESPR_USART_COUNT: build_platform_config.py:321, jswrap_serial.c:130-175).
   */
  readonly serials: number;
  /** The UART the console takes when no USB host is attached: not for a modem or a sensor. */
  readonly console?: string;
}

/** A run of flash addresses. */
export interface FlashArea {
  readonly addr: number;
  readonly length: number;
}

/**
 * The flash under a build as its Flash module and Storage see it. Each board
 * file cites where its figures come from in the interpreter's source
 * (Espruino, tag RELEASE_2V29).
 */
export interface BoardFlash {
  /**
   * Whose jshFlash* functions the build runs: "esp32" (targets/esp32),
   * "nrf52" (targets/nrf5x, internal flash), "nrf52-spi" (targets/nrf5x,
   * external SPI flash mapped at SPIFLASH_BASE), "linux" (targets/linux).
   */
  readonly driver: "esp32" | "nrf52" | "nrf52-spi" | "linux";
  /** FLASH_SAVED_CODE_START: the flash address of Storage's first byte. */
  readonly storageStart: number;
  /** Erase unit (FLASH_PAGE_SIZE), the same as storage.pageBytes. */
  readonly pageBytes: number;
  /**
   * Bytes programmed at once. Where it is above 1, jshFlashWriteAligned
   * (jshardware_common.c) turns an unaligned write into read-modify-write of
   * whole units; 1 means any byte can be written alone.
   */
  readonly writeUnit: number;
  /** Writes a 32-bit word takes between two erases of its page (nRF52840 NVMC: 2). */
  readonly maxWritesPerWord?: number;
  /** SPI NOR program page: one write is split where it crosses these boundaries. */
  readonly programPageBytes?: number;
  /** How the interpreter reads Storage: through a memory map, or as flash strings read through jshFlashRead. */
  readonly reads: "memory-mapped" | "flash-strings";
  /** What Flash.getFree() answers on this build, in its order. */
  readonly freeAreas: readonly FlashArea[];
  /** Flash outside Storage that the simulator models: the free areas a firmware may own. */
  readonly extraAreas: readonly FlashArea[];
  /** Addresses for which Flash.getPage() answers a page, with that page's size. */
  readonly pageMap: readonly (FlashArea & { readonly pageBytes: number })[];
}

export type ShaName = "SHA1" | "SHA224" | "SHA256" | "SHA384" | "SHA512";

/**
 * What a build's crypto offers (libs/crypto/jswrap_crypto.c): the functions its
 * defines keep, from the libraries of the board's .py file and make/crypto/*.make.
 */
export interface BuildCrypto {
  /** Hashes of require("crypto"): SHA1 with USE_CRYPTO, SHA224 and SHA256 with USE_SHA256, SHA384 and SHA512 with USE_SHA512. */
  readonly sha: readonly ShaName[];
  /** crypto.PBKDF2 (USE_TLS). */
  readonly pbkdf2: boolean;
  /** AES.encrypt and AES.decrypt with modes, also as crypto.AES (USE_AES, which USE_TLS sets). */
  readonly aes: boolean;
  /** AES.ccmEncrypt and AES.ccmDecrypt (USE_AES_CCM): the global AES even without USE_AES. */
  readonly aesCcm: boolean;
  /** require("tls") (USE_TLS). */
  readonly tls: boolean;
}

/** Sensor driver kinds, as site configurations name them. */
export type DriverKind = "trough" | "pump" | "smoke" | "level" | "meter" | "temp" | "soil";
export const ALL_DRIVERS: readonly DriverKind[] = ["trough", "pump", "smoke", "level", "meter", "temp", "soil"];

export interface Board {
  readonly id: string;
  readonly title: string;
  /** The official Espruino build this board runs (the firmware file's board name). */
  readonly espruinoBuild: string;
  readonly storage: {
    readonly bytes: number;
    readonly pageBytes: number;
    /** Write alignment of the build's flash driver (JSF_ALIGNMENT). */
    readonly align: number;
  };
  readonly flash: BoardFlash;
  /** The build's pins (see BuildPins): the simulated board behaves by them, and test/boards.test.ts checks the wiring against them. */
  readonly pins: BuildPins;
  /**
   * Flash outside Storage that the reading buffer may own, where Storage is
   * too small for it. The store checks it against Flash.getFree() at every
   * boot and keeps only what that still reports free.
   */
  readonly bufferArea?: FlashArea;
  /**
   * Whether the firmware moves a gateway of the file layout before the flash
   * store into the store at its first boot (src/buffer/migrate.ts). A board
   * whose Storage cannot hold the store beside the old files leaves it out.
   */
  readonly migratesOldLayout: boolean;
  readonly jsVars: number;
  /** Bytes per JsVar in this build. */
  readonly jsVarBytes: number;
  readonly modules: readonly BuiltinModule[];
  /** The build's crypto, or null where it has no crypto module (no HMAC, ECDSA or Ed25519 on any build). */
  readonly crypto: BuildCrypto | null;
  /**
   * Store the app slot heatshrink-compressed: the loader decompresses it into
   * RAM at boot. Halves the Storage the code takes, for JsVars that hold it.
   */
  readonly compressApp?: boolean;
  /** Drivers in this board's bundle: only what its sites need, where Storage is tight. */
  readonly drivers: readonly DriverKind[];
  /**
   * Unconfirmed LoRaWAN uplinks acknowledged in bulk (docs/links.md). Without
   * it every frame goes confirmed, and the bundle is about 1 KB smaller.
   */
  readonly bulkAcks: boolean;
  /**
   * Health figures that are not whole go as CBOR floats in their shortest
   * exact form (docs/frame-format.md, "Numbers"). Every figure the firmware
   * reports is whole (src/uplink/report.ts), so a board without it sends the
   * same frames, each figure as an integer, from a bundle about 600 B smaller
   * (420 B compressed).
   */
  readonly floatFigures: boolean;
  readonly hw: BoardHw;
}
