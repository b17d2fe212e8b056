/** @file Fused groups: where a compiled tape's sweeps hand a run of elementwise nodes to the one loop JS generated for it (src/tensor/fuse.ts).
 *
 * A group is consecutive kernel nodes [first, last] (one-axis Maps of one length, and maybe a closing full
 * sum) whose intermediates never need to reach memory. While the header's `fuse` word is set (a compiled
 * tape's value or gradient), the forward sweep calls the group's generated forward loop at `first` and the
 * reverse sweep its generated backward loop at `last`; both skip the group's own kernels. Other sweeps
 * (tangents, second order, vjp) leave `fuse` at 0 and run the kernels one by one.
 *
 * Group list in meta, at header `fuse` − 1: [count, (first, last, id) × count], in tape order.
 */
import { H_FUSE, H_VAL, H_TV, H_TG, field, f64At } from "./layout";
import { meta } from "./arena";

/** Runs generated loop `id` (its forward, or its backward when `backward` is 1) on the arenas V and G. */
@external("env", "fusedRun")
declare function fusedRun(id: i32, backward: i32, v: usize, g: usize): void;

/** The list word of group k, field f (0 first, 1 last, 2 id). */
// @ts-ignore: decorator
@inline function group(t: usize, list: i32, k: i32, f: i32): i32 {
  return meta(t, list, 1 + 3 * k + f);
}

/** The index in the group list of tape `t` of the group whose word f (0 first, 1 last) is node i, while fused
 * loops run; -1 when there is none. */
// @ts-ignore: decorator
@inline function groupAt(t: usize, i: i32, f: i32): i32 {
  const on = <i32>field(t, H_FUSE);
  if (!on) return -1;
  const count = meta(t, on - 1, 0);
  for (let k = 0; k < count; k++) if (group(t, on - 1, k, f) == i) return k;
  return -1;
}

/** If a fused group of tape `t` starts at node i, runs its forward loop and returns its last node; else -1. */
export function fusedForwardAt(t: usize, i: i32): i32 {
  const k = groupAt(t, i, 0);
  if (k < 0) return -1;
  const list = <i32>field(t, H_FUSE) - 1, last = group(t, list, k, 1);
  fusedRun(group(t, list, k, 2), 0, field(t, H_TV), field(t, H_TG));
  const val = field(t, H_VAL);
  for (let j = i; j <= last; j++) store<f64>(f64At(val, j), 0); // tensor nodes hold no scalar value
  return last;
}

/** If a fused group of tape `t` ends at node i, runs its backward loop and returns its first node; else -1. */
export function fusedBackwardAt(t: usize, i: i32): i32 {
  const k = groupAt(t, i, 1);
  if (k < 0) return -1;
  const list = <i32>field(t, H_FUSE) - 1;
  fusedRun(group(t, list, k, 2), 1, field(t, H_TV), field(t, H_TG));
  return group(t, list, k, 0);
}

/** Whether node i of tape `t` belongs to a fused group while fused loops run (a chunked run must stop there). */
export function inFusedGroup(t: usize, i: i32): bool {
  const on = <i32>field(t, H_FUSE);
  if (!on) return false;
  const list = on - 1, count = meta(t, list, 0);
  for (let k = 0; k < count; k++) if (i >= group(t, list, k, 0) && i <= group(t, list, k, 1)) return true;
  return false;
}
