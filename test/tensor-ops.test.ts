/** @file The table-driven tensor op test, elementwise half: every scalar primitive lifted to tensors, each binary op
 * under every broadcasting case, masks and where; value against plain-JS references, gradients against
 * Richardson differences of those references, compiled replay against eager (tensor-helpers.ts runs the rows). */
import { describe, it, expect } from "vitest";
import * as ad from "../src/index.js";
import { rng } from "./helpers.js";
import {
  type Gen, type Handle, type Handles, type Input, type Plain, type Row,
  P, T, S, U, away, lattice, ints, tIn, vIn, sIn, ew1, ew2, scalarPlain, defineRows, gradOf,
} from "./tensor-helpers.js";

type Bin = (a: Handle | number | ad.TensorLike, b: Handle | number | ad.TensorLike) => ad.Tensor<"nd">;
type Un = (a: ad.TensorLike) => ad.Tensor<"nd">;
type F2 = (x: number, y: number) => number;

// erf, lgamma and digamma: the scalar op at numbers (tested against mpmath in ops.test.ts) is the reference.
const erf = (x: number) => ad.erf(x), lgamma = (x: number) => ad.lgamma(x), digamma = (x: number) => ad.digamma(x);
const trigamma = (x: number) => ad.trigamma(x);
/** Poles avoided: mostly positive, sometimes in (−4, 0) at least 0.2 from an integer. */
const gammaDomain: Gen = (r) => (r() < 0.7 ? U(0.3, 4)(r) : -U(0.2, 0.8)(r) - Math.floor(U(0, 3)(r)));

/** Binary ops: [name, op, reference, generator of a, generator of b] (domains inside, kinks at least 0.15 away). */
const binaries: Array<[string, Bin, F2, Gen, Gen]> = [
  ["add", ad.add as Bin, (x, y) => x + y, U(-3, 3), U(-3, 3)],
  ["sub", ad.sub as Bin, (x, y) => x - y, U(-3, 3), U(-3, 3)],
  ["mul", ad.mul as Bin, (x, y) => x * y, U(-3, 3), U(-3, 3)],
  ["div", ad.div as Bin, (x, y) => x / y, U(-3, 3), away(0.5, 2)],
  ["pow", ad.pow as Bin, Math.pow, U(0.2, 3), U(-2, 2)],
  ["atan2", ad.atan2 as Bin, Math.atan2, away(0.3, 3), away(0.3, 3)],
  ["min", ad.min as Bin, Math.min, lattice(0), lattice(0.25)],
  ["max", ad.max as Bin, Math.max, lattice(0), lattice(0.25)],
  ["hypot", ad.hypot as Bin, (x, y) => Math.sqrt(x * x + y * y), away(0.3, 3), away(0.3, 3)],
];

/** Unary ops: [name, op, reference, generator, no derivative]. */
const unaries: Array<[string, Un, (x: number) => number, Gen, boolean?]> = [
  ["neg", ad.neg, (x) => -x, U(-3, 3)],
  ["exp", ad.exp, Math.exp, U(-3, 3)],
  ["log", ad.log, Math.log, U(0.2, 3)],
  ["log1p", ad.log1p, Math.log1p, U(-0.5, 3)],
  ["expm1", ad.expm1, Math.expm1, U(-3, 3)],
  ["sqrt", ad.sqrt, Math.sqrt, U(0.2, 3)],
  ["sin", ad.sin, Math.sin, U(-3, 3)],
  ["cos", ad.cos, Math.cos, U(-3, 3)],
  ["tan", ad.tan, Math.tan, U(-1.2, 1.2)],
  ["tanh", ad.tanh, Math.tanh, U(-3, 3)],
  ["asin", ad.asin, Math.asin, U(-0.9, 0.9)],
  ["acos", ad.acos, Math.acos, U(-0.9, 0.9)],
  ["atan", ad.atan, Math.atan, U(-3, 3)],
  ["abs", ad.abs, Math.abs, away(0.1, 3)],
  ["erf", ad.erf, erf, U(-2, 2)],
  ["lgamma", ad.lgamma, lgamma, gammaDomain],
  ["digamma", ad.digamma, digamma, gammaDomain],
  ["trigamma", ad.trigamma, trigamma, gammaDomain],
  ["square", ad.square, (x) => x * x, U(-3, 3)],
  ["sigmoid", ad.sigmoid, (x) => 1 / (1 + Math.exp(-x)), U(-3, 3)],
  ["softplus", ad.softplus, (x) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))), away(0.1, 3)],
  ["relu", ad.relu, (x) => Math.max(0, x), away(0.1, 3)],
  ["stopGradient", ad.stopGradient, (x) => x, U(-3, 3), true],
];

/** A broadcasting case: its inputs (from the op's generators) and how they become the op's two operands. */
interface Case {
  name: string;
  inputs: (ga: Gen, gb: Gen) => Input[];
  operands: (xs: Handles, c: Consts) => [Handle | number | ad.TensorLike, Handle | number | ad.TensorLike];
  plain: (xs: Plain[], c: Consts) => [Plain, Plain];
}
/** Constant operands drawn from the op's domains: numbers a, b and three-element arrays as, bs. */
interface Consts {
  a: number;
  b: number;
  as: number[];
  bs: number[];
}
const constsOf = (ga: Gen, gb: Gen, r: () => number): Consts => ({ a: ga(r), b: gb(r), as: [ga(r), ga(r), ga(r)], bs: [gb(r), gb(r), gb(r)] });
const cases: Case[] = [
  { name: "same shape [2,3]", inputs: (a, b) => [tIn([2, 3], a), tIn([2, 3], b)], operands: (x) => [x[0], x[1]], plain: (p) => [p[0], p[1]] },
  { name: "number operand", inputs: (a) => [tIn([2, 3], a)], operands: (x, c) => [x[0], c.b], plain: (p, c) => [p[0], scalarPlain(c.b)] },
  { name: "number on the left", inputs: (_, b) => [tIn([2, 3], b)], operands: (x, c) => [c.a, x[0]], plain: (p, c) => [scalarPlain(c.a), p[0]] },
  { name: "Scalar input", inputs: (a, b) => [tIn([2, 3], a), sIn(b)], operands: (x) => [x[0], x[1]], plain: (p) => [p[0], p[1]] },
  { name: "Scalar on the left", inputs: (a, b) => [sIn(a), tIn([2, 3], b)], operands: (x) => [x[0], x[1]], plain: (p) => [p[0], p[1]] },
  {
    name: "Scalar from x.at(1, 0)",
    inputs: (a, b) => [tIn([2, 3], a), tIn([2, 2], b)],
    operands: (x) => [x[0], T(x, 1).at(1, 0)],
    plain: (p) => [p[0], scalarPlain(p[1].data[2])],
  },
  {
    name: "Scalar from an op result's at(1, 1)",
    inputs: (a, b) => [tIn([2, 3], a), tIn([2, 2], b)],
    operands: (x) => [x[0], ad.mul(T(x, 1), 1).at(1, 1)],
    plain: (p) => [p[0], scalarPlain(p[1].data[3])],
  },
  { name: "row [1,3] vs [2,3]", inputs: (a, b) => [tIn([2, 3], a), tIn([1, 3], b)], operands: (x) => [x[0], x[1]], plain: (p) => [p[0], p[1]] },
  { name: "column [2,1] vs row [1,3]", inputs: (a, b) => [tIn([2, 1], a), tIn([1, 3], b)], operands: (x) => [x[0], x[1]], plain: (p) => [p[0], p[1]] },
  { name: "rank mismatch [3] vs [2,3]", inputs: (a, b) => [tIn([3], a), tIn([2, 3], b)], operands: (x) => [x[0], x[1]], plain: (p) => [p[0], p[1]] },
  { name: "0-d vs [2,3]", inputs: (a, b) => [tIn([2, 3], a), tIn([], b)], operands: (x) => [x[0], x[1]], plain: (p) => [p[0], p[1]] },
  { name: "3-D [2,1,3] vs [4,1]", inputs: (a, b) => [tIn([2, 1, 3], a), tIn([4, 1], b)], operands: (x) => [x[0], x[1]], plain: (p) => [p[0], p[1]] },
  { name: "empty [0,3] vs [1,3]", inputs: (a, b) => [tIn([0, 3], a), tIn([1, 3], b)], operands: (x) => [x[0], x[1]], plain: (p) => [p[0], p[1]] },
  { name: "vector input [3] vs [2,3]", inputs: (a, b) => [vIn(3, a), tIn([2, 3], b)], operands: (x) => [x[0], x[1]], plain: (p) => [p[0], p[1]] },
  { name: "constant TensorData [1,3]", inputs: (a) => [tIn([2, 3], a)], operands: (x, c) => [x[0], ad.tensor(c.bs, [1, 3])], plain: (p, c) => [p[0], P(c.bs, [1, 3])] },
  { name: "constant number[] on the left", inputs: (_, b) => [tIn([2, 3], b)], operands: (x, c) => [c.as, x[0]], plain: (p, c) => [P(c.as, [3]), p[0]] },
  { name: "constant Float64Array [3]", inputs: (a) => [tIn([2, 3], a)], operands: (x, c) => [x[0], Float64Array.from(c.bs)], plain: (p, c) => [p[0], P(c.bs, [3])] },
];

const binaryRows: Row[] = binaries.flatMap(([name, op, f, ga, gb]) =>
  cases.map((k): Row => {
    const c = constsOf(ga, gb, rng(name.length * 7919 + k.name.length));
    return {
      name: `${name}, ${k.name}`,
      inputs: k.inputs(ga, gb),
      f: (xs) => op(...k.operands(xs, c)),
      ref: (ps) => ew2(...k.plain(ps, c), f),
    };
  }),
);

const unaryShapes: Array<[string, (g: Gen) => Input]> = [
  ["[2,3]", (g) => tIn([2, 3], g)],
  ["0-d", (g) => tIn([], g)],
  ["empty [0,2]", (g) => tIn([0, 2], g)],
  ["3-D [2,1,2]", (g) => tIn([2, 1, 2], g)],
  ["vector input [4]", (g) => vIn(4, g)],
];
const unaryRows: Row[] = unaries.flatMap(([name, op, f, g, noGrad]) =>
  unaryShapes.map(([shape, input]): Row => ({
    name: `${name}, ${shape}`,
    inputs: [input(g)],
    f: (xs) => op(T(xs, 0)),
    ref: (ps) => ew1(ps[0], f),
    grad: noGrad ? "zero" : "fd",
  })),
);

const masks: Array<[string, Bin, F2]> = [
  ["less", ad.less as Bin, (x, y) => +(x < y)],
  ["lessEqual", ad.lessEqual as Bin, (x, y) => +(x <= y)],
  ["greater", ad.greater as Bin, (x, y) => +(x > y)],
  ["greaterEqual", ad.greaterEqual as Bin, (x, y) => +(x >= y)],
  ["equal", ad.equal as Bin, (x, y) => +(x === y)],
];
const maskCases = cases.filter((k) => !k.name.startsWith("Scalar from an op"));
const MASK_CONSTS: Consts = { a: 0, b: 1, as: [1, 0, -1], bs: [0, 0, 1] };
const maskRows: Row[] = masks.flatMap(([name, op, f]) =>
  maskCases.map((k): Row => ({
    name: `${name}, ${k.name}`,
    inputs: k.inputs(ints, ints),
    f: (xs) => op(...k.operands(xs, MASK_CONSTS)),
    ref: (ps) => ew2(...k.plain(ps, MASK_CONSTS), f),
    grad: "zero",
  })),
);

/** where(mask, a, b) → reference: m ? a : b, all three broadcast. */
const sel = (m: Plain, a: Plain, b: Plain): Plain => ew2(ew2(m, a, (x, y) => (x ? y : NaN)), b, (x, y) => (Number.isNaN(x) ? y : x));
const whereRows: Row[] = [
  {
    name: "where(x > 0, a, b), all [2,3]",
    inputs: [tIn([2, 3], away(0.1, 2)), tIn([2, 3], U(-2, 2)), tIn([2, 3], U(-2, 2))],
    f: (xs) => ad.where(ad.greater(T(xs, 0), 0), T(xs, 1), T(xs, 2)) as ad.Tensor<"nd">,
    ref: (ps) => sel(ew1(ps[0], (v) => +(v > 0)), ps[1], ps[2]),
  },
  {
    name: "where(mask [2,1], a [1,3], number)",
    inputs: [tIn([2, 1], away(0.1, 2)), tIn([1, 3], U(-2, 2))],
    f: (xs) => ad.where(ad.greater(T(xs, 0), 0), T(xs, 1), 0.5) as ad.Tensor<"nd">,
    ref: (ps) => sel(ew1(ps[0], (v) => +(v > 0)), ps[1], scalarPlain(0.5)),
  },
  {
    name: "where(x < y [3] vs [2,3], Scalar, b [2,3])",
    inputs: [tIn([2, 3], lattice(0)), tIn([3], lattice(0.25)), sIn(U(-2, 2)), tIn([2, 3], U(-2, 2))],
    f: (xs) => ad.where(ad.less(T(xs, 0), T(xs, 1)), S(xs, 2), T(xs, 3)) as ad.Tensor<"nd">,
    ref: (ps) => sel(ew2(ps[0], ps[1], (x, y) => +(x < y)), ps[2], ps[3]),
  },
  {
    name: "where(Scalar mask, a [2,3], b [3])",
    inputs: [tIn([2, 3], U(-2, 2)), tIn([3], U(-2, 2))],
    f: (xs) => ad.where(ad.greater(T(xs, 0).at(0, 0), 0), T(xs, 0), T(xs, 1)) as ad.Tensor<"nd">,
    ref: (ps) => sel(scalarPlain(+(ps[0].data[0] > 0)), ps[0], ps[1]),
  },
  {
    name: "safe log: where(x > 0, log x, −x)",
    inputs: [tIn([3, 2], away(0.1, 3))],
    f: (xs) => ad.where(ad.greater(T(xs, 0), 0), ad.log(T(xs, 0)), ad.neg(T(xs, 0))) as ad.Tensor<"nd">,
    ref: (ps) => ew1(ps[0], (v) => (v > 0 ? Math.log(v) : -v)),
  },
];

/** Longer rows: SIMD blocks and their remainders, broadcast walks of several runs. */
const largeRows: Row[] = [
  { name: "add [7,33] + [33]", inputs: [tIn([7, 33], U(-3, 3)), tIn([33], U(-3, 3))], f: (xs) => ad.add(T(xs, 0), T(xs, 1)), ref: (ps) => ew2(ps[0], ps[1], (x, y) => x + y), sample: 30 },
  { name: "mul [7,33] · [7,1]", inputs: [tIn([7, 33], U(-3, 3)), tIn([7, 1], U(-3, 3))], f: (xs) => ad.mul(T(xs, 0), T(xs, 1)), ref: (ps) => ew2(ps[0], ps[1], (x, y) => x * y), sample: 30 },
  { name: "div [5,1,19] / [3,19]", inputs: [tIn([5, 1, 19], U(-3, 3)), tIn([3, 19], away(0.5, 2))], f: (xs) => ad.div(T(xs, 0), T(xs, 1)), ref: (ps) => ew2(ps[0], ps[1], (x, y) => x / y), sample: 30 },
  { name: "max [131] vs 0-d", inputs: [tIn([131], lattice(0)), tIn([], lattice(0.25))], f: (xs) => ad.max(T(xs, 0), T(xs, 1)), ref: (ps) => ew2(ps[0], ps[1], Math.max), sample: 30 },
  { name: "exp of a vector input [257]", inputs: [vIn(257, U(-3, 3))], f: (xs) => ad.exp(T(xs, 0)), ref: (ps) => ew1(ps[0], Math.exp), sample: 30 },
  { name: "tanh [3,67]", inputs: [tIn([3, 67], U(-3, 3))], f: (xs) => ad.tanh(T(xs, 0)), ref: (ps) => ew1(ps[0], Math.tanh), sample: 30 },
];

defineRows("large", largeRows);
defineRows("binary", binaryRows);
defineRows("unary", unaryRows);
defineRows("mask", maskRows);
defineRows("where", whereRows);

describe("elementwise conventions", () => {
  const g1 = (f: (x: ad.Tensor<"nd">) => ad.Tensor<"nd">, data: number[]) =>
    Array.from((gradOf((x: ad.Tensor<"nd">) => ad.sum(f(x)))(ad.tensor(data, [data.length])) as ad.TensorData).data);

  it("where gives exactly 0 to the branch not taken, even where its partial is infinite", () => {
    expect(g1((x) => ad.where(ad.greater(x, 0), ad.sqrt(x), 0) as ad.Tensor<"nd">, [0, 4, -1])).toEqual([0, 0.25, 0]);
    expect(g1((x) => ad.where(ad.greater(x, 0), ad.log(x), x) as ad.Tensor<"nd">, [0, -2, 2])).toEqual([1, 1, 0.5]);
  });

  // Regression (fixed): forward mode through a tensor `where` gives NaN, not 0, where the branch not taken has an infinite or NaN
  // tangent (√x at 0: ∞; √x at −1: NaN): the Map tangent kernel (mapPush in assembly/elementwise.ts) skips only a
  // zero *tangent*, so where's zero *partial* times ∞ makes 0·∞ = NaN. Scalar jvp gives 0; reverse mode gives 0.
  it("where gives exactly 0 to the branch not taken in forward mode too", () => {
    const f = (x: ad.Tensor<"nd">) => ad.where(ad.greater(x, 0), ad.sqrt(x), ad.mul(x, 0.5)) as ad.Tensor<"nd">;
    const [, ydot] = ad.jvp(f)(ad.tensor([0, 4, -1], [3]), ad.tensor([1, 1, 1], [3]));
    expect(Array.from(ydot.data)).toEqual([0.5, 0.25, 0.5]);
  });

  it("max and min at a tie send the derivative to the first operand, also when broadcast", () => {
    const g = gradOf((xs: [ad.Tensor<"nd">, ad.Tensor<"nd">]) => ad.sum(ad.max(xs[0], xs[1])))([ad.tensor([2, 1], [2]), ad.tensor([2, 3], [2])]);
    expect(g).toEqual([ad.tensor([1, 0], [2]), ad.tensor([0, 1], [2])]);
    const gm = gradOf((xs: [ad.Tensor<"nd">, ad.Scalar]) => ad.sum(ad.min(xs[1], xs[0])))([ad.tensor([1, 1, 0], [3]), 1]);
    expect(gm).toEqual([ad.tensor([0, 0, 1], [3]), 2]);
  });

  it("abs'(0) = 0, relu'(0) = 0, sqrt'(0) = +Inf elementwise", () => {
    expect(g1((x) => ad.abs(x), [0, -2, 3])).toEqual([0, -1, 1]);
    expect(g1((x) => ad.relu(x), [0, -2, 3])).toEqual([0, 0, 1]);
    expect(g1((x) => ad.sqrt(x), [0, 4])).toEqual([Infinity, 0.25]);
  });

  it("pow(0, y) has ∂/∂y = 0 for y > 0, elementwise", () => {
    const g = gradOf((xs: [ad.Tensor<"nd">, ad.Tensor<"nd">]) => ad.sum(ad.pow(xs[0], xs[1])))([ad.tensor([0, 0], [2]), ad.tensor([2, 0.5], [2])]) as ad.TensorData[];
    expect(Array.from(g[1].data)).toEqual([0, 0]);
  });
});
