/** @file grad and valueAndGrad: the lesson's examples, plain JS control flow, where, the documented kinks, inputs and errors. */
import { describe, it, expect } from "vitest";
import * as ad from "../src/index.js";
import { rosen, rosenPlain } from "./helpers.js";
import { numericalGrad, richardson } from "../src/baselines/numeric.js";

describe("the lesson's examples", () => {
  it("differentiates log(x)·sin²(x) (closed form and Richardson)", () => {
    const f = (x: ad.Scalar) => ad.mul(ad.log(x), ad.square(ad.sin(x)));
    for (const x of [0.3, 1, 2.5, 7]) {
      const [v, g] = ad.valueAndGrad(f)(x);
      expect(v).toBeAllclose(Math.log(x) * Math.sin(x) ** 2, { rtol: 1e-15 });
      const closed = Math.sin(x) ** 2 / x + 2 * Math.log(x) * Math.sin(x) * Math.cos(x);
      expect(g).toBeAllclose(closed, { rtol: 1e-14, atol: 1e-16 });
      expect(g).toBeAllclose(richardson((t) => Math.log(t) * Math.sin(t) ** 2, x).value, { rtol: 1e-10 });
    }
  });

  it("gives exp(tanh(0.5)) and its derivative", () => {
    const [v, g] = ad.valueAndGrad((x: ad.Scalar) => x.tanh().exp())(0.5);
    const t = Math.tanh(0.5);
    expect(v).toBeAllclose(Math.exp(t), { rtol: 1e-15 });
    expect(g).toBeAllclose(Math.exp(t) * (1 - t * t), { rtol: 1e-15 });
  });

  it("follows plain JS if/for/while on .value", () => {
    const f = (x: ad.Scalar) => {
      let y: ad.Scalar = x;
      for (let i = 0; i < 3; i++) y = y.mul(y.value > 1 ? 0.5 : 3); // branch on a value
      while (y.value < 100) y = y.mul(y);
      return y;
    };
    // At x = 0.4: 0.4·3 = 1.2 → ·0.5 = 0.6 → ·3 = 1.8, then squared twice: (1.8)^4 = 10.5 < 100 → ^8 = 110.2.
    const x = 0.4;
    const g = ad.grad(f)(x);
    const plain = (t: number) => (4.5 * t) ** 8;
    expect(g).toBeAllclose(8 * 4.5 * (4.5 * x) ** 7, { rtol: 1e-14 });
    expect(g).toBeAllclose(richardson(plain, x).value, { rtol: 1e-9 });
  });

  it("where at a point where the branch not taken has an infinite partial gives 0, not NaN", () => {
    // √x has ∂ = +Inf at 0; where(x > 0, √x, 0) at x = 0 takes the constant branch.
    expect(ad.grad((x: ad.Scalar) => ad.where(ad.greater(x, 0), ad.sqrt(x), 0))(0)).toBe(0);
    // log(x) at x = 0 is -Inf with ∂ = +Inf, and at x < 0 NaN: the safe-log pattern.
    const safeLog = (x: ad.Scalar) => ad.where(ad.greater(x, 0), ad.log(x), x);
    expect(ad.valueAndGrad(safeLog)(0)).toEqual([0, 1]);
    expect(ad.valueAndGrad(safeLog)(-2)).toEqual([-2, 1]);
    expect(ad.grad(safeLog)(2)).toBe(0.5);
  });
});

describe("documented derivatives at kinks", () => {
  const d = (f: (x: ad.Scalar) => ad.Scalar | number, x: number) => ad.grad(f)(x);
  it("abs'(0) = 0", () => expect(d((x) => ad.abs(x), 0)).toBe(0));
  it("max at a tie sends the derivative to its first operand", () => {
    expect(ad.grad((v: ad.Tensor) => ad.max(v.at(0), v.at(1)))([2, 2])).toEqual(new Float64Array([1, 0]));
    expect(ad.grad((v: ad.Tensor) => ad.min(v.at(0), v.at(1)))([2, 2])).toEqual(new Float64Array([1, 0]));
  });
  it("sqrt'(0) = +Inf", () => expect(d((x) => ad.sqrt(x), 0)).toBe(Infinity));
  it("pow(0, y) has ∂/∂y = 0 for y > 0", () => {
    for (const y of [0.5, 1, 2, 3.5]) {
      const [, g] = ad.valueAndGrad((v: ad.Tensor) => ad.pow(v.at(0), v.at(1)))([0, y]);
      expect(g[1]).toBe(0);
    }
    expect(ad.grad((v: ad.Tensor) => ad.pow(v.at(0), v.at(1)))([0, 2])[0]).toBe(0); // ∂/∂x = 2·0 = 0
    expect(ad.grad((x: ad.Scalar) => ad.pow(x, 0))(0)).toBe(0); // x⁰ is constant
  });
  it("relu'(0) = 0, and 1 / 0 on either side", () => {
    expect(d((x) => ad.relu(x), 0)).toBe(0);
    expect(d((x) => ad.relu(x), 1e-300)).toBe(1);
    expect(d((x) => ad.relu(x), -1e-300)).toBe(0);
  });
});

describe("composed ops", () => {
  const cases: Array<[string, (x: ad.Scalar) => ad.Scalar, (x: number) => number, number[]]> = [
    ["sigmoid", ad.sigmoid, (x) => 1 / (1 + Math.exp(-x)), [-30, -2, 0, 0.7, 30]],
    ["softplus", ad.softplus, (x) => Math.log1p(Math.exp(x)), [-30, -2, 0, 0.7, 30]],
    ["square", ad.square, (x) => x * x, [-3, 0, 1.5]],
    ["hypot", (x) => ad.hypot(x, 2), (x) => Math.hypot(x, 2), [-3, 0, 1.5]],
  ];
  it.each(cases)("%s matches Math and Richardson differences", (_, f, plain, xs) => {
    for (const x of xs) {
      const [v, g] = ad.valueAndGrad(f)(x);
      expect(v).toBeAllclose(plain(x), { rtol: 1e-15 });
      expect(g).toBeAllclose(richardson(plain, x).value, { rtol: 1e-9, atol: 1e-14 });
    }
  });
  it("sigmoid and softplus stay finite far out", () => {
    expect(ad.valueAndGrad(ad.softplus)(800)).toEqual([800, 1]);
    expect(ad.valueAndGrad(ad.softplus)(-800)).toEqual([0, 0]);
    expect(ad.valueAndGrad(ad.sigmoid)(-800)).toEqual([0, 0]);
    expect(ad.grad(ad.softplus)(0)).toBe(0.5);
  });
});

describe("inputs and outputs", () => {

  it("takes a Float64Array or a number[] and returns a Float64Array gradient", () => {
    const x = [1.2, -0.7, 0.3, 2, -1.1];
    const g = ad.grad(rosen)(x);
    expect(g).toBeInstanceOf(Float64Array);
    expect(g).toBeAllclose(numericalGrad(rosenPlain, x), { rtol: 1e-9 });
    expect(ad.grad(rosen)(new Float64Array(x))).toEqual(g);
  });

  it("iterates a Tensor, reads .length, .at(-1) and .value", () => {
    const [v, g] = ad.valueAndGrad((x: ad.Tensor) => {
      expect(x.length).toBe(3);
      expect(x.value).toEqual(new Float64Array([1, 2, 3]));
      let s: ad.Operand = x.at(-1);
      for (const e of x) s = ad.add(s, ad.mul(e, e));
      return s as ad.Scalar;
    })([1, 2, 3]);
    expect(v).toBe(17);
    expect(g).toEqual(new Float64Array([2, 4, 7]));
  });

  it("takes parameter trees and returns the gradient in the same structure", () => {
    type P = { w: ad.Tensor; b: ad.Scalar; layers: [{ k: ad.Scalar }, { k: ad.Tensor }] };
    const f = (p: P) => ad.add(ad.mul(p.w.at(0), p.b), ad.mul(p.w.at(1), ad.mul(p.layers[0].k, p.layers[1].k.at(0))));
    const g = ad.grad(f)({ w: [2, 3], b: 5, layers: [{ k: 7 }, { k: [11] }] });
    expect(g).toEqual({ w: new Float64Array([5, 77]), b: 2, layers: [{ k: 33 }, { k: new Float64Array([21]) }] });
  });

  it("accepts a constant output, whose gradient is zeros", () => {
    expect(ad.valueAndGrad((_: ad.Tensor) => 4)([1, 2])).toEqual([4, new Float64Array(2)]);
  });

  it("accepts a 1-element Tensor output", () => {
    expect(ad.grad((x: ad.Tensor) => x)([3])).toEqual(new Float64Array([1]));
  });

  it("mixes plain numbers in as constants; ops on numbers alone give numbers", () => {
    expect(ad.grad((x: ad.Scalar) => ad.add(ad.mul(2, x), ad.sin(1)))(5)).toBe(2);
    expect(typeof ad.sin(1)).toBe("number");
    expect(ad.sin(1)).toBeAllclose(Math.sin(1), { rtol: 4e-16 });
    expect(ad.stopGradient(3)).toBe(3);
  });

  it("adjoints that cancel leave exactly zero on the input (−x + x)", () => {
    // node 2 = neg(x) sends its adjoint to node 1 in a register while node 3 = add(node 2, x) wrote to memory
    expect(ad.grad((x: ad.Scalar) => ad.add(ad.neg(x), x))(3)).toBe(0);
    expect(ad.grad((x: ad.Tensor) => ad.add(ad.neg(x.at(1)), x.at(1)).mul(x.at(0)))([2, 3])).toEqual(new Float64Array([0, 0]));
  });

  it("stopGradient keeps the value and blocks the derivative", () => {
    expect(ad.valueAndGrad((x: ad.Scalar) => x.mul(ad.stopGradient(x)))(3)).toEqual([9, 3]);
  });

  it("comparisons return booleans, in functional and chained form", () => {
    const seen: boolean[] = [];
    ad.grad((x: ad.Scalar) => {
      seen.push(ad.lt(x, 2), ad.le(x, 1), x.gt(0), x.ge(1.5), ad.eq(x, 1), ad.lt(3, x));
      return x;
    })(1);
    expect(seen).toEqual([true, true, true, false, true, false]);
    expect(ad.lt(1, 2)).toBe(true);
  });

  it("a 10⁶-node chain differentiates without a stack overflow, at ≤ 48 bytes per node (peak)", () => {
    const n = 1_000_000;
    const [v, g] = ad.valueAndGrad((x: ad.Scalar) => {
      let y = x;
      for (let i = 0; i < n; i++) y = ad.mul(y, 1 + 1e-7);
      return y;
    })(1);
    expect(v).toBeAllclose((1 + 1e-7) ** n, { rtol: 1e-9 });
    expect(g).toBeAllclose((1 + 1e-7) ** n, { rtol: 1e-9 });
    const stats = ad.memoryStats();
    expect(stats.maxNodes).toBeGreaterThanOrEqual(n); // a constant operand costs no node
    expect(stats.bytesPerNode).toBeLessThanOrEqual(48);
    expect(stats.highWater / stats.maxNodes).toBeLessThanOrEqual(48); // the peak, growth included
  });
});

describe("errors", () => {
  it("a handle used after its call returned is a StaleHandleError, and the next call works", () => {
    let kept: ad.Scalar | undefined;
    ad.grad((x: ad.Scalar) => (kept = x.mul(2)))(1);
    expect(() => kept!.value).toThrow(ad.StaleHandleError);
    expect(() => ad.grad(() => kept!.sin())(1)).toThrow(ad.StaleHandleError);
    expect(() => ad.grad(() => kept!)(1)).toThrow(ad.StaleHandleError);
    expect(ad.grad((x: ad.Scalar) => x.square())(3)).toBe(6);
  });

  it("a non-scalar output is an OutputError", () => {
    expect(() => ad.grad((x: ad.Tensor) => x)([1, 2])).toThrow(ad.OutputError);
    expect(() => ad.grad(() => "no" as unknown as number)(1)).toThrow(ad.OutputError);
  });

  it("a bad leaf is an InputError naming its path", () => {
    expect(() => ad.grad((p: any) => p.a)({ a: 1, b: ["x"] } as any)).toThrow(/x\.b\[0\]: unsupported leaf: string/);
    expect(() => ad.grad((p: any) => p)(null as any)).toThrow(ad.InputError);
    expect(() => ad.grad((x: ad.Scalar) => ad.sin("1" as unknown as number))(1)).toThrow(ad.InputError);
    expect(() => ad.grad((x: ad.Tensor) => x.at(5))([1, 2])).toThrow(/out of range/);
    // A Scalar times a Tensor is an elementwise tensor op: not a scalar output.
    expect(() => ad.grad((x: ad.Tensor) => ad.mul(x.at(0), x))([1, 2])).toThrow(/got a Tensor of shape \[2\]/);
    expect(() => ad.grad((x: ad.Tensor) => ad.mul(x, x.at(0)))([1, 2])).toThrow(ad.OutputError);
    expect(() => ad.grad((x: ad.Tensor) => ad.mul(x, {} as never))([1, 2])).toThrow(/got Object/);
  });

  it("an exception thrown by f leaves the runtime usable", () => {
    expect(() =>
      ad.grad((x: ad.Scalar) => {
        x.mul(3).sin();
        throw new Error("user bug");
      })(1),
    ).toThrow("user bug");
    expect(ad.grad((x: ad.Scalar) => x.mul(3))(1)).toBe(3);
  });

  it("every error is an AdError with a code", () => {
    const e = new ad.StaleHandleError();
    expect(e).toBeInstanceOf(ad.AdError);
    expect(e.code).toBe("STALE_HANDLE");
    expect(e.name).toBe("StaleHandleError");
  });
});

describe("memory", () => {
  it("a tape over the limit set with setMemoryLimit is an OutOfMemoryError, and the next call works", () => {
    const chain = (n: number) => (x: ad.Scalar) => {
      let y = x;
      for (let i = 0; i < n; i++) y = y.mul(1.000001);
      return y;
    };
    const before = ad.memoryStats().bytesInUse;
    ad.setMemoryLimit(before + 8 * 2 ** 20); // room for ≈ 200 000 more nodes
    try {
      expect(() => ad.grad(chain(2_000_000))(1)).toThrow(ad.OutOfMemoryError);
      expect(ad.grad(chain(10))(1)).toBeAllclose(1.000001 ** 10, { rtol: 1e-15 });
    } finally {
      ad.setMemoryLimit(2 ** 31);
    }
    expect(ad.grad(chain(2_000_000))(1)).toBeAllclose(1.000001 ** 2_000_000, { rtol: 1e-9 });
  });

  it("repeated grad calls of one size allocate no more tape memory after the first", () => {
    const f = (x: ad.Tensor) => {
      let s: ad.Operand = 0;
      for (const e of x) s = ad.add(s, ad.mul(e, e));
      return s as ad.Scalar;
    };
    const x = new Float64Array(50_000).fill(0.5);
    ad.grad(f)(x);
    const { bytesInUse, wasmBytes } = ad.memoryStats();
    for (let i = 0; i < 20; i++) ad.grad(f)(x);
    expect(ad.memoryStats().bytesInUse).toBe(bytesInUse);
    expect(ad.memoryStats().wasmBytes).toBe(wasmBytes);
  });
});
