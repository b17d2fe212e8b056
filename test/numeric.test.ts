/**
 * @file Tests for the numerical-differences baseline. Every expectation is checked against
 * a CLOSED FORM (cos for sin, exp for exp, 1/x for log, a hand-derived Rosenbrock
 * gradient, h and h² for x² and x³), never against the code under test.
 */
import { describe, it, expect } from "vitest";
import {
  forwardDiff,
  centralDiff,
  richardson,
  numericalDerivative,
  numericalGrad,
  numericalJacobian,
  checkGrad,
  type Method,
} from "../src/baselines/numeric.js";

const EPS = Number.EPSILON;
const rel = (got: number, want: number): number => Math.abs(got - want) / Math.abs(want);
const maxOf = (xs: number[]): number => Math.max(...xs);

// Points where cos is far from 0, so relative error is meaningful.
const SIN_POINTS = [-2, -0.5, 0.3, 1, 2.5];

/** Rosenbrock in n dimensions: sum of 100(x[i+1]-x[i]²)² + (1-x[i])². */
function rosenbrock(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i + 1 < x.length; i++) s += 100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2;
  return s;
}

/** Hand-derived gradient of rosenbrock. */
function rosenbrockGrad(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  const g = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (i + 1 < n) g[i] += -400 * x[i] * (x[i + 1] - x[i] ** 2) - 2 * (1 - x[i]);
    if (i > 0) g[i] += 200 * (x[i] - x[i - 1] ** 2);
  }
  return g;
}

const X5 = [-1.2, 1, 0.5, -0.3, 0.8];

describe("scalar derivatives against closed forms", () => {
  it("d/dx sin = cos at several points, every method", () => {
    for (const x of [...SIN_POINTS, 10, 100]) {
      expect(rel(numericalDerivative(Math.sin, x), Math.cos(x))).toBeLessThan(1e-12);
      expect(rel(centralDiff(Math.sin, x), Math.cos(x))).toBeLessThan(1e-7);
      expect(rel(forwardDiff(Math.sin, x), Math.cos(x))).toBeLessThan(1e-6);
    }
  });

  it("d/dx exp = exp, including large x", () => {
    for (const x of [-3, 0, 1, 5, 20]) {
      expect(rel(richardson(Math.exp, x).value, Math.exp(x))).toBeLessThan(1e-12);
      expect(rel(numericalDerivative(Math.exp, x, { method: "central" }), Math.exp(x))).toBeLessThan(1e-8);
    }
  });

  it("d/dx log = 1/x at small x (Richardson keeps its steps inside the domain)", () => {
    for (const x of [1e-3, 1e-5, 1e-8, 0.5, 1e3]) {
      expect(rel(numericalDerivative(Math.log, x), 1 / x)).toBeLessThan(1e-12);
    }
  });

  it("x³ at 0: Richardson gives 0, central gives exactly h² (default h = cbrt(eps))", () => {
    const cube = (x: number) => x * x * x;
    expect(Math.abs(richardson(cube, 0).value)).toBeLessThan(1e-15);
    const h = Math.cbrt(EPS);
    expect(rel(centralDiff(cube, 0), h * h)).toBeLessThan(1e-12);
    expect(rel(centralDiff(cube, 0, 1e-3), 1e-6)).toBeLessThan(1e-12);
  });

  it("x² at 0: forward gives exactly h (default h = sqrt(eps), or the h given)", () => {
    const sq = (x: number) => x * x;
    expect(forwardDiff(sq, 0)).toBe(Math.sqrt(EPS));
    expect(forwardDiff(sq, 0, 0.5)).toBe(0.5);
    expect(numericalDerivative(sq, 0, { method: "forward", h: 0.25 })).toBe(0.25);
  });

  it("one Richardson step cancels the h² term exactly: x³ at 1 with h = 0.5", () => {
    const cube = (x: number) => x * x * x;
    // central(h) = 3 + h² for x³ at 1, so the raw quotient is off by 0.25 ...
    expect(centralDiff(cube, 1, 0.5)).toBeCloseTo(3.25, 14);
    // ... and a single extrapolation (t²D(h/t) - D(h))/(t²-1) removes it entirely.
    expect(richardson(cube, 1, { h: 0.5, maxSteps: 2 }).value).toBeCloseTo(3, 13);
  });

  it("each tableau column cancels one more even power: x⁵ at 1 with h = 0.5", () => {
    const quint = (x: number) => x ** 5;
    // central(h) = 5 + 10h² + h⁴: two extrapolations are needed to reach 5 exactly.
    expect(Math.abs(richardson(quint, 1, { h: 0.5, maxSteps: 2 }).value - 5)).toBeGreaterThan(1e-3);
    expect(richardson(quint, 1, { h: 0.5, maxSteps: 3 }).value).toBeCloseTo(5, 12);
  });

  it("divides by the step actually taken, so d/dx x = 1 exactly for any h", () => {
    const id = (x: number) => x;
    for (const h of [1e-10, 3e-7, 0.1]) {
      expect(forwardDiff(id, 1, h)).toBe(1);
      expect(centralDiff(id, 1, h)).toBe(1);
    }
  });

  it("Richardson reports a small error estimate when it converges and a large one when h is bad", () => {
    const good = richardson(Math.sin, 1);
    expect(good.error).toBeGreaterThanOrEqual(0);
    expect(good.error).toBeLessThan(1e-12);
    // sin oscillates over a step of 10; the tableau cannot converge and must say so.
    const bad = richardson(Math.sin, 100, { h: 10 });
    expect(bad.error).toBeGreaterThan(1e-3);
    expect(rel(richardson(Math.sin, 100).value, Math.cos(100))).toBeLessThan(1e-12);
  });
});

describe("the 'noisy in h' lesson", () => {
  const errs = (m: Method) => SIN_POINTS.map((x) => rel(numericalDerivative(Math.sin, x, { method: m }), Math.cos(x)));

  it("forward error is O(sqrt(eps)), central ~1e-10, Richardson <= 1e-12", () => {
    const fwd = errs("forward");
    const cen = errs("central");
    const ric = errs("richardson");
    for (const e of fwd) expect(e).toBeLessThan(1e-6);
    expect(maxOf(fwd)).toBeGreaterThan(1e-10);
    for (const e of cen) expect(e).toBeLessThan(1e-9);
    for (const e of ric) expect(e).toBeLessThan(1e-12);
    expect(maxOf(fwd)).toBeGreaterThan(100 * maxOf(cen));
    expect(maxOf(cen)).toBeGreaterThan(10 * maxOf(ric));
  });

  it("a too-small h (1e-14) makes the forward difference visibly wrong", () => {
    const tiny = SIN_POINTS.map((x) => rel(forwardDiff(Math.sin, x, 1e-14), Math.cos(x)));
    const dflt = errs("forward");
    for (let k = 0; k < tiny.length; k++) expect(tiny[k]).toBeGreaterThan(1e-5);
    expect(maxOf(tiny)).toBeGreaterThan(1e-3);
    expect(maxOf(tiny)).toBeGreaterThan(1e4 * maxOf(dflt));
    expect(rel(forwardDiff(Math.exp, 1, 1e-14), Math.E)).toBeGreaterThan(1e-4);
  });
});

describe("numericalGrad", () => {
  const want = rosenbrockGrad(X5);

  it("matches the hand-derived 5-D Rosenbrock gradient with every method", () => {
    const tol: Record<Method, number> = { richardson: 1e-10, central: 1e-7, forward: 1e-4 };
    for (const method of ["richardson", "central", "forward"] as const) {
      const g = numericalGrad(rosenbrock, X5, { method });
      expect(g).toBeInstanceOf(Float64Array);
      expect(g.length).toBe(5);
      for (let i = 0; i < 5; i++) {
        expect(Math.abs(g[i] - want[i])).toBeLessThan(tol[method] * Math.max(1, Math.abs(want[i])));
      }
    }
  });

  it("accepts number[] and Float64Array alike and never mutates the caller's x", () => {
    const arr = Object.freeze([...X5]);
    const f64 = Float64Array.from(X5);
    let seen: Float64Array | undefined;
    const g1 = numericalGrad((v) => ((seen = v), rosenbrock(v)), f64);
    const g2 = numericalGrad(rosenbrock, arr);
    expect(Array.from(f64)).toEqual(X5);
    expect(arr).toEqual(X5);
    expect(seen).not.toBe(f64);
    for (let i = 0; i < 5; i++) {
      expect(rel(g1[i], want[i])).toBeLessThan(1e-10);
      expect(rel(g2[i], want[i])).toBeLessThan(1e-10);
    }
  });

  it("costs n+1 calls (forward), 2n (central), more for Richardson", () => {
    const count = (method: Method) => {
      let calls = 0;
      numericalGrad((v) => (calls++, rosenbrock(v)), X5, { method });
      return calls;
    };
    expect(count("forward")).toBe(6);
    expect(count("central")).toBe(10);
    const ric = count("richardson");
    expect(ric).toBeGreaterThan(10);
    expect(ric).toBeLessThanOrEqual(5 * (2 * 10 * 3 + 20));
  });

  it("propagates NaN from f as NaN", () => {
    const nanAtFirst = (v: Float64Array) => (v[0] > 0 ? NaN : v[0] * v[1]);
    const g = numericalGrad(nanAtFirst, [1, 2], { method: "central" });
    expect(Number.isNaN(g[0])).toBe(true);
    expect(Number.isNaN(g[1])).toBe(true);
    for (const method of ["forward", "central", "richardson"] as const) {
      expect(numericalDerivative(() => NaN, 1, { method })).toBeNaN();
    }
    expect(richardson(() => NaN, 1).error).toBeNaN();
  });

  it("propagates a NaN that only appears at small steps of a later Richardson start", () => {
    // The first start (h0 = 10) never steps below 0.48 and converges badly; the second hits the hole.
    const holey = (x: number) => (Math.abs(x - 100) < 0.45 ? NaN : Math.sin(x));
    expect(richardson(holey, 100).value).toBeNaN();
  });

  it("shrinks the default Richardson start into the domain cheaply", () => {
    let calls = 0;
    const log = (x: number) => (calls++, Math.log(x));
    expect(rel(richardson(log, 1e-8).value, 1e8)).toBeLessThan(1e-12);
    expect(calls).toBeLessThan(100);
  });

  it("returns an empty gradient for an empty x", () => {
    expect(numericalGrad(() => 1, []).length).toBe(0);
  });
});

describe("checkGrad", () => {
  it("ok = true for the correct gradient, as an array or as a function", () => {
    for (const analytic of [rosenbrockGrad(X5), Array.from(rosenbrockGrad(X5)), rosenbrockGrad]) {
      const r = checkGrad(rosenbrock, analytic, X5);
      expect(r.ok).toBe(true);
      expect(r.maxRelErr).toBeLessThan(1e-9);
      expect(r.analytic).toEqual(rosenbrockGrad(X5));
      expect(r.numeric.length).toBe(5);
    }
  });

  it("ok = false with the right worstIndex when one component is wrong", () => {
    for (const bad of [0, 3, 4]) {
      const g = rosenbrockGrad(X5);
      const delta = 1e-3 * Math.max(1, Math.abs(g[bad]));
      g[bad] += delta;
      const r = checkGrad(rosenbrock, g, X5);
      expect(r.ok).toBe(false);
      expect(r.worstIndex).toBe(bad);
      expect(r.maxAbsErr).toBeCloseTo(delta, 8);
    }
  });

  it("applies |a-n| <= atol + rtol*|n|", () => {
    const f = (v: Float64Array) => 1e3 * v[0]; // gradient exactly [1000]
    expect(checkGrad(f, [1000 * (1 + 1e-7)], [2]).ok).toBe(true);
    expect(checkGrad(f, [1000 * (1 + 1e-7)], [2], { rtol: 1e-9, atol: 0 }).ok).toBe(false);
    expect(checkGrad(f, [1000.5], [2], { rtol: 0, atol: 1 }).ok).toBe(true);
  });

  it("fails when the analytic gradient is NaN and does not mutate x", () => {
    const x = Float64Array.from(X5);
    const g = rosenbrockGrad(X5);
    g[2] = NaN;
    const r = checkGrad(rosenbrock, g, x);
    expect(r.ok).toBe(false);
    expect(r.worstIndex).toBe(2);
    expect(Array.from(x)).toEqual(X5);
  });
});

describe("bad input throws a clear error", () => {
  const notFn = 42 as unknown as (x: number) => number;

  it("non-function f", () => {
    expect(() => forwardDiff(notFn, 1)).toThrow(TypeError);
    expect(() => centralDiff(notFn, 1)).toThrow(/f must be a function/);
    expect(() => richardson(notFn, 1)).toThrow(/f must be a function/);
    expect(() => numericalGrad(notFn as never, [1])).toThrow(TypeError);
    expect(() => checkGrad(notFn as never, [1], [1])).toThrow(/f must be a function/);
  });

  it("non-finite x", () => {
    expect(() => forwardDiff(Math.sin, NaN)).toThrow(RangeError);
    expect(() => richardson(Math.sin, Infinity)).toThrow(/x must be finite/);
    expect(() => numericalGrad(rosenbrock, [1, NaN])).toThrow(/x\[1\] must be finite/);
    expect(() => checkGrad(rosenbrock, [0, 0], [Infinity, 1])).toThrow(RangeError);
    expect(() => numericalGrad(rosenbrock, "12" as never)).toThrow(TypeError);
  });

  it("length mismatch between analytic and x", () => {
    expect(() => checkGrad(rosenbrock, [1, 2], X5)).toThrow(RangeError);
    expect(() => checkGrad(rosenbrock, () => [1, 2, 3], X5)).toThrow(/length 3 but x has length 5/);
  });

  it("f returning a non-number", () => {
    const str = (() => "1") as unknown as (x: number) => number;
    expect(() => centralDiff(str, 1)).toThrow(TypeError);
    expect(() => numericalDerivative(str, 1)).toThrow(/must return a number, got string/);
    const undef = (() => undefined) as unknown as (x: Float64Array) => number;
    expect(() => numericalGrad(undef, [1, 2])).toThrow(/must return a number, got undefined/);
  });

  it("bad options: h, maxSteps, method, tolerances", () => {
    expect(() => forwardDiff(Math.sin, 1, 0)).toThrow(RangeError);
    expect(() => centralDiff(Math.sin, 1, -1)).toThrow(/h must be a finite positive number/);
    expect(() => forwardDiff(Math.sin, 1, 1e-20)).toThrow(/too small/);
    expect(() => richardson(Math.sin, 1, { maxSteps: 1 })).toThrow(/maxSteps/);
    expect(() => numericalDerivative(Math.sin, 1, { method: "backward" as Method })).toThrow(/method must be one of/);
    expect(() => checkGrad(rosenbrock, [0, 0], [1, 1], { rtol: -1 })).toThrow(/rtol/);
  });
});

describe("numericalJacobian", () => {
  const METHODS = ["forward", "central", "richardson"] as const;
  /** Polar to cartesian, (r, θ) -> (r cos θ, r sin θ), and its Jacobian [[cos θ, -r sin θ], [sin θ, r cos θ]]. */
  const polar = (v: Float64Array) => [v[0] * Math.cos(v[1]), v[0] * Math.sin(v[1])];
  const polarJ = (r: number, t: number) => [Math.cos(t), -r * Math.sin(t), Math.sin(t), r * Math.cos(t)];
  /** The benchmark's W6 map y_j = tanh(Σᵢ A_ji xᵢ) + x_(j mod n)², A m × n row-major. */
  const w6 = (A: number[], n: number, m: number) => (v: Float64Array) =>
    Array.from({ length: m }, (_, j) => Math.tanh(v.reduce((s, xi, i) => s + A[j * n + i] * xi, 0)) + v[j % n] ** 2);
  /** Its Jacobian: J_ji = (1 - tanh²(s_j)) A_ji + 2xᵢ where i = j mod n. */
  const w6J = (A: number[], n: number, m: number, x: number[]) =>
    Array.from({ length: m * n }, (_, k) => {
      const j = Math.floor(k / n), i = k % n;
      const t = Math.tanh(x.reduce((s, xi, l) => s + A[j * n + l] * xi, 0));
      return (1 - t * t) * A[k] + (i === j % n ? 2 * x[i] : 0);
    });
  const A35 = [0.3, -1.1, 0.7, 1.4, 0.2, -0.5, -0.8, 0.9, 0.1, 0.6, -0.4, 1.2, -1.3, 0.05, 0.8];
  const X3 = [0.4, -0.7, 1.1];

  it("matches polar -> cartesian and W6 with every method, to its expected accuracy", () => {
    const tol: Record<Method, number> = { richardson: 1e-11, central: 1e-8, forward: 1e-6 };
    for (const method of METHODS) {
      const J = numericalJacobian(polar, [2, 0.5], { method });
      expect([J.rows, J.cols]).toEqual([2, 2]);
      expect(J.data).toBeAllclose(polarJ(2, 0.5), { rtol: tol[method], atol: tol[method] });
      const W = numericalJacobian(w6(A35, 3, 5), X3, { method });
      expect([W.rows, W.cols]).toEqual([5, 3]);
      expect(W.data).toBeAllclose(w6J(A35, 3, 5, X3), { rtol: tol[method], atol: tol[method] });
    }
  });

  it("forward error is O(h) and central O(h²): halving h halves one, quarters the other", () => {
    const err = (method: Method, h: number) => numericalJacobian(polar, [2, 0.5], { method, h }).data[1] - polarJ(2, 0.5)[1];
    // ∂(r cos θ)/∂θ: forward = f' + h f''/2 + O(h²), central = f' + h² f'''/6 + O(h⁴), f'' = -r cos θ, f''' = r sin θ
    expect(err("forward", 1e-3) / 1e-3).toBeAllclose((-2 * Math.cos(0.5)) / 2, { rtol: 1e-3 });
    expect(err("forward", 1e-3) / err("forward", 5e-4)).toBeAllclose(2, { rtol: 1e-3 });
    expect(err("central", 1e-3) / 1e-6).toBeAllclose((2 * Math.sin(0.5)) / 6, { rtol: 1e-3 });
    expect(err("central", 1e-3) / err("central", 5e-4)).toBeAllclose(4, { rtol: 1e-3 });
  });

  it("gives a linear map A·x exactly where every step is exact, and to rounding otherwise", () => {
    const A = [3, -1, 4, 1, -5, 9, 2, -6, 5, 3, -5, 8]; // 3 × 4
    const lin = (v: Float64Array) => [0, 1, 2].map((j) => v.reduce((s, xi, i) => s + A[j * 4 + i] * xi, 0));
    const x = [1, -2, 3, 0.5];
    for (const method of ["forward", "central"] as const) {
      expect(Array.from(numericalJacobian(lin, x, { method, h: 2 ** -10 }).data)).toEqual(A); // dyadic: no rounding at all
      // Default h: rounding only, ~eps·Σ|A_ji xᵢ| / h.
      expect(numericalJacobian(lin, x, { method }).data).toBeAllclose(A, { rtol: 0, atol: method === "forward" ? 1e-6 : 1e-9 });
    }
    expect(numericalJacobian(lin, x).data).toBeAllclose(A, { rtol: 1e-13 });
  });

  it("costs n+1 calls (forward), 2n (central); Richardson shares its calls between outputs", () => {
    const count = (f: (v: Float64Array) => number[] | number, method: Method) => {
      let calls = 0;
      numericalJacobian((v) => (calls++, f(v)), X3, { method });
      return calls;
    };
    const g = w6(A35, 3, 5);
    expect(count(g, "forward")).toBe(4);
    expect(count(g, "central")).toBe(6);
    const one = (v: Float64Array) => g(v)[0];
    // Five copies of one output take exactly the calls of one; five different outputs at most ~60 a coordinate.
    expect(count((v) => Array(5).fill(one(v)), "richardson")).toBe(count(one, "richardson"));
    const five = count(g, "richardson");
    expect(five).toBeGreaterThan(6);
    expect(five).toBeLessThanOrEqual(1 + 3 * (2 * 10 * 3 + 20));
  });

  it("takes a scalar or one-element result as m = 1, agreeing with numericalGrad", () => {
    const asArray = (v: Float64Array) => [rosenbrock(v)], asTyped = (v: Float64Array) => Float64Array.of(rosenbrock(v));
    for (const method of METHODS) {
      const want = numericalGrad(rosenbrock, X5, { method });
      for (const f of [rosenbrock, asArray, asTyped]) {
        const J = numericalJacobian(f, X5, { method });
        expect([J.rows, J.cols]).toEqual([1, 5]);
        expect(Array.from(J.data)).toEqual(Array.from(want));
      }
    }
  });

  it("handles n = 0 (one call, to learn m) and m = 0", () => {
    expect(numericalJacobian(() => [1, 2, 3], [])).toEqual({ data: new Float64Array(0), rows: 3, cols: 0 });
    expect(numericalJacobian(() => [], [1, 2])).toEqual({ data: new Float64Array(0), rows: 0, cols: 2 });
  });

  it("never mutates x, hands f a private copy, and copies a result buffer f reuses", () => {
    const x = Float64Array.from(X3), frozen = Object.freeze([...X3]);
    const out = new Float64Array(5), g = w6(A35, 3, 5);
    let seen: Float64Array | undefined;
    const reusing = (v: Float64Array) => ((seen = v), out.set(g(v)), out);
    for (const method of METHODS) {
      expect(numericalJacobian(reusing, x, { method }).data).toBeAllclose(w6J(A35, 3, 5, X3), { rtol: 1e-6, atol: 1e-6 });
      expect(numericalJacobian(g, frozen, { method }).rows).toBe(5);
    }
    expect(Array.from(x)).toEqual(X3);
    expect(frozen).toEqual(X3);
    expect(seen).not.toBe(x);
  });

  it("propagates NaN in one output to that output's row only", () => {
    const f = (v: Float64Array) => [v[0] * v[1], v[1] > 0 ? NaN : 1];
    for (const method of METHODS) {
      const { data } = numericalJacobian(f, [2, 3], { method });
      expect(Array.from(data.subarray(0, 2))).toBeAllclose([3, 2], { rtol: 1e-6 });
      expect(data[2]).toBeNaN();
      expect(data[3]).toBeNaN();
    }
  });

  it("throws a clear error for bad f, x, options or results", () => {
    expect(() => numericalJacobian(42 as never, [1])).toThrow(/f must be a function/);
    expect(() => numericalJacobian(polar, [1, NaN])).toThrow(/x\[1\] must be finite/);
    expect(() => numericalJacobian(polar, "12" as never)).toThrow(TypeError);
    expect(() => numericalJacobian(polar, [1, 2], { method: "backward" as Method })).toThrow(/method must be one of/);
    expect(() => numericalJacobian(polar, [1, 2], { h: 0 })).toThrow(/h must be a finite positive number/);
    expect(() => numericalJacobian(polar, [1e10, 2], { method: "central", h: 1e-20 })).toThrow(/too small/);
    const bad = (v: unknown) => () => v as number;
    expect(() => numericalJacobian(bad("1"), [1])).toThrow(/must return a number or an array-like of numbers, got string/);
    expect(() => numericalJacobian(bad({}), [1])).toThrow(TypeError);
    expect(() => numericalJacobian(bad(null), [1])).toThrow(/got null/);
    expect(() => numericalJacobian(bad([1, "2"]), [1])).toThrow(/got string as output 1/);
    const ragged = (v: Float64Array) => (v[1] === 2 ? [1, 2] : [1, 2, 3]);
    for (const method of METHODS) {
      expect(() => numericalJacobian(ragged, [1, 2], { method })).toThrow(RangeError);
      expect(() => numericalJacobian(ragged, [1, 2], { method })).toThrow(/returned \d outputs with x\[\d\] = .*, but \d on its first call/);
    }
  });
});
