import { describe, expect, it } from "vitest";
import fs from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { codec } from "../scripts/frames";

const spec = parse(fs.readFileSync(path.join(__dirname, "../decoders/feldgate.yaml"), "utf8"));

/** The examples as The Things Network device repository runs them: input in, exactly this output out. */
describe("codec examples (decoders/feldgate.yaml)", () => {
  it("keeps every line within the device repository's 200 characters", () => {
    const long = fs.readFileSync(path.join(__dirname, "../decoders/feldgate.yaml"), "utf8").split("\n").map((l, i) => [i + 1, l.length]).filter(([, n]) => n > 200);
    expect(long).toEqual([]);
  });
  for (const ex of spec.uplinkDecoder.examples) {
    it(`uplink: ${ex.description}`, () => {
      const out = codec.decodeUplink({ bytes: ex.input.bytes, fPort: ex.input.fPort, recvTime: new Date(ex.input.recvTime) });
      expect(out).toEqual(ex.output);
    });
  }
  for (const ex of spec.downlinkEncoder.examples) {
    it(`downlink encode: ${ex.description}`, () => {
      expect(codec.encodeDownlink(ex.input)).toEqual(ex.output);
    });
  }
  for (const ex of spec.downlinkDecoder.examples) {
    it(`downlink decode: ${ex.description}`, () => {
      expect(codec.decodeDownlink(ex.input)).toEqual(ex.output);
    });
  }
});
