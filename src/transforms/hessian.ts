/** @file Second order: `hvp` (H·v by forward-over-reverse, one Wasm call) and `hessian` (one hvp per input, on one recording). */
import { type Trace, type Region, keptRegion, scratch, noKernels } from "../trace.js";
import { readGradients, writeLeaves, zeroGradients, inputNodes, type HandleTree, type InputOf, type GradOf } from "../tree.js";
import { scalarNode, type ScalarOutput } from "./grad.js";
import { withRecording } from "./vjp.js";
import { AdError } from "../errors.js";
import type { Jacobian } from "./forward.js";

/** Records scalar f at x on a tape that keeps its presets and hands it to `use` (output -1: a constant). */
function withSecondOrder<R>(f: (h: never) => unknown, x: unknown, use: (t: Trace, inputs: HandleTree, out: number) => R): R {
  return withRecording(
    f,
    x,
    ({ t, inputs, y }) => {
      if (t.hasCustom) throw new AdError("CUSTOM_SECOND_ORDER", "f uses a custom rule (customVjp/customJvp), which has no second derivative");
      return use(t, inputs, scalarNode(t, y));
    },
    false,
    keptRegion(),
  );
}

/** Runs the engine's forward-over-reverse sweep on the preset-keeping tape `r` (n nodes) with the
 * tangent seeded by `fill`, re-checking `ng` guards at `guards`; returns the first flipped guard or -1.
 * After -1, `hvpTangents(r, n)` holds H·v at the input nodes. */
export function sweepHvp(r: Region, n: number, out: number, fill: (tan: Float64Array) => void, guards = 0, ng = 0): number {
  noKernels(r, "hvp and hessian");
  const ptr = scratch(r.e, 5 * n * 8);
  const tan = new Float64Array(r.e.memory.buffer, ptr, n);
  tan.fill(0);
  fill(tan);
  return r.e.hvp(r.ptr, n, out, ptr, guards, ng);
}

/** The tangents the last `sweepHvp` left: H·v at the input nodes. */
export function hvpTangents(r: Region, n: number): Float64Array {
  return new Float64Array(r.e.memory.buffer, scratch(r.e, 5 * n * 8), n);
}

/** The Hessian over the inputs, one H·eⱼ sweep per input (each sweep replays the values it overwrote). */
export function hessianOf(r: Region, n: number, inputs: HandleTree, out: number): Jacobian {
  const cols = inputNodes(inputs), nc = cols.length;
  const data = new Float64Array(nc * nc);
  if (out < 0) return { data, rows: nc, cols: nc };
  for (let j = 0; j < nc; j++) {
    sweepHvp(r, n, out, (tan) => (tan[cols[j]] = 1));
    const tan = hvpTangents(r, n);
    for (let c = 0; c < nc; c++) data[c * nc + j] = tan[cols[c]];
  }
  return { data, rows: nc, cols: nc };
}

/** Returns a function giving H·v for scalar f at x, shaped like x (v shaped like x too). */
export function hvp<H>(f: (x: H) => ScalarOutput): (x: InputOf<H>, v: InputOf<H>) => GradOf<H> {
  return (x, v) =>
    withSecondOrder(f, x, (t, inputs, out) => {
      if (out < 0) return zeroGradients(inputs) as GradOf<H>;
      sweepHvp(t.region, t.n, out, (tan) => writeLeaves(tan, inputs, v, "v"));
      return readGradients({ adj: hvpTangents(t.region, t.n) }, inputs) as GradOf<H>;
    });
}

/** Returns a function giving the Hessian of scalar f at x, n × n row-major over the inputs in tree order. */
export function hessian<H>(f: (x: H) => ScalarOutput): (x: InputOf<H>) => Jacobian {
  return (x) => withSecondOrder(f, x, (t, inputs, out) => hessianOf(t.region, t.n, inputs, out));
}
