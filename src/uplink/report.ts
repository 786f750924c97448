/**
 * The health report (docs/frame-format.md, health keys): the gateway's own
 * figures, each link's state and counters, the boot count, and when a report
 * is due. A report goes out at start, once a day, when the platform asks, and
 * when a link goes up or down; the sender carries it in its next frames.
 */
import { VERSION_CODE } from "virtual:build";
import { MODEM, HAS_WIFI, BUFFER_AREA_BYTES } from "virtual:board";
import { uptimeMs } from "../runtime/scheduler";
import { log, WARN, why, notStarted } from "../runtime/log";
import { counterRead, counterWrite } from "../store/settings";
import { ID } from "../store/storage-layout";
import { pending, dropped } from "../buffer/queue";
import { areaLosses } from "../store/store";
import { airtimeUsedMs } from "../links/dutycycle";
import type { Link } from "../links/link";
import type { Health } from "../frame/view";
import { S } from "../store/builtin";

/** Health keys the firmware sends (3, 8, 9, 11 and 13 are the codec's alone: older frames or measured elsewhere). */
export const H_UPTIME_S = 1;
export const H_BOOTS = 2;
export const H_BUFFERED = 4;
export const H_DROPPED = 5;
export const H_FIRMWARE = 6;
export const H_LINK = 7;
export const H_AIRTIME_MS = 10;
export const H_STORAGE_FREE = 12;
/** First of each link's four figures: state, joins or connections, failures, modem resets or Wi-Fi reconnects. */
export const H_LORAWAN = 14;
export const H_WIFI = 18;
/** Times the buffer's area outside Storage was found taken (sent only when not 0). */
export const H_BUFFER_LOST = 22;
/** Parts that did not start, as bits: 1 LoRaWAN, 2 Wi-Fi, 4 the site's sensors (sent only when not 0; the log has the cause). */
export const H_NOT_STARTED = 23;

/** Link in use, as key 7 sends it. A board without Wi-Fi has only LoRaWAN links: 1. */
const LINK_CODES: { [name: string]: number } = { lorawan: 1, mqtt: 2, http: 3 };

/** A link change is reported at most this often where Wi-Fi can come and go (ms of uptime). */
const CHANGE_REPORT_MS = 3600000;

let boots = 0;
/** A report is due; figures of it already sent. */
let due = true;
let figuresSent = 0;
/** The links' states as last seen, one base-3 digit each (-1: not yet). */
let linkStates = -1;
/** A change not yet reported, and when the last report went (uptime, ms: the clock may be set meanwhile). */
let changed = false;
let reportedAt = -CHANGE_REPORT_MS;

/** Counts this boot in the flash store; returns its number. */
export function countBoot(): number {
  const prev = counterRead(ID.boot);
  boots = prev < 0 ? 1 : prev + 1;
  try {
    counterWrite(ID.boot, boots);
  } catch (e) {
    log(WARN, "Boot count not recorded: " + why(e));
  }
  return boots;
}

/** Asks for a report in the next frame. */
export function requestReport(): void {
  due = true;
}

/** Looks at the links' states before each frame: a link that went down or came up is reported. */
export function watchLinks(links: Link[]): void {
  let st = 0;
  for (let i = 0; i < links.length; i++) st = st * 3 + links[i].stats()[0];
  if (st !== linkStates && linkStates >= 0) {
    // Boards without Wi-Fi report at once and carry none of the hourly limit: the nRF52840 DK has no bytes to spare.
    if (HAS_WIFI) changed = true;
    else due = true;
  }
  linkStates = st;
  if (HAS_WIFI && changed && uptimeMs() - reportedAt >= CHANGE_REPORT_MS) {
    due = true;
    changed = false;
  }
}

export function reportDue(): boolean {
  return due;
}

/**
 * The figures still to send of a due report (null when none is due), keyed as
 * in docs/frame-format.md, each link's state and counters last. `inUse` is the
 * name of the link the frame goes over.
 */
export function reportFigures(links: Link[], inUse: string): Health | null {
  if (!due) return null;
  const h = [H_UPTIME_S, Math.floor(uptimeMs() / 1000), H_BOOTS, boots, H_BUFFERED, pending(), H_DROPPED, dropped, H_FIRMWARE, VERSION_CODE, H_LINK, HAS_WIFI ? LINK_CODES[inUse] || 0 : 1, H_STORAGE_FREE, S.getFree()];
  if (MODEM) h.push(H_AIRTIME_MS, Math.round(airtimeUsedMs()));
  for (let i = 0; i < links.length; i++) {
    const st = links[i].stats();
    const k = !HAS_WIFI || links[i].name === "lorawan" ? H_LORAWAN : H_WIFI;
    for (let j = 0; j < 4; j++) h.push(k + j, st[j]);
  }
  if (BUFFER_AREA_BYTES && areaLosses()) h.push(H_BUFFER_LOST, areaLosses());
  if (notStarted) h.push(H_NOT_STARTED, notStarted);
  return h.slice(figuresSent * 2);
}

/** A frame carrying `packed` of the figures `h` was delivered or sent: a report too long for one frame goes on in the next. */
export function reportSent(h: Health, packed: number): void {
  if (packed * 2 < h.length) figuresSent += packed;
  else {
    due = false;
    figuresSent = 0;
    if (HAS_WIFI) reportedAt = uptimeMs();
  }
}
