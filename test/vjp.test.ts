/** @file vjp (value and a reusable pullback, any output tree) and grad with hasAux. */
import { describe, it, expect } from "vitest";
import * as ad from "../src/index.js";
import { numericalGrad } from "../src/baselines/numeric.js";
import { rng, uniform } from "./helpers.js";

// y(x) = [x0·x1, sin(x0), exp(x1)/x0]; J = [[x1, x0], [cos x0, 0], [-exp(x1)/x0², exp(x1)/x0]]
const f = (x: ad.Tensor) => [ad.mul(x.at(0), x.at(1)), ad.sin(x.at(0)), ad.div(ad.exp(x.at(1)), x.at(0))];
const plain = (x: Float64Array) => [x[0] * x[1], Math.sin(x[0]), Math.exp(x[1]) / x[0]];

describe("vjp", () => {
  it("returns the plain value and a pullback equal to ctᵀJ (closed form and central differences)", () => {
    const x = [1.3, -0.4];
    const [y, pullback] = ad.vjp(f)(x);
    expect(y).toBeAllclose(plain(Float64Array.from(x)), { rtol: 1e-15 });
    const r = rng(7);
    for (let k = 0; k < 5; k++) {
      const ct = [uniform(r, -2, 2), uniform(r, -2, 2), uniform(r, -2, 2)];
      const [x0, x1] = x;
      const closed = [ct[0] * x1 + ct[1] * Math.cos(x0) - (ct[2] * Math.exp(x1)) / x0 ** 2, ct[0] * x0 + (ct[2] * Math.exp(x1)) / x0];
      const g = pullback(ct);
      expect(g).toBeAllclose(closed, { rtol: 1e-14 });
      const dot = (z: Float64Array) => plain(z).reduce((s, v, i) => s + ct[i] * v, 0);
      expect(g).toBeAllclose(numericalGrad(dot, x), { rtol: 1e-8 });
    }
  });

  it("the pullback can be called many times, in any order, with the same answers", () => {
    const [, pullback] = ad.vjp(f)([2, 3]);
    const e0 = pullback([1, 0, 0]), e2 = pullback([0, 0, 1]);
    expect(pullback([1, 0, 0])).toEqual(e0);
    expect(pullback([0, 0, 1])).toEqual(e2);
    expect(e0).toEqual(new Float64Array([3, 2]));
  });

  it("handles output trees, Tensors and constant leaves", () => {
    const g = (p: { w: ad.Tensor; b: ad.Scalar }) => ({ s: ad.mul(p.b, p.w.at(1)), both: [p.w, 7] as const });
    const [y, pullback] = ad.vjp(g)({ w: [2, 3], b: 5 });
    expect(y).toEqual({ s: 15, both: [new Float64Array([2, 3]), 7] });
    const ct = pullback({ s: 1, both: [[10, 100], 1000] });
    expect(ct).toEqual({ w: new Float64Array([10, 105]), b: 3 });
  });

  it("a pullback used after the next transform call at its level is a StaleHandleError", () => {
    const [, pullback] = ad.vjp(f)([2, 3]);
    ad.grad((x: ad.Scalar) => x.square())(1);
    expect(() => pullback([1, 0, 0])).toThrow(ad.StaleHandleError);
    expect(ad.vjp(f)([2, 3])[1]([1, 0, 0])).toEqual(new Float64Array([3, 2]));
  });

  it("a cotangent of the wrong shape is an InputError naming its path", () => {
    const [, pullback] = ad.vjp((p: { a: ad.Tensor }) => ({ y: [p.a.at(0), p.a] }))({ a: [1, 2] });
    expect(() => pullback({ y: [1, [1]] } as never)).toThrow(/ct\.y\[1\]: expected a Float64Array or number\[\] of length 2/);
    expect(() => pullback({ z: 1 } as never)).toThrow(ad.InputError);
    expect(() => pullback(undefined as never)).toThrow(ad.InputError);
  });

  it("a transform of something that is not a function is an InputError", () => {
    expect(() => ad.vjp(3 as never)(1)).toThrow(/f: expected the function to transform, got number/);
    expect(() => ad.grad(null as never)(1)).toThrow(ad.InputError);
  });

  it("an output that is not a handle, number or tree of them is an OutputError", () => {
    expect(() => ad.vjp((x: ad.Scalar) => [x, "no"])(1)).toThrow(/y\[1\]: f returned string/);
  });
});

describe("grad with hasAux", () => {
  it("returns [gradient, aux], with handles in aux turned into values", () => {
    const [g, aux] = ad.grad(
      (x: ad.Tensor) => {
        const loss = ad.add(ad.square(x.at(0)), ad.mul(3, x.at(1)));
        return [loss, { loss, first: x.at(0).mul(2), xs: x, note: "kept as is" }];
      },
      { hasAux: true },
    )([1.5, 2]);
    expect(g).toEqual(new Float64Array([3, 3]));
    expect(aux).toEqual({ loss: 8.25, first: 3, xs: new Float64Array([1.5, 2]), note: "kept as is" });
  });

  it("valueAndGrad with hasAux returns [[value, aux], gradient]", () => {
    const [[v, aux], g] = ad.valueAndGrad((x: ad.Scalar) => [x.mul(x), x.sin()], { hasAux: true })(2);
    expect([v, aux, g]).toEqual([4, ad.sin(2), 4]);
  });

  it("f that does not return [loss, aux] is an OutputError", () => {
    expect(() => ad.grad((x: ad.Scalar) => x as never, { hasAux: true })(1)).toThrow(ad.OutputError);
    expect(() => ad.grad((x: ad.Scalar) => [x, 1, 2] as never, { hasAux: true })(1)).toThrow(/\[output, aux\]/);
  });
});
