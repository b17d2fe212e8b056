/** @file The fuzzer's properties: every derivative mode of adtape on one program agrees with the others, and with
 * Richardson differences of the plain-JS program, within Stan's tolerances; points near a kink are skipped. */
import * as ad from "../../src/index.js";
import { richardson } from "../../src/baselines/numeric.js";
import { symbolicDerivative, evaluateExpression } from "../../src/baselines/symbolic.js";
import { adFn, isSymbolic, jsFn, runJs, usesOnly, type Program } from "./program.js";
import type { Case } from "./generate.js";

/** The modes compared: values, first-order (grad vs differences, jvp, the Jacobians, a compiled replay), second
 * order (hessian, hvp, nested grad-of-grad, differences of grad) and the symbolic baseline. */
export type Mode = "value" | "fd" | "jvp" | "vjp" | "jacobian" | "sparse" | "compile" | "hessian" | "hvp" | "nested" | "hessianFd" | "symbolic";

/** Which groups of modes to run on a case. */
export interface Modes {
  first: boolean;
  second: boolean;
  symbolic: boolean;
}

/** Counts kept across cases: comparisons per mode, components skipped near a kink or for unreliable differences. */
export interface Tally {
  compared: Partial<Record<Mode, number>>;
  skippedFd: number;
  branchChanged: number;
}

/** Tolerances (Stan's): values, first derivatives against differences, Hessians; and AD against AD. */
export const TOL = { value: 1e-8, fd: 1e-6, hessian: 1e-5, ad: 1e-9 };

/** |a − b| ≤ tol·max(1, |a|, |b|), and both finite. */
export function close(a: number, b: number, tol: number): boolean {
  return Number.isFinite(a) && Number.isFinite(b) && Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b));
}

/** Whether all of p's values at x are finite and moderate (|v| ≤ 1e6), and no branch is a near-tie
 * (cos(acos(t)) ≥ t holds in V8 and not in AssemblyScript: the last bit differs), nor hypot or atan2 near 0. */
export function inRange(p: Program, x: ArrayLike<number>): boolean {
  const run = runJs(p, x);
  return run.margin > 1e-12 && run.vals.every((v) => Number.isFinite(v) && Math.abs(v) <= 1e6);
}

/** Whether every kink of p takes the same branch at x ± h/1.4ᵏ along coordinate i (the points Ridders' method uses),
 * with stopGradient frozen at its value at x. */
function smoothAlong(p: Program, x: number[], i: number, h: number): boolean {
  const { sig, vals } = runJs(p, x);
  for (let k = 0, s = h; k < 10; k++, s /= 1.4) {
    for (const t of [x[i] - s, x[i] + s]) {
      const y = x.slice();
      y[i] = t;
      if (runJs(p, y, vals).sig !== sig) return false; // stopGradient frozen, as the differences see it
    }
  }
  return true;
}

/** ∂f/∂xᵢ by Richardson extrapolation of the plain-JS program, from the largest start step with no kink in reach
 * and a small error estimate; undefined near a kink. */
function fdComponent(p: Program, x: number[], i: number): number | undefined {
  const f = jsFn(p, runJs(p, x).vals);
  const scale = Math.max(1, Math.abs(x[i]));
  for (const h of [0.1 * scale, 0.01 * scale, 0.001 * scale]) {
    if (!smoothAlong(p, x, i, h)) continue;
    const r = richardson((t) => f(x.map((v, k) => (k === i ? t : v))), x[i], { h });
    if (r.error <= 1e-9 * Math.max(1, Math.abs(r.value))) return r.value;
  }
  return undefined;
}

/** A gradient, tangent or value as numbers: a Float64Array, a number[], a TensorData (a 0-d one for a tensor program's output). */
const flat = (g: unknown): number[] => {
  const one = Array.isArray(g) && g.length === 1 && typeof g[0] === "object" ? g[0] : g;
  return Array.from((one as { data?: Float64Array }).data ?? (one as number[]));
};
const unit = (n: number, i: number) => Array.from({ length: n }, (_, k) => (k === i ? 1 : 0));

/** Checks one case; returns the disagreements (empty when all modes agree), or "rejected" when x is out of range. */
export function checkCase(c: Case, modes: Modes, tally: Tally): string[] | "rejected" {
  const { p, x } = c;
  if (!inRange(p, x)) return "rejected";
  const bad: string[] = [];
  const count = (m: Mode, k = 1) => (tally.compared[m] = (tally.compared[m] ?? 0) + k);
  const expect = (m: Mode, what: string, a: number, b: number, tol: number) => {
    count(m);
    if (!close(a, b, tol)) bad.push(`${m}: ${what}: ${a} vs ${b}`);
  };
  const f = adFn(p);
  const [v, g0] = ad.valueAndGrad(f)(x);
  const g = flat(g0);
  if (!g.every(Number.isFinite)) return "rejected"; // a singular point (hypot at 0): the derivative is ±∞ there
  expect("value", "valueAndGrad value vs plain JS", v, runJs(p, x).y, TOL.value);
  if (modes.first) firstOrder(c, g, expect, tally);
  if (modes.second) secondOrder(p, x, expect, tally);
  if (modes.symbolic && !p.shape && usesOnly(p, isSymbolic)) symbolic(p, x, g, expect);
  return bad;
}

type Expect = (m: Mode, what: string, a: number, b: number, tol: number) => void;

/** grad against differences, jvp per unit vector, a vjp pullback, the three Jacobians, and a compiled tape replayed elsewhere. */
function firstOrder(c: Case, g: number[], expect: Expect, tally: Tally): void {
  const { p, x } = c;
  const f = adFn(p);
  for (let i = 0; i < p.n; i++) {
    const d = fdComponent(p, x, i);
    if (d === undefined) tally.skippedFd++;
    else expect("fd", `grad[${i}] vs Richardson`, g[i], d, TOL.fd);
    const [, t] = ad.jvp(f)(x, unit(p.n, i));
    expect("jvp", `jvp(e${i}) vs grad[${i}]`, typeof t === "number" ? t : flat([t])[0], g[i], TOL.ad);
  }
  const [, pull] = ad.vjp(f)(x);
  flat(pull((p.shape ? [2.5] : 2.5) as never)).forEach((gi, i) => expect("vjp", `vjp pullback(2.5)[${i}] vs 2.5·grad`, gi, 2.5 * g[i], TOL.ad));
  for (const [name, J] of [["jacobian", ad.jacobian(f)(x)], ["jacfwd", ad.jacfwd(f)(x)], ["jacrev", ad.jacrev(f)(x)]] as const) {
    for (let i = 0; i < p.n; i++) expect("jacobian", `${name}[${i}] vs grad`, J.data[i], g[i], TOL.ad);
  }
  compiled(c, g, expect, tally);
}

/** A compiled tape: grad at x, then replayed at x2, which must throw BranchChanged exactly when a guard flipped. */
function compiled(c: Case, g: number[], expect: Expect, tally: Tally): void {
  const { p, x, x2 } = c;
  const f = adFn(p);
  const cf = ad.compile(f, x, { onBranchChange: "throw" });
  try {
    flat(cf.grad(x)).forEach((gi, i) => expect("compile", `compiled grad[${i}] at x`, gi, g[i], TOL.ad));
    if (!inRange(p, x2)) return;
    // A tensor program's guards are per element and not tracked here: it may throw or not, but must be right.
    const flipped = runJs(p, x).guards !== runJs(p, x2).guards;
    const strict = p.shape === undefined;
    let got: [number, unknown] | undefined;
    try {
      got = cf.valueAndGrad(x2);
    } catch (e) {
      if (!(e instanceof ad.BranchChanged)) throw e;
      tally.branchChanged++;
      if (strict) expect("compile", "BranchChanged thrown with no guard flipped (1 = flipped)", flipped ? 1 : 0, 1, 0);
      return;
    }
    if (strict) expect("compile", "replay without BranchChanged though a guard flipped (0 = none flipped)", flipped ? 1 : 0, 0, 0);
    const [v2, g2] = ad.valueAndGrad(f)(x2);
    if (!flat(g2).every(Number.isFinite)) return; // x2 is a singular point (atan2 at 0, 0), as x may not be
    expect("compile", "compiled value at x2 vs plain JS", got[0], runJs(p, x2).y, TOL.value);
    flat(got[1]).forEach((gi, i) => expect("compile", `compiled grad[${i}] at x2 vs grad`, gi, flat(g2)[i], TOL.ad));
    expect("compile", "compiled value at x2 vs valueAndGrad", got[0], v2, TOL.ad);
  } finally {
    cf.dispose();
  }
}

/** hessian (symmetric), sparseHessian, hvp per unit vector and along a mixed direction, nested jacfwd of grad, and
 * Richardson differences of grad per column. */
function secondOrder(p: Program, x: number[], expect: Expect, tally: Tally): void {
  const f = adFn(p), n = p.n;
  const H = ad.hessian(f)(x).data;
  if (!H.every(Number.isFinite)) return void tally.skippedFd++; // a singular point of a second derivative
  const nested = !p.shape && usesOnly(p, (op) => op !== "trigamma") ? ad.jacfwd((v: ad.Tensor) => ad.grad(f)(v) as unknown as ad.Scalar[])(x).data : undefined;
  const gradAt = (y: number[]) => flat(ad.grad(f)(y));
  const mixed = x.map((_, i) => 1 / (i + 1));
  const stopped = !usesOnly(p, (op) => op !== "stopGradient");
  const hv = flat(ad.hvp(f)(x, mixed));
  const S = p.shape ? [] : dense(ad.sparseHessian(f)(x)); // sparsity does not run through tensor ops yet
  S.forEach((h, k) => expect("sparse", `sparseHessian[${Math.floor(k / n)}][${k % n}] vs hessian`, h, H[k], TOL.ad));
  for (let j = 0; j < n; j++) {
    const col = flat(ad.hvp(f)(x, unit(n, j)));
    expect("hvp", `H·v[${j}] vs hessian·v`, hv[j], H.slice(j * n, j * n + n).reduce((s, h, k) => s + h * mixed[k], 0), TOL.hessian);
    const h = 1e-3 * Math.max(1, Math.abs(x[j]));
    const smooth = smoothAlong(p, x, j, h);
    // NOTE: to adtape, stopGradient(v(x)) is a constant at every x, so differences of grad (which move x) see
    // a derivative that hessian rightly does not: those programs skip this oracle.
    const fd = smooth && !stopped ? richardsonColumn(gradAt, x, j, h) : undefined;
    if (!fd && !stopped) tally.skippedFd++;
    for (let i = 0; i < n; i++) {
      expect("hessian", `H[${i}][${j}] vs H[${j}][${i}]`, H[i * n + j], H[j * n + i], TOL.hessian);
      expect("hvp", `hvp(e${j})[${i}] vs H[${i}][${j}]`, col[i], H[i * n + j], TOL.ad);
      // NOTE: not TOL.ad: near a singularity (atan2 at small arguments) second partials are large terms that
      // cancel, and two orders of evaluation round differently.
      if (nested) expect("nested", `jacfwd(grad)[${i}][${j}] vs H`, nested[i * n + j], H[i * n + j], TOL.hessian);
      if (fd) expect("hessianFd", `H[${i}][${j}] vs differences of grad`, H[i * n + j], fd[i], TOL.hessian);
    }
  }
}

/** A CSR matrix as a dense row-major array. */
function dense(m: ad.Csr): number[] {
  const out = Array<number>(m.rows * m.cols).fill(0);
  for (let i = 0; i < m.rows; i++) for (let k = m.rowPtr[i]; k < m.rowPtr[i + 1]; k++) out[i * m.cols + m.colIdx[k]] = m.values[k];
  return out;
}

/** Column j of the Hessian by central differences of grad at steps h, h/2, h/4, extrapolated twice (Richardson,
 * sixth order); undefined where the last extrapolation moved an entry by more than 1e-7 relative (too curved
 * for this step, or a singularity within it). */
function richardsonColumn(gradAt: (y: number[]) => number[], x: number[], j: number, h: number): number[] | undefined {
  const D = (s: number) => {
    const up = gradAt(x.map((v, k) => (k === j ? v + s : v)));
    const dn = gradAt(x.map((v, k) => (k === j ? v - s : v)));
    return up.map((u, i) => (u - dn[i]) / (2 * s));
  };
  const [d1, d2, d4] = [D(h), D(h / 2), D(h / 4)];
  const r1 = d2.map((v, i) => (4 * v - d1[i]) / 3), r2 = d4.map((v, i) => (4 * v - d2[i]) / 3);
  const r = r2.map((v, i) => (16 * v - r1[i]) / 15);
  return r.every((v, i) => Math.abs(v - r2[i]) <= 1e-7 * Math.max(1, Math.abs(v))) ? r : undefined;
}

/** mathjs's symbolic derivative of the recorded expression, evaluated in float64, against grad. */
function symbolic(p: Program, x: number[], g: number[], expect: Expect): void {
  const vars = x.map((_, i) => `x${i}`);
  for (let i = 0; i < p.n; i++) {
    if (!smoothAlong(p, x, i, 1e-6)) continue; // on atan2's cut mathjs's half-angle form is 0/0
    const d = symbolicDerivative(adFn(p), x, { wrt: vars[i] });
    expect("symbolic", `mathjs d/dx${i} vs grad`, evaluateExpression(d, x, vars), g[i], TOL.fd);
  }
}
