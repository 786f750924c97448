/**
 * The gateway's own account of EU868 duty cycle (ETSI EN 300 220, as in
 * LoRaWAN RP002): per sub-band, after a transmission of T ms the band is free
 * again after T / duty. The modem keeps one too; ours decides when to try, so
 * a refusal from the modem is the exception. The Things Network's fair-use
 * budget (30 s of uplink airtime a day) is an option on top.
 */

/** Sub-band g1 (868.0–868.6 MHz) carries the three default channels: 1 %. */
const DUTY = 0.01;

let freeAt = 0;
let dayStart = 0;
let usedToday = 0;
let total = 0;
let fairUseMs = 0;

/** Daily airtime budget in ms (0: none), e.g. 30000 for The Things Network's fair use. */
export function setFairUse(ms: number): void {
  fairUseMs = ms;
}

/** LoRa time on air in ms (Semtech AN1200.13), EU868 125 kHz, CR 4/5, 8 preamble symbols, 13 bytes of LoRaWAN overhead. */
export function airtimeMs(payload: number, sf: number): number {
  const tSym = Math.pow(2, sf) / 125;
  const de = sf >= 11 ? 1 : 0;
  const n = 8 + Math.max(Math.ceil((8 * (payload + 13) - 4 * sf + 44) / (4 * (sf - 2 * de))) * 5, 0);
  return (12.25 + n) * tSym;
}

/** Milliseconds until a frame of this airtime may go. */
export function waitMs(airMs: number): number {
  const nowMs = Date.now();
  if (nowMs - dayStart >= 86400000) {
    dayStart = nowMs;
    usedToday = 0;
  }
  if (fairUseMs && usedToday + airMs > fairUseMs) return dayStart + 86400000 - nowMs;
  return freeAt > nowMs ? freeAt - nowMs : 0;
}

/** A frame of this airtime went now. */
export function spend(airMs: number): void {
  freeAt = Date.now() + airMs / DUTY;
  usedToday += airMs;
  total += airMs;
}

export function airtimeUsedMs(): number {
  return total;
}
