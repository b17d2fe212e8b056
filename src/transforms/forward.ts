/** @file Forward mode and Jacobians: `jvp` (tangents through the tape), `jacfwd` (k directions a sweep), `jacrev` (a reverse sweep a row), and `jacobian`, which picks the cheaper. */
import { type Region, type CustomHook, scratch, reverseWithHooks } from "../trace.js";
import { H_TUSED } from "../region.js";
import { writeLeaves, fillLike, inputColumns, flatGradient, inputCount, lastInputNode, type HandleTree, type InputOf } from "../tree.js";
import { withRecording, type OutputOf, type CheckNaNOptions } from "./vjp.js";
import { checkValueNaN, checkTangentNaN } from "./nan.js";

/**
 * A dense Jacobian: `data` row-major, rows = outputs, cols = inputs, both flattened in tree order.
 * @example
 * ```ts
 * const J: ad.Jacobian = ad.jacobian((v: ad.Tensor) => v.mul(v))([1, 2, 3]);
 * J.data[2 * J.cols + 2]; // → 6 — ∂y₂/∂x₂
 * ```
 */
export interface Jacobian {
  /** The entries, row-major: `data[i * cols + j]` is ∂yᵢ/∂xⱼ. */
  data: Float64Array;
  /** The number of outputs (f's output flattened in tree order). */
  rows: number;
  /** The number of inputs (x flattened in tree order). */
  cols: number;
}

/** Directions carried by one forward sweep of `jacfwd`. */
const DIRECTIONS = 8;

/** Tangent scratch for `k` directions over `n` nodes of region r, zeroed: `dot` for the scalar nodes, and
 * `arena` for the tensors (one direction; same offsets as the values). */
export function tangents(r: Region, n: number, k: number): { ptr: number; dot: Float64Array; arenaPtr: number; arena: Float64Array } {
  const e = r.e, vals = r.hdr[H_TUSED];
  const ptr = scratch(e, (n * k + vals) * 8);
  const dot = new Float64Array(e.memory.buffer, ptr, n * k);
  const arena = new Float64Array(e.memory.buffer, ptr + n * k * 8, vals);
  dot.fill(0);
  arena.fill(0);
  return { ptr, dot, arenaPtr: ptr + n * k * 8, arena };
}

/** One tangent sweep (k directions; one when the tape holds tensor ops) over the first n nodes of region r. */
export function sweepTangents(r: Region, n: number, k: number, s: { ptr: number; arenaPtr: number }): void {
  r.e.tangent(r.ptr, n, k, s.ptr, s.arenaPtr);
}

/**
 * Returns a function giving [f(x), ∂f/∂x·v]: the tangent v (shaped like x) pushed forward in one sweep; with
 * `checkNaN`, a NaN in the value or the tangent throws NaNError naming its op.
 * @example
 * ```ts
 * ad.jvp((v: ad.Tensor) => v.at(0).mul(v.at(1)))([2, 3], [1, 0]); // → [6, 3]
 * ```
 */
export function jvp<H, Y>(f: (x: H) => Y, opts: CheckNaNOptions = {}): (x: InputOf<H>, v: InputOf<H>) => [OutputOf<Y>, OutputOf<Y>] {
  return (x, v) =>
    withRecording(f, x, ({ t, inputs, like, outs }) => {
      if (opts.checkNaN) checkValueNaN(t, outs, x);
      const s = tangents(t.region, t.n, 1);
      writeLeaves(s.dot, inputs, v, "v", s.arena);
      sweepTangents(t.region, t.n, 1, s);
      if (opts.checkNaN) checkTangentNaN(t, outs, s.dot, s.arena, v);
      return [like, fillLike(like, outs, s.dot, 0)] as [OutputOf<Y>, OutputOf<Y>];
    });
}

/** Forward-mode Jacobian of the computed tape `r` (n nodes): ⌈inputs/8⌉ sweeps of 8 tangent directions. */
export function forwardJacobian(r: Region, n: number, inputs: HandleTree, outs: number[]): Jacobian {
  const cols = inputColumns(inputs), nc = cols.length, m = outs.length;
  const data = new Float64Array(m * nc);
  // NOTE: tensor tangents carry one direction a sweep (a k-wide tangent arena is not worth its memory yet).
  const k = r.kernels ? 1 : Math.max(1, Math.min(DIRECTIONS, nc));
  for (let c0 = 0; c0 < nc; c0 += k) {
    const s = tangents(r, n, k);
    for (let j = 0; j < k && c0 + j < nc; j++) {
      const c = cols[c0 + j];
      if (c >= 0) s.dot[c * k + j] = 1;
      else s.arena[-c - 1] = 1;
    }
    sweepTangents(r, n, k, s);
    const dot = s.dot;
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

/** The lesson's rule: forward mode costs a sweep per input, reverse mode a sweep per output; take the fewer. */
export function pickJacobian(r: Region, n: number, inputs: HandleTree, outs: number[], hooks: readonly CustomHook[] = []): Jacobian {
  return inputCount(inputs) <= outs.length ? forwardJacobian(r, n, inputs, outs) : reverseJacobian(r, inputs, outs, hooks);
}

/**
 * Returns a function giving f's Jacobian by forward mode (one sweep per 8 inputs).
 * @example
 * ```ts
 * ad.jacfwd((v: ad.Tensor) => [v.at(0).sin(), v.at(0).mul(v.at(1))])([0, 2]).data; // → [1, 0, 2, 0]
 * ```
 */
export function jacfwd<H>(f: (x: H) => unknown): (x: InputOf<H>) => Jacobian {
  return (x) => withRecording(f, x, ({ t, inputs, outs }) => forwardJacobian(t.region, t.n, inputs, outs));
}

/**
 * Returns a function giving f's Jacobian by reverse mode (one sweep per output).
 * @example
 * ```ts
 * ad.jacrev((v: ad.Tensor) => [v.at(0).sin(), v.at(0).mul(v.at(1))])([0, 2]).data; // → [1, 0, 2, 0]
 * ```
 */
export function jacrev<H>(f: (x: H) => unknown): (x: InputOf<H>) => Jacobian {
  return (x) => withRecording(f, x, ({ t, inputs, outs }) => reverseJacobian(t.region, inputs, outs, t.customs));
}

/**
 * Returns a function giving f's Jacobian, forward mode when inputs n ≤ outputs m, reverse mode otherwise.
 * @example
 * ```ts
 * const J = ad.jacobian((v: ad.Tensor) => [v.at(0).sin(), v.at(0).mul(v.at(1))])([0, 2]);
 * [J.rows, J.cols, J.data]; // → [2, 2, [1, 0, 2, 0]]
 * ```
 */
export function jacobian<H>(f: (x: H) => unknown): (x: InputOf<H>) => Jacobian {
  return (x) => withRecording(f, x, ({ t, inputs, outs }) => pickJacobian(t.region, t.n, inputs, outs, t.customs));
}
