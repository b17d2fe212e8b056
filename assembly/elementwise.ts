/** @file Elementwise kernels: any scalar op of the op table lifted over tensors with NumPy broadcasting, and the bridges between scalar nodes and tensors (pack, item).
 *
 * An elementwise node runs the scalar row (assembly/ops.ts) on every element, storing the two partials it
 * returns as residuals, so its backward kernel is multiply-adds, as the scalar reverse sweep is:
 *   ȳ flows back as  ā[ia(j)] += ∂y/∂a(j)·ȳ[j],  b̄[ib(j)] += ∂y/∂b(j)·ȳ[j],
 * where ia(j), ib(j) are the operands' broadcast (stride-0) positions of output element j, so a broadcast
 * operand's adjoint sums over the axes it was broadcast along.
 *
 * Map meta: [out, n, op, a, b (-1: unary), ra, rb (-1: not kept), flags, ndim, dims…, stridesA…, stridesB…]
 * (dims collapsed by JS: the last axis is the contiguous inner loop).
 */
import { H_VAL, H_ADJ, field, f64At } from "./layout";
import { vAt, gAt, rAt, meta } from "./arena";
import { evalOp } from "./ops";

const SINK = memory.data(16, 16); // where partials nobody needs are written
const ODO = memory.data(64 << 2, 16); // the odometer of the outer axes (ndim ≤ 64)

/** A kernel's walk over a broadcast elementwise node: element offsets of a and b for each output run. */
class Walk {
  nd: i32 = 0;
  last: i32 = 0;
  sa: i32 = 0;
  sb: i32 = 0;
  ia: i32 = 0;
  ib: i32 = 0;
}
const walk = new Walk();

/** Starts a walk over the Map node at meta `m`: zeroes the odometer. */
function begin(t: usize, m: i32): void {
  const nd = meta(t, m, 8);
  walk.nd = nd;
  walk.last = meta(t, m, 8 + nd);
  walk.sa = meta(t, m, 8 + 2 * nd);
  walk.sb = meta(t, m, 8 + 3 * nd);
  walk.ia = 0;
  walk.ib = 0;
  memory.fill(ODO, 0, <usize>nd << 2);
}

/** Advances the odometer of the outer axes by one inner run. */
function advance(t: usize, m: i32): void {
  const nd = walk.nd;
  for (let d = nd - 2; d >= 0; d--) {
    const c = ODO + (<usize>d << 2);
    const dim = meta(t, m, 9 + d), sa = meta(t, m, 9 + nd + d), sb = meta(t, m, 9 + 2 * nd + d);
    const k = load<i32>(c) + 1;
    walk.ia += sa;
    walk.ib += sb;
    if (k < dim) {
      store<i32>(c, k);
      return;
    }
    store<i32>(c, 0);
    walk.ia -= sa * dim;
    walk.ib -= sb * dim;
  }
}

/** Forward kernel of a Map node: y[j] = op(a[ia(j)], b[ib(j)]), keeping the partials wanted. */
export function mapForward(t: usize, m: i32): void {
  const out = meta(t, m, 0), n = meta(t, m, 1), op = meta(t, m, 2), ao = meta(t, m, 3), bo = meta(t, m, 4);
  const ra = meta(t, m, 5), rb = meta(t, m, 6);
  const pa = vAt(t, ao), pb = bo >= 0 ? vAt(t, bo) : SINK, py = vAt(t, out);
  const pra = ra >= 0 ? rAt(t, ra) : SINK, prb = rb >= 0 ? rAt(t, rb) : SINK;
  const stepRa: usize = ra >= 0 ? 8 : 0, stepRb: usize = rb >= 0 ? 8 : 0;
  begin(t, m);
  const last = walk.last;
  const sa = <usize>walk.sa << 3, sb = bo >= 0 ? <usize>walk.sb << 3 : 0;
  for (let j = 0; j < n; j += last) {
    let xa = pa + (<usize>walk.ia << 3), xb = bo >= 0 ? pb + (<usize>walk.ib << 3) : SINK;
    let y = py + (<usize>j << 3), da = pra + <usize>j * stepRa, db = prb + <usize>j * stepRb;
    for (let k = 0; k < last; k++) {
      store<f64>(y, evalOp(op, load<f64>(xa), load<f64>(xb), SINK, da, db, 0, false));
      xa += sa;
      xb += sb;
      y += 8;
      da += stepRa;
      db += stepRb;
    }
    advance(t, m);
  }
}

/** Backward kernel of a Map node: ā[ia(j)] += ∂a(j)·ȳ[j], b̄[ib(j)] += ∂b(j)·ȳ[j] (operands wanting a gradient only). */
export function mapBackward(t: usize, m: i32): void {
  const out = meta(t, m, 0), n = meta(t, m, 1), ao = meta(t, m, 3), bo = meta(t, m, 4);
  const ra = meta(t, m, 5), rb = meta(t, m, 6);
  if (ra >= 0) mapPull(t, m, n, gAt(t, ao), rAt(t, ra), gAt(t, out), true);
  if (rb >= 0 && bo >= 0) mapPull(t, m, n, gAt(t, bo), rAt(t, rb), gAt(t, out), false);
}

/** One operand's share of the Map backward: adj[i(j)] += r[j]·ȳ[j] along the walk. */
function mapPull(t: usize, m: i32, n: i32, adj: usize, r: usize, gy: usize, first: bool): void {
  begin(t, m);
  const last = walk.last;
  const s = <usize>(first ? walk.sa : walk.sb) << 3;
  for (let j = 0; j < n; j += last) {
    let p = adj + (<usize>(first ? walk.ia : walk.ib) << 3);
    let pr = r + (<usize>j << 3), pg = gy + (<usize>j << 3);
    for (let k = 0; k < last; k++) {
      const g = load<f64>(pg);
      // A zero cotangent sends exactly zero, even through an infinite partial (the branch `where` dropped).
      if (g != 0) store<f64>(p, load<f64>(p) + load<f64>(pr) * g);
      p += s;
      pr += 8;
      pg += 8;
    }
    advance(t, m);
  }
}

/** Forward kernel of Pack (meta [out, n, first]): the values of n consecutive scalar nodes into a tensor. */
export function packForward(t: usize, m: i32): void {
  memory.copy(vAt(t, meta(t, m, 0)), f64At(field(t, H_VAL), meta(t, m, 2)), <usize>meta(t, m, 1) << 3);
}

/** Backward kernel of Pack: each scalar node's adjoint += its element's. */
export function packBackward(t: usize, m: i32): void {
  const g = gAt(t, meta(t, m, 0)), adj = f64At(field(t, H_ADJ), meta(t, m, 2)), n = meta(t, m, 1);
  for (let j = 0; j < n; j++) {
    const p = adj + (<usize>j << 3);
    store<f64>(p, load<f64>(p) + load<f64>(g + (<usize>j << 3)));
  }
}

/** Forward kernel of Item (meta [src, k]): element k of a tensor, as a scalar node's value. */
export function itemForward(t: usize, m: i32): f64 {
  return load<f64>(vAt(t, meta(t, m, 0) + meta(t, m, 1)));
}

/** Backward kernel of Item: the element's adjoint += the scalar's, ḡ. */
export function itemBackward(t: usize, m: i32, g: f64): void {
  const p = gAt(t, meta(t, m, 0) + meta(t, m, 1));
  store<f64>(p, load<f64>(p) + g);
}
