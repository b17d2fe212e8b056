/** @file Nested reverse mode: a `grad`/`vjp` called inside another transform's f records onto that outer trace,
 * and sweeps back in JS with the TS op table's partial rules, so its result is itself differentiable.
 *
 * `grad(grad(f))`, `jacfwd(grad(f))` and a `grad` that closes over an outer handle all work this way: the
 * inner inputs are fresh nodes of the outer trace (a number becomes a constant leaf, an outer handle an
 * identity node), the inner f records after them, and the inner reverse sweep is recorded as ordinary ops
 * — adjoints are handles (or numbers). Adjoints flow only into nodes the inner call recorded, so an outer
 * handle is a constant to the inner derivative (no perturbation confusion).
 */
import { Scalar, type Trace, type Operand, describe } from "../trace.js";
import { Tensor, TensorData } from "../tensor/handle.js";
import { tensorModeError } from "../trace.js";
import { rowOf, add, mul } from "../ops.js";
import { AdError, InputError, OutputError, StaleHandleError } from "../errors.js";
import { mapTreeNode, setOwn } from "../tree.js";

/** A tree of inner input handles (all nodes of the outer trace), shaped like x. */
type Inner = Scalar | Tensor | Inner[] | { [key: string]: Inner };

/** Records x's leaves as inner inputs on outer trace t: a number → a constant leaf, an outer handle → an identity node. */
function innerInputs(t: Trace, x: unknown, path: string, ancestors: object[] = []): Inner {
  const leaf = (v: unknown, p: string): number => {
    if (typeof v === "number") return t.leaf(v);
    if (v instanceof Scalar) {
      if (v.trace !== t) throw v.trace.live ? new AdError("NESTING", `${p}: a handle of another trace`) : new StaleHandleError();
      return (add(v, 0) as Scalar).idx; // a node of its own, whose adjoint is the inner gradient
    }
    throw new InputError(`unsupported leaf: ${describe(v)}`, p);
  };
  if (typeof x === "number" || x instanceof Scalar) return new Scalar(t, leaf(x, path));
  if (x instanceof TensorData || (x instanceof Tensor && x.structured)) throw tensorModeError("a nested grad, valueAndGrad or vjp");
  const vector = x instanceof Float64Array || x instanceof Tensor || (Array.isArray(x) && x.every((v) => typeof v === "number" || v instanceof Scalar));
  if (vector) {
    const items = x instanceof Tensor ? [...x] : Array.from(x as ArrayLike<number | Scalar>);
    // Each leaf appends exactly one node, so the inner inputs are contiguous, as a Tensor needs.
    const base = t.n;
    items.forEach((v, i) => leaf(v, `${path}[${i}]`));
    return new Tensor(t, [items.length], base, -1, true, false);
  }
  const proto = typeof x === "object" && x !== null ? Object.getPrototypeOf(x) : undefined;
  if (Array.isArray(x) || proto === Object.prototype || proto === null) {
    return mapTreeNode(x as object, path, ancestors, (c, p) => innerInputs(t, c, p, ancestors));
  }
  throw new InputError(`unsupported leaf: ${describe(x)}`, path);
}

/** The output nodes of f's result (handles of t, or numbers as constants -1), in tree order. */
function outputNodes(t: Trace, y: unknown, path: string, outs: number[]): void {
  if (typeof y === "number") outs.push(-1);
  else if (y instanceof Scalar) {
    if (y.trace !== t) throw new AdError("NESTING", `${path}: f returned a handle of another trace`);
    outs.push(y.idx);
  }
  else if (y instanceof Tensor) for (let i = 0; i < y.size; i++) outs.push(y.base + i);
  else if (Array.isArray(y)) y.forEach((c, i) => outputNodes(t, c, `${path}[${i}]`, outs));
  else if (typeof y === "object" && y !== null) for (const k of Object.keys(y)) outputNodes(t, (y as Record<string, unknown>)[k], `${path}.${k}`, outs);
  else throw new OutputError(`${path}: f returned ${describe(y)}`);
}

/** The operand at index `k` of node i as the rules see it: a handle, the node's constant, or 0 for none. */
function operand(t: Trace, i: number, k: number, other: number): Operand {
  const c = t.constants?.get(i);
  if (c !== undefined && (k === i || (k === 0 && other !== 0 && other !== i))) return c;
  return k === 0 || k === i ? 0 : new Scalar(t, k);
}

/** Whether adjoint g is 0 where the partial (its value `stored`, as the engine computed it) is infinite or NaN: the
 * sweeps' rule counts that product as 0, so the nested sweep leaves it out (recorded, it would be NaN: the branch
 * where did not take has such an adjoint, 0 but not a literal 0). Only then is g's value read (a Wasm call); a
 * choice made on values, as when f reads `.value`, so a compiled tape that makes it records f on every call. */
function zeroTimesInfinite(t: Trace, stored: number, g: Operand): boolean {
  if (Number.isFinite(stored) || !(g instanceof Scalar) || t.value(g.idx) !== 0) return false;
  t.readsValue = true;
  return true;
}

/** Sweeps adjoints (as recorded ops) from the seeded outputs down to node `start`. */
function sweep(t: Trace, start: number, seeds: Map<number, Operand>): Map<number, Operand> {
  const adj = new Map(seeds);
  const top = Math.max(start, ...seeds.keys());
  t.flush(); // the stored partials are the custom rules' constants
  for (let i = top; i >= start; i--) {
    if (t.b[i] < 0) throw tensorModeError("a nested grad, valueAndGrad or vjp");
    const g = adj.get(i);
    const row = rowOf[t.op[i]];
    if (g === undefined || g === 0 || !row) continue;
    if (!row.d) throw new AdError("NESTING", "an op without a higher-order rule (trigamma) inside a nested transform");
    const ia = t.a[i], ib = t.b[i];
    const [pa, pb] = row.d(operand(t, i, ia, ib), operand(t, i, ib, ia), new Scalar(t, i), [t.da[i], t.db[i]]);
    for (const [k, p, stored] of [[ia, pa, t.da[i]], [ib, pb, t.db[i]]] as const) {
      if (k < start || k === i || p === 0 || zeroTimesInfinite(t, stored, g)) continue;
      adj.set(k, add(adj.get(k) ?? 0, mul(p, g)));
    }
  }
  return adj;
}

/** The inner gradient tree: each input's adjoint (a handle, or 0), vectors as arrays. */
function gradientTree(h: Inner, adj: Map<number, Operand>): unknown {
  if (h instanceof Scalar) return adj.get(h.idx) ?? 0;
  if (h instanceof Tensor) return Array.from({ length: h.size }, (_, i) => adj.get(h.base + i) ?? 0);
  if (Array.isArray(h)) return h.map((c) => gradientTree(c, adj));
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(h)) setOwn(out, k, gradientTree(h[k], adj));
  return out;
}

/** Flattens a cotangent (numbers or handles) in tree order. */
function flatSeeds(ct: unknown, into: Operand[]): void {
  if (typeof ct === "number" || ct instanceof Scalar) into.push(ct);
  else if (ct instanceof Float64Array || Array.isArray(ct)) for (const c of Array.from(ct as ArrayLike<unknown>)) flatSeeds(c, into);
  else if (ct instanceof Tensor) for (const c of ct) into.push(c);
  else if (typeof ct === "object" && ct !== null) for (const c of Object.values(ct)) flatSeeds(c, into);
  else throw new InputError(`unsupported cotangent leaf: ${describe(ct)}`, "ct");
}

/** A nested vjp on outer trace t: y (handles), pullback(ct) → gradient tree of handles, and aux. */
export function nestedLinearize(t: Trace, f: (h: never) => unknown, x: unknown, hasAux: boolean) {
  t.constants ??= new Map(); // from now on, inline constants are kept for the sweeps of nested calls
  const start = t.n;
  const inputs = innerInputs(t, x, "x");
  let y = f(inputs as never);
  let aux: unknown;
  if (hasAux) {
    if (!Array.isArray(y) || y.length !== 2) throw new OutputError(`with hasAux, f must return [output, aux], got ${describe(y)}`);
    [y, aux] = y;
  }
  const outs: number[] = [];
  outputNodes(t, y, "y", outs);
  const pullback = (ct: unknown): unknown => {
    if (!t.live) throw new StaleHandleError("a nested pullback, used after its trace ended,");
    const seeds: Operand[] = [];
    flatSeeds(ct, seeds);
    if (seeds.length !== outs.length) throw new InputError(`expected ${outs.length} cotangent values, got ${seeds.length}`, "ct");
    const map = new Map<number, Operand>();
    outs.forEach((node, k) => {
      if (node >= start) map.set(node, add(map.get(node) ?? 0, seeds[k]));
    });
    return gradientTree(inputs, sweep(t, start, map));
  };
  return { y, aux, value: y, pullback };
}
