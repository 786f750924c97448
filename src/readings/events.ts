/**
 * Event codes: alarms that are raised and cleared, and notices. Append only,
 * like quantity codes; the decoders carry the same table.
 */
export const EV_LEVEL_LOW = 1;
export const EV_LEAK = 2; // level falling faster than the herd drinks
export const EV_REFILL = 3; // notice: the trough was refilled
export const EV_FAIL_START = 4; // pump called for but not running
export const EV_DRY_RUN = 5; // pump running with no pressure or no flow
export const EV_PRESSURE_LOSS = 6;
export const EV_SHORT_CYCLE = 7; // too many starts per hour
export const EV_SMOKE = 8;
export const EV_SMOKE_TEST = 9;
export const EV_TAMPER = 10;
export const EV_DETECTOR_FAULT = 11; // fault or battery-low line
export const EV_RISE_RATE = 12; // water rising faster than the alarm rate
export const EV_HIGH_WATER = 13;
export const EV_OVER_TEMP = 14;
export const EV_DOOR_OPEN = 15;
export const EV_SENSOR_FAULT = 16; // a sensor stopped giving good readings

/** Words of each event for the log lines: the one every driver raises here, those of each driver added with its quantities (addWords in quantities.ts). */
export const EVENT_WORDS: { [code: number]: string } = { 16: "sensor fault" };

export const TROUGH_EVENTS = { 1: "water level low", 2: "leak or broken float valve", 3: "refilled" };
export const PUMP_EVENTS = { 4: "pump did not start", 5: "pump running dry", 6: "pressure lost", 7: "pump starting too often" };
export const SMOKE_EVENTS = { 8: "SMOKE ALARM", 9: "smoke detector test", 10: "detector tampered with", 11: "detector fault or battery low" };
export const LEVEL_EVENTS = { 12: "water rising fast", 13: "high water" };
export const TEMP_EVENTS = { 14: "too warm", 15: "door open" };

export function eventWords(code: number): string {
  return EVENT_WORDS[code] || "event " + code;
}
