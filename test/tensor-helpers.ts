/** @file Helpers of the table-driven tensor op tests: plain float64 tensors and broadcasting (index loops over
 * `Math.*`, independent of the tape), input generators, Richardson central differences, and `defineRows`,
 * which checks each row's value, gradient, jvp and compiled replay at first order, and its Hessian, hvp and
 * compiled hvp at second order. */
import { describe, it, expect } from "vitest";
import * as ad from "../src/index.js";
import { rng, uniform } from "./helpers.js";

/** A plain tensor: row-major elements and a shape (the reference side of every check). */
export interface Plain {
  data: Float64Array;
  shape: number[];
}
export const sizeOf = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
export const P = (data: ArrayLike<number>, shape: readonly number[]): Plain => ({ data: Float64Array.from(data), shape: [...shape] });

/** The multi-index of flat position k in `shape`. */
export function unravel(k: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = k % shape[d];
    k = Math.floor(k / shape[d]);
  }
  return idx;
}
/** The flat position of a multi-index in `shape`. */
export const ravel = (idx: readonly number[], shape: readonly number[]): number => idx.reduce((k, i, d) => k * shape[d] + i, 0);

/** NumPy broadcasting of two shapes (throws on a mismatch: the reference never needs to). */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  return Array.from({ length: n }, (_, i) => {
    const da = a[a.length - n + i] ?? 1, db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`reference: ${a} and ${b} do not broadcast`);
    return da === 1 ? db : da;
  });
}
/** Element of x read at index `idx` of a broadcast shape (right-aligned, length-1 axes repeat). */
export function readBroadcast(x: Plain, idx: readonly number[]): number {
  const off = idx.length - x.shape.length;
  return x.data[ravel(x.shape.map((d, i) => (d === 1 ? 0 : idx[off + i])), x.shape)];
}
/** Reference f(x) elementwise. */
export const ew1 = (x: Plain, f: (v: number) => number): Plain => ({ data: x.data.map(f), shape: [...x.shape] });
/** Reference f(a, b) elementwise with broadcasting. */
export function ew2(a: Plain, b: Plain, f: (x: number, y: number) => number): Plain {
  const shape = broadcastShape(a.shape, b.shape);
  const data = new Float64Array(sizeOf(shape));
  for (let k = 0; k < data.length; k++) {
    const idx = unravel(k, shape);
    data[k] = f(readBroadcast(a, idx), readBroadcast(b, idx));
  }
  return { data, shape };
}
/** A 0-d plain tensor. */
export const scalarPlain = (v: number): Plain => P([v], []);

/** Samples one element. */
export type Gen = (r: () => number) => number;
export const U = (lo: number, hi: number): Gen => (r) => uniform(r, lo, hi);
/** ±[lo, hi): away from 0 (kinks, poles). */
export const away = (lo: number, hi: number): Gen => (r) => (r() < 0.5 ? -1 : 1) * uniform(r, lo, hi);
/** Points of the lattice 0.5ℤ + off (plus < 0.1): two lattices with offsets 0.25 apart never come closer than 0.15. */
export const lattice = (off: number): Gen => (r) => Math.floor(uniform(r, -5, 5)) * 0.5 + off + uniform(r, 0, 0.1);
/** Small integers, so that comparisons hit ties. */
export const ints: Gen = (r) => Math.floor(uniform(r, -1, 2));

/** An input of a row: a `tensor(…)` (gradient TensorData), a Float64Array (gradient Float64Array) or a number (a Scalar handle). */
export type Input = { kind: "tensor"; shape: number[]; gen: Gen } | { kind: "vector"; n: number; gen: Gen } | { kind: "scalar"; gen: Gen };
export const tIn = (shape: number[], gen: Gen): Input => ({ kind: "tensor", shape, gen });
export const vIn = (n: number, gen: Gen): Input => ({ kind: "vector", n, gen });
export const sIn = (gen: Gen): Input => ({ kind: "scalar", gen });

/** What a row's op sees: the handles of its inputs, in order. */
export type Handle = ad.Tensor<ad.TensorKind> | ad.Scalar;
export type Handles = readonly Handle[];
/** Input i as a tensor handle / as a Scalar handle (the rows know which). */
export const T = (xs: Handles, i: number): ad.Tensor<ad.TensorKind> => xs[i] as ad.Tensor<ad.TensorKind>;
export const S = (xs: Handles, i: number): ad.Scalar => xs[i] as ad.Scalar;

/** A row of an op table. */
export interface Row {
  name: string;
  inputs: Input[];
  /** The op on handles. */
  f: (xs: Handles) => ad.Tensor<"nd">;
  /** The same op on plain values, written independently of adtape. */
  ref: (xs: Plain[]) => Plain;
  /** Relative tolerance of the value (default 1e-15: elementwise). */
  rtol?: number;
  /** "fd": check against central differences (default); "zero": the op has no derivative, the gradient is exactly 0. */
  grad?: "fd" | "zero";
  /** Check the differences at this many sampled coordinates only (large rows). */
  sample?: number;
  /** An absolute difference step (default 1e-3·max(1, |x|)), for functions whose scale is not |x|'s. */
  step?: number;
  /** Every input is a square matrix the op reads as ½(A + Aᵀ) (cholesky): its derivatives are those of the symmetrised
   * function, which the engine's gradient is only at a symmetric A, so differences of the gradient are taken at the
   * symmetrised point. */
  symmetric?: true;
}

// Loosely typed transforms: rows take heterogeneous input arrays, which the precise tree types do not express.
type Fn = (x: never) => unknown;
export const gradOf = ad.grad as unknown as (f: Fn) => (x: unknown) => unknown;
export const vjpOf = ad.vjp as unknown as (f: Fn) => (x: unknown) => [unknown, (ct: unknown) => unknown];
export const jvpOf = ad.jvp as unknown as (f: Fn) => (x: unknown, v: unknown) => [unknown, unknown];
export const hvpOf = ad.hvp as unknown as (f: Fn) => (x: unknown, v: unknown) => unknown;
export const hessianOf = ad.hessian as unknown as (f: Fn) => (x: unknown) => ad.Jacobian;
interface LooseCompiled {
  value(x: unknown): unknown;
  grad(x: unknown): unknown;
  jvp(x: unknown, v: unknown): [unknown, unknown];
  hvp(x: unknown, v: unknown): unknown;
  hessian(x: unknown): ad.Jacobian;
  dispose(): void;
}
export const compileOf = ad.compile as unknown as (f: Fn, x0: unknown) => LooseCompiled;

/** A deterministic seed from a row's name. */
export function seedOf(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Samples a row's inputs: the plain values and the transform argument built from them. */
export function sample(inputs: readonly Input[], r: () => number): { plain: Plain[]; arg: unknown[] } {
  const plain = inputs.map((s) => {
    const n = s.kind === "tensor" ? sizeOf(s.shape) : s.kind === "vector" ? s.n : 1;
    const data = Float64Array.from({ length: n }, () => s.gen(r));
    return P(data, s.kind === "tensor" ? s.shape : s.kind === "vector" ? [s.n] : []);
  });
  return { plain, arg: argOf(inputs, plain) };
}
/** The transform argument of a row built from plain values. */
export const argOf = (inputs: readonly Input[], plain: readonly Plain[]): unknown[] => plain.map((p, i) => toArg(inputs[i], p));
function toArg(s: Input, p: Plain): unknown {
  return s.kind === "tensor" ? ad.tensor(p.data.slice(), p.shape) : s.kind === "vector" ? p.data.slice() : p.data[0];
}

/** A gradient as returned by adtape, checked to have the kind and shape of its input, flattened. */
export function flatGrad(g: unknown, s: Input): Float64Array {
  if (s.kind === "scalar") return (expect(typeof g).toBe("number"), Float64Array.of(g as number));
  if (s.kind === "vector") return (expect(g).toBeInstanceOf(Float64Array), g as Float64Array);
  expect(g).toBeInstanceOf(ad.TensorData);
  expect((g as ad.TensorData).shape).toEqual(s.shape);
  return (g as ad.TensorData).data;
}

/** ∂f/∂t at t by Richardson-extrapolated central differences (steps h, h/2: error O(h⁴)). */
export function richardson(f: (t: number) => number, t: number, step?: number): number {
  const h = step ?? 1e-3 * Math.max(1, Math.abs(t));
  const c = (s: number) => (f(t + s) - f(t - s)) / (2 * s);
  return (4 * c(h / 2) - c(h)) / 3;
}

/** The gradient of plain scalar F at inputs `xs` by differences, one Float64Array per input; unsampled coordinates NaN. */
export function fdGradient(F: (xs: Plain[]) => number, xs: Plain[], pick?: (i: number, k: number) => boolean, step?: number): Float64Array[] {
  return xs.map((x, i) =>
    Float64Array.from(x.data, (v, k) => {
      if (pick && !pick(i, k)) return NaN;
      const at = (t: number) => {
        const ys = xs.map((p) => P(p.data, p.shape));
        ys[i].data[k] = t;
        return F(ys);
      };
      return richardson(at, v, step);
    }),
  );
}

/** Expects `got` close to `want` where want is not NaN (unsampled). */
export function expectSampled(got: Float64Array, want: Float64Array, tol: { rtol: number; atol: number }): void {
  const keep = [...want.keys()].filter((k) => !Number.isNaN(want[k]));
  expect(keep.map((k) => got[k])).toBeAllclose(keep.map((k) => want[k]), tol);
}

/** A gradient-shaped result of a row (one entry per input), flattened into one vector in tree order. */
export function flatAll(g: unknown, inputs: readonly Input[]): Float64Array {
  const parts = inputs.map((s, i) => flatGrad((g as unknown[])[i], s));
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
}
/** Plain values shaped like `like`, read from one flat vector (the inverse of flattening in tree order). */
export function unflat(flat: Float64Array, like: readonly Plain[]): Plain[] {
  let at = 0;
  return like.map((p) => P(flat.subarray(at, (at += p.data.length)), p.shape));
}
/** Flat inputs (square matrices shaped like `like`) with each matrix replaced by ½(A + Aᵀ). */
export function symmetrised(flat: Float64Array, like: readonly Plain[]): Float64Array {
  const out = flat.slice();
  let at = 0;
  for (const p of like) {
    const n = p.shape[0];
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[at + i * n + j] = 0.5 * (flat[at + i * n + j] + flat[at + j * n + i]);
    at += p.data.length;
  }
  return out;
}
/** Column j of the Jacobian of vector function g at x, by Richardson-extrapolated central differences (steps h, h/2). */
export function fdColumn(g: (x: Float64Array) => Float64Array, x: Float64Array, j: number, step?: number): Float64Array {
  const h = step ?? 1e-3 * Math.max(1, Math.abs(x[j]));
  const c = (s: number) => {
    const xp = x.slice(), xm = x.slice();
    xp[j] += s;
    xm[j] -= s;
    const gp = g(xp), gm = g(xm);
    return gp.map((v, i) => (v - gm[i]) / (2 * s));
  };
  const c1 = c(h), c2 = c(h / 2);
  return c2.map((v, i) => (4 * v - c1[i]) / 3);
}
/** k distinct indices below n, at random (a partial Fisher–Yates shuffle). */
export function pickColumns(n: number, k: number, r: () => number): number[] {
  const idx = [...Array(n).keys()];
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(r() * (n - i));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx.slice(0, k);
}
/** The largest |element| (0 when empty). */
export function maxAbs(xs: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < xs.length; i++) m = Math.max(m, Math.abs(xs[i]));
  return m;
}
/** Column j of an n × n row-major matrix. */
export const column = (h: ad.Jacobian, j: number): Float64Array => Float64Array.from({ length: h.rows }, (_, i) => h.data[i * h.cols + j]);
/** H·v for an n × n row-major H. */
export const matVec = (h: ad.Jacobian, v: ArrayLike<number>): Float64Array =>
  Float64Array.from({ length: h.rows }, (_, i) => {
    let s = 0;
    for (let j = 0; j < h.cols; j++) s += h.data[i * h.cols + j] * v[j];
    return s;
  });
/** Expects an n × n matrix to be symmetric up to `tol`·max|H|. */
export function expectSymmetric(h: ad.Jacobian, tol = 1e-12): void {
  expect(h.rows).toBe(h.cols);
  const n = h.rows, scale = maxAbs(h.data);
  let worst = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) worst = Math.max(worst, Math.abs(h.data[i * n + j] - h.data[j * n + i]));
  expect(worst).toBeLessThanOrEqual(tol * scale);
}
/** Runs `f` and expects it to throw an AdError with `code`. */
export function expectCode(f: () => unknown, code: string): void {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(ad.AdError);
  expect((caught as ad.AdError).code).toBe(code);
}

/** Runs `f` and expects it to throw an AdError with code TENSOR_MODE. */
export function expectTensorMode(f: () => unknown): void {
  expectCode(f, "TENSOR_MODE");
}
/** The known-good second-order call: f(x) = Σ c ⊙ tanh(M·x), whose Hessian Σᵢ cᵢ·tanh''(zᵢ)·MᵢMᵢᵀ and hvp (eager and
 * compiled) are checked against plain loops. */
export function expectGoodSecond(): void {
  const M = [0.5, -1, 2, 1.5, 0.25, -0.75], c = [1.25, -0.5], x = [0.3, -0.2, 0.4], v = [1, -2, 0.5];
  const f = (h: ad.Tensor<"nd">) => ad.sum(ad.mul(ad.tanh(ad.matmul(ad.tensor(M, [2, 3]), h)), ad.tensor(c, [2])));
  const want = new Float64Array(9);
  for (let i = 0; i < 2; i++) {
    const t = Math.tanh(M[3 * i] * x[0] + M[3 * i + 1] * x[1] + M[3 * i + 2] * x[2]);
    const d2 = -2 * t * (1 - t * t) * c[i];
    for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) want[3 * a + b] += d2 * M[3 * i + a] * M[3 * i + b];
  }
  const H = ad.hessian(f)(ad.tensor(x, [3]));
  expect([H.rows, H.cols]).toEqual([3, 3]);
  expect(H.data).toBeAllclose(want, { rtol: 1e-13, atol: 1e-15 });
  const Hv = matVec({ data: want, rows: 3, cols: 3 }, v);
  expect(ad.hvp(f)(ad.tensor(x, [3]), ad.tensor(v, [3])).data).toBeAllclose(Hv, { rtol: 1e-13, atol: 1e-15 });
  const cf = ad.compile(f, ad.tensor([0, 0, 0], [3]));
  try {
    expect(cf.hvp(ad.tensor(x, [3]), ad.tensor(v, [3])).data).toBeAllclose(Hv, { rtol: 1e-13, atol: 1e-15 });
  } finally {
    cf.dispose();
  }
}

/** Registers, for every row: its value against the reference; the gradient of a random weighted sum
 * Σ w⊙f(x) against differences of the reference; jvp along a random direction against directional differences;
 * compiled replay (value, grad, jvp) at new inputs against eager; and second order of Σ w⊙f(x) + ½Σ f(x)² (the
 * square term gives linear ops a Hessian, fᵀf through J): the Hessian against central differences of the
 * gradient (all columns, or 12 sampled ones via hvp with unit vectors for rows of more than 12 input elements)
 * and its symmetry, hvp along a random v against H·v, compiled hvp (and Hessian, up to 64 inputs) at new inputs
 * against eager. */
export function defineRows(title: string, rows: readonly Row[]): void {
  describe.each(rows.map((row) => [row.name, row] as const))(`${title}: %s`, (_, row) => {
    const seed = seedOf(row.name);
    const { plain: x0, arg: a0 } = sample(row.inputs, rng(seed));
    const want = row.ref(x0);
    const wr = rng(seed + 1);
    const w = Float64Array.from({ length: want.data.length }, () => uniform(wr, -1, 1));
    const W = ad.tensor(w, want.shape);
    const loss = (xs: Handles) => ad.sum(ad.mul(row.f(xs), W));
    const lossRef = (xs: Plain[]) => row.ref(xs).data.reduce((s, v, k) => s + v * w[k], 0);

    it("value equals the plain reference", () => {
      const [y] = vjpOf(row.f as Fn)(a0);
      expect(y).toBeInstanceOf(ad.TensorData);
      expect((y as ad.TensorData).shape).toEqual(want.shape);
      expect((y as ad.TensorData).data).toBeAllclose(want.data, { rtol: row.rtol ?? 1e-15, atol: 1e-300 });
    });

    it(row.grad === "zero" ? "gradient is exactly zero (no derivative)" : "gradient equals differences of the reference", () => {
      const g = gradOf(loss as Fn)(a0) as unknown[];
      const got = row.inputs.map((s, i) => flatGrad(g[i], s));
      if (row.grad === "zero") return got.forEach((gi) => expect(gi.every((v) => v === 0)).toBe(true));
      const pr = rng(seed + 2);
      const total = x0.reduce((n, p) => n + p.data.length, 0);
      const pick = row.sample ? () => pr() < row.sample! / total : undefined;
      const num = fdGradient(lossRef, x0, pick, row.step);
      got.forEach((gi, i) => expectSampled(gi, num[i], { rtol: 1e-6, atol: 1e-8 }));
    });

    it(row.grad === "zero" ? "jvp is exactly zero" : "jvp equals directional differences of the reference", () => {
      const { plain: dir, arg: v } = sample(row.inputs.map((s) => ({ ...s, gen: (r: () => number) => uniform(r, -1, 1) })), rng(seed + 4));
      const [y, ydot] = jvpOf(row.f as Fn)(a0, v);
      expect((y as ad.TensorData).data).toBeAllclose(want.data, { rtol: row.rtol ?? 1e-15, atol: 1e-300 });
      const got = (ydot as ad.TensorData).data;
      if (row.grad === "zero") return expect(got.every((d) => d === 0)).toBe(true);
      const along = (t: number) => row.ref(x0.map((p, i) => P(p.data.map((e, k) => e + t * dir[i].data[k]), p.shape)));
      // (an element whose value is NaN, e.g. a mean over an empty axis, has no derivative to check)
      const num = want.data.map((_, j) => richardson((t) => along(t).data[j], 0, row.step ?? 1e-3));
      expectSampled(got, num, { rtol: 1e-6, atol: 1e-8 });
    });

    /** The second-order objective: Σ w⊙f(x) + ½Σ f(x)². */
    const loss2 = (xs: Handles) => {
      const y = row.f(xs);
      return ad.add(ad.sum(ad.mul(y, W)), ad.mul(ad.sum(ad.square(y)), 0.5));
    };
    const n = x0.reduce((k, p) => k + p.data.length, 0);
    const flat0 = Float64Array.from(x0.flatMap((p) => [...p.data]));
    const argAt = (flat: Float64Array) => argOf(row.inputs, unflat(flat, x0));
    const randomV = (s: number) => {
      const r = rng(s);
      return Float64Array.from({ length: n }, () => uniform(r, -1, 1));
    };

    it(row.grad === "zero" ? "second order is exactly zero (hessian, hvp, compiled hvp and Hessian)" : "second order: Hessian equals differences of the gradient, symmetric; hvp = H·v; compiled hvp and Hessian equal eager", () => {
      const H = hessianOf(loss2 as Fn)(a0);
      expect([H.rows, H.cols]).toEqual([n, n]);
      const v0 = randomV(seed + 7), hv = flatAll(hvpOf(loss2 as Fn)(a0, argAt(v0)), row.inputs);
      const { arg: a1 } = sample(row.inputs, rng(seed + 3));
      const v1 = argAt(randomV(seed + 8));
      const cl = compileOf(loss2 as Fn, a0);
      let compiledHv: Float64Array, compiledH: ad.Jacobian | undefined;
      try {
        compiledHv = flatAll(cl.hvp(a1, v1), row.inputs);
        if (n <= 64) compiledH = cl.hessian(a1);
      } finally {
        cl.dispose();
      }
      const eagerHv = flatAll(hvpOf(loss2 as Fn)(a1, v1), row.inputs);
      const eagerH = compiledH && hessianOf(loss2 as Fn)(a1);
      if (row.grad === "zero") {
        for (const xs of [H.data, hv, compiledHv, eagerHv, compiledH?.data ?? [], eagerH?.data ?? []]) expect(xs.every((e) => e === 0)).toBe(true);
        return;
      }
      const scale = maxAbs(H.data);
      expectSymmetric(H);
      // Columns: all, or 12 sampled ones, taken by hvp with a unit vector (which must be that column of H).
      const cols = n <= 12 ? [...Array(n).keys()] : pickColumns(n, 12, rng(seed + 6));
      const gradAt = (flat: Float64Array) => flatAll(gradOf(loss2 as Fn)(argAt(row.symmetric ? symmetrised(flat, x0) : flat)), row.inputs);
      for (const j of cols) {
        let col = column(H, j);
        if (n > 12) {
          const e = new Float64Array(n);
          e[j] = 1;
          const byHvp = flatAll(hvpOf(loss2 as Fn)(a0, argAt(e)), row.inputs);
          expect(byHvp).toBeAllclose(col, { rtol: 1e-13, atol: 1e-13 * scale });
          col = byHvp;
        }
        const num = fdColumn(gradAt, flat0, j, row.step);
        expect(col).toBeAllclose(num, { rtol: 1e-6, atol: 1e-6 * Math.max(scale, maxAbs(num)) });
      }
      // hvp = H·v (up to the rounding of the sums: 1e-12 of Σⱼ|Hᵢⱼvⱼ|).
      const absHv = matVec({ ...H, data: H.data.map(Math.abs) }, v0.map(Math.abs));
      expect(hv).toBeAllclose(matVec(H, v0), { rtol: 1e-12, atol: 1e-12 * maxAbs(absHv) });
      // Compiled hvp (and Hessian, up to 64 inputs) at new inputs against eager there.
      expect(compiledHv).toBeAllclose(eagerHv, { rtol: 1e-13, atol: 1e-13 * maxAbs(eagerHv) });
      if (compiledH && eagerH) expect(compiledH.data).toBeAllclose(eagerH.data, { rtol: 1e-13, atol: 1e-13 * maxAbs(eagerH.data) });
    });

    it("compiled replay (value, grad, jvp) at new inputs equals eager", () => {
      const { arg: a1 } = sample(row.inputs, rng(seed + 3));
      const cl = compileOf(loss as Fn, a0), cf = compileOf(row.f as Fn, a0);
      try {
        const eagerG = gradOf(loss as Fn)(a1) as unknown[];
        const compiledG = cl.grad(a1) as unknown[];
        row.inputs.forEach((s, i) => expect(flatGrad(compiledG[i], s)).toBeAllclose(flatGrad(eagerG[i], s), { rtol: 1e-14, atol: 1e-300 }));
        const [y1] = vjpOf(row.f as Fn)(a1);
        const v1 = cf.value(a1) as ad.TensorData;
        expect(v1.shape).toEqual((y1 as ad.TensorData).shape);
        expect(v1.data).toBeAllclose((y1 as ad.TensorData).data, { rtol: 1e-14, atol: 1e-300 });
        const { arg: v } = sample(row.inputs, rng(seed + 5));
        const [, eagerDot] = jvpOf(row.f as Fn)(a1, v);
        expect((cf.jvp(a1, v)[1] as ad.TensorData).data).toBeAllclose((eagerDot as ad.TensorData).data, { rtol: 1e-14, atol: 1e-300 });
        const lv = cl.value(a1) as ad.TensorData;
        expect(lv.data).toBeAllclose([lossRef(sample(row.inputs, rng(seed + 3)).plain)], { rtol: 1e-12, atol: 1e-14 });
      } finally {
        cl.dispose();
        cf.dispose();
      }
    });
  });
}
