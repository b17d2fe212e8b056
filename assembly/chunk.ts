/** @file Runs of elementwise kernels swept chunk by chunk: consecutive one-axis Map nodes of one length run on
 * 2048 elements at a time, all of them, before the next chunk, so every operand and result stays in cache
 * instead of streaming each array through memory once per op (loop fusion by tiling, with no code generated).
 *
 * A Map qualifies when its walk is one axis (JS collapsed it: element j of each operand is at j·stride, stride
 * 1 or 0); constant tensors (no-op kernels) may sit inside a run; a run stops at a fused group (assembly/fused.ts). Each node still does exactly what its kernel
 * does on the whole array, element by element, so the forward results are the same; only sums into a
 * broadcast operand's adjoint are added chunk by chunk.
 */
import { H_OP, H_A, H_B, H_VAL, field, f64At, i32At } from "./layout";
import { vAt, gAt, rAt, meta } from "./arena";
import { SINK, run, pullRuns } from "./elementwise";
import { hasFastPath, fastForward } from "./simd";
import { TOp } from "./kernels";
import { inFusedGroup } from "./fused";

const CHUNK: i32 = 2048;

/** The element count of Map node i of tape `t` when it can run on sub-ranges, else -1. */
function chunkLength(t: usize, i: i32): i32 {
  if (<i32>load<u8>(field(t, H_OP) + <usize>i) != TOp.Map) return -1;
  const m = load<i32>(i32At(field(t, H_A), i));
  return meta(t, m, 8) == 1 ? meta(t, m, 1) : -1;
}

/** Whether node j of tape `t` is a kernel node that a run may step over (a constant tensor). */
// @ts-ignore: decorator
@inline function neutral(t: usize, j: i32): bool {
  return load<i32>(i32At(field(t, H_B), j)) < 0 && <i32>load<u8>(field(t, H_OP) + <usize>j) == TOp.Const;
}

/** The end (exclusive) of the run of chunkable Maps starting at node i (i + 1 when there is no run worth chunking). */
export function runForward(t: usize, i: i32, to: i32): i32 {
  const n = chunkLength(t, i);
  if (n < 2 * CHUNK) return i + 1;
  let j = i + 1, last = i, maps = 1;
  for (; j < to; j++) {
    if (inFusedGroup(t, j)) break;
    if (neutral(t, j)) continue;
    if (chunkLength(t, j) != n) break;
    maps++;
    last = j;
  }
  return maps > 1 ? last + 1 : i + 1;
}

/** The start (inclusive) of the run of chunkable Maps ending at node i, not below `floor` (i when no run). */
export function runBackward(t: usize, i: i32, floor: i32): i32 {
  const n = chunkLength(t, i);
  if (n < 2 * CHUNK) return i;
  let j = i - 1, first = i, maps = 1;
  for (; j >= floor; j--) {
    if (inFusedGroup(t, j)) break;
    if (neutral(t, j)) continue;
    if (chunkLength(t, j) != n) break;
    maps++;
    first = j;
  }
  return maps > 1 ? first : i;
}

/** The forward kernels of nodes [from, to) (a run), chunk by chunk. */
export function forwardChunked(t: usize, from: i32, to: i32): void {
  const n = chunkLength(t, from), val = field(t, H_VAL);
  for (let j0 = 0; j0 < n; j0 += CHUNK) {
    const j1 = min(n, j0 + CHUNK);
    for (let i = from; i < to; i++) if (!neutral(t, i)) forwardRange(t, load<i32>(i32At(field(t, H_A), i)), j0, j1);
  }
  for (let i = from; i < to; i++) store<f64>(f64At(val, i), 0);
}

/** The backward kernels of nodes `top` down to `from` (a run), chunk by chunk. */
export function backwardChunked(t: usize, from: i32, top: i32): void {
  const n = chunkLength(t, top);
  for (let j0 = 0; j0 < n; j0 += CHUNK) {
    const j1 = min(n, j0 + CHUNK);
    for (let i = top; i >= from; i--) if (!neutral(t, i)) backwardRange(t, load<i32>(i32At(field(t, H_A), i)), j0, j1);
  }
}

/** Forward of a one-axis Map (meta m) over elements [j0, j1). */
function forwardRange(t: usize, m: i32, j0: i32, j1: i32): void {
  const out = meta(t, m, 0), op = meta(t, m, 2), ao = meta(t, m, 3), bo = meta(t, m, 4), ra = meta(t, m, 5), rb = meta(t, m, 6);
  const sa = meta(t, m, 10), sb = bo >= 0 ? meta(t, m, 11) : 0, count = j1 - j0;
  const xa = vAt(t, ao + j0 * sa), xb = bo >= 0 ? vAt(t, bo + j0 * sb) : SINK, y = vAt(t, out + j0);
  if (hasFastPath(op, sa, sb)) return fastForward(op, count, xa, sa, xb, sb, y);
  const da = ra >= 0 ? rAt(t, ra + j0) : SINK, db = rb >= 0 ? rAt(t, rb + j0) : SINK;
  run(op, count, xa, <usize>sa << 3, xb, <usize>sb << 3, y, da, ra >= 0 ? 8 : 0, db, rb >= 0 ? 8 : 0);
}

/** Backward of a one-axis Map (meta m) over elements [j0, j1). */
function backwardRange(t: usize, m: i32, j0: i32, j1: i32): void {
  const out = meta(t, m, 0), ao = meta(t, m, 3), bo = meta(t, m, 4), ra = meta(t, m, 5), rb = meta(t, m, 6);
  const sa = meta(t, m, 10), sb = bo >= 0 ? meta(t, m, 11) : 0;
  pullRuns(t, m, j1 - j0, vAt(t, ao + j0 * sa), gAt(t, ao + j0 * sa), sa, vAt(t, bo + j0 * sb), gAt(t, bo + j0 * sb), sb, rAt(t, ra + j0), rAt(t, rb + j0), gAt(t, out + j0));
}
