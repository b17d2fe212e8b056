/** @file The TS half of the tensor op table: each primitive tensor op's shape rule and the meta its kernel reads (assembly/kernels.ts holds the kernels). Elementwise ops reuse the scalar op table's rows; composed tensor ops live in compose.ts.
 *
 * Each recorder checks shapes (a ShapeError names both), computes the output shape, and records one kernel
 * node. Nothing is computed until a flush. Operand offsets are taken before the output's (taking an
 * operand's offset may record a `pack`).
 */
import { type Trace } from "../trace.js";
import { ShapeError, InputError } from "../errors.js";
import { Tensor, asTensor, traceFor, type TensorKind } from "./handle.js";
import { TOp } from "./codes.js";
import { Op } from "../opcodes.js";
import { broadcastShapes, broadcastStrides, collapse, sizeOf, stridesOf, normAxis, fmt, checkShape } from "./shape.js";

type T = Tensor<TensorKind>;
/** A tensor op's result handle. @inline */
export type Out = Tensor<"nd">;

/** Scalar op codes whose tensor result carries no derivative (masks and stopGradient). */
const NO_GRAD = new Set<number>([Op.StopGradient, Op.Less, Op.LessEqual, Op.Greater, Op.GreaterEqual, Op.Equal]);
/** How a Map's backward kernel gets its partials: 1 for the ops whose partials are constants (add, sub, neg),
 * 2 for mul (each partial is the other operand), 3 for a tensor times itself; otherwise 0, residuals stored by
 * the forward kernel. */
const PARTIAL_MODE: Record<number, number> = { [Op.Add]: 1, [Op.Sub]: 1, [Op.Neg]: 1, [Op.Mul]: 2 };

/** A read's role when the reader takes the value only (its operand wants no gradient). */
export const VALUE_ONLY = -2;

/** The read (for the adjoint plan and fusion) of an operand at arena offset `off`: its range, and whether its
 * adjoint receives anything (role -1) or only its value is read. */
export function readOf(h: T, off: number): number[] {
  return [off, h.size, h.needsGrad ? -1 : VALUE_ONLY];
}

function result(t: Trace, shape: readonly number[], off: number, needsGrad: boolean): Out {
  return new Tensor<"nd">(t, shape, -1, off, needsGrad, true);
}

/** Scalar op `code` (a row of the scalar op table) over every element, with NumPy broadcasting of a and b. */
export function map(code: number, name: string, x: unknown, y?: unknown): Out {
  const t = traceFor(y === undefined ? [x] : [x, y], name);
  const a = asTensor(t, x, name);
  const b = y === undefined ? undefined : asTensor(t, y, name);
  const shape = b ? broadcastShapes(a.shape, b.shape, name) : a.shape.slice();
  const n = sizeOf(shape);
  const { dims, strides } = collapse(shape, [broadcastStrides(a.shape, shape), b ? broadcastStrides(b.shape, shape) : shape.map(() => 0)]);
  const ao = a.off, bo = b ? b.off : -1;
  const ga = a.needsGrad && !NO_GRAD.has(code), gb = !!b?.needsGrad && !NO_GRAD.has(code);
  const off = t.tvUsed, roff = t.trUsed;
  const square = code === Op.Mul && a === b;
  const mode = square ? 3 : (PARTIAL_MODE[code] ?? 0);
  const ra = !ga ? -1 : mode ? -2 : roff, rb = !gb ? -1 : mode ? -2 : roff + (ga ? n : 0);
  const words = [off, n, code, ao, bo, ra, rb, mode, dims.length, ...dims, ...strides[0], ...strides[1]];
  const reads = [ao, a.size, ga ? 0 : VALUE_ONLY, ...(b && !square ? [bo, b.size, gb ? 1 : VALUE_ONLY] : [])];
  t.kernel(TOp.Map, words, n, mode ? 0 : (ga ? n : 0) + (gb ? n : 0), 0, reads);
  return result(t, shape, off, ga || gb);
}

/**
 * Options of `matmul`: multiply by the transpose of an operand without materialising it.
 * @example
 * ```ts
 * const opts: ad.MatmulOptions = { transposeB: true };
 * ad.vjp((x: ad.Tensor) => ad.matmul(x, ad.tensor([[1, 2], [3, 4]]), opts))([1, 1])[0].data; // → [3, 7]
 * ```
 */
export interface MatmulOptions {
  /** Multiply by aᵀ (its last two axes swapped) instead of a. */
  transposeA?: boolean;
  /** Multiply by bᵀ (its last two axes swapped) instead of b. */
  transposeB?: boolean;
}

/**
 * Matrix product op(a)·op(b) of 2-D tensors, or batched over leading axes (equal batch shapes, or one operand 2-D); a 1-D operand is a row (a) or column (b) vector.
 * @example
 * ```ts
 * ad.grad((W: ad.Tensor<"nd">) => ad.matmul(W, [1, 2]).sum())(ad.tensor([[1, 0], [0, 1]])).data; // → [1, 2, 1, 2]
 * ad.vjp((W: ad.Tensor<"nd">) => W.matmul(W, { transposeA: true }))(ad.tensor([[1, 2], [3, 4]]))[0].data; // → [10, 14, 14, 20]
 * ```
 */
export function matmul(x: unknown, y: unknown, opts: MatmulOptions = {}): Out {
  const t = traceFor([x, y], "matmul");
  let a = asTensor(t, x, "matmul"), b = asTensor(t, y, "matmul");
  const va = a.rank === 1, vb = b.rank === 1;
  if (va) a = a.view([1, a.shape[0]]);
  if (vb) b = b.view([b.shape[0], 1]);
  if (a.rank < 2 || b.rank < 2) throw new ShapeError(`matmul: needs tensors of rank ≥ 1, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  const tA = !!opts.transposeA && !va, tB = !!opts.transposeB && !vb;
  const [ra, ca] = a.shape.slice(-2), [rb, cb] = b.shape.slice(-2);
  const M = tA ? ca : ra, K = tA ? ra : ca, K2 = tB ? cb : rb, N = tB ? rb : cb;
  if (K !== K2) throw new ShapeError(`matmul: inner dimensions differ: ${fmt(x instanceof Tensor ? x.shape : a.shape)}${tA ? "ᵀ" : ""} · ${fmt(y instanceof Tensor ? y.shape : b.shape)}${tB ? "ᵀ" : ""} (${K} vs ${K2})`);
  const batchA = a.shape.slice(0, -2), batchB = b.shape.slice(0, -2);
  const same = batchA.length === batchB.length && batchA.every((d, i) => d === batchB[i]);
  if (!same && batchA.length && batchB.length) throw new ShapeError(`matmul: batch shapes ${fmt(batchA)} and ${fmt(batchB)} differ (shapes ${fmt(a.shape)} and ${fmt(b.shape)})`);
  const batchShape = batchA.length ? batchA : batchB, batch = sizeOf(batchShape);
  const shape = [...batchShape, M, N];
  const ao = a.off, bo = b.off;
  const e = t.e;
  const scratch = Math.max(e.gemmScratchBytes(M, K, N, +tA, +tB), e.gemmScratchBytes(M, N, K, 0, +!tB), e.gemmScratchBytes(K, N, M, +tB, 1), e.gemmScratchBytes(K, M, N, +!tA, 0), e.gemmScratchBytes(N, M, K, 1, +tA));
  const off = t.tvUsed;
  const words = [off, sizeOf(shape), ao, bo, M, K, N, +tA, +tB, batch, batchA.length ? M * K : 0, batchB.length ? K * N : 0, +a.needsGrad, +b.needsGrad];
  t.kernel(TOp.MatMul, words, sizeOf(shape), 0, scratch, [...readOf(a, ao), ...readOf(b, bo)]);
  const out = result(t, shape, off, a.needsGrad || b.needsGrad);
  if (va || vb) return out.view(shape.filter((_, i) => !((va && i === shape.length - 2) || (vb && i === shape.length - 1))));
  return out;
}

/** The axes an op reduces: all when undefined; each normalised, sorted descending, duplicates rejected. */
function reducedAxes(axis: number | readonly number[] | undefined, rank: number, op: string): number[] {
  if (axis === undefined) return Array.from({ length: rank }, (_, i) => rank - 1 - i);
  const list = (typeof axis === "number" ? [axis] : [...axis]).map((a) => normAxis(a, rank, op));
  if (new Set(list).size !== list.length) throw new InputError(`${op}: repeated axis in ${fmt(list)}`, "axis");
  return list.sort((p, q) => q - p);
}

/** Reduces x along one axis with kernel `code` (keeping that axis with length 1). */
function reduceAxis(t: Trace, x: T, axis: number, code: number): Out {
  const shape = x.shape;
  const outer = sizeOf(shape.slice(0, axis)), len = shape[axis], inner = sizeOf(shape.slice(axis + 1));
  const kept = shape.map((d, i) => (i === axis ? 1 : d));
  const n = outer * inner;
  const xo = x.off;
  const off = t.tvUsed, roff = t.trUsed;
  const res = code === TOp.Max || code === TOp.Min ? n : 0;
  t.kernel(code, [off, n, xo, outer, len, inner, +x.needsGrad, res ? roff : -1], n, res, 0, readOf(x, xo));
  return result(t, kept, off, x.needsGrad);
}

/** A reduction (sum, max, min, logsumexp) over `axis` (all axes when undefined), dropping the reduced axes unless `keepDims`. */
export function reduce(code: number, name: string, x: unknown, axis?: number | readonly number[], keepDims = false): Out {
  const t = traceFor([x], name);
  let h: T = asTensor(t, x, name);
  const axes = reducedAxes(axis, h.rank, name);
  if ((code !== TOp.Sum) && axes.some((a) => h.shape[a] === 0)) throw new ShapeError(`${name}: cannot reduce an empty axis of shape ${fmt(h.shape)}`);
  const shape = h.shape.filter((_, i) => !axes.includes(i));
  if (axes.length === 0) return h.view(h.shape);
  // NOTE: max, min and logsumexp over several axes are not compositions of one-axis reductions in general
  // (logsumexp is; max and min are too) — all four are, so reduce one axis at a time, innermost first.
  for (const a of axes) h = reduceAxis(t, h, a, code);
  return h.view(keepDims ? h.shape : shape);
}

/** A strided copy of x: y[idx] = x[base + Σ idx_d·strides_d] for y of shape `shape`. */
function strided(t: Trace, x: T, shape: readonly number[], base: number, strides: readonly number[]): Out {
  const { dims, strides: s } = collapse(shape, [strides]);
  const xo = x.off;
  // A contiguous block (a slice along the first axis, a transpose of a vector) is a view: no copy, no node.
  if (s[0][dims.length - 1] === 1 && dims.length === 1) return new Tensor<"nd">(t, shape, -1, xo + base, x.needsGrad, true);
  const off = t.tvUsed, n = sizeOf(shape);
  t.kernel(TOp.Strided, [off, n, xo, +x.needsGrad, base, dims.length, ...dims, ...s[0]], n, 0, 0, readOf(x, xo));
  return result(t, shape, off, x.needsGrad);
}

/**
 * The axes of x permuted (reversed when `perm` is omitted).
 * @example
 * ```ts
 * const [y] = ad.vjp((x: ad.Tensor<"nd">) => x.transpose())(ad.tensor([[1, 2, 3], [4, 5, 6]]));
 * [y.shape, y.data]; // → [[3, 2], [1, 4, 2, 5, 3, 6]]
 * ```
 */
export function transpose(x: unknown, perm?: readonly number[]): Out {
  const t = traceFor([x], "transpose");
  const h = asTensor(t, x, "transpose");
  if (perm !== undefined && !Array.isArray(perm)) throw new InputError(`transpose: perm must be an array of axes, got ${typeof perm}`, "perm");
  const p = perm ? perm.map((a) => normAxis(a, h.rank, "transpose")) : h.shape.map((_, i) => h.rank - 1 - i);
  if (p.length !== h.rank || new Set(p).size !== p.length) throw new InputError(`transpose: ${fmt(perm ?? [])} is not a permutation of ${h.rank} axes`, "perm");
  const s = stridesOf(h.shape);
  return strided(t, h, p.map((a) => h.shape[a]), 0, p.map((a) => s[a]));
}

/**
 * x broadcast to `shape` (NumPy rules); its gradient sums over the broadcast axes.
 * @example
 * ```ts
 * ad.grad((x: ad.Tensor) => x.broadcastTo([3, 2]).sum())([1, 2]); // → [3, 3]
 * ```
 */
export function broadcastTo(x: unknown, shape: readonly number[]): Out {
  const t = traceFor([x], "broadcastTo");
  const h = asTensor(t, x, "broadcastTo");
  const target = checkShape(shape);
  const b = broadcastShapes(h.shape, target, "broadcastTo");
  if (b.length !== target.length || b.some((d, i) => d !== target[i])) throw new ShapeError(`broadcastTo: shape ${fmt(h.shape)} does not broadcast to ${fmt(target)}`);
  return strided(t, h, target, 0, broadcastStrides(h.shape, target));
}

/**
 * The block of x starting at `begin` with `size` elements per axis (-1: to the end); numbers for a vector. Every bound is checked.
 * @example
 * ```ts
 * ad.grad((x: ad.Tensor) => x.slice(1, 2).sum())([1, 2, 3, 4]); // → [0, 1, 1, 0]
 * ad.vjp((m: ad.Tensor<"nd">) => m.slice([0, 1], [2, -1]))(ad.tensor([[1, 2, 3], [4, 5, 6]]))[0].data; // → [2, 3, 5, 6]
 * ```
 */
export function slice(x: unknown, begin: number | readonly number[], size?: number | readonly number[]): Out {
  const t = traceFor([x], "slice");
  const h = asTensor(t, x, "slice");
  const list = (v: unknown, what: string) => {
    if (typeof v !== "number" && !Array.isArray(v)) throw new InputError(`slice: ${what} must be a number or an array of numbers, got ${typeof v}`, what);
  };
  list(begin, "begin");
  if (size !== undefined) list(size, "size");
  const b = typeof begin === "number" ? [begin] : [...begin];
  const z = size === undefined ? b.map(() => -1) : typeof size === "number" ? [size] : [...size];
  if (b.length !== h.rank || z.length !== h.rank) throw new InputError(`slice: a tensor of shape ${fmt(h.shape)} needs ${h.rank} begins and sizes, got ${b.length} and ${z.length}`, "begin");
  const shape = h.shape.map((d, i) => {
    const start = b[i] < 0 ? b[i] + d : b[i];
    const len = z[i] === -1 ? d - start : z[i];
    if (!Number.isInteger(start) || !Number.isInteger(len) || start < 0 || len < 0 || start + len > d) {
      throw new InputError(`slice: begin ${b[i]}, size ${z[i]} is out of range for axis ${i} of shape ${fmt(h.shape)}`, "begin");
    }
    b[i] = start;
    return len;
  });
  const s = stridesOf(h.shape);
  return strided(t, h, shape, b.reduce((acc, v, i) => acc + v * s[i], 0), s);
}

/**
 * The slices of x at `indices` along `axis` (negative indices count from the end); every index is checked.
 * @example
 * ```ts
 * ad.grad((x: ad.Tensor) => x.gather([0, 0, -1]).sum())([1, 2, 3]); // → [2, 0, 1]
 * ```
 */
export function gather(x: unknown, indices: ArrayLike<number>, axis = 0): Out {
  const t = traceFor([x], "gather");
  const h = asTensor(t, x, "gather");
  const ax = normAxis(axis, h.rank, "gather");
  const len = h.shape[ax];
  if (typeof indices !== "object" || indices === null || typeof indices.length !== "number") {
    throw new InputError(`gather: indices must be an array of integers, got ${typeof indices}`, "indices");
  }
  const idx = Array.from(indices, (i, k) => {
    const j = i < 0 ? i + len : i;
    if (!Number.isInteger(j) || j < 0 || j >= len) throw new InputError(`gather: index ${i} (at ${k}) is out of range for axis ${ax} of length ${len}`, `indices[${k}]`);
    return j;
  });
  const outer = sizeOf(h.shape.slice(0, ax)), inner = sizeOf(h.shape.slice(ax + 1));
  const shape = [...h.shape.slice(0, ax), idx.length, ...h.shape.slice(ax + 1)];
  const xo = h.off;
  const off = t.tvUsed, n = sizeOf(shape);
  t.kernel(TOp.Gather, [off, n, xo, +h.needsGrad, outer, len, inner, idx.length, ...idx], n, 0, 0, readOf(h, xo));
  return result(t, shape, off, h.needsGrad);
}

/**
 * The tensors joined along an existing `axis`; every other axis must agree.
 * @example
 * ```ts
 * ad.vjp((x: ad.Tensor) => ad.concat([x, x.mul(10)]))([1, 2])[0].data; // → [1, 2, 10, 20]
 * ```
 */
export function concat(xs: readonly unknown[], axis = 0): Out {
  if (!Array.isArray(xs) || xs.length === 0) throw new InputError("concat: expected a non-empty array of tensors", "xs");
  const t = traceFor(xs, "concat");
  const hs = xs.map((x) => asTensor(t, x, "concat"));
  const first = hs[0].shape;
  const ax = normAxis(axis, first.length, "concat");
  for (const h of hs) {
    if (h.rank !== first.length || h.shape.some((d, i) => i !== ax && d !== first[i])) throw new ShapeError(`concat: shapes ${fmt(first)} and ${fmt(h.shape)} differ off axis ${ax}`);
  }
  const outer = sizeOf(first.slice(0, ax)), inner = sizeOf(first.slice(ax + 1));
  const total = hs.reduce((s, h) => s + h.shape[ax], 0);
  const shape = first.map((d, i) => (i === ax ? total : d));
  const parts = hs.flatMap((h) => [h.off, h.shape[ax] * inner, +h.needsGrad]);
  const off = t.tvUsed, n = sizeOf(shape);
  t.kernel(TOp.Concat, [off, n, outer, total * inner, hs.length, ...parts], n, 0, 0, hs.flatMap((h) => readOf(h, h.off)));
  return result(t, shape, off, hs.some((h) => h.needsGrad));
}

/**
 * x with a new shape of the same size (-1 once: inferred); no copy, no node.
 * @example
 * ```ts
 * ad.vjp((x: ad.Tensor) => x.reshape([2, -1]))([1, 2, 3, 4, 5, 6])[0].shape; // → [2, 3]
 * ```
 */
export function reshape(x: unknown, shape: readonly number[]): Out {
  const t = traceFor([x], "reshape");
  const h = asTensor(t, x, "reshape");
  if (!Array.isArray(shape)) throw new InputError(`reshape: expected a shape (an array of dimensions), got ${typeof shape}`, "shape");
  const free = shape.filter((d) => d === -1).length;
  if (free > 1) throw new InputError(`reshape: at most one -1 in ${fmt(shape)}`, "shape");
  const known = sizeOf(shape.filter((d) => d !== -1));
  const bad = () => new ShapeError(`reshape: cannot view shape ${fmt(h.shape)} (${h.size} elements) as ${fmt(shape)}`);
  if (free && (known === 0 || h.size % known !== 0)) throw bad();
  const target = checkShape(shape.map((d) => (d === -1 ? h.size / known : d)));
  if (sizeOf(target) !== h.size) throw bad();
  return h.view(target);
}
