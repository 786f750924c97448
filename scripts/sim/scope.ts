/**
 * What the loader (.bootcde) keeps alive for as long as the firmware runs.
 * On the interpreter, eval runs the app in the scope it is called from
 * (jswrap_functions.c 163-169), and every closure of the app holds that
 * scope: whatever the loader's variables hold then never goes. V8 keeps it
 * too: a function that calls eval has all its variables in its context, which
 * the app's closures chain to. This reads that context through the inspector
 * ([[Scopes]] of one of the app's functions: the outermost closure is the
 * loader's) and counts what it holds in JsVars, as the interpreter would
 * store it.
 */
import { post } from "./inspector";

interface RemoteObject {
  type: string;
  subtype?: string;
  value?: unknown;
  unserializableValue?: string;
  objectId?: string;
  description?: string;
}

interface PropertyDescriptor {
  name: string;
  value?: RemoteObject;
}

/** The variables of the outermost closure around `fn`, by name, as values of this process. */
export async function outerScope(fn: unknown): Promise<Map<string, unknown>> {
  const g = globalThis as { __fgScopeProbe?: unknown; __fgScopeValues?: unknown[] };
  g.__fgScopeProbe = fn;
  try {
    const { result: f } = await post<{ result: RemoteObject }>("Runtime.evaluate", { expression: "globalThis.__fgScopeProbe" });
    const { internalProperties } = await post<{ internalProperties: PropertyDescriptor[] }>("Runtime.getProperties", { objectId: f.objectId, ownProperties: true });
    const scopes = internalProperties.find((p) => p.name === "[[Scopes]]");
    if (!scopes?.value?.objectId) throw new Error("no [[Scopes]] on the function");
    const { result: list } = await post<{ result: PropertyDescriptor[] }>("Runtime.getProperties", { objectId: scopes.value.objectId, ownProperties: true });
    const closures = list.filter((s) => s.value?.description === "Closure");
    const outer = closures[closures.length - 1];
    if (!outer?.value?.objectId) throw new Error("the function has no enclosing closure");
    const { result: vars } = await post<{ result: PropertyDescriptor[] }>("Runtime.getProperties", { objectId: outer.value.objectId, ownProperties: true });
    const named = vars.filter((v) => v.value);
    // The values themselves, handed back through a call in this process's context.
    const args = named.map((v) => (v.value!.objectId ? { objectId: v.value!.objectId } : v.value!.unserializableValue ? { unserializableValue: v.value!.unserializableValue } : { value: v.value!.value }));
    const { result: self } = await post<{ result: RemoteObject }>("Runtime.evaluate", { expression: "globalThis" });
    await post("Runtime.callFunctionOn", { objectId: self.objectId, functionDeclaration: "function () { this.__fgScopeValues = Array.prototype.slice.call(arguments); }", arguments: args });
    const values = g.__fgScopeValues ?? [];
    return new Map(named.map((v, i) => [v.name, values[i]]));
  } finally {
    delete g.__fgScopeProbe;
    delete g.__fgScopeValues;
  }
}

/**
 * JsVars a value takes on the interpreter with 14-byte JsVars (every board's
 * build: jsutils.h 243-246), beyond the variable's name. Strings: 9
 * characters in one JsVar, 10 more in each extension, and above 19 a flat
 * string of 1 + ceil(length / 14) (jsutils.h 280-296, jsvar.c 960-963);
 * numbers, booleans and undefined live in the name; a buffer is its view
 * and its bytes' string; an object one JsVar and a name and value per
 * property. Functions and the interpreter's own objects (`builtin`) count
 * one: their code and members are not the scope's, and so does a view of
 * flash (a string from Storage.read). Other strings and buffers are counted
 * as RAM, a buffer from readArrayBuffer too, though it views flash on the
 * memory-mapped builds.
 */
export function jsVarsOf(v: unknown, builtin: (o: object) => boolean, seen = new Set<unknown>(), isView: (o: unknown) => boolean = () => false): number {
  if (typeof v === "string") return stringJsVars(v.length);
  if (isView(v)) return 1; // a native string: an address and a length (jsvar.h, JSV_NATIVE_STRING)
  if (typeof v === "number") return v % 1 === 0 && Math.abs(v) < 2 ** 31 ? 0 : 1;
  if (v === null || typeof v !== "object") return typeof v === "function" ? 1 : 0;
  if (seen.has(v)) return 0;
  seen.add(v);
  if (builtin(v)) return 1;
  const tag = Object.prototype.toString.call(v);
  if (tag === "[object ArrayBuffer]") return 1 + stringJsVars((v as ArrayBuffer).byteLength);
  if (ArrayBuffer.isView(v)) return 1 + jsVarsOf(v.buffer, builtin, seen, isView);
  let n = 1;
  for (const k of Object.keys(v)) n += 1 + jsVarsOf((v as Record<string, unknown>)[k], builtin, seen, isView);
  return n;
}

function stringJsVars(length: number): number {
  return length <= 9 ? 1 : length <= 19 ? 2 : 1 + Math.ceil(length / 14);
}
