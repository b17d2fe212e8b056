/** @file Forward mode and Jacobians: `jvp` (tangents through the tape), `jacfwd` (k directions a sweep), `jacrev` (a reverse sweep a row), and `jacobian`, which picks the cheaper. */
import { type Region, type CustomHook, scratch, reverseWithHooks, noKernels } from "../trace.js";
import type { Engine } from "../wasm.js";
import { writeLeaves, fillLike, inputNodes, flatGradient, inputCount, lastInputNode, type HandleTree, type InputOf } from "../tree.js";
import { withRecording, type OutputOf } from "./vjp.js";

/** A dense Jacobian: `data` row-major, rows = outputs, cols = inputs, both flattened in tree order. */
export interface Jacobian {
  data: Float64Array;
  rows: number;
  cols: number;
}

/** Directions carried by one forward sweep of `jacfwd`. */
const DIRECTIONS = 8;

/** Tangent scratch for `k` directions over `n` nodes, zeroed. */
export function tangents(e: Engine, n: number, k: number): { ptr: number; dot: Float64Array } {
  const ptr = scratch(e, n * k * 8);
  const dot = new Float64Array(e.memory.buffer, ptr, n * k);
  dot.fill(0);
  return { ptr, dot };
}

/** Returns a function giving [f(x), ∂f/∂x·v]: the tangent v (shaped like x) pushed forward in one sweep. */
export function jvp<H, Y>(f: (x: H) => Y): (x: InputOf<H>, v: InputOf<H>) => [OutputOf<Y>, OutputOf<Y>] {
  return (x, v) =>
    withRecording(f, x, ({ t, inputs, like, outs }) => {
      noKernels(t.region, "jvp");
      const { ptr, dot } = tangents(t.e, t.n, 1);
      writeLeaves(dot, inputs, v, "v");
      t.e.tangent(t.region.ptr, t.n, 1, ptr);
      return [like, fillLike(like, outs, dot, 0)] as [OutputOf<Y>, OutputOf<Y>];
    });
}

/** Forward-mode Jacobian of the computed tape `r` (n nodes): ⌈inputs/8⌉ sweeps of 8 tangent directions. */
export function forwardJacobian(r: Region, n: number, inputs: HandleTree, outs: number[]): Jacobian {
  noKernels(r, "jacfwd");
  const cols = inputNodes(inputs), nc = cols.length, m = outs.length;
  const data = new Float64Array(m * nc);
  const k = Math.max(1, Math.min(DIRECTIONS, nc));
  for (let c0 = 0; c0 < nc; c0 += k) {
    const { ptr, dot } = tangents(r.e, n, k);
    for (let j = 0; j < k && c0 + j < nc; j++) dot[cols[c0 + j] * k + j] = 1;
    r.e.tangent(r.ptr, n, k, ptr);
    for (let row = 0; row < m; row++) {
      if (outs[row] < 0) continue;
      for (let j = 0; j < k && c0 + j < nc; j++) data[row * nc + c0 + j] = dot[outs[row] * k + j];
    }
  }
  return { data, rows: m, cols: nc };
}

/** Reverse-mode Jacobian of the computed tape `r`: one reverse sweep per output (the stored partials survive them). */
export function reverseJacobian(r: Region, inputs: HandleTree, outs: number[], hooks: readonly CustomHook[] = []): Jacobian {
  const nc = inputCount(inputs), m = outs.length;
  const data = new Float64Array(m * nc);
  const lastInput = lastInputNode(inputs);
  for (let row = 0; row < m; row++) {
    const out = outs[row];
    if (out < 0) continue;
    r.e.clearAdjoints(r.ptr, Math.max(out, lastInput) + 1);
    r.adj[out] = 1;
    reverseWithHooks(r, out, hooks);
    flatGradient(r, inputs, data.subarray(row * nc, (row + 1) * nc));
  }
  return { data, rows: m, cols: nc };
}

/** The lesson's rule: forward mode costs a sweep per input, reverse mode a sweep per output; take the fewer
 * (reverse mode through tensor ops, until they have tangent kernels). */
export function pickJacobian(r: Region, n: number, inputs: HandleTree, outs: number[], hooks: readonly CustomHook[] = []): Jacobian {
  return inputCount(inputs) <= outs.length && r.kernels === 0 ? forwardJacobian(r, n, inputs, outs) : reverseJacobian(r, inputs, outs, hooks);
}

/** Returns a function giving f's Jacobian by forward mode (one sweep per 8 inputs). */
export function jacfwd<H>(f: (x: H) => unknown): (x: InputOf<H>) => Jacobian {
  return (x) => withRecording(f, x, ({ t, inputs, outs }) => forwardJacobian(t.region, t.n, inputs, outs));
}

/** Returns a function giving f's Jacobian by reverse mode (one sweep per output). */
export function jacrev<H>(f: (x: H) => unknown): (x: InputOf<H>) => Jacobian {
  return (x) => withRecording(f, x, ({ t, inputs, outs }) => reverseJacobian(t.region, inputs, outs, t.customs));
}

/** Returns a function giving f's Jacobian, forward mode when inputs n ≤ outputs m, reverse mode otherwise. */
export function jacobian<H>(f: (x: H) => unknown): (x: InputOf<H>) => Jacobian {
  return (x) => withRecording(f, x, ({ t, inputs, outs }) => pickJacobian(t.region, t.n, inputs, outs, t.customs));
}
