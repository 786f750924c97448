import { describe, expect, it } from "vitest";
import { boards } from "../boards/index";
import { bootBoard, demoSite } from "./helpers";

describe("the loader", () => {
  for (const b of boards) {
    it(`${b.id}: keeps none of the app's source once the app runs`, async () => {
      const sim = bootBoard(b.id, { site: demoSite });
      sim.advance(4000);
      expect(sim.output()).toContain(`starting on ${b.id}`);
      const r = await sim.loaderRetained();
      // The slot's name, Storage and fg.boot's few fields: about 20 JsVars. The source of a
      // compressed slot would be some 2400 of the DK's 12500 (docs/storage-layout.md, "App slots and updates").
      expect(r.jsVars, JSON.stringify(r.vars)).toBeLessThan(40);
    });
  }
});
