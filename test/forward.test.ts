/** @file Forward mode and second order: jvp, jacobian/jacfwd/jacrev, hvp and hessian, against closed forms and differences. */
import { describe, it, expect } from "vitest";
import * as ad from "../src/index.js";
import { table, evalRow } from "../src/ops.js";
import { numericalGrad, richardson } from "../src/baselines/numeric.js";
import { rng, uniform, rosen, domain, names, opFn } from "./helpers.js";

// y(x) = [x0·x1, sin(x0), exp(x1)/x0, 3]: J = [[x1, x0], [cos x0, 0], [-exp(x1)/x0², exp(x1)/x0], [0, 0]]
const f = (x: ad.Tensor) => [ad.mul(x.at(0), x.at(1)), ad.sin(x.at(0)), ad.div(ad.exp(x.at(1)), x.at(0)), 3];
const closedJ = ([x0, x1]: number[]) => [x1, x0, Math.cos(x0), 0, -Math.exp(x1) / x0 ** 2, Math.exp(x1) / x0, 0, 0];

describe("jvp", () => {
  it("pushes a tangent forward: closed form and a Richardson directional derivative", () => {
    const x = [1.3, -0.4], v = [0.7, -2];
    const [y, ydot] = ad.jvp(f)(x, v);
    expect(y).toEqual([x[0] * x[1], Math.sin(x[0]), ad.div(ad.exp(x[1]), x[0]), 3]);
    const J = closedJ(x);
    const want = [0, 1, 2, 3].map((r) => J[2 * r] * v[0] + J[2 * r + 1] * v[1]);
    expect(ydot).toBeAllclose(want, { rtol: 1e-14 });
    const along = (s: number) => Math.exp(x[1] + s * v[1]) / (x[0] + s * v[0]);
    expect((ydot as number[])[2]).toBeAllclose(richardson(along, 0).value, { rtol: 1e-10 });
  });

  it("takes trees for x and v, and checks v's structure", () => {
    const g = (p: { w: ad.Tensor; b: ad.Scalar }) => ad.mul(p.w.at(1), p.b);
    expect(ad.jvp(g)({ w: [1, 2], b: 3 }, { w: [0, 1], b: 10 })).toEqual([6, 3 + 20]);
    expect(() => ad.jvp(g)({ w: [1, 2], b: 3 }, { w: [0], b: 1 } as never)).toThrow(/v\.w: expected a Float64Array or number\[\] of length 2/);
  });

  it("gives exactly zero, not NaN, through the branch a where did not take", () => {
    expect(ad.jvp((x: ad.Scalar) => ad.where(ad.greater(x, 0), ad.sqrt(x), 0))(0, 1)).toEqual([0, 0]);
  });
});

describe("jacobian", () => {
  const numericJ = (plain: (x: Float64Array) => number[], x: number[]) => {
    const m = plain(Float64Array.from(x)).length;
    const rows = Array.from({ length: m }, (_, r) => numericalGrad((z) => plain(z)[r], x));
    return rows.flatMap((row) => Array.from(row));
  };
  const maps: Array<[string, (x: ad.Tensor) => ad.Operand[], (x: Float64Array) => number[], number[]]> = [
    ["square", (x) => [x.at(0).mul(x.at(1)), x.at(1).sin()], (x) => [x[0] * x[1], Math.sin(x[1])], [0.4, 1.1]],
    ["tall (2 → 5)", (x) => [1, 2, 3, 4, 5].map((k) => ad.tanh(x.at(0).mul(k).add(x.at(1)))), (x) => [1, 2, 3, 4, 5].map((k) => Math.tanh(k * x[0] + x[1])), [0.2, -0.3]],
    ["wide (12 → 2)", (x) => [ad.sin([...x].reduce((s: ad.Operand, e) => ad.add(s, e), 0)), x.at(3).mul(x.at(11))], (x) => [Math.sin(x.reduce((s, e) => s + e, 0)), x[3] * x[11]], Array.from({ length: 12 }, (_, i) => 0.1 * i - 0.5)],
  ];

  it.each(maps)("%s: jacobian = jacfwd = jacrev = central differences", (_, g, plain, x) => {
    const J = ad.jacobian(g)(x), F = ad.jacfwd(g)(x), R = ad.jacrev(g)(x);
    expect([J.rows, J.cols]).toEqual([plain(Float64Array.from(x)).length, x.length]);
    expect(F.data).toBeAllclose(R.data, { rtol: 1e-14, atol: 1e-15 });
    expect(J.data).toEqual(J.rows >= J.cols ? F.data : R.data);
    expect(J.data).toBeAllclose(numericJ(plain, x), { rtol: 1e-7, atol: 1e-9 });
  });

  it("flattens tree inputs and outputs in tree order, constants included", () => {
    const J = ad.jacobian(f)([1.3, -0.4]);
    expect({ rows: J.rows, cols: J.cols }).toEqual({ rows: 4, cols: 2 });
    expect(J.data).toBeAllclose(closedJ([1.3, -0.4]), { rtol: 1e-14 });
    const T = ad.jacrev((p: { a: ad.Scalar; v: ad.Tensor }) => ({ s: p.a.mul(p.v.at(1)), t: [p.v.at(0)] }))({ a: 2, v: [5, 7] });
    expect(Array.from(T.data)).toEqual([7, 0, 2, 0, 1, 0]);
  });
});

describe("hvp and hessian", () => {
  it("the Rosenbrock Hessian is the closed-form tridiagonal matrix", () => {
    const x = [1.2, -0.7, 0.3, 2, -1.1];
    const H = ad.hessian(rosen)(x);
    const n = x.length, want = new Float64Array(n * n);
    for (let i = 0; i + 1 < n; i++) {
      want[i * n + i] += 1200 * x[i] ** 2 - 400 * x[i + 1] + 2;
      want[(i + 1) * n + i + 1] += 200;
      want[i * n + i + 1] = want[(i + 1) * n + i] = -400 * x[i];
    }
    expect(H.data).toBeAllclose(want, { rtol: 1e-13, atol: 1e-12 });
  });

  it("hessian equals differences of the gradient, and hvp equals H·v", () => {
    const g = (v: ad.Tensor) => ad.mul(ad.exp(ad.mul(v.at(0), v.at(1))), ad.log1p(ad.square(v.at(2)))).add(ad.pow(v.at(1), 3));
    const x = [0.3, 1.1, -0.6], v = [0.5, -1, 2];
    const H = ad.hessian(g)(x);
    for (let i = 0; i < 3; i++) {
      const gradI = (z: Float64Array) => (ad.grad(g)(z) as Float64Array)[i];
      expect(H.data.slice(3 * i, 3 * i + 3)).toBeAllclose(numericalGrad(gradI, x), { rtol: 1e-8, atol: 1e-10 });
    }
    const Hv = [0, 1, 2].map((i) => H.data[3 * i] * v[0] + H.data[3 * i + 1] * v[1] + H.data[3 * i + 2] * v[2]);
    expect(ad.hvp(g)(x, v)).toBeAllclose(Hv, { rtol: 1e-13 });
  });

  it.each(names.filter((nm) => !nm.startsWith("where")))("%s: the Hessian through the tape is the op table's second partials", (name) => {
    const [dx, dy] = domain[name] ?? [[-2, 2], [-2, 2]];
    const r = rng(900 + table[name].code);
    const op = opFn(name);
    for (let k = 0; k < 4; k++) {
      const [x, y] = [uniform(r, ...dx), uniform(r, ...dy)];
      const row = evalRow(table[name].code, x, y);
      const H = ad.hessian((v: ad.Tensor) => op(v.at(0), v.at(1)))([x, y]);
      const want = table[name].arity === 2 ? [row[3], row[4], row[4], row[5]] : [row[3], 0, 0, 0];
      expect(Array.from(H.data)).toEqual(want);
      // A constant second operand: the kept tape replays it, so the second partial still sees 0.75.
      const withConstant = ad.hessian((v: ad.Tensor) => op(v.at(0), 0.75))([x, y]);
      expect(withConstant.data[0]).toBe(evalRow(table[name].code, x, 0.75)[3]);
    }
  });

  it("a 10⁵-step chain is differentiated twice with no stack overflow", () => {
    const n = 100_000, c = 1 + 1e-6;
    const chain = (x: ad.Scalar) => {
      let y = x;
      for (let i = 0; i < n; i++) y = y.mul(c);
      return y.square();
    };
    // f = (c^n x)², f'' = 2 c^(2n)
    expect(ad.hessian(chain)(0.5).data[0]).toBeAllclose(2 * c ** (2 * n), { rtol: 1e-9 });
  });

  it("is exactly zero through the branch a where did not take", () => {
    expect(ad.hessian((x: ad.Scalar) => ad.where(ad.greater(x, 0), ad.sqrt(x), 0))(0).data[0]).toBe(0);
  });
});

describe("compiled tapes: jvp, jacobian, hvp, hessian", () => {
  const g = (v: ad.Tensor) => ad.mul(ad.exp(ad.mul(v.at(0), v.at(1))), ad.log1p(ad.square(v.at(2)))).add(ad.pow(v.at(1), 3)).add(ad.max(v.at(0), 0.5));
  const h = (v: ad.Tensor) => [ad.mul(v.at(0), v.at(2)), ad.sin(v.at(1)), ad.pow(v.at(2), 2.5)];

  it("replay equals the eager transforms bit for bit, across a guard flip", () => {
    const cg = ad.compile(g, [0.3, 1.1, 0.6]), ch = ad.compile(h, [0.3, 1.1, 0.6]);
    for (const x of [[0.3, 1.1, 0.6], [0.9, -0.4, 1.7], [-0.2, 0.5, 0.25]]) {
      const v = [0.5, -1, 2];
      expect(cg.hvp(x, v)).toEqual(ad.hvp(g)(x, v));
      expect(cg.hessian(x)).toEqual(ad.hessian(g)(x));
      expect(cg.jvp(x, v)).toEqual(ad.jvp(g)(x, v));
      expect(ch.jacobian(x)).toEqual(ad.jacobian(h)(x));
      expect(ch.jvp(x, v)).toEqual(ad.jvp(h)(x, v));
    }
    expect(cg.stats.rerecords).toBeGreaterThan(0); // max(x0, 0.5) flipped at x0 = 0.9
    cg.dispose();
    ch.dispose();
  });

  it("hvp and hessian need a scalar output", () => {
    const ch = ad.compile(h, [1, 2, 3]);
    expect(() => ch.hvp([1, 2, 3], [1, 0, 0])).toThrow(ad.OutputError);
    ch.dispose();
  });
});
