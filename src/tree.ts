/** @file Parameter trees (API.md §Inputs): recording a tree's leaves as inputs, and reading gradients back in the same structure. */
import { Scalar, type Trace, describe, tensorModeError } from "./trace.js";
import { Tensor, TensorData, arenaLeaf, checkTensorData, type TensorKind } from "./tensor/handle.js";
import { fmt, isNumberArray } from "./tensor/shape.js";
import { InputError } from "./errors.js";

/**
 * What a transformed function may take: a number, a vector, or arrays and plain objects of them.
 * @example
 * ```ts
 * const params = { w: new Float64Array([1, 2]), b: 3 } satisfies ad.Tree;
 * ad.grad((p: { w: ad.Tensor; b: ad.Scalar }) => p.w.at(0).mul(p.w.at(1)).add(p.b))(params); // → { w: [2, 1], b: 1 }
 * ```
 */
export type Tree = number | Float64Array | readonly number[] | TensorData | readonly Tree[] | { readonly [key: string]: Tree };

/** The input a transformed function takes, given the handles `f` receives (Scalar → number, Tensor → vector, trees alike;
 * inside another transform's f, handles too).
 * @example
 * ```ts
 * const f = (p: { w: ad.Tensor; b: ad.Scalar }) => p.w.sum().add(p.b);
 * const x: ad.InputOf<{ w: ad.Tensor; b: ad.Scalar }> = { w: [1, 2], b: 3 }; // { w: Float64Array | number[] …, b: number }
 * ad.valueAndGrad(f)(x)[0]; // → 6
 * ```
 */
export type InputOf<H> = H extends Scalar
  ? number | Scalar
  : H extends Tensor<"nd">
    ? TensorData | Tensor<TensorKind>
    : H extends Tensor
      ? Float64Array | readonly number[] | Tensor | readonly Scalar[]
      : { readonly [K in keyof H]: InputOf<H[K]> };

/**
 * The gradient's type, given the handles `f` receives (Scalar → number, a vector Tensor → Float64Array, an n-D one → TensorData, trees alike).
 * @example
 * ```ts
 * const g: ad.GradOf<{ w: ad.Tensor; b: ad.Scalar }> = ad.grad((p: { w: ad.Tensor; b: ad.Scalar }) => p.w.sum().add(p.b))({ w: [1, 2], b: 3 });
 * [g.w, g.b]; // → [[1, 1], 1] — g.w a Float64Array, g.b a number
 * ```
 */
export type GradOf<H> = H extends Scalar
  ? number
  : H extends Tensor<"nd">
    ? TensorData
    : H extends Tensor
      ? Float64Array
      : { -readonly [K in keyof H]: GradOf<H[K]> };

/** A tree of input handles, as `recordInputs` returns it. */
export type HandleTree = Scalar | Tensor<TensorKind> | HandleTree[] | { [key: string]: HandleTree };

function isPlainObject(x: object): boolean {
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

function isVector(x: unknown): x is Float64Array | number[] {
  return x instanceof Float64Array || isNumberArray(x);
}

/** Deepest input tree `recordInputs` walks (a deeper one is an InputError, not a stack overflow). */
export const MAX_TREE_DEPTH = 1000;

/** Records every leaf of `x` as input nodes on `t` and returns the matching tree of handles (a cyclic, too deep or
 * sparse tree is an InputError naming the path). */
export function recordInputs(t: Trace, x: unknown, path = "x", ancestors: object[] = []): HandleTree {
  if (typeof x === "number") return new Scalar(t, t.leaf(x, true));
  if (isVector(x)) {
    const base = t.n;
    for (let i = 0; i < x.length; i++) t.leaf(x[i], true);
    return new Tensor(t, [x.length], base, -1, true, false);
  }
  if (x instanceof TensorData) {
    // A tensor input lives in the arena (no scalar node per element); its adjoint is read back from there.
    checkTensorData(x, path);
    return arenaLeaf(t, x.data, x.shape.slice(), true);
  }
  if (typeof x === "object" && x !== null && (Array.isArray(x) || isPlainObject(x))) {
    return mapTreeNode(x, path, ancestors, (c, p) => recordInputs(t, c, p, ancestors));
  }
  throw new InputError(
    `unsupported leaf: ${describe(x)} (expected a number, a Float64Array, a number[], a tensor(…), or arrays and plain objects of them)`,
    path,
  );
}

/** Maps `visit` over the children of an input tree's node x (an array or a plain object), keeping its shape; a cyclic
 * tree, one nested more than MAX_TREE_DEPTH levels (`ancestors`: the nodes above x) or a hole is an InputError. */
export function mapTreeNode<T>(x: object, path: string, ancestors: object[], visit: (child: unknown, path: string) => T): T[] | { [key: string]: T } {
  if (ancestors.includes(x)) throw new InputError("the input tree is cyclic (this node contains itself)", path);
  if (ancestors.length >= MAX_TREE_DEPTH) throw new InputError(`the input tree is nested more than ${MAX_TREE_DEPTH} levels deep`, path);
  ancestors.push(x);
  try {
    if (Array.isArray(x)) {
      const out: T[] = new Array(x.length);
      for (let i = 0; i < x.length; i++) {
        if (!(i in x)) throw new InputError("a hole in a sparse array (expected a number, a vector or a tree)", `${path}[${i}]`);
        out[i] = visit(x[i], `${path}[${i}]`);
      }
      return out;
    }
    const out: { [key: string]: T } = {};
    for (const k of Object.keys(x)) setOwn(out, k, visit((x as Record<string, unknown>)[k], `${path}.${k}`));
    return out;
  } finally {
    ancestors.pop();
  }
}

/** Sets o[k] as an own data property: a key `__proto__` (from JSON.parse) stays a key, never a prototype (plain
 * assignment for every other key, as it is on every gradient a training loop reads). */
export function setOwn(o: object, k: string, v: unknown): void {
  if (k === "__proto__") Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else (o as Record<string, unknown>)[k] = v;
}

/** Reads the adjoints of a tree of input handles into a gradient tree of the same structure. */
export function readGradients(t: { readonly adj: Float64Array; readonly tg?: Float64Array }, h: HandleTree): unknown {
  if (h instanceof Scalar) return t.adj[h.idx];
  if (h instanceof Tensor) return plainTensor(h, inputSlice(t, h).slice());
  if (Array.isArray(h)) return h.map((c) => readGradients(t, c));
  const out: { [key: string]: unknown } = {};
  for (const k of Object.keys(h)) setOwn(out, k, readGradients(t, h[k]));
  return out;
}

/** A gradient of zeros shaped like the input handles (for a function that returned a constant). */
export function zeroGradients(h: HandleTree): unknown {
  if (h instanceof Scalar) return 0;
  if (h instanceof Tensor) return plainTensor(h, new Float64Array(h.size));
  if (Array.isArray(h)) return h.map(zeroGradients);
  const out: { [key: string]: unknown } = {};
  for (const k of Object.keys(h)) setOwn(out, k, zeroGradients(h[k]));
  return out;
}

/** The adjoints (or, given `tv` as `tg`, the values) of an input tensor's elements: a view. */
export function inputSlice(t: { readonly adj: Float64Array; readonly tg?: Float64Array }, h: Tensor<TensorKind>): Float64Array {
  if (h.inputBase >= 0) return t.adj.subarray(h.inputBase, h.inputBase + h.size);
  if (!t.tg) throw tensorModeError("this transform over tensor(…) inputs");
  return t.tg.subarray(h.arenaOffset, h.arenaOffset + h.size);
}

/** Writes the leaves of x (shaped like the recorded input) into `target` at their input nodes (tensor inputs into
 * `arena`, the tape's value arena), checking the structure. */
export function writeLeaves(target: Float64Array, h: HandleTree, x: unknown, path: string, arena?: Float64Array): void {
  if (h instanceof Scalar) {
    if (typeof x !== "number") throw new InputError(`expected a number, got ${describe(x)}`, path);
    target[h.idx] = x;
  } else if (h instanceof Tensor) {
    const data = h.structured ? tensorData(x, h.shape, path) : x;
    const ok = data instanceof Float64Array || isNumberArray(data);
    if (!ok || (data as ArrayLike<number>).length !== h.size) {
      throw new InputError(`expected a Float64Array or number[] of length ${h.size} (as compiled), got ${describe(x)}`, path);
    }
    const dst = inputSlice({ adj: target, tg: arena }, h);
    if (data instanceof Float64Array) dst.set(data);
    else for (let i = 0; i < h.size; i++) dst[i] = (data as number[])[i];
  } else if (Array.isArray(h)) {
    if (!Array.isArray(x) || x.length !== h.length) throw new InputError(`expected an array of length ${h.length} (as compiled)`, path);
    h.forEach((c, i) => writeLeaves(target, c, x[i], `${path}[${i}]`, arena));
  } else {
    const keys = Object.keys(h);
    if (typeof x !== "object" || x === null || Object.keys(x).join() !== keys.join()) {
      throw new InputError(`expected an object with keys [${keys.join(", ")}] (as compiled)`, path);
    }
    for (const k of keys) writeLeaves(target, h[k], (x as Record<string, unknown>)[k], `${path}.${k}`, arena);
  }
}

/** Rebuilds a value shaped like output value `like` from `source` at the output nodes `outs`; a constant leaf
 * (node -1) takes `constant`, or its own value from `like` when that is undefined. */
export function fillLike(like: unknown, outs: number[], source: Float64Array, constant?: number, at = { k: 0 }): unknown {
  if (typeof like === "number") {
    const node = outs[at.k++];
    return node < 0 ? (constant ?? like) : source[node];
  }
  if (like instanceof Float64Array || like instanceof TensorData) {
    const n = like instanceof TensorData ? like.size : like.length;
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) v[i] = source[outs[at.k++]];
    return like instanceof TensorData ? new TensorData(v, like.shape.slice()) : v;
  }
  if (Array.isArray(like)) return like.map((c) => fillLike(c, outs, source, constant, at));
  const o: Record<string, unknown> = {};
  for (const k of Object.keys(like as object)) setOwn(o, k, fillLike((like as Record<string, unknown>)[k], outs, source, constant, at));
  return o;
}

/** The input nodes of a handle tree, in tree order (the columns of a Jacobian). */
export function inputNodes(h: HandleTree, into: number[] = []): number[] {
  if (h instanceof Scalar) into.push(h.idx);
  else if (h instanceof Tensor) {
    if (h.inputBase < 0) throw tensorModeError("sparseJacobian and sparseHessian over tensor(…) inputs");
    for (let i = 0; i < h.size; i++) into.push(h.inputBase + i);
  }
  else for (const c of Object.values(h)) inputNodes(c, into);
  return into;
}

/** A tensor handle's plain value: TensorData for an n-D tensor, else the vector itself. */
export function plainTensor(h: Tensor<TensorKind>, data: Float64Array): Float64Array | TensorData {
  return h.structured ? new TensorData(data, h.shape.slice()) : data;
}

/** The elements of x, which must be TensorData (or a `{ data, shape }`) of `shape`, or a flat vector of its size. */
export function tensorData(x: unknown, shape: readonly number[], path: string): unknown {
  if (x instanceof TensorData || (typeof x === "object" && x !== null && "data" in x && "shape" in x)) {
    const { data, shape: s } = x as { data: unknown; shape: unknown };
    if (!Array.isArray(s) || s.length !== shape.length || s.some((d, i) => d !== shape[i])) {
      throw new InputError(`expected a tensor of shape ${fmt(shape)}, got shape ${Array.isArray(s) ? fmt(s) : describe(s)}`, path);
    }
    return data;
  }
  return x;
}

/** Writes the input adjoints of region-like `t`, flattened in tree order, into `row` from `at`; returns the next position. */
export function flatGradient(t: { readonly adj: Float64Array; readonly tg?: Float64Array }, h: HandleTree, row: Float64Array, at = 0): number {
  if (h instanceof Scalar) {
    row[at] = t.adj[h.idx];
    return at + 1;
  }
  if (h instanceof Tensor) {
    row.set(inputSlice(t, h), at);
    return at + h.size;
  }
  for (const c of Object.values(h)) at = flatGradient(t, c, row, at);
  return at;
}

/** Number of input elements of a handle tree (the columns of a Jacobian). */
export function inputCount(h: HandleTree): number {
  if (h instanceof Scalar) return 1;
  if (h instanceof Tensor) return h.size;
  return Object.values(h).reduce((s: number, c) => s + inputCount(c), 0);
}

/** The highest scalar input node of a handle tree (0 when none: tensor inputs live in the arena). */
export function lastInputNode(h: HandleTree): number {
  if (h instanceof Scalar) return h.idx;
  if (h instanceof Tensor) return h.inputBase >= 0 ? h.inputBase + h.size - 1 : 0;
  return Math.max(0, ...Object.values(h).map(lastInputNode));
}

/** The Jacobian columns of a handle tree in tree order: a scalar input's node, or −(offset + 1) for an element of a tensor input in the arena. */
export function inputColumns(h: HandleTree, into: number[] = []): number[] {
  if (h instanceof Scalar) into.push(h.idx);
  else if (h instanceof Tensor) {
    for (let i = 0; i < h.size; i++) into.push(h.inputBase >= 0 ? h.inputBase + i : -(h.arenaOffset + i) - 1);
  } else for (const c of Object.values(h)) inputColumns(c, into);
  return into;
}
