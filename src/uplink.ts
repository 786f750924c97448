/**
 * The sender: moves the offline buffer over the link, frame by frame, as fast
 * as the link and its duty cycle allow. A frame counts as delivered only when
 * the platform confirmed it; until then its readings stay in the buffer.
 */
import type { Link } from "./links/link";
import { queueFrame, queueDelivered, queueTidy, pending } from "./queue";
import { seqNext, seqPeek, seqOnWire } from "./seq";
import { statusPending, statusDelivered, type Health } from "./frame";

const out = new Uint8Array(1024);
/** Links in order of preference: each frame goes over the first that is ready. */
let links: Link[] = [];
let busy = false;
let timer = 0;
let sent = 0;
let failed = 0;
let healthDue = true;
let health: () => Health = function () {
  return [];
};

export function startUplink(l: Link[], h: () => Health): void {
  links = l;
  health = h;
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

/** Sends the next frame if there is one and the link can take it. Called by the scheduler and after each delivery. */
export function pump(): void {
  if (busy || timer) return;
  const l = pick();
  if (!l) return;
  // A downlink's answer or a health report goes out even with nothing else waiting.
  const notes = healthDue || statusPending();
  if (pending() <= 0 && !notes) return;
  const o = queueFrame(out, l.maxPayload(), seqOnWire(seqPeek()), getTime(), healthDue ? health() : null);
  if (o.events + o.readings === 0 && !notes) return;
  const wait = l.waitFor(o.bytes);
  if (wait > 0) {
    timer = setTimeout(function () {
      timer = 0;
      pump();
    }, wait);
    return;
  }
  seqNext();
  busy = true;
  l.send(out, o.bytes, true, function (ok) {
    busy = false;
    if (ok) {
      sent++;
      healthDue = false;
      statusDelivered();
      queueDelivered(o);
      // Reclaims delivered segments while nothing is pending, before Storage fills (docs/buffer.md).
      queueTidy();
      timer = setTimeout(function () {
        timer = 0;
        pump();
      }, 1000);
    } else failed++;
  });
}

/** Asks for a health report in the next frame. */
export function requestHealth(): void {
  healthDue = true;
}

/** Joins or connections, failures, modem resets, summed over the links. */
export function linkStats(): number[] {
  const t = [0, 0, 0];
  for (let i = 0; i < links.length; i++) {
    const st = links[i].stats();
    for (let k = 0; k < 3; k++) t[k] += st[k];
  }
  return t;
}

export function uplinkStats(): number[] {
  return [sent, failed];
}
