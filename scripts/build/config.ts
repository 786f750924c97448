/**
 * Rollup configuration for every board's bundle and for the loader.
 * rollup.config.mjs uses it; so do the tests that build fixtures.
 */
import fs from "node:fs";
import path from "node:path";
import type { OutputOptions, Plugin, RollupOptions } from "rollup";
import typescript from "@rollup/plugin-typescript";
import terser from "@rollup/plugin-terser";
import * as acorn from "acorn";
import MagicString from "magic-string";
import { boards, type Board } from "../../boards/index";
import { FIRMWARE_HW_KEYS } from "../../boards/types";
import { checkBundle, formatViolation, loadTimeUses } from "./gate";
import { compress } from "../heatshrink";

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string };

/** virtual:board and virtual:build: what one board's firmware knows about its hardware and build. */
export function virtualModules(board: Board | null): Plugin {
  const mods: Record<string, string> = {
    // The version as text, and as the health report sends it: major·10000 + minor·100 + patch.
    "virtual:build": `export var VERSION = ${JSON.stringify(pkg.version)};\nexport var VERSION_CODE = ${pkg.version.split(".").reduce((n, x, i) => n + +x * [10000, 100, 1][i], 0)};`,
  };
  if (board) {
    const hw = board.hw;
    // Constants as separate exports, so rollup drops code for what the board lacks.
    mods["virtual:board"] = [
      // Only the fields the firmware reads: an object's properties cost bytes whether read or not.
      `export default ${JSON.stringify(Object.fromEntries(FIRMWARE_HW_KEYS.filter((k) => hw[k] !== undefined).map((k) => [k, k === "modem" ? { ...hw.modem, kind: undefined } : hw[k]])))};`,
      `export var BOARD_ID = ${JSON.stringify(hw.id)};`,
      `export var HAS_WIFI = ${hw.wifi};`,
      `export var MODEM = ${JSON.stringify(hw.modem ? hw.modem.kind : "")};`,
      `export var NATIVE_CRYPTO = ${hw.nativeCrypto};`,
      `export var APP_SLOTS = ${hw.appSlots};`,
      `export var BULK_ACKS = ${board.bulkAcks};`,
      `export var MIGRATES = ${board.migratesOldLayout};`,
      `export var FLOAT_FIGURES = ${board.floatFigures};`,
      // The flash store's bounds: the end of Storage, and the area outside it the buffer may own (docs/storage-layout.md).
      `export var STORAGE_END = ${board.flash.storageStart + board.storage.bytes};`,
      `export var BUFFER_AREA_ADDR = ${board.bufferArea ? board.bufferArea.addr : 0};`,
      `export var BUFFER_AREA_BYTES = ${board.bufferArea ? board.bufferArea.length : 0};`,
      // The pin that switches the supply's divider on, "" where it is not switched.
      `export var SUPPLY_ENABLE = ${JSON.stringify(hw.supply?.enable ?? "")};`,
    ].join("\n");
    // The driver table of this board: only the drivers it lists are imported, so only they are bundled.
    const drv = path.join(ROOT, "src/drivers");
    mods["virtual:drivers"] = [
      ...board.drivers.map((k) => `import { create${k[0].toUpperCase()}${k.slice(1)} as ${k} } from ${JSON.stringify(path.join(drv, k + ".ts"))};`),
      `export default { ${board.drivers.join(", ")} };`,
    ].join("\n");
  }
  return {
    name: "feldgate-virtual",
    resolveId(id) {
      return id in mods ? "\0" + id : null;
    },
    load(id) {
      return id.startsWith("\0") && id.slice(1) in mods ? mods[id.slice(1)] : null;
    },
  };
}

/**
 * Runs the compatibility gate on every module as it enters the bundle, where
 * its source map is exact, and again on each finished chunk for anything that
 * bundling or minifying introduced. The build fails on any violation.
 */
export function espruinoGate(modules: readonly string[] | undefined): Plugin {
  let found: string[] = [];
  const rel = (file: string, base: string) => path.relative(ROOT, path.resolve(base, file));
  return {
    name: "espruino-gate",
    buildStart() {
      found = [];
    },
    transform(code, id) {
      if (id.startsWith("\0")) return null;
      const map = this.getCombinedSourcemap();
      // Which built-in modules the board has is checked on the finished bundle only:
      // code for what a board lacks is imported here and dropped by tree-shaking.
      for (const v of checkBundle(code, { es5: true, module: true, map: map as never })) {
        if (v.source) v.source.file = rel(v.source.file, path.dirname(id));
        found.push(formatViolation(v, rel(id, ROOT)));
      }
      return null;
    },
    generateBundle(opts, bundle) {
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== "chunk") continue;
        const outDir = opts.file ? path.dirname(opts.file) : (opts.dir ?? ROOT);
        const atEnd = checkBundle(chunk.code, { es5: true, modules, map: chunk.map as never });
        // What the modules already showed is reported from there, with exact lines.
        const lines = found.length ? found : atEnd.map((v) => {
          if (v.source) v.source.file = rel(v.source.file, outDir);
          return formatViolation(v, chunk.fileName);
        });
        if (lines.length) this.error(`${chunk.fileName} would not run on Espruino 2v29:\n${lines.map((l) => "  " + l).join("\n")}`);
      }
    },
  };
}

/**
 * The interpreter's functions the firmware calls most, and the typed arrays it
 * makes, each read once into a variable of the bundle: `Math.round(`,
 * `setTimeout(` or `new Uint8Array(` costs its bytes at every use, a
 * variable's name one or two letters once mangled (`new` takes the variable
 * as it takes the constructor). In each module a use becomes a name of the
 * same length (`Math.round` → `Math_round`, `setTimeout` → `setTimeou$`), so
 * its source map stays exact, imported from virtual:natives. The
 * interpreter's static and global functions run detached, as
 * `setTimeout(E.reboot, ...)` in src/main.ts relies on too. Only what every
 * build has: the gate still sees each one, where it is read.
 * And `undefined`, which terser writes as `void 0` at every use: its variable
 * is set from `[][0]`, which terser does not fold back.
 */
const NATIVE_ALIASES: [string, string][] = [
  ["Math.round", "Math_round"],
  ["Math.floor", "Math_floor"],
  ["Math.max", "Math_max"],
  ["Math.min", "Math_min"],
  ["Math.pow", "Math_pow"],
  ["Math.ceil", "Math_ceil"],
  ["Object.assign", "Object_assign"],
  ["Array.isArray", "Array_isArray"],
  ["E.CRC32", "E_CRC32"],
  ["setTimeout", "setTimeou$"],
  ["clearTimeout", "clearTimeou$"],
  ["getTime", "getTim$"],
  ["setWatch", "setWatc$"],
  ["clearWatch", "clearWatc$"],
  ["isNaN", "isNa$"],
  ["parseInt", "parseIn$"],
  ["pinMode", "pinMod$"],
  ["analogRead", "analogRea$"],
  ["String", "Strin$"],
  ["Uint8Array", "Uint8Arra$"],
  ["Int32Array", "Int32Arra$"],
  ["Float64Array", "Float64Arra$"],
  ["undefined", "undefine$"],
];

export function nativeAliases(): Plugin {
  const alias = new Map(NATIVE_ALIASES);
  // A use: not a property of something else, and not part of a longer name.
  const uses = new RegExp(`(?<![\\w$.])(${NATIVE_ALIASES.map((a) => a[0].replace(".", "\\.")).join("|")})(?![\\w$])`, "g");
  return {
    name: "feldgate-natives",
    resolveId(id) {
      return id === "virtual:natives" ? "\0virtual:natives" : null;
    },
    load(id) {
      return id === "\0virtual:natives" ? NATIVE_ALIASES.map((a) => `export var ${a[1]} = ${a[0] === "undefined" ? "[][0]" : a[0]};`).join("\n") : null;
    },
    transform(code, id) {
      if (id.startsWith("\0")) return null;
      const used = new Set<string>();
      const out = code.replace(uses, (m: string) => {
        used.add(alias.get(m)!);
        return alias.get(m)!;
      });
      if (!used.size) return null;
      // At the end, so that nothing before it moves: imports are hoisted.
      return { code: `${out}\nimport { ${[...used].join(", ")} } from "virtual:natives";\n`, map: null };
    },
  };
}

type N = acorn.Node & Record<string, any>;

/** The body of the function a bundle is, run at once (`!function(){ … }()`), or null. */
function bundleBody(prog: N): N | null {
  const run = prog.body.length === 1 && prog.body[0].type === "ExpressionStatement" ? (prog.body[0].expression as N) : null;
  const call = run && run.type === "UnaryExpression" ? run.argument : run;
  return call && call.type === "CallExpression" && call.callee.type === "FunctionExpression" ? call.callee.body : null;
}

/**
 * Strings the bundle writes more than once ("TIMEOUT", "fg.store", "port",
 * "number"), each read from a variable of the bundle instead: terser writes
 * a constant string out at every use. A string goes into the variables where
 * that makes the app smaller: in bytes, or for a board that stores its app
 * compressed, as `pack` packs it (heatshrink's window is short, so a string
 * repeated close by costs little; each string tried costs one packing of the
 * app, a few seconds for the DK's build). Each variable takes a name the
 * bundle uses nowhere, and is declared first of all. Not moved: property
 * names, and the names of modules, which the gate reads from require().
 */
export function poolStrings(pack: ((b: Uint8Array) => Uint8Array) | null): Plugin {
  return {
    name: "feldgate-pool-strings",
    renderChunk(code) {
      const prog = acorn.parse(code, { ecmaVersion: "latest", sourceType: "script" }) as N;
      const body = bundleBody(prog);
      if (!body) return null;
      const names = new Set<string>();
      const uses = new Map<string, N[]>();
      const visit = (n: N, parent: N | null) => {
        if (n.type === "Identifier") names.add(n.name);
        if (n.type === "Literal" && typeof n.value === "string" && !n.regex) {
          const key = parent && (parent.type === "Property" || parent.type === "MethodDefinition") && parent.key === n && !parent.computed;
          const moduleName = parent && parent.type === "CallExpression" && parent.callee.type === "Identifier" && parent.callee.name === "require";
          const directive = parent && parent.type === "ExpressionStatement" && parent.directive !== undefined;
          if (!key && !moduleName && !directive) {
            if (!uses.has(n.raw)) uses.set(n.raw, []);
            uses.get(n.raw)!.push(n);
          }
        }
        for (const k of Object.keys(n)) {
          const v = n[k];
          if (Array.isArray(v)) v.forEach((c) => c && typeof c.type === "string" && visit(c, n));
          else if (v && typeof v.type === "string" && k !== "type") visit(v, n);
        }
      };
      visit(prog, null);
      // Two-character names the bundle does not use, in order.
      const first = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ$_";
      const fresh: string[] = [];
      for (const a of first) for (const b of first + "0123456789") if (!names.has(a + b) && !["do", "if", "in"].includes(a + b)) fresh.push(a + b);
      // A use written where a name would run into the word before or after it gets a space.
      const word = /[\w$]/;
      const render = (pool: string[]) => {
        const s = new MagicString(code);
        if (!pool.length) return s;
        s.appendLeft(body.start + 1, "var " + pool.map((raw, i) => fresh[i] + "=" + raw).join(",") + ";");
        pool.forEach((raw, i) => {
          for (const n of uses.get(raw)!) s.overwrite(n.start, n.end, (word.test(code[n.start - 1]) ? " " : "") + fresh[i] + (word.test(code[n.end]) ? " " : ""));
        });
        return s;
      };
      const size = (pool: string[]) => {
        const out = Buffer.from(render(pool).toString(), "latin1");
        return pack ? pack(out).length : out.length;
      };
      // The largest savings in bytes first; each string kept only if the app comes out smaller with it.
      const gain = (raw: string) => uses.get(raw)!.length * (raw.length - 2) - raw.length - 4;
      const candidates = [...uses.keys()].filter((raw) => uses.get(raw)!.length > 1 && gain(raw) > 0).sort((a, b) => gain(b) - gain(a));
      const pool: string[] = [];
      let best = size(pool);
      for (const raw of candidates.slice(0, fresh.length)) {
        const with_ = size([...pool, raw]);
        if (with_ < best) {
          pool.push(raw);
          best = with_;
        }
      }
      if (!pool.length) return null;
      const s = render(pool);
      return { code: s.toString(), map: s.generateMap({ hires: true }) };
    },
  };
}

/**
 * The bundle's own variables declared where they are first set. Terser's
 * hoist_vars, which keeps every function clear of a name used before its
 * `var` (the interpreter hoists none), also lists all the bundle's variables
 * at the top of its function and sets them further down: each name written
 * twice. Here a name of that list goes into a `var` where the bundle's
 * statements first set it (`a=1,f(),b=2` becomes `var a=1;f();var b=2`),
 * unless anything may use it before that: the statements themselves, or a
 * function they may run (the gate's loadTimeUses, which the gate checks
 * again). Names set only inside functions stay in the list.
 */
export function declareWhereSet(): Plugin {
  return {
    name: "feldgate-declare-where-set",
    renderChunk(code) {
      const body = bundleBody(acorn.parse(code, { ecmaVersion: "latest", sourceType: "script" }) as N);
      if (!body) return null;
      const st = body.body as N[];
      const vi = st.findIndex((x) => x.type === "VariableDeclaration");
      if (vi < 0) return null;
      const list = st[vi];
      const unset = new Set<string>(list.declarations.filter((d: N) => !d.init && d.id.type === "Identifier").map((d: N) => d.id.name));
      // A statement is split only where its parts are joined by bare commas, and none of them would begin a declaration.
      const partsOf = (x: N): N[] | null => {
        const parts: N[] = x.expression.type === "SequenceExpression" ? x.expression.expressions : [x.expression];
        if (parts[0].start !== x.start) return null;
        for (let k = 0; k < parts.length; k++) {
          if (k && code.slice(parts[k - 1].end, parts[k].start) !== ",") return null;
          if (/^(function\b|\{)/.test(code.slice(parts[k].start, parts[k].start + 9))) return null;
        }
        return parts;
      };
      const setAt = new Map<string, N>();
      for (const x of st.slice(vi + 1)) {
        if (x.type !== "ExpressionStatement") continue;
        for (const e of partsOf(x) ?? [])
          if (e.type === "AssignmentExpression" && e.operator === "=" && e.left.type === "Identifier" && unset.has(e.left.name) && !setAt.has(e.left.name)) setAt.set(e.left.name, e);
      }
      const { uses, calls } = loadTimeUses(body);
      for (const u of uses) {
        const e = setAt.get(u.name);
        if (e && u.node !== e.left && (u.via ? calls.some((c) => c > u.at && c <= e.end) : u.node.start < e.end)) setAt.delete(u.name);
      }
      if (!setAt.size) return null;
      const s = new MagicString(code);
      // Out of the list: each run of names that move, with the comma that joins it to a name that stays.
      const d: N[] = list.declarations;
      const moves = (k: number) => d[k].id.type === "Identifier" && setAt.has(d[k].id.name);
      if (d.every((_, k) => moves(k))) s.remove(list.start, list.end);
      else
        for (let i = 0; i < d.length; i++) {
          if (!moves(i)) continue;
          let j = i;
          while (j + 1 < d.length && moves(j + 1)) j++;
          if (j + 1 < d.length) s.remove(d[i].start, d[j + 1].start);
          else s.remove(d[i - 1].end, d[j].end);
          i = j;
        }
      // Into the statements: `var` before each run of parts that set a name moved, `;` between runs.
      for (const x of st.slice(vi + 1)) {
        if (x.type !== "ExpressionStatement") continue;
        const parts = partsOf(x);
        if (!parts) continue;
        const declares = parts.map((e) => e.type === "AssignmentExpression" && e.left.type === "Identifier" && setAt.get(e.left.name) === e);
        if (!declares.some(Boolean)) continue;
        if (declares[0]) s.appendRight(parts[0].start, "var ");
        for (let k = 1; k < parts.length; k++)
          if (declares[k] !== declares[k - 1]) s.overwrite(parts[k - 1].end, parts[k].start, declares[k] ? ";var " : ";");
      }
      return { code: s.toString(), map: s.generateMap({ hires: true }) };
    },
  };
}

export interface BundleOptions {
  entry?: string;
  outDir?: string;
  /** TypeScript target override, e.g. for tests that show the gate catching what ES5 lowering would hide. */
  target?: string;
  /** Write the output (default true). */
  write?: boolean;
  /** A test probe: the properties it shares with the tests keep their names. */
  probe?: boolean;
}

/** A first pass that may inline constants: hoisted var declarations hide them from terser's constant folding. */
const inlineOptions = {
  ecma: 5 as const,
  compress: { passes: 2, toplevel: true, pure_getters: true, unsafe_math: false, hoist_funs: false, hoist_vars: false, inline: 2 },
  mangle: false,
  format: { ascii_only: true, comments: false },
};

/**
 * Properties of the firmware's own objects that never leave the bundle: the
 * store's areas and the buffer's chains, the LoRaWAN link's state, the
 * scheduler's jobs, sensors and their contexts, sensor sets, alarms, links,
 * the AT port, a packed frame, a view of records, a frame's share of the
 * buffer, a downlink's answer and the actions it may take, a loaded site,
 * and the board's hw (inlined by the build, read only by name). The build
 * shortens these names as it does variables' (a property name costs its
 * bytes at every use). A name here must not be read from JSON (site,
 * identity), by a computed key, or from the interpreter's own objects.
 */
export const INTERNAL_PROPS = /^(pages|first|area|pageBytes|fileOffset|next|base|off|last|seq|dr|sending|joins|failures|resets|period|due|measure|sample|channels|hw|names|error|maxPayload|waitFor|ready|phase|update|active|field|cmd|busy|bytes|records|health|answered|counter|result|detail|code|value|ports|modem|supply|vref|serial|shuntOhms|baud|pin|ratio|close|stats|send|start|running|id|setInterval|setSensor|readNow|reportStatus|site|defaults|events|readings)$/;
/**
 * Of those, the ones a probe hands to the tests or takes from them (a packed
 * frame, an answer, a view of records, a frame's share of the buffer, a
 * page's header, the buffer's stats, a link): whole in the probes' bundles.
 */
const PROBE_PROPS = ["bytes", "records", "health", "answered", "counter", "result", "detail", "code", "value", "seq", "stats", "ready", "waitFor", "maxPayload", "send", "close", "events", "readings"];

function terserOptions(reserved: string[] = []) {
  return {
    ecma: 5 as const,
    // The interpreter hoists neither functions nor var: declarations go to the top of each function,
    // and no function with variables is inlined (terser would put its var after the return).
    compress: { passes: 3, toplevel: true, pure_getters: true, unsafe_math: false, hoist_funs: true, hoist_vars: true, inline: 2 },
    mangle: { toplevel: true, properties: { regex: INTERNAL_PROPS, builtins: true, reserved: reserved } },
    format: { ascii_only: true, comments: false },
  };
}

function tsPlugin(target?: string): Plugin {
  return typescript({
    tsconfig: path.join(ROOT, "tsconfig.json"),
    compilerOptions: { noEmit: false, sourceMap: true, ...(target ? { target } : {}) },
    noEmitOnError: true,
  }) as Plugin;
}

export function bundleConfig(board: Board, o: BundleOptions = {}): RollupOptions {
  const output: OutputOptions = {
    file: path.join(o.outDir ?? path.join(ROOT, "dist"), `${board.id}.js`),
    format: "iife",
    sourcemap: "hidden",
    strict: false,
  };
  return {
    input: o.entry ?? path.join(ROOT, "src/main.ts"),
    plugins: [virtualModules(board), tsPlugin(o.target), nativeAliases(), terser(inlineOptions), terser(terserOptions(o.probe ? PROBE_PROPS : [])), declareWhereSet(), poolStrings(board.compressApp ? compress : null), espruinoGate(board.modules)],
    output,
    treeshake: { moduleSideEffects: true, propertyReadSideEffects: false },
  };
}

export function loaderConfig(outDir?: string): RollupOptions {
  return {
    input: path.join(ROOT, "src/loader.ts"),
    plugins: [virtualModules(null), tsPlugin(), terser(terserOptions()), espruinoGate(["Storage", "heatshrink", "Flash"])],
    // The loader exists to eval the app from its slot.
    onwarn(w, warn) {
      if (w.code !== "EVAL") warn(w);
    },
    output: { file: path.join(outDir ?? path.join(ROOT, "dist"), "loader.js"), format: "iife", strict: false, sourcemap: "hidden" },
  };
}

/** Probes: firmware modules bundled on their own for tests (dist/probes/), never flashed. */
export function probeConfigs(): RollupOptions[] {
  const sim = boards.find((b) => b.id === "sim")!;
  return ["frame", "queue", "mqtt", "readings", "store"].map((name) => {
    const c = bundleConfig(sim, { entry: path.join(ROOT, `src/probes/${name}-probe.ts`), probe: true });
    (c.output as OutputOptions).file = path.join(ROOT, `dist/probes/${name}.js`);
    return c;
  });
}

export function allConfigs(): RollupOptions[] {
  return [loaderConfig(), ...boards.map((b) => bundleConfig(b)), ...probeConfigs()];
}
