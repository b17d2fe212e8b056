/** @file Tensor ops composed from the primitives (no rules of their own): reductions by name, mean, softmax, logSoftmax, dot, norm, mse, crossEntropy, stack, and the tensor forms of the scalar ops. */
import { InputError, ShapeError } from "../errors.js";
import { Op } from "../opcodes.js";
import { TOp } from "./codes.js";
import { asTensor, traceFor } from "./handle.js";
import { map, reduce, reshape, concat, gather, matmul, type Out } from "./ops.js";
import { fmt, normAxis, sizeOf } from "./shape.js";

/** An axis, or a list of axes (negative ones count from the end). @inline */
type Axis = number | readonly number[];

/**
 * Σ of x over `axis` (all axes when omitted).
 * @example
 * ```ts
 * const X = ad.tensor([[1, 2, 3], [4, 5, 6]]);
 * ad.vjp((x: ad.Tensor<"nd">) => x.sum(1))(X)[0].data; // → [6, 15]
 * ad.grad((x: ad.Tensor<"nd">) => x.sum())(X).data; // → [1, 1, 1, 1, 1, 1]
 * ```
 */
export const sum = (x: unknown, axis?: Axis, keepDims = false): Out => reduce(TOp.Sum, "sum", x, axis, keepDims);
/**
 * The largest element over `axis`; its derivative goes to the first maximal element.
 * @example
 * ```ts
 * ad.valueAndGrad((x: ad.Tensor) => x.amax())([1, 3, 3]); // → [3, [0, 1, 0]]
 * ```
 */
export const amax = (x: unknown, axis?: Axis, keepDims = false): Out => reduce(TOp.Max, "max", x, axis, keepDims);
/**
 * The smallest element over `axis`; its derivative goes to the first minimal element.
 * @example
 * ```ts
 * ad.valueAndGrad((x: ad.Tensor) => x.amin())([2, 1, 1]); // → [1, [0, 1, 0]]
 * ```
 */
export const amin = (x: unknown, axis?: Axis, keepDims = false): Out => reduce(TOp.Min, "min", x, axis, keepDims);
/**
 * log Σ exp(x) over `axis`, computed without overflow.
 * @example
 * ```ts
 * ad.valueAndGrad((x: ad.Tensor) => x.logsumexp())([1000, 1000]); // → [1000 + Math.LN2, [0.5, 0.5]]
 * ```
 */
export const logsumexp = (x: unknown, axis?: Axis, keepDims = false): Out => reduce(TOp.LogSumExp, "logsumexp", x, axis, keepDims);

/**
 * The mean of x over `axis` (all axes when omitted).
 * @example
 * ```ts
 * ad.valueAndGrad((x: ad.Tensor) => x.mean())([1, 2, 3, 6]); // → [3, [0.25, 0.25, 0.25, 0.25]]
 * ```
 */
export function mean(x: unknown, axis?: Axis, keepDims = false): Out {
  const s = sum(x, axis, keepDims);
  const h = asTensor(s.trace, x, "mean");
  const count = h.size / Math.max(1, s.size);
  return map(Op.Div, "mean", s, count);
}

/**
 * exp(x) / Σ exp(x) along `axis` (default the last): exp(x − logsumexp(x)).
 * @example
 * ```ts
 * ad.vjp((x: ad.Tensor) => x.softmax())([0, Math.LN2])[0].data; // → [1 / 3, 2 / 3]
 * ```
 */
export function softmax(x: unknown, axis = -1): Out {
  return map(Op.Exp, "softmax", logSoftmax(x, axis));
}

/**
 * x − logsumexp(x) along `axis` (default the last).
 * @example
 * ```ts
 * ad.vjp((x: ad.Tensor) => x.logSoftmax())([0, 0])[0].data; // → [-Math.LN2, -Math.LN2]
 * ```
 */
export function logSoftmax(x: unknown, axis = -1): Out {
  return map(Op.Sub, "logSoftmax", x, logsumexp(x, axis, true));
}

/**
 * The inner product of two vectors (a 0-d tensor).
 * @example
 * ```ts
 * ad.valueAndGrad((x: ad.Tensor) => x.dot([1, 2]))([3, 4]); // → [11, [1, 2]]
 * ```
 */
export function dot(x: unknown, y: unknown): Out {
  const t = traceFor([x, y], "dot");
  const a = asTensor(t, x, "dot"), b = asTensor(t, y, "dot");
  if (a.rank !== 1 || b.rank !== 1 || a.size !== b.size) throw new ShapeError(`dot: expected two vectors of one length, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  return reshape(matmul(a, b), []);
}

/**
 * The Euclidean norm √Σx² over `axis` (all when omitted). Its derivative at 0 is NaN (√'(0) = ∞).
 * @example
 * ```ts
 * ad.valueAndGrad((x: ad.Tensor) => x.norm())([3, 4]); // → [5, [0.6, 0.8]]
 * ```
 */
export function norm(x: unknown, axis?: Axis, keepDims = false): Out {
  return map(Op.Sqrt, "norm", sum(map(Op.Mul, "norm", x, x), axis, keepDims));
}

/**
 * The mean squared difference of a and b (broadcast).
 * @example
 * ```ts
 * ad.valueAndGrad((x: ad.Tensor) => ad.mse(x, [1, 1]))([2, 3]); // → [2.5, [1, 2]]
 * ```
 */
export function mse(a: unknown, b: unknown): Out {
  const d = map(Op.Sub, "mse", a, b);
  return mean(map(Op.Mul, "mse", d, d));
}

/** The mean over the batch of −Σ labels·logSoftmax(logits) along `axis`; `labels` is a tensor of
 * probabilities shaped like logits, or one integer class per row (logits 2-D, classes along the last axis).
 * @example
 * ```ts
 * const logits = ad.tensor([[0, 0], [0, Math.log(3)]]); // softmax rows: [1/2, 1/2], [1/4, 3/4]
 * ad.valueAndGrad((z: ad.Tensor<"nd">) => ad.crossEntropy(z, [0, 1]))(logits)[0]; // → (Math.LN2 + Math.log(4 / 3)) / 2
 * ```
 */
export function crossEntropy(logits: unknown, labels: unknown, axis = -1): Out {
  const t = traceFor([logits, labels], "crossEntropy");
  const z = asTensor(t, logits, "crossEntropy");
  const lsm = logSoftmax(z, axis);
  // One class per row: an Int32Array, or a number[] with one entry per row of 2-D logits (a probability tensor
  // would have the logits' shape).
  const perRowLabels = Array.isArray(labels) && z.rank === 2 && labels.length === z.shape[0] && labels.every((v) => typeof v === "number");
  if (labels instanceof Int32Array || perRowLabels) {
    const cls = labels as ArrayLike<number>;
    if (z.rank !== 2 || normAxis(axis, 2, "crossEntropy") !== 1) throw new ShapeError(`crossEntropy: class indices need 2-D logits with classes on the last axis, got ${fmt(z.shape)}`);
    const [rows, classes] = z.shape;
    if (cls.length !== rows) throw new ShapeError(`crossEntropy: ${cls.length} labels for logits of shape ${fmt(z.shape)}`);
    const flat = Array.from(cls, (c, i) => {
      if (!Number.isInteger(c) || c < 0 || c >= classes) throw new InputError(`crossEntropy: class ${c} out of range [0, ${classes})`, `labels[${i}]`);
      return i * classes + c;
    });
    return map(Op.Neg, "crossEntropy", mean(gather(reshape(lsm, [sizeOf(z.shape)]), flat)));
  }
  const y = asTensor(t, labels, "crossEntropy");
  if (y.shape.length !== z.shape.length || y.shape.some((d, i) => d !== z.shape[i])) throw new ShapeError(`crossEntropy: labels ${fmt(y.shape)} and logits ${fmt(z.shape)} differ`);
  const perRow = sum(map(Op.Mul, "crossEntropy", y, lsm), axis);
  return map(Op.Neg, "crossEntropy", mean(perRow));
}

/**
 * The tensors (all one shape) stacked along a new `axis`.
 * @example
 * ```ts
 * const [y] = ad.vjp((x: ad.Tensor) => ad.stack([x, x.neg()], 1))([1, 2]);
 * [y.shape, y.data]; // → [[2, 2], [1, -1, 2, -2]]
 * ```
 */
export function stack(xs: readonly unknown[], axis = 0): Out {
  if (!Array.isArray(xs) || xs.length === 0) throw new InputError("stack: expected a non-empty array of tensors", "xs");
  const t = traceFor(xs, "stack");
  const hs = xs.map((x) => asTensor(t, x, "stack"));
  const shape = hs[0].shape;
  for (const h of hs) if (h.shape.length !== shape.length || h.shape.some((d, i) => d !== shape[i])) throw new ShapeError(`stack: shapes ${fmt(shape)} and ${fmt(h.shape)} differ`);
  const ax = normAxis(axis, shape.length + 1, "stack");
  const expanded = [...shape.slice(0, ax), 1, ...shape.slice(ax)];
  return concat(hs.map((h) => reshape(h, expanded)), ax);
}

/** Elementwise where(mask, a, b) over broadcast tensors: whereTrue(mask, a) + whereFalse(mask, b). */
export function whereTensor(mask: unknown, a: unknown, b: unknown): Out {
  return map(Op.Add, "where", map(Op.WhereTrue, "where", mask, a), map(Op.WhereFalse, "where", mask, b));
}
