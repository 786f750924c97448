/** Console lines of the simulated gateway, stamped with its clock, for people. */
import type { SimBoard } from "./board";

export function stamp(sim: SimBoard): string {
  return new Date(sim.clock.wall).toISOString().slice(0, 16).replace("T", " ");
}

/** "INFO Readings: …" becomes "06-01 00:15  Readings: …"; problems are marked. */
export function humanLine(sim: SimBoard, line: string): string {
  const m = /^(ERROR|WARN|INFO|DEBUG) (.*)$/.exec(line);
  const body = m ? m[2] : line;
  const mark = m && m[1] === "ERROR" ? "PROBLEM: " : m && m[1] === "WARN" ? "Note: " : "";
  return `${stamp(sim)}  ${mark}${body}`;
}
