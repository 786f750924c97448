/** Console lines of the simulated gateway, stamped with its clock, for people. */
import type { SimBoard } from "./board";

export function stamp(sim: SimBoard): string {
  return new Date(sim.clock.wall).toISOString().slice(0, 16).replace("T", " ");
}

/**
 * "INFO Readings: a; b" becomes a stamped block with a line per sensor;
 * problems and alarms are marked so they stand out.
 */
export function humanLine(sim: SimBoard, line: string): string {
  const m = /^(ERROR|WARN|INFO|DEBUG) (.*)$/.exec(line);
  const body = m ? m[2] : line;
  const when = stamp(sim);
  if (body.startsWith("Readings: ")) {
    const pad = " ".repeat(when.length + 4);
    return `${when}  Readings\n${body.slice(10).split("; ").map((p) => pad + (p.includes(": ") ? p : "Gateway: " + p)).join("\n")}`;
  }
  const alarm = body.startsWith("ALARM ");
  const mark = m && m[1] === "ERROR" ? "PROBLEM: " : m && m[1] === "WARN" && !alarm ? "Note: " : "";
  return `${when}  ${mark}${body}`;
}
