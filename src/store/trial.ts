/**
 * An image on trial (src/loader.ts) confirms itself once its self-test has
 * passed: its first reading cycle stored. Until then it restarts itself
 * after TRIAL_MS, so that the loader tries it again or, after BOOT_TRIES
 * boots, runs the image before it (docs/storage-layout.md, "Boot control").
 */
import { F } from "./builtin";
import { BOOT_OK } from "./storage-layout";
import { log, INFO, WARN } from "../runtime/log";

const TRIAL_MS = 600000;

export function trialStart(): void {
  if (!(global as any).fgTrial) return;
  log(INFO, "Boot: this firmware is on trial until its first reading cycle is stored");
  setTimeout(function () {
    if (!(global as any).fgTrial) return;
    log(WARN, "Boot: no reading cycle stored in 10 min on trial: restarting");
    E.reboot();
  }, TRIAL_MS);
}

/** The self-test passed: the record's confirmation word is written, and the loader runs this image from now on. */
export function trialPassed(): void {
  const at = (global as any).fgTrial;
  if (!at) return;
  (global as any).fgTrial = 0;
  F.write(new Uint8Array(new Uint32Array([BOOT_OK]).buffer), at);
  log(INFO, "Boot: the self-test passed; this firmware is confirmed");
}
