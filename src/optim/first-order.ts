/**
 * @file The first-order, step-style optimizers `sgd`, `momentum` and `adam`, for training loops.
 *
 * Design (in place, allocation-free after `init`): `const state = opt.init(params)` sizes every buffer once;
 * `params = opt.step(params, grads, state)` then updates `params` **in place** — `Float64Array`, `number[]` and
 * `TensorData` leaves are overwritten, number leaves reassigned in their parent object or array — advances `state` in place, and returns
 * `params` itself (for a bare-number tree, the new number: always assign the result). `grads` is shaped like `params`
 * (what `grad` or `Compiled.grad(x, out)` returns). A step allocates nothing, so 10⁴ steps run in flat memory; to keep
 * the old parameters, copy them first (`cloneTree`). `opt.update(x, g, state)` is the flat kernel underneath.
 */
import { InputError } from "../errors.js";
import { treeSpec, gather, scatter, type TreeSpec } from "./tree.js";
import { checkKeys, numberOption, booleanOption, lrOption, rateAt, type LearningRate } from "./check.js";

export type { LearningRate } from "./check.js";

/**
 * Options of `sgd`: x ← x − lr·(g + weightDecay·x).
 * @example
 * ```ts
 * const opts: ad.SgdOptions = { lr: (step) => 0.1 / step, weightDecay: 1e-4 };
 * ad.sgd(opts).options.weightDecay; // → 1e-4
 * ```
 */
export interface SgdOptions {
  /** Step size (default 0.01), or a schedule `(step) => lr`. */
  lr?: LearningRate;
  /** L2 penalty coefficient added to the gradient (default 0). */
  weightDecay?: number;
}

/**
 * Options of `momentum` (heavy ball, PyTorch's form): b ← beta·b + g; x ← x − lr·(nesterov ? g + beta·b : b).
 * @example
 * ```ts
 * const opts: ad.MomentumOptions = { lr: 0.01, beta: 0.9, nesterov: true };
 * ad.momentum(opts).options.weightDecay; // → 0 — the default
 * ```
 */
export interface MomentumOptions extends SgdOptions {
  /** Momentum coefficient in [0, 1) (default 0.9). */
  beta?: number;
  /** Nesterov's look-ahead form (default false). */
  nesterov?: boolean;
}

/**
 * Options of `adam` (Kingma & Ba, with bias correction); `weightDecay` is decoupled, as in AdamW.
 * @example
 * ```ts
 * const opts: ad.AdamOptions = { lr: 1e-3, weightDecay: 0.01 }; // AdamW
 * ad.adam(opts).options.beta2; // → 0.999 — the default
 * ```
 */
export interface AdamOptions {
  /** Step size (default 1e-3), or a schedule `(step) => lr`. */
  lr?: LearningRate;
  /** First-moment decay in [0, 1) (default 0.9). */
  beta1?: number;
  /** Second-moment decay in [0, 1) (default 0.999). */
  beta2?: number;
  /** Added to √v̂ (default 1e-8). */
  eps?: number;
  /** Decoupled decay: x ← x − lr·weightDecay·x each step (default 0). */
  weightDecay?: number;
}

/**
 * The mutable state of a first-order optimizer: everything a step needs, allocated once by `init`.
 * @example
 * ```ts
 * const state: ad.OptimizerState = ad.adam().init({ w: new Float64Array(3), b: 0 });
 * [state.t, state.size, state.buffers.length]; // → [0, 4, 2] — adam's two moments, m and v
 * ```
 */
export interface OptimizerState {
  /** Steps taken so far (adam's bias correction uses it; a schedule is called with `t + 1`). */
  t: number;
  /** The number of scalar parameters. */
  readonly size: number;
  /** The parameters' tree structure, fixed at `init`. @internal */
  readonly spec: TreeSpec;
  /** Per-parameter buffers, flat in tree order: none for sgd, the velocity for momentum, [m, v] for adam. */
  readonly buffers: readonly Float64Array[];
  /** Flat scratch for params and grads that are not one `Float64Array` (made by `init`, or on first need; then reused). @internal */
  scratch: { x: Float64Array; g: Float64Array } | undefined;
}

/**
 * A step-style optimizer: `init` its state once, then `step` (trees) or `update` (flat vectors) in a loop.
 * @example
 * ```ts
 * const opt: ad.Optimizer<ad.SgdOptions> = ad.sgd({ lr: 0.5 });
 * const x = Float64Array.of(4), state = opt.init(x);
 * opt.update(x, Float64Array.of(2), state); // x ← 4 − 0.5·2, in place
 * x; // → [3]
 * ```
 */
export interface Optimizer<O> {
  /** Which optimizer this is. */
  readonly name: "sgd" | "momentum" | "adam";
  /** The options with their defaults filled in. */
  readonly options: Readonly<Required<O>>;
  /** A fresh state for parameters shaped like `params` (which are read, not kept or changed). */
  init(params: unknown): OptimizerState;
  /** One step: updates `params` in place from `grads` (same structure) and returns `params` (or the new number). */
  step<P>(params: P, grads: unknown, state: OptimizerState): P;
  /** The flat kernel: one step on `x` in place, from `g`; both of length `state.size`. */
  update(x: Float64Array, g: Float64Array, state: OptimizerState): void;
}

type Kernel = (x: Float64Array, g: Float64Array, buffers: readonly Float64Array[], t: number) => void;

function makeOptimizer<O>(name: Optimizer<O>["name"], options: Required<O>, nBuffers: number, kernel: Kernel): Optimizer<O> {
  const update = (x: Float64Array, g: Float64Array, state: OptimizerState): void => {
    if (!(x instanceof Float64Array) || x.length !== state.size) throw new InputError(`expected a Float64Array of length ${state.size}`, "x");
    if (!(g instanceof Float64Array) || g.length !== state.size) throw new InputError(`expected a Float64Array of length ${state.size}`, "g");
    kernel(x, g, state.buffers, ++state.t);
  };
  return Object.freeze({
    name,
    options: Object.freeze(options),
    init(params: unknown): OptimizerState {
      const spec = treeSpec(params, "params");
      const buffers = Array.from({ length: nBuffers }, () => new Float64Array(spec.size));
      const scratch = spec.root.kind === "vector" ? undefined : { x: new Float64Array(spec.size), g: new Float64Array(spec.size) };
      return { t: 0, size: spec.size, spec, buffers, scratch };
    },
    step<P>(params: P, grads: unknown, state: OptimizerState): P {
      const n = state.size;
      if (params instanceof Float64Array && grads instanceof Float64Array && params.length === n && grads.length === n && state.spec.root.kind === "vector") {
        update(params, grads, state); // the common case: one vector, updated where it lies
        return params;
      }
      const s = (state.scratch ??= { x: new Float64Array(n), g: new Float64Array(n) });
      gather(state.spec, params, s.x, "params");
      gather(state.spec, grads, s.g, "grads");
      update(s.x, s.g, state);
      try {
        return scatter(state.spec, s.x, params);
      } catch (err) {
        // A frozen (read-only) params tree: step writes in place, so say so rather than leak the TypeError.
        if (err instanceof TypeError) throw new InputError(`cannot update params in place (${err.message}); pass a writable tree, e.g. cloneTree(params)`, "params");
        throw err;
      }
    },
    update,
  });
}

/**
 * Plain gradient descent, x ← x − lr·(g + weightDecay·x).
 * @example
 * ```ts
 * const w = new Float64Array(2), opt = ad.sgd({ lr: 0.1 }), state = opt.init(w);
 * for (let i = 0; i < 200; i++) opt.step(w, ad.grad((x: ad.Tensor) => x.sub([1, 2]).square().sum())(w), state);
 * w; // → ≈ [1, 2]
 * ```
 */
export function sgd(options?: SgdOptions): Optimizer<SgdOptions> {
  const o = checkKeys("sgd", options, ["lr", "weightDecay"]);
  const lr = lrOption(o, 0.01);
  const wd = numberOption(o, "weightDecay", 0, { min: 0 });
  return makeOptimizer<SgdOptions>("sgd", { lr, weightDecay: wd }, 0, (x, g, _b, t) => {
    const a = rateAt(lr, t);
    for (let i = 0; i < x.length; i++) x[i] -= a * (g[i] + wd * x[i]);
  });
}

/**
 * Gradient descent with (optionally Nesterov) momentum, in PyTorch's form: b ← beta·b + g; x ← x − lr·b.
 * @example
 * ```ts
 * const w = [0], opt = ad.momentum({ lr: 0.05, beta: 0.9, nesterov: true }), state = opt.init(w);
 * for (let i = 0; i < 300; i++) opt.step(w, ad.grad((x: ad.Tensor) => x.sub(3).square().sum())(w), state);
 * w; // → ≈ [3]
 * ```
 */
export function momentum(options?: MomentumOptions): Optimizer<MomentumOptions> {
  const o = checkKeys("momentum", options, ["lr", "beta", "nesterov", "weightDecay"]);
  const lr = lrOption(o, 0.01);
  const beta = numberOption(o, "beta", 0.9, { min: 0, below: 1 });
  const nesterov = booleanOption(o, "nesterov", false);
  const wd = numberOption(o, "weightDecay", 0, { min: 0 });
  return makeOptimizer<MomentumOptions>("momentum", { lr, beta, nesterov, weightDecay: wd }, 1, (x, g, bufs, t) => {
    const a = rateAt(lr, t);
    const b = bufs[0];
    for (let i = 0; i < x.length; i++) {
      const gi = g[i] + wd * x[i];
      const bi = beta * b[i] + gi;
      b[i] = bi;
      x[i] -= a * (nesterov ? gi + beta * bi : bi);
    }
  });
}

/**
 * Adam with bias-corrected moments: x ← x − lr·m̂/(√v̂ + eps); with `weightDecay`, AdamW's decoupled decay.
 * @example
 * ```ts
 * const params = { w: Float64Array.of(5, -5) }, g = { w: new Float64Array(2) };
 * const loss = ad.compile((p: { w: ad.Tensor }) => p.w.square().sum(), params);
 * const opt = ad.adam({ lr: 0.1 }), state = opt.init(params);
 * for (let i = 0; i < 500; i++) opt.step(params, loss.grad(params, g), state); // in place, allocation-free
 * Math.hypot(...params.w) < 1e-6; // → true — from ‖w‖ ≈ 7.07
 * ```
 */
export function adam(options?: AdamOptions): Optimizer<AdamOptions> {
  const o = checkKeys("adam", options, ["lr", "beta1", "beta2", "eps", "weightDecay"]);
  const lr = lrOption(o, 1e-3);
  const beta1 = numberOption(o, "beta1", 0.9, { min: 0, below: 1 });
  const beta2 = numberOption(o, "beta2", 0.999, { min: 0, below: 1 });
  const eps = numberOption(o, "eps", 1e-8, { above: 0 });
  const wd = numberOption(o, "weightDecay", 0, { min: 0 });
  return makeOptimizer<AdamOptions>("adam", { lr, beta1, beta2, eps, weightDecay: wd }, 2, (x, g, bufs, t) => {
    const a = rateAt(lr, t);
    const m = bufs[0];
    const v = bufs[1];
    const step = a / (1 - beta1 ** t); // lr / bias correction of m
    const root2 = Math.sqrt(1 - beta2 ** t); // √(bias correction of v)
    const decay = 1 - a * wd;
    for (let i = 0; i < x.length; i++) {
      const gi = g[i];
      const mi = beta1 * m[i] + (1 - beta1) * gi;
      const vi = beta2 * v[i] + (1 - beta2) * gi * gi;
      m[i] = mi;
      v[i] = vi;
      x[i] = x[i] * decay - (step * mi) / (Math.sqrt(vi) / root2 + eps);
    }
  });
}
