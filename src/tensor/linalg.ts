/** @file The TS half of the linear-algebra ops: `cholesky`, `solve` and `logdet` of square matrices (2-D), recorded as one kernel node each (assembly/decomp.ts). */
import { ShapeError } from "../errors.js";
import type { Trace } from "../trace.js";
import { Tensor, asTensor, traceFor } from "./handle.js";
import { TOp } from "./codes.js";
import { fmt } from "./shape.js";
import { readOf, type Out } from "./ops.js";

function square(x: unknown, op: string): { h: Tensor<"nd" | "vector">; N: number; t: Trace } {
  const t = traceFor([x], op);
  const h = asTensor(t, x, op);
  if (h.rank !== 2 || h.shape[0] !== h.shape[1]) throw new ShapeError(`${op}: expected a square matrix, got shape ${fmt(h.shape)}`);
  return { h, N: h.shape[0], t };
}

/** Kernel scratch bytes for N×N factors and nrhs right-hand sides; a tape that keeps its presets (compiled, or
 * recording for hvp/hessian) may run the second-order rules, which need twice the first-order rules' room. */
function linalgScratch(t: Trace, N: number, nrhs: number): number {
  return t.e.linalgScratchBytes(N, nrhs, +t.region.compiled);
}

/** The lower-triangular L with A = L·Lᵀ, for symmetric positive definite A (only its lower triangle is read; the
 * derivatives, second order too, are those of chol(½(A + Aᵀ)), split evenly between the triangles). NaN when A is not positive definite.
 * @example
 * ```ts
 * ad.vjp((A: ad.Tensor<"nd">) => ad.cholesky(A))(ad.tensor([[4, 2], [2, 5]]))[0].data; // → [2, 0, 1, 2]
 * ```
 */
export function cholesky(a: unknown): Out {
  const { h, N, t } = square(a, "cholesky");
  const ao = h.off;
  const off = t.tvUsed, roff = t.trUsed;
  t.kernel(TOp.Cholesky, [off, N * N, ao, N, +h.needsGrad, roff], N * N, 1, linalgScratch(t, N, N), readOf(h, ao));
  return new Tensor<"nd">(t, [N, N], -1, off, h.needsGrad, true);
}

/**
 * X with A·X = B (B a matrix N×k or a vector of N), by LU with partial pivoting; NaN when A is singular.
 * @example
 * ```ts
 * ad.vjp((A: ad.Tensor<"nd">) => ad.solve(A, [1, 2]))(ad.tensor([[2, 0], [0, 4]]))[0].data; // → [0.5, 0.5]
 * ```
 */
export function solve(a: unknown, b: unknown): Out {
  const { h, N, t } = square(a, "solve");
  const rhs = asTensor(t, b, "solve");
  if ((rhs.rank !== 1 && rhs.rank !== 2) || rhs.shape[0] !== N) throw new ShapeError(`solve: A ${fmt(h.shape)} and B ${fmt(rhs.shape)} do not match`);
  const nrhs = rhs.rank === 2 ? rhs.shape[1] : 1;
  const ao = h.off, bo = rhs.off;
  const off = t.tvUsed, roff = t.trUsed;
  const res = 1 + N * N + Math.ceil(N / 2);
  t.kernel(TOp.Solve, [off, N * nrhs, ao, bo, N, nrhs, +h.needsGrad, +rhs.needsGrad, roff], N * nrhs, res, linalgScratch(t, N, nrhs), [...readOf(h, ao), ...readOf(rhs, bo)]);
  return new Tensor<"nd">(t, rhs.shape.slice(), -1, off, h.needsGrad || rhs.needsGrad, true);
}

/**
 * log|det A| (a 0-d tensor), from an LU factorization; −∞ when A is singular.
 * @example
 * ```ts
 * ad.valueAndGrad((A: ad.Tensor<"nd">) => ad.logdet(A))(ad.tensor([[2, 0], [0, 4]])); // → [Math.log(8), [0.5, 0, 0, 0.25]] — ∇ = A⁻ᵀ
 * ```
 */
export function logdet(a: unknown): Out {
  const { h, N, t } = square(a, "logdet");
  const ao = h.off;
  const off = t.tvUsed, roff = t.trUsed;
  const res = 1 + N * N + Math.ceil(N / 2);
  t.kernel(TOp.Logdet, [off, 1, ao, N, +h.needsGrad, roff], 1, res, linalgScratch(t, N, N), readOf(h, ao));
  return new Tensor<"nd">(t, [], -1, off, h.needsGrad, true);
}
