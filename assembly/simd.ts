/** @file The f64x2 fast paths of the elementwise kernels: add, sub, neg and mul over contiguous or scalar (broadcast) operands, forward and backward, where the generic walk costs 3–4× more per element.
 *
 * A fast path applies to each inner run of the Map's walk (JS collapses contiguous axes, so a same-shape
 * op is one run) when each operand's inner stride is 1 (contiguous) or 0 (one element, broadcast). The
 * results are bit-identical to the generic kernels': the same IEEE operations, element by element.
 */
import { Op } from "./ops";

/** Whether a Map of `op` whose inner runs have strides sa, sb has a fast path (run by run). */
// @ts-ignore: decorator
@inline export function hasFastPath(op: i32, sa: i32, sb: i32): bool {
  return <u32>sa <= 1 && <u32>sb <= 1 && (op == Op.Add || op == Op.Sub || op == Op.Mul || op == Op.Neg);
}

/** Operand lanes at element offset o: two consecutive elements (stride 1) or the one element twice (stride 0). */
// @ts-ignore: decorator
@inline function lanes(p: usize, s: i32, o: usize): v128 {
  return s ? v128.load(p + o) : v128.load64_splat(p);
}

/** y = a op b (or −a) over n elements, two at a time: one loop per (op, stride, stride), so no branch is left inside. */
export function fastForward(op: i32, n: i32, pa: usize, sa: i32, pb: usize, sb: i32, py: usize): void {
  switch (op) {
    case Op.Add: { byStrides(Op.Add, n, pa, sa, pb, sb, py); break; }
    case Op.Sub: { byStrides(Op.Sub, n, pa, sa, pb, sb, py); break; }
    case Op.Mul: { byStrides(Op.Mul, n, pa, sa, pb, sb, py); break; }
    default: {
      if (sa) vloop(Op.Neg, 1, 0, n, pa, pb, py);
      else vloop(Op.Neg, 0, 0, n, pa, pb, py);
    }
  }
}

/** `vloop` for a binary op with its two strides made constants. */
// @ts-ignore: decorator
@inline function byStrides(op: i32, n: i32, pa: usize, sa: i32, pb: usize, sb: i32, py: usize): void {
  if (sa && sb) vloop(op, 1, 1, n, pa, pb, py);
  else if (sa) vloop(op, 1, 0, n, pa, pb, py);
  else if (sb) vloop(op, 0, 1, n, pa, pb, py);
  else vloop(op, 0, 0, n, pa, pb, py);
}

/** The loop of `fastForward` for one (op, sa, sb), all three constants once inlined. */
// @ts-ignore: decorator
@inline function vloop(op: i32, sa: i32, sb: i32, n: i32, pa: usize, pb: usize, py: usize): void {
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const o = <usize>i << 3;
    const a = lanes(pa, sa, o);
    let v: v128;
    if (op == Op.Neg) v = f64x2.neg(a);
    else {
      const b = lanes(pb, sb, o);
      v = op == Op.Add ? f64x2.add(a, b) : op == Op.Sub ? f64x2.sub(a, b) : f64x2.mul(a, b);
    }
    v128.store(py + o, v);
  }
  for (; i < n; i++) {
    const a = load<f64>(pa + (sa ? <usize>i << 3 : 0)), b = op == Op.Neg ? 0 : load<f64>(pb + (sb ? <usize>i << 3 : 0));
    store<f64>(py + (<usize>i << 3), op == Op.Neg ? -a : op == Op.Add ? a + b : op == Op.Sub ? a - b : a * b);
  }
}

/** adj += p·ȳ (adj = p·ȳ when `write`, only with s = 1) for one operand over n elements: p is the constant c
 * (`other` = 0) or c times the other operand's value (stride so); adj has stride s (1, or 0: a broadcast operand,
 * which sums). A product that is NaN only because one factor is 0 and the other infinite counts 0 (as in the
 * generic kernel). */
export function fastPull(n: i32, adj: usize, s: i32, c: f64, other: usize, so: i32, gy: usize, write: bool): void {
  if (other) {
    if (s && so) {
      if (write) pull(n, adj, 1, c, other, 1, gy, true, true);
      else pull(n, adj, 1, c, other, 1, gy, false, true);
    } else if (s) {
      if (write) pull(n, adj, 1, c, other, 0, gy, true, true);
      else pull(n, adj, 1, c, other, 0, gy, false, true);
    } else if (so) pull(n, adj, 0, c, other, 1, gy, false, true);
    else pull(n, adj, 0, c, other, 0, gy, false, true);
    return;
  }
  if (s) {
    if (write) pull(n, adj, 1, c, 0, 0, gy, true, false);
    else pull(n, adj, 1, c, 0, 0, gy, false, false);
  } else pull(n, adj, 0, c, 0, 0, gy, false, false);
}

/** `fastPull`'s loop, one copy per constant (s, so, write, scaled): p = c·other[i] when `scaled`, else the constant c. */
// @ts-ignore: decorator
@inline function pull(n: i32, adj: usize, s: i32, c: f64, other: usize, so: i32, gy: usize, write: bool, scaled: bool): void {
  const cv = f64x2.splat(c);
  let acc = f64x2.splat(0);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const o = <usize>i << 3;
    const g = v128.load(gy + o), p = scaled ? f64x2.mul(cv, lanes(other, so, o)) : cv;
    let r = f64x2.mul(p, g);
    if (v128.any_true(f64x2.ne(r, r))) r = exactProduct(p, g);
    if (s) v128.store(adj + o, write ? r : f64x2.add(v128.load(adj + o), r));
    else acc = f64x2.add(acc, r);
  }
  let tail: f64 = 0;
  for (; i < n; i++) {
    const p = scaled ? c * load<f64>(other + (so ? <usize>i << 3 : 0)) : c, g = load<f64>(gy + (<usize>i << 3));
    const r = g == 0 || p == 0 ? 0 : p * g;
    if (s) store<f64>(adj + (<usize>i << 3), write ? r : load<f64>(adj + (<usize>i << 3)) + r);
    else tail += r;
  }
  if (!s) store<f64>(adj, load<f64>(adj) + (f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1)) + tail);
}

/** p·g lane by lane, exactly 0 where either factor is 0. */
function exactProduct(p: v128, g: v128): v128 {
  const p0 = f64x2.extract_lane(p, 0), p1 = f64x2.extract_lane(p, 1), g0 = f64x2.extract_lane(g, 0), g1 = f64x2.extract_lane(g, 1);
  return f64x2.replace_lane(f64x2.splat(p0 == 0 || g0 == 0 ? 0 : p0 * g0), 1, p1 == 0 || g1 == 0 ? 0 : p1 * g1);
}
