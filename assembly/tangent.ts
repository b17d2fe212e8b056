/** @file Forward mode over a computed tape: tangents in k directions at once, and forward-over-reverse (H·v). None names an op.
 *
 * Tangents live in scratch memory the caller provides, node-major: dot[i·k + j] is node i's tangent in
 * direction j. A leaf (both operands node 0) keeps the tangent the caller seeded; every other node's
 * is ẏ = ∂y/∂a·ȧ + ∂y/∂b·ḃ. A product with a zero factor is exactly zero (no 0·∞ = NaN), as in `reverse`.
 */
import { H_OP, H_A, H_B, H_VAL, H_DA, H_DB, H_ADJ, H_PRE, field, f64At, i32At } from "./layout";
import { evalOp } from "./ops";
import { clearAdjoints } from "./sweep";

const ROW2 = memory.data(5 << 3, 16); // first and second partials of one node: dx, dy, dxx, dxy, dyy

/** p·d, but exactly 0 when either factor is 0. */
// @ts-ignore: decorator
@inline function times(p: f64, d: f64): f64 {
  return select<f64>(0, p * d, p == 0 || d == 0);
}

/** Propagates k tangent directions through nodes [1, n) of tape `t` (values and partials computed). */
export function tangent(t: usize, n: i32, k: i32, dot: usize): void {
  const a = field(t, H_A), b = field(t, H_B), da = field(t, H_DA), db = field(t, H_DB);
  for (let i = 1; i < n; i++) {
    const ia = load<i32>(i32At(a, i)), ib = load<i32>(i32At(b, i));
    if ((ia | ib) == 0) continue; // a leaf: keeps its seed
    // An operand indexed by the node itself is a constant (compiled tapes): no tangent.
    const pa = ia == i ? 0 : load<f64>(f64At(da, i)), pb = ib == i ? 0 : load<f64>(f64At(db, i));
    const ra = f64At(dot, ia * k), rb = f64At(dot, ib * k), ri = f64At(dot, i * k);
    for (let j = 0; j < k; j++) {
      const o = <usize>j << 3;
      store<f64>(ri + o, times(pa, load<f64>(ra + o)) + times(pb, load<f64>(rb + o)));
    }
  }
}

/** H·v by forward-over-reverse on a tape that keeps its presets (a compiled-style tape), values computed.
 *
 * `s` holds three f64 arrays of n: the tangents (seeded by the caller at the inputs, zero elsewhere),
 * then ∂a', ∂b' (the tangents of each node's local partials). Pass 1 runs forward while values exist:
 * ẏ = ∂a·ȧ + ∂b·ḃ and (∂a)' = ∂aa·ȧ + ∂ab·ḃ, (∂b)' = ∂ab·ȧ + ∂bb·ḃ, from the op table's second partials.
 * Pass 2 sweeps back from `out`: adj[a] += ∂a·g and tan[a] += (∂a)'·g + ∂a·ġ, with the tangent array
 * reused for the adjoints' tangents ġ. On return the tangent array holds (H·v) at the input nodes.
 */
export function hvp(t: usize, n: i32, out: i32, s: usize): void {
  const op = field(t, H_OP), a = field(t, H_A), b = field(t, H_B), val = field(t, H_VAL), pre = field(t, H_PRE);
  const tan = s, dda = s + (<usize>n << 3), ddb = s + (<usize>n << 4);
  for (let i = 1; i < n; i++) {
    const ia = load<i32>(i32At(a, i)), ib = load<i32>(i32At(b, i));
    if ((ia | ib) == 0) continue;
    const x = load<f64>(f64At(ia == i ? pre : val, ia)), y = load<f64>(f64At(ib == i ? pre : val, ib));
    evalOp(<i32>load<u8>(op + <usize>i), x, y, f64At(pre, i), ROW2, ROW2 + 8, ROW2 + 16, true);
    const ta = ia == i ? 0 : load<f64>(f64At(tan, ia)), tb = ib == i ? 0 : load<f64>(f64At(tan, ib));
    const dxx = load<f64>(ROW2, 16), dxy = load<f64>(ROW2, 24), dyy = load<f64>(ROW2, 32);
    store<f64>(f64At(tan, i), times(load<f64>(ROW2), ta) + times(load<f64>(ROW2, 8), tb));
    store<f64>(f64At(dda, i), times(dxx, ta) + times(dxy, tb));
    store<f64>(f64At(ddb, i), times(dxy, ta) + times(dyy, tb));
  }
  memory.fill(tan, 0, <usize>n << 3); // from here on: the adjoints' tangents
  clearAdjoints(t, out + 1);
  const adj = field(t, H_ADJ), da = field(t, H_DA), db = field(t, H_DB);
  store<f64>(f64At(adj, out), 1);
  for (let i = out; i > 0; i--) {
    const g = load<f64>(f64At(adj, i)), gt = load<f64>(f64At(tan, i));
    if (g == 0 && gt == 0) continue;
    const ia = load<i32>(i32At(a, i)), ib = load<i32>(i32At(b, i));
    if (ia != 0 && ia != i) {
      const p = load<f64>(f64At(da, i));
      store<f64>(f64At(adj, ia), load<f64>(f64At(adj, ia)) + times(p, g));
      store<f64>(f64At(tan, ia), load<f64>(f64At(tan, ia)) + times(load<f64>(f64At(dda, i)), g) + times(p, gt));
    }
    if (ib != 0 && ib != i) {
      const p = load<f64>(f64At(db, i));
      store<f64>(f64At(adj, ib), load<f64>(f64At(adj, ib)) + times(p, g));
      store<f64>(f64At(tan, ib), load<f64>(f64At(tan, ib)) + times(load<f64>(f64At(ddb, i)), g) + times(p, gt));
    }
  }
}
