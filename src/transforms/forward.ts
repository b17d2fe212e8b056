/** @file Forward mode and Jacobians: `jvp` (tangents through the tape), `jacfwd` (k directions a sweep), `jacrev` (a reverse sweep a row), and `jacobian`, which picks the cheaper. */
import { type Trace, scratch } from "../trace.js";
import { writeLeaves, fillLike, inputNodes, type InputOf } from "../tree.js";
import { withRecording, type Recording, type OutputOf } from "./vjp.js";

/** A dense Jacobian: `data` row-major, rows = outputs, cols = inputs, both flattened in tree order. */
export interface Jacobian {
  data: Float64Array;
  rows: number;
  cols: number;
}

/** Directions carried by one forward sweep of `jacfwd`. */
const DIRECTIONS = 8;

/** Tangent scratch for `k` directions over the recording's nodes, zeroed. */
function tangents(t: Trace, k: number): { ptr: number; dot: Float64Array } {
  const ptr = scratch(t.e, t.n * k * 8);
  const dot = new Float64Array(t.e.memory.buffer, ptr, t.n * k);
  dot.fill(0);
  return { ptr, dot };
}

/** Returns a function giving [f(x), ∂f/∂x·v]: the tangent v (shaped like x) pushed forward in one sweep. */
export function jvp<H, Y>(f: (x: H) => Y): (x: InputOf<H>, v: InputOf<H>) => [OutputOf<Y>, OutputOf<Y>] {
  return (x, v) =>
    withRecording(f, x, ({ t, inputs, like, outs }) => {
      const { ptr, dot } = tangents(t, 1);
      writeLeaves(dot, inputs, v, "v");
      t.e.tangent(t.region.ptr, t.n, 1, ptr);
      return [like, fillLike(like, outs, dot, 0)] as [OutputOf<Y>, OutputOf<Y>];
    });
}

/** Forward-mode Jacobian: ⌈n/8⌉ sweeps of 8 tangent directions. */
function forwardJacobian({ t, inputs, outs }: Recording): Jacobian {
  const cols = inputNodes(inputs), n = cols.length, m = outs.length;
  const data = new Float64Array(m * n);
  const k = Math.max(1, Math.min(DIRECTIONS, n));
  for (let c0 = 0; c0 < n; c0 += k) {
    const { ptr, dot } = tangents(t, k);
    for (let j = 0; j < k && c0 + j < n; j++) dot[cols[c0 + j] * k + j] = 1;
    t.e.tangent(t.region.ptr, t.n, k, ptr);
    for (let r = 0; r < m; r++) {
      if (outs[r] < 0) continue;
      for (let j = 0; j < k && c0 + j < n; j++) data[r * n + c0 + j] = dot[outs[r] * k + j];
    }
  }
  return { data, rows: m, cols: n };
}

/** Reverse-mode Jacobian: one reverse sweep per output (the stored partials survive the sweeps). */
function reverseJacobian({ t, inputs, outs }: Recording): Jacobian {
  const cols = inputNodes(inputs), n = cols.length, m = outs.length;
  const data = new Float64Array(m * n);
  const lastInput = Math.max(0, ...cols);
  const { e } = t, ptr = t.region.ptr;
  for (let r = 0; r < m; r++) {
    const out = outs[r];
    if (out < 0) continue;
    e.clearAdjoints(ptr, Math.max(out, lastInput) + 1);
    t.adj[out] = 1;
    e.reverse(ptr, out);
    for (let c = 0; c < n; c++) data[r * n + c] = t.adj[cols[c]];
  }
  return { data, rows: m, cols: n };
}

/** Returns a function giving f's Jacobian by forward mode (one sweep per 8 inputs). */
export function jacfwd<H>(f: (x: H) => unknown): (x: InputOf<H>) => Jacobian {
  return (x) => withRecording(f, x, forwardJacobian);
}

/** Returns a function giving f's Jacobian by reverse mode (one sweep per output). */
export function jacrev<H>(f: (x: H) => unknown): (x: InputOf<H>) => Jacobian {
  return (x) => withRecording(f, x, reverseJacobian);
}

/** Returns a function giving f's Jacobian, forward mode when inputs n ≤ outputs m, reverse mode otherwise. */
export function jacobian<H>(f: (x: H) => unknown): (x: InputOf<H>) => Jacobian {
  return (x) => withRecording(f, x, (r) => (inputNodes(r.inputs).length <= r.outs.length ? forwardJacobian(r) : reverseJacobian(r)));
}
