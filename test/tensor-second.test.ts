/** @file Second order through tensor ops beyond the op tables (tensor-helpers.ts checks every row's Hessian, hvp and
 * compiled hvp): where's branch not taken and the kinks at second order, exact values against hand-derived ones and
 * against the same function written with scalar ops; and a small MLP (tanh, softmax cross-entropy) whose full
 * Hessian matches central differences of its gradient and the scalar-op network's Hessian. */
import { describe, it, expect } from "vitest";
import * as ad from "../src/index.js";
import { rng, uniform } from "./helpers.js";
import { fdColumn, maxAbs, matVec, expectSymmetric } from "./tensor-helpers.js";

type Nd = ad.Tensor<"nd">;
const T = ad.tensor;

/** The Hessian of f at x, eager and compiled (recorded at `x0`, replayed at x), expected equal; returns the eager one. */
function hessianBoth<X extends ad.TensorData | ad.TensorData[]>(f: (h: never) => ad.ScalarOutput, x: X, x0: X): ad.Jacobian {
  const H = ad.hessian(f as (h: unknown) => ad.ScalarOutput)(x as never);
  const c = ad.compile(f as (h: unknown) => ad.ScalarOutput, x0 as never);
  try {
    const Hc = c.hessian(x as never);
    expect([Hc.rows, Hc.cols]).toEqual([H.rows, H.cols]);
    expect(Hc.data).toBeAllclose(H.data, { rtol: 1e-14, atol: 1e-300 });
  } finally {
    c.dispose();
  }
  return H;
}
const diag = (d: number[]): number[] => d.flatMap((v, i) => d.map((_, j) => (i === j ? v : 0)));

describe("where at second order: the branch not taken contributes exactly 0", () => {
  const sqrtOrX = (h: Nd) => ad.where(ad.greater(h, 0), ad.sqrt(h), h) as Nd;

  it("where(x > 0, √x, x) at x = 0 and x = −1 (√'' infinite, NaN) has a finite Hessian: diag(0, √''(4), 0)", () => {
    const f = (h: Nd) => ad.sum(sqrtOrX(h));
    const x = T([0, 4, -1], [3]);
    const H = hessianBoth(f as never, x, T([1, 2, 3], [3]));
    expect(Array.from(H.data)).toEqual(diag([0, -1 / 32, 0]));
    expect(Array.from(ad.hvp(f)(x, T([1, 1, 1], [3])).data)).toEqual([0, -1 / 32, 0]);
    // The same function of scalar ops through the engine's scalar rules gives the same Hessian.
    const scalarF = (p: ad.Tensor) => [0, 1, 2].reduce<ad.Operand>((s, i) => ad.add(s, ad.where(ad.greater(p.at(i), 0), ad.sqrt(p.at(i)), p.at(i))), 0) as ad.Scalar;
    expect(Array.from(ad.hessian(scalarF)(Float64Array.of(0, 4, -1)).data)).toEqual(Array.from(H.data));
  });

  it("composed with a nonlinearity after where: Σ exp(where(x > 0, √x, x)) at [0, 4, −1]", () => {
    const f = (h: Nd) => ad.sum(ad.exp(sqrtOrX(h)));
    const x = T([0, 4, -1], [3]);
    // x = 0, −1: (eˣ)'' = eˣ; x = 4: (e^√x)'' = e^√x·(1/(4x) − ¼x^{−3/2}) = e²/32.
    const want = diag([1, Math.exp(2) / 32, Math.exp(-1)]);
    expect(hessianBoth(f as never, x, T([1, 2, 3], [3])).data).toBeAllclose(want, { rtol: 1e-15, atol: 0 });
    const c = ad.compile(f, T([1, 2, 3], [3]));
    try {
      expect(c.hvp(x, T([1, -1, 2], [3])).data).toBeAllclose([1, -Math.exp(2) / 32, 2 * Math.exp(-1)], { rtol: 1e-15, atol: 0 });
    } finally {
      c.dispose();
    }
  });

  it("safe log times x: Σ where(x > 0, log x, x)·x at [0, −2, 2] is diag(2, 2, ½)", () => {
    const f = (h: Nd) => ad.sum(ad.mul(ad.where(ad.greater(h, 0), ad.log(h), h) as Nd, h));
    expect(Array.from(hessianBoth(f as never, T([0, -2, 2], [3]), T([1, 1, 1], [3])).data)).toEqual(diag([2, 2, 0.5]));
  });

  it("with a broadcast mask [2,1] over branches [2,3]: √ untaken at 0 and −1 in row 1, taken in row 0", () => {
    const f = ([m, x]: [Nd, Nd]) => ad.sum(ad.where(ad.greater(m, 0), ad.sqrt(x), ad.square(x)) as Nd);
    const xs = [T([1, -1], [2, 1]), T([1, 4, 0.25, 0, -1, 2], [2, 3])];
    const H = hessianBoth(f as never, xs, [T([1, 1], [2, 1]), T([1, 2, 3, 4, 5, 6], [2, 3])]);
    // Order: m (2), then x (6). √'' = −¼x^{−3/2} in row 0, (x²)'' = 2 in row 1, nothing for the mask.
    expect(Array.from(H.data)).toEqual(diag([0, 0, -0.25, -1 / 32, -2, 2, 2, 2]));
  });

  it("kinks: relu''(0) = 0 and abs'(0) = 0 at second order; ties of max, min, amax, amin go to the first operand/element", () => {
    const x = T([0, 1, -1], [3]);
    expect(Array.from(hessianBoth(((h: Nd) => ad.sum(ad.square(ad.relu(h)))) as never, x, T([1, 1, 1], [3])).data)).toEqual(diag([0, 2, 0]));
    expect(Array.from(hessianBoth(((h: Nd) => ad.sum(ad.square(ad.abs(h)))) as never, x, T([1, 1, 1], [3])).data)).toEqual(diag([0, 2, 2]));
    const pair = [T([2, 1], [2]), T([2, 3], [2])], pair0 = [T([5, 0], [2]), T([1, 1], [2])];
    expect(Array.from(hessianBoth((([a, b]: Nd[]) => ad.sum(ad.square(ad.max(a, b)))) as never, pair, pair0).data)).toEqual(diag([2, 0, 0, 2]));
    expect(Array.from(hessianBoth((([a, b]: Nd[]) => ad.sum(ad.square(ad.min(b, a)))) as never, pair, pair0).data)).toEqual(diag([0, 2, 2, 0]));
    const tied = T([3, 3, 1, 0, 0, 2], [2, 3]), moved = T([1, 2, 3, 4, 5, 6], [2, 3]);
    expect(Array.from(hessianBoth(((h: Nd) => ad.sum(ad.square(ad.amax(h, 1)))) as never, tied, moved).data)).toEqual(diag([2, 0, 0, 0, 0, 2]));
    expect(Array.from(hessianBoth(((h: Nd) => ad.sum(ad.square(ad.amin(h, 0)))) as never, tied, moved).data)).toEqual(diag([0, 0, 2, 2, 2, 0]));
  });
});

describe("a small MLP (tanh, softmax cross-entropy): the full Hessian", () => {
  const NS = 6, NI = 3, NH = 4, NC = 3;
  const r = rng(2024);
  const X = Array.from({ length: NS * NI }, () => uniform(r, -1.5, 1.5));
  const labels = Int32Array.from({ length: NS }, (_, k) => (k * 2) % NC);
  type Params = { W1: ad.TensorData; b1: ad.TensorData; W2: ad.TensorData; b2: ad.TensorData };
  type Handles = { W1: Nd; b1: Nd; W2: Nd; b2: Nd };
  const shapes: Array<[keyof Params, number[]]> = [["W1", [NI, NH]], ["b1", [NH]], ["W2", [NH, NC]], ["b2", [NC]]];
  const n = shapes.reduce((k, [, s]) => k + s.reduce((a, b) => a * b, 1), 0);
  const paramsOf = (flat: Float64Array): Params => {
    let at = 0;
    return Object.fromEntries(shapes.map(([k, s]) => {
      const size = s.reduce((a, b) => a * b, 1);
      return [k, T(flat.slice(at, (at += size)), s)];
    })) as Params;
  };
  const flatOf = (g: Params): Float64Array => Float64Array.from(shapes.flatMap(([k]) => [...g[k].data]));
  const random = (seed: number, scale: number) => {
    const q = rng(seed);
    return Float64Array.from({ length: n }, () => uniform(q, -scale, scale));
  };
  const p0 = random(1, 1), p1 = random(2, 1);

  const mlp = (p: Handles) => {
    const h = ad.tanh(ad.add(ad.matmul(T(X, [NS, NI]), p.W1), p.b1));
    return ad.crossEntropy(ad.add(ad.matmul(h, p.W2), p.b2), labels);
  };
  /** The same network with softmax written out: −mean Σ Y ⊙ log softmax(z). */
  const Y = T(Array.from({ length: NS * NC }, (_, k) => +(k % NC === labels[Math.floor(k / NC)])), [NS, NC]);
  const mlpSoftmax = (p: Handles) => {
    const z = ad.add(ad.matmul(ad.tanh(ad.add(ad.matmul(T(X, [NS, NI]), p.W1), p.b1)), p.W2), p.b2);
    return ad.neg(ad.mean(ad.sum(ad.mul(Y, ad.log(ad.softmax(z, -1))), 1)));
  };
  /** The same network of scalar ops over the flat parameters (W1 row-major, b1, W2 row-major, b2). */
  const mlpScalar = (p: ad.Tensor) => {
    let loss: ad.Operand = 0;
    for (let s = 0; s < NS; s++) {
      const h = Array.from({ length: NH }, (_, j) => {
        let a: ad.Operand = p.at(NI * NH + j);
        for (let i = 0; i < NI; i++) a = ad.add(a, ad.mul(X[s * NI + i], p.at(i * NH + j)));
        return ad.tanh(a);
      });
      const z = Array.from({ length: NC }, (_, c) => {
        let a: ad.Operand = p.at(NI * NH + NH + NH * NC + c);
        for (let j = 0; j < NH; j++) a = ad.add(a, ad.mul(h[j], p.at(NI * NH + NH + j * NC + c)));
        return a;
      });
      const lse = ad.log(z.reduce<ad.Operand>((t, zc) => ad.add(t, ad.exp(zc)), 0));
      loss = ad.add(loss, ad.sub(lse, z[labels[s]]));
    }
    return ad.div(loss, NS) as ad.Scalar;
  };

  it("equals central differences of its gradient (every column), and is symmetric", () => {
    const H = ad.hessian(mlp)(paramsOf(p0));
    expect([H.rows, H.cols]).toEqual([n, n]);
    expectSymmetric(H);
    const gradAt = (flat: Float64Array) => flatOf(ad.grad(mlp)(paramsOf(flat)) as unknown as Params);
    const scale = maxAbs(H.data);
    expect(scale).toBeGreaterThan(0.01);
    for (let j = 0; j < n; j++) {
      const num = fdColumn(gradAt, p0, j);
      expect(Float64Array.from({ length: n }, (_, i) => H.data[i * n + j])).toBeAllclose(num, { rtol: 1e-6, atol: 1e-6 * scale });
    }
  });

  it("equals the Hessian of the same network written with scalar ops, and of the one with softmax written out", () => {
    const H = ad.hessian(mlp)(paramsOf(p0));
    const Hs = ad.hessian(mlpScalar)(p0);
    const scale = maxAbs(Hs.data);
    expect(H.data).toBeAllclose(Hs.data, { rtol: 1e-12, atol: 1e-13 * scale });
    expect(ad.hessian(mlpSoftmax)(paramsOf(p0)).data).toBeAllclose(Hs.data, { rtol: 1e-12, atol: 1e-13 * scale });
  });

  it("hvp = H·v; compiled hessian and hvp at new parameters equal eager", () => {
    const H = ad.hessian(mlp)(paramsOf(p0));
    const v = random(3, 1);
    const hv = flatOf(ad.hvp(mlp)(paramsOf(p0), paramsOf(v)) as unknown as Params);
    expect(hv).toBeAllclose(matVec(H, v), { rtol: 1e-12, atol: 1e-12 * maxAbs(H.data) });
    const c = ad.compile(mlp, paramsOf(p0));
    try {
      const H1 = ad.hessian(mlp)(paramsOf(p1));
      expect(c.hessian(paramsOf(p1)).data).toBeAllclose(H1.data, { rtol: 1e-13, atol: 1e-13 * maxAbs(H1.data) });
      const eager = flatOf(ad.hvp(mlp)(paramsOf(p1), paramsOf(v)) as unknown as Params);
      expect(flatOf(c.hvp(paramsOf(p1), paramsOf(v)) as unknown as Params)).toBeAllclose(eager, { rtol: 1e-13, atol: 1e-13 * maxAbs(eager) });
    } finally {
      c.dispose();
    }
  });
});
