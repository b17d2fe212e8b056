/** @file `grad` and `valueAndGrad`: a `vjp` of a scalar-valued function, pulled back with cotangent 1. */
import { Scalar, type Trace } from "../trace.js";
import { Tensor, type TensorKind } from "../tensor/handle.js";
import { fmt } from "../tensor/shape.js";
import { type InputOf, type GradOf } from "../tree.js";
import { OutputError, StaleHandleError, AdError } from "../errors.js";
import { linearize } from "./vjp.js";

/**
 * What `f` may return for `grad`: a Scalar, a 1-element Tensor, or a number (a constant).
 * @example
 * ```ts
 * const f = (v: ad.Tensor): ad.ScalarOutput => (v.length > 2 ? v.sum() : 0); // 0: a constant, zero gradient
 * [ad.grad(f)([1, 2, 3]), ad.grad(f)([1, 2])]; // → [[1, 1, 1], [0, 0]]
 * ```
 */
export type ScalarOutput = Scalar | Tensor<TensorKind> | number;

/**
 * Options of `grad` and `valueAndGrad`: with `hasAux`, f returns `[loss, aux]` and aux comes back as plain values.
 * @example
 * ```ts
 * const f = (x: ad.Scalar): [ad.Scalar, { half: ad.Scalar }] => [x.square(), { half: x.mul(0.5) }];
 * ad.valueAndGrad(f, { hasAux: true })(3); // → [[9, { half: 1.5 }], 6]
 * ```
 */
export interface GradOptions {
  /** Whether f returns `[loss, aux]`; aux comes back with its handles read as numbers (default false). */
  hasAux?: boolean;
  /** Trace a NaN in the loss or the gradient to the op that made it and throw NaNError (as JAX's debug_nans; default false). */
  checkNaN?: boolean;
}

function isScalar(y: unknown): boolean {
  return typeof y === "number" || y instanceof Scalar || (y instanceof Tensor && y.size === 1);
}

function notScalar(y: unknown): OutputError {
  const what = y instanceof Tensor ? `a Tensor of shape ${fmt(y.shape)}` : Array.isArray(y) ? "an array" : typeof y;
  return new OutputError(`f must return a scalar (a Scalar, a 1-element Tensor or a number), got ${what}`);
}

/** The node of f's scalar output `y` on trace `t`, or -1 for a plain number (a constant). */
export function scalarNode(t: Trace, y: unknown): number {
  if (!isScalar(y)) throw notScalar(y);
  if (typeof y === "number") return -1;
  const h = y as Scalar | Tensor<TensorKind>;
  if (h.trace !== t) throw h.trace.live ? new AdError("NESTING", "f returned a handle of an enclosing transform") : new StaleHandleError("the returned handle");
  return h instanceof Scalar ? h.idx : h.base;
}

/** f, with a 1-element Tensor output taken as its one element (a Scalar). */
function asScalarOutput(f: (h: never) => unknown, hasAux: boolean): (h: never) => unknown {
  if (typeof f !== "function") return f; // linearize names the error
  const one = (y: unknown) => (y instanceof Tensor && y.size === 1 ? y.at(0) : y);
  return (h: never) => {
    const y = f(h);
    return hasAux && Array.isArray(y) && y.length === 2 ? [one(y[0]), y[1]] : one(y);
  };
}

/** Records f at x, checks that it is scalar, and pulls back 1: [f(x), gradient, aux]. */
function valueGradAux(f: (h: never) => unknown, x: unknown, { hasAux = false, checkNaN = false }: GradOptions): [number, unknown, unknown] {
  const { y, value, aux, pullback } = linearize(asScalarOutput(f, hasAux), x, hasAux, checkNaN);
  if (!isScalar(y)) throw notScalar(y);
  return [value as number, pullback(1), aux];
}

/**
 * Returns a function computing [f(x), gradient] from one recording and one reverse sweep; with `hasAux`, [[f(x), aux], gradient].
 * @example
 * ```ts
 * ad.valueAndGrad((v: ad.Tensor) => v.at(0).mul(v.at(1)))([2, 3]); // → [6, [3, 2]]
 * ```
 */
export function valueAndGrad<H>(f: (x: H) => ScalarOutput): (x: InputOf<H>) => [number, GradOf<H>];
export function valueAndGrad<H, A>(f: (x: H) => [ScalarOutput, A], opts: GradOptions & { hasAux: true }): (x: InputOf<H>) => [[number, A], GradOf<H>];
export function valueAndGrad<H>(f: (x: H) => ScalarOutput, opts: GradOptions & { hasAux?: false }): (x: InputOf<H>) => [number, GradOf<H>];
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function valueAndGrad(f: (h: never) => unknown, opts: GradOptions = {}): (x: any) => any {
  return (x: unknown) => {
    const [v, g, aux] = valueGradAux(f, x, opts);
    return opts.hasAux ? [[v, aux], g] : [v, g];
  };
}

/**
 * Returns a function computing the gradient of scalar-valued f, shaped like its input; with `hasAux`, [gradient, aux].
 * @example
 * ```ts
 * const f = (x: ad.Scalar) => ad.mul(ad.log(x), ad.square(ad.sin(x))); // log(x)·sin²(x)
 * ad.grad(f)(2.5); // → -0.7353858625356257 — sin²x/x + 2 log x sin x cos x
 * ad.grad((p: { w: ad.Tensor; b: ad.Scalar }) => p.w.at(0).mul(p.b))({ w: [2, 3], b: 4 }); // → { w: [4, 0], b: 2 }
 * ```
 */
export function grad<H>(f: (x: H) => ScalarOutput): (x: InputOf<H>) => GradOf<H>;
export function grad<H, A>(f: (x: H) => [ScalarOutput, A], opts: GradOptions & { hasAux: true }): (x: InputOf<H>) => [GradOf<H>, A];
export function grad<H>(f: (x: H) => ScalarOutput, opts: GradOptions & { hasAux?: false }): (x: InputOf<H>) => GradOf<H>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function grad(f: (h: never) => unknown, opts: GradOptions = {}): (x: any) => any {
  return (x: unknown) => {
    const [, g, aux] = valueGradAux(f, x, opts);
    return opts.hasAux ? [g, aux] : g;
  };
}
