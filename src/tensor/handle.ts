/** @file The n-D `Tensor` handle, `TensorData` (a tensor's plain value) and `tensor()`; how a tensor's elements come to live as scalar nodes or in the tape's tensor arena, and how operands become tensors on a trace. */
import { Scalar, type Trace, traceOf, activeTrace, describe } from "../trace.js";
import { AdError, InputError, StaleHandleError } from "../errors.js";
import { checkShape, sizeOf, fmt, isNumberArray } from "./shape.js";
import { TOp } from "./codes.js";

/**
 * A tensor's plain value: its elements, row-major, and its shape. What `tensor()` makes and what tensor gradients and outputs come back as.
 * @example
 * ```ts
 * const t = ad.tensor([[1, 2, 3], [4, 5, 6]]);
 * [t.shape, t.size, t.data[3]]; // → [[2, 3], 6, 4]
 * ```
 */
export class TensorData {
  constructor(
    /** The elements, row-major. */
    readonly data: Float64Array,
    /** The length of each axis ([] for a 0-d tensor). */
    readonly shape: number[],
  ) {}

  /** Number of elements. */
  get size(): number {
    return this.data.length;
  }
}

/** What kind of plain value a tensor handle reads back as: a vector input stays a `Float64Array`; anything
 * made by `tensor()` or a tensor op is `TensorData`. (A type-level tag only.)
 * @example
 * ```ts
 * ad.grad((v: ad.Tensor<"vector">) => v.sum())(new Float64Array(2)); // → [1, 1] — a Float64Array
 * ad.grad((t: ad.Tensor<"nd">) => t.sum())(ad.tensor([1, 2])) instanceof ad.TensorData; // → true
 * ```
 */
export type TensorKind = "vector" | "nd";

/** A tensor on a trace: its elements live as consecutive scalar nodes (an input), in the tensor arena (an op's
 * result), or both once an op or `.at` needed the other form.
 * @example
 * ```ts
 * const f = (W: ad.Tensor<"nd">) => W.matmul([1, 1]).square().sum(); // ‖W·1‖²
 * ad.grad(f)(ad.tensor([[1, 2], [3, 4]])).data; // → [6, 6, 14, 14]
 * ```
 */
export class Tensor<K extends TensorKind = "vector"> {
  /** @internal */
  declare readonly kind?: K;
  /** First of `size` consecutive scalar nodes holding the elements, or -1. */
  private scalars: number;
  /** Offset of the elements in the tensor arena, or -1. */
  private arena: number;

  /** @internal */
  constructor(
    /** @internal */
    readonly trace: Trace,
    /** The length of each axis ([] for a 0-d tensor). */
    readonly shape: readonly number[],
    scalars: number,
    arena: number,
    /** Whether any input reaches this tensor (constants need no backward kernels). @internal */
    readonly needsGrad: boolean,
    /** Whether it reads back as TensorData (else a Float64Array: a vector input). @internal */
    readonly structured: boolean,
  ) {
    this.scalars = scalars;
    this.arena = arena;
  }

  /** Number of elements. */
  get size(): number {
    return sizeOf(this.shape);
  }

  /** Length of the first axis (the element count of a vector). */
  get length(): number {
    return this.shape.length ? this.shape[0] : 1;
  }

  /** Number of axes. */
  get rank(): number {
    return this.shape.length;
  }

  /** The first of the scalar nodes holding the elements, recording them (one `item` node each) if needed. @internal */
  get base(): number {
    if (this.scalars < 0) {
      const t = traceOf(this);
      this.scalars = t.items(this.off, 0, this.size);
    }
    return this.scalars;
  }

  /** The first scalar node of an input tensor (no recording), or -1 when its elements live in the arena. @internal */
  get inputBase(): number {
    return this.scalars;
  }

  /** The arena offset of the elements (no recording), or -1. @internal */
  get arenaOffset(): number {
    return this.arena;
  }

  /** The arena offset of the elements, recording a `pack` of its scalar nodes if needed. @internal */
  get off(): number {
    if (this.arena < 0) {
      const t = traceOf(this);
      const off = t.tvUsed;
      t.kernel(TOp.Pack, [off, this.size, this.scalars], this.size, 0);
      this.arena = off;
    }
    return this.arena;
  }

  /** Element i of a vector, or the element at full index (i, j, …) of an n-D tensor (one index into an n-D tensor
   * counts in its flattened elements), as a Scalar.
   * @example
   * ```ts
   * ad.grad((v: ad.Tensor) => v.at(0).mul(v.at(-1)))([2, 3, 4]); // → [4, 0, 2]
   * ad.grad((m: ad.Tensor<"nd">) => m.at(1, 0))(ad.tensor([[1, 2], [3, 4]])).data; // → [0, 0, 1, 0]
   * ```
   */
  at(i: number, ...more: number[]): Scalar;
  at(i: number): Scalar {
    // NOTE: one index into a vector input is the hot path of scalar-style code (W3 takes two per term): no rest
    // array, no index array, no general walk (`arguments.length` costs nothing in optimised code).
    if (arguments.length === 1 && this.scalars >= 0 && this.rank === 1) {
      const k = i < 0 ? i + this.shape[0] : i;
      if ((k | 0) === k && k >= 0 && k < this.shape[0]) return new Scalar(traceOf(this), this.scalars + k);
    }
    return this.atIndex(Array.from(arguments as ArrayLike<number>));
  }

  /** `at` in general: any index list, any storage. */
  private atIndex(index: number[]): Scalar {
    const t = traceOf(this);
    const k = index.length === 1 && this.rank !== 1 ? flatIndex(this.shape, index, true) : flatIndex(this.shape, index, false);
    if (this.scalars >= 0) return new Scalar(t, this.scalars + k);
    const off = this.off;
    return new Scalar(t, t.items(off, k, 1));
  }

  /**
   * The elements as Scalars, in row-major order.
   * @example
   * ```ts
   * const sumOfSquares = (v: ad.Tensor) => [...v].reduce<ad.Operand>((s, x) => ad.add(s, x.square()), 0) as ad.Scalar;
   * ad.grad(sumOfSquares)([1, 2]); // → [2, 4]
   * ```
   */
  *[Symbol.iterator](): IterableIterator<Scalar> {
    for (let i = 0; i < this.size; i++) yield this.at(i);
  }

  /** A copy of the elements' values, row-major. */
  get value(): Float64Array {
    const t = traceOf(this);
    t.readsValue = true;
    t.flush();
    if (this.scalars >= 0) return t.val.slice(this.scalars, this.scalars + this.size);
    return t.region.tv.slice(this.arena, this.arena + this.size);
  }

  /** The same elements under another shape (no copy, no node). @internal */
  view(shape: readonly number[]): Tensor<"nd"> {
    return new Tensor<"nd">(this.trace, shape, this.scalars, this.arena, this.needsGrad, true);
  }
}

/** The row-major position of `index` in `shape` (negative entries count from the end); `flat` takes one index into the flattened tensor. */
function flatIndex(shape: readonly number[], index: number[], flat: boolean): number {
  const dims = flat ? [sizeOf(shape)] : shape;
  if (index.length !== dims.length) {
    throw new InputError(`a tensor of shape ${fmt(shape)} takes ${dims.length} indices, got ${index.length}`, "at");
  }
  let k = 0;
  for (let d = 0; d < dims.length; d++) {
    const i = index[d] < 0 ? index[d] + dims[d] : index[d];
    if (!Number.isInteger(i) || i < 0 || i >= dims[d]) {
      throw new InputError(`index ${index[d]} out of range for axis ${d} of a tensor of shape ${fmt(shape)}`, "at");
    }
    k = k * dims[d] + i;
  }
  return k;
}

/** The shape of nested number arrays (rectangular), or an InputError. */
function nestedShape(x: unknown, path: string): number[] {
  if (typeof x === "number") return [];
  if (!Array.isArray(x) && !(x instanceof Float64Array)) throw new InputError(`expected numbers or nested arrays of numbers, got ${describe(x)}`, path);
  if (x.length === 0) return [0];
  const inner = nestedShape(x[0], `${path}[0]`);
  return [x.length, ...inner];
}

/**
 * Makes a tensor value from data (a Float64Array or number[] with `shape`, or nested arrays whose shape is inferred). Used inside a transformed function as a constant, or passed as an input (its gradient comes back as TensorData).
 * @example
 * ```ts
 * ad.tensor([[1, 2], [3, 4]]).shape; // → [2, 2]
 * ad.tensor(new Float64Array(6), [2, 3]).shape; // → [2, 3]
 * ad.tensor(5).shape; // → [] — 0-d
 * ```
 */
export function tensor(data: Float64Array | readonly unknown[] | number, shape?: readonly number[]): TensorData {
  const dims = checkShape(shape ?? nestedShape(data, "data"));
  const flat = new Float64Array(sizeOf(dims));
  let k = 0;
  const fill = (x: unknown, d: number, path: string): void => {
    if (d === dims.length && shape === undefined) {
      if (typeof x !== "number") throw new InputError(`expected a number, got ${describe(x)}`, path);
      flat[k++] = x;
      return;
    }
    const xs = x as ArrayLike<unknown>;
    if (xs.length !== dims[d]) throw new InputError(`ragged nested array: expected length ${dims[d]}, got ${xs.length}`, path);
    for (let i = 0; i < xs.length; i++) fill(xs[i], d + 1, `${path}[${i}]`);
  };
  if (shape === undefined) fill(data, 0, "data");
  else {
    const src = typeof data === "number" ? [data] : data;
    if (!(src instanceof Float64Array) && !isNumberArray(src)) {
      throw new InputError(`with a shape, data must be a Float64Array or a flat number[], got ${describe(data)}`, "data");
    }
    if (src.length !== flat.length) throw new InputError(`data has ${src.length} elements, shape ${fmt(dims)} needs ${flat.length}`, "data");
    flat.set(src as ArrayLike<number>);
  }
  return new TensorData(flat, dims);
}

/**
 * Anything a tensor op accepts: a handle, a constant (TensorData, Float64Array, number[]), or a number or Scalar (broadcast).
 * @example
 * ```ts
 * const w: ad.TensorLike = [1, 2]; // a constant vector
 * ad.grad((x: ad.Tensor) => ad.mul(x, w).sum())([5, 5]); // → [1, 2]
 * ```
 */
export type TensorLike = Tensor<TensorKind> | TensorData | Float64Array | readonly number[] | Scalar | number;

/** Whether x is a tensor operand rather than a scalar one. */
export function isTensorLike(x: unknown): boolean {
  return x instanceof Tensor || x instanceof TensorData || x instanceof Float64Array || isNumberArray(x);
}

/** The trace a tensor op records onto: the first handle's, else the active one (constants only). */
export function traceFor(xs: readonly unknown[], op: string): Trace {
  for (const x of xs) {
    if (!(x instanceof Tensor || x instanceof Scalar)) continue;
    if (!x.trace.live) throw new StaleHandleError(`a handle passed to ${op}`);
    return x.trace;
  }
  const t = activeTrace();
  if (!t) throw new AdError("NO_TRACE", `${op}: tensor ops run inside a transformed function (grad, vjp, compile …); got constants only, outside any`);
  return t;
}

/** Checks that a TensorData (from `tensor()`, or built or changed by hand) holds a Float64Array of its shape's size,
 * so no kernel reads or writes past it; returns it. */
export function checkTensorData(x: TensorData, path: string): TensorData {
  if (!(x.data instanceof Float64Array)) throw new InputError(`a tensor's data must be a Float64Array, got ${describe(x.data)}`, path);
  const shape = checkShape(x.shape, `${path}.shape`);
  if (sizeOf(shape) !== x.data.length) throw new InputError(`a tensor of shape ${fmt(shape)} needs ${sizeOf(shape)} elements, its data has ${x.data.length}`, path);
  return x;
}

/** Records a tensor leaf on t, its elements written into the arena now (a `const` node does nothing when swept):
 * an input (`needsGrad`: its adjoint is read back) or a constant. */
export function arenaLeaf(t: Trace, data: Float64Array, shape: readonly number[], needsGrad: boolean): Tensor<"nd"> {
  const off = t.tvUsed;
  t.kernel(TOp.Const, [off, data.length], data.length, 0);
  t.region.tv.set(data, off);
  return new Tensor<"nd">(t, shape, -1, off, needsGrad, true);
}

/** Records a constant tensor on t (its data copied into the arena once per trace). */
function constantTensor(t: Trace, data: Float64Array, shape: readonly number[], key: object | undefined): Tensor<"nd"> {
  const cached = key && (t.constantTensors.get(key) as Tensor<"nd"> | undefined);
  if (cached) return cached;
  const h = arenaLeaf(t, data, shape, false);
  if (key) t.constantTensors.set(key, h);
  return h;
}

/** Operand x as a tensor on trace t: handles checked, constants recorded, scalars packed as 0-d tensors. */
export function asTensor(t: Trace, x: unknown, op: string): Tensor<TensorKind> {
  if (x instanceof Tensor) {
    if (x.trace !== t) throw foreignHandle(x.trace, op);
    return x;
  }
  if (x instanceof TensorData) return constantTensor(t, checkTensorData(x, "operand").data, x.shape.slice(), x);
  if (x instanceof Float64Array) return constantTensor(t, x, [x.length], x);
  if (typeof x === "number") return constantTensor(t, new Float64Array([x]), [], undefined);
  if (isNumberArray(x)) return constantTensor(t, Float64Array.from(x), [x.length], undefined);
  if (x instanceof Scalar) {
    if (x.trace !== t) throw foreignHandle(x.trace, op);
    return new Tensor<"nd">(t, [], x.idx, -1, true, true);
  }
  throw new InputError(`${op}: expected a Tensor, TensorData, Float64Array, number[], Scalar or number, got ${describe(x)}`, "operand");
}

function foreignHandle(t: Trace, op: string): AdError {
  if (!t.live) return new StaleHandleError(`a handle passed to ${op}`);
  return new AdError("NESTING", `${op}: a handle of another transform's trace was used here`);
}
