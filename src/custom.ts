/** @file Custom rules: `customVjp` and `customJvp` make a primitive from a user's value function and derivative rule.
 *
 * The rule runs in JS when the op is recorded: its value and its local partials (one `bwd` call per
 * output with a unit cotangent, or one `jvp` call per input with a unit tangent) are preset on a
 * `Custom` node, which every sweep then treats like any op. So the result is exact to first order in
 * forward and reverse mode and inside `jacobian`, for any rule that is linear in its cotangent or
 * tangent, as a VJP or JVP is. Not yet: a rule that is not (a gradient clipped by size needs the sweep
 * to call `bwd` with the real cotangent), and second order (`hvp`/`hessian` refuse a custom op). A
 * compiled tape that contains one is re-recorded on every call (its values come from JS).
 */
import { Scalar, type Trace, type Operand, describe } from "./trace.js";
import { Op } from "./ops.js";
import { InputError, OutputError } from "./errors.js";

/** A custom op takes one operand, or an array of them (its rule sees a number, or a number[]), and returns
 * a Scalar, or an array of them, as its rule returns a number or a number[]. */
type Operands<V> = V extends readonly unknown[] ? readonly Operand[] : Operand;
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

/** Records a custom op: `rows(values, y)` gives ∂yⱼ/∂xₖ as m rows of n partials. */
function customOp<V extends number | number[], Y>(value: (x: V) => Y, rows: (x: V, y: Y, m: number) => number[][]) {
  return (x: Operands<V>): Result<Y> => {
    const xs = (Array.isArray(x) ? x : [x]) as readonly Operand[];
    const t = traceOf(xs);
    const values = xs.map((v) => (typeof v === "number" ? v : t!.value(v.idx)));
    const xv = (Array.isArray(x) ? values : values[0]) as V;
    const y = value(xv);
    const ys = checkNumbers(y, Array.isArray(y) ? y.length : 1, "the custom op's value");
    if (!t) return y as unknown as Result<Y>;
    t.hasCustom = true;
    const J = rows(xv, y, ys.length);
    const out = ys.map((yj, j) => recordLinear(t, xs, checkNumbers(J[j], xs.length, `row ${j} of the custom derivative`), yj));
    return (Array.isArray(y) ? out : out[0]) as Result<Y>;
  };
}

/** Makes an op from `fwd(x) → [y, residuals]` and `bwd(residuals, ct) → ct·∂y/∂x` (x and ct shaped like x and y). */
export function customVjp<V extends number | number[], Y extends number | number[], R>(
  fwd: (x: V) => [Y, R],
  bwd: (residuals: R, ct: Y) => V,
): (x: Operands<V>) => Result<Y> {
  let residuals: R;
  return customOp<V, Y>(
    (x) => {
      const [y, r] = fwd(x);
      residuals = r;
      return y;
    },
    (_, y, m) =>
      Array.from({ length: m }, (_, j) => {
        const ct = (Array.isArray(y) ? y.map((_, i) => +(i === j)) : 1) as Y;
        const g = bwd(residuals, ct);
        return typeof g === "number" ? [g] : Array.from(g as number[]);
      }),
  );
}

/** Makes an op from `f(x) → y` and `jvp(x, v) → [y, ∂y/∂x·v]` (v shaped like x, ẏ like y). */
export function customJvp<V extends number | number[], Y extends number | number[]>(
  f: (x: V) => Y,
  jvp: (x: V, v: V) => [Y, Y],
): (x: Operands<V>) => Result<Y> {
  return customOp<V, Y>(f, (x, _, m) => {
    const n = Array.isArray(x) ? x.length : 1;
    const rows = Array.from({ length: m }, () => new Array<number>(n).fill(0));
    for (let k = 0; k < n; k++) {
      const v = (Array.isArray(x) ? x.map((_, i) => +(i === k)) : 1) as V;
      const ydot: number | number[] = jvp(x, v)[1];
      const col = typeof ydot === "number" ? [ydot] : ydot;
      for (let j = 0; j < m; j++) rows[j][k] = col[j];
    }
    return rows;
  });
}
