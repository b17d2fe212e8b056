/** @file Tape lifetime: allocating, growing and freeing tapes, and the byte accounting behind the memory limit. */
import { NODE_BYTES, HEADER_BYTES, PRESET_BYTES, H_CAP, H_OP, H_A, H_B, H_VAL, H_DA, H_DB, H_ADJ, H_PRE, H_TV, field } from "./layout";
import { freeArenas } from "./arena";

/** Bytes currently held by tapes (headers and arrays). */
export let bytesInUse: f64 = 0;
/** The most bytes ever held by tapes at once, including the old and new copy during a grow. */
export let bytesHighWater: f64 = 0;
/** Largest total `bytesInUse` allowed; a grow past it fails instead of trapping. Default 2 GiB. */
export let bytesLimit: f64 = 2147483648;

/** Sets the byte limit for tape memory. */
export function setLimit(bytes: f64): void {
  bytesLimit = bytes;
}

/** Counts `bytes` more as in use (and in the high-water mark). */
// @ts-ignore: decorator
@inline export function charge(bytes: f64): void {
  bytesInUse += bytes;
  if (bytesInUse > bytesHighWater) bytesHighWater = bytesInUse;
}

/** Whether `extra` more bytes fit under the limit, and `fresh` bytes of new blocks (by default `extra`) inside
 * wasm32's 4 GiB address space. */
export function fits(extra: f64, fresh: f64 = extra): bool {
  // NOTE: the allocator may need memory.grow by more than `fresh` (block headers, fragmentation);
  // keeping 64 MiB of the 4 GiB address space spare means memory.grow itself never fails (a trap).
  const pagesNeeded = (fresh + 67108864) / 65536;
  return bytesInUse + extra <= bytesLimit && <f64>memory.size() + pagesNeeded <= 65536;
}

/** Counts `bytes` of other memory (a guard list) against the limit; false when they do not fit. */
export function reserve(bytes: f64): bool {
  if (!fits(bytes)) return false;
  charge(bytes);
  return true;
}

/** Returns bytes counted by `reserve`. */
export function release(bytes: f64): void {
  bytesInUse -= bytes;
}

/** Bytes per node of tape `t` (a compiled tape also keeps its presets). */
function nodeBytes(t: usize): f64 {
  return <f64>(NODE_BYTES + (field(t, H_PRE) ? PRESET_BYTES : 0));
}

/** Allocates an empty tape able to hold `cap` nodes (with a preset array when `compiled`); returns 0 when that would pass the limit. */
export function tapeNew(cap: i32, compiled: bool): usize {
  const bytes = <f64>cap * <f64>(NODE_BYTES + (compiled ? PRESET_BYTES : 0)) + HEADER_BYTES;
  if (cap < 1 || !fits(bytes)) return 0;
  const t = heap.alloc(HEADER_BYTES);
  const c = <usize>cap;
  store<u32>(t + H_CAP, cap);
  store<u32>(t + H_OP, <u32>heap.alloc(c));
  store<u32>(t + H_A, <u32>heap.alloc(c << 2));
  store<u32>(t + H_B, <u32>heap.alloc(c << 2));
  store<u32>(t + H_VAL, <u32>heap.alloc(c << 3));
  store<u32>(t + H_DA, <u32>heap.alloc(c << 3));
  store<u32>(t + H_DB, <u32>heap.alloc(c << 3));
  store<u32>(t + H_ADJ, field(t, H_VAL)); // adjoints overwrite values: see layout.ts
  store<u32>(t + H_PRE, compiled ? <u32>heap.alloc(c << 3) : 0);
  memory.fill(t + <usize>H_TV, 0, <usize>(HEADER_BYTES - H_TV)); // no tensor arenas yet
  charge(bytes);
  return t;
}

/** Regrows one array of `t` to `newBytes`, keeping its contents. */
function regrow(t: usize, off: i32, newBytes: usize): void {
  store<u32>(t + off, <u32>heap.realloc(field(t, off), newBytes));
}

/** Resizes tape `t` to hold `cap` nodes, keeping the records below `cap`; returns false when growing would pass the limit. */
export function tapeResize(t: usize, cap: i32): bool {
  const old = <i32>field(t, H_CAP);
  if (cap < 1) return false;
  const extra = <f64>(cap - old) * nodeBytes(t);
  // NOTE: realloc may hold the old and new copies of the largest array at once; count that transient.
  const transient = <f64>min(old, cap) * 8;
  if (extra > 0 && !fits(extra + transient)) return false;
  charge(transient);
  const c = <usize>cap;
  regrow(t, H_OP, c);
  regrow(t, H_A, c << 2);
  regrow(t, H_B, c << 2);
  regrow(t, H_VAL, c << 3);
  regrow(t, H_DA, c << 3);
  regrow(t, H_DB, c << 3);
  if (field(t, H_PRE)) regrow(t, H_PRE, c << 3);
  store<u32>(t + H_ADJ, field(t, H_VAL));
  store<u32>(t + H_CAP, cap);
  bytesInUse -= transient;
  charge(extra);
  return true;
}

/** Frees tape `t` and all its arrays. */
export function tapeFree(t: usize): void {
  bytesInUse -= <f64>field(t, H_CAP) * nodeBytes(t) + HEADER_BYTES;
  if (field(t, H_PRE)) heap.free(field(t, H_PRE));
  freeArenas(t);
  heap.free(field(t, H_OP));
  heap.free(field(t, H_A));
  heap.free(field(t, H_B));
  heap.free(field(t, H_VAL));
  heap.free(field(t, H_DA));
  heap.free(field(t, H_DB));
  heap.free(t);
}
