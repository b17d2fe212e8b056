/** @file The TS half of the op table (name → op code and arity), the functional and chained forms of every op, and the composed ops.
 *
 * Values and partials come only from the AS half (assembly/ops.ts); this file records nodes. Adding a
 * primitive touches this table, assembly/ops.ts and one row of test/ops.test.ts.
 */
import { Scalar, Trace, describe, type Operand } from "./trace.js";
import { need, whenLoaded, type Engine } from "./wasm.js";
import { AdError, InputError } from "./errors.js";
import { isTensorLike, Tensor, type TensorKind, type TensorLike } from "./tensor/handle.js";
import { map, matmul, reshape, transpose, slice, gather, broadcastTo, type MatmulOptions } from "./tensor/ops.js";
import { whereTensor, sum, mean, amax, amin, logsumexp, softmax, logSoftmax, dot, norm } from "./tensor/compose.js";

import { Op } from "./opcodes.js";
export { Op };
type OpName = keyof typeof Op;
type Primitive = Uncapitalize<Exclude<OpName, "Const" | "Input">>;

/** A first-partial rule written with adtape ops, so that a nested transform can record a reverse sweep
 * onto an outer trace and differentiate it again: (x, y) are the operands (a handle, a constant number,
 * or 0 for none), v is the node itself, `stored` its partials as the engine computed them. @internal */
export type Partials = (x: Operand, y: Operand, v: Scalar, stored: [number, number]) => [Operand, Operand];

/** A primitive's row on the TS side: its op code, how many operands it takes, whether it branches (a
 * compiled tape re-checks which branch it took, as it does for the comparisons `lt` … `eq`), and its
 * partials written with adtape ops (they must equal the AS row's first partials). @internal */
export interface OpDef {
  readonly code: number;
  readonly arity: 1 | 2;
  readonly branches?: true;
  readonly d: Partials | null;
  /** Which second partials can be non-zero — ∂xx, ∂xy, ∂yy — for Hessian sparsity (absent: all zero). */
  readonly curv?: readonly [0 | 1, 0 | 1, 0 | 1];
}

const ZERO: Partials = () => [0, 0];
const TWO_OVER_SQRT_PI = 1.1283791670955126;

/** The op table: one row per primitive; the mapped type makes the compiler name a missing row. @internal */
export const table = {
  add: { code: Op.Add, arity: 2, d: () => [1, 1] }, // d(x+y) = dx + dy
  sub: { code: Op.Sub, arity: 2, d: () => [1, -1] }, // d(x-y) = dx - dy
  mul: { code: Op.Mul, arity: 2, curv: [0, 1, 0], d: (x, y) => [y, x] }, // d(xy) = y dx + x dy
  div: { code: Op.Div, arity: 2, curv: [0, 1, 1], d: (_, y, v) => [div(1, y), neg(div(v, y))] }, // d(x/y) = dx/y - (x/y)/y dy
  neg: { code: Op.Neg, arity: 1, d: () => [-1, 0] }, // d(-x) = -dx
  pow: {
    code: Op.Pow,
    arity: 2,
    curv: [1, 1, 1],
    // d(xʸ) = y xʸ⁻¹ dx + xʸ log x dy; ∂/∂x = 0 when y = 0, ∂/∂y = 0 at x = 0, y > 0 (as the AS row).
    // NOTE: ∂/∂x is masked only at x = 0 = y (0·∞ there): masking all of y = 0 would also zero its own
    // derivative in y there, xʸ⁻¹, which a nested transform needs (the AS row's ∂²/∂x∂y keeps it).
    d: (x, y, v) => [
      where(mul(equal(y, 0), equal(x, 0)), 0, mul(y, pow(x, sub(y, 1)))),
      where(mul(equal(x, 0), greater(y, 0)), 0, mul(v, log(x))),
    ],
  },
  exp: { code: Op.Exp, arity: 1, curv: [1, 0, 0], d: (_, __, v) => [v, 0] }, // d eˣ = eˣ dx
  log: { code: Op.Log, arity: 1, curv: [1, 0, 0], d: (x) => [div(1, x), 0] }, // d log x = dx / x
  log1p: { code: Op.Log1p, arity: 1, curv: [1, 0, 0], d: (x) => [div(1, add(1, x)), 0] }, // d log(1+x) = dx/(1+x)
  expm1: { code: Op.Expm1, arity: 1, curv: [1, 0, 0], d: (x) => [exp(x), 0] }, // d(eˣ-1) = eˣ dx
  sqrt: { code: Op.Sqrt, arity: 1, curv: [1, 0, 0], d: (_, __, v) => [div(0.5, v), 0] }, // d√x = dx/(2√x)
  sin: { code: Op.Sin, arity: 1, curv: [1, 0, 0], d: (x) => [cos(x), 0] }, // d sin x = cos x dx
  cos: { code: Op.Cos, arity: 1, curv: [1, 0, 0], d: (x) => [neg(sin(x)), 0] }, // d cos x = -sin x dx
  tan: { code: Op.Tan, arity: 1, curv: [1, 0, 0], d: (_, __, v) => [add(1, mul(v, v)), 0] }, // d tan x = (1 + tan²x) dx
  tanh: { code: Op.Tanh, arity: 1, curv: [1, 0, 0], d: (_, __, v) => [sub(1, mul(v, v)), 0] }, // d tanh x = (1 - tanh²x) dx
  // σ(x) = 1/(1 + e⁻ˣ) is a primitive (as JAX's lax.logistic): one pass where its composition took four.
  sigmoid: { code: Op.Sigmoid, arity: 1, curv: [1, 0, 0], d: (_, __, v) => [mul(v, sub(1, v)), 0] }, // dσ = σ(1 - σ) dx
  asin: { code: Op.Asin, arity: 1, curv: [1, 0, 0], d: (x) => [div(1, sqrt(sub(1, mul(x, x)))), 0] }, // d asin x = dx/√(1-x²)
  acos: { code: Op.Acos, arity: 1, curv: [1, 0, 0], d: (x) => [div(-1, sqrt(sub(1, mul(x, x)))), 0] }, // d acos x = -dx/√(1-x²)
  atan: { code: Op.Atan, arity: 1, curv: [1, 0, 0], d: (x) => [div(1, add(1, mul(x, x))), 0] }, // d atan x = dx/(1+x²)
  atan2: {
    code: Op.Atan2,
    arity: 2,
    curv: [1, 1, 1],
    d: (x, y) => {
      const r2 = add(mul(x, x), mul(y, y)); // atan2(x, y): ∂x = y/r², ∂y = -x/r²
      return [div(y, r2), neg(div(x, r2))];
    },
  },
  abs: { code: Op.Abs, arity: 1, branches: true, d: (x) => [sub(greater(x, 0), less(x, 0)), 0] }, // d|x| = sign(x) dx
  min: { code: Op.Min, arity: 2, branches: true, d: (x, y) => [lessEqual(x, y), sub(1, lessEqual(x, y))] }, // a tie sends d to x
  max: { code: Op.Max, arity: 2, branches: true, d: (x, y) => [greaterEqual(x, y), sub(1, greaterEqual(x, y))] },
  erf: { code: Op.Erf, arity: 1, curv: [1, 0, 0], d: (x) => [mul(TWO_OVER_SQRT_PI, exp(neg(mul(x, x)))), 0] }, // d erf x = 2/√π e^(-x²) dx
  lgamma: { code: Op.Lgamma, arity: 1, curv: [1, 0, 0], d: (x) => [digamma(x), 0] }, // d log|Γ(x)| = ψ(x) dx
  digamma: { code: Op.Digamma, arity: 1, curv: [1, 0, 0], d: (x) => [trigamma(x), 0] }, // d ψ(x) = ψ'(x) dx
  trigamma: { code: Op.Trigamma, arity: 1, curv: [1, 0, 0], d: null }, // d ψ'(x) = ψ''(x) dx: no tetragamma op, so no deeper nesting
  stopGradient: { code: Op.StopGradient, arity: 1, d: ZERO },
  less: { code: Op.Less, arity: 2, d: ZERO },
  lessEqual: { code: Op.LessEqual, arity: 2, d: ZERO },
  greater: { code: Op.Greater, arity: 2, d: ZERO },
  greaterEqual: { code: Op.GreaterEqual, arity: 2, d: ZERO },
  equal: { code: Op.Equal, arity: 2, d: ZERO },
  whereTrue: { code: Op.WhereTrue, arity: 2, d: (m) => [0, m] }, // d = m·da
  whereFalse: { code: Op.WhereFalse, arity: 2, d: (m) => [0, sub(1, m)] }, // d = (1-m)·db
  custom: { code: Op.Custom, arity: 2, d: (_, __, ___, stored) => stored }, // the rule's partials, as constants
} as const satisfies { [K in Primitive]: OpDef };

/** The TS row of each op code (undefined for the leaves, Const and Input). @internal */
export const rowOf: (OpDef | undefined)[] = [];
for (const row of Object.values(table) as OpDef[]) rowOf[row.code] = row;

whenLoaded(checkOpCodes);

/** Names of op codes, for error messages (`BranchChanged` names the guard's op). @internal */
export const opName: string[] = [];
for (const [name, row] of Object.entries(table)) opName[row.code] = name;

/** Whether op `code` is a branch point that a compiled tape guards (max, min, abs). @internal */
export const branches = new Uint8Array(256);
for (const row of Object.values(table) as OpDef[]) if (row.branches) branches[row.code] = 1;

/** Fails loudly if the engine's op codes differ from this table's (a stale build, or a row added on one side only). */
function checkOpCodes(e: Engine): void {
  const names = Object.keys(Op) as OpName[];
  const count = (e["Op.Count"] as WebAssembly.Global | undefined)?.value;
  const bad = names.filter((k) => (e[`Op.${k}`] as WebAssembly.Global | undefined)?.value !== Op[k]);
  if (bad.length || count !== names.length) {
    throw new AdError("ENGINE_MISMATCH", `the Wasm op table differs from src/ops.ts at ${bad.join(", ") || "Op.Count"}; rebuild`);
  }
}

/**
 * A one-operand op: numbers in give a number (a constant); a handle in gives a handle.
 * @example
 * ```ts
 * const op: ad.ops.Unary = ad.sin;
 * op(0); // → 0
 * ad.grad((v: ad.Tensor) => op(v).sum())([0, 0]); // → [1, 1]
 * ```
 */
export interface Unary {
  (x: number): number;
  (x: Operand): Scalar;
  (x: TensorLike): Tensor<"nd">;
}
/**
 * A two-operand op, likewise; a tensor operand makes it elementwise, with NumPy broadcasting.
 * @example
 * ```ts
 * const op: ad.ops.Binary = ad.mul;
 * op(2, 3); // → 6
 * ad.grad((v: ad.Tensor) => op(v, [1, 2]).sum())([5, 5]); // → [1, 2]
 * ```
 */
export interface Binary {
  (x: number, y: number): number;
  (x: Operand, y: Operand): Scalar;
  (x: TensorLike, y: TensorLike): Tensor<"nd">;
}

let scratch: Float64Array | undefined;

/** Runs one row of the engine's op table at numbers; the view holds [value, dx, dy, dxx, dxy, dyy] until the next call. */
function runRow(code: number, x: number, y: number): Float64Array {
  const e = need();
  e.evalRow(code, x, y);
  if (!scratch || scratch.length === 0) scratch = new Float64Array(e.memory.buffer, e.rowScratch(), 6);
  return scratch;
}

/** Evaluates a row of the engine's op table at numbers: [value, dx, dy, dxx, dxy, dyy] (a fresh array). @internal */
export function evalRow(code: number, x: number, y = 0): Float64Array {
  return runRow(code, x, y).slice();
}

/** An op on numbers alone: its value, computed by the engine (no allocation). */
function constant(code: number, x: number, y: number): number {
  return runRow(code, x, y)[0];
}

/** The trace a handle operand records onto; anything that is not a Scalar or a number is an error.
 *
 * NOTE: liveness is not checked here: a closed trace has no capacity left, so the first record onto it
 * goes to `Trace.grow`, which throws StaleHandleError. The hot path saves a load and a branch per op.
 */
function traceFrom(x: unknown): Trace {
  if (x instanceof Scalar) return x.trace;
  throw badOperand(x);
}

function badOperand(x: unknown): Error {
  return new InputError(`expected a Scalar, a Tensor or a number, got ${describe(x)}`, "operand");
}

function unary(code: number): Unary {
  const name = opName[code];
  return ((x: Operand) => {
    if (typeof x === "number") return constant(code, x, 0);
    if (!(x instanceof Scalar) && isTensorLike(x)) return map(code, name, x);
    const t = traceFrom(x);
    const i = t.n === t.cap ? t.grow() : t.n;
    t.op[i] = code;
    t.a[i] = x.idx;
    t.b[i] = 0;
    t.n = i + 1;
    return new Scalar(t, i);
  }) as Unary;
}

/** Presets constant c in node i's value slot and returns i, the operand index that means "my slot" (the
 * engine reads the constant from there; see assembly/layout.ts). */
function constantOperand(t: Trace, i: number, c: number): number {
  t.val[i] = c;
  return i;
}

/** The rare cases of a binary op: two numbers (a constant result), a tensor operand (an elementwise op), or an operand that is neither. */
function binaryRare(code: number, x: unknown, y: unknown): number | Tensor<"nd"> {
  if (x === undefined || y === undefined) throw badOperand(undefined); // a binary op given one operand
  if (typeof x === "number" && typeof y === "number") return constant(code, x, y);
  if (isTensorLike(x) || isTensorLike(y)) return map(code, opName[code], x, y);
  throw badOperand(typeof x === "number" ? y : x);
}

// NOTE: the hot path of every recording, kept small so that V8 inlines several of them into the user's
// loop: no allocation but the handle, and a constant operand costs no node. The second operand is known
// to be a Scalar by its numeric index (a Tensor has no `idx`): an `instanceof` there cost 16% on W2.
function binary(code: number): Binary {
  return ((x: Operand, y: Operand) => {
    const h = typeof x === "number" ? y : x;
    if (!(h instanceof Scalar) || (typeof y !== "number" && typeof (y as Scalar | undefined)?.idx !== "number")) return binaryRare(code, x, y);
    const t = h.trace;
    const i = t.n === t.cap ? t.grow() : t.n;
    t.op[i] = code;
    t.a[i] = typeof x === "number" ? constantOperand(t, i, x) : x.idx;
    t.b[i] = typeof y === "number" ? constantOperand(t, i, y) : y.trace === t ? y.idx : t.index(y);
    t.n = i + 1;
    return new Scalar(t, i);
  }) as Binary;
}

/** A comparison for control flow: returns a boolean and records a guard (re-checked when a tape is replayed). */
function comparison(code: number): (x: Operand, y: Operand) => boolean {
  return (x, y) => {
    if (typeof x === "number" && typeof y === "number") return constant(code, x, y) !== 0;
    if (isTensorLike(x) || isTensorLike(y)) {
      throw new InputError(`${opName[code]} compares scalars (it returns one boolean); for tensors, select with where(mask, a, b) and a mask such as less(a, b)`, "operand");
    }
    const t = traceFrom(typeof x === "number" ? y : x);
    const i = t.node(code, t.index(x), t.index(y));
    t.guards.push(i);
    return t.value(i) !== 0;
  };
}

// One statement per op: typedoc gives every declarator of a statement that statement's doc comment.
/**
 * x + y.
 * @example
 * ```ts
 * ad.add(2, 3); // → 5
 * ad.grad((x: ad.Scalar) => ad.add(x, x))(1); // → 2
 * ```
 */
export const add = binary(Op.Add);
/**
 * x − y.
 * @example
 * ```ts
 * ad.sub(2, 3); // → -1
 * ad.grad((x: ad.Scalar) => ad.sub(1, x))(5); // → -1
 * ```
 */
export const sub = binary(Op.Sub);
/**
 * x · y.
 * @example
 * ```ts
 * ad.grad((v: ad.Tensor) => ad.mul(v.at(0), v.at(1)))([2, 3]); // → [3, 2]
 * ```
 */
export const mul = binary(Op.Mul);
/**
 * x / y.
 * @example
 * ```ts
 * ad.grad((x: ad.Scalar) => ad.div(1, x))(2); // → -0.25
 * ```
 */
export const div = binary(Op.Div);
/**
 * xʸ; ∂/∂x is 0 where y = 0, and ∂/∂y is 0 at x = 0 for y > 0.
 * @example
 * ```ts
 * ad.grad((v: ad.Tensor) => ad.pow(v.at(0), v.at(1)))([2, 3]); // → [12, 8 * Math.LN2]
 * ```
 */
export const pow = binary(Op.Pow);
/**
 * The angle of the point (y, x) in (−π, π], as `Math.atan2(x, y)`.
 * @example
 * ```ts
 * ad.atan2(1, 1); // → Math.PI / 4
 * ad.grad((v: ad.Tensor) => ad.atan2(v.at(0), v.at(1)))([1, 1]); // → [0.5, -0.5]
 * ```
 */
export const atan2 = binary(Op.Atan2);
/**
 * The smaller of x and y; at a tie the whole derivative goes to x (a compiled tape guards the branch).
 * @example
 * ```ts
 * ad.grad((v: ad.Tensor) => ad.min(v.at(0), v.at(1)))([2, 2]); // → [1, 0]
 * ```
 */
export const min = binary(Op.Min);
/**
 * The larger of x and y; at a tie the whole derivative goes to x (a compiled tape guards the branch).
 * @example
 * ```ts
 * ad.grad((v: ad.Tensor) => ad.max(v.at(0), v.at(1)))([1, 3]); // → [0, 1]
 * ```
 */
export const max = binary(Op.Max);
/**
 * −x.
 * @example
 * ```ts
 * ad.grad((x: ad.Scalar) => ad.neg(x))(3); // → -1
 * ```
 */
export const neg = unary(Op.Neg);
/**
 * eˣ.
 * @example
 * ```ts
 * ad.exp(1); // → Math.E
 * ad.grad((x: ad.Scalar) => ad.exp(x))(0); // → 1
 * ```
 */
export const exp = unary(Op.Exp);
/**
 * The natural logarithm of x.
 * @example
 * ```ts
 * ad.grad((x: ad.Scalar) => ad.log(x))(4); // → 0.25
 * ```
 */
export const log = unary(Op.Log);
/**
 * log(1 + x), accurate for x near 0.
 * @example
 * ```ts
 * ad.log1p(1e-20); // → 1e-20
 * ad.grad((x: ad.Scalar) => ad.log1p(x))(1); // → 0.5
 * ```
 */
export const log1p = unary(Op.Log1p);
/**
 * eˣ − 1, accurate for x near 0.
 * @example
 * ```ts
 * ad.expm1(1e-20); // → 1e-20
 * ad.grad((x: ad.Scalar) => ad.expm1(x))(0); // → 1
 * ```
 */
export const expm1 = unary(Op.Expm1);
/**
 * √x; its derivative at 0 is +∞.
 * @example
 * ```ts
 * ad.grad((x: ad.Scalar) => ad.sqrt(x))(4); // → 0.25
 * ```
 */
export const sqrt = unary(Op.Sqrt);
/**
 * sin x.
 * @example
 * ```ts
 * ad.grad((x: ad.Scalar) => ad.sin(x))(0); // → 1
 * ```
 */
export const sin = unary(Op.Sin);
/**
 * cos x.
 * @example
 * ```ts
 * ad.grad((x: ad.Scalar) => ad.cos(x))(Math.PI / 2); // → -1
 * ```
 */
export const cos = unary(Op.Cos);
/**
 * tan x.
 * @example
 * ```ts
 * ad.grad((x: ad.Scalar) => ad.tan(x))(Math.PI / 4); // → 2
 * ```
 */
export const tan = unary(Op.Tan);
/**
 * tanh x.
 * @example
 * ```ts
 * ad.grad((x: ad.Scalar) => ad.tanh(x))(0); // → 1
 * ```
 */
export const tanh = unary(Op.Tanh);
/**
 * arcsin x, for x in [−1, 1].
 * @example
 * ```ts
 * ad.grad((x: ad.Scalar) => ad.asin(x))(0.6); // → 1.25
 * ```
 */
export const asin = unary(Op.Asin);
/**
 * arccos x, for x in [−1, 1].
 * @example
 * ```ts
 * ad.grad((x: ad.Scalar) => ad.acos(x))(0.6); // → -1.25
 * ```
 */
export const acos = unary(Op.Acos);
/**
 * arctan x.
 * @example
 * ```ts
 * ad.grad((x: ad.Scalar) => ad.atan(x))(1); // → 0.5
 * ```
 */
export const atan = unary(Op.Atan);
/**
 * |x|, with abs′(0) = 0 (a compiled tape guards the sign).
 * @example
 * ```ts
 * ad.grad((x: ad.Scalar) => ad.abs(x))(-2); // → -1
 * ad.grad((x: ad.Scalar) => ad.abs(x))(0); // → 0
 * ```
 */
export const abs = unary(Op.Abs);
/**
 * The error function, (2/√π) ∫₀ˣ e^(−t²) dt.
 * @example
 * ```ts
 * ad.grad((x: ad.Scalar) => ad.erf(x))(0); // → 2 / Math.sqrt(Math.PI)
 * ```
 */
export const erf = unary(Op.Erf);
/**
 * log|Γ(x)| for all real x; its derivative is `digamma`.
 * @example
 * ```ts
 * ad.lgamma(5); // → Math.log(24)
 * ad.grad((x: ad.Scalar) => ad.lgamma(x))(1); // → -0.5772156649015329 — −γ
 * ```
 */
export const lgamma = unary(Op.Lgamma);
/**
 * σ(x) = 1 / (1 + e⁻ˣ).
 * @example
 * ```ts
 * ad.sigmoid(0); // → 0.5
 * ad.grad((x: ad.Scalar) => ad.sigmoid(x))(0); // → 0.25
 * ```
 */
export const sigmoid = unary(Op.Sigmoid);
/**
 * ψ(x) = d/dx log|Γ(x)|, the partial of lgamma as an op of its own (so lgamma nests).
 * @example
 * ```ts
 * ad.digamma(1); // → -0.5772156649015329 — −γ
 * ```
 */
export const digamma = unary(Op.Digamma);
/**
 * ψ′(x), the derivative of digamma as an op of its own (so lgamma nests to third order).
 * @example
 * ```ts
 * ad.trigamma(1); // → Math.PI ** 2 / 6
 * ```
 */
export const trigamma = unary(Op.Trigamma);
/**
 * The value of x with zero derivative.
 * @example
 * ```ts
 * ad.grad((x: ad.Scalar) => ad.mul(x, ad.stopGradient(x)))(3); // → 3
 * ```
 */
export const stopGradient = unary(Op.StopGradient);
/**
 * The mask x < y: 1 or 0 with no derivative, for `where`.
 * @example
 * ```ts
 * ad.less(1, 2); // → 1
 * ad.grad((x: ad.Scalar) => ad.where(ad.less(x, 0), ad.neg(x), x))(-3); // → -1
 * ```
 */
export const less = binary(Op.Less);
/**
 * The mask x ≤ y: 1 or 0 with no derivative, for `where`.
 * @example
 * ```ts
 * ad.lessEqual(2, 2); // → 1
 * ```
 */
export const lessEqual = binary(Op.LessEqual);
/**
 * The mask x > y: 1 or 0 with no derivative, for `where`.
 * @example
 * ```ts
 * ad.greater(1, 2); // → 0
 * ```
 */
export const greater = binary(Op.Greater);
/**
 * The mask x ≥ y: 1 or 0 with no derivative, for `where`.
 * @example
 * ```ts
 * ad.greaterEqual(2, 2); // → 1
 * ```
 */
export const greaterEqual = binary(Op.GreaterEqual);
/**
 * The mask x = y: 1 or 0 with no derivative, for `where`.
 * @example
 * ```ts
 * ad.equal(2, 3); // → 0
 * ```
 */
export const equal = binary(Op.Equal);
/**
 * x < y as a boolean, for control flow; it records a guard, which a compiled tape re-checks on replay.
 * @example
 * ```ts
 * const f = (x: ad.Scalar) => (ad.lt(x, 0) ? ad.neg(x) : ad.square(x));
 * [ad.grad(f)(-2), ad.grad(f)(3)]; // → [-1, 6]
 * ```
 */
export const lt = comparison(Op.Less);
/**
 * x ≤ y as a boolean, for control flow; it records a guard.
 * @example
 * ```ts
 * ad.grad((x: ad.Scalar) => (ad.le(x, 1) ? x : ad.mul(2, x)))(1); // → 1
 * ```
 */
export const le = comparison(Op.LessEqual);
/**
 * x > y as a boolean, for control flow; it records a guard.
 * @example
 * ```ts
 * ad.grad((x: ad.Scalar) => (ad.gt(x, 0) ? ad.log(x) : x))(2); // → 0.5
 * ```
 */
export const gt = comparison(Op.Greater);
/**
 * x ≥ y as a boolean, for control flow; it records a guard.
 * @example
 * ```ts
 * ad.ge(2, 2); // → true
 * ```
 */
export const ge = comparison(Op.GreaterEqual);
/**
 * x = y as a boolean, for control flow; it records a guard.
 * @example
 * ```ts
 * ad.eq(1, 2); // → false
 * ```
 */
export const eq = comparison(Op.Equal);

/**
 * Selects a where mask ≠ 0, else b; both branches are recorded, and the one not taken gets exactly zero derivative.
 * @example
 * ```ts
 * ad.where(ad.greater(2, 0), 10, 20); // → 10
 * ad.grad((x: ad.Scalar) => ad.where(ad.greater(x, 0), ad.sqrt(x), 0))(0); // → 0 — not NaN, though sqrt′(0) = ∞
 * ```
 */
export function where(mask: Operand | boolean, a: number, b: number): number;
export function where(mask: Operand | boolean, a: Operand, b: Operand): Operand;
export function where(mask: TensorLike | boolean, a: TensorLike, b: TensorLike): Tensor<"nd">;
export function where(mask: unknown, a: unknown, b: unknown): unknown {
  if (typeof mask === "boolean" || typeof mask === "number") return mask ? a : b;
  if (isTensorLike(mask) || isTensorLike(a) || isTensorLike(b)) return whereTensor(mask, a, b);
  const t = traceFrom(mask);
  const m = (mask as Scalar).idx;
  const kept = new Scalar(t, t.node(Op.WhereTrue, m, t.index(a as Operand)));
  return add(kept, new Scalar(t, t.node(Op.WhereFalse, m, t.index(b as Operand))));
}

// Composed ops: built from primitives, no rules of their own.
/**
 * x².
 * @example
 * ```ts
 * ad.grad((x: ad.Scalar) => ad.square(x))(3); // → 6
 * ```
 */
export const square = ((x: Operand) => mul(x, x)) as Unary;
/**
 * log(1 + eˣ), evaluated without overflow: x + log1p(e⁻ˣ) for x > 0, log1p(eˣ) otherwise.
 * @example
 * ```ts
 * ad.softplus(1000); // → 1000
 * ad.grad((x: ad.Scalar) => ad.softplus(x))(0); // → 0.5
 * ```
 */
export const softplus = ((x: Operand) => where(greater(x, 0), add(x, log1p(exp(neg(x)))), log1p(exp(x)))) as Unary;
/**
 * max(0, x), with relu'(0) = 0 (a tie sends the derivative to the constant 0).
 * @example
 * ```ts
 * ad.grad((x: ad.Scalar) => ad.relu(x))(2); // → 1
 * ad.grad((x: ad.Scalar) => ad.relu(x))(0); // → 0
 * ```
 */
export const relu = ((x: Operand) => max(0, x)) as Unary;
/**
 * √(x² + y²).
 * @example
 * ```ts
 * ad.hypot(3, 4); // → 5
 * ad.grad((v: ad.Tensor) => ad.hypot(v.at(0), v.at(1)))([3, 4]); // → [0.6, 0.8]
 * ```
 */
export const hypot = ((x: Operand, y: Operand) => sqrt(add(mul(x, x), mul(y, y)))) as Binary;

const unaries = { neg, exp, log, log1p, expm1, sqrt, sin, cos, tan, tanh, asin, acos, atan, abs, erf, lgamma, digamma, trigamma, stopGradient, square, sigmoid, softplus, relu };
const binaries = { add, sub, mul, div, pow, atan2, min, max, hypot, less, lessEqual, greater, greaterEqual, equal };
const comparisons = { lt, le, gt, ge, eq };

type Chained = { [K in keyof typeof unaries]: () => Scalar } & { [K in keyof typeof binaries]: (y: Operand) => Scalar } & {
  [K in keyof typeof comparisons]: (y: Operand) => boolean;
};
declare module "./trace.js" {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Scalar extends Chained {}
}

// The chained forms (`x.mul(y).sin()`), installed from the same functions.
const proto = Scalar.prototype as unknown as Record<string, unknown>;
for (const [name, f] of Object.entries(unaries)) proto[name] = function (this: Scalar) { return (f as Unary)(this); };
for (const [name, f] of Object.entries({ ...binaries, ...comparisons })) {
  proto[name] = function (this: Scalar, y: Operand) { return (f as (a: Operand, b: Operand) => unknown)(this, y); };
}

/** The chained forms on tensors: every elementwise op, and the tensor ops that take one tensor first. */
const tensorMethods = {
  /** {@inheritDoc matmul} */ matmul: (x: Tensor<TensorKind>, y: TensorLike, o?: MatmulOptions) => matmul(x, y, o),
  sum,
  /** {@inheritDoc mean} */ mean,
  amax, amin, logsumexp,
  /** {@inheritDoc softmax} */ softmax,
  /** {@inheritDoc logSoftmax} */ logSoftmax,
  /** {@inheritDoc dot} */ dot,
  /** {@inheritDoc norm} */ norm,
  /** {@inheritDoc reshape} */ reshape,
  /** {@inheritDoc transpose} */ transpose,
  /** {@inheritDoc slice} */ slice,
  /** {@inheritDoc gather} */ gather,
  /** {@inheritDoc broadcastTo} */ broadcastTo,
};
type Rest<F> = F extends (x: never, ...rest: infer R) => infer Y ? (...rest: R) => Y : never;
type TensorChained = { [K in keyof typeof unaries]: () => Tensor<"nd"> } & {
  [K in keyof typeof binaries]: (y: TensorLike) => Tensor<"nd">;
} & { [K in keyof typeof tensorMethods]: Rest<(typeof tensorMethods)[K]> };
declare module "./tensor/handle.js" {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Tensor<K extends TensorKind> extends TensorChained {}
}
const tproto = Tensor.prototype as unknown as Record<string, unknown>;
for (const [name, f] of Object.entries(unaries)) tproto[name] = function (this: Tensor) { return (f as Unary)(this); };
for (const [name, f] of Object.entries({ ...binaries, ...tensorMethods })) {
  tproto[name] = function (this: Tensor, ...rest: unknown[]) { return (f as (a: unknown, ...r: unknown[]) => unknown)(this, ...rest); };
}
