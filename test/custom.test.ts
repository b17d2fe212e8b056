/** @file Custom rules: customVjp and customJvp against closed forms, in reverse and forward mode, compiled, and their limits. */
import { describe, it, expect } from "vitest";
import * as ad from "../src/index.js";

// A numerically stable logsumexp of two numbers, with the softmax as its VJP.
const logsumexp = ad.customVjp(
  ([a, b]: number[]): [number, number[]] => {
    const m = Math.max(a, b);
    const y = m + Math.log(Math.exp(a - m) + Math.exp(b - m));
    return [y, [Math.exp(a - y), Math.exp(b - y)]];
  },
  (softmax: number[], ct: number) => softmax.map((p) => ct * p),
);

describe("customVjp", () => {
  it("is differentiated by its own rule, chained with ordinary ops", () => {
    const f = (v: ad.Tensor) => ad.mul(logsumexp([v.at(0), ad.mul(v.at(1), 2)]) as ad.Scalar, v.at(0));
    const [a, b] = [0.3, -1.2];
    const [val, g] = ad.valueAndGrad(f)([a, b]);
    const lse = Math.log(Math.exp(a) + Math.exp(2 * b)), pa = Math.exp(a - lse), pb = Math.exp(2 * b - lse);
    expect(val).toBeAllclose(lse * a, { rtol: 1e-15 });
    expect(g).toBeAllclose([pa * a + lse, 2 * pb * a], { rtol: 1e-14 });
  });

  it("stays finite where the naive formula overflows", () => {
    const [v, g] = ad.valueAndGrad((x: ad.Tensor) => logsumexp([x.at(0), x.at(1)]) as ad.Scalar)([1000, 999]);
    expect(v).toBeAllclose(1000 + Math.log1p(Math.exp(-1)), { rtol: 1e-15 });
    // NOTE: the rule's own exp(a − y) loses ~1e-13 to cancellation in a − y; the closed form is exact.
    expect(g).toBeAllclose([1 / (1 + Math.exp(-1)), Math.exp(-1) / (1 + Math.exp(-1))], { rtol: 1e-12 });
  });

  it("can clip a gradient: reverse sweeps call bwd with the real cotangent", () => {
    const clip = ad.customVjp((x: number): [number, null] => [x, null], (_: null, ct: number) => Math.max(-1, Math.min(1, ct)));
    const f = (x: ad.Scalar) => ad.add(ad.mul(clip(x.mul(2)) as ad.Scalar, 10), x);
    expect(ad.grad(f)(3)).toBe(2 * 1 + 1); // ct into clip is 10 → clipped to 1, times d(2x)/dx = 2, plus 1
    expect(ad.vjp((v: ad.Tensor) => [clip(v.at(0)) as ad.Scalar, ad.mul(clip(v.at(0)) as ad.Scalar, 3)])([1])[1]([0.5, 1])).toEqual(new Float64Array([0.5 + 1]));
    expect(Array.from(ad.jacrev((v: ad.Tensor) => [ad.mul(clip(v.at(0)) as ad.Scalar, 5)])([1]).data)).toEqual([1]);
    const c = ad.compile(f, 1);
    expect(c.grad(3)).toBe(3);
    expect(c.valueAndGrad(4)).toEqual([84, 3]);
    c.dispose();
  });

  it("works with numbers alone (a constant), and feeds jacobian and jvp", () => {
    expect(logsumexp([0, 0])).toBeAllclose(Math.log(2), { rtol: 1e-15 });
    const J = ad.jacobian((v: ad.Tensor) => [logsumexp([v.at(0), v.at(1)])])([0, 0]);
    expect(Array.from(J.data)).toEqual([0.5, 0.5]);
    expect(ad.jvp((v: ad.Tensor) => logsumexp([v.at(0), v.at(1)]))([0, 0], [2, 4])[1]).toBeAllclose(3, { rtol: 1e-15 });
  });
});

describe("customJvp", () => {
  // f(x) = [x0·x1, x0³] with its JVP; the partials come from one jvp call per input.
  const f = ad.customJvp(
    ([a, b]: number[]) => [a * b, a ** 3],
    ([a, b]: number[], [da, db]: number[]): [number[], number[]] => [[a * b, a ** 3], [b * da + a * db, 3 * a * a * da]],
  );

  it("gives jvp, jacobian and grad by its rule", () => {
    const x = [1.5, -2];
    const g = (v: ad.Tensor) => f([v.at(0), v.at(1)]) as ad.Scalar[];
    expect(ad.jvp(g)(x, [1, 1])).toEqual([[-3, 3.375], [-2 + 1.5, 3 * 2.25]]);
    expect(Array.from(ad.jacobian(g)(x).data)).toEqual([-2, 1.5, 6.75, 0]);
    expect(ad.grad((v: ad.Tensor) => ad.add(...(g(v) as [ad.Scalar, ad.Scalar])))(x)).toEqual(new Float64Array([-2 + 6.75, 1.5]));
  });
});

describe("limits of custom rules", () => {
  it("hvp and hessian refuse them (they carry no second derivative)", () => {
    expect(() => ad.hessian((v: ad.Tensor) => logsumexp([v.at(0), v.at(1)]) as ad.Scalar)([0, 1])).toThrow(/no second derivative/);
  });

  it("a compiled tape with one re-records on every call, and stays exact", () => {
    const f = (v: ad.Tensor) => ad.mul(logsumexp([v.at(0), v.at(1)]) as ad.Scalar, v.at(1));
    const c = ad.compile(f, [0, 1]);
    expect(c.stats.recordEveryCall).toBe(true);
    for (const x of [[0.5, 2], [-3, 1], [10, 9]]) expect(c.valueAndGrad(x)).toEqual(ad.valueAndGrad(f)(x));
    c.dispose();
  });

  it("a rule that returns the wrong number of partials is an OutputError", () => {
    const bad = ad.customVjp((x: number[]): [number, null] => [x[0] + x[1], null], () => [1]);
    expect(() => ad.grad((v: ad.Tensor) => bad([v.at(0), v.at(1)]) as ad.Scalar)([1, 2])).toThrow(ad.OutputError);
    expect(ad.grad((x: ad.Scalar) => x.square())(3)).toBe(6); // and the next call works
  });
});
