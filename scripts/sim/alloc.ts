/**
 * What the firmware itself allocates while something runs: V8's sampling heap
 * profiler, counting only allocations made in frames of the bundle (the app
 * is eval'd from Storage, so its frames have no URL; the loader's is
 * .bootcde). The simulator's host code and the realm's shims of Espruino
 * built-ins are left out. Bytes are converted to JsVars with
 * V8_BYTES_PER_JSVAR; docs/simulator.md says how that factor was set.
 */
import { post } from "./inspector";

interface Node {
  callFrame: { url: string; functionName: string };
  selfSize: number;
  children: Node[];
}

function firmwareBytes(n: Node): number {
  const url = n.callFrame.url;
  const own = (url === "" || url === ".bootcde") && !n.callFrame.functionName.startsWith("(") ? n.selfSize : 0;
  return n.children.reduce((sum, c) => sum + firmwareBytes(c), own);
}

export async function firmwareAllocation(run: () => void): Promise<number> {
  await post("HeapProfiler.enable");
  await post("HeapProfiler.startSampling", { samplingInterval: 32, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  run();
  const { profile } = await post<{ profile: { head: Node } }>("HeapProfiler.stopSampling");
  return firmwareBytes(profile.head);
}
