/** @file Nested transforms: grad of grad (to third order), jacfwd of grad, perturbation confusion, and the TS op table's partial rules. */
import { describe, it, expect } from "vitest";
import * as ad from "../src/index.js";
import { table, evalRow } from "../src/ops.js";
import { Trace } from "../src/trace.js";
import { richardson } from "../src/baselines/numeric.js";
import { rng, uniform, domain, names, opFn } from "./helpers.js";

const withRule = names.filter((name) => table[name].d !== null && !name.startsWith("where"));

describe("the TS op table's partial rules", () => {
  it.each(withRule)("%s: the rule written with adtape ops equals the engine's first partials", (name) => {
    const row = table[name];
    const [dx, dy] = domain[name] ?? [[-2, 2], [-2, 2]];
    const r = rng(1300 + row.code);
    for (let k = 0; k < 6; k++) {
      const [x, y] = [uniform(r, ...dx), uniform(r, ...dy)];
      const want = evalRow(row.code, x, y);
      const t = Trace.begin();
      try {
        const hx = new ad.Scalar(t, t.leaf(x, true)), hy = new ad.Scalar(t, t.leaf(y, true));
        const v = opFn(name)(hx, hy);
        const value = (p: ad.Operand) => (typeof p === "number" ? p : p.value);
        const [pa, pb] = row.d!(hx, row.arity === 2 ? hy : 0, v, [0, 0]).map(value);
        expect(pa).toBeAllclose(want[1], { rtol: 1e-15, atol: 1e-300 });
        if (row.arity === 2) expect(pb).toBeAllclose(want[2], { rtol: 1e-15, atol: 1e-300 });
      } finally {
        t.end();
      }
    }
  });
});

describe("nesting", () => {
  it("has no perturbation confusion: d/dx [x · d/dy (x + y)] = 1", () => {
    for (const x of [-3, 0, 2.5, 1e6]) expect(ad.grad((h: ad.Scalar) => ad.mul(h, ad.grad((y: ad.Scalar) => ad.add(h, y))(3) as ad.Operand))(x)).toBe(1);
  });

  const third: Array<[string, (x: ad.Scalar) => ad.Scalar, (x: number) => number[]]> = [
    ["x³", (x) => x.mul(x).mul(x), (x) => [3 * x * x, 6 * x, 6]],
    ["sin", (x) => x.sin(), (x) => [Math.cos(x), -Math.sin(x), -Math.cos(x)]],
    ["exp(2x)", (x) => x.mul(2).exp(), (x) => [2 * Math.exp(2 * x), 4 * Math.exp(2 * x), 8 * Math.exp(2 * x)]],
    ["x^3.5", (x) => ad.pow(x, 3.5), (x) => [3.5 * x ** 2.5, 8.75 * x ** 1.5, 13.125 * x ** 0.5]],
    ["1/(1+x²)", (x) => ad.div(1, x.square().add(1)), (x) => [(-2 * x) / (1 + x * x) ** 2, (6 * x * x - 2) / (1 + x * x) ** 3, (24 * x * (1 - x * x)) / (1 + x * x) ** 4]],
  ];
  it.each(third)("grad, grad∘grad and grad∘grad∘grad of %s equal the closed forms", (_, f, closed) => {
    const d1 = ad.grad(f);
    const d2 = ad.grad((x: ad.Scalar) => ad.grad(f)(x) as unknown as ad.Scalar);
    const d3 = ad.grad((x: ad.Scalar) => ad.grad((z: ad.Scalar) => ad.grad(f)(z) as unknown as ad.Scalar)(x) as unknown as ad.Scalar);
    for (const x of [0.3, 1.7]) {
      expect([d1(x), d2(x), d3(x)]).toBeAllclose(closed(x), { rtol: 1e-13, atol: 1e-14 });
      expect(d3(x)).toBeAllclose(richardson((z) => d2(z), x).value, { rtol: 1e-8 });
    }
  });

  it.each(withRule)("%s: jacfwd(grad) equals the engine's forward-over-reverse hessian", (name) => {
    const [dx, dy] = domain[name] ?? [[-2, 2], [-2, 2]];
    const r = rng(1700 + table[name].code);
    const op = opFn(name);
    const f = (v: ad.Tensor) => op(v.at(0), v.at(1)).mul(v.at(0));
    for (let k = 0; k < 3; k++) {
      const x = [uniform(r, ...dx), uniform(r, ...dy)];
      const nested = ad.jacfwd((v: ad.Tensor) => ad.grad(f)(v) as unknown as ad.Scalar[])(x).data;
      expect(nested).toBeAllclose(ad.hessian(f)(x).data, { rtol: 1e-12, atol: 1e-13 });
    }
  });

  it("pow at exponent 0 (where its TS rule masks ∂/∂x only at x = 0 = y): jacfwd(grad) is the closed-form Hessian", () => {
    const f = (v: ad.Tensor) => ad.pow(v.at(0), v.at(1));
    for (const x of [1.5, 0.4]) {
      // ∂²/∂x² = y(y−1)x^(y−2) = 0, ∂²/∂x∂y = x^(y−1)(1 + y log x) = 1/x, ∂²/∂y² = xʸ log²x = log²x at y = 0
      const closed = [0, 1 / x, 1 / x, Math.log(x) ** 2];
      expect(ad.jacfwd((v: ad.Tensor) => ad.grad(f)(v) as unknown as ad.Scalar[])([x, 0]).data).toBeAllclose(closed, { rtol: 1e-14, atol: 1e-15 });
      expect(ad.hessian(f)([x, 0]).data).toBeAllclose(closed, { rtol: 1e-14, atol: 1e-15 });
    }
  });

  // digamma and trigamma exist to give lgamma its third derivative; theirs would need deeper polygamma ops.
  it.each(withRule.filter((name) => name !== "digamma"))("%s: the third derivative in x (nested grad³) equals Richardson differences of grad²", (name) => {
    const [dx, dy] = domain[name] ?? [[-2, 2], [-2, 2]];
    const r = rng(1900 + table[name].code);
    const op = opFn(name);
    for (let k = 0; k < 2; k++) {
      const [x0, y0] = [uniform(r, ...dx), uniform(r, ...dy)];
      const f = (x: ad.Scalar) => op(x, y0);
      const g = (h: (x: ad.Scalar) => ad.Operand) => (x: ad.Scalar) => ad.grad(h as (x: ad.Scalar) => ad.Scalar)(x) as unknown as ad.Scalar;
      const d2 = (x: number) => ad.grad(g(f))(x) as number;
      const d3 = ad.grad(g(g(f)))(x0) as number;
      expect(d3).toBeAllclose(richardson(d2, x0).value, { rtol: 1e-7, atol: 1e-8 });
    }
  });

  it("valueAndGrad and vjp nest too, with constants inside the inner function", () => {
    const inner = (x: ad.Scalar) => ad.mul(4, ad.mul(x, ad.sub(1, x))); // 4x(1−x)
    const outer = (x: ad.Scalar) => {
      const [v, g] = ad.valueAndGrad(inner)(x) as unknown as [ad.Scalar, ad.Scalar];
      return ad.add(v, ad.mul(g, g)); // f + f'²: d/dx = f' + 2 f' f''
    };
    const x = 0.3, f1 = 4 - 8 * x, f2 = -8;
    expect(ad.grad(outer)(x)).toBeAllclose(f1 + 2 * f1 * f2, { rtol: 1e-14 });
    const [, pull] = ad.vjp((v: ad.Tensor) => [ad.grad(inner)(v.at(0)) as unknown as ad.Scalar])([x]);
    expect(pull([1])).toEqual(new Float64Array([f2]));
  });

  it("a long chain nests without a stack overflow", () => {
    const n = 20_000, c = 1 + 1e-5;
    const chain = (x: ad.Scalar) => {
      let y = x;
      for (let i = 0; i < n; i++) y = y.mul(c);
      return y.square();
    };
    expect(ad.grad((x: ad.Scalar) => ad.grad(chain)(x) as unknown as ad.Scalar)(0.5)).toBeAllclose(2 * c ** (2 * n), { rtol: 1e-9 });
  });

  it("an op without a higher-order rule is a clear error", () => {
    expect(() => ad.grad((x: ad.Scalar) => ad.grad((z: ad.Scalar) => ad.trigamma(z))(x) as unknown as ad.Scalar)(2.5)).toThrow(/higher-order rule/);
    expect(ad.grad((x: ad.Scalar) => x.square())(3)).toBe(6);
  });
});

describe("nested: where's untaken branch with an infinite partial stays out of the second derivative", () => {
  // f = where(x > 0, x², exp(x²)): at 30 the untaken branch's partial 2x·exp(x²) is ∞ and its adjoint 0.
  const f = (x: ad.Scalar) => ad.where(ad.greater(x, 0), x.mul(x), ad.exp(x.mul(x)));
  const g = (x: ad.Scalar) => ad.grad(f)(x) as unknown as ad.Scalar;
  it("grad(grad(f)) is f'' = 2, as hessian gives, not NaN", () => {
    expect(ad.grad(g)(30)).toBe(2);
    expect(ad.hessian((v: ad.Tensor) => f(v.at(0)))([30]).data[0]).toBe(2);
    expect(ad.grad(ad.grad((x: ad.Scalar) => ad.softplus(x)) as unknown as (x: ad.Scalar) => ad.Scalar)(800)).toBe(0); // σ'(800) underflows to 0
  });
  it("a compiled tape that left such a product out records again on every call, so it is right elsewhere", () => {
    const c = ad.compile((x: ad.Scalar) => ad.grad((z: ad.Scalar) => ad.softplus(z))(x) as unknown as ad.Scalar, 800);
    expect(c.stats.recordEveryCall).toBe(true);
    expect(c.grad(0)).toBe(0.25); // σ'(0) = σ(0)(1 − σ(0))
  });
});
