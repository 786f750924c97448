/**
 * The sender: moves the offline buffer over the link, frame by frame, as fast
 * as the link and its duty cycle allow. A frame counts as delivered only when
 * the platform confirmed it, one by one (LoRaWAN confirmed uplink, MQTT
 * PUBACK, HTTP 2xx) or in bulk (docs/links.md); until then its readings stay
 * in the buffer.
 *
 * Each frame is packed here from what the others hold: the buffer's view of
 * pending records, the health report's figures, and the downlink's answer.
 */
import { NOT_SENT, DELIVERED, type Link } from "../links/link";
import { queueView, queueTaken, queueSent, queueDelivered, queueRewind, unsent } from "../buffer/queue";
import { packFrame } from "../frame/frame";
import { seqNext, seqPeek, seqOnWire } from "./seq";
import { watchLinks, reportDue, reportFigures, reportSent } from "./report";
import { pendingAnswer, answerDelivered } from "./downlink";
import { log, WARN } from "../runtime/log";
import { BULK_ACKS } from "virtual:board";

/** Frames sent unconfirmed before one asks for an acknowledgement: about 8 downlinks a day at 15 minutes, within TTN's fair use. */
const ACK_EVERY = 12;
/** Frames sent after an unanswered request before its frames go again. */
const ACK_WAIT = 4;
/** Requests in a row without an answer before every frame goes confirmed, until an answer comes. */
const ACK_GIVE_UP = 3;
/** Entries per frame in `inFlight`. */
const FLIGHT = 3;

const out = new Uint8Array(1024);
/** Links in order of preference: each frame goes over the first that is ready. */
let links: Link[] = [];
let busy = false;
let timer = 0;
let sent = 0;
/** Routine frames go unconfirmed over LoRaWAN, acknowledged in bulk (site "acks": "bulk"). */
let bulk = false;
/** Frames sent and not yet acknowledged, oldest first, FLIGHT entries each: sequence number, confirmed already, buffer position after it. */
let inFlight: any[] = [];
/** Frames sent since the last request for an acknowledgement (-1: none waiting for an answer). */
let sinceAsk = -1;
let unanswered = 0;

export function startSender(l: Link[], bulkAcks: boolean): void {
  links = l;
  bulk = bulkAcks;
}

/** The preferred link if it is ready, else the next: failing over, and back once the preferred one recovers. */
function pick(): Link | null {
  for (let i = 0; i < links.length; i++) if (links[i].ready()) return links[i];
  return null;
}

/** Frames not acknowledged go again, from where delivery stopped; the platform drops the copies. */
function rewind(): void {
  inFlight = [];
  sinceAsk = -1;
  queueRewind();
}

/** Sends again after `ms`, unless something else sends first. */
function sendLater(ms: number): void {
  timer = setTimeout(function () {
    timer = 0;
    sendNext();
  }, ms);
}

/** Sends the next frame if there is one and the link can take it. Called by the scheduler and after each delivery. */
export function sendNext(): void {
  if (busy || timer) return;
  // A link went down or came up: the platform hears of it in the next frame, over whichever link works.
  watchLinks(links);
  const l = pick();
  if (!l) return;
  const lora = BULK_ACKS && bulk && l.name === "lorawan";
  // Frames awaiting a bulk acknowledgement go again over a link that confirms each one.
  if (BULK_ACKS && inFlight.length && !lora) rewind();
  const answer = pendingAnswer();
  const answering = answer.counter;
  // A downlink's answer or a health report goes out even with nothing else waiting.
  const notes = reportDue() || answering >= 0;
  if (unsent() <= 0 && !notes) return;
  const unconfirmed = lora && unanswered < ACK_GIVE_UP;
  // Ask every ACK_EVERY frames; while every frame goes confirmed, asking shows when the platform answers again.
  const ask = lora && sinceAsk < 0 && (unconfirmed ? inFlight.length / FLIGHT + 1 >= ACK_EVERY : sent % ACK_EVERY === 0);
  const h = reportFigures(links, l.name);
  const p = packFrame(out, l.maxPayload(), seqOnWire(seqPeek()), getTime(), queueView(), h, answer, BULK_ACKS && ask ? inFlight.length / FLIGHT + 1 : 0);
  const taken = queueTaken(p.records);
  if (taken.events + taken.readings === 0 && !notes) return;
  const wait = l.waitFor(p.bytes);
  if (wait > 0) return sendLater(wait);
  const seq = seqOnWire(seqNext());
  busy = true;
  // Alarms and answers to the platform always go confirmed.
  l.send(out, p.bytes, !unconfirmed || taken.events > 0 || answering >= 0, function (r) {
    busy = false;
    if (r === NOT_SENT) return;
    sent++;
    if (h) reportSent(h, p.health);
    if (p.answered) answerDelivered(answering);
    queueSent(taken);
    if (!BULK_ACKS || (r === DELIVERED && !inFlight.length)) queueDelivered(taken.to);
    else inFlight.push(seq, r === DELIVERED, taken.to);
    if (ask) sinceAsk = 0;
    else if (BULK_ACKS && sinceAsk >= 0 && ++sinceAsk > ACK_WAIT) {
      // No answer: the request or its answer was lost, or the link is down.
      if (++unanswered === ACK_GIVE_UP) log(WARN, "LoRaWAN: no bulk acknowledgements, confirming every frame");
      rewind();
    }
    sendLater(1000);
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
  for (let i = 0; i < inFlight.length; i += FLIGHT) if (inFlight[i] === seq) j = i;
  if (j < 0) return;
  sinceAsk = -1;
  let k = 0;
  for (; k <= j; k += FLIGHT) {
    const d = (seq - inFlight[k] + 65536) % 65536;
    // A shift, not Math.pow: on the interpreter Math.pow(2, 31) is above 2^31 (jswrap_math.c 317-333).
    if (!inFlight[k + 1] && !(d < 32 && (bits >>> d) & 1)) break;
  }
  if (k) queueDelivered(inFlight[k - 1]);
  if (k <= j) return rewind();
  inFlight.splice(0, k);
}

/** Frames delivered or sent since start. */
export function framesSent(): number {
  return sent;
}
