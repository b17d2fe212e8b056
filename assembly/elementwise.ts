/** @file Elementwise kernels: any scalar op of the op table lifted over tensors with NumPy broadcasting, and the bridges between scalar nodes and tensors (pack, item).
 *
 * An elementwise node runs the scalar row (assembly/ops.ts) on every element, storing the two partials it
 * returns as residuals, so its backward kernel is multiply-adds, as the scalar reverse sweep is:
 *   ȳ flows back as  ā[ia(j)] += ∂y/∂a(j)·ȳ[j],  b̄[ib(j)] += ∂y/∂b(j)·ȳ[j],
 * where ia(j), ib(j) are the operands' broadcast (stride-0) positions of output element j, so a broadcast
 * operand's adjoint sums over the axes it was broadcast along.
 *
 * Map meta: [out, n, op, a, b (-1: unary), ra, rb, mode, ndim, dims…, stridesA…, stridesB…]; ra, rb are the
 * residual offsets of the partials, -1 when that operand wants no gradient, -2 when it does but `mode`
 * (see mapBackward) needs no residual.
 * (dims collapsed by JS: the last axis is the contiguous inner loop).
 */
import { H_VAL, H_ADJ, field, f64At } from "./layout";
import { vAt, gAt, rAt, tAt, meta } from "./arena";
import { evalOp, Op } from "./ops";
import { hasFastPath, fastForward, fastPull } from "./simd";

/** Where partials nobody needs are written. */
export const SINK = memory.data(16, 16);
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
  const last = walk.last, fast = hasFastPath(op, walk.sa, walk.sb);
  const sa = <usize>walk.sa << 3, sb = bo >= 0 ? <usize>walk.sb << 3 : 0;
  for (let j = 0; j < n; j += last) {
    const xa = pa + (<usize>walk.ia << 3), xb = bo >= 0 ? pb + (<usize>walk.ib << 3) : SINK;
    const y = py + (<usize>j << 3), da = pra + <usize>j * stepRa, db = prb + <usize>j * stepRb;
    if (fast) fastForward(op, last, xa, walk.sa, xb, walk.sb, y);
    else run(op, last, xa, sa, xb, sb, y, da, stepRa, db, stepRb);
    advance(t, m);
  }
}

/** One inner run of a Map: `count` elements of op. NOTE: the ops that dominate real programs get a copy of
 * the loop each, with the op a constant, so the op table's switch folds away (2–4× faster per element);
 * the rest share one loop that dispatches per element. */
export function run(op: i32, count: i32, xa: usize, sa: usize, xb: usize, sb: usize, y: usize, da: usize, sda: usize, db: usize, sdb: usize): void {
  switch (op) {
    case Op.Add: { loop(Op.Add, count, xa, sa, xb, sb, y, da, sda, db, sdb); break; }
    case Op.Sub: { loop(Op.Sub, count, xa, sa, xb, sb, y, da, sda, db, sdb); break; }
    case Op.Mul: { loop(Op.Mul, count, xa, sa, xb, sb, y, da, sda, db, sdb); break; }
    case Op.Div: { loop(Op.Div, count, xa, sa, xb, sb, y, da, sda, db, sdb); break; }
    case Op.Neg: { loop(Op.Neg, count, xa, sa, xb, sb, y, da, sda, db, sdb); break; }
    case Op.Exp: { loop(Op.Exp, count, xa, sa, xb, sb, y, da, sda, db, sdb); break; }
    case Op.Log: { loop(Op.Log, count, xa, sa, xb, sb, y, da, sda, db, sdb); break; }
    case Op.Tanh: { loop(Op.Tanh, count, xa, sa, xb, sb, y, da, sda, db, sdb); break; }
    case Op.Sqrt: { loop(Op.Sqrt, count, xa, sa, xb, sb, y, da, sda, db, sdb); break; }
    case Op.Max: { loop(Op.Max, count, xa, sa, xb, sb, y, da, sda, db, sdb); break; }
    case Op.WhereTrue: { loop(Op.WhereTrue, count, xa, sa, xb, sb, y, da, sda, db, sdb); break; }
    case Op.WhereFalse: { loop(Op.WhereFalse, count, xa, sa, xb, sb, y, da, sda, db, sdb); break; }
    default: loop(op, count, xa, sa, xb, sb, y, da, sda, db, sdb);
  }
}

// @ts-ignore: decorator
@inline function loop(op: i32, count: i32, xa: usize, sa: usize, xb: usize, sb: usize, y: usize, da: usize, sda: usize, db: usize, sdb: usize): void {
  for (let k = 0; k < count; k++) {
    store<f64>(y, evalOp(op, load<f64>(xa), load<f64>(xb), SINK, da, db, 0, false));
    xa += sa;
    xb += sb;
    y += 8;
    da += sda;
    db += sdb;
  }
}

/** Backward kernel of a Map node: ā[ia(j)] += ∂a(j)·ȳ[j], b̄[ib(j)] += ∂b(j)·ȳ[j] (operands wanting a gradient only).
 * The partials come from the residuals (mode 0), are the op's constants (mode 1: add, sub, neg), or are the
 * other operand's value (mode 2: mul; mode 3: x·x, pulled once as 2x), so linear and bilinear ops store
 * nothing in the forward pass. */
export function mapBackward(t: usize, m: i32): void {
  const out = meta(t, m, 0), n = meta(t, m, 1), ao = meta(t, m, 3), bo = meta(t, m, 4), ra = meta(t, m, 5), rb = meta(t, m, 6);
  begin(t, m);
  const last = walk.last;
  for (let j = 0; j < n; j += last) {
    const ea = walk.ia, eb = walk.ib;
    pullRuns(t, m, last, vAt(t, ao + ea), gAt(t, ao + ea), walk.sa, vAt(t, bo + eb), gAt(t, bo + eb), walk.sb, rAt(t, ra + j), rAt(t, rb + j), gAt(t, out + j));
    advance(t, m);
  }
}

/** The backward of Map m over one run of `count` elements (a run of its walk, or a chunk of a one-axis Map): operand
 * values and adjoints at va, ga (stride sa) and vb, gb (stride sb), residuals at pra, prb, cotangents at gy. The
 * constants of mode 1 are evaluated here; vectorised ops take `fastPull`, the rest `pullRun`. */
export function pullRuns(t: usize, m: i32, count: i32, va: usize, ga: usize, sa: i32, vb: usize, gb: usize, sb: i32, pra: usize, prb: usize, gy: usize): void {
  const op = meta(t, m, 2), mode = meta(t, m, 7) & MODE_MASK;
  const wantA = meta(t, m, 5) != -1, wantB = meta(t, m, 6) != -1 && meta(t, m, 4) >= 0;
  if (mode == 1) evalOp(op, 1, 1, SINK, PARTIALS, PARTIALS + 8, 0, false);
  if (hasFastPath(op, sa, sb)) {
    const c = mode == 1;
    if (mode == 3) return fastPull(count, ga, sa, 2, va, sa, gy, writesA(t, m)); // d(x·x) = 2x dx, one pass
    if (wantA) fastPull(count, ga, sa, c ? load<f64>(PARTIALS) : 1, c ? 0 : vb, sb, gy, writesA(t, m));
    if (wantB) fastPull(count, gb, sb, c ? load<f64>(PARTIALS, 8) : 1, c ? 0 : va, sa, gy, writesB(t, m));
    return;
  }
  const s8a = <usize>sa << 3, s8b = <usize>sb << 3;
  if (wantA) {
    if (mode == 0) pullRun(count, ga, s8a, pra, 8, gy);
    else if (mode == 1) pullRun(count, ga, s8a, PARTIALS, 0, gy);
    else pullRun(count, ga, s8a, vb, s8b, gy);
  }
  if (wantB) {
    if (mode == 0) pullRun(count, gb, s8b, prb, 8, gy);
    else if (mode == 1) pullRun(count, gb, s8b, PARTIALS + 8, 0, gy);
    else pullRun(count, gb, s8b, va, s8a, gy);
  }
}

/** The low bits of a Map's mode word hold the mode; the flags above them say an operand's adjoint is written,
 * not added to: this Map is its only reader (planned by JS for compiled tapes, src/tensor/plan.ts), so it was not zeroed. */
export const MODE_MASK = 15, WRITE_A = 16, WRITE_B = 32;

/** Whether the backward of Map m writes operand a's (b's) adjoint instead of adding to it. */
// @ts-ignore: decorator
@inline export function writesA(t: usize, m: i32): bool {
  return (meta(t, m, 7) & WRITE_A) != 0;
}
// @ts-ignore: decorator
@inline export function writesB(t: usize, m: i32): bool {
  return (meta(t, m, 7) & WRITE_B) != 0;
}

/** An op's constant partials (mode 1). */
export const PARTIALS = memory.data(16, 16);
const FROM_J = 0, FROM_A = 1, FROM_B = 2, FROM_CONST = 3;

/** adj[k·s] += src[k·ss]·ȳ[k] for k < count (strides in bytes). */
export function pullRun(count: i32, adj: usize, s: usize, src: usize, ss: usize, gy: usize): void {
  for (let k = 0; k < count; k++) {
    const g = load<f64>(gy);
    // A zero cotangent sends exactly zero, even through an infinite partial (the branch `where` dropped).
    if (g != 0) store<f64>(adj, load<f64>(adj) + load<f64>(src) * g);
    adj += s;
    src += ss;
    gy += 8;
  }
}

/** Tangent kernel of a Map node: ẏ[j] = ∂a(j)·ȧ[ia(j)] + ∂b(j)·ḃ[ib(j)] (operands that carry a tangent only), the
 * partials found as the backward kernel finds them. */
export function mapTangent(t: usize, m: i32): void {
  const out = meta(t, m, 0), n = meta(t, m, 1), op = meta(t, m, 2), ao = meta(t, m, 3), bo = meta(t, m, 4);
  const ra = meta(t, m, 5), rb = meta(t, m, 6), mode = meta(t, m, 7) & MODE_MASK;
  const ty = tAt(t, out);
  memory.fill(ty, 0, <usize>n << 3);
  if (mode == 1) evalOp(op, 1, 1, SINK, PARTIALS, PARTIALS + 8, 0, false);
  if (ra != -1) {
    if (mode == 0) mapPush(t, m, n, tAt(t, ao), true, rAt(t, ra), FROM_J, ty);
    else if (mode == 1) mapPush(t, m, n, tAt(t, ao), true, PARTIALS, FROM_CONST, ty);
    else mapPush(t, m, n, tAt(t, ao), true, vAt(t, bo), FROM_B, ty);
  }
  if (rb != -1 && bo >= 0) {
    if (mode == 0) mapPush(t, m, n, tAt(t, bo), false, rAt(t, rb), FROM_J, ty);
    else if (mode == 1) mapPush(t, m, n, tAt(t, bo), false, PARTIALS + 8, FROM_CONST, ty);
    else mapPush(t, m, n, tAt(t, bo), false, vAt(t, ao), FROM_A, ty);
  }
}

/** One operand's share of a Map tangent: ẏ[j] += ∂(j)·ẋ[i(j)] along the walk (the transpose of the backward's pull). */
function mapPush(t: usize, m: i32, n: i32, tin: usize, first: bool, src: usize, from: i32, ty: usize): void {
  begin(t, m);
  const last = walk.last;
  const s = <usize>(first ? walk.sa : walk.sb) << 3;
  const ss: usize = from == FROM_J ? 8 : from == FROM_A ? <usize>walk.sa << 3 : from == FROM_B ? <usize>walk.sb << 3 : 0;
  for (let j = 0; j < n; j += last) {
    let p = tin + (<usize>(first ? walk.ia : walk.ib) << 3);
    let ps = src + (from == FROM_J ? <usize>j << 3 : from == FROM_A ? <usize>walk.ia << 3 : from == FROM_B ? <usize>walk.ib << 3 : 0);
    let py = ty + (<usize>j << 3);
    for (let k = 0; k < last; k++) {
      const d = load<f64>(p), q = load<f64>(ps);
      // A zero tangent or a zero partial (the branch `where` dropped) sends exactly zero, even against an infinity.
      if (d != 0 && q != 0) store<f64>(py, load<f64>(py) + q * d);
      p += s;
      ps += ss;
      py += 8;
    }
    advance(t, m);
  }
}

/** Tangent kernel of Pack: the scalar nodes' tangents (one direction, `dot`) into the tensor's. */
export function packTangent(t: usize, m: i32, dot: usize): void {
  memory.copy(tAt(t, meta(t, m, 0)), f64At(dot, meta(t, m, 2)), <usize>meta(t, m, 1) << 3);
}

/** Tangent kernel of Item: the element's tangent. */
export function itemTangent(t: usize, m: i32): f64 {
  return load<f64>(tAt(t, meta(t, m, 0) + meta(t, m, 1)));
}

const P2 = memory.data(3 << 3, 16); // one element's second partials: dxx, dxy, dyy
const P1 = memory.data(2 << 3, 16); // and its first partials

/** Second-order backward of a Map (forward-over-reverse): for every element, from the op table's first and second
 * partials,  ā += ∂a·ȳ,  ā' += ∂a·ȳ' + (∂aa·ȧ + ∂ab·ḃ)·ȳ  (and b likewise), into the adjoints and their tangents `gt`. */
export function mapSecond(t: usize, m: i32, gt: usize): void {
  const out = meta(t, m, 0), n = meta(t, m, 1), op = meta(t, m, 2), ao = meta(t, m, 3), bo = meta(t, m, 4);
  const wa = meta(t, m, 5) != -1, wb = meta(t, m, 6) != -1 && bo >= 0;
  begin(t, m);
  const last = walk.last, sa = <usize>walk.sa << 3, sb = <usize>walk.sb << 3;
  for (let j = 0; j < n; j += last) {
    const ea = <usize>walk.ia << 3, eb = <usize>walk.ib << 3;
    for (let k = 0; k < last; k++) {
      const oa = ea + <usize>k * sa, ob = eb + <usize>k * sb, oy = <usize>(out + j + k) << 3;
      const g = load<f64>(gAt(t, 0) + oy), gd = load<f64>(gt + oy);
      if (g == 0 && gd == 0) continue;
      const x = load<f64>(vAt(t, ao) + oa), y = bo >= 0 ? load<f64>(vAt(t, bo) + ob) : 0;
      const xd = load<f64>(tAt(t, ao) + oa), yd = bo >= 0 ? load<f64>(tAt(t, bo) + ob) : 0;
      evalOp(op, x, y, SINK, P1, P1 + 8, P2, true);
      const dx = load<f64>(P1), dy = load<f64>(P1, 8), dxx = load<f64>(P2), dxy = load<f64>(P2, 8), dyy = load<f64>(P2, 16);
      if (wa) pullPair(gAt(t, ao) + oa, gt + (<usize>ao << 3) + oa, dx, dxx, dxy, xd, yd, g, gd);
      if (wb) pullPair(gAt(t, bo) + ob, gt + (<usize>bo << 3) + ob, dy, dxy, dyy, xd, yd, g, gd);
    }
    advance(t, m);
  }
}

/** adj += p·g and adjT += p·gd + (p1·xd + p2·yd)·g, each product exactly 0 when a factor is 0 (no 0·∞). */
// @ts-ignore: decorator
@inline function pullPair(adj: usize, adjT: usize, p: f64, p1: f64, p2: f64, xd: f64, yd: f64, g: f64, gd: f64): void {
  const dp = times(p1, xd) + times(p2, yd);
  store<f64>(adj, load<f64>(adj) + times(p, g));
  store<f64>(adjT, load<f64>(adjT) + times(p, gd) + times(dp, g));
}

// @ts-ignore: decorator
@inline function times(p: f64, q: f64): f64 {
  return p == 0 || q == 0 ? 0 : p * q;
}

/** Second-order backward of Pack: each scalar node's (adjoint, adjoint tangent) pair += its element's. */
export function packSecond(t: usize, m: i32, gt: usize, pair: usize): void {
  const out = meta(t, m, 0), n = meta(t, m, 1), first = meta(t, m, 2);
  for (let j = 0; j < n; j++) {
    const p = pair + (<usize>(first + j) << 4), o = <usize>(out + j) << 3;
    store<f64>(p, load<f64>(p) + load<f64>(gAt(t, 0) + o));
    store<f64>(p, load<f64>(p, 8) + load<f64>(gt + o), 8);
  }
}

/** Second-order backward of Item: the element's adjoint and adjoint tangent += the scalar's (g, gd). */
export function itemSecond(t: usize, m: i32, gt: usize, g: f64, gd: f64): void {
  const o = <usize>(meta(t, m, 0) + meta(t, m, 1)) << 3;
  store<f64>(gAt(t, 0) + o, load<f64>(gAt(t, 0) + o) + g);
  store<f64>(gt + o, load<f64>(gt + o) + gd);
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
