/** @file The tensor arenas of a tape: values (V), adjoints (G), residuals (R), kernel meta and kernel scratch; growing them under the memory limit, and addressing them.
 *
 * JS allocates offsets in the arenas as it records kernel nodes (a bump pointer per arena, reset with the
 * tape), asking `arenaReserve` first; the arenas only grow, so offsets stay valid and a reused tape
 * allocates nothing once warm. Layout in assembly/layout.ts.
 */
import { H_TT, H_TV, H_TG, H_TCAP, H_TR, H_RCAP, H_META, H_MCAP, H_SCR, H_SCRCAP, field } from "./layout";
import { fits, charge, release } from "./tape";

/** Address of element `off` of the value arena of tape `t`. */
// @ts-ignore: decorator
@inline export function vAt(t: usize, off: i32): usize {
  return field(t, H_TV) + (<usize>off << 3);
}

/** Address of element `off` of the adjoint arena of tape `t`. */
// @ts-ignore: decorator
@inline export function gAt(t: usize, off: i32): usize {
  return field(t, H_TG) + (<usize>off << 3);
}

/** Address of element `off` of the residual arena of tape `t`. */
// @ts-ignore: decorator
@inline export function rAt(t: usize, off: i32): usize {
  return field(t, H_TR) + (<usize>off << 3);
}

/** Address of element `off` of the tangent arena of tape `t` (during a tangent sweep). */
// @ts-ignore: decorator
@inline export function tAt(t: usize, off: i32): usize {
  return field(t, H_TT) + (<usize>off << 3);
}

/** Meta entry `k` of the kernel node whose meta starts at `m`. */
// @ts-ignore: decorator
@inline export function meta(t: usize, m: i32, k: i32): i32 {
  return load<i32>(field(t, H_META) + (<usize>(m + k) << 2));
}

/** Address of meta entry `k` of the node at `m` (a list the kernel walks). */
// @ts-ignore: decorator
@inline export function metaAt(t: usize, m: i32, k: i32): usize {
  return field(t, H_META) + (<usize>(m + k) << 2);
}

/** The kernel scratch block of tape `t`. */
// @ts-ignore: decorator
@inline export function scratchOf(t: usize): usize {
  return field(t, H_SCR);
}

/** Replaces the block at header field `off` (capacity `cap` → `next` elements of `1 << shift` bytes), copying
 * its contents when `keep`. */
function move(t: usize, off: i32, cap: i32, next: i32, shift: i32, keep: bool): void {
  const old = field(t, off);
  const size = <usize>next << shift;
  const p = keep && old ? heap.realloc(old, size) : heap.alloc(size);
  if (!keep && old) heap.free(old);
  store<u32>(t + <usize>off, <u32>p);
}

/** Grows the block at header field `off` with capacity field `capOff` to hold `want` elements of `1 << shift`
 * bytes (by 1.5× at least); a second block `twin` (or -1) of the same size and capacity grows with it, its
 * contents dropped (the adjoints: every sweep clears them first). False when the limit forbids it. */
function grow(t: usize, off: i32, twin: i32, capOff: i32, want: i32, shift: i32): bool {
  const cap = <i32>field(t, capOff);
  if (want <= cap) return true;
  const next = max(want, cap + (cap >> 1));
  const blocks: f64 = twin >= 0 ? 2 : 1;
  const bytes = <f64>(next - cap) * <f64>(1 << shift) * blocks;
  // NOTE: realloc may hold the old and the new copy at once: that transient must fit under the limit too, and
  // the new blocks may be fresh copies of the whole (next elements each), which the address space must hold.
  if (!fits(bytes + <f64>cap * <f64>(1 << shift), <f64>next * <f64>(1 << shift) * blocks)) return false;
  move(t, off, cap, next, shift, true);
  if (twin >= 0) move(t, twin, cap, next, shift, false);
  store<u32>(t + <usize>capOff, next);
  charge(bytes);
  return true;
}

/** Makes the arenas of tape `t` hold at least `vals` value/adjoint elements, `res` residuals, `metas` meta
 * entries and `scratchBytes` of scratch; false (the arenas unchanged) when that would pass the memory limit. */
export function arenaReserve(t: usize, vals: i32, res: i32, metas: i32, scratchBytes: i32): bool {
  if (vals < 0 || res < 0 || metas < 0 || scratchBytes < 0) return false;
  return (
    grow(t, H_TV, H_TG, H_TCAP, vals, 3) &&
    grow(t, H_TR, -1, H_RCAP, res, 3) &&
    grow(t, H_META, -1, H_MCAP, metas, 2) &&
    grow(t, H_SCR, -1, H_SCRCAP, (scratchBytes + 15) & ~15, 0)
  );
}

/** Bytes the arenas of tape `t` hold. */
export function arenaBytes(t: usize): f64 {
  return <f64>field(t, H_TCAP) * 16 + <f64>field(t, H_RCAP) * 8 + <f64>field(t, H_MCAP) * 4 + <f64>field(t, H_SCRCAP);
}

/** Frees the arenas of tape `t` (with the tape) and stops counting them. */
export function freeArenas(t: usize): void {
  release(arenaBytes(t));
  freeBlock(t, H_TV);
  freeBlock(t, H_TG);
  freeBlock(t, H_TR);
  freeBlock(t, H_META);
  freeBlock(t, H_SCR);
}

function freeBlock(t: usize, off: i32): void {
  const p = field(t, off);
  if (p) heap.free(p);
}
