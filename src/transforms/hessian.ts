/** @file Second order: `hvp` (H·v by forward-over-reverse, one Wasm call, through scalar and tensor ops) and `hessian` (one hvp per input, on one recording). */
import { type Trace, type Region, keptRegion, scratch } from "../trace.js";
import { H_TUSED } from "../region.js";
import { readGradients, writeLeaves, zeroGradients, inputColumns, flatGradient, type HandleTree, type InputOf, type GradOf } from "../tree.js";
import { scalarNode, type ScalarOutput } from "./grad.js";
import { withRecording, linearize, type CheckNaNOptions } from "./vjp.js";
import { checkValueNaN, nanPath } from "./nan.js";
import { AdError, NaNError } from "../errors.js";
import type { Jacobian } from "./forward.js";

/** Records scalar f at x on a tape that keeps its presets and hands it to `use` (output -1: a constant); with
 * `checkNaN`, a NaN value throws NaNError, and so does a NaN in what `use` returns (see secondOrderNaN). */
function withSecondOrder<R>(f: (h: never) => unknown, x: unknown, checkNaN: boolean | undefined, use: (t: Trace, inputs: HandleTree, out: number) => R): R {
  const result = withRecording(
    f,
    x,
    ({ t, inputs, y }) => {
      if (t.hasCustom) throw new AdError("CUSTOM_SECOND_ORDER", "f uses a custom rule (customVjp/customJvp), which has no second derivative");
      const out = scalarNode(t, y);
      if (checkNaN) checkValueNaN(t, [out], x);
      return use(t, inputs, out);
    },
    false,
    keptRegion(),
  );
  const nan = checkNaN ? nanPath(result, "H") : undefined;
  if (nan !== undefined) secondOrderNaN(f, x, nan);
  return result;
}

/** A NaN in H (or H·v) with f's value finite: grad's checkNaN names the rule if the gradient is NaN too; else a
 * second-derivative rule made it. */
function secondOrderNaN(f: (h: never) => unknown, x: unknown, where: string): never {
  linearize(f, x, false, true).pullback(1);
  throw new NaNError("second derivative", -1, `${where} is NaN though f's value and gradient are not: a second-derivative rule met ∞ · 0 or ∞ − ∞`);
}

/** Views of the forward-over-reverse scratch of region r (n nodes): the scalar tangents `tan` (H·v at scalar
 * inputs after a sweep), the tensor tangents `arena` (seeds of tensor inputs), and the adjoint tangents `hv`
 * (H·v at tensor inputs after a sweep). */
function hvpScratch(r: Region, n: number): { ptr: number; tan: Float64Array; arena: Float64Array; hv: Float64Array } {
  const used = r.hdr[H_TUSED];
  const ptr = scratch(r.e, (5 * n + 2 * used) * 8);
  const buf = r.e.memory.buffer;
  const tensors = ptr + 5 * n * 8;
  return { ptr, tan: new Float64Array(buf, ptr, n), arena: new Float64Array(buf, tensors, used), hv: new Float64Array(buf, tensors + used * 8, used) };
}

/** Runs the engine's forward-over-reverse sweep on the preset-keeping tape `r` (n nodes) with the
 * tangent seeded by `fill` (scalar tangents, tensor tangents), re-checking `ng` guards at `guards`; returns the
 * first flipped guard or -1. After -1, `hvpResult(r, n)` holds H·v at the inputs. */
export function sweepHvp(r: Region, n: number, out: number, fill: (tan: Float64Array, arena: Float64Array) => void, guards = 0, ng = 0): number {
  // The sweep reads constants from the presets, and the linear-algebra kernels take the room reserved for second order.
  if (!r.compiled) throw new AdError("INTERNAL", "forward-over-reverse runs only on a tape that keeps its presets");
  const s = hvpScratch(r, n);
  s.tan.fill(0);
  s.arena.fill(0);
  fill(s.tan, s.arena);
  return r.e.hvp(r.ptr, n, out, s.ptr, guards, ng);
}

/** What the last `sweepHvp` left, as `readGradients` reads it: H·v at the scalar inputs (`adj`) and at the tensor inputs (`tg`). */
export function hvpResult(r: Region, n: number): { adj: Float64Array; tg: Float64Array } {
  const s = hvpScratch(r, n);
  return { adj: s.tan, tg: s.hv };
}

/** The Hessian over the inputs, one H·eⱼ sweep per input (each sweep replays the values it overwrote). */
export function hessianOf(r: Region, n: number, inputs: HandleTree, out: number): Jacobian {
  const cols = inputColumns(inputs), nc = cols.length;
  const data = new Float64Array(nc * nc);
  if (out < 0) return { data, rows: nc, cols: nc };
  const column = new Float64Array(nc);
  for (let j = 0; j < nc; j++) {
    const c = cols[j];
    sweepHvp(r, n, out, (tan, arena) => (c >= 0 ? (tan[c] = 1) : (arena[-c - 1] = 1)));
    flatGradient(hvpResult(r, n), inputs, column);
    for (let i = 0; i < nc; i++) data[i * nc + j] = column[i];
  }
  return { data, rows: nc, cols: nc };
}

/**
 * Returns a function giving H·v for scalar f at x, shaped like x (v shaped like x too).
 * @example
 * ```ts
 * ad.hvp((v: ad.Tensor) => v.at(0).mul(v.at(0)).mul(v.at(1)))([1, 2], [1, 0]); // → [4, 2] — x²y
 * ```
 */
export function hvp<H>(f: (x: H) => ScalarOutput, opts: CheckNaNOptions = {}): (x: InputOf<H>, v: InputOf<H>) => GradOf<H> {
  return (x, v) =>
    withSecondOrder(f, x, opts.checkNaN, (t, inputs, out) => {
      if (out < 0) return zeroGradients(inputs) as GradOf<H>;
      sweepHvp(t.region, t.n, out, (tan, arena) => writeLeaves(tan, inputs, v, "v", arena));
      return readGradients(hvpResult(t.region, t.n), inputs) as GradOf<H>;
    });
}

/**
 * Returns a function giving the Hessian of scalar f at x, n × n row-major over the inputs in tree order.
 * @example
 * ```ts
 * ad.hessian((v: ad.Tensor) => v.at(0).mul(v.at(0)).mul(v.at(1)))([1, 2]).data; // → [4, 2, 2, 0] — x²y
 * ```
 */
export function hessian<H>(f: (x: H) => ScalarOutput, opts: CheckNaNOptions = {}): (x: InputOf<H>) => Jacobian {
  return (x) => withSecondOrder(f, x, opts.checkNaN, (t, inputs, out) => hessianOf(t.region, t.n, inputs, out));
}
