/** The wait between retries, shared by every link: modems, Wi-Fi, MQTT and HTTP. */

/**
 * Wait before the next try: doubles with every failure in a row from `baseMs`
 * up to an hour, spread by a random factor of 0.5–1.5 so that the gateways of
 * a village do not retry together.
 */
export function backoffMs(baseMs: number, failuresInARow: number): number {
  return Math.min(3600000, baseMs * Math.pow(2, Math.min(failuresInARow, 10))) * (0.5 + Math.random());
}
