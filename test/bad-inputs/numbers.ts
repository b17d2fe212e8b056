/** @file Bad-input corpus, numbers: NaN, ±Inf, −0, subnormals and huge magnitudes as inputs to the transforms and as constants in ops, each with its documented result. */
import * as ad from "../../src/index.js";
import { type Case, gives, fails, exact, exactly } from "./case.js";

const sq = (x: ad.Scalar) => x.mul(x);
const cube = (v: ad.Tensor) => v.at(0).mul(v.at(0)).mul(v.at(0));

/** Compiles f at x0, runs `use` on it, and disposes it. */
function compiled<H, Y, R>(f: (x: H) => Y, x0: ad.InputOf<H>, use: (c: ad.Compiled<H, Y>) => R): R {
  const c = ad.compile(f, x0);
  try {
    return use(c);
  } finally {
    c.dispose();
  }
}

/** Non-finite and extreme numbers: IEEE arithmetic flows through values and derivatives alike, with no error unless checkNaN. */
export const numberCases: Case[] = [
  gives("numbers", "grad of x² at NaN is NaN", () => ad.grad(sq)(NaN), (g) => exact(g, NaN)),
  gives("numbers", "grad of x² at +Inf is +Inf", () => ad.grad(sq)(Infinity), (g) => exact(g, Infinity)),
  gives("numbers", "valueAndGrad of exp at −Inf is [0, 0]", () => ad.valueAndGrad((x: ad.Scalar) => x.exp())(-Infinity), (r) => exactly(r as number[], [0, 0])),
  gives("numbers", "grad of x² at −0 is +0 (adjoints accumulate from +0)", () => ad.grad(sq)(-0), (g) => exact(g, 0)),
  gives("numbers", "grad of −x at −0 is −1 and its value −0 is kept", () => ad.valueAndGrad((x: ad.Scalar) => x.neg())(-0), (r) => exactly(r as number[], [0, -1])),
  gives("numbers", "grad of x² at the smallest subnormal 5e-324 is 1e-323", () => ad.grad(sq)(5e-324), (g) => exact(g, 1e-323)),
  gives("numbers", "1/x at 5e-324 overflows: value +Inf, gradient −Inf", () => ad.valueAndGrad((x: ad.Scalar) => ad.div(1, x))(5e-324), (r) => exactly(r as number[], [Infinity, -Infinity])),
  gives("numbers", "exp(1000) is +Inf with gradient +Inf", () => ad.valueAndGrad((x: ad.Scalar) => x.exp())(1000), (r) => exactly(r as number[], [Infinity, Infinity])),
  gives("numbers", "x² at 1e308 overflows to +Inf, gradient 2e308 → +Inf", () => ad.valueAndGrad(sq)(1e308), (r) => exactly(r as number[], [Infinity, Infinity])),
  gives("numbers", "x·Inf at 0 is NaN (0·∞) with gradient +Inf", () => ad.valueAndGrad((x: ad.Scalar) => x.mul(Infinity))(0), (r) => exactly(r as number[], [NaN, Infinity])),
  gives("numbers", "x + NaN (a NaN constant) is NaN with gradient 1", () => ad.valueAndGrad((x: ad.Scalar) => x.add(NaN))(1), (r) => exactly(r as number[], [NaN, 1])),
  gives("numbers", "log(0) is −Inf with gradient +Inf", () => ad.valueAndGrad((x: ad.Scalar) => x.log())(0), (r) => exactly(r as number[], [-Infinity, Infinity])),
  gives("numbers", "log(−0) is −Inf with gradient −Inf", () => ad.valueAndGrad((x: ad.Scalar) => x.log())(-0), (r) => exactly(r as number[], [-Infinity, -Infinity])),
  gives("numbers", "sqrt(−1) is NaN with a NaN gradient", () => ad.valueAndGrad((x: ad.Scalar) => x.sqrt())(-1), (r) => exactly(r as number[], [NaN, NaN])),
  gives("numbers", "jvp of x² at NaN: [NaN, NaN]", () => ad.jvp(sq)(NaN, 1), (r) => exactly(r as number[], [NaN, NaN])),
  gives("numbers", "jvp of x² at 1 with tangent +Inf: [1, +Inf]", () => ad.jvp(sq)(1, Infinity), (r) => exactly(r as number[], [1, Infinity])),
  gives("numbers", "hessian of x³ at +Inf is [+Inf]", () => ad.hessian(cube)([Infinity]).data, (h) => exactly(h as Float64Array, [Infinity])),
  gives("numbers", "hessian of x³ at −0 is [−0]", () => ad.hessian(cube)([-0]).data, (h) => exactly(h as Float64Array, [0])),
  gives("numbers", "compile at 1, replay at NaN: value NaN, gradient NaN", () => compiled(sq, 1, (c) => c.valueAndGrad(NaN)), (r) => exactly(r as number[], [NaN, NaN])),
  gives("numbers", "compile at NaN, replay at 3: value 9, gradient 6", () => compiled(sq, NaN, (c) => c.valueAndGrad(3)), (r) => exactly(r as number[], [9, 6])),
  gives("numbers", "compile at 1, replay at 1e308: [+Inf, +Inf]", () => compiled(sq, 1, (c) => c.valueAndGrad(1e308)), (r) => exactly(r as number[], [Infinity, Infinity])),
  gives("numbers", "tensor: sum(x · [NaN, 1]) has gradient [NaN, 1]", () => ad.grad((x: ad.Tensor) => x.mul([NaN, 1]).sum())([1, 2]), (g) => exactly(g as Float64Array, [NaN, 1])),
  gives("numbers", "tensor: sum(exp(x)) at [1000, 0] is +Inf, gradient [+Inf, 1]", () => ad.valueAndGrad((x: ad.Tensor) => x.exp().sum())([1000, 0]), (r) => {
    const [v, g] = r as [number, Float64Array];
    exact(v, Infinity);
    exactly(g, [Infinity, 1]);
  }),
  // NOTE: 1e308 + ln 2 rounds to 1e308, so each exp(x − logsumexp) is exp(0) = 1: the gradient sums to 2, not 1.
  gives("numbers", "tensor: logsumexp([1e308, 1e308]) is finite, 1e308, with gradient [1, 1] (ln 2 lost to rounding)", () => ad.valueAndGrad((x: ad.Tensor) => x.logsumexp())([1e308, 1e308]), (r) => {
    const [v, g] = r as [number, Float64Array];
    exact(v, 1e308);
    exactly(g, [1, 1]);
  }),
  gives("numbers", "an op on NaN constants alone returns NaN (no trace needed)", () => ad.mul(NaN, 2), (v) => exact(v, NaN)),
  fails("numbers", "checkNaN: a NaN input is traced to its path", () => ad.grad((p: { a: ad.Scalar }) => p.a.mul(2), { checkNaN: true })({ a: NaN }), ad.NaNError, "NAN", /x\.a/),
];
