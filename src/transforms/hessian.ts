/** @file Second order: `hvp` (H·v by forward-over-reverse, one Wasm call) and `hessian` (one hvp per input, on one recording). */
import { type Trace, keptRegion, scratch } from "../trace.js";
import { readGradients, writeLeaves, zeroGradients, inputNodes, type HandleTree, type InputOf, type GradOf } from "../tree.js";
import { scalarNode, type ScalarOutput } from "./grad.js";
import { withRecording } from "./vjp.js";
import type { Jacobian } from "./forward.js";

/** Records scalar f at x on a tape that keeps its presets and hands it to `use` (output -1: a constant). */
function withSecondOrder<R>(f: (h: never) => unknown, x: unknown, use: (t: Trace, inputs: HandleTree, out: number) => R): R {
  return withRecording(f, x, ({ t, inputs, y }) => use(t, inputs, scalarNode(t, y)), false, keptRegion());
}

/** Runs the engine's forward-over-reverse sweep with tangent `seed` (written by `fill`); the tangents at the inputs are H·v. */
function sweepHvp(t: Trace, out: number, fill: (tan: Float64Array) => void): Float64Array {
  const n = t.n;
  const ptr = scratch(t.e, 3 * n * 8);
  const tan = new Float64Array(t.e.memory.buffer, ptr, n);
  tan.fill(0);
  fill(tan);
  t.e.hvp(t.region.ptr, n, out, ptr);
  return new Float64Array(t.e.memory.buffer, ptr, n);
}

/** Returns a function giving H·v for scalar f at x, shaped like x (v shaped like x too). */
export function hvp<H>(f: (x: H) => ScalarOutput): (x: InputOf<H>, v: InputOf<H>) => GradOf<H> {
  return (x, v) =>
    withSecondOrder(f, x, (t, inputs, out) => {
      if (out < 0) return zeroGradients(inputs) as GradOf<H>;
      const tan = sweepHvp(t, out, (tan) => writeLeaves(tan, inputs, v, "v"));
      return readGradients({ adj: tan }, inputs) as GradOf<H>;
    });
}

/** Returns a function giving the Hessian of scalar f at x, n × n row-major over the inputs in tree order. */
export function hessian<H>(f: (x: H) => ScalarOutput): (x: InputOf<H>) => Jacobian {
  return (x) =>
    withSecondOrder(f, x, (t, inputs, out) => {
      const cols = inputNodes(inputs), n = cols.length;
      const data = new Float64Array(n * n);
      if (out < 0) return { data, rows: n, cols: n };
      for (let j = 0; j < n; j++) {
        // NOTE: the sweep overwrites values with adjoints; replaying the kept tape restores them.
        if (j > 0) t.e.replay(t.region.ptr, t.n, 0, 0);
        const tan = sweepHvp(t, out, (tan) => (tan[cols[j]] = 1));
        for (let c = 0; c < n; c++) data[c * n + j] = tan[cols[c]];
      }
      return { data, rows: n, cols: n };
    });
}
