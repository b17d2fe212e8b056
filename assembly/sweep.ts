/** @file The sweeps: batch computation of values and partials, replay of compiled tapes with their guards, and the reverse (adjoint) sweep. None names an op. */
import { H_OP, H_A, H_B, H_VAL, H_DA, H_DB, H_ADJ, H_PRE, field, f64At, i32At } from "./layout";
import { evalOp, guardKey } from "./ops";
import { kernelForward, kernelBackward } from "./kernels";
import { runForward, runBackward, forwardChunked, backwardChunked } from "./chunk";
import { H_TG, H_TUSED, H_ZLIST, H_ZCOUNT, H_KERNELS } from "./layout";
import { metaAt } from "./arena";
import { fusedForwardAt, fusedBackwardAt } from "./fused";

/** Computes the values and local partials of nodes [from, to) of tape `t` through the op table. */
export function compute(t: usize, from: i32, to: i32): void {
  const mixed = hasKernels(t);
  if (field(t, H_PRE)) {
    if (mixed) forward(t, from, to, true, true, true);
    else forward(t, from, to, true, true, false);
  } else if (mixed) forward(t, from, to, false, false, true);
  else forward(t, from, to, false, false, false);
}

/** Whether tape `t` holds kernel nodes now (JS sets the flag as it records one). NOTE: the sweeps
 * keep a copy of their loop without the kernel-node test for scalar-only tapes: the test and the calls behind
 * it cost a serial scalar chain 10–17%. */
// @ts-ignore: decorator
@inline function hasKernels(t: usize): bool {
  return field(t, H_KERNELS) != 0;
}

/** One forward pass. Eager (`kept` false): presets live in `val`, and constant operands are rewritten to
 * node 0. Compiled (`kept`): presets are read from `pre` (copied there first when `copy`), and constant
 * operands keep their own index with a zero partial, so the pass can be replayed at new inputs. */
// @ts-ignore: decorator
@inline function forward(t: usize, from: i32, to: i32, kept: bool, copy: bool, mixed: bool): void {
  const op = field(t, H_OP), a = field(t, H_A), b = field(t, H_B), pre = field(t, H_PRE);
  const val = field(t, H_VAL), da = field(t, H_DA), db = field(t, H_DB);
  // NOTE: on a serial chain every node reads the value stored one iteration ago; taking it from a
  // register (`prev`) instead of memory takes the store-to-load latency off the critical path.
  let prev: f64 = from > 0 ? load<f64>(f64At(val, from - 1)) : 0;
  for (let i = from; i < to; i++) {
    if (copy) store<f64>(f64At(pre, i), load<f64>(f64At(val, i)));
    const ia = load<i32>(i32At(a, i)), ib = load<i32>(i32At(b, i));
    if (mixed && ib < 0) {
      // A kernel node (a tensor op): a is its meta offset. A fused group runs its generated loop; other runs of
      // elementwise kernels go chunk by chunk.
      const last = kept ? fusedForwardAt(t, i) : -1;
      if (last >= 0) {
        i = last;
        prev = 0;
        continue;
      }
      const end = runForward(t, i, to);
      if (end > i + 1) {
        forwardChunked(t, i, end);
        i = end - 1;
        prev = 0;
        continue;
      }
      prev = kernelForward(t, <i32>load<u8>(op + <usize>i), ia);
      store<f64>(f64At(val, i), prev);
      continue;
    }
    let x: f64, y: f64;
    if (ia == i - 1) x = prev;
    else x = load<f64>(f64At(kept && ia == i ? pre : val, ia));
    if (ib == i - 1) y = prev;
    else y = load<f64>(f64At(kept && ib == i ? pre : val, ib));
    const v = evalOp(<i32>load<u8>(op + <usize>i), x, y, f64At(kept ? pre : val, i), f64At(da, i), f64At(db, i), 0, false);
    prev = v;
    store<f64>(f64At(val, i), v);
    // An operand indexed by the node itself is a constant preset in the node's slot. Eager tapes point
    // it at node 0 from now on; compiled tapes keep it (it is read again on replay). Either way its
    // partial is zero, so the sweeps never see it.
    if (ia == i) {
      if (!kept) store<i32>(i32At(a, i), 0);
      store<f64>(f64At(da, i), 0);
    }
    if (ib == i) {
      if (!kept) store<i32>(i32At(b, i), 0);
      store<f64>(f64At(db, i), 0);
    }
  }
}

/** The key of guard g of a guard list (f64 pairs node, key at `guards`), as tape `t` computes it now. */
// @ts-ignore: decorator
@inline function keyNow(t: usize, guards: usize, g: i32): f64 {
  const node = <i32>load<f64>(guards + (<usize>g << 4));
  return guardKey(<i32>load<u8>(field(t, H_OP) + <usize>node), load<f64>(f64At(field(t, H_VAL), node)),
    load<f64>(f64At(field(t, H_DA), node)), load<f64>(f64At(field(t, H_DB), node)));
}

/** Stores each guard's key as recorded (the caller fills in the guards' nodes). */
export function recordGuards(t: usize, guards: usize, ng: i32): void {
  for (let g = 0; g < ng; g++) store<f64>(guards + (<usize>g << 4), keyNow(t, guards, g), 8);
}

/** Replays compiled tape `t` at the inputs written to its presets: recomputes nodes [1, n), then
 * re-checks `ng` guards (f64 pairs node, key at `guards`); returns the first flipped guard, or -1. */
export function replay(t: usize, n: i32, guards: usize, ng: i32): i32 {
  if (hasKernels(t)) forward(t, 1, n, true, false, true);
  else forward(t, 1, n, true, false, false);
  return firstFlipped(t, guards, ng);
}

/** The first of `ng` guards whose key on tape `t` now differs from the recorded one, or -1. */
export function firstFlipped(t: usize, guards: usize, ng: i32): i32 {
  for (let g = 0; g < ng; g++) if (keyNow(t, guards, g) != load<f64>(guards + (<usize>g << 4), 8)) return g;
  return -1;
}

/** Replays compiled tape `t` (as `replay`); unless a guard flipped, stores node `out`'s value at `outValue`
 * and sweeps the gradient of `out` into the adjoints. Returns the first flipped guard, or -1. */
export function replayGradient(t: usize, n: i32, guards: usize, ng: i32, out: i32, outValue: usize): i32 {
  const flipped = replay(t, n, guards, ng);
  if (flipped >= 0) return flipped;
  store<f64>(outValue, load<f64>(f64At(field(t, H_VAL), out)));
  clearAdjoints(t, n); // every node: an input recorded after `out` (f returned an earlier input) is not swept
  store<f64>(f64At(field(t, H_ADJ), out), 1);
  reverse(t, out);
  return -1;
}

/** Zeroes the adjoints of nodes [0, n) of tape `t` (they alias the values: read values before). */
export function clearAdjoints(t: usize, n: i32): void {
  memory.fill(field(t, H_ADJ), 0, <usize>n << 3);
  const g = field(t, H_TG);
  if (!g) return;
  const count = <i32>field(t, H_ZCOUNT) - 1;
  if (count < 0) return memory.fill(g, 0, field(t, H_TUSED) << 3);
  for (let k = 0; k < count; k++) {
    const p = metaAt(t, <i32>field(t, H_ZLIST), 2 * k);
    memory.fill(g + (<usize>load<i32>(p) << 3), 0, <usize>load<i32>(p, 4) << 3);
  }
}

/** Sweeps adjoints from node `top` down to node 1: adj[arg] += ∂node/∂arg · adj[node].
 *
 * A zero adjoint contributes exactly zero even when the partial is ±Inf or NaN, so the branch a
 * `where` did not take (or any node whose result is unused) never turns 0·∞ into NaN.
 */
export function reverse(t: usize, top: i32): void {
  reverseRange(t, top, 0);
}

/** The reverse sweep over nodes `top` down to `stop` + 1 only; node `stop` and below are left for the caller
 * (a custom rule's `bwd` runs in JS there), with every adjoint they received already in memory. */
export function reverseRange(t: usize, top: i32, stop: i32): void {
  if (hasKernels(t)) reverseMixed(t, top, stop);
  else reverseScalar(t, top, stop);
}

/** `reverseRange` on a tape with kernel nodes. */
function reverseMixed(t: usize, top: i32, stop: i32): void {
  reverseLoop(t, top, stop, true);
}

/** `reverseRange` on a scalar-only tape. */
function reverseScalar(t: usize, top: i32, stop: i32): void {
  reverseLoop(t, top, stop, false);
}

/** The loop of `reverseRange`; `mixed`: the tape may hold kernel nodes. */
// @ts-ignore: decorator
@inline function reverseLoop(t: usize, top: i32, stop: i32, mixed: bool): void {
  const op = field(t, H_OP), a = field(t, H_A), b = field(t, H_B);
  const da = field(t, H_DA), db = field(t, H_DB), adj = field(t, H_ADJ);
  // NOTE: `carry` holds what node i sends to node i - 1 (the usual operand on a chain) in a register,
  // so a serial chain does not wait on a store and a reload per node.
  let carry: f64 = 0;
  for (let i = top; i > stop; i--) {
    const pg = f64At(adj, i);
    const g = load<f64>(pg) + carry;
    store<f64>(pg, g);
    carry = 0;
    if (mixed && load<i32>(i32At(b, i)) < 0) {
      // A kernel node: its backward kernel runs whatever g is (a tensor's adjoint is in the G arena); a fused
      // group runs its generated loop, and other runs of elementwise kernels go chunk by chunk (a tensor node
      // receives no scalar carry: g is unused there).
      const first = fusedBackwardAt(t, i);
      if (first >= 0) {
        i = first;
        continue;
      }
      const from = runBackward(t, i, stop + 1);
      if (from < i) {
        backwardChunked(t, from, i);
        i = from;
        continue;
      }
      kernelBackward(t, <i32>load<u8>(op + <usize>i), load<i32>(i32At(a, i)), g);
      continue;
    }
    if (g == 0) continue;
    // Operand index 0 (node 0) means "no operand"; the node's own index, a constant (compiled tapes).
    const ia = load<i32>(i32At(a, i));
    const ib = load<i32>(i32At(b, i));
    const ga = load<f64>(f64At(da, i)) * g;
    if (ia == i - 1) carry += ga;
    else if (ia != 0 && ia != i) store<f64>(f64At(adj, ia), load<f64>(f64At(adj, ia)) + ga);
    const gb = load<f64>(f64At(db, i)) * g;
    if (ib == i - 1) carry += gb;
    else if (ib != 0 && ib != i) store<f64>(f64At(adj, ib), load<f64>(f64At(adj, ib)) + gb);
  }
  if (stop > 0) store<f64>(f64At(adj, stop), load<f64>(f64At(adj, stop)) + carry); // what node stop + 1 sent
}
