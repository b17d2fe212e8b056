/** @file Custom rules: `customVjp` and `customJvp` make a primitive from a user's value function and derivative rule.
 *
 * The rule runs in JS when the op is recorded: its value and its local partials (one `bwd` call per
 * output with a unit cotangent, or one `jvp` call per input with a unit tangent) are preset on a
 * `Custom` node, which forward sweeps and `jacfwd` use. Reverse sweeps stop at a customVjp op and call
 * its `bwd` with the real cotangent (`reverseWithHooks`), so `bwd` may be nonlinear in it (a clipped
 * gradient). A custom op has no second derivative (`hvp`/`hessian` refuse it), and a compiled tape that
 * contains one is re-recorded on every call (its values come from JS).
 */
import { Scalar, type Trace, type Operand, describe } from "./trace.js";
import { Op } from "./opcodes.js";
import { InputError, OutputError } from "./errors.js";

/** A custom op takes one operand, or an array of them (its rule sees a number, or a number[]), and returns
 * a Scalar, or an array of them, as its rule returns a number or a number[]. @inline */
type Operands<V> = V extends readonly unknown[] ? readonly Operand[] : Operand;
/** @inline */
type Result<Y> = Y extends readonly unknown[] ? (Scalar | number)[] : Scalar | number;

/** The trace the operands record onto, or undefined when all are numbers (then the op is a constant). */
function traceOf(xs: readonly Operand[]): Trace | undefined {
  for (const x of xs) {
    if (x instanceof Scalar) return x.trace;
    if (typeof x !== "number") throw new InputError(`expected Scalars or numbers, got ${describe(x)}`, "x");
  }
  return undefined;
}

/** Records y ≈ value + Σ pₖ·(xₖ − xₖ⁰) as a chain of Custom nodes (two operands a node); numbers drop out. */
function recordLinear(t: Trace, xs: readonly Operand[], partials: number[], value: number): Scalar | number {
  let node = -1;
  xs.forEach((x, k) => {
    if (typeof x === "number") return;
    const first = node < 0;
    node = first ? t.node(Op.Custom, t.index(x), 0) : t.node(Op.Custom, node, t.index(x));
    t.val[node] = value;
    t.da[node] = first ? partials[k] : 1;
    t.db[node] = first ? 0 : partials[k];
  });
  return node < 0 ? value : new Scalar(t, node);
}

function checkNumbers(v: unknown, n: number, what: string): number[] {
  const a = typeof v === "number" ? [v] : Array.isArray(v) ? v : [];
  if (a.length !== n || !a.every((e) => typeof e === "number")) throw new OutputError(`${what} must give ${n} number(s), got ${describe(v)}`);
  return a;
}

/** One call of a custom op, evaluated: its value, the rows ∂yⱼ/∂x (for the stored partials), and for a
 * customVjp the real `bwd`, which reverse sweeps call with the actual cotangent. */
interface Evaluated<Y> {
  y: Y;
  rows: (m: number) => number[][];
  bwd?: (ct: number[]) => number[];
}

const asArray = (v: number | number[] | ArrayLike<number>): number[] => (typeof v === "number" ? [v] : Array.from(v));

/** Records a custom op: its value and stored partials, and (customVjp) a hook for the reverse sweeps. */
function customOp<V extends number | number[], Y>(evaluate: (x: V) => Evaluated<Y>) {
  return (x: Operands<V>): Result<Y> => {
    const xs = (Array.isArray(x) ? x : [x]) as readonly Operand[];
    const t = traceOf(xs);
    const values = xs.map((v) => (typeof v === "number" ? v : t!.value(v.idx)));
    const { y, rows, bwd } = evaluate((Array.isArray(x) ? values : values[0]) as V);
    const ys = checkNumbers(y, Array.isArray(y) ? y.length : 1, "the custom op's value");
    if (!t) return y as unknown as Result<Y>;
    t.hasCustom = true;
    const J = rows(ys.length);
    const out = ys.map((yj, j) => recordLinear(t, xs, checkNumbers(J[j], xs.length, `row ${j} of the custom derivative`), yj));
    const outs = out.map((o) => (typeof o === "number" ? -1 : o.idx));
    if (bwd && outs.some((o) => o >= 0)) t.customs.push({ top: Math.max(...outs), outs, inputs: xs, bwd });
    return (Array.isArray(y) ? out : out[0]) as Result<Y>;
  };
}

/** Makes an op from `fwd(x) → [y, residuals]` and `bwd(residuals, ct) → ct·∂y/∂x` (x and ct shaped like x and y).
 * Reverse mode calls `bwd` with the real cotangent, so it may be any function of it (a clipped gradient).
 * @example
 * ```ts
 * const clipGrad = ad.customVjp((x: number): [number, null] => [x, null], (_: null, ct: number) => Math.max(-1, Math.min(1, ct)));
 * ad.grad((x: ad.Scalar) => ad.mul(clipGrad(x), 5))(2); // → 1 — the cotangent 5 clipped to 1
 * ```
 */
export function customVjp<V extends number | number[], Y extends number | number[], R>(
  fwd: (x: V) => [Y, R],
  bwd: (residuals: R, ct: Y) => V,
): (x: Operands<V>) => Result<Y> {
  return customOp<V, Y>((x) => {
    const [y, residuals] = fwd(x);
    const shaped = (ct: number[]) => (Array.isArray(y) ? ct : ct[0]) as Y;
    const call = (ct: number[]) => asArray(bwd(residuals, shaped(ct)) as number | number[]);
    const m = Array.isArray(y) ? y.length : 1;
    return { y, rows: () => Array.from({ length: m }, (_, j) => call(Array.from({ length: m }, (_, i) => +(i === j)))), bwd: call };
  });
}

/**
 * Makes an op from `f(x) → y` and `jvp(x, v) → [y, ∂y/∂x·v]` (v shaped like x, ẏ like y).
 * @example
 * ```ts
 * const cube = ad.customJvp((x: number) => x ** 3, (x: number, v: number): [number, number] => [x ** 3, 3 * x * x * v]);
 * ad.grad((x: ad.Scalar) => ad.mul(cube(x), 1))(2); // → 12
 * ```
 */
export function customJvp<V extends number | number[], Y extends number | number[]>(
  f: (x: V) => Y,
  jvp: (x: V, v: V) => [Y, Y],
): (x: Operands<V>) => Result<Y> {
  return customOp<V, Y>((x) => ({
    y: f(x),
    rows: (m) => {
      const n = Array.isArray(x) ? x.length : 1;
      const rows = Array.from({ length: m }, () => new Array<number>(n).fill(0));
      for (let k = 0; k < n; k++) {
        const v = (Array.isArray(x) ? x.map((_, i) => +(i === k)) : 1) as V;
        const col = asArray(jvp(x, v)[1] as number | number[]);
        for (let j = 0; j < m; j++) rows[j][k] = col[j];
      }
      return rows;
    },
  }));
}
