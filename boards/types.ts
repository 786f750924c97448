/**
 * What a board file describes. `hw` is the part the firmware sees (it is
 * inlined into the bundle); everything else is for the build, the size
 * report and the simulated board.
 */

/** A built-in module of an Espruino build, reached with `require(name)`. */
export type BuiltinModule = "Storage" | "crypto" | "heatshrink" | "net" | "http" | "tls" | "Wifi";

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
  /** Supply or battery voltage: ADC pin and divider ratio (Vin = Vpin * ratio). */
  readonly supply?: { readonly pin: string; readonly ratio: number };
  /** ADC full-scale voltage. */
  readonly vref: number;
  /** Storage bytes of this build; the buffer sizes itself from it. */
  readonly storageBytes: number;
  /** App slots for over-the-air updates: 2 (A/B) or 1 (USB updates or drained-buffer OTA). */
  readonly appSlots: 1 | 2;
  readonly nativeCrypto: boolean;
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
  readonly jsVars: number;
  /** Bytes per JsVar in this build. */
  readonly jsVarBytes: number;
  readonly modules: readonly BuiltinModule[];
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
  readonly hw: BoardHw;
}
