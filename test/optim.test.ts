/** @file The optimizers (src/optim): parameter trees, the strong Wolfe line search, L-BFGS on Rosenbrock, sgd/momentum/adam
 * against closed forms, minimize's stopping reasons, option errors, no mutation of x0, and allocation-free step loops. */
import { describe, it, expect, vi } from "vitest";
import * as ad from "../src/index.js";
import { InputError } from "../src/index.js";
import { sgd, momentum, adam, lbfgs, strongWolfe, minimize, cloneTree, type Optimizer } from "../src/optim/index.js";
import { treeSpec, flatten, unflatten, gather, scatter } from "../src/optim/tree.js";
import { rosen, rosenPlain, rng, uniform } from "./helpers.js";

const dist1 = (x: ArrayLike<number>) => Math.hypot(...Array.from(x, (v) => v - 1));

/** A 3×3 SPD quadratic ½xᵀAx − bᵀx whose minimiser is xStar (b = A·xStar), written with adtape ops. */
const A = [
  [3, 1, 0],
  [1, 2, 0.5],
  [0, 0.5, 1],
];
const xStar = [0.5, -1.25, 2];
const b = A.map((row) => row.reduce((s, a, j) => s + a * xStar[j], 0));
const quad = (x: ad.Tensor): ad.Scalar => {
  let s: ad.Operand = 0;
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) if (A[i][j]) s = ad.add(s, ad.mul(0.5 * A[i][j], ad.mul(x.at(i), x.at(j))));
    s = ad.sub(s, ad.mul(b[i], x.at(i)));
  }
  return s as ad.Scalar;
};

/** Linear regression data generated exactly by w = [1, −2, 0.5], b = 0.75: the least-squares minimum is exactly that. */
const wTrue = [1, -2, 0.5];
const bTrue = 0.75;
const r0 = rng(7);
const X = Array.from({ length: 20 }, () => [uniform(r0, -1, 1), uniform(r0, -1, 1), uniform(r0, -1, 1)]);
const Y = X.map((row) => row.reduce((s, v, j) => s + v * wTrue[j], bTrue));
const mse = (p: { w: ad.Tensor; b: ad.Scalar }): ad.Scalar => {
  let s = 0 as ad.Operand;
  X.forEach((row, i) => {
    let pred: ad.Operand = p.b;
    row.forEach((v, j) => (pred = ad.add(pred, ad.mul(v, p.w.at(j)))));
    s = ad.add(s, ad.square(ad.sub(pred, Y[i])));
  });
  return ad.div(s, X.length) as ad.Scalar;
};

describe("parameter trees", () => {
  const tree = () => ({ b: 2, w: Float64Array.of(1, 2), layers: [{ k: [3, 4] }, 5] });

  it("flattens in Object.keys order and unflattens to the same structure and leaf kinds", () => {
    const { spec, data } = flatten(tree());
    expect(spec.size).toBe(6);
    expect(Array.from(data)).toEqual([2, 1, 2, 3, 4, 5]);
    const back = unflatten<ReturnType<typeof tree>>(spec, data);
    expect(back).toEqual(tree());
    expect(back.w).toBeInstanceOf(Float64Array);
    expect(Array.isArray(back.layers[0] && (back.layers[0] as { k: number[] }).k)).toBe(true);
    const c = cloneTree(tree());
    expect(c).toEqual(tree());
    const t = { m: ad.tensor([[1, 2, 3], [4, 5, 6]]), s: 7 };
    const f = flatten(t);
    expect(Array.from(f.data)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const u = unflatten<typeof t>(f.spec, f.data);
    expect(u.m).toBeInstanceOf(ad.TensorData);
    expect(u.m.shape).toEqual([2, 3]);
    expect(u.m.data).not.toBe(t.m.data);
    expect(() => gather(f.spec, { m: ad.tensor([[1, 2], [3, 4], [5, 6]]), s: 0 }, new Float64Array(7), "g")).toThrow(/g\.m: expected a tensor of shape \[2, 3\], got a tensor of shape \[3, 2\]/);
  });

  it("uses adtape's leaf order (grad of Σ (k+1)·leaf_k gathers to 1, 2, 3, …)", () => {
    const f = (p: { b: ad.Scalar; w: ad.Tensor; layers: [{ k: ad.Tensor }, ad.Scalar] }) =>
      ad.add(ad.add(p.b, ad.add(ad.mul(2, p.w.at(0)), ad.mul(3, p.w.at(1)))), ad.add(ad.add(ad.mul(4, p.layers[0].k.at(0)), ad.mul(5, p.layers[0].k.at(1))), ad.mul(6, p.layers[1]))) as ad.Scalar;
    const t = tree();
    const g = ad.grad(f)(t as never);
    expect(Array.from(gather(treeSpec(t), g, new Float64Array(6)))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("scatters in place: vectors keep their identity, numbers are reassigned in their parent", () => {
    const t = tree();
    const w = t.w;
    const k = (t.layers[0] as { k: number[] }).k;
    expect(scatter(treeSpec(t), Float64Array.of(10, 11, 12, 13, 14, 15), t)).toBe(t);
    expect(t).toEqual({ b: 10, w: Float64Array.of(11, 12), layers: [{ k: [13, 14] }, 15] });
    expect(t.w).toBe(w);
    expect((t.layers[0] as { k: number[] }).k).toBe(k);
    expect(scatter(treeSpec(1), Float64Array.of(7), 1)).toBe(7);
  });

  it("names the path of a mismatch or an unsupported leaf", () => {
    const spec = treeSpec(tree());
    const bad = { b: 0, w: new Float64Array(2), layers: [{ k: [1] }, 0] };
    expect(() => gather(spec, bad, new Float64Array(6), "grads")).toThrow(/grads\.layers\[0\]\.k: expected a Float64Array or number\[\] of length 2/);
    expect(() => gather(spec, { ...tree(), w: "x" }, new Float64Array(6), "grads")).toThrow(InputError);
    expect(() => treeSpec({ a: [1, { c: null }] })).toThrow(/x\.a\[1\]\.c: unsupported leaf: null/);
  });
});

describe("the strong Wolfe line search", () => {
  // Moré & Thuente (1994), functions 1–6, with their derivatives in closed form.
  const gam = (beta: number) => Math.sqrt(1 + beta * beta) - beta;
  const yok = (b1: number, b2: number) => (a: number): [number, number] => [
    gam(b1) * Math.sqrt((1 - a) ** 2 + b2 * b2) + gam(b2) * Math.sqrt(a * a + b1 * b1),
    (gam(b1) * (a - 1)) / Math.sqrt((1 - a) ** 2 + b2 * b2) + (gam(b2) * a) / Math.sqrt(a * a + b1 * b1),
  ];
  const fns: [string, (a: number) => [number, number]][] = [
    ["−α/(α²+2)", (a) => [-a / (a * a + 2), (a * a - 2) / (a * a + 2) ** 2]],
    ["(α+β)⁵ − 2(α+β)⁴", (a) => [(a + 0.004) ** 5 - 2 * (a + 0.004) ** 4, 5 * (a + 0.004) ** 4 - 8 * (a + 0.004) ** 3]],
    [
      "wiggly (l = 39)",
      (a) => {
        const [beta, l] = [0.01, 39];
        const [f0, d0] = a <= 1 - beta ? [1 - a, -1] : a >= 1 + beta ? [a - 1, 1] : [(a - 1) ** 2 / (2 * beta) + beta / 2, (a - 1) / beta];
        return [f0 + ((2 * (1 - beta)) / (l * Math.PI)) * Math.sin((l * Math.PI * a) / 2), d0 + (1 - beta) * Math.cos((l * Math.PI * a) / 2)];
      },
    ],
    ["Yanai–Ozawa–Kaneko (0.001, 0.001)", yok(0.001, 0.001)],
    ["Yanai–Ozawa–Kaneko (0.01, 0.001)", yok(0.01, 0.001)],
    ["Yanai–Ozawa–Kaneko (0.001, 0.01)", yok(0.001, 0.01)],
  ];
  const cases = fns.flatMap(([name, phi]) =>
    [1e-3, 1e-1, 1, 10, 1e3].flatMap((alpha) => [[0.1, 1e-3], [0.9, 1e-4], [0.01, 1e-3]].map(([c2, c1]) => ({ name, phi, alpha, c1, c2 }))),
  );

  it.each(cases)("$name from α = $alpha with c1 = $c1, c2 = $c2", ({ phi, alpha, c1, c2 }) => {
    const [f0, d0] = phi(0);
    const r = strongWolfe(phi, f0, d0, { alpha, c1, c2, maxEvals: 40 });
    expect(r.ok).toBe(true);
    const [f, d] = phi(r.alpha); // checked independently of the search's own bookkeeping
    expect(r.alpha).toBeGreaterThan(0);
    expect(f).toBeLessThanOrEqual(f0 + c1 * r.alpha * d0);
    expect(Math.abs(d)).toBeLessThanOrEqual(c2 * Math.abs(d0));
    expect([r.value, r.slope]).toEqual([f, d]);
    expect(r.evaluations).toBeLessThanOrEqual(40);
  });

  it("holds along −∇f of Rosenbrock (values and slopes from adtape)", () => {
    const vg = ad.valueAndGrad(rosen);
    for (const x of [Float64Array.of(-1.2, 1), Float64Array.of(0, 0, 0, 0), Float64Array.of(2, 2, -1)]) {
      const [f0, g0] = vg(x);
      const p = g0.map((v) => -v);
      const phi = (a: number): [number, number] => {
        const [f, g] = vg(x.map((v, i) => v + a * p[i]));
        return [f, g.reduce((s, v, i) => s + v * p[i], 0)];
      };
      const d0 = -g0.reduce((s, v) => s + v * v, 0);
      for (const c2 of [0.1, 0.9]) {
        const r = strongWolfe(phi, f0, d0, { alpha: 1 / Math.sqrt(-d0), c2 });
        const [f, d] = phi(r.alpha);
        expect(r.ok).toBe(true);
        expect(f).toBeLessThanOrEqual(f0 + 1e-4 * r.alpha * d0);
        expect(Math.abs(d)).toBeLessThanOrEqual(c2 * Math.abs(d0));
      }
    }
  });

  it("gives its doc example: α = 1 is too short for c2 = 0.1, the doubled α = 2 is the minimum", () => {
    expect(strongWolfe((a) => [(a - 2) ** 2, 2 * (a - 2)], 4, -4, { c2: 0.1 })).toMatchObject({ ok: true, alpha: 2, evaluations: 2 });
    expect(strongWolfe((a) => [(a - 2) ** 2, 2 * (a - 2)], 4, -4).alpha).toBe(1);
  });

  it("treats a non-finite trial as too long a step", () => {
    const phi = (a: number): [number, number] => (a < 0.5 ? [(a - 0.3) ** 2, 2 * (a - 0.3)] : [NaN, NaN]);
    const r = strongWolfe(phi, 0.09, -0.6, { alpha: 1, c2: 0.5 });
    expect(r.ok).toBe(true);
    expect(r.nonFinite).toBe(true);
    expect(r.alpha).toBeLessThan(0.5);
    expect(Math.abs(phi(r.alpha)[1])).toBeLessThanOrEqual(0.5 * 0.6);
  });

  it("reports failure (α = 0) when no step decreases φ, and refuses an ascent direction", () => {
    const r = strongWolfe((a) => [a * a + a, 2 * a + 1], 0, -1e-30);
    expect(r.ok).toBe(false);
    expect(r.alpha).toBe(0);
    expect(() => strongWolfe((a) => [a, 1], 0, 1)).toThrow(InputError);
  });
});

describe("L-BFGS", () => {
  it("minimizes Rosenbrock at n = 2 from (−1.2, 1) to ‖x − 1‖ < 1e-6", () => {
    const x0 = Float64Array.of(-1.2, 1);
    const r = minimize(rosen, x0);
    expect(r.reason).toBe("converged-gtol");
    expect(dist1(r.x)).toBeLessThan(1e-6);
    expect(r.iterations).toBeLessThan(60);
    expect(r.evaluations).toBeLessThan(2 * r.iterations);
    expect(r.gradNorm).toBeLessThanOrEqual(1e-8);
    expect(r.history).toHaveLength(r.iterations + 1);
    expect(r.history[0]).toBe(rosenPlain(x0));
    expect(r.history.at(-1)).toBe(r.value);
    for (let k = 1; k < r.history.length; k++) expect(r.history[k]).toBeLessThan(r.history[k - 1]); // sufficient decrease
  });

  it("minimizes the chained Rosenbrock function at n = 100 from 0 to ‖x − 1‖ < 1e-6", () => {
    const r = minimize(rosen, new Float64Array(100));
    expect(r.reason).toBe("converged-gtol");
    expect(dist1(r.x)).toBeLessThan(1e-6);
    expect(r.iterations).toBeLessThan(800);
  });

  it("minimizes a plain-JS Rosenbrock objective at n = 100 the same way", () => {
    const valueAndGrad = (x: Float64Array): [number, Float64Array] => {
      const g = new Float64Array(x.length);
      for (let i = 0; i + 1 < x.length; i++) {
        const t = x[i + 1] - x[i] ** 2;
        g[i] += -400 * t * x[i] - 2 * (1 - x[i]);
        g[i + 1] += 200 * t;
      }
      return [rosenPlain(x), g];
    };
    const r = minimize({ valueAndGrad }, new Float64Array(100).fill(0.5), { method: lbfgs({ history: 20 }) });
    expect(r.reason).toBe("converged-gtol");
    expect(dist1(r.x)).toBeLessThan(1e-6);
  });

  it("solves an SPD quadratic to its closed-form minimiser A⁻¹b", () => {
    for (const history of [1, 3, 10]) {
      const r = minimize(quad, new Float64Array(3), { method: lbfgs({ history }), gtol: 1e-12, tol: 0 });
      expect(r.reason).toBe("converged-gtol");
      expect(r.x).toBeAllclose(xStar, { atol: 1e-11 });
    }
  });

  it("takes only strong Wolfe steps (checked from the iterates: s = x₊ − x, f₊ ≤ f + c1·gᵀs, |g₊ᵀs| ≤ c2·|gᵀs|)", () => {
    for (const [n, c2] of [[2, 0.9], [10, 0.9], [10, 0.1]] as const) {
      const opt = lbfgs({ c2, history: 5 });
      const vg = ad.valueAndGrad(rosen);
      const st = opt.init(new Float64Array(n).fill(-0.5), (x, g) => {
        const [f, gr] = vg(x);
        g.set(gr);
        return f;
      });
      let steps = 0;
      for (; steps < 40; steps++) {
        const [x, g, f] = [st.x.slice(), st.g.slice(), st.value];
        if (opt.step(st) !== "ok") break;
        const s = st.x.map((v, i) => v - x[i]);
        const dot = (u: Float64Array, v: Float64Array) => u.reduce((acc, ui, i) => acc + ui * v[i], 0);
        const [f1, g1] = vg(st.x); // independent of the search's bookkeeping
        expect(st.value).toBe(f1);
        expect(dot(g, s)).toBeLessThan(0);
        expect(f1).toBeLessThanOrEqual(f + 1e-4 * dot(g, s));
        expect(Math.abs(dot(g1, s))).toBeLessThanOrEqual(c2 * Math.abs(dot(g, s)));
      }
      expect(steps).toBeGreaterThan(10);
    }
  });

  it("runs on flat vectors directly: init evaluates x0 (copied), step makes one iteration", () => {
    const opt = lbfgs();
    const x0 = Float64Array.of(3, -4);
    const st = opt.init(x0, (x, g) => {
      g[0] = 2 * (x[0] - 1);
      g[1] = 20 * (x[1] + 2);
      return (x[0] - 1) ** 2 + 10 * (x[1] + 2) ** 2;
    });
    expect(st.value).toBe(4 + 40);
    for (let k = 0; k < 20 && opt.step(st) === "ok"; k++);
    expect(st.x).toBeAllclose([1, -2], { atol: 1e-9 });
    expect(Array.from(x0)).toEqual([3, -4]);
  });

  it("stops with line-search-failed when the gradient does not match f", () => {
    const r = minimize({ valueAndGrad: (x: number) => [x * x, -2 * x] as const }, 1);
    expect(r.reason).toBe("line-search-failed");
    expect(r.x).toBe(1);
    expect(r.iterations).toBe(0);
  });
});

describe("sgd, momentum and adam", () => {
  it("take the closed-form steps (sgd, momentum, Nesterov, adam, with weight decay and a schedule)", () => {
    const g = [Float64Array.of(0.5, -2), Float64Array.of(-1, 3), Float64Array.of(0.25, 0.25)];
    const run = (opt: Optimizer<unknown>) => {
      const x = Float64Array.of(1, -1);
      const s = opt.init(x);
      return g.map((gi) => Array.from(opt.step(x, gi, s)));
    };
    const by = (step: (x: number, g: number, t: number, k: number) => number) => {
      const x = [1, -1];
      return g.map((gi, t) => (x.forEach((v, k) => (x[k] = step(v, gi[k], t + 1, k))), x.slice()));
    };
    expect(run(sgd({ lr: 0.1, weightDecay: 0.01 }))).toBeAllclose(by((x, g) => x - 0.1 * (g + 0.01 * x)), { rtol: 1e-15 });
    expect(run(sgd({ lr: (t) => 1 / t }))).toBeAllclose(by((x, g, t) => x - g / t), { rtol: 1e-15 });
    for (const nesterov of [false, true]) {
      const buf = [0, 0];
      expect(run(momentum({ lr: 0.1, beta: 0.8, nesterov }))).toBeAllclose(
        by((x, g, _t, k) => ((buf[k] = 0.8 * buf[k] + g), x - 0.1 * (nesterov ? g + 0.8 * buf[k] : buf[k]))),
        { rtol: 1e-15 },
      );
    }
    const [m, v] = [[0, 0], [0, 0]];
    const adamStep = (x: number, g: number, t: number, k: number) => {
      m[k] = 0.9 * m[k] + 0.1 * g;
      v[k] = 0.999 * v[k] + 0.001 * g * g;
      const mHat = m[k] / (1 - 0.9 ** t);
      const vHat = v[k] / (1 - 0.999 ** t);
      return x - 0.01 * 0.1 * x - (0.01 * mHat) / (Math.sqrt(vHat) + 1e-8);
    };
    expect(run(adam({ lr: 0.01, weightDecay: 0.1 }))).toBeAllclose(by(adamStep), { rtol: 1e-14 });
    // Adam's first step moves each coordinate by lr against the sign of its gradient.
    expect(run(adam({ lr: 0.01 }))[0]).toBeAllclose([1 - 0.01, -1 + 0.01], { rtol: 1e-9 });
  });

  it.each([
    ["sgd", { lr: 0.25 }],
    ["momentum", { lr: 0.1 }],
    ["adam", { lr: 0.01 }],
  ] as const)("%s reduces the quadratic's loss to its closed-form minimum (minimize)", (method, { lr }) => {
    const r = minimize(quad, new Float64Array(3), { method, lr, maxIter: 20000, gtol: 1e-10 });
    expect(r.reason).toBe("converged-gtol");
    expect(r.x).toBeAllclose(xStar, { atol: 1e-9 });
    expect(r.value).toBeLessThan(r.history[0]);
    expect(r.value).toBeAllclose(-0.5 * b.reduce((s, bi, i) => s + bi * xStar[i], 0), { rtol: 1e-12 });
    expect(r.evaluations).toBe(r.iterations + 1);
  });

  it.each([
    ["sgd", sgd({ lr: 0.2 })],
    ["momentum", momentum({ lr: 0.05, beta: 0.9, nesterov: true })],
    ["adam", adam({ lr: (t) => 0.05 / Math.sqrt(1 + t / 100) })],
  ] as const)("%s fits {w, b} by a step loop with a compiled gradient (the least-squares solution)", (_name, opt) => {
    let params = { w: new Float64Array(3), b: 0 };
    const loss = ad.compile(mse, params);
    const g = loss.grad(params);
    const state = opt.init(params);
    const first = loss.value(params) as number;
    for (let t = 0; t < 5000; t++) {
      loss.grad(params, g);
      params = opt.step(params, g, state);
    }
    expect(loss.value(params)).toBeLessThan(first * 1e-12);
    expect(params.w).toBeAllclose(wTrue, { atol: 1e-6 });
    expect(params.b).toBeAllclose(bTrue, { atol: 1e-6 });
    expect(state.t).toBe(5000);
    loss.dispose();
  });
});

describe("minimize over parameter trees", () => {
  it("returns x in the structure of x0 ({w: Float64Array, b: number}) at the least-squares solution; x0 is untouched", () => {
    const x0 = { w: Float64Array.of(0.1, 0.2, 0.3), b: -1 };
    for (const method of ["lbfgs", "adam"] as const) {
      const r = minimize(mse, x0, { method, lr: method === "adam" ? 0.02 : undefined, maxIter: 20000, gtol: 1e-9 });
      expect(Object.keys(r.x)).toEqual(["w", "b"]);
      expect(r.x.w).toBeInstanceOf(Float64Array);
      expect(r.x.w).not.toBe(x0.w);
      expect(typeof r.x.b).toBe("number");
      expect(r.x.w).toBeAllclose(wTrue, { atol: 1e-7 });
      expect(r.x.b).toBeAllclose(bTrue, { atol: 1e-7 });
      expect(x0).toEqual({ w: Float64Array.of(0.1, 0.2, 0.3), b: -1 });
    }
  });

  it("keeps tensor(…) leaves as TensorData of their shape (matmul least squares: the exact solution)", () => {
    const X = ad.tensor([[1, 2], [3, -1], [0.5, 0.25], [-2, 1]]);
    const [W, bias] = [[[1, -1], [2, 0.5]], [0.3, -0.7]];
    const Y = ad.tensor([0, 1, 2, 3].map((i) => [0, 1].map((j) => X.data[2 * i] * W[0][j] + X.data[2 * i + 1] * W[1][j] + bias[j])));
    const loss = (p: { W: ad.Tensor<"nd">; b: ad.Tensor }) => ad.mse(ad.add(ad.matmul(X, p.W), p.b), Y);
    const x0 = { W: ad.tensor([[0, 0], [0, 0]]), b: new Float64Array(2) };
    const r = minimize(loss, x0, { gtol: 1e-12 });
    expect(r.x.W).toBeInstanceOf(ad.TensorData);
    expect(r.x.W.shape).toEqual([2, 2]);
    expect(r.x.W.data).toBeAllclose(W.flat(), { atol: 1e-10 });
    expect(r.x.b).toBeAllclose(bias, { atol: 1e-10 });
    expect(x0.W.data).toEqual(new Float64Array(4));
    // the same with a step loop: the compiled gradient comes back as TensorData, updated in place
    const params = cloneTree(x0);
    const c = ad.compile(loss, params);
    const g = c.grad(params);
    const opt = momentum({ lr: 0.05 });
    const st = opt.init(params);
    for (let t = 0; t < 3000; t++) opt.step(params, c.grad(params, g), st);
    expect(params.W.data).toBeAllclose(W.flat(), { atol: 1e-8 });
    c.dispose();
  });

  it("never mutates x0 (number[] leaves, nested arrays) and keeps its leaf kinds", () => {
    const x0 = { a: [1, 2], rest: [3, { c: Float64Array.of(4) }] as [number, { c: Float64Array }] };
    const copy = structuredClone(x0);
    const f = (p: { a: ad.Tensor; rest: [ad.Scalar, { c: ad.Tensor }] }) =>
      ad.add(ad.add(ad.square(ad.sub(p.a.at(0), 5)), ad.square(p.a.at(1))), ad.add(ad.square(ad.add(p.rest[0], 1)), ad.square(ad.sub(p.rest[1].c.at(0), 2)))) as ad.Scalar;
    const opt = adam({ lr: 0.1 });
    opt.init(x0);
    const r = minimize(f, x0, { gtol: 1e-10 });
    expect(x0).toEqual(copy);
    expect(Array.isArray(r.x.a)).toBe(true);
    expect(r.x).toEqual({ a: [expect.closeTo(5, 9), expect.closeTo(0, 9)], rest: [expect.closeTo(-1, 9), { c: Float64Array.of(2) }] });
  });

  it("minimizes a scalar (number) parameter, with adtape ops or a plain objective", () => {
    const r = minimize((x: ad.Scalar) => ad.sub(ad.square(x), ad.mul(4, x)), 0);
    expect(r.x).toBeAllclose(2, { rtol: 1e-12 });
    const p = minimize({ valueAndGrad: (x: number) => [(x - 3) ** 4, 4 * (x - 3) ** 3] as const }, 0, { method: "momentum", lr: 0.01, maxIter: 500 });
    expect(typeof p.x).toBe("number");
    expect(p.value).toBeLessThan(1e-4);
  });

  it("accepts a Compiled as the objective and leaves it usable", () => {
    const x0 = Float64Array.of(-1.2, 1);
    const c = ad.compile(rosen, x0);
    const r = minimize(c, x0);
    expect(dist1(r.x as Float64Array)).toBeLessThan(1e-6);
    expect(c.value(x0)).toBe(rosenPlain(x0));
    c.dispose();
  });

  it("disposes its compiled tape, also when onStep throws", () => {
    minimize(rosen, new Float64Array(10)); // warm-up: eager regions are kept for reuse
    const before = ad.memoryStats().bytesInUse;
    minimize(rosen, new Float64Array(10));
    expect(ad.memoryStats().bytesInUse).toBe(before);
    expect(() => minimize(rosen, new Float64Array(10), { onStep: () => { throw new Error("boom"); } })).toThrow("boom");
    expect(ad.memoryStats().bytesInUse).toBe(before);
  });

  it("stops early when onStep returns false (reason 'stopped'), after passing fresh copies of x", () => {
    const seen: { iter: number; x: Float64Array; value: number; gradNorm: number }[] = [];
    const r = minimize(rosen, Float64Array.of(-1.2, 1), { onStep: (s) => (seen.push(s), s.iter < 3) });
    expect(r.reason).toBe("stopped");
    expect(r.iterations).toBe(3);
    expect(r.history).toHaveLength(4);
    expect(seen.map((s) => s.iter)).toEqual([1, 2, 3]);
    expect(seen.map((s) => s.value)).toEqual(r.history.slice(1));
    expect(new Set(seen.map((s) => s.x)).size).toBe(3);
    expect(seen[2].x).toEqual(r.x);
    expect(seen[2].gradNorm).toBe(r.gradNorm);
  });

  it("stops on a non-finite loss with the last finite point (reason 'non-finite')", () => {
    // sgd on log x from 1 with lr 0.5: x₁ = 1 − 0.5·1 = 0.5, x₂ = 0.5 − 0.5·2 = −0.5, where log is NaN.
    const r = minimize((x: ad.Scalar) => ad.log(x), 1, { method: "sgd", lr: 0.5 });
    expect(r).toMatchObject({ reason: "non-finite", x: 0.5, value: Math.log(0.5), iterations: 1, history: [0, Math.log(0.5)], gradNorm: 2, evaluations: 3 });
    const at0 = minimize((x: ad.Scalar) => ad.sqrt(x), -1);
    expect(at0).toMatchObject({ reason: "non-finite", x: -1, iterations: 0 });
    expect(at0.value).toBeNaN();
    // L-BFGS backs off from NaN trials; when no finite step with decrease is left it stops at the last finite point.
    const wall = minimize({ valueAndGrad: (x: number) => (x <= 2 ? [(x - 5) ** 2, 2 * (x - 5)] : [NaN, NaN]) as [number, number] }, 0);
    expect(wall.reason).toBe("non-finite");
    expect(wall.x).toBeLessThanOrEqual(2);
    expect(wall.x).toBeGreaterThan(1.99);
    expect(wall.value).toBe((wall.x - 5) ** 2);
    // A NaN gradient at a finite value counts too.
    const nanGrad = minimize({ valueAndGrad: (x: number) => [x * x, x < 0.5 ? NaN : 2 * x] as [number, number] }, 1, { method: "adam", lr: 0.3 });
    expect(nanGrad).toMatchObject({ reason: "non-finite", x: expect.closeTo(0.7, 8) });
  });

  it("reports max-iter, converged-ftol and maxIter 0", () => {
    const r = minimize(rosen, Float64Array.of(-1.2, 1), { maxIter: 5 });
    expect(r).toMatchObject({ reason: "max-iter", iterations: 5 });
    expect(r.history).toHaveLength(6);
    const zero = minimize(rosen, Float64Array.of(-1.2, 1), { maxIter: 0 });
    expect(zero).toMatchObject({ reason: "max-iter", iterations: 0, evaluations: 1, value: rosenPlain(Float64Array.of(-1.2, 1)) });
    const ftol = minimize(quad, new Float64Array(3), { method: "sgd", lr: 0.25, tol: 1e-6, gtol: 0 });
    expect(ftol.reason).toBe("converged-ftol");
    const [fp, f] = ftol.history.slice(-2);
    expect(Math.abs(fp - f)).toBeLessThanOrEqual(1e-6 * Math.max(Math.abs(fp), Math.abs(f)));
  });

  it("falls back to valueAndGrad when compile throws", async () => {
    let attempts = 0;
    vi.resetModules();
    vi.doMock("../src/transforms/compile.js", async (importOriginal) => ({
      ...(await importOriginal<object>()),
      compile: () => {
        attempts++;
        throw new Error("not compilable");
      },
    }));
    try {
      const { minimize: m } = await import("../src/optim/minimize.js");
      const ad2 = await import("../src/index.js");
      const f = (x: ad.Tensor) => ad2.add(ad2.square(ad2.sub(x.at(0), 3)), ad2.square(ad2.add(x.at(1), 1))) as ad.Scalar;
      const r = m(f, Float64Array.of(0, 0));
      expect(r.x).toBeAllclose([3, -1], { atol: 1e-10 });
      expect(attempts).toBe(1);
    } finally {
      vi.doUnmock("../src/transforms/compile.js");
      vi.resetModules();
    }
  });
});

describe("option errors are InputErrors", () => {
  const bad: [string, () => unknown, RegExp][] = [
    ["negative lr", () => sgd({ lr: -1 }), /options\.lr: must be ≥ 0, got -1/],
    ["non-finite lr", () => adam({ lr: Infinity }), /options\.lr: must be finite/],
    ["beta2 = 1", () => adam({ beta2: 1 }), /options\.beta2: must be < 1/],
    ["eps = 0", () => adam({ eps: 0 }), /options\.eps: must be > 0/],
    ["negative beta", () => momentum({ beta: -0.1 }), /options\.beta: must be ≥ 0/],
    ["nesterov not boolean", () => momentum({ nesterov: "yes" as never }), /options\.nesterov: must be a boolean/],
    ["an unknown option", () => sgd({ learningRate: 0.1 } as never), /unknown option "learningRate" for sgd/],
    ["history 0", () => lbfgs({ history: 0 }), /options\.history: must be ≥ 1/],
    ["non-integer history", () => lbfgs({ history: 2.5 }), /options\.history: must be an integer/],
    ["c2 ≤ c1", () => lbfgs({ c1: 0.5, c2: 0.4 }), /options\.c2: must be > 0\.5/],
    ["non-integer maxIter", () => minimize(quad, new Float64Array(3), { maxIter: 1.5 }), /options\.maxIter: must be an integer/],
    ["negative maxIter", () => minimize(quad, new Float64Array(3), { maxIter: -1 }), /options\.maxIter: must be ≥ 0/],
    ["an unknown method", () => minimize(quad, new Float64Array(3), { method: "newton" as never }), /options\.method: unknown method "newton"/],
    ["negative tol", () => minimize(quad, new Float64Array(3), { tol: -1 }), /options\.tol: must be ≥ 0/],
    ["NaN gtol", () => minimize(quad, new Float64Array(3), { gtol: NaN }), /options\.gtol: must be a number/],
    ["lr with lbfgs", () => minimize(quad, new Float64Array(3), { lr: 0.1 }), /options\.lr: lr applies to sgd, momentum and adam/],
    ["negative lr by name", () => minimize(quad, new Float64Array(3), { method: "adam", lr: -0.1 }), /options\.lr: must be ≥ 0/],
    ["onStep not a function", () => minimize(quad, new Float64Array(3), { onStep: 3 as never }), /options\.onStep: expected a function/],
    ["f neither a function nor an objective", () => minimize("f" as never, 1), /f: expected a function written with adtape ops/],
    ["a bad leaf in x0", () => minimize(quad as never, { w: "a" } as never), /x0\.w: unsupported leaf/],
    ["a schedule returning NaN", () => sgd({ lr: () => NaN }).step(1, 1, sgd().init(1)), /options\.lr: the learning-rate schedule returned NaN at step 1/],
    ["grads of another structure", () => adam().step({ w: new Float64Array(2), b: 0 }, { w: new Float64Array(3), b: 0 }, adam().init({ w: new Float64Array(2), b: 0 })), /grads\.w: expected a Float64Array or number\[\] of length 2/],
  ];
  it.each(bad)("%s", (_name, call, message) => {
    expect(call).toThrow(InputError);
    expect(call).toThrow(message);
  });
});

describe("step loops run in flat memory", () => {
  /** Counts Float64Arrays made by `new`, `from`/`of`, or the prototype methods that return a new array, while `body` runs. */
  function countFloat64Arrays(body: () => void): number {
    let made = 0;
    const Original = globalThis.Float64Array;
    const proto = Original.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
    const names = ["slice", "subarray", "map", "filter"] as const;
    const saved = names.map((n) => proto[n]);
    globalThis.Float64Array = new Proxy(Original, { construct: (t, args, nt) => (made++, Reflect.construct(t, args, nt)) });
    names.forEach((n, i) => (proto[n] = function (this: unknown, ...a: unknown[]) { made++; return saved[i].apply(this, a); }));
    try {
      body();
    } finally {
      globalThis.Float64Array = Original;
      names.forEach((n, i) => (proto[n] = saved[i]));
    }
    return made;
  }

  it.each([
    ["sgd", sgd({ lr: 0.05 })],
    ["momentum", momentum({ lr: 0.02, nesterov: true })],
    ["adam", adam({ lr: (t: number) => 0.05 / Math.sqrt(t) })],
  ] as const)("%s: 10⁴ in-place steps on {w, b} allocate no Float64Array and reach the closed-form minimum", (_name, opt) => {
    // loss = ½ Σ dᵢ (wᵢ − cᵢ)² + ½ (b − 3)², gradient by hand into one preallocated tree
    const d = Float64Array.of(1, 2, 3, 4, 0.5, 1.5, 2.5, 3.5);
    const c = Float64Array.of(1, -1, 2, -2, 3, -3, 0.5, -0.5);
    let params = { w: new Float64Array(8), b: 0 };
    const grads = { w: new Float64Array(8), b: 0 };
    const state = opt.init(params);
    const [p0, w0, bufs] = [params, params.w, state.buffers.slice()];
    const made = countFloat64Arrays(() => {
      for (let t = 0; t < 10_000; t++) {
        for (let i = 0; i < 8; i++) grads.w[i] = d[i] * (params.w[i] - c[i]);
        grads.b = params.b - 3;
        params = opt.step(params, grads, state);
        if (params !== p0 || params.w !== w0) throw new Error("step returned new parameters");
      }
    });
    expect(made).toBe(0);
    expect(state.buffers).toEqual(bufs);
    state.buffers.forEach((buf, i) => expect(buf).toBe(bufs[i]));
    expect(params.w).toBeAllclose(c, { atol: 1e-6 });
    expect(params.b).toBeAllclose(3, { atol: 1e-6 });
  });

  it("a single Float64Array is updated where it lies (no scratch) and update() is the flat kernel", () => {
    const opt = adam({ lr: 0.1 });
    const x = Float64Array.of(1, 2, 3);
    const s = opt.init(x);
    const g = Float64Array.of(1, 1, 1);
    const made = countFloat64Arrays(() => {
      for (let t = 0; t < 10_000; t++) if (opt.step(x, g, s) !== x) throw new Error("step returned another array");
    });
    expect(made).toBe(0);
    expect(s.scratch).toBeUndefined();
    const y = Float64Array.of(1, 2, 3);
    const s2 = opt.init(y);
    for (let t = 0; t < 10_000; t++) opt.update(y, g, s2);
    expect(y).toEqual(x);
  });
});
