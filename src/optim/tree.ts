/**
 * @file Parameter trees for the optimizers: a tree's structure (`TreeSpec`), and moving its leaves to and from one flat
 * `Float64Array` — allocation-free `gather`/`scatter` for hot loops, `unflatten`/`flatten` for results. Trees are adtape's:
 * a number, a `Float64Array` or all-number `number[]` (a vector leaf), a `TensorData` from `tensor(…)` (its elements in
 * row-major order), or arrays and plain objects of them, children in `Object.keys` order (the order `grad` and
 * `jacobian` flatten in).
 */
import { InputError } from "../errors.js";
import { TensorData } from "../tensor/handle.js";
import { isNumberArray } from "../tensor/shape.js";
import { setOwn } from "../tree.js";

/** One node of a tree's structure; `typed` says whether a vector leaf was a `Float64Array` (else a `number[]`). */
export type Spec =
  | { readonly kind: "number" }
  | { readonly kind: "vector"; readonly length: number; readonly typed: boolean }
  | { readonly kind: "tensor"; readonly length: number; readonly shape: readonly number[] }
  | { readonly kind: "array"; readonly children: readonly Spec[] }
  | { readonly kind: "object"; readonly keys: readonly string[]; readonly children: readonly Spec[] };

/** A tree's structure and its number of scalar leaves (`size`, the length of its flat vector). */
export interface TreeSpec {
  readonly root: Spec;
  readonly size: number;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== "object" || x === null) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}


function describe(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return `an array of length ${x.length}`;
  if (x instanceof Float64Array) return `a Float64Array of length ${x.length}`;
  if (x instanceof TensorData) return `a tensor of shape [${x.shape.join(", ")}]`;
  if (typeof x === "object") return (x as object).constructor?.name ?? "an object";
  return typeof x;
}

function specOf(x: unknown, path: string, count: { n: number }): Spec {
  if (typeof x === "number") {
    count.n += 1;
    return { kind: "number" };
  }
  if (x instanceof Float64Array || isNumberArray(x)) {
    count.n += x.length;
    return { kind: "vector", length: x.length, typed: x instanceof Float64Array };
  }
  if (x instanceof TensorData) {
    count.n += x.size;
    return { kind: "tensor", length: x.size, shape: x.shape.slice() };
  }
  if (Array.isArray(x)) {
    const children: Spec[] = [];
    for (let i = 0; i < x.length; i++) {
      if (!(i in x)) throw new InputError("a hole in a sparse array", `${path}[${i}]`);
      children.push(specOf(x[i], `${path}[${i}]`, count));
    }
    return { kind: "array", children };
  }
  if (isPlainObject(x)) {
    const keys = Object.keys(x);
    return { kind: "object", keys, children: keys.map((k) => specOf(x[k], `${path}.${k}`, count)) };
  }
  throw new InputError(
    `unsupported leaf: ${describe(x)} (expected a number, a Float64Array, a number[], a tensor(…), or arrays and plain objects of them)`,
    path,
  );
}

/**
 * The structure of parameter tree `x` (throws `InputError` naming the path of an unsupported leaf).
 * @example treeSpec({ w: new Float64Array(3), b: 0 }).size; // 4
 */
export function treeSpec(x: unknown, path = "x"): TreeSpec {
  const count = { n: 0 };
  const root = specOf(x, path, count);
  return { root, size: count.n };
}

/** Copies x's leaves into out from offset `at`; returns the next offset, or -1 when x does not match s. */
function gatherNode(s: Spec, x: unknown, out: Float64Array, at: number): number {
  switch (s.kind) {
    case "number":
      if (typeof x !== "number") return -1;
      out[at] = x;
      return at + 1;
    case "vector": {
      const n = s.length;
      if (x instanceof Float64Array) {
        if (x.length !== n) return -1;
        out.set(x, at);
        return at + n;
      }
      if (!Array.isArray(x) || x.length !== n) return -1;
      for (let i = 0; i < n; i++) {
        const v = x[i];
        if (typeof v !== "number") return -1;
        out[at + i] = v;
      }
      return at + n;
    }
    case "tensor": {
      if (!(x instanceof TensorData) || x.data.length !== s.length || x.shape.length !== s.shape.length) return -1;
      for (let i = 0; i < s.shape.length; i++) if (x.shape[i] !== s.shape[i]) return -1;
      out.set(x.data, at);
      return at + s.length;
    }
    case "array": {
      const c = s.children;
      if (!Array.isArray(x) || x.length !== c.length) return -1;
      for (let i = 0; i < c.length && at >= 0; i++) at = gatherNode(c[i], x[i], out, at);
      return at;
    }
    case "object": {
      if (typeof x !== "object" || x === null || Array.isArray(x) || x instanceof Float64Array) return -1;
      const o = x as Record<string, unknown>;
      for (let i = 0; i < s.keys.length && at >= 0; i++) at = gatherNode(s.children[i], o[s.keys[i]], out, at);
      return at;
    }
  }
}

/** Throws the InputError that explains where x departs from s (the slow path of `gather`, taken only on a mismatch). */
function explain(s: Spec, x: unknown, path: string): void {
  const fail = (what: string): never => {
    throw new InputError(`expected ${what}, got ${describe(x)}`, path);
  };
  switch (s.kind) {
    case "number":
      if (typeof x !== "number") fail("a number");
      return;
    case "vector":
      if (!((x instanceof Float64Array || isNumberArray(x)) && x.length === s.length)) fail(`a Float64Array or number[] of length ${s.length}`);
      return;
    case "tensor":
      if (!(x instanceof TensorData) || x.shape.join() !== s.shape.join()) fail(`a tensor of shape [${s.shape.join(", ")}]`);
      return;
    case "array":
      if (!Array.isArray(x) || x.length !== s.children.length) fail(`an array of length ${s.children.length}`);
      s.children.forEach((c, i) => explain(c, (x as unknown[])[i], `${path}[${i}]`));
      return;
    case "object":
      if (typeof x !== "object" || x === null || Array.isArray(x) || x instanceof Float64Array) fail(`an object with keys [${s.keys.join(", ")}]`);
      s.keys.forEach((k, i) => explain(s.children[i], (x as Record<string, unknown>)[k], `${path}.${k}`));
  }
}

/**
 * Copies the leaves of x (structured as `spec`; vector leaves may be `Float64Array` or `number[]`) into `out`, in tree
 * order, and returns `out`; allocates nothing. A structure mismatch is an `InputError` naming its path.
 * @example gather(treeSpec(p), { w: new Float64Array([1, 2]), b: 3 }, out, "grads"); // out = [1, 2, 3]
 */
export function gather(spec: TreeSpec, x: unknown, out: Float64Array, path = "x"): Float64Array {
  if (gatherNode(spec.root, x, out, 0) !== spec.size) {
    explain(spec.root, x, path);
    throw new InputError("does not match the parameters' structure", path);
  }
  return out;
}

/** Writes flat[at…] into the children of parent container `x` (vectors in place; number leaves into their slot). */
function scatterNode(s: Spec, flat: Float64Array, x: unknown, at: number): number {
  switch (s.kind) {
    case "number":
      return at + 1; // written by the parent, which owns the slot
    case "vector": {
      const v = x as Float64Array | number[]; // element by element: a subarray view would be a new object each call
      for (let i = 0; i < s.length; i++) v[i] = flat[at + i];
      return at + s.length;
    }
    case "tensor": {
      const v = (x as TensorData).data;
      for (let i = 0; i < s.length; i++) v[i] = flat[at + i];
      return at + s.length;
    }
    case "array": {
      const a = x as unknown[];
      for (let i = 0; i < s.children.length; i++) {
        if (s.children[i].kind === "number") a[i] = flat[at];
        at = scatterNode(s.children[i], flat, a[i], at);
      }
      return at;
    }
    case "object": {
      const o = x as Record<string, unknown>;
      for (let i = 0; i < s.keys.length; i++) {
        if (s.children[i].kind === "number") o[s.keys[i]] = flat[at];
        at = scatterNode(s.children[i], flat, o[s.keys[i]], at);
      }
      return at;
    }
  }
}

/**
 * Writes `flat` into the leaves of `target` (a tree structured as `spec`) in place and returns it — for a number root,
 * returns the new number. Vector leaves keep their identity; number leaves are reassigned in their parent.
 * @example const p = { w: new Float64Array(2), b: 0 }; scatter(treeSpec(p), Float64Array.of(1, 2, 3), p); // p.b === 3
 */
export function scatter<T>(spec: TreeSpec, flat: Float64Array, target: T): T {
  if (spec.root.kind === "number") return flat[0] as T;
  scatterNode(spec.root, flat, target, 0);
  return target;
}

function build(s: Spec, flat: Float64Array, at: { k: number }): unknown {
  switch (s.kind) {
    case "number":
      return flat[at.k++];
    case "vector": {
      const v = flat.slice(at.k, at.k + s.length);
      at.k += s.length;
      return s.typed ? v : Array.from(v);
    }
    case "tensor": {
      const v = flat.slice(at.k, at.k + s.length);
      at.k += s.length;
      return new TensorData(v, s.shape.slice());
    }
    case "array":
      return s.children.map((c) => build(c, flat, at));
    case "object": {
      const o: Record<string, unknown> = {};
      s.keys.forEach((k, i) => setOwn(o, k, build(s.children[i], flat, at))); // a `__proto__` key stays a key
      return o;
    }
  }
}

/**
 * A new tree structured as `spec` holding `flat`'s values (vector leaves as `Float64Array` or `number[]`, as in the
 * tree the spec was taken from; tensor leaves as new `TensorData`).
 * @example unflatten(treeSpec({ w: [0, 0], b: 0 }), Float64Array.of(1, 2, 3)); // { w: [1, 2], b: 3 }
 */
export function unflatten<T = unknown>(spec: TreeSpec, flat: Float64Array): T {
  return build(spec.root, flat, { k: 0 }) as T;
}

/**
 * Tree x's structure and its leaves as one new `Float64Array`, in tree order.
 * @example flatten({ w: [1, 2], b: 3 }).data; // Float64Array [1, 2, 3]
 */
export function flatten(x: unknown, path = "x"): { spec: TreeSpec; data: Float64Array } {
  const spec = treeSpec(x, path);
  return { spec, data: gather(spec, x, new Float64Array(spec.size), path) };
}

/**
 * A deep copy of parameter tree x (same structure and leaf kinds, no shared buffers).
 * @example
 * ```ts
 * const params = { w: Float64Array.of(1, 2), b: 0 }, copy = ad.cloneTree(params);
 * copy.w[0] = 5;
 * params.w[0]; // → 1
 * ```
 */
export function cloneTree<T>(x: T): T {
  const { spec, data } = flatten(x);
  return unflatten<T>(spec, data);
}
