/** @file The sweeps: batch computation of values and partials, and the reverse (adjoint) sweep. None names an op. */
import { H_OP, H_A, H_B, H_VAL, H_DA, H_DB, H_ADJ, field, f64At, i32At } from "./layout";
import { evalOp } from "./ops";

/** Computes the values and local partials of nodes [from, to) of tape `t` through the op table. */
export function compute(t: usize, from: i32, to: i32): void {
  const op = field(t, H_OP), a = field(t, H_A), b = field(t, H_B);
  const val = field(t, H_VAL), da = field(t, H_DA), db = field(t, H_DB);
  // NOTE: on a serial chain every node reads the value stored one iteration ago; taking it from a
  // register (`prev`) instead of memory takes the store-to-load latency off the critical path.
  let prev: f64 = from > 0 ? load<f64>(f64At(val, from - 1)) : 0;
  for (let i = from; i < to; i++) {
    const ia = load<i32>(i32At(a, i)), ib = load<i32>(i32At(b, i));
    let x: f64, y: f64;
    if (ia == i - 1) x = prev;
    else x = load<f64>(f64At(val, ia));
    if (ib == i - 1) y = prev;
    else y = load<f64>(f64At(val, ib));
    const v = evalOp(<i32>load<u8>(op + <usize>i), x, y, f64At(val, i), f64At(da, i), f64At(db, i), 0, false);
    prev = v;
    store<f64>(f64At(val, i), v);
    // An operand indexed by the node itself was a constant held in its value slot: from now on it is
    // node 0 with a zero partial, so the sweeps never see it.
    if (ia == i) {
      store<i32>(i32At(a, i), 0);
      store<f64>(f64At(da, i), 0);
    }
    if (ib == i) {
      store<i32>(i32At(b, i), 0);
      store<f64>(f64At(db, i), 0);
    }
  }
}

/** Zeroes the adjoints of nodes [0, n) of tape `t` (they alias the values: read values before). */
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
  // NOTE: `carry` holds what node i sends to node i - 1 (the usual operand on a chain) in a register,
  // so a serial chain does not wait on a store and a reload per node.
  let carry: f64 = 0;
  for (let i = top; i > 0; i--) {
    const pg = f64At(adj, i);
    const g = load<f64>(pg) + carry;
    store<f64>(pg, g);
    carry = 0;
    if (g == 0) continue;
    // Operand index 0 (node 0) means "no operand".
    const ia = load<i32>(i32At(a, i));
    const ga = load<f64>(f64At(da, i)) * g;
    if (ia == i - 1) carry += ga;
    else if (ia != 0) store<f64>(f64At(adj, ia), load<f64>(f64At(adj, ia)) + ga);
    const ib = load<i32>(i32At(b, i));
    const gb = load<f64>(f64At(db, i)) * g;
    if (ib == i - 1) carry += gb;
    else if (ib != 0) store<f64>(f64At(adj, ib), load<f64>(f64At(adj, ib)) + gb);
  }
}
