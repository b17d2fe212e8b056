/** @file Forward mode over a computed tape: tangents in k directions at once, and forward-over-reverse (H·v). None names an op.
 *
 * Tangents live in scratch memory the caller provides, node-major: dot[i·k + j] is node i's tangent in
 * direction j. A leaf (both operands node 0) keeps the tangent the caller seeded; every other node's
 * is ẏ = ∂y/∂a·ȧ + ∂y/∂b·ḃ. A product with a zero factor is exactly zero (no 0·∞ = NaN), as in `reverse`.
 */
import { H_OP, H_A, H_B, H_VAL, H_DA, H_DB, H_PRE, field, f64At, i32At } from "./layout";
import { evalOp } from "./ops";
import { kernelForward, kernelTangent, kernelSecond } from "./kernels";
import { H_TT, H_TG, H_TUSED, H_KERNELS } from "./layout";
import { firstFlipped } from "./sweep";

const ROW2 = memory.data(3 << 3, 16); // the second partials of one node: dxx, dxy, dyy

/** p·d, but exactly 0 when either factor is 0 (0·∞ would be NaN). */
// @ts-ignore: decorator
@inline function times(p: f64, d: f64): f64 {
  return p == 0 || d == 0 ? 0 : p * d;
}

/** p·x + q·y with `times`' zeros. NOTE: the zeros are checked only when the plain sum is NaN (almost never),
 * since a test on every product made the hvp sweeps 1.7× slower. */
// @ts-ignore: decorator
@inline function dot2(p: f64, x: f64, q: f64, y: f64): f64 {
  const r = p * x + q * y;
  return r == r ? r : times(p, x) + times(q, y);
}

/** p·g with `times`' zeros, tested only when the plain product is NaN. */
// @ts-ignore: decorator
@inline function scale(p: f64, g: f64): f64 {
  const r = p * g;
  return r == r ? r : times(p, g);
}

/** Propagates k tangent directions through nodes [1, n) of tape `t` (values and partials computed); a tape with
 * tensor ops takes one direction (k = 1), its tensor tangents in `arena` (same offsets as the values). */
export function tangent(t: usize, n: i32, k: i32, dot: usize, arena: usize): void {
  if (field(t, H_KERNELS)) tangentMixed(t, n, k, dot, arena);
  else tangentScalar(t, n, k, dot);
}

/** `tangent` on a tape with kernel nodes. */
function tangentMixed(t: usize, n: i32, k: i32, dot: usize, arena: usize): void {
  tangentLoop(t, n, k, dot, arena, true);
}

/** `tangent` on a scalar-only tape. */
function tangentScalar(t: usize, n: i32, k: i32, dot: usize): void {
  tangentLoop(t, n, k, dot, 0, false);
}

/** The loop of `tangent`; `mixed`: the tape may hold kernel nodes. */
// @ts-ignore: decorator
@inline function tangentLoop(t: usize, n: i32, k: i32, dot: usize, arena: usize, mixed: bool): void {
  const op = field(t, H_OP), a = field(t, H_A), b = field(t, H_B), da = field(t, H_DA), db = field(t, H_DB);
  store<u32>(t + <usize>H_TT, <u32>arena);
  for (let i = 1; i < n; i++) {
    const ia = load<i32>(i32At(a, i)), ib = load<i32>(i32At(b, i));
    if (mixed && ib < 0) {
      store<f64>(f64At(dot, i), kernelTangent(t, <i32>load<u8>(op + <usize>i), ia, dot));
      continue;
    }
    if ((ia | ib) == 0) continue; // a leaf: keeps its seed
    // An operand indexed by the node itself is a constant (compiled tapes): no tangent.
    const pa = ia == i ? 0 : load<f64>(f64At(da, i)), pb = ib == i ? 0 : load<f64>(f64At(db, i));
    const ra = f64At(dot, ia * k), rb = f64At(dot, ib * k), ri = f64At(dot, i * k);
    for (let j = 0; j < k; j++) {
      const o = <usize>j << 3;
      store<f64>(ri + o, dot2(pa, load<f64>(ra + o), pb, load<f64>(rb + o)));
    }
  }
}

/** H·v by forward-over-reverse on a tape that keeps its presets (a compiled-style tape); returns the
 * first flipped guard of `ng` at `guards` (then no H·v is computed), or -1.
 *
 * Scratch `s` holds 5n f64: the tangents ẏ (seeded by the caller at the inputs, zero elsewhere), then
 * pairs ((∂a)', (∂b)') — the tangents of each node's local partials — then pairs (adj, ġ). Pass 1 replays
 * the tape from its presets (values and first partials, stored as a replay stores them) and carries
 * ẏ = ∂a·ȧ + ∂b·ḃ and (∂a)' = ∂aa·ȧ + ∂ab·ḃ, (∂b)' = ∂ab·ȧ + ∂bb·ḃ from the op table's second partials.
 * Pass 2 sweeps back from `out`: adj[a] += ∂a·g and ġ[a] += (∂a)'·g + ∂a·ġ; each pair shares a cache
 * line. On return the tangent array holds (H·v) at the leaves (the inputs).
 * A tape with tensor ops needs 2·tused f64 more: the tensor tangents T (seeded by the caller at tensor inputs)
 * and the adjoint tangents GT, where H·v of a tensor input is left.
 */
export function hvp(t: usize, n: i32, out: i32, s: usize, guards: usize, ng: i32): i32 {
  return field(t, H_KERNELS) ? hvpMixed(t, n, out, s, guards, ng) : hvpScalar(t, n, out, s, guards, ng);
}

/** `hvp` on a tape with kernel nodes. */
function hvpMixed(t: usize, n: i32, out: i32, s: usize, guards: usize, ng: i32): i32 {
  return hvpLoops(t, n, out, s, guards, ng, true);
}

/** `hvp` on a scalar-only tape: no kernel-node test in its loops (see sweep.ts `hasKernels`). */
function hvpScalar(t: usize, n: i32, out: i32, s: usize, guards: usize, ng: i32): i32 {
  return hvpLoops(t, n, out, s, guards, ng, false);
}

/** The two passes of `hvp`; `mixed`: the tape may hold kernel nodes. */
// @ts-ignore: decorator
@inline function hvpLoops(t: usize, n: i32, out: i32, s: usize, guards: usize, ng: i32, mixed: bool): i32 {
  const op = field(t, H_OP), a = field(t, H_A), b = field(t, H_B), val = field(t, H_VAL), pre = field(t, H_PRE);
  const da = field(t, H_DA), db = field(t, H_DB);
  const tan = s, dd = s + (<usize>n << 3), pair = s + (<usize>n << 3) * 3;
  const tensors = s + (<usize>n << 3) * 5, used = <usize>field(t, H_TUSED) << 3, adjT = tensors + used;
  store<u32>(t + <usize>H_TT, <u32>tensors);
  for (let i = 1; i < n; i++) {
    const ia = load<i32>(i32At(a, i)), ib = load<i32>(i32At(b, i));
    if (mixed && ib < 0) {
      const code = <i32>load<u8>(op + <usize>i);
      store<f64>(f64At(val, i), kernelForward(t, code, ia));
      store<f64>(f64At(tan, i), kernelTangent(t, code, ia, tan));
      continue;
    }
    const x = load<f64>(f64At(ia == i ? pre : val, ia)), y = load<f64>(f64At(ib == i ? pre : val, ib));
    store<f64>(f64At(val, i), evalOp(<i32>load<u8>(op + <usize>i), x, y, f64At(pre, i), f64At(da, i), f64At(db, i), ROW2, true));
    // A constant operand (the node's own index) has a zero partial and no tangent; a leaf keeps its seed.
    if (ia == i) store<f64>(f64At(da, i), 0);
    if (ib == i) store<f64>(f64At(db, i), 0);
    if ((ia | ib) == 0) continue;
    const ta = ia == i ? 0 : load<f64>(f64At(tan, ia)), tb = ib == i ? 0 : load<f64>(f64At(tan, ib));
    const dxx = load<f64>(ROW2), dxy = load<f64>(ROW2, 8), dyy = load<f64>(ROW2, 16);
    store<f64>(f64At(tan, i), dot2(load<f64>(f64At(da, i)), ta, load<f64>(f64At(db, i)), tb));
    const pd = dd + (<usize>i << 4);
    store<f64>(pd, dot2(dxx, ta, dxy, tb));
    store<f64>(pd, dot2(dxy, ta, dyy, tb), 8);
  }
  const flipped = firstFlipped(t, guards, ng);
  if (flipped >= 0) return flipped;
  memory.fill(pair, 0, <usize>(out + 1) << 4);
  if (mixed && used) {
    memory.fill(field(t, H_TG), 0, used);
    memory.fill(adjT, 0, used);
  }
  store<f64>(pair + (<usize>out << 4), 1);
  // Leaves above `out` (f returned an input recorded before others) are not reached by pass 2: their entry of
  // H·v is 0, not the tangent seed that pass 1 left there.
  for (let i = out + 1; i < n; i++) {
    if ((load<i32>(i32At(a, i)) | load<i32>(i32At(b, i))) == 0) store<f64>(f64At(tan, i), 0);
  }
  // NOTE: as in `reverse`, what node i sends to node i - 1 travels in registers (cg, ct), not memory.
  let cg: f64 = 0, ct: f64 = 0;
  for (let i = out; i > 0; i--) {
    const pi = pair + (<usize>i << 4);
    const g = load<f64>(pi) + cg, gt = load<f64>(pi, 8) + ct;
    cg = 0;
    ct = 0;
    const ia = load<i32>(i32At(a, i)), ib = load<i32>(i32At(b, i));
    if (mixed && ib < 0) {
      kernelSecond(t, <i32>load<u8>(op + <usize>i), ia, adjT, pair, g, gt);
      continue;
    }
    if ((ia | ib) == 0) {
      store<f64>(f64At(tan, i), gt); // a leaf: an input's entry of H·v
      continue;
    }
    if (g == 0 && gt == 0) continue;
    const pd = dd + (<usize>i << 4);
    if (ia != 0 && ia != i) {
      const p = load<f64>(f64At(da, i));
      const sg = scale(p, g), st = dot2(load<f64>(pd), g, p, gt);
      if (ia == i - 1) {
        cg += sg;
        ct += st;
      } else {
        const pa = pair + (<usize>ia << 4);
        store<f64>(pa, load<f64>(pa) + sg);
        store<f64>(pa, load<f64>(pa, 8) + st, 8);
      }
    }
    if (ib != 0 && ib != i) {
      const p = load<f64>(f64At(db, i));
      const sg = scale(p, g), st = dot2(load<f64>(pd, 8), g, p, gt);
      if (ib == i - 1) {
        cg += sg;
        ct += st;
      } else {
        const pb = pair + (<usize>ib << 4);
        store<f64>(pb, load<f64>(pb) + sg);
        store<f64>(pb, load<f64>(pb, 8) + st, 8);
      }
    }
  }
  return -1;
}

/** jvp on a compiled tape: replays values and partials from the presets and carries one tangent direction
 * (seeded at the inputs in `dot`) in the same pass; returns the first flipped guard, or -1. */
export function replayTangent(t: usize, n: i32, dot: usize, guards: usize, ng: i32): i32 {
  const op = field(t, H_OP), a = field(t, H_A), b = field(t, H_B), val = field(t, H_VAL), pre = field(t, H_PRE);
  const da = field(t, H_DA), db = field(t, H_DB);
  for (let i = 1; i < n; i++) {
    const ia = load<i32>(i32At(a, i)), ib = load<i32>(i32At(b, i));
    const x = load<f64>(f64At(ia == i ? pre : val, ia)), y = load<f64>(f64At(ib == i ? pre : val, ib));
    store<f64>(f64At(val, i), evalOp(<i32>load<u8>(op + <usize>i), x, y, f64At(pre, i), f64At(da, i), f64At(db, i), 0, false));
    if (ia == i) store<f64>(f64At(da, i), 0);
    if (ib == i) store<f64>(f64At(db, i), 0);
    if ((ia | ib) == 0) continue;
    const ta = ia == i ? 0 : load<f64>(f64At(dot, ia)), tb = ib == i ? 0 : load<f64>(f64At(dot, ib));
    store<f64>(f64At(dot, i), dot2(load<f64>(f64At(da, i)), ta, load<f64>(f64At(db, i)), tb));
  }
  return firstFlipped(t, guards, ng);
}
