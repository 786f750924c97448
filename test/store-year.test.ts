/**
 * A simulated year of the flash store (docs/storage-layout.md): readings every
 * 15 minutes, a day's outage every week, a site change every week, an app
 * slot written every month, a reboot every week. Storage must end it with no
 * trash, no compaction ever run, and the same files it started with.
 */
import { describe, expect, it } from "vitest";
import { simulateYear } from "../scripts/year";

describe("a year of the flash store", () => {
  it("sim board: weekly outages, site changes and reboots, monthly slot writes; no trash, no compaction, nothing lost", () => {
    const r = simulateYear("sim", 365);
    console.log(
      `a year on the sim board: ${r.cyclesStored} cycles, ${r.readingsDelivered} readings delivered, ${r.siteChanges} site changes, ${r.slotWrites} slot writes, ${r.reboots} reboots; ` +
        `${r.pageErases} page erases (${(r.pageErases / r.days).toFixed(2)} a day, at most ${r.maxErasesOnePage} on one page); Storage trash ${r.trashBytes} B, compactions ${r.compactCalls}`,
    );
    expect(r.cyclesStored).toBe(365 * 96);
    expect(r.readingsDropped).toBe(0);
    // The last day has the link up: every reading of the year was delivered.
    expect(r.pending).toBe(0);
    expect(r.readingsDelivered).toBe(365 * 96 * 13);
    expect(r.siteChanges).toBe(52);
    expect(r.slotWrites).toBe(12);
    expect(r.trashBytes).toBe(0);
    expect(r.compactCalls).toBe(0);
    expect(r.filesAfter).toEqual(r.filesBefore);
    expect(r.siteText).toBe(r.lastSite);
    expect(r.slotCrc).toBe(r.lastSlotCrc);
  });
});
