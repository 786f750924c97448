/**
 * The sender: moves the offline buffer over the link, frame by frame, as fast
 * as the link and its duty cycle allow. A frame counts as delivered only when
 * the platform confirmed it, one by one (LoRaWAN confirmed uplink, MQTT
 * PUBACK, HTTP 2xx) or in bulk (docs/links.md); until then its readings stay
 * in the buffer.
 */
import { NOT_SENT, DELIVERED, type Link } from "../links/link";
import { queueFrame, queueSent, queueDelivered, queueRewind, queueTidy, unsent } from "../buffer/queue";
import { seqNext, seqPeek, seqOnWire } from "./seq";
import { statusPending, statusDelivered, askAck, type Health } from "../frame/frame";
import { log, WARN } from "../runtime/log";
import { uptimeMs } from "../runtime/scheduler";
import { BULK_ACKS, HAS_WIFI } from "virtual:board";

/** Frames sent unconfirmed before one asks for an acknowledgement: about 8 downlinks a day at 15 minutes, within TTN's fair use. */
const ACK_EVERY = 12;
/** Frames sent after an unanswered request before its frames go again. */
const ACK_WAIT = 4;
/** Requests in a row without an answer before every frame goes confirmed, until an answer comes. */
const ACK_GIVE_UP = 3;

const out = new Uint8Array(1024);
/** Links in order of preference: each frame goes over the first that is ready. */
let links: Link[] = [];
let busy = false;
let timer = 0;
let sent = 0;
/** A health report is due (at start, on request, daily, and when a link goes up or down); figures already sent of it. */
let healthDue = true;
let healthAt = 0;
/** The links' states as last seen, one base-3 digit each (-1: not yet). */
let linkStates = -1;
/** A change not yet reported, and when the last report went (uptime, ms: the clock may be set meanwhile): Wi-Fi that comes and goes reports at most hourly, not on every frame over LoRaWAN. */
let changed = false;
let reportedAt = -3600000;
let health: () => Health = function () {
  return [];
};
/** Routine frames go unconfirmed over LoRaWAN, acknowledged in bulk (site "acks": "bulk"). */
let bulk = false;
/** Frames sent and not yet acknowledged, oldest first, three entries each: sequence number, confirmed already, position after it. */
let fl: any[] = [];
/** Frames sent since the last request for an acknowledgement (-1: none waiting for an answer). */
let sinceAsk = -1;
let unanswered = 0;

export function startUplink(l: Link[], h: () => Health, bulkAcks: boolean): void {
  links = l;
  health = h;
  bulk = bulkAcks;
}

/** The preferred link if it is ready, else the next: failing over, and back once the preferred one recovers. */
function pick(): Link | null {
  for (let i = 0; i < links.length; i++) if (links[i].ready()) return links[i];
  return null;
}

/** Name of the link frames go over now, "none" when no link is ready. */
export function linkInUse(): string {
  const l = pick();
  return l ? l.name : "none";
}

/** Frames not acknowledged go again, from where delivery stopped; the platform drops the copies. */
function rewind(): void {
  fl = [];
  sinceAsk = -1;
  queueRewind();
}

/** Sends the next frame if there is one and the link can take it. Called by the scheduler and after each delivery. */
export function pump(): void {
  if (busy || timer) return;
  // A link went down or came up: the platform hears of it in the next frame, over whichever link works.
  let st = 0;
  for (let i = 0; i < links.length; i++) st = st * 3 + links[i].stats()[0];
  if (st !== linkStates && linkStates >= 0) {
    // Boards without Wi-Fi report at once and carry none of the hourly limit: the nRF52840 DK has no bytes to spare.
    if (HAS_WIFI) changed = true;
    else healthDue = true;
  }
  linkStates = st;
  if (HAS_WIFI && changed && uptimeMs() - reportedAt >= 3600000) {
    healthDue = true;
    changed = false;
  }
  const l = pick();
  if (!l) return;
  const lora = BULK_ACKS && bulk && l.name === "lorawan";
  // Frames awaiting a bulk acknowledgement go again over a link that confirms each one.
  if (BULK_ACKS && fl.length && !lora) rewind();
  // A downlink's answer or a health report goes out even with nothing else waiting.
  const notes = healthDue || statusPending();
  if (unsent() <= 0 && !notes) return;
  const unconfirmed = lora && unanswered < ACK_GIVE_UP;
  // Ask every ACK_EVERY frames; while every frame goes confirmed, asking shows when the platform answers again.
  const ask = lora && sinceAsk < 0 && (unconfirmed ? fl.length / 3 + 1 >= ACK_EVERY : sent % ACK_EVERY === 0);
  if (BULK_ACKS) askAck(ask ? fl.length / 3 + 1 : 0);
  const h = healthDue ? health().slice(healthAt * 2) : null;
  const o = queueFrame(out, l.maxPayload(), seqOnWire(seqPeek()), getTime(), h);
  if (BULK_ACKS) askAck(0);
  if (o.events + o.readings === 0 && !notes) return;
  const wait = l.waitFor(o.bytes);
  if (wait > 0) {
    timer = setTimeout(function () {
      timer = 0;
      pump();
    }, wait);
    return;
  }
  const seq = seqOnWire(seqNext());
  busy = true;
  // Alarms and answers to the platform always go confirmed.
  l.send(out, o.bytes, !unconfirmed || o.events > 0 || statusPending(), function (r) {
    busy = false;
    if (r === NOT_SENT) return;
    sent++;
    // A report too long for one frame goes on in the next.
    if (h && o.health * 2 < h.length) healthAt += o.health;
    else if (h) {
      healthDue = false;
      healthAt = 0;
      if (HAS_WIFI) reportedAt = uptimeMs();
    }
    statusDelivered();
    queueSent(o);
    if (!BULK_ACKS || (r === DELIVERED && !fl.length)) queueDelivered(o.to);
    else fl.push(seq, r === DELIVERED, o.to);
    if (ask) sinceAsk = 0;
    else if (BULK_ACKS && sinceAsk >= 0 && ++sinceAsk > ACK_WAIT) {
      // No answer: the request or its answer was lost, or the link is down.
      if (++unanswered === ACK_GIVE_UP) log(WARN, "LoRaWAN: no bulk acknowledgements, confirming every frame");
      rewind();
    }
    // Reclaims delivered segments while nothing is pending, before Storage fills (docs/buffer.md).
    queueTidy();
    timer = setTimeout(function () {
      timer = 0;
      pump();
    }, 1000);
  });
}

/**
 * A bulk acknowledgement (fPort 12): [seq, bits], bit i set when the platform
 * has frame seq − i. Delivery moves over the frames it confirms, up to the
 * first missing one; from there everything goes again.
 */
export function onAck(seq: number, bits: number): void {
  unanswered = 0;
  let j = -1;
  for (let i = 0; i < fl.length; i += 3) if (fl[i] === seq) j = i;
  if (j < 0) return;
  sinceAsk = -1;
  let k = 0;
  for (; k <= j; k += 3) {
    const d = (seq - fl[k] + 65536) % 65536;
    if (!fl[k + 1] && !(d < 32 && Math.floor(bits / Math.pow(2, d)) % 2)) break;
  }
  if (k) queueDelivered(fl[k - 1]);
  if (k <= j) return rewind();
  fl.splice(0, k);
  queueTidy();
}

/** Asks for a health report in the next frame. */
export function requestHealth(): void {
  healthDue = true;
}

/** Each link's state and counters as health figures: LoRaWAN from key 14, Wi-Fi from key 18 (docs/frame-format.md). */
export function linkHealth(h: Health): void {
  for (let i = 0; i < links.length; i++) {
    const st = links[i].stats();
    const k = links[i].name === "lorawan" ? 14 : 18;
    for (let j = 0; j < 4; j++) h.push(k + j, st[j]);
  }
}

/** Frames delivered or sent since start. */
export function framesSent(): number {
  return sent;
}
