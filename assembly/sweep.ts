/** @file The sweeps: batch computation of values and partials, and the reverse (adjoint) sweep. None names an op. */
import { H_OP, H_A, H_B, H_VAL, H_DA, H_DB, H_ADJ, field, f64At, i32At } from "./layout";
import { evalOp, V, DX, DY } from "./ops";

/** Computes the values and local partials of nodes [from, to) of tape `t` through the op table. */
export function compute(t: usize, from: i32, to: i32): void {
  const op = field(t, H_OP), a = field(t, H_A), b = field(t, H_B);
  const val = field(t, H_VAL), da = field(t, H_DA), db = field(t, H_DB);
  for (let i = from; i < to; i++) {
    const x = load<f64>(f64At(val, load<i32>(i32At(a, i))));
    const y = load<f64>(f64At(val, load<i32>(i32At(b, i))));
    evalOp(<i32>load<u8>(op + <usize>i), x, y, load<f64>(f64At(val, i)), false);
    store<f64>(f64At(val, i), V);
    store<f64>(f64At(da, i), DX);
    store<f64>(f64At(db, i), DY);
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
    const zero = g == 0;
    const pa = f64At(adj, load<i32>(i32At(a, i)));
    store<f64>(pa, load<f64>(pa) + select<f64>(0, load<f64>(f64At(da, i)) * g, zero));
    const pb = f64At(adj, load<i32>(i32At(b, i)));
    store<f64>(pb, load<f64>(pb) + select<f64>(0, load<f64>(f64At(db, i)) * g, zero));
  }
}

/** Computes nodes [from, to), then sweeps the gradient of node `out` (seeded with `seed`) into the adjoints. */
export function gradient(t: usize, from: i32, to: i32, out: i32, seed: f64): void {
  compute(t, from, to);
  clearAdjoints(t, out + 1);
  store<f64>(f64At(field(t, H_ADJ), out), seed);
  reverse(t, out);
}
