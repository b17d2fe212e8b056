/**
 * @file `minimize(f, x0, options)`: runs an optimizer on a function written with adtape ops (compiled once with
 * `compile`, or differentiated by `valueAndGrad` when it cannot be compiled) or on a plain objective
 * `{ valueAndGrad(x) => [value, gradient] }`, over a parameter tree, to a documented stopping reason.
 */
import { compile, type Compiled } from "../transforms/compile.js";
import { valueAndGrad, type ScalarOutput } from "../transforms/grad.js";
import type { InputOf } from "../tree.js";
import { InputError } from "../errors.js";
import { treeSpec, gather, scatter, unflatten, cloneTree, type TreeSpec } from "./tree.js";
import { checkKeys, numberOption } from "./check.js";
import { sgd, momentum, adam, type Optimizer } from "./first-order.js";
import { lbfgs, type Lbfgs, type FlatObjective } from "./lbfgs.js";

/**
 * The methods `minimize` knows by name.
 * @example
 * ```ts
 * const method: ad.Method = "sgd";
 * ad.minimize((v: ad.Tensor) => v.sub(1).square().sum(), [0, 0], { method, lr: 0.1 }).x; // → ≈ [1, 1]
 * ```
 */
export type Method = "lbfgs" | "adam" | "sgd" | "momentum";

/**
 * Why `minimize` stopped:
 * - `"converged-gtol"`: the gradient's ∞-norm max |∂f/∂xᵢ| fell to `gtol` or below;
 * - `"converged-ftol"`: one iteration changed f by at most `tol`·max(|f_prev|, |f|) (relative);
 * - `"max-iter"`: `maxIter` iterations ran without converging;
 * - `"line-search-failed"`: L-BFGS found no step with sufficient decrease, even along −∇f (often: x is already
 *   optimal to rounding, or the gradient does not match f);
 * - `"non-finite"`: f or its gradient became NaN or ±Inf (at x0, at the next iterate, or at every line-search trial);
 *   `x` and `value` are the last finite point;
 * - `"stopped"`: `onStep` returned `false`.
 * @example
 * ```ts
 * const r = ad.minimize((v: ad.Tensor) => v.square().sum(), [1, 1], { method: "sgd", lr: 0.01, maxIter: 3 });
 * const reason: ad.StopReason = r.reason; // → "max-iter"
 * ```
 */
export type StopReason = "converged-gtol" | "converged-ftol" | "max-iter" | "line-search-failed" | "non-finite" | "stopped";

/**
 * The argument of `onStep`, after each iteration (x is a fresh copy, safe to keep).
 * @example
 * ```ts
 * const seen: ad.StepInfo<number[]>[] = [];
 * ad.minimize((v: ad.Tensor) => v.square().sum(), [3, 4], { onStep: (info) => void seen.push(info) });
 * seen[0].iter; // → 1
 * ```
 */
export interface StepInfo<P> {
  /** The iteration just finished, counting from 1. */
  iter: number;
  /** The iterate after it. */
  x: P;
  /** f(x). */
  value: number;
  /** max |∂f/∂xᵢ| at x. */
  gradNorm: number;
}

/**
 * Options of `minimize`.
 * @example
 * ```ts
 * const rosen = (v: ad.Tensor) => v.at(1).sub(v.at(0).square()).square().mul(100).add(ad.sub(1, v.at(0)).square());
 * const opts: ad.MinimizeOptions<number[]> = { maxIter: 100, gtol: 1e-10, onStep: ({ iter }) => iter < 3 };
 * ad.minimize(rosen, [-1.2, 1], opts).reason; // → "stopped" — onStep said so after 3 iterations
 * ```
 */
export interface MinimizeOptions<P> {
  /** "lbfgs" (default), "adam", "sgd", "momentum", or a configured optimizer (`lbfgs({ history: 20 })`, `adam({ … })`). */
  method?: Method | Lbfgs | Optimizer<unknown>;
  /** Most iterations (default 1000; `Infinity` allowed). */
  maxIter?: number;
  /** Relative change of f in one iteration that counts as converged (0 disables the test). Default 1e-12 for lbfgs, 0 for the
   * first-order methods, whose steps can change f little while far from the minimum. */
  tol?: number;
  /** Gradient ∞-norm that counts as converged (default 1e-8). */
  gtol?: number;
  /** Learning rate for a first-order method given by name (each has its own default). */
  lr?: number;
  /** Called after each iteration, before the convergence tests; returning `false` stops (reason "stopped"). */
  onStep?: (info: StepInfo<P>) => boolean | void;
}

/**
 * What `minimize` returns; `history[0]` is f(x0) and `history[k]` f after iteration k, so it ends with `value`.
 * @example
 * ```ts
 * const r: ad.MinimizeResult<number[]> = ad.minimize((v: ad.Tensor) => v.sub([1, 2]).square().sum(), [0, 0]);
 * [r.x, r.value, r.history[0]]; // → ≈ [1, 2, 0, 5]
 * ```
 */
export interface MinimizeResult<P> {
  /** The last iterate, shaped like x0. */
  x: P;
  /** f(x). */
  value: number;
  /** f(x0), then f after each iteration. */
  history: number[];
  /** Iterations run. */
  iterations: number;
  /** Objective evaluations (value and gradient together), including the one at x0. */
  evaluations: number;
  /** Why it stopped. */
  reason: StopReason;
  /** max |∂f/∂xᵢ| at x. */
  gradNorm: number;
}

/** A plain objective: `valueAndGrad(x)` returns f(x) and its gradient shaped like x. The x it receives is reused
 * between calls: copy it to keep it. A `Compiled` from `compile(f, x0)` is one (minimize does not dispose it).
 * @example
 * ```ts
 * const objective: ad.PlainObjective<Float64Array> = { valueAndGrad: (x) => [(x[0] - 3) ** 2, Float64Array.of(2 * (x[0] - 3))] };
 * ad.minimize(objective, Float64Array.of(0)).x; // → ≈ [3]
 * ```
 */
export interface PlainObjective<P> {
  /** f(x) and its gradient, shaped like x. */
  valueAndGrad(x: P): readonly [number, unknown];
}

/**
 * Parameters as `minimize` returns them: the structure and leaf kinds of x0 (a literal number widens to number).
 * @example
 * ```ts
 * const x: ad.Params<0> = ad.minimize((x: ad.Scalar) => x.sub(2).square(), 0).x; // number, not the literal 0
 * x; // → ≈ 2
 * ```
 */
export type Params<P> = P extends number ? number : P;

const FIRST_ORDER = { sgd, momentum, adam } as const;

function pickMethod(o: Record<string, unknown>): Lbfgs | Optimizer<unknown> {
  const m = o.method ?? "lbfgs";
  const lr = o.lr === undefined ? undefined : numberOption(o, "lr", 0, { min: 0 });
  if (m === "lbfgs" || (typeof m === "object" && m !== null && (m as Lbfgs).name === "lbfgs" && typeof (m as Lbfgs).step === "function")) {
    if (lr !== undefined) throw new InputError("lr applies to sgd, momentum and adam; lbfgs chooses its steps by line search", "options.lr");
    return m === "lbfgs" ? lbfgs() : (m as Lbfgs);
  }
  if (typeof m === "string" && Object.hasOwn(FIRST_ORDER, m)) return FIRST_ORDER[m as keyof typeof FIRST_ORDER](lr === undefined ? {} : { lr }) as Optimizer<unknown>;
  const opt = m as Optimizer<unknown>;
  if (typeof m === "object" && m !== null && Object.hasOwn(FIRST_ORDER, opt.name) && typeof opt.update === "function") {
    if (lr !== undefined) throw new InputError(`give lr to the optimizer itself (${opt.name}({ lr }))`, "options.lr");
    return opt;
  }
  throw new InputError(
    `unknown method ${typeof m === "string" ? `"${m}"` : String(m)} (expected "lbfgs", "adam", "sgd", "momentum", or an optimizer made by lbfgs(), adam(), sgd() or momentum())`,
    "options.method",
  );
}

/** The objective as a flat (x, g) => f(x), and what to free at the end. */
function flatObjective(f: unknown, x0: unknown, spec: TreeSpec): { fg: FlatObjective; dispose: () => void } {
  let vg: (x: unknown) => unknown;
  let compiled: Compiled<unknown, unknown> | undefined;
  if (typeof f === "function") {
    try {
      compiled = compile(f as (x: unknown) => unknown, x0 as InputOf<unknown>);
      const c = compiled;
      vg = (x) => c.valueAndGrad(x as InputOf<unknown>);
    } catch {
      vg = valueAndGrad(f as (x: never) => ScalarOutput) as (x: unknown) => unknown; // not compilable: eager transform
    }
  } else if (typeof f === "object" && f !== null && typeof (f as PlainObjective<unknown>).valueAndGrad === "function") {
    const obj = f as PlainObjective<unknown>;
    vg = (x) => obj.valueAndGrad(x);
  } else {
    throw new InputError("expected a function written with adtape ops, or an objective { valueAndGrad(x) => [value, gradient] }", "f");
  }
  let scratch = cloneTree(x0); // the tree handed to the objective, rewritten in place at each evaluation
  const fg = (x: Float64Array, g: Float64Array): number => {
    scratch = scatter(spec, x, scratch);
    const r = vg(scratch);
    if (!Array.isArray(r) || typeof r[0] !== "number") throw new InputError("the objective must return [value: number, gradient]", "f");
    gather(spec, r[1], g, "gradient");
    return r[0];
  };
  return { fg, dispose: () => compiled?.dispose() };
}

/** max |gᵢ|; NaN if any entry is NaN. */
function infNorm(g: Float64Array): number {
  let m = 0;
  for (let i = 0; i < g.length; i++) {
    const a = Math.abs(g[i]);
    if (a > m) m = a;
    else if (a !== a) return NaN;
  }
  return m;
}

interface Settings {
  maxIter: number;
  tol: number;
  gtol: number;
  onStep: ((info: StepInfo<unknown>) => boolean | void) | undefined;
  spec: TreeSpec;
}

/** The loop both kinds of method share: `advance()` makes one iteration and returns f there, or a reason to stop. */
function run(s: Settings, x: () => Float64Array, g: () => Float64Array, f0: number, advance: () => number | StopReason, evals: () => number): MinimizeResult<unknown> {
  let value = f0;
  let gradNorm = infNorm(g());
  const history = [value];
  let iterations = 0;
  let reason: StopReason = "max-iter";
  if (!Number.isFinite(value) || !Number.isFinite(gradNorm)) reason = "non-finite";
  else if (gradNorm <= s.gtol) reason = "converged-gtol";
  else {
    while (iterations < s.maxIter) {
      const next = advance();
      if (typeof next === "string") {
        reason = next;
        break;
      }
      const prev = value;
      value = next;
      gradNorm = infNorm(g());
      history.push(value);
      iterations++;
      if (s.onStep && s.onStep({ iter: iterations, x: unflatten(s.spec, x()), value, gradNorm }) === false) {
        reason = "stopped";
        break;
      }
      if (gradNorm <= s.gtol) reason = "converged-gtol";
      else if (s.tol > 0 && Math.abs(prev - value) <= s.tol * Math.max(Math.abs(prev), Math.abs(value))) reason = "converged-ftol";
      else continue;
      break;
    }
  }
  return { x: unflatten(s.spec, x()), value, history, iterations, evaluations: evals(), reason, gradNorm };
}

/**
 * Minimizes f from x0 (never changed) and returns the last iterate (L-BFGS's iterates only go down; a first-order
 * method's may not: see `history`), its value, the loss history and why it stopped.
 * @example
 * ```ts
 * const rosen = (v: ad.Tensor) => v.at(1).sub(v.at(0).square()).square().mul(100).add(ad.sub(1, v.at(0)).square());
 * const r = ad.minimize(rosen, Float64Array.of(-1.2, 1)); // L-BFGS; rosen compiled once
 * [r.reason, r.x]; // → ≈ ["converged-gtol", 1, 1]
 * ```
 */
export function minimize<H, P extends InputOf<H>>(f: (x: H) => ScalarOutput, x0: P, options?: MinimizeOptions<Params<P>>): MinimizeResult<Params<P>>;
export function minimize<P>(objective: PlainObjective<P>, x0: P, options?: MinimizeOptions<Params<P>>): MinimizeResult<Params<P>>;
export function minimize(f: unknown, x0: unknown, options?: MinimizeOptions<unknown>): MinimizeResult<unknown> {
  const o = checkKeys("minimize", options, ["method", "maxIter", "tol", "gtol", "lr", "onStep"]);
  const method = pickMethod(o);
  const maxIter = o.maxIter === Infinity ? Infinity : numberOption(o, "maxIter", 1000, { min: 0, integer: true });
  const tol = numberOption(o, "tol", method.name === "lbfgs" ? 1e-12 : 0, { min: 0 });
  const gtol = numberOption(o, "gtol", 1e-8, { min: 0 });
  if (o.onStep !== undefined && typeof o.onStep !== "function") throw new InputError(`expected a function, got ${typeof o.onStep}`, "options.onStep");
  const onStep = o.onStep as Settings["onStep"];
  const spec = treeSpec(x0, "x0");
  const s: Settings = { maxIter, tol, gtol, onStep, spec };
  const x = gather(spec, x0, new Float64Array(spec.size), "x0"); // our own copy: x0 is only read
  const { fg, dispose } = flatObjective(f, x0, spec);
  try {
    if (method.name === "lbfgs") {
      const opt = method as Lbfgs;
      const st = opt.init(x, fg);
      const advance = () => {
        const status = opt.step(st);
        return status === "ok" ? st.value : status;
      };
      return run(s, () => st.x, () => st.g, st.value, advance, () => st.evaluations);
    }
    const opt = method as Optimizer<unknown>;
    const g = new Float64Array(spec.size);
    const prev = new Float64Array(spec.size);
    let evals = 1;
    const f0 = fg(x, g);
    const state = opt.init(x);
    const advance = (): number | StopReason => {
      prev.set(x);
      opt.update(x, g, state);
      evals++;
      const v = fg(x, g);
      if (Number.isFinite(v) && Number.isFinite(infNorm(g))) return v;
      x.set(prev); // back to the last finite point (its gradient is not kept: gradNorm stays the last finite one)
      return "non-finite";
    };
    return run(s, () => x, () => g, f0, advance, () => evals);
  } finally {
    dispose();
  }
}
