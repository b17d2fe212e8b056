/**
 * @file L-BFGS on flat vectors: the two-loop recursion (Nocedal & Wright, Algorithm 7.4) over a ring of the last
 * `history` pairs (s, y), and `strongWolfe`, the line search of N&W Algorithms 3.5 (bracketing) and 3.6 (zoom, by
 * safeguarded cubic, then quadratic, interpolation). `minimize` drives it over parameter trees; used directly, it takes
 * a flat objective `fg(x, g)` that fills `g` with ∇f(x) and returns f(x).
 */
import { InputError } from "../errors.js";
import { checkKeys, numberOption } from "./check.js";

/**
 * A flat objective: writes ∇f(x) into `g` (same length as x) and returns f(x).
 * @example
 * ```ts
 * const f: ad.FlatObjective = (x, g) => { g[0] = 2 * (x[0] - 1); return (x[0] - 1) ** 2; }; // (x − 1)²
 * const g = new Float64Array(1);
 * f(Float64Array.of(3), g); // → 4
 * g; // → [4]
 * ```
 */
export type FlatObjective = (x: Float64Array, g: Float64Array) => number;

/**
 * Options of `strongWolfe`.
 * @example
 * ```ts
 * const opts: ad.LineSearchOptions = { c2: 0.1, maxEvals: 20 };
 * ad.strongWolfe((a) => [(a - 2) ** 2, 2 * (a - 2)], 4, -4, opts).alpha; // → 2
 * ```
 */
export interface LineSearchOptions {
  /** Sufficient-decrease constant (default 1e-4). */
  c1?: number;
  /** Curvature constant, c1 < c2 < 1 (default 0.9). */
  c2?: number;
  /** First trial step (default 1). */
  alpha?: number;
  /** Largest step tried (default 1e10). */
  alphaMax?: number;
  /** Most evaluations of φ (default 30). */
  maxEvals?: number;
}

/** What `strongWolfe` found: with `ok`, α satisfies both strong Wolfe conditions; otherwise α is the best point
 * with sufficient decrease that was seen (0 if none), and `nonFinite` tells whether some trial gave NaN or ±Inf.
 * @example
 * ```ts
 * const r: ad.LineSearchResult = ad.strongWolfe((a) => [(a - 2) ** 2, 2 * (a - 2)], 4, -4);
 * [r.ok, r.alpha, r.value, r.slope]; // → [true, 1, 1, -2] — α = 1 already satisfies both conditions
 * ```
 */
export interface LineSearchResult {
  /** Whether α satisfies both strong Wolfe conditions. */
  ok: boolean;
  /** The step. */
  alpha: number;
  /** φ(α). */
  value: number;
  /** φ′(α). */
  slope: number;
  /** Evaluations of φ made. */
  evaluations: number;
  /** Whether some trial gave NaN or ±Inf. */
  nonFinite: boolean;
}

/** The minimiser of the cubic matching φ and φ′ at a and b (N&W eq. 3.59), or NaN when it has none. */
function cubicMin(a: number, fa: number, da: number, b: number, fb: number, db: number): number {
  const d1 = da + db - (3 * (fa - fb)) / (a - b);
  const disc = d1 * d1 - da * db;
  if (!(disc >= 0)) return NaN;
  const d2 = Math.sign(b - a) * Math.sqrt(disc);
  return b - ((b - a) * (db + d2 - d1)) / (db - da + 2 * d2);
}

/** The minimiser of the quadratic matching φ(a), φ′(a) and φ(b), or NaN when it is not convex. */
function quadMin(a: number, fa: number, da: number, b: number, fb: number): number {
  const h = b - a;
  const c = (fb - fa - da * h) / (h * h);
  return c > 0 ? a - da / (2 * c) : NaN;
}

/**
 * A step α along a descent direction satisfying the strong Wolfe conditions φ(α) ≤ φ(0) + c1·α·φ′(0) and
 * |φ′(α)| ≤ c2·|φ′(0)|, where `phi(α)` returns [φ(α), φ′(α)]; φ′(0) must be negative. A non-finite trial counts as
 * too long a step.
 * @example
 * ```ts
 * ad.strongWolfe((a) => [(a - 2) ** 2, 2 * (a - 2)], 4, -4, { c2: 0.1 }).alpha; // → 2 — α = 1 is too short, 2 is exact
 * ```
 */
export function strongWolfe(phi: (alpha: number) => readonly [number, number], phi0: number, dphi0: number, options?: LineSearchOptions): LineSearchResult {
  const o = checkKeys("strongWolfe", options, ["c1", "c2", "alpha", "alphaMax", "maxEvals"]);
  const c1 = numberOption(o, "c1", 1e-4, { above: 0, below: 1 });
  const c2 = numberOption(o, "c2", 0.9, { above: c1, below: 1 });
  const alphaMax = numberOption(o, "alphaMax", 1e10, { above: 0 });
  let alpha = Math.min(numberOption(o, "alpha", 1, { above: 0 }), alphaMax);
  const maxEvals = numberOption(o, "maxEvals", 30, { min: 1, integer: true });
  if (!(dphi0 < 0) || !Number.isFinite(phi0)) {
    throw new InputError(`the line search needs a finite φ(0) and a descent direction (φ′(0) < 0), got φ(0) = ${phi0}, φ′(0) = ${dphi0}`, "phi");
  }
  const armijo = (a: number, f: number) => f <= phi0 + c1 * a * dphi0;
  const curvature = (d: number) => Math.abs(d) <= -c2 * dphi0;
  let evals = 0;
  let nonFinite = false;
  let best = { alpha: 0, value: phi0, slope: dphi0 }; // the lowest point with sufficient decrease
  const at = (a: number): [number, number] => {
    evals++;
    let [f, d] = phi(a);
    if (!Number.isFinite(f) || !Number.isFinite(d)) {
      nonFinite = true;
      f = Infinity; // too far: fails sufficient decrease, so it bounds the bracket
      d = NaN;
    } else if (armijo(a, f) && f < best.value) best = { alpha: a, value: f, slope: d };
    return [f, d];
  };
  const done = (a: number, f: number, d: number): LineSearchResult => ({ ok: true, alpha: a, value: f, slope: d, evaluations: evals, nonFinite });
  const failed = (): LineSearchResult => ({ ok: false, ...best, evaluations: evals, nonFinite });

  // Algorithm 3.6: the bracket [lo, hi] (either order) holds a strong Wolfe point; lo has sufficient decrease and
  // the lowest φ so far, and φ′(lo)·(hi − lo) < 0.
  const zoom = (lo: number, flo: number, dlo: number, hi: number, fhi: number, dhi: number): LineSearchResult => {
    while (evals < maxEvals) {
      const width = hi - lo;
      if (Math.abs(width) <= 1e-16 * Math.max(1, Math.abs(lo))) break;
      // The cubic through both ends' values and slopes, else the quadratic through lo's value and slope and hi's
      // value, else bisection (a quarter of the way from lo when hi is non-finite); kept 10% inside the bracket, so
      // the bracket shrinks by at least that much while a good interpolant next to an end still converges fast.
      let a = NaN;
      if (Number.isFinite(fhi)) {
        a = cubicMin(lo, flo, dlo, hi, fhi, dhi);
        if (!Number.isFinite(a)) a = quadMin(lo, flo, dlo, hi, fhi);
      }
      if (!Number.isFinite(a)) a = lo + (Number.isFinite(fhi) ? 0.5 : 0.25) * width;
      const margin = 0.1 * Math.abs(width);
      a = Math.min(Math.max(a, Math.min(lo, hi) + margin), Math.max(lo, hi) - margin);
      const [f, d] = at(a);
      // Near a minimum φ's values stop resolving the bracket before its slopes do: a value tied with φ(lo) to
      // rounding is not taken as worse, so the slope decides which end moves (the bracket stays valid either way).
      const tie = Math.abs(f - flo) <= 8 * Number.EPSILON * Math.abs(flo);
      if (!armijo(a, f) || (f >= flo && !tie)) {
        [hi, fhi, dhi] = [a, f, d];
      } else {
        if (curvature(d)) return done(a, f, d);
        if (d * (hi - lo) >= 0) [hi, fhi, dhi] = [lo, flo, dlo];
        [lo, flo, dlo] = [a, f, d];
      }
    }
    return failed();
  };

  // Algorithm 3.5: grow α until the bracket is found, or α itself satisfies the conditions.
  let [prev, fprev, dprev] = [0, phi0, dphi0];
  while (evals < maxEvals) {
    const [f, d] = at(alpha);
    if (!armijo(alpha, f) || (evals > 1 && f >= fprev)) return zoom(prev, fprev, dprev, alpha, f, d);
    if (curvature(d)) return done(alpha, f, d);
    if (d >= 0) return zoom(alpha, f, d, prev, fprev, dprev);
    if (alpha >= alphaMax) break;
    [prev, fprev, dprev] = [alpha, f, d];
    alpha = Math.min(2 * alpha, alphaMax);
  }
  return failed();
}

/**
 * Options of `lbfgs`.
 * @example
 * ```ts
 * const opts: ad.LbfgsOptions = { history: 20, maxLineSearch: 40 };
 * ad.lbfgs(opts).options.c2; // → 0.9 — the default
 * ```
 */
export interface LbfgsOptions {
  /** Pairs (s, y) kept (default 10). */
  history?: number;
  /** The line search's sufficient-decrease constant (default 1e-4). */
  c1?: number;
  /** The line search's curvature constant (default 0.9). */
  c2?: number;
  /** Most evaluations per line search (default 30). */
  maxLineSearch?: number;
}

/**
 * L-BFGS's state: the current point, value and gradient, and the ring of pairs.
 * @example
 * ```ts
 * const method = ad.lbfgs(), state: ad.LbfgsState = method.init(Float64Array.of(5), (x, g) => { g[0] = 2 * (x[0] - 1); return (x[0] - 1) ** 2; });
 * while (method.step(state) === "ok" && Math.abs(state.g[0]) > 1e-12);
 * [state.x[0], state.value, state.evaluations]; // → [1, 0, 3]
 * ```
 */
export interface LbfgsState {
  /** The current point. */
  x: Float64Array;
  /** ∇f(x). */
  g: Float64Array;
  /** f(x). */
  value: number;
  /** Objective evaluations so far, including the one at x0. */
  evaluations: number;
  /** Pairs held (≤ history). */
  pairs: number;
  /** The ring of (s, y) pairs and the step's work vectors. @internal */
  readonly internal: { s: Float64Array[]; y: Float64Array[]; rho: Float64Array; a: Float64Array; next: number; p: Float64Array; xt: Float64Array; gt: Float64Array; fg: FlatObjective };
}

/**
 * What one L-BFGS iteration did: "ok" (moved to a point with lower f), or why it could not move.
 * @example
 * ```ts
 * const method = ad.lbfgs(), state = method.init(Float64Array.of(1), (x, g) => { g[0] = 1; return x[0]; }); // unbounded below
 * const status: ad.LbfgsStatus = method.step(state);
 * status; // → "ok"
 * ```
 */
export type LbfgsStatus = "ok" | "line-search-failed" | "non-finite";

/**
 * The L-BFGS method: `init` evaluates f at a copy of x0; each `step` is one iteration (direction and line search).
 * @example
 * ```ts
 * const method: ad.Lbfgs = ad.lbfgs({ history: 5 });
 * const state = method.init(Float64Array.of(5), (x, g) => { g[0] = 2 * (x[0] - 1); return (x[0] - 1) ** 2; });
 * method.step(state); // → "ok"
 * ```
 */
export interface Lbfgs {
  /** Which optimizer this is. */
  readonly name: "lbfgs";
  /** The options with their defaults filled in. */
  readonly options: Readonly<Required<LbfgsOptions>>;
  /** A fresh state at a copy of x0, with f and ∇f evaluated there. */
  init(x0: Float64Array, fg: FlatObjective): LbfgsState;
  /** One iteration from `state`, which moves in place: a direction from the pairs, then a line search. */
  step(state: LbfgsState): LbfgsStatus;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** p ← −H·g by the two-loop recursion, H's initial scaling γ = sᵀy / yᵀy from the newest pair. */
function direction(st: LbfgsState, m: number): void {
  const { s, y, rho, a, p } = st.internal;
  const k = st.pairs;
  const newest = (st.internal.next + m - 1) % m;
  p.set(st.g);
  for (let j = 0, i = newest; j < k; j++, i = (i + m - 1) % m) {
    a[i] = rho[i] * dot(s[i], p);
    const yi = y[i];
    for (let l = 0; l < p.length; l++) p[l] -= a[i] * yi[l];
  }
  if (k > 0) {
    const gamma = 1 / (rho[newest] * dot(y[newest], y[newest]));
    for (let l = 0; l < p.length; l++) p[l] *= gamma;
  }
  for (let j = 0, i = (newest - k + 1 + m) % m; j < k; j++, i = (i + 1) % m) {
    const b = rho[i] * dot(y[i], p);
    const si = s[i];
    for (let l = 0; l < p.length; l++) p[l] += si[l] * (a[i] - b);
  }
  for (let l = 0; l < p.length; l++) p[l] = -p[l];
}

/**
 * Limited-memory BFGS with a strong Wolfe line search; pass it to `minimize` as `method`, or drive it on flat vectors.
 * @example
 * ```ts
 * const rosen = (v: ad.Tensor) => v.at(1).sub(v.at(0).square()).square().mul(100).add(ad.sub(1, v.at(0)).square());
 * ad.minimize(rosen, [-1.2, 1], { method: ad.lbfgs({ history: 20 }) }).x; // → ≈ [1, 1]
 * ```
 */
export function lbfgs(options?: LbfgsOptions): Lbfgs {
  const o = checkKeys("lbfgs", options, ["history", "c1", "c2", "maxLineSearch"]);
  const m = numberOption(o, "history", 10, { min: 1, integer: true });
  const c1 = numberOption(o, "c1", 1e-4, { above: 0, below: 1 });
  const c2 = numberOption(o, "c2", 0.9, { above: c1, below: 1 });
  const maxEvals = numberOption(o, "maxLineSearch", 30, { min: 1, integer: true });
  const search = { c1, c2, alpha: 1, maxEvals };

  const trySearch = (st: LbfgsState): LineSearchResult => {
    const { p, xt, gt, fg } = st.internal;
    const { x, g } = st;
    let slope0 = dot(g, p);
    if (!(slope0 < 0)) {
      st.pairs = 0; // not a descent direction (rounding in H): fall back to steepest descent
      for (let l = 0; l < p.length; l++) p[l] = -g[l];
      slope0 = -dot(g, g);
      if (!(slope0 < 0)) return { ok: false, alpha: 0, value: st.value, slope: slope0, evaluations: 0, nonFinite: !Number.isFinite(slope0) };
    }
    let norm = 0;
    for (let l = 0; l < g.length; l++) norm = Math.max(norm, Math.abs(g[l]));
    search.alpha = st.pairs === 0 ? Math.min(1, 1 / norm) : 1; // no curvature yet: a first step of length ≤ 1 per coordinate
    let last = NaN;
    const phi = (alpha: number): [number, number] => {
      for (let l = 0; l < x.length; l++) xt[l] = x[l] + alpha * p[l];
      st.evaluations++;
      last = alpha;
      const f = fg(xt, gt);
      return [f, dot(gt, p)];
    };
    const r = strongWolfe(phi, st.value, slope0, search);
    if (r.alpha === 0) return r;
    if (last !== r.alpha) phi(r.alpha); // the accepted point was not the last one tried: put it back in xt, gt
    return r;
  };

  return Object.freeze({
    name: "lbfgs" as const,
    options: Object.freeze({ history: m, c1, c2, maxLineSearch: maxEvals }),
    init(x0: Float64Array, fg: FlatObjective): LbfgsState {
      if (!(x0 instanceof Float64Array)) throw new InputError("lbfgs works on a flat Float64Array (use minimize for parameter trees)", "x0");
      if (typeof fg !== "function") throw new InputError("expected an objective (x, g) => f(x) that fills g", "fg");
      const n = x0.length;
      const x = x0.slice();
      const g = new Float64Array(n);
      const value = fg(x, g);
      const ring = () => Array.from({ length: m }, () => new Float64Array(n));
      const internal = { s: ring(), y: ring(), rho: new Float64Array(m), a: new Float64Array(m), next: 0, p: new Float64Array(n), xt: new Float64Array(n), gt: new Float64Array(n), fg };
      return { x, g, value, evaluations: 1, pairs: 0, internal };
    },
    step(st: LbfgsState): LbfgsStatus {
      direction(st, m);
      let r = trySearch(st);
      if (r.alpha === 0 && st.pairs > 0) {
        st.pairs = 0; // the quasi-Newton direction failed: forget the curvature pairs and retry steepest descent
        direction(st, m);
        r = trySearch(st);
      }
      if (r.alpha === 0) return r.nonFinite ? "non-finite" : "line-search-failed";
      const I = st.internal;
      const s = I.s[I.next];
      const y = I.y[I.next];
      for (let l = 0; l < s.length; l++) {
        s[l] = I.xt[l] - st.x[l];
        y[l] = I.gt[l] - st.g[l];
      }
      const sy = dot(s, y);
      if (!r.ok) st.pairs = 0; // only sufficient decrease: the curvature information is suspect
      else if (sy > Number.EPSILON * dot(y, y)) {
        I.rho[I.next] = 1 / sy;
        I.next = (I.next + 1) % m;
        st.pairs = Math.min(st.pairs + 1, m);
      }
      [st.x, I.xt] = [I.xt, st.x]; // the trial point becomes the iterate (buffers swap, nothing is copied)
      [st.g, I.gt] = [I.gt, st.g];
      st.value = r.value;
      return "ok";
    },
  });
}
