/** @file Reverse mode's core: `vjp` records f once and returns its value with a pullback that re-sweeps the kept tape; `grad` is built on it. */
import { Scalar, Trace, type Region, type CustomHook, describe, activeTrace, reverseWithHooks } from "../trace.js";
import { Tensor, TensorData } from "../tensor/handle.js";
import { nestedLinearize } from "./nested.js";
import { recordInputs, readGradients, zeroGradients, plainTensor, tensorData, lastInputNode, setOwn, type HandleTree, type InputOf, type GradOf } from "../tree.js";
import { InputError, OutputError, StaleHandleError, AdError } from "../errors.js";
import { isNumberArray } from "../tensor/shape.js";
import { checkValueNaN, checkGradientNaN } from "./nan.js";

/**
 * The plain value of an output of type Y: number for a Scalar or number, Float64Array for a Tensor, trees alike.
 * @example
 * ```ts
 * const f = (x: ad.Scalar) => ({ y: x.square(), zs: [x, 1] });
 * const out: ad.OutputOf<ReturnType<typeof f>> = ad.vjp(f)(3)[0]; // { y: number; zs: number[] }
 * out; // → { y: 9, zs: [3, 1] }
 * ```
 */
export type OutputOf<Y> = Y extends Scalar | number
  ? number
  : Y extends Tensor<"nd">
    ? TensorData
    : Y extends Tensor
      ? Float64Array
      : { -readonly [K in keyof Y]: OutputOf<Y[K]> };
/**
 * A cotangent for an output of type Y: shaped like its value (a number[] may stand for a Float64Array).
 * @example
 * ```ts
 * const f = (x: ad.Scalar) => ({ y: x.square(), z: x.mul(3) });
 * const ct: ad.CotangentOf<ReturnType<typeof f>> = { y: 1, z: 1 };
 * ad.vjp(f)(2)[1](ct); // → 7
 * ```
 */
export type CotangentOf<Y> = Y extends Scalar | number
  ? number
  : Y extends Tensor<"nd">
    ? TensorData | {
        /** The elements, row-major. */
        data: Float64Array | readonly number[];
        /** The tensor's shape. */
        shape: readonly number[];
      }
    : Y extends Tensor
      ? Float64Array | readonly number[]
    : { readonly [K in keyof Y]: CotangentOf<Y[K]> };

/** f recorded at x: its plain value, the output nodes (-1 for a constant leaf), and the pullback. */
export interface Linearized {
  value: unknown;
  pullback: (ct: unknown) => unknown;
}

const isPlainObject = (x: object) => [Object.prototype, null].includes(Object.getPrototypeOf(x));

/** Walks f's output, collecting output node indices in tree order, and returns its plain value. */
export function readOutputs(t: Trace, y: unknown, path: string, outs: number[]): unknown {
  if (typeof y === "number") return outs.push(-1), y;
  if (y instanceof Scalar || y instanceof Tensor) {
    if (!y.trace.live) throw new StaleHandleError(`the returned handle at ${path}`);
    if (y.trace !== t) throw new AdError("NESTING", `f returned a handle of an enclosing transform at ${path}`);
    if (y instanceof Scalar) return outs.push(y.idx), t.value(y.idx);
    const base = y.base; // an op's result: its elements become scalar nodes (`item`s)
    for (let i = 0; i < y.size; i++) outs.push(base + i);
    t.flush();
    return plainTensor(y, t.val.slice(base, base + y.size));
  }
  if (Array.isArray(y)) return y.map((c, i) => readOutputs(t, c, `${path}[${i}]`, outs));
  if (typeof y === "object" && y !== null && isPlainObject(y)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(y)) setOwn(out, k, readOutputs(t, (y as Record<string, unknown>)[k], `${path}.${k}`, outs));
    return out;
  }
  throw new OutputError(`${path}: f returned ${describe(y)}; expected Scalars, Tensors, numbers, or arrays and plain objects of them`);
}

/** Flattens a cotangent shaped like the output value `like` into `seeds`, in tree order. */
export function flattenCotangent(ct: unknown, like: unknown, path: string, seeds: number[]): void {
  if (typeof like === "number") {
    if (typeof ct !== "number") throw new InputError(`expected a number, got ${describe(ct)}`, path);
    seeds.push(ct);
  } else if (like instanceof Float64Array || like instanceof TensorData) {
    const data = like instanceof TensorData ? tensorData(ct, like.shape, path) : ct;
    const n = like instanceof TensorData ? like.size : like.length;
    const ok = data instanceof Float64Array || isNumberArray(data);
    if (!ok || (data as ArrayLike<number>).length !== n) {
      throw new InputError(`expected a Float64Array or number[] of length ${n}, got ${describe(data)}`, path);
    }
    for (let i = 0; i < n; i++) seeds.push((data as ArrayLike<number>)[i]);
  } else if (Array.isArray(like)) {
    if (!Array.isArray(ct) || ct.length !== like.length) throw new InputError(`expected an array of length ${like.length}`, path);
    like.forEach((c, i) => flattenCotangent(ct[i], c, `${path}[${i}]`, seeds));
  } else {
    const keys = Object.keys(like as object);
    if (typeof ct !== "object" || ct === null || Object.keys(ct).join() !== keys.join()) {
      throw new InputError(`expected an object with keys [${keys.join(", ")}]`, path);
    }
    for (const k of keys) flattenCotangent((ct as Record<string, unknown>)[k], (like as Record<string, unknown>)[k], `${path}.${k}`, seeds);
  }
}

/** Seeds the output nodes `outs` of computed tape r with `seeds`, sweeps once (custom rules' `bwd` included),
 * and reads the input adjoints back as a gradient tree. */
export function pullSeeds(r: Region, inputs: HandleTree, outs: number[], seeds: number[], hooks: readonly CustomHook[]): unknown {
  const top = Math.max(-1, ...outs);
  if (top < 0) return zeroGradients(inputs);
  // Inputs recorded after the top output (f returned an earlier input) are not swept: clear theirs too.
  r.e.clearAdjoints(r.ptr, Math.max(top, lastInputNode(inputs)) + 1);
  outs.forEach((node, k) => {
    if (node >= 0) r.adj[node] += seeds[k];
  });
  reverseWithHooks(r, top, hooks);
  return readGradients(r, inputs);
}

/** The pullback of a kept tape: seeds the outputs with ct, sweeps once, reads the input adjoints (with
 * `checkNaN`, a NaN among them is traced to its derivative rule). */
function pullbackOf(t: Trace, inputs: HandleTree, outs: number[], value: unknown, checkNaN: boolean): (ct: unknown) => unknown {
  const { region, customs } = t, epoch = region.epoch;
  return (ct) => {
    if (region.epoch !== epoch || region.trace) {
      throw new StaleHandleError("a pullback, used after the next transform call at its nesting level,");
    }
    const seeds: number[] = [];
    flattenCotangent(ct, value, "ct", seeds);
    const g = pullSeeds(region, inputs, outs, seeds, customs);
    if (checkNaN) checkGradientNaN(t, region, Math.max(-1, ...outs), g);
    return g;
  };
}

/** f recorded at x, every value computed: the input handles, f's output `y` (and `aux`), its plain value and output nodes. */
export interface Recording {
  t: Trace;
  inputs: HandleTree;
  y: unknown;
  aux: unknown;
  like: unknown;
  outs: number[];
}

/** Records f at x (on `region`, else the next level's tape), computes every value, and hands the open recording to `use`. */
export function withRecording<R>(f: (h: never) => unknown, x: unknown, use: (r: Recording) => R, hasAux = false, region?: Region): R {
  if (typeof f !== "function") throw new InputError(`expected the function to transform, got ${describe(f)}`, "f");
  const t = Trace.begin(region);
  try {
    const inputs = recordInputs(t, x);
    let y = f(inputs as never);
    let aux: unknown;
    if (hasAux) {
      if (!Array.isArray(y) || y.length !== 2) throw new OutputError(`with hasAux, f must return [output, aux], got ${describe(y)}`);
      [y, aux] = y;
      aux = toPlain(aux);
    }
    t.flush();
    const outs: number[] = [];
    const like = readOutputs(t, y, "y", outs);
    return use({ t, inputs, y, aux, like, outs });
  } finally {
    t.end();
  }
}

/** Records f at x and returns its plain value and pullback; with `hasAux`, f returns `[y, aux]`; with `checkNaN`,
 * a NaN in the value or a gradient throws NaNError. Called inside another transform's f, it records onto that
 * trace instead, and its value and results are handles (checkNaN applies at the outermost level only). */
export function linearize(f: (h: never) => unknown, x: unknown, hasAux = false, checkNaN = false): Linearized & { y: unknown; aux: unknown; nested: boolean } {
  const outer = activeTrace();
  if (outer) {
    if (typeof f !== "function") throw new InputError(`expected the function to transform, got ${describe(f)}`, "f");
    return { ...nestedLinearize(outer, f, x, hasAux), nested: true };
  }
  return withRecording(
    f,
    x,
    ({ t, inputs, y, aux, like, outs }) => {
      if (checkNaN) checkValueNaN(t, outs, x);
      return { y, aux, value: like, pullback: pullbackOf(t, inputs, outs, like, checkNaN), nested: false };
    },
    hasAux,
  );
}

/** Replaces handles in aux data by their values (Scalar → number, Tensor → Float64Array); leaves other data as is. */
function toPlain(x: unknown): unknown {
  if (x instanceof Scalar) return x.value;
  if (x instanceof Tensor) return plainTensor(x, x.value);
  if (Array.isArray(x)) return x.map(toPlain);
  if (typeof x === "object" && x !== null && isPlainObject(x)) {
    return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, toPlain(v)]));
  }
  return x;
}

/**
 * Options of `vjp`, `jvp`, `hvp` and `hessian`: with `checkNaN`, a NaN in f's value, or in the derivative they
 * return, throws NaNError naming the op that made it.
 * @example
 * ```ts
 * const opts: ad.CheckNaNOptions = { checkNaN: true };
 * const [, pullback] = ad.vjp((x: ad.Scalar) => x.sqrt(), opts)(0); // √0 = 0 is fine; its derivative is ∞
 * pullback(0); // → 0 — a zero cotangent meets the ∞ as 0 (no 0 · ∞ = NaN)
 * ```
 */
export interface CheckNaNOptions {
  /** Trace a NaN in the value or a gradient to the op that made it and throw NaNError (as JAX's debug_nans; default false). */
  checkNaN?: boolean;
}

/**
 * Returns a function giving [f(x), pullback]: pullback(ct), with ct shaped like f(x), returns ctᵀ·∂f/∂x shaped like x.
 * @example
 * ```ts
 * const [y, pullback] = ad.vjp((v: ad.Tensor) => [v.at(0).mul(v.at(1)), v.at(0).sin()])([2, 3]);
 * y; // → [6, Math.sin(2)]
 * pullback([1, 0]); // → [3, 2] — callable again until the next transform call
 * ```
 */
export function vjp<H, Y>(f: (x: H) => Y, opts: CheckNaNOptions = {}): (x: InputOf<H>) => [OutputOf<Y>, (ct: CotangentOf<Y>) => GradOf<H>] {
  return (x) => {
    const { value, pullback } = linearize(f, x, false, !!opts.checkNaN);
    return [value as OutputOf<Y>, pullback as (ct: CotangentOf<Y>) => GradOf<H>];
  };
}
