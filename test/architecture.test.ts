/**
 * The import rules of docs/architecture.md, read from its table and checked
 * over every import in src/: a folder imports only what its row names.
 */
import { describe, expect, it } from "vitest";
import fs from "node:fs";
import path from "node:path";

const ROOT = path.join(__dirname, "..");
const SRC = path.join(ROOT, "src");

type Rules = Map<string, string[]>;

/** The folder table: first column the folder, last column what it may import ("any folder" or backticked names, "—" for none). */
function readRules(doc: string): Rules {
  const rules: Rules = new Map();
  for (const line of doc.split("\n")) {
    const cells = line.split("|").map((c) => c.trim());
    if (cells.length < 5 || !/^`[^`]+`$/.test(cells[1])) continue;
    const folder = cells[1].slice(1, -1).replace(/\/$/, "");
    const may = cells[cells.length - 2];
    rules.set(folder, may === "any folder" ? ["*"] : [...may.matchAll(/`([^`]+)`/g)].map((m) => m[1]));
  }
  return rules;
}

/** Every relative or virtual import of a source file, as a path from src/ ("frame/view.ts", "../boards/types.ts") or a virtual module name. */
function importsOf(file: string, text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:from\s+|import\(\s*)"([^"]+)"/g)) {
    const spec = m[1];
    if (spec.startsWith("virtual:")) out.push(spec);
    else if (spec.startsWith(".")) {
      const abs = path.resolve(path.dirname(file), spec);
      out.push(path.relative(SRC, abs.endsWith(".ts") ? abs : abs + ".ts").split(path.sep).join("/"));
    }
  }
  return out;
}

function folderOf(rel: string): string {
  const i = rel.indexOf("/");
  return i < 0 ? "." : rel.slice(0, i);
}

/** Is the import `target` (from src/) allowed by the tokens of a row? */
function allowed(tokens: string[], own: string, target: string): boolean {
  if (tokens.includes("*") || target.startsWith(own + "/")) return true;
  const t = target.startsWith("../") ? target.slice(3) : target;
  return tokens.some((k) => (k.endsWith("/") ? t.startsWith(k) : t === k));
}

/** Every import that breaks the rules, as "from -> to". */
function violations(files: Map<string, string>, rules: Rules): string[] {
  const bad: string[] = [];
  for (const [rel, text] of files) {
    const own = folderOf(rel);
    const tokens = rules.get(own);
    if (!tokens) {
      bad.push(`${rel}: folder ${own}/ has no row in docs/architecture.md`);
      continue;
    }
    for (const target of importsOf(path.join(SRC, rel), text)) if (!allowed(tokens, own, target)) bad.push(`${rel} -> ${target}`);
  }
  return bad;
}

function sources(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile() || !e.name.endsWith(".ts")) continue;
    const abs = path.join(e.parentPath, e.name);
    out.set(path.relative(SRC, abs).split(path.sep).join("/"), fs.readFileSync(abs, "utf8"));
  }
  return out;
}

const rules = readRules(fs.readFileSync(path.join(ROOT, "docs/architecture.md"), "utf8"));

describe("the layout of src/ (docs/architecture.md)", () => {
  it("has a row for every folder of src/", () => {
    const folders = fs.readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    for (const f of folders) expect(rules.has(f), `src/${f}/ has no row in docs/architecture.md`).toBe(true);
    expect(rules.has(".")).toBe(true);
  });

  it("no import in src/ breaks the table", () => {
    expect(violations(sources(SRC), rules)).toEqual([]);
  });

  it("catches an import the table does not allow", () => {
    const files = new Map([
      ["buffer/queue.ts", 'import { packFrame } from "../frame/frame";\nimport type { RecordView } from "../frame/view";'],
      ["frame/frame.ts", 'import { log } from "../runtime/log";'],
      ["store/tally.ts", 'import { FILE } from "./storage-layout";'],
      ["newstage/x.ts", 'import { log } from "../runtime/log";'],
    ]);
    expect(violations(files, rules)).toEqual([
      "buffer/queue.ts -> frame/frame.ts",
      "frame/frame.ts -> runtime/log.ts",
      "newstage/x.ts: folder newstage/ has no row in docs/architecture.md",
    ]);
  });
});
