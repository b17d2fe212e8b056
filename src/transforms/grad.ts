/** @file Reverse mode: `grad` and `valueAndGrad`, a record, one engine sweep, and a read-back. */
import { Scalar, Tensor, Trace } from "../trace.js";
import { recordInputs, readGradients, zeroGradients, type InputOf, type GradOf } from "../tree.js";
import { OutputError, StaleHandleError, AdError } from "../errors.js";

/** What `f` may return for `grad`: a Scalar, a 1-element Tensor, or a number (a constant). */
export type ScalarOutput = Scalar | Tensor | number;

/** Node index of a scalar output `y` on `t`, or -1 when `y` is a plain number (a constant). */
export function scalarOutput(t: Trace, y: unknown): number {
  if (typeof y === "number") return -1;
  if (y instanceof Scalar || y instanceof Tensor) {
    if (!y.trace.live) throw new StaleHandleError("the returned handle");
    if (y.trace !== t) throw new AdError("NESTING", "f returned a handle of an enclosing transform");
    if (y instanceof Scalar) return y.idx;
    if (y.length === 1) return y.base;
    throw new OutputError(`f must return a scalar, got a Tensor of shape [${y.length}]`);
  }
  throw new OutputError(`f must return a scalar (a Scalar, a 1-element Tensor or a number), got ${y === null ? "null" : typeof y}`);
}

/** Records f at x, sweeps once in reverse, and returns [f(x), gradient tree]. */
function evaluateWithGradient(f: (h: never) => unknown, x: unknown): [number, unknown] {
  const t = Trace.begin();
  try {
    const h = recordInputs(t, x);
    const y = f(h as never);
    const out = scalarOutput(t, y);
    if (out < 0) return [y as number, zeroGradients(h)];
    t.reverseFrom(out);
    return [t.val[out], readGradients(t, h)];
  } finally {
    t.end();
  }
}

/** Returns a function computing f(x) and its gradient, shaped like x, in one recording and one reverse sweep. */
export function valueAndGrad<H>(f: (x: H) => ScalarOutput): (x: InputOf<H>) => [number, GradOf<H>] {
  return (x) => evaluateWithGradient(f, x) as [number, GradOf<H>];
}

/** Returns a function computing the gradient of scalar-valued f, shaped like its input. */
export function grad<H>(f: (x: H) => ScalarOutput): (x: InputOf<H>) => GradOf<H> {
  return (x) => evaluateWithGradient(f, x)[1] as GradOf<H>;
}
