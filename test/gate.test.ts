import { describe, expect, it } from "vitest";
import path from "node:path";
import { rollup } from "rollup";
import ts from "typescript";
import { checkBundle } from "../scripts/build/gate";
import { bundleConfig, declareWhereSet, poolStrings, ROOT } from "../scripts/build/config";
import { boardById } from "../boards/index";

const constructs = (code: string, es5 = false) => checkBundle(code, { es5 }).map((v) => v.construct);

describe("compatibility gate: syntax from the support file", () => {
  const refused: [string, string, string][] = [
    ["object destructuring", "var o={a:1}; var {a} = o;", "destructuring"],
    ["array destructuring", "var arr=[1,2]; var [x, y] = arr;", "destructuring"],
    ["default parameters", "function f(a, b = 2) { return a + b; }", "default parameter value"],
    ["rest parameters", "function f(a, ...r) { return r; }", "rest parameter"],
    ["spread in calls", "Math.max(...[1, 2]);", "spread (...)"],
    ["spread in arrays", "var a = [...[1]];", "spread (...)"],
    ["spread in objects", "var a = { ...{ b: 1 } };", "spread (...)"],
    ["exponent", "var a = 2 ** 3;", "exponent operator (**)"],
    ["optional chaining", "var o = {}; var a = o?.x;", "optional chaining (?.)"],
    ["computed keys", "var k = 'a'; var o = { [k]: 1 };", "computed key ({ [k]: v })"],
    ["labels", "outer: for (var i = 0; i < 2; i++) { continue outer; }", "label"],
    ["async", "async function f() { return 1; }", "async function"],
    ["await", "async function f(p) { await p; }", "await"],
    ["generators", "function* g() { yield 1; }", "generator function"],
    ["yield", "function* g() { yield 1; }", "yield"],
    ["import", "import x from 'y';", "import/export"],
    ["export", "export var a = 1;", "import/export"],
    ["new (function(){})()", "var o = new (function () { this.a = 1; })();", "new (function(){...})()"],
    ["class extends Error", "class E2 extends Error {}", "class extends Error"],
    ["tagged template", "function t(s) { return s; } t`x`;", "tagged template"],
    ["logical assignment", "var a; a ??= 1;", "logical assignment (??=)"],
    ["class fields", "class A { x = 1; }", "class field"],
    ["assignment to .length (throws on the interpreter)", "var a = [1]; a.length = 0;", "assignment to .length"],
    ["a call before the function's declaration (no hoisting)", "function a() { var r = b(); function b() { return 1; } return r; }", "b used before its function declaration (Espruino does not hoist)"],
    ["a var used before its declaration (no hoisting)", "var o = 1; function f() { o = 5; var o; return o; }", "o used before its var statement (Espruino does not hoist var)"],
    ["a var that a function run before its declaration uses", "!function () { function f() { return v; } f(); var v = 1; }();", "v used by f, which may run before v's var statement (Espruino does not hoist var)"],
    ["a var that a function kept and called before its declaration uses", "!function () { var o = { g: function () { return v; } }; o.g(); var v = 1; }();", "v used by a function, which may run before v's var statement (Espruino does not hoist var)"],
    ["a regular expression right after ')'", "for (var i = 0; i < 2; i++) /^a/.test('a') || f();", "regular expression right after ')', ']' or a name (read as division on Espruino)"],
    ["a method read off a built-in prototype", "var s = Array.prototype.slice.call(arguments, 1);", "Array.prototype.slice (not a property on Espruino)"],
    ["a for loop whose first clause begins with a function expression (a declaration to the interpreter)", "for (function (e) { return e; }(1), i = 0; i < 2; i++) f();", "a for loop's first clause beginning with a function expression"],
    ["a function declared after return", "function a() { return { f: function () { return b(); } }; function b() { return 1; } }", "function b declared after return: never defined on Espruino"],
  ];
  for (const [what, code, construct] of refused) {
    it(`refuses ${what}`, () => {
      expect(constructs(code)).toContain(construct);
    });
  }

  it("accepts what the interpreter runs: arrows, classes, let/const, for..of, template literals, ??", () => {
    const code = "const f = (x) => x; let s = `v${f(1)}`; class A { m() { return 1; } get g() { return 2; } } for (const x of [1]) {} var n = null ?? 1; var o = { f, m() {} };";
    expect(constructs(code)).toEqual([]);
  });

  it("in ES5 mode also refuses ES2015 syntax our bundles must not contain", () => {
    const c = constructs("const f = (x) => x; let y = `t`; class A {}", true);
    expect(c).toEqual(expect.arrayContaining(["const (bundle must be ES5)", "arrow function (bundle must be ES5)", "template literal (bundle must be ES5)", "class (bundle must be ES5)"]));
  });
});

describe("compatibility gate: built-ins the interpreter lacks", () => {
  const missing: [string, string][] = [
    ["new Map()", "Map"],
    ["new Set()", "Set"],
    ["new WeakMap()", "WeakMap"],
    ["Symbol('x')", "Symbol"],
    ["new Proxy({}, {})", "Proxy"],
    ["Reflect.ownKeys({})", "Reflect"],
    ["new TextEncoder()", "TextEncoder"],
    ["new TextDecoder()", "TextDecoder"],
    ["throw new RangeError('x')", "RangeError"],
    ["Array.from([1])", "Array.from"],
    ["Uint8Array.from([1])", "Uint8Array.from"],
    ["ArrayBuffer.isView(x)", "ArrayBuffer.isView"],
    ["Number.isFinite(1)", "Number.isFinite"],
    ["Number.isInteger(1)", "Number.isInteger"],
    ["Number.isNaN(1)", "Number.isNaN"],
    ["Number.parseFloat('1')", "Number.parseFloat"],
    ["Number.MAX_SAFE_INTEGER", "Number.MAX_SAFE_INTEGER"],
    ["Number.EPSILON", "Number.EPSILON"],
    ["Math.trunc(1.5)", "Math.trunc"],
    ["Math.fround(1.5)", "Math.fround"],
    ["Math.log2(8)", "Math.log2"],
    ["Math.hypot(3, 4)", "Math.hypot"],
    ["Promise.race([])", "Promise.race"],
    ["Promise.resolve().finally(function () {})", ".finally()"],
    ["Date.UTC(2020, 1, 1)", "Date.UTC"],
    ["require('MQTT')", 'require("MQTT") (not built in)'],
    ["require('crypto').HMAC", "crypto.HMAC"],
    ["Object.freeze({})", "Object.freeze"],
  ];
  for (const [code, construct] of missing) {
    it(`refuses ${code}`, () => {
      expect(constructs(`var x; ${code};`)).toContain(construct);
    });
  }

  it("accepts a function used later from a closure defined before it", () => {
    expect(constructs("function a() { var t = function () { return b(); }; function b() { return 1; } return t; }")).toEqual([]);
  });

  it("accepts a var that the functions made before it use only after its declaration, or that they bind themselves", () => {
    expect(constructs("!function () { var o = { g: function () { return o.v + v; } }; var v = 1; o.g(); function f(v) { return v; } f(); var w = f(2); }();")).toEqual([]);
  });

  it("does not refuse a local binding that shares a missing built-in's name, or a typeof feature test", () => {
    expect(constructs("function f(Map) { return Map.get(1); } if (typeof Symbol !== 'undefined') {}")).toEqual([]);
  });

  it("refuses a built-in module the board's build does not have", () => {
    const v = checkBundle("require('Wifi').connect('x', {}, function () {});", { modules: ["Storage"] });
    expect(v.map((x) => x.construct)).toEqual(['require("Wifi") (not in this board\'s build)']);
  });
});

describe("the build declares the bundle's variables where they are first set", () => {
  const declare = (code: string) => {
    const r = (declareWhereSet() as any).renderChunk(code);
    return r ? r.code : code;
  };

  it("moves a name of terser's hoisted list into a var where the bundle's statements set it", () => {
    expect(declare("!function(){function f(){return 1}var a,b,c=2;a=1,f(),b=f()}();")).toBe("!function(){function f(){return 1}var c=2;var a=1;f();var b=f()}();");
  });

  it("leaves in the list a name that anything may use before it is set, and one set only inside functions", () => {
    const out = declare("!function(){function f(){return b}function g(){d=1}var a,b,d;a=1,f(),b=2,g()}();");
    expect(out).toBe("!function(){function f(){return b}function g(){d=1}var b,d;var a=1;f(),b=2,g()}();");
    expect(checkBundle(out)).toEqual([]);
  });
});

describe("the build reads a string the bundle repeats from a variable", () => {
  it("where that makes the bundle smaller; not a property name or a module's name, and apart from the word before it", () => {
    const code = '!function(){var o={"portal":1};function f(n){return"portal"===n||"portal"===n.x}f("portal"),f("portal"),f("io"),f("io"),require("portal")}();';
    const r = (poolStrings(null) as any).renderChunk(code);
    expect(r.code).toBe('!function(){var aa="portal";var o={"portal":1};function f(n){return aa===n||aa===n.x}f(aa),f(aa),f("io"),f("io"),require("portal")}();');
    expect(checkBundle(r.code)).toEqual([]);
  });
});

describe("compatibility gate in the build", () => {
  it("fails the build, naming each construct and its source line", async () => {
    const cfg = bundleConfig(boardById("sim"), { entry: path.join(ROOT, "test/fixtures/gate/uses-missing.js"), write: false });
    const b = await rollup(cfg);
    let message = "";
    try {
      await b.generate(cfg.output as never);
    } catch (e) {
      message = (e as Error).message;
    }
    await b.close();
    expect(message).toMatch(/would not run on Espruino 2v29/);
    expect(message).toMatch(/uses-missing\.js:3:\d+: destructuring/);
    expect(message).toMatch(/uses-missing\.js:4:\d+: spread/);
    expect(message).toMatch(/uses-missing\.js:5:\d+: Map/);
    expect(message).toMatch(/uses-missing\.js:6:\d+: Array\.from/);
    expect(message).toMatch(/uses-missing\.js:7:\d+: optional chaining/);
  });

  it("the type checker already refuses missing built-ins in firmware sources", () => {
    const cfg = ts.getParsedCommandLineOfConfigFile(path.join(ROOT, "tsconfig.json"), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })!;
    const file = path.join(ROOT, "src/__probe.ts");
    const src = "export const m = new Map(); export const a = Array.from([1]); export const n = Number.isFinite(1); export const t = Math.trunc(1); export const s = Symbol('x');";
    const host = ts.createCompilerHost(cfg.options);
    const read = host.readFile;
    host.readFile = (f) => (f === file ? src : read(f));
    const exists = host.fileExists;
    host.fileExists = (f) => f === file || exists(f);
    const program = ts.createProgram([file, path.join(ROOT, "src/types/espruino.d.ts")], cfg.options, host);
    const msgs = ts.getPreEmitDiagnostics(program).filter((d) => d.file?.fileName === file).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    expect(msgs.join("\n")).toMatch(/Cannot find name 'Map'/);
    expect(msgs.join("\n")).toMatch(/Property 'from' does not exist/);
    expect(msgs.join("\n")).toMatch(/Property 'isFinite' does not exist/);
    expect(msgs.join("\n")).toMatch(/Property 'trunc' does not exist/);
    expect(msgs.join("\n")).toMatch(/'Symbol' only refers to a type/);
  });
});
