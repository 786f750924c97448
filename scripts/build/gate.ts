/**
 * The Espruino compatibility gate. It parses a finished bundle and refuses
 * any syntax the 2v29 interpreter cannot run and any reference to a built-in
 * it lacks (scripts/espruino-profile.ts), naming the construct and, through
 * the bundle's source map, the source file and line it came from.
 */
import * as acorn from "acorn";
import * as walk from "acorn-walk";
import { TraceMap, originalPositionFor, type SourceMapInput } from "@jridgewell/trace-mapping";
import { absentGlobals, absentStatics, absentMethods, absentModules, builtinModules } from "../espruino-profile";

export interface Violation {
  construct: string;
  /** Position in the bundle (1-based line, 0-based column). */
  line: number;
  column: number;
  /** Where it came from, when the source map knows. */
  source?: { file: string; line: number; column: number };
}

export interface GateOptions {
  /** Also refuse ES2015+ syntax that Espruino runs but our ES5 bundles must not contain. */
  es5?: boolean;
  /** Built-in modules of the board's build; a require() of another is refused. */
  modules?: readonly string[];
  map?: SourceMapInput | null;
  /** The code is one ES module of the bundle, before bundling: its import/export are expected. */
  module?: boolean;
}

type N = acorn.Node & Record<string, any>;

const BUILTIN_CTORS = new Set(["Array", "String", "Object", "Function", "Number", "Boolean", "Date", "RegExp", "Promise", "Uint8Array", "Int8Array", "Uint16Array", "Int16Array", "Uint32Array", "Int32Array", "Float32Array", "Float64Array", "ArrayBuffer", "DataView", "Error"]);

const ES5_ONLY: Record<string, string> = {
  ArrowFunctionExpression: "arrow function (bundle must be ES5)",
  ClassDeclaration: "class (bundle must be ES5)",
  ClassExpression: "class (bundle must be ES5)",
  TemplateLiteral: "template literal (bundle must be ES5)",
  ForOfStatement: "for...of (bundle must be ES5)",
};

export function checkBundle(code: string, opts: GateOptions = {}): Violation[] {
  const out: Violation[] = [];
  let ast: acorn.Program;
  let tracer: TraceMap | null = null;
  try {
    tracer = opts.map ? new TraceMap(opts.map as SourceMapInput) : null;
  } catch {
    tracer = null;
  }
  const add = (construct: string, node: { start: number }) => {
    const loc = acorn.getLineInfo(code, node.start);
    const v: Violation = { construct, line: loc.line, column: loc.column };
    if (tracer) {
      const o = originalPositionFor(tracer, { line: loc.line, column: loc.column });
      if (o.source) v.source = { file: o.source, line: o.line ?? 0, column: o.column ?? 0 };
    }
    out.push(v);
  };
  try {
    ast = acorn.parse(code, { ecmaVersion: "latest", sourceType: opts.module ? "module" : "script", locations: false });
  } catch (e) {
    // import/export only parse as a module: parse again to name them.
    try {
      ast = acorn.parse(code, { ecmaVersion: "latest", sourceType: "module" });
    } catch {
      const err = e as SyntaxError & { pos?: number };
      add(`unparseable: ${err.message}`, { start: err.pos ?? 0 });
      return out;
    }
  }

  // Names the bundle declares itself: a local called Map is not the missing built-in.
  const declared = new Set<string>();
  // Feature tests such as `typeof Symbol` are fine: only uses are refused.
  const typeofOperands = new Set<acorn.Node>();
  const declare = (p: N | null | undefined) => {
    if (!p) return;
    if (p.type === "Identifier") declared.add(p.name);
    else if (p.type === "ObjectPattern") p.properties.forEach((q: N) => declare(q.type === "RestElement" ? q.argument : q.value));
    else if (p.type === "ArrayPattern") p.elements.forEach((q: N | null) => declare(q));
    else if (p.type === "RestElement") declare(p.argument);
    else if (p.type === "AssignmentPattern") declare(p.left);
  };
  walk.full(ast, (node: acorn.Node) => {
    const n = node as N;
    if (n.type === "VariableDeclarator") declare(n.id);
    else if (n.type === "FunctionDeclaration" || n.type === "FunctionExpression" || n.type === "ArrowFunctionExpression") {
      if (n.id) declare(n.id);
      n.params.forEach((p: N) => declare(p));
    } else if (n.type === "ClassDeclaration" && n.id) declare(n.id);
    else if (n.type === "CatchClause") declare(n.param);
    else if (n.type === "UnaryExpression" && n.operator === "typeof") typeofOperands.add(n.argument);
  });

  const absentStatic = new Set(absentStatics);
  const absentGlobal = new Set(absentGlobals);
  const absentMethod = new Set(absentMethods);

  walk.fullAncestor(ast, (node: acorn.Node, _state: unknown, ancestors: acorn.Node[]) => {
    const n = node as N;
    const parent = ancestors[ancestors.length - 2] as N | undefined;
    switch (n.type) {
      case "ObjectPattern":
      case "ArrayPattern":
        add("destructuring", n);
        break;
      case "AssignmentPattern":
        add("default parameter value", n);
        break;
      case "RestElement":
        add("rest parameter", n);
        break;
      case "SpreadElement":
        add("spread (...)", n);
        break;
      case "ChainExpression":
        add("optional chaining (?.)", n);
        break;
      case "LabeledStatement":
        add("label", n);
        break;
      case "TaggedTemplateExpression":
        add("tagged template", n);
        break;
      case "AwaitExpression":
        add("await", n);
        break;
      case "YieldExpression":
        add("yield", n);
        break;
      case "ImportDeclaration":
      case "ExportNamedDeclaration":
      case "ExportDefaultDeclaration":
      case "ExportAllDeclaration":
        if (!opts.module) add("import/export", n);
        break;
      case "ImportExpression":
        add("import()", n);
        break;
      case "PropertyDefinition":
        add("class field", n);
        break;
      case "StaticBlock":
        add("class static block", n);
        break;
      case "PrivateIdentifier":
        add("private name (#)", n);
        break;
      case "BinaryExpression":
        if (n.operator === "**") add("exponent operator (**)", n);
        break;
      case "AssignmentExpression":
        // Seen on the 2v29 interpreter: `a.length = 0` throws "Assignment to a constant".
        if (n.left.type === "MemberExpression" && !n.left.computed && n.left.property.name === "length") add("assignment to .length", n);
        if (n.operator === "**=") add("exponent operator (**=)", n);
        else if (n.operator === "&&=" || n.operator === "||=" || n.operator === "??=") add(`logical assignment (${n.operator})`, n);
        break;
      case "Literal":
        // Seen on the 2v29 interpreter: after ')' (the end of a for/if head) or a name, its lexer takes '/' for division.
        if (n.regex && /[)\]\w$]$/.test(code.slice(0, n.start).trimEnd())) add("regular expression right after ')', ']' or a name (read as division on Espruino)", n);
        if (typeof n.bigint === "string") add("BigInt literal", n);
        if (n.regex && /[suyvd]/.test(n.regex.flags)) add(`regular expression flag (${n.regex.flags})`, n);
        break;
      case "Property":
        if (n.computed) add("computed key ({ [k]: v })", n);
        break;
      case "MethodDefinition":
        if (n.computed) add("computed key ({ [k]: v })", n);
        break;
      case "CatchClause":
        if (!n.param) add("catch without a binding", n);
        break;
      case "ForOfStatement":
        if (n.await) add("for await", n);
        break;
      case "ForStatement":
        // jsparse.c:2608-2609 parses the first clause as a statement, and a statement that
        // begins with `function` is a declaration (jsparse.c:3028-3029): "Got '(' expected ID".
        if (n.init && code.slice(n.init.start, n.init.start + 8) === "function") add("a for loop's first clause beginning with a function expression", n);
        break;
      case "NewExpression":
        if (n.callee.type === "FunctionExpression") add("new (function(){...})()", n);
        break;
      case "ClassDeclaration":
      case "ClassExpression":
        if (n.superClass && n.superClass.type === "Identifier" && /Error$/.test(n.superClass.name) && !declared.has(n.superClass.name))
          add(`class extends ${n.superClass.name}`, n);
        break;
      case "MemberExpression": {
        // Seen on the 2v29 interpreter: built-in methods are not properties of their
        // prototypes, so Array.prototype.slice is undefined there (calling a.slice() works).
        const o = n.object as N;
        if (o.type === "MemberExpression" && !o.computed && o.property.name === "prototype" && o.object.type === "Identifier" && BUILTIN_CTORS.has(o.object.name) && !declared.has(o.object.name))
          add(`${o.object.name}.prototype.${n.property.name ?? "[…]"} (not a property on Espruino)`, n);
        if (!n.computed && n.property.type === "Identifier") {
          const obj = n.object as N;
          if (obj.type === "Identifier" && !declared.has(obj.name) && absentStatic.has(`${obj.name}.${n.property.name}`))
            add(`${obj.name}.${n.property.name}`, n);
          else if (n.property.name === "HMAC") add("crypto.HMAC", n);
          if (absentMethod.has(n.property.name) && parent && parent.type === "CallExpression" && parent.callee === n)
            add(`.${n.property.name}()`, n);
        }
        break;
      }
      case "CallExpression": {
        const c = n.callee as N;
        if (c.type === "Identifier" && c.name === "require" && !declared.has("require")) {
          const a = n.arguments[0] as N | undefined;
          if (a && a.type === "Literal" && typeof a.value === "string") {
            if (absentModules.includes(a.value)) add(`require("${a.value}") (not built in)`, n);
            else if (opts.modules && builtinModules.includes(a.value) && !opts.modules.includes(a.value))
              add(`require("${a.value}") (not in this board's build)`, n);
          }
        }
        break;
      }
      case "Identifier": {
        if (!absentGlobal.has(n.name) || declared.has(n.name) || typeofOperands.has(n)) break;
        // Only references: not property names or object keys.
        if (parent && parent.type === "MemberExpression" && parent.property === n && !parent.computed) break;
        if (parent && (parent.type === "Property" || parent.type === "MethodDefinition") && parent.key === n && !parent.computed) break;
        add(n.name, n);
        break;
      }
    }
    if (n.async && /Function/.test(n.type)) add("async function", n);
    if (n.generator) add("generator function", n);
    if (opts.es5 && ES5_ONLY[n.type]) add(ES5_ONLY[n.type], n);
    if (opts.es5 && n.type === "VariableDeclaration" && n.kind !== "var") add(`${n.kind} (bundle must be ES5)`, n);
  });
  checkHoisting(ast as unknown as N, add);
  checkVarHoisting(ast as unknown as N, add, !opts.module);
  out.sort((a, b) => a.line - b.line || a.column - b.column);
  return out;
}

const isFunction = (n: N) => n.type === "FunctionDeclaration" || n.type === "FunctionExpression" || n.type === "ArrowFunctionExpression";

/** Identifiers a statement uses while it runs: not those inside functions it only defines. */
function usedNow(node: N, found: N[]): void {
  if (!node || typeof node.type !== "string") return;
  if (node.type === "Identifier") found.push(node);
  for (const k of Object.keys(node)) {
    if (k === "type" || k === "start" || k === "end") continue;
    const v = node[k];
    if (Array.isArray(v)) {
      for (const c of v) if (c && typeof c.type === "string" && !isFunction(c)) usedNow(c, found);
    } else if (v && typeof v.type === "string" && !isFunction(v)) {
      if (node.type === "MemberExpression" && k === "property" && !node.computed) continue;
      if (node.type === "Property" && k === "key" && !node.computed) continue;
      usedNow(v, found);
    }
  }
}

/**
 * Seen on the 2v29 interpreter: function declarations are not hoisted. A
 * function exists once its declaration statement has run, so calling it
 * earlier in the same body, or declaring it after a return, fails with
 * "is not defined".
 */
function checkHoisting(root: N, add: (construct: string, node: { start: number }) => void): void {
  const bodies: N[][] = [];
  walk.full(root as unknown as acorn.Node, (node: acorn.Node) => {
    const n = node as N;
    if (n.type === "Program" || n.type === "BlockStatement" || n.type === "StaticBlock") bodies.push(n.body);
    else if (n.type === "SwitchCase") bodies.push(n.consequent);
  });
  for (const body of bodies) {
    const declared = new Map<string, number>();
    body.forEach((st, i) => {
      if (st.type === "FunctionDeclaration" && st.id) declared.set(st.id.name, i);
    });
    if (!declared.size) continue;
    let ended = -1;
    body.forEach((st, i) => {
      if (ended >= 0 && st.type === "FunctionDeclaration") add(`function ${st.id.name} declared after ${body[ended].type === "ReturnStatement" ? "return" : "throw"}: never defined on Espruino`, st);
      if (ended < 0 && (st.type === "ReturnStatement" || st.type === "ThrowStatement")) ended = i;
      if (st.type === "FunctionDeclaration") return;
      const ids: N[] = [];
      usedNow(st, ids);
      for (const id of ids) {
        const at = declared.get(id.name);
        if (at !== undefined && at > i) add(`${id.name} used before its function declaration (Espruino does not hoist)`, id);
      }
    });
  }
}

export function formatViolation(v: Violation, bundleName: string): string {
  const where = v.source ? `${v.source.file}:${v.source.line}:${v.source.column + 1}` : `${bundleName}:${v.line}:${v.column + 1}`;
  return `${where}: ${v.construct} — Espruino 2v29 cannot run this`;
}

/**
 * Seen on the 2v29 interpreter: `var` is not hoisted either. A name used in a
 * function before its `var` statement has run refers to the outer binding,
 * and an assignment there overwrites it. Checked in source order within each
 * function body, and in a finished bundle (`calls`) also what the functions
 * that its statements may run there use (loadTimeUses): a function made
 * before a name's `var` statement may run at any call made before it.
 */
function checkVarHoisting(root: N, add: (construct: string, node: { start: number }) => void, calls: boolean): void {
  const bodies: N[] = [root];
  walk.full(root as unknown as acorn.Node, (node: acorn.Node) => {
    const n = node as N;
    if (isFunction(n) && n.body.type === "BlockStatement") bodies.push(n.body);
  });
  for (const body of bodies) {
    const vars = varsOf(body);
    const load = loadTimeUses(body);
    for (const u of load.uses) {
      const at = vars.get(u.name);
      if (at === undefined) continue;
      if (!u.via) {
        if (u.node.start < at.start) add(`${u.name} used before its var statement (Espruino does not hoist var)`, u.node);
      } else if (calls && load.calls.some((c) => c > u.at && c <= at.end))
        add(`${u.name} used by ${u.via}, which may run before ${u.name}'s var statement (Espruino does not hoist var)`, u.node);
    }
  }
}

/** Names a function binds itself: its own name as an expression, its parameters, `arguments`, and its body's var and function declarations. */
function bindingsOf(fn: N): Set<string> {
  const s = new Set<string>(["arguments"]);
  if (fn.type !== "FunctionDeclaration" && fn.id) s.add(fn.id.name);
  for (const p of fn.params) if (p.type === "Identifier") s.add(p.name);
  for (const name of varsOf(fn.body).keys()) s.add(name);
  for (const st of fn.body.type === "BlockStatement" ? fn.body.body : []) if (st.type === "FunctionDeclaration" && st.id) s.add(st.id.name);
  return s;
}

/** The var declarations of a body, not of the functions inside it: where each name's first declarator starts and ends. */
function varsOf(body: N): Map<string, { start: number; end: number }> {
  const found = new Map<string, { start: number; end: number }>();
  const visit = (node: N) => {
    if (!node || typeof node.type !== "string" || (node !== body && isFunction(node))) return;
    if (node.type === "VariableDeclaration" && node.kind === "var")
      for (const d of node.declarations) if (d.id.type === "Identifier" && !found.has(d.id.name)) found.set(d.id.name, { start: d.id.start, end: d.end });
    for (const k of Object.keys(node)) {
      const v = node[k];
      if (Array.isArray(v)) v.forEach((c) => c && typeof c.type === "string" && visit(c));
      else if (v && typeof v.type === "string" && k !== "type") visit(v);
    }
  };
  visit(body);
  return found;
}

/**
 * Every name `node` uses that no scope inside it binds (so a name of an
 * enclosing scope), with the identifier. Property names and object keys are
 * not uses; a catch clause binds its parameter.
 */
function freeNames(node: N, bound: Set<string>[], out: N[]): void {
  if (!node || typeof node.type !== "string") return;
  if (isFunction(node)) {
    const own = bindingsOf(node);
    bound.push(own);
    freeNames(node.body, bound, out);
    bound.pop();
    return;
  }
  if (node.type === "CatchClause") {
    bound.push(new Set(node.param && node.param.type === "Identifier" ? [node.param.name] : []));
    freeNames(node.body, bound, out);
    bound.pop();
    return;
  }
  if (node.type === "Identifier") {
    if (!bound.some((b) => b.has(node.name))) out.push(node);
    return;
  }
  for (const k of Object.keys(node)) {
    if (k === "type" || k === "start" || k === "end") continue;
    if (node.type === "MemberExpression" && k === "property" && !node.computed) continue;
    if ((node.type === "Property" || node.type === "MethodDefinition") && k === "key" && !node.computed) continue;
    const v = node[k];
    if (Array.isArray(v)) v.forEach((c) => c && typeof c.type === "string" && freeNames(c, bound, out));
    else if (v && typeof v.type === "string") freeNames(v, bound, out);
  }
}

/** A use of a name of a body as the body's statements run: directly, or `via` a function that may run at `at`. */
export interface LoadTimeUse {
  name: string;
  at: number;
  node: N;
  via?: string;
}

/**
 * The uses of a body's own names while its statements run, in source order,
 * and where each call they make returns. A function expression there may run
 * at any call from where it stands (called at once, handed to something that
 * calls it, or kept and called later), and so may a function declaration of
 * the body that is named there: each counts with every name it uses, and
 * with what the functions of the body that it names use in turn.
 */
export function loadTimeUses(body: N): { uses: LoadTimeUse[]; calls: number[] } {
  const funs = new Map<string, N>();
  for (const st of body.body as N[]) if (st.type === "FunctionDeclaration" && st.id) funs.set(st.id.name, st);
  const usesOf = new Map<string, N[]>();
  const uses = (f: N): N[] => {
    const out: N[] = [];
    freeNames(f, [], out);
    return out;
  };
  /** Every name of the body that a function reaches: its own uses, and those of the body's functions it names. */
  const reach = (ids: N[], via: string, at: number, out: LoadTimeUse[]) => {
    const seen = new Set<string>();
    const queue = ids.slice();
    while (queue.length) {
      const id = queue.shift()!;
      out.push({ name: id.name, at, node: id, via });
      const f = funs.get(id.name);
      if (!f || seen.has(id.name)) continue;
      seen.add(id.name);
      if (!usesOf.has(id.name)) usesOf.set(id.name, uses(f));
      queue.push(...usesOf.get(id.name)!);
    }
  };
  const out: LoadTimeUse[] = [];
  const calls: number[] = [];
  const visit = (node: N, bound: Set<string>[]) => {
    if (!node || typeof node.type !== "string") return;
    if (node.type === "CallExpression" || node.type === "NewExpression") calls.push(node.end);
    if (node.type === "FunctionDeclaration" && node !== body) return;
    if (isFunction(node)) {
      const ids: N[] = [];
      freeNames(node, bound.slice(), ids);
      reach(ids, "a function", node.start, out);
      return;
    }
    if (node.type === "CatchClause") {
      bound.push(new Set(node.param && node.param.type === "Identifier" ? [node.param.name] : []));
      visit(node.body, bound);
      bound.pop();
      return;
    }
    if (node.type === "Identifier") {
      if (bound.some((b) => b.has(node.name))) return;
      out.push({ name: node.name, at: node.start, node });
      if (funs.has(node.name)) reach([node], node.name, node.start, out);
      return;
    }
    for (const k of Object.keys(node)) {
      if (k === "type" || k === "start" || k === "end") continue;
      if (node.type === "MemberExpression" && k === "property" && !node.computed) continue;
      if ((node.type === "Property" || node.type === "MethodDefinition") && k === "key" && !node.computed) continue;
      if (node.type === "VariableDeclarator" && k === "id") continue;
      const v = node[k];
      if (Array.isArray(v)) v.forEach((c) => c && typeof c.type === "string" && visit(c, bound));
      else if (v && typeof v.type === "string") visit(v, bound);
    }
  };
  for (const st of body.body as N[]) visit(st, []);
  return { uses: out, calls };
}
