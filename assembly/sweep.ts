/** @file The sweeps: batch computation of values and partials, and the reverse (adjoint) sweep. None names an op. */
import { H_OP, H_A, H_B, H_VAL, H_DA, H_DB, H_ADJ, field, f64At, i32At } from "./layout";
import { evalOp, V, DX, DY } from "./ops";

/** Computes the values and local partials of nodes [from, to) of tape `t` through the op table. */
export function compute(t: usize, from: i32, to: i32): void {
  const op = field(t, H_OP), a = field(t, H_A), b = field(t, H_B);
  const val = field(t, H_VAL), da = field(t, H_DA), db = field(t, H_DB);
  for (let i = from; i < to; i++) {
    const ia = load<i32>(i32At(a, i)), ib = load<i32>(i32At(b, i));
    const x = load<f64>(f64At(val, ia));
    const y = load<f64>(f64At(val, ib));
    evalOp(<i32>load<u8>(op + <usize>i), x, y, load<f64>(f64At(val, i)), false);
    store<f64>(f64At(val, i), V);
    // An operand indexed by the node itself was a constant held in its value slot: from now on it is
    // node 0 with a zero partial, so the sweeps never see it.
    const ca = ia == i, cb = ib == i;
    store<i32>(i32At(a, i), select<i32>(0, ia, ca));
    store<i32>(i32At(b, i), select<i32>(0, ib, cb));
    store<f64>(f64At(da, i), select<f64>(0, DX, ca));
    store<f64>(f64At(db, i), select<f64>(0, DY, cb));
  }
}

/** Zeroes the adjoints of nodes [0, n) of tape `t`. */
export function clearAdjoints(t: usize, n: i32): void {
  memory.fill(field(t, H_ADJ), 0, <usize>n << 3);
}

/** Sweeps adjoints from node `top` down to node 1: adj[arg] += ∂node/∂arg · adj[node].
 *
 * A zero adjoint contributes exactly zero even when the partial is ±Inf or NaN, so the branch a
 * `where` did not take (or any node whose result is unused) never turns 0·∞ into NaN.
 */
export function reverse(t: usize, top: i32): void {
  const a = field(t, H_A), b = field(t, H_B);
  const da = field(t, H_DA), db = field(t, H_DB), adj = field(t, H_ADJ);
  for (let i = top; i > 0; i--) {
    const g = load<f64>(f64At(adj, i));
    if (g == 0) continue;
    // NOTE: operand index 0 (node 0) means "no operand"; skipping it keeps node 0's adjoint from
    // becoming one long dependency chain through every unary node.
    const ia = load<i32>(i32At(a, i));
    if (ia != 0) {
      const pa = f64At(adj, ia);
      store<f64>(pa, load<f64>(pa) + load<f64>(f64At(da, i)) * g);
    }
    const ib = load<i32>(i32At(b, i));
    if (ib != 0) {
      const pb = f64At(adj, ib);
      store<f64>(pb, load<f64>(pb) + load<f64>(f64At(db, i)) * g);
    }
  }
}

/** Computes nodes [from, to), then sweeps the gradient of node `out` (seeded with `seed`) into the adjoints. */
export function gradient(t: usize, from: i32, to: i32, out: i32, seed: f64): void {
  compute(t, from, to);
  clearAdjoints(t, out + 1);
  store<f64>(f64At(field(t, H_ADJ), out), seed);
  reverse(t, out);
}
