/**
 * @file Numerical-differences baseline: finite-difference derivatives, gradients, Jacobians
 * and gradient checking for PLAIN JavaScript functions. It is the oracle the tests use to
 * check automatic derivatives, and one of the "four ways to get a gradient" (numerical
 * differences: O(n) calls of f per gradient, noisy in the step h). All arithmetic is
 * float64; the file is independent of the tape and imports nothing from the library.
 *
 * NaN convention: a NaN produced by f propagates as NaN in the results (derivative,
 * gradient component, error estimate); it is never silently replaced by a number.
 * Bad input (non-function f, non-finite x, f returning a non-number, bad options,
 * length mismatches) throws a TypeError or RangeError whose message names the problem.
 * @module baselines/numeric
 */

/**
 * A plain scalar function R -> R to differentiate.
 * @example
 * ```ts
 * import { centralDiff, type ScalarFn } from "adtape/baselines/numeric";
 * const cube: ScalarFn = (x) => x ** 3;
 * centralDiff(cube, 2); // → ≈ 12
 * ```
 */
export type ScalarFn = (x: number) => number;
/**
 * A plain function R^n -> R; it receives a private Float64Array it should not keep or mutate.
 * @example
 * ```ts
 * import { numericalGrad, type VectorFn } from "adtape/baselines/numeric";
 * const f: VectorFn = (x) => x[0] * x[1];
 * numericalGrad(f, [2, 3]); // → ≈ [3, 2]
 * ```
 */
export type VectorFn = (x: Float64Array) => number;
/**
 * Finite-difference scheme: forward O(h), central O(h²), or Richardson-extrapolated central.
 * @example
 * ```ts
 * import { numericalDerivative, type Method } from "adtape/baselines/numeric";
 * const err = (method: Method) => Math.abs(numericalDerivative(Math.exp, 1, { method }) - Math.E);
 * [err("forward") < 1e-7, err("central") < 1e-10, err("richardson") < 1e-13]; // → [true, true, true]
 * ```
 */
export type Method = "forward" | "central" | "richardson";

const EPS = Number.EPSILON;
const SQRT_EPS = Math.sqrt(EPS);
const CBRT_EPS = Math.cbrt(EPS);
/** Ridders: initial step relative to max(1,|x|); need not be small, f should change over it. */
const RIDDERS_H0 = 0.1;
/** Ridders: step shrink factor between tableau columns (Numerical Recipes' CON). */
const RIDDERS_SHRINK = 1.4;
/** Ridders: stop once the higher order is worse than the best error by this factor. */
const RIDDERS_SAFE = 2;
const RIDDERS_STEPS = 10;
/** Ridders: how many initial steps (each 10x smaller) the default tries. */
const RIDDERS_STARTS = 3;
const METHODS: readonly Method[] = ["forward", "central", "richardson"];

// NOTE: A finite difference has two error sources. Truncation error comes from the Taylor
// terms the formula drops: forward (f(x+h)-f(x))/h = f' + h f''/2 + O(h²), so it is O(h);
// central (f(x+h)-f(x-h))/(2h) = f' + h² f'''/6 + O(h⁴), the even terms cancel, so it is
// O(h²). Rounding error comes from subtracting two nearly equal float64 values, each
// carrying a relative error ~eps, then dividing by h: it is ~eps|f|/h and GROWS as h
// shrinks. Balancing h against eps/h gives h ~ eps^(1/2) (total error ~1e-8) for forward;
// balancing h² against eps/h gives h ~ eps^(1/3) (total error ~1e-11) for central. Both
// defaults are scaled by max(1,|x|) so the step stays meaningful relative to x. This is
// the "noisy in h" lesson: a smaller h is NOT more accurate once rounding dominates.

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

function requireFunction(f: unknown): void {
  if (typeof f !== "function") {
    throw new TypeError(`f must be a function, got ${describe(f)}`);
  }
}

function requireFiniteX(x: unknown, name = "x"): number {
  if (typeof x !== "number") throw new TypeError(`${name} must be a number, got ${describe(x)}`);
  if (!Number.isFinite(x)) throw new RangeError(`${name} must be finite, got ${x}`);
  return x;
}

function resolvePositive(v: unknown, fallback: number, name: string): number {
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
    throw new RangeError(`${name} must be a finite positive number, got ${String(v)}`);
  }
  return v;
}

function resolveTolerance(v: unknown, fallback: number, name: string): number {
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
    throw new RangeError(`${name} must be a finite non-negative number, got ${String(v)}`);
  }
  return v;
}

function resolveMethod(m: unknown): Method {
  if (m === undefined) return "richardson";
  if (!METHODS.includes(m as Method)) {
    throw new RangeError(`method must be one of ${METHODS.join(", ")}; got ${String(m)}`);
  }
  return m as Method;
}

/** Calls f and insists on a number result (NaN allowed: it propagates). */
function call(f: ScalarFn, x: number): number {
  const v: unknown = f(x);
  if (typeof v !== "number") {
    throw new TypeError(`f must return a number, got ${describe(v)} at x = ${x}`);
  }
  return v;
}

/** Copies x into a fresh Float64Array, checking it is an array of finite numbers. */
function toVector(x: unknown, name: string): Float64Array {
  if (!(x instanceof Float64Array) && !Array.isArray(x)) {
    throw new TypeError(`${name} must be a Float64Array or an array of numbers, got ${describe(x)}`);
  }
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = requireFiniteX(x[i], `${name}[${i}]`);
  return out;
}

/** Forward quotient (f(x+h)-f(x))/h. */
function forwardQuotient(f: ScalarFn, x: number, h: number | undefined): number {
  const step = resolvePositive(h, SQRT_EPS * Math.max(1, Math.abs(x)), "h");
  // NOTE: divide by the step actually taken, (x+h)-x, which is exact in float64; dividing
  // by the nominal h would add an avoidable representation error of up to eps|x|/h.
  const xp = x + step;
  const dx = xp - x;
  if (dx === 0) throw new RangeError(`h = ${step} is too small: x + h rounds to x = ${x}`);
  return (call(f, xp) - call(f, x)) / dx;
}

/**
 * Forward difference (f(x+h)-f(x))/h; default h = sqrt(eps)*max(1,|x|).
 * @example
 * ```ts
 * import { forwardDiff } from "adtape/baselines/numeric";
 * forwardDiff(Math.exp, 1); // → ≈ Math.E
 * Math.abs(forwardDiff(Math.exp, 1) - Math.E) < 1e-7; // → true — an O(h) error, h ≈ 1.5e-8
 * ```
 */
export function forwardDiff(f: ScalarFn, x: number, h?: number): number {
  requireFunction(f);
  requireFiniteX(x);
  return forwardQuotient(f, x, h);
}

/** One central difference quotient over the representable interval [x-h, x+h]. */
function centralQuotient(f: ScalarFn, x: number, h: number): number {
  const xp = x + h;
  const xm = x - h;
  const dx = xp - xm;
  if (dx === 0) throw new RangeError(`h = ${h} is too small: x ± h round to x = ${x}`);
  return (call(f, xp) - call(f, xm)) / dx;
}

/**
 * Central difference (f(x+h)-f(x-h))/(2h); default h = cbrt(eps)*max(1,|x|).
 * @example
 * ```ts
 * import { centralDiff } from "adtape/baselines/numeric";
 * centralDiff(Math.exp, 1); // → ≈ Math.E
 * Math.abs(centralDiff(Math.exp, 1) - Math.E) < 1e-10; // → true — an O(h²) error, h ≈ 6e-6
 * ```
 */
export function centralDiff(f: ScalarFn, x: number, h?: number): number {
  requireFunction(f);
  requireFiniteX(x);
  const step = resolvePositive(h, CBRT_EPS * Math.max(1, Math.abs(x)), "h");
  return centralQuotient(f, x, step);
}

/**
 * Shrinks the default Ridders step by 10x while f(x±h) is non-finite but f(x) is finite
 * (x near the edge of f's domain, e.g. log near 0, or overflow). Domains are assumed to be
 * intervals, so every later (smaller) step stays inside. If f(x) itself is non-finite the
 * step is left alone so that the NaN propagates.
 */
function fitToDomain(f: ScalarFn, x: number, h: number, scale: number): number {
  let fx: number | undefined;
  while (h > 1e3 * EPS * scale) {
    if (Number.isFinite(call(f, x + h)) && Number.isFinite(call(f, x - h))) return h;
    fx ??= call(f, x);
    if (!Number.isFinite(fx)) return h;
    h /= 10;
  }
  return h;
}

// NOTE: Richardson extrapolation. The central quotient D(h) = f' + c₂h² + c₄h⁴ + … has an
// error that is a series in h². With t = 1.4 (shrink factor), D(h/t) = f' + c₂h²/t² + …,
// so (t²·D(h/t) - D(h)) / (t² - 1) cancels the h² term exactly, leaving O(h⁴); repeating
// with t⁴, t⁶, … on the resulting columns cancels h⁴, h⁶, … (Neville tableau). Because
// the steps start LARGE (0.1·max(1,|x|)), rounding error eps|f|/h stays tiny while the
// extrapolation removes truncation error, so smooth functions reach ~1e-13 relative.
// Ridders' rule keeps the entry with the smallest error estimate (distance to its two
// parents) and stops once the diagonal gets worse than SAFE × that estimate, i.e. when
// rounding starts to win.

/** One Ridders tableau from initial step h; non-finite quotients are returned with error NaN. */
function ridders(f: ScalarFn, x: number, h: number, steps: number): { value: number; error: number } {
  const t2 = RIDDERS_SHRINK * RIDDERS_SHRINK;
  let prev: number[] = [centralQuotient(f, x, h)];
  if (!Number.isFinite(prev[0])) return { value: prev[0], error: NaN };
  let value = prev[0];
  let error = Infinity;
  for (let i = 1; i < steps; i++) {
    h /= RIDDERS_SHRINK;
    const row: number[] = [centralQuotient(f, x, h)];
    if (!Number.isFinite(row[0])) return { value: row[0], error: NaN };
    let fac = t2;
    for (let j = 1; j <= i; j++) {
      row[j] = (row[j - 1] * fac - prev[j - 1]) / (fac - 1);
      fac *= t2;
      const est = Math.max(Math.abs(row[j] - row[j - 1]), Math.abs(row[j] - prev[j - 1]));
      if (est <= error) {
        error = est;
        value = row[j];
      }
    }
    if (Math.abs(row[i] - prev[i - 1]) >= RIDDERS_SAFE * error) break;
    prev = row;
  }
  return { value, error };
}

/**
 * Richardson-extrapolated central differences (Ridders' method: tableau with step shrink factor 1.4, stop when the error estimate grows); returns the estimate and an error estimate.
 * @example
 * ```ts
 * import { richardson } from "adtape/baselines/numeric";
 * const { value, error } = richardson(Math.exp, 1);
 * [Math.abs(value - Math.E) < 1e-14, error < 1e-13]; // → [true, true]
 * ```
 */
export function richardson(
  f: ScalarFn,
  x: number,
  opts: { h?: number; maxSteps?: number } = {},
): {
  /** The derivative estimate. */
  value: number;
  /** An estimate of its absolute error. */
  error: number;
} {
  requireFunction(f);
  requireFiniteX(x);
  const scale = Math.max(1, Math.abs(x));
  const h = resolvePositive(opts.h, RIDDERS_H0 * scale, "h");
  const steps = opts.maxSteps ?? RIDDERS_STEPS;
  if (!Number.isInteger(steps) || steps < 2) {
    throw new RangeError(`maxSteps must be an integer >= 2, got ${String(opts.maxSteps)}`);
  }
  if (opts.h !== undefined) return ridders(f, x, h, steps);
  // NOTE: the best initial step depends on how fast f varies (sin near x = 100 needs a far
  // smaller start than 0.1·|x|), which is unknown. So the default tries up to RIDDERS_STARTS
  // starts, each 10x smaller, keeps the smallest error estimate, and stops early once that
  // estimate is at rounding level.
  let h0 = fitToDomain(f, x, h, scale);
  let best = ridders(f, x, h0, steps);
  for (let k = 1; k < RIDDERS_STARTS && best.error > 1e-13 * Math.max(1, Math.abs(best.value)); k++) {
    h0 /= 10;
    const next = ridders(f, x, h0, steps);
    if (Number.isNaN(next.value)) return next; // never let a NaN from f be outvoted
    if (next.error < best.error) best = next;
  }
  return best;
}

/**
 * Derivative of f at x by the chosen method (default "richardson").
 * @example
 * ```ts
 * import { numericalDerivative } from "adtape/baselines/numeric";
 * numericalDerivative(Math.log, 2); // → ≈ 0.5
 * numericalDerivative(Math.log, 2, { method: "central", h: 1e-4 }); // → ≈ 0.5
 * ```
 */
export function numericalDerivative(
  f: ScalarFn,
  x: number,
  opts: { method?: Method; h?: number } = {},
): number {
  const method = resolveMethod(opts.method);
  if (method === "forward") return forwardDiff(f, x, opts.h);
  if (method === "central") return centralDiff(f, x, opts.h);
  return richardson(f, x, { h: opts.h }).value;
}

/**
 * Gradient of f: R^n -> R by per-coordinate differences (n or 2n or ~2n*steps calls of f); never mutates the caller's x. Accepts Float64Array or number[].
 * @example
 * ```ts
 * import { numericalGrad } from "adtape/baselines/numeric";
 * const rosen = (x: Float64Array) => 100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2;
 * numericalGrad(rosen, [0, 1]); // → ≈ [-2, 200]
 * ```
 */
export function numericalGrad(
  f: VectorFn,
  x: Float64Array | readonly number[],
  opts: { method?: Method; h?: number } = {},
): Float64Array {
  return differences(f, x, opts, true).data;
}

/**
 * Result of checkGrad: the verdict, the worst errors (NaN if any component is NaN), and both gradients.
 * @example
 * ```ts
 * import { checkGrad, type GradCheck } from "adtape/baselines/numeric";
 * const r: GradCheck = checkGrad((x) => x[0] * x[1], [3, 2], [2, 3]);
 * [r.ok, r.maxAbsErr < 1e-12, r.analytic, r.numeric]; // → ≈ [true, true, 3, 2, 3, 2]
 * ```
 */
export interface GradCheck {
  /** Every component satisfies |a-n| <= atol + rtol*|n| (false if either side is NaN). */
  ok: boolean;
  /** max |a-n| over components. */
  maxAbsErr: number;
  /** max |a-n|/|n| over components (0 where a = n, Infinity where n = 0 and a != 0). */
  maxRelErr: number;
  /** Component with the largest |a-n| / (atol + rtol*|n|); -1 for an empty x. */
  worstIndex: number;
  /** The analytic gradient that was checked. */
  analytic: Float64Array;
  /** numericalGrad's gradient. */
  numeric: Float64Array;
}

/** Evaluates/copies the analytic gradient into a Float64Array of x's length. */
function analyticVector(
  analytic: Float64Array | readonly number[] | ((x: Float64Array) => ArrayLike<number>),
  x: Float64Array,
): Float64Array {
  const raw: unknown = typeof analytic === "function" ? analytic(Float64Array.from(x)) : analytic;
  if (raw === null || typeof raw !== "object" || typeof (raw as ArrayLike<unknown>).length !== "number") {
    throw new TypeError(`analytic gradient must be array-like, got ${describe(raw)}`);
  }
  const a = raw as ArrayLike<unknown>;
  if (a.length !== x.length) {
    throw new RangeError(`analytic gradient has length ${a.length} but x has length ${x.length}`);
  }
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (typeof v !== "number") throw new TypeError(`analytic[${i}] must be a number, got ${describe(v)}`);
    out[i] = v;
  }
  return out;
}

/**
 * Compares an analytic gradient against numericalGrad: ok when every component satisfies |a-n| <= atol + rtol*|n| (defaults rtol 1e-6, atol 1e-8, method "richardson").
 * @example
 * ```ts
 * import { checkGrad } from "adtape/baselines/numeric";
 * const g = ad.grad((v: ad.Tensor) => v.at(0).sin().mul(v.at(1)))([1, 2]); // adtape's gradient of sin(x₀)·x₁
 * checkGrad((x) => Math.sin(x[0]) * x[1], g, [1, 2]).ok; // → true
 * checkGrad((x) => Math.sin(x[0]) * x[1], [0, 0], [1, 2]).ok; // → false
 * ```
 */
export function checkGrad(
  f: VectorFn,
  analytic: Float64Array | readonly number[] | ((x: Float64Array) => ArrayLike<number>),
  x: Float64Array | readonly number[],
  opts: { rtol?: number; atol?: number; method?: Method; h?: number } = {},
): GradCheck {
  requireFunction(f);
  const rtol = resolveTolerance(opts.rtol, 1e-6, "rtol");
  const atol = resolveTolerance(opts.atol, 1e-8, "atol");
  const xv = toVector(x, "x");
  const a = analyticVector(analytic, xv);
  const numeric = numericalGrad(f, xv, { method: opts.method ?? "richardson", h: opts.h });
  // worstIndex = component with the largest |a-n| / (atol + rtol|n|), i.e. closest to or
  // furthest past its tolerance; NaN in either gradient counts as worst and fails.
  let ok = true;
  let maxAbsErr = 0;
  let maxRelErr = 0;
  let worstIndex = -1;
  let worstRatio = -1;
  for (let i = 0; i < a.length; i++) {
    const n = numeric[i];
    const abs = Math.abs(a[i] - n);
    const bound = atol + rtol * Math.abs(n);
    const rel = abs === 0 ? 0 : abs / Math.abs(n);
    const ratio = Number.isNaN(abs) ? Infinity : bound > 0 ? abs / bound : abs === 0 ? 0 : Infinity;
    if (!(abs <= bound)) ok = false;
    maxAbsErr = Math.max(maxAbsErr, abs);
    maxRelErr = Math.max(maxRelErr, rel);
    if (ratio > worstRatio) {
      worstRatio = ratio;
      worstIndex = i;
    }
  }
  return { ok, maxAbsErr, maxRelErr, worstIndex, analytic: a, numeric };
}

/** f's outputs as a fresh Float64Array (f may reuse its result buffer), checked against m, the length of its first result (-1: none yet). */
function outputsOf(v: unknown, m: number, at: string, scalar: boolean): Float64Array {
  if (scalar && typeof v !== "number") throw new TypeError(`f must return a number, got ${describe(v)} ${at}`);
  const a = (typeof v === "number" ? [v] : v) as ArrayLike<unknown>;
  if (a === null || typeof a !== "object" || typeof a.length !== "number") {
    throw new TypeError(`f must return a number or an array-like of numbers, got ${describe(v)} ${at}`);
  }
  if (m >= 0 && a.length !== m) throw new RangeError(`f returned ${a.length} outputs ${at}, but ${m} on its first call`);
  const out = new Float64Array(a.length);
  for (let k = 0; k < a.length; k++) {
    if (typeof a[k] !== "number") throw new TypeError(`f must return numbers, got ${describe(a[k])} as output ${k} ${at}`);
    out[k] = a[k] as number;
  }
  return out;
}

/** The Jacobian by per-coordinate differences; `scalar` insists f returns a number (numericalGrad). */
function differences(
  f: (x: Float64Array) => unknown,
  x: Float64Array | readonly number[],
  opts: { method?: Method; h?: number },
  scalar: boolean,
): { data: Float64Array; rows: number; cols: number } {
  requireFunction(f);
  const method = resolveMethod(opts.method);
  const w = toVector(x, "x"); // f only ever sees this private copy; each coordinate is restored after every call
  const n = w.length;
  if (n === 0) return { data: new Float64Array(0), rows: scalar ? 1 : outputsOf(f(w), -1, "at x", false).length, cols: 0 };
  let m = -1;
  const evalAt = (i: number, t: number): Float64Array => {
    const xi = w[i];
    w[i] = t;
    try {
      const y = outputsOf(f(w), m, `with x[${i}] = ${t}`, scalar);
      m = y.length;
      return y;
    } finally {
      w[i] = xi;
    }
  };
  // Forward differences share one f(x) (n + 1 calls instead of 2n); Richardson needs it to know m.
  const fx = method === "central" ? undefined : evalAt(0, w[0]);
  const column = (i: number): Float64Array => {
    const xi = w[i];
    if (method === "richardson") {
      // Every output's tableau takes the same steps until it stops, so a cache of f along x[i] shares the calls.
      const seen = new Map([[xi, fx!]]);
      const along = (r: number) => (t: number) => {
        let y = seen.get(t);
        if (!y) seen.set(t, (y = evalAt(i, t)));
        return y[r];
      };
      return fx!.map((_, r) => richardson(along(r), xi, { h: opts.h }).value);
    }
    const forward = method === "forward";
    const step = resolvePositive(opts.h, (forward ? SQRT_EPS : CBRT_EPS) * Math.max(1, Math.abs(xi)), "h");
    const xp = xi + step, xm = forward ? xi : xi - step, dx = xp - xm; // the steps actually taken, as forwardQuotient
    if (dx === 0) throw new RangeError(`h = ${step} is too small: x[${i}] ± h round to x[${i}] = ${xi}`);
    const yp = evalAt(i, xp), ym = fx ?? evalAt(i, xm);
    return yp.map((v, r) => (v - ym[r]) / dx);
  };
  const cols = Array.from({ length: n }, (_, i) => column(i));
  const data = new Float64Array(m * n);
  cols.forEach((c, i) => c.forEach((v, r) => (data[r * n + i] = v)));
  return { data, rows: m, cols: n };
}

/**
 * Jacobian of f: R^n -> R^m (f returns m numbers, or a number when m = 1) by per-coordinate differences, row-major m × n as adtape's `jacobian` gives it, in n + 1 calls of f (forward), 2n (central), or, for Richardson, one call for f(x) plus per coordinate the calls of the most demanding output's Ridders tableaux (at most ~60 and a few domain probes), since the outputs share f's values.
 * @example
 * ```ts
 * import { numericalJacobian } from "adtape/baselines/numeric";
 * const polar = ([r, t]: Float64Array) => [r * Math.cos(t), r * Math.sin(t)]; // (r, θ) -> (x, y)
 * const J = numericalJacobian(polar, [2, 0.5], { method: "central" }); // 4 calls of polar
 * [J.rows, J.cols]; // → [2, 2]
 * J.data; // → ≈ [Math.cos(0.5), -2 * Math.sin(0.5), Math.sin(0.5), 2 * Math.cos(0.5)] — to ~1e-10
 * ```
 */
export function numericalJacobian(
  f: (x: Float64Array) => ArrayLike<number> | number,
  x: Float64Array | readonly number[],
  opts: { method?: Method; h?: number } = {},
): {
  /** ∂f_j/∂x_i at data[j * cols + i]. */
  data: Float64Array;
  /** m, the outputs. */
  rows: number;
  /** n, the inputs. */
  cols: number;
} {
  return differences(f, x, opts, false);
}
