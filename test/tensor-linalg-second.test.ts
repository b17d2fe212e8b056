/** @file Second order through the linear algebra (cholesky, solve, logdet): hvp and hessian, eager and compiled,
 * against closed forms evaluated by plain float64 matrix code below (H·V of log|det A| is −A⁻ᵀVᵀA⁻ᵀ, of
 * 2Σ log diag chol(A) = log det ½(A + Aᵀ) it is −A⁻¹·½(V + Vᵀ)·A⁻¹, and of cᵀA⁻¹B and ½‖A⁻¹B‖² by hand), and
 * against Richardson central differences of the gradient (which tensor-ops2 checks against differences of plain
 * references) to 1e-9 relative. */
import { describe, it, expect } from "vitest";
import * as ad from "../src/index.js";
import { rng, uniform } from "./helpers.js";
import { maxAbs, expectSymmetric, symmetrised, type Plain, P } from "./tensor-helpers.js";

type Nd = ad.Tensor<"nd">;
const T = ad.tensor;

// ---- plain n×n (or n×k) row-major matrices ---------------------------------------------------------------------

/** a (r×m) · b (m×c). */
function mm(a: Float64Array, b: Float64Array, r: number, m: number, c: number): Float64Array {
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let k = 0; k < m; k++) for (let j = 0; j < c; j++) out[i * c + j] += a[i * m + k] * b[k * c + j];
  return out;
}
/** The transpose of an r×c matrix. */
const tr = (a: Float64Array, r: number, c: number): Float64Array => Float64Array.from({ length: r * c }, (_, k) => a[(k % r) * c + Math.floor(k / r)]);
/** A⁻¹ by Gauss–Jordan elimination with partial pivoting. */
function inverse(a: Float64Array, n: number): Float64Array {
  const m = Array.from({ length: n }, (_, i) => [...a.subarray(i * n, i * n + n), ...Array.from({ length: n }, (_, j) => +(i === j))]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let i = c + 1; i < n; i++) if (Math.abs(m[i][c]) > Math.abs(m[p][c])) p = i;
    [m[c], m[p]] = [m[p], m[c]];
    const d = m[c][c];
    for (let j = 0; j < 2 * n; j++) m[c][j] /= d;
    for (let i = 0; i < n; i++) {
      if (i === c) continue;
      const f = m[i][c];
      for (let j = 0; j < 2 * n; j++) m[i][j] -= f * m[c][j];
    }
  }
  return Float64Array.from(m.flatMap((r) => r.slice(n)));
}
const axpby = (x: Float64Array, a: number, y: Float64Array, b: number): Float64Array => x.map((v, k) => a * v + b * y[k]);
const randomM = (r: () => number, len: number): Float64Array => Float64Array.from({ length: len }, () => uniform(r, -1, 1));
/** Well conditioned, diagonal entries of either sign (a determinant of either sign). */
const general = (r: () => number, n: number): Float64Array => randomM(r, n * n).map((v, k) => (k % (n + 1) === 0 ? (v < 0 ? -1 : 1) * (n + Math.abs(v)) : 0.9 * v));
/** X·Xᵀ + n·I: symmetric positive definite. */
const spd = (r: () => number, n: number): Float64Array => {
  const x = randomM(r, n * n), a = mm(x, tr(x, n, n), n, n, n);
  for (let i = 0; i < n; i++) a[i * n + i] += n;
  return a;
};

// ---- closed forms -----------------------------------------------------------------------------------------------

/** A Hessian column by column from an H·v function over n inputs. */
const hessianFrom = (hv: (e: Float64Array) => Float64Array, n: number): Float64Array => {
  const h = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const e = new Float64Array(n);
    e[j] = 1;
    hv(e).forEach((v, i) => (h[i * n + j] = v));
  }
  return h;
};
const close = (got: ArrayLike<number>, want: Float64Array, rtol = 1e-12) => expect(got).toBeAllclose(want, { rtol, atol: rtol * maxAbs(want) });
const sizes = [2, 3, 4, 5];
/** f compiled at A and replayed at A1: its H·V and Hessian equal the closed form `hvAt`. */
function compiledAgrees(f: (a: Nd) => ad.Scalar | ad.Tensor<"nd">, n: number, A: Float64Array, A1: Float64Array, V: Float64Array, hvAt: (a: Float64Array, v: Float64Array) => Float64Array): void {
  const c = ad.compile(f, T(A, [n, n]));
  try {
    close(c.hvp(T(A1, [n, n]), T(V, [n, n])).data, hvAt(A1, V));
    close(c.hessian(T(A1, [n, n])).data, hessianFrom((e) => hvAt(A1, e), n * n));
  } finally {
    c.dispose();
  }
}

describe("second order through logdet, cholesky and solve against closed forms", () => {
  it.each(sizes)("logdet, n = %i: H·V = −A⁻ᵀVᵀA⁻ᵀ and Vᵀ·H·V = −tr(A⁻¹VA⁻¹V) (eager, compiled; Hessian too)", (n) => {
    const r = rng(100 + n), A = general(r, n), A1 = general(r, n), V = randomM(r, n * n);
    const hvAt = (a: Float64Array, v: Float64Array) => {
      const inv = inverse(a, n), w = mm(mm(inv, v, n, n, n), inv, n, n, n);
      return tr(w, n, n).map((x) => -x);
    };
    const f = (a: Nd) => ad.logdet(a);
    const got = ad.hvp(f)(T(A, [n, n]), T(V, [n, n])).data;
    close(got, hvAt(A, V));
    const inv = inverse(A, n), M = mm(mm(inv, V, n, n, n), mm(inv, V, n, n, n), n, n, n);
    let trace = 0;
    for (let i = 0; i < n; i++) trace += M[i * n + i];
    expect(got.reduce((s, h, k) => s + h * V[k], 0)).toBeAllclose(-trace, { rtol: 1e-12, atol: 1e-14 });
    compiledAgrees(f, n, A, A1, V, hvAt);
    close(ad.hessian(f)(T(A, [n, n])).data, hessianFrom((e) => hvAt(A, e), n * n));
  });

  it.each(sizes)("cholesky, n = %i: 2Σ log L_ii has H·V = −A⁻¹·½(V + Vᵀ)·A⁻¹ (eager, compiled; Hessian too)", (n) => {
    const r = rng(200 + n), A = spd(r, n), A1 = spd(r, n), V = randomM(r, n * n);
    const hvAt = (a: Float64Array, v: Float64Array) => {
      const inv = inverse(a, n), s = axpby(v, 0.5, tr(v, n, n), 0.5);
      return mm(mm(inv, s, n, n, n), inv, n, n, n).map((x) => -x);
    };
    const f = (a: Nd) => {
      const L = ad.cholesky(a);
      let s: ad.Operand = 0;
      for (let i = 0; i < n; i++) s = ad.add(s, ad.log(L.at(i, i)));
      return ad.mul(s, 2) as ad.Scalar;
    };
    close(ad.hvp(f)(T(A, [n, n]), T(V, [n, n])).data, hvAt(A, V));
    compiledAgrees(f, n, A, A1, V, hvAt);
    const H = ad.hessian(f)(T(A, [n, n]));
    expectSymmetric(H);
    close(H.data, hessianFrom((e) => hvAt(A, e), n * n));
  });

  it.each([[2, 1], [3, 2], [4, 3], [5, 1]])("solve, A %i×%i·B: Σ C⊙A⁻¹B has H·(V, W) = (−(U̇Xᵀ + UẊᵀ), U̇), U = A⁻ᵀC, Ẋ = A⁻¹(W − VX), U̇ = −A⁻ᵀVᵀU", (n, k) => {
    const r = rng(300 + 10 * n + k), A = general(r, n), B = randomM(r, n * k), C = randomM(r, n * k);
    const V = randomM(r, n * n), W = randomM(r, n * k), A1 = general(r, n), B1 = randomM(r, n * k);
    const hvAt = (a: Float64Array, b: Float64Array, v: Float64Array, w: Float64Array) => {
      const inv = inverse(a, n), invT = tr(inv, n, n);
      const X = mm(inv, b, n, n, k), U = mm(invT, C, n, n, k);
      const Xd = mm(inv, axpby(w, 1, mm(v, X, n, n, k), -1), n, n, k);
      const Ud = mm(invT, mm(tr(v, n, n), U, n, n, k), n, n, k).map((x) => -x);
      const hA = axpby(mm(Ud, tr(X, n, k), n, k, n), -1, mm(U, tr(Xd, n, k), n, k, n), -1);
      return [hA, Ud];
    };
    const shapeB = k === 1 ? [n] : [n, k];
    const f = ([a, b]: Nd[]) => ad.sum(ad.mul(ad.solve(a, b), T(C, shapeB)));
    const at = (a: Float64Array, b: Float64Array) => [T(a, [n, n]), T(b, shapeB)];
    const [hA, hB] = ad.hvp(f)(at(A, B), at(V, W));
    const [wantA, wantB] = hvAt(A, B, V, W);
    close(hA.data, wantA);
    close(hB.data, wantB);
    const c = ad.compile(f, at(A, B));
    try {
      const [cA, cB] = c.hvp(at(A1, B1), at(V, W));
      const [wA, wB] = hvAt(A1, B1, V, W);
      close(cA.data, wA);
      close(cB.data, wB);
    } finally {
      c.dispose();
    }
  });

  it.each(sizes)("solve with only B an input, n = %i: ½‖A⁻¹B‖² has H·W = A⁻ᵀA⁻¹W; solve(A, A) = I has H = 0", (n) => {
    const r = rng(400 + n), A = general(r, n), B = randomM(r, n * 2), W = randomM(r, n * 2);
    const f = (b: Nd) => ad.mul(ad.sum(ad.square(ad.solve(T(A, [n, n]), b))), 0.5);
    const inv = inverse(A, n);
    close(ad.hvp(f)(T(B, [n, 2]), T(W, [n, 2])).data, mm(tr(inv, n, n), mm(inv, W, n, n, 2), n, n, 2));
    const g = (a: Nd) => ad.sum(ad.mul(ad.solve(a, a), T(randomM(rng(n), n * n), [n, n])));
    const h = ad.hvp(g)(T(A, [n, n]), T(randomM(r, n * n), [n, n])).data;
    expect(maxAbs(h)).toBeLessThan(1e-13);
  });
});

// ---- differences of the gradient ----------------------------------------------------------------------------------

/** (∇f(x + hv) − ∇f(x − hv))/2h, Richardson-extrapolated over h and h/2 (error O(h⁴)). */
function fdAlong(grad: (x: Float64Array) => Float64Array, x: Float64Array, v: Float64Array, h = 1e-3): Float64Array {
  const c = (s: number) => {
    const gp = grad(axpby(x, 1, v, s)), gm = grad(axpby(x, 1, v, -s));
    return gp.map((g, i) => (g - gm[i]) / (2 * s));
  };
  const c1 = c(h), c2 = c(h / 2);
  return c2.map((g, i) => (4 * g - c1[i]) / 3);
}

interface Case {
  name: string;
  shapes: number[][];
  /** The inputs' values, flat in order (a fresh draw for each seed). */
  gen: (r: () => number) => Float64Array;
  f: (xs: Nd[]) => ad.Tensor<"nd"> | ad.Scalar;
  /** The inputs are square matrices read as ½(A + Aᵀ) (cholesky): the gradient is taken at the symmetrised point. */
  sym?: true;
}
const W4 = randomM(rng(7), 16);
const cases: Case[] = [
  { name: "cholesky [4,4]: Σ W⊙tanh(L)", shapes: [[4, 4]], gen: (r) => spd(r, 4), f: ([a]) => ad.sum(ad.mul(ad.tanh(ad.cholesky(a)), T(W4, [4, 4]))), sym: true },
  {
    name: "cholesky of x·xᵀ + 2I, x [4,3]: Σ sin(L) + ½ΣL²",
    shapes: [[4, 3]],
    gen: (r) => randomM(r, 12),
    f: ([x]) => {
      const L = ad.cholesky(ad.add(ad.matmul(x, x, { transposeB: true }), T([2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2], [4, 4])));
      return ad.add(ad.sum(ad.sin(L)), ad.mul(ad.sum(ad.square(L)), 0.5));
    },
  },
  { name: "solve, A [4,4] an input, B constant: Σ W⊙tanh(A⁻¹B)", shapes: [[4, 4]], gen: (r) => general(r, 4), f: ([a]) => ad.sum(ad.mul(ad.tanh(ad.solve(a, T(W4.subarray(0, 8), [4, 2]))), T(W4.subarray(8), [4, 2]))) },
  { name: "solve, only B [4,2] an input: Σ W⊙tanh(A⁻¹B)", shapes: [[4, 2]], gen: (r) => randomM(r, 8), f: ([b]) => ad.sum(ad.mul(ad.tanh(ad.solve(T(general(rng(9), 4), [4, 4]), b)), T(W4.subarray(8), [4, 2]))) },
  {
    name: "solve, A [5,5] and B [5,2]: Σ W⊙tanh(A⁻¹B)",
    shapes: [[5, 5], [5, 2]],
    gen: (r) => Float64Array.from([...general(r, 5), ...randomM(r, 10)]),
    f: ([a, b]) => ad.sum(ad.mul(ad.tanh(ad.solve(a, b)), T(W4.subarray(0, 10), [5, 2]))),
  },
  { name: "solve, A [3,3] and a vector b [3]: Σ exp(A⁻¹b)", shapes: [[3, 3], [3]], gen: (r) => Float64Array.from([...general(r, 3), ...randomM(r, 3)]), f: ([a, b]) => ad.sum(ad.exp(ad.solve(a, b))) },
  { name: "logdet [4,4]: sin(log|det A|)", shapes: [[4, 4]], gen: (r) => general(r, 4), f: ([a]) => ad.sum(ad.sin(ad.logdet(a))) },
  {
    name: "a chain, x [3,2], A = x·xᵀ + I: logdet(A) + Σ tanh(A⁻¹x) + Σ W⊙chol(A)",
    shapes: [[3, 2]],
    gen: (r) => randomM(r, 6),
    f: ([x]) => {
      const A = ad.add(ad.matmul(x, x, { transposeB: true }), T([1, 0, 0, 0, 1, 0, 0, 0, 1], [3, 3]));
      return ad.add(ad.add(ad.sum(ad.logdet(A)), ad.sum(ad.tanh(ad.solve(A, x)))), ad.sum(ad.mul(ad.cholesky(A), T(W4.subarray(0, 9), [3, 3]))));
    },
  },
];

describe.each(cases)("second order through the linear algebra against differences of the gradient: $name", (c) => {
  const sizes = c.shapes.map((s) => s.reduce((a, b) => a * b, 1)), n = sizes.reduce((a, b) => a + b, 0);
  const like: Plain[] = c.shapes.map((s, i) => P(new Float64Array(sizes[i]), s));
  const args = (flat: Float64Array) => {
    let at = 0;
    return c.shapes.map((s, i) => T(flat.slice(at, (at += sizes[i])), s));
  };
  const flat = (gs: ad.TensorData[]) => Float64Array.from(gs.flatMap((g) => [...g.data]));
  const f = (xs: Nd[]) => ad.sum(c.f(xs) as Nd);
  const grad = (x: Float64Array) => flat(ad.grad(f)(args(c.sym ? symmetrised(x, like) : x) as never) as ad.TensorData[]);
  const r = rng(500 + n);
  const x0 = c.gen(r), x1 = c.gen(r);
  const tol = (want: Float64Array) => ({ rtol: 1e-9, atol: 1e-9 * maxAbs(want) });

  it("hvp along random directions (eager at x0, compiled at x1)", () => {
    const cf = ad.compile(f, args(x0) as never);
    try {
      for (let k = 0; k < 3; k++) {
        const v = randomM(r, n);
        const want0 = fdAlong(grad, x0, v), want1 = fdAlong(grad, x1, v);
        expect(flat(ad.hvp(f)(args(x0) as never, args(v) as never) as ad.TensorData[])).toBeAllclose(want0, tol(want0));
        expect(flat(cf.hvp(args(x1) as never, args(v) as never) as ad.TensorData[])).toBeAllclose(want1, tol(want1));
      }
    } finally {
      cf.dispose();
    }
  });

  it("the Hessian, every column (eager at x0, compiled at x1), symmetric", () => {
    const cf = ad.compile(f, args(x0) as never);
    let H1: ad.Jacobian;
    try {
      H1 = cf.hessian(args(x1) as never);
    } finally {
      cf.dispose();
    }
    const H0 = ad.hessian(f)(args(x0) as never);
    for (const [H, x] of [[H0, x0], [H1, x1]] as const) {
      expect([H.rows, H.cols]).toEqual([n, n]);
      expectSymmetric(H);
      for (let j = 0; j < n; j++) {
        const e = new Float64Array(n);
        e[j] = 1;
        const want = fdAlong(grad, x, e);
        expect(Float64Array.from({ length: n }, (_, i) => H.data[i * n + j])).toBeAllclose(want, tol(want));
      }
    }
  });
});
