/** @file checkNaN (grad, valueAndGrad, vjp, jvp, hvp, hessian, compile): a NaN that reaches f's value or its gradient is traced to the op that
 * made it and raised as NaNError naming that op; a NaN that reaches neither (where's untaken branch) raises nothing;
 * without the option the same calls return NaN silently; after an error the next call works. */
import { describe, it, expect } from "vitest";
import * as ad from "../src/index.js";

const opts = { checkNaN: true } as const;

/** The NaNError a call throws (failing the test when it throws nothing or something else). */
function nanError(call: () => unknown): ad.NaNError {
  try {
    call();
  } catch (e) {
    expect(e).toBeInstanceOf(ad.NaNError);
    return e as ad.NaNError;
  }
  throw new Error("expected a NaNError, but the call returned");
}

describe("checkNaN: a NaN in f's value names the op that made it from finite operands", () => {
  const cases: [string, () => unknown, string, RegExp][] = [
    ["log of a negative", () => ad.grad((x: ad.Scalar) => x.sub(2).log().add(x), opts)(1), "log", /from operands that are not NaN/],
    ["sqrt of a negative, deep in a chain", () => ad.grad((x: ad.Scalar) => x.sin().mul(3).sub(10).sqrt().exp().mul(x), opts)(0.5), "sqrt", /not NaN/],
    ["∞ − ∞", () => ad.grad((x: ad.Scalar) => ad.sub(ad.exp(x), ad.exp(x)), opts)(1000), "sub", /not NaN/],
    ["0 · ∞", () => ad.valueAndGrad((x: ad.Scalar) => ad.mul(ad.sub(x, x), ad.exp(x)), opts)(1000), "mul", /not NaN/],
    ["asin outside [−1, 1]", () => ad.vjp((x: ad.Scalar) => [x.asin(), x], opts)(2), "asin", /not NaN/],
    ["a NaN input, by its path", () => ad.grad((p: { w: ad.Tensor; b: ad.Scalar }) => p.w.sum().add(p.b), opts)({ w: [1, NaN, 3], b: 2 }), "input", /the input x\.w\[1\] is NaN/],
    ["a NaN constant", () => ad.grad((x: ad.Scalar) => x.add(ad.stopGradient(x.mul(0).add(NaN))), opts)(1), "add", /a NaN constant in f/],
    ["an elementwise tensor op", () => ad.grad((v: ad.Tensor) => v.sub(2).log().sum(), opts)([3, 1, 4]), "log", /not NaN/],
    ["a tensor input's op", () => ad.grad((v: ad.Tensor<"nd">) => ad.sum(ad.sqrt(ad.sub(v, 2))), opts)(ad.tensor([3, 1, 4], [3])), "sqrt", /not NaN/],
    ["a reduction of a NaN-free tensor that overflows to ∞ − ∞", () => ad.grad((v: ad.Tensor) => ad.sub(v.exp().sum(), v.exp().sum()), opts)([800, 1]), "sub", /not NaN/],
  ];
  for (const [name, call, op, detail] of cases) {
    it(name, () => {
      const e = nanError(call);
      expect(e.code).toBe("NAN");
      expect(e.op).toBe(op);
      expect(e.node).toBeGreaterThanOrEqual(0);
      expect(e.message).toMatch(detail);
      expect(ad.grad((x: ad.Scalar) => x.mul(x).sin())(1)).toBe(2 * Math.cos(1)); // the next call works
    });
  }
});

describe("checkNaN: a NaN made in the gradient names the derivative rule", () => {
  it("√(x²) at 0: the 0 · ∞ of mul's rule meeting sqrt's infinite derivative", () => {
    const e = nanError(() => ad.grad((x: ad.Scalar) => x.mul(x).sqrt(), opts)(0));
    expect(e.op).toBe("mul");
    expect(e.message).toMatch(/adjoint Infinity/);
  });
  it("√x − √x at 0: ∞ − ∞ among the adjoints", () => {
    const e = nanError(() => ad.grad((x: ad.Scalar) => ad.sub(x.sqrt(), x.sqrt()), opts)(0));
    expect(e.op).toBe("sqrt");
    expect(e.message).toMatch(/∂\/∂x = Infinity/);
  });
  it("through vjp's pullback, with the value finite", () => {
    const [y, pullback] = ad.vjp((x: ad.Scalar) => ad.sub(x.sqrt(), x.sqrt()), opts)(0);
    expect(y).toBe(0);
    expect(nanError(() => pullback(1)).op).toBe("sqrt");
    expect(pullback(0)).toBe(0); // a zero cotangent meets the ∞ as 0: nothing to raise
  });
});

describe("checkNaN in jvp: the value, then the tangent", () => {
  it("a NaN value names its op", () => {
    expect(nanError(() => ad.jvp((x: ad.Scalar) => x.sub(2).log(), opts)(1, 1)).op).toBe("log");
  });
  it("∞ · 0 is 0 in a tangent (√(x²) at 0), but √x − √x at 0 makes ∞ − ∞ in sub's rule", () => {
    expect(ad.jvp((x: ad.Scalar) => x.mul(x).sqrt(), opts)(0, 1)).toEqual([0, 0]);
    const e = nanError(() => ad.jvp((x: ad.Scalar) => ad.sub(x.sqrt(), x.sqrt()), opts)(0, 1));
    expect(e.op).toBe("sub");
    expect(e.message).toMatch(/output tangent is NaN/);
  });
  it("a NaN tangent names v's path; a tensor map's tangent names the elementwise op", () => {
    expect(nanError(() => ad.jvp((p: { a: number; b: number }) => ad.mul(p.a, p.b), opts)({ a: 1, b: 2 }, { a: 0, b: NaN })).message).toMatch(/tangent v\.b is NaN/);
    expect(nanError(() => ad.jvp((v: ad.Tensor) => ad.sub(v.sqrt(), v.sqrt()).sum(), opts)([0, 1], [1, 1])).op).toBe("sub");
    expect(ad.jvp((v: ad.Tensor) => ad.sub(v.sqrt(), v.sqrt()).at(0))([0, 1], [1, 1])[1]).toBeNaN(); // silent without the option
  });
});

describe("checkNaN in compile: a replay that gives NaN is diagnosed by recording f afresh", () => {
  const f = (v: ad.Tensor) => v.at(0).sub(v.at(1)).log().add(v.at(1).square());
  it("grad, valueAndGrad and value throw the NaNError eager grad would, and the tape still replays", () => {
    const c = ad.compile(f, [3, 1], { checkNaN: true });
    expect(nanError(() => c.grad([1, 3])).op).toBe("log");
    expect(nanError(() => c.valueAndGrad([1, 3])).op).toBe("log");
    expect(nanError(() => c.value([1, 3])).op).toBe("log");
    const g = new Float64Array(2);
    c.grad([3, 1], g); // ∂/∂v₀ = 1/(v₀ − v₁), ∂/∂v₁ = −1/(v₀ − v₁) + 2v₁
    expect([...g]).toEqual([0.5, 1.5]);
  });
  it("a gradient NaN with a finite value", () => {
    const c = ad.compile((x: ad.Scalar) => ad.sub(x.sqrt(), x.sqrt()), 1, { checkNaN: true });
    expect(c.grad(4)).toBe(0);
    expect(nanError(() => c.grad(0)).op).toBe("sqrt");
  });
  it("without the option the replay returns the NaN", () => {
    expect(ad.compile(f, [3, 1]).valueAndGrad([1, 3])[0]).toBeNaN();
  });
});

describe("checkNaN in hessian and hvp: the value, the gradient, then the second derivatives", () => {
  it("a NaN value or gradient names its op, as grad's check does", () => {
    expect(nanError(() => ad.hessian((v: ad.Tensor) => v.at(0).sub(2).log(), opts)([1])).op).toBe("log");
    expect(nanError(() => ad.hvp((v: ad.Tensor) => ad.sub(v.at(0).sqrt(), v.at(0).sqrt()), opts)([0], [1])).op).toBe("sqrt");
  });
  it("a NaN only in H: x·√x − x·√x at 0 has gradient 0 but H = ∞ − ∞", () => {
    const f = (v: ad.Tensor) => ad.sub(v.at(0).mul(v.at(0).sqrt()), v.at(0).mul(v.at(0).sqrt()));
    expect(ad.grad(f, opts)([0])).toEqual(new Float64Array([0]));
    expect(ad.hessian(f)([0]).data[0]).toBeNaN(); // silent without the option
    expect(nanError(() => ad.hessian(f, opts)([0])).message).toMatch(/H\.data\[0\] is NaN though f's value and gradient are not/);
    expect(nanError(() => ad.hvp(f, opts)([0], [1])).op).toBe("second derivative");
    expect(ad.hessian((v: ad.Tensor) => v.at(0).mul(v.at(0)).mul(v.at(1)), opts)([1, 2]).data).toEqual(new Float64Array([4, 2, 2, 0]));
  });
});

describe("checkNaN raises only NaNs that matter, and costs nothing when off", () => {
  it("the branch where() does not take may be NaN", () => {
    const safeSqrt = (x: ad.Scalar) => ad.where(ad.greater(x, 0), ad.sqrt(x), ad.mul(x, 2));
    expect(ad.grad(safeSqrt, opts)(-1)).toBe(2);
    expect(ad.valueAndGrad(safeSqrt, opts)(4)).toEqual([2, 0.25]);
  });
  it("a NaN-free call returns what it returns without the option", () => {
    const f = (v: ad.Tensor) => v.mul(v).sum().sqrt();
    expect(ad.grad(f, opts)([3, 4])).toEqual(ad.grad(f)([3, 4]));
    const [gx, gy] = ad.grad(f, opts)([3, 4]); // x/‖v‖, y/‖v‖
    expect(gx).toBeCloseTo(0.6, 15);
    expect(gy).toBeCloseTo(0.8, 15);
  });
  it("an infinite gradient is not a NaN", () => {
    expect(ad.grad((x: ad.Scalar) => x.sqrt(), opts)(0)).toBe(Infinity);
  });
  it("without the option the same calls return NaN silently", () => {
    expect(ad.valueAndGrad((x: ad.Scalar) => x.sub(2).log().add(x))(1)).toEqual([NaN, 0]);
    expect(ad.grad((x: ad.Scalar) => x.mul(x).sqrt())(0)).toBeNaN();
  });
});
