/** @file The adjoint plan of a compiled tape: which tensor adjoints a reverse sweep must zero first, and which an elementwise kernel may write instead of adding to (it is their only reader), so the sweep moves fewer bytes.
 *
 * Every tensor range of the arena is some kernel node's output. A range read (in the backward sense: added
 * into) by exactly one elementwise node, over the whole range, contiguously, on that node's vectorised path,
 * is written by it and needs no zeroing; every other range is zeroed before each sweep. A tape whose kernels
 * did not all report their reads keeps zeroing everything. Fused sweeps (src/tensor/fuse.ts) keep a list of
 * their own, without the results that stay in registers.
 */
import type { Trace } from "../trace.js";
import { Op } from "../opcodes.js";
import { TOp } from "./codes.js";
import { VALUE_ONLY } from "./ops.js";

const WRITE_A = 16, WRITE_B = 32;
/** The elementwise ops with vectorised backward paths (assembly/simd.ts). */
const FAST_OPS = new Set<number>([Op.Add, Op.Sub, Op.Mul, Op.Neg]);

/** A zero list in meta: its offset and its number of (offset, length) pairs. */
export type ZeroList = readonly [at: number, count: number];

/** Plans trace t's adjoints (call once it is recorded, before any sweep) and makes the plain zero list the
 * tape's; returns it, and the ranges it zeroes ([offset, length], for fused sweeps to choose from). Undefined when
 * there is no plan (every adjoint is zeroed). */
export function planAdjoints(t: Trace): { plain: ZeroList; zeroed: number[][] } | undefined {
  if (t.readsUnknown) return undefined;
  const out = t.outputs, reads = t.reads;
  const starts: number[] = [];
  for (let k = 0; k < out.length; k += 3) starts.push(out[k + 1]);
  const readers = new Array<number>(starts.length).fill(0);
  const only = new Array<number>(starts.length).fill(-1);
  for (let r = 0; r < reads.length; r += 4) {
    const p = owner(starts, reads[r + 1]);
    if (p < 0) return undefined; // a read outside every output: do not plan
    if (reads[r + 3] === VALUE_ONLY) continue;
    readers[p]++;
    only[p] = r;
  }
  const zero: number[][] = [];
  for (let p = 0; p < starts.length; p++) {
    const [off, size] = [out[3 * p + 1], out[3 * p + 2]];
    if (!(readers[p] === 1 && writes(t, reads, only[p], off, size))) zero.push([off, size]);
  }
  const plain = zeroListOf(t, zero);
  t.region.zeroList(...plain);
  return { plain, zeroed: zero };
}

/** Writes ranges ([offset, length], in offset order; neighbours merged) into trace t's meta as a zero list. */
export function zeroListOf(t: Trace, ranges: number[][]): ZeroList {
  const zero: number[] = [];
  for (const [off, size] of ranges) {
    const last = zero.length - 2;
    if (last >= 0 && zero[last] + zero[last + 1] === off) zero[last + 1] += size;
    else zero.push(off, size);
  }
  const at = t.metaUsed;
  t.region.reserveArena(t.tvUsed, t.trUsed, at + zero.length, 0);
  t.region.meta.set(zero, at);
  t.metaUsed = at + zero.length;
  return [at, zero.length / 2];
}

/** The output (by index) whose range starts at or below `off` (outputs are allocated in increasing offsets). */
export function owner(starts: number[], off: number): number {
  let lo = 0, hi = starts.length - 1, best = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (starts[mid] <= off) {
      best = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return best;
}

/** Whether read r (the only one of output [off, off + size)) can write that adjoint: an elementwise node reading
 * the whole range as its operand a or b, one axis, stride 1, on a vectorised path; if so, flags it in its meta. */
function writes(t: Trace, reads: number[], r: number, off: number, size: number): boolean {
  const node = reads[r], role = reads[r + 3];
  if (reads[r + 1] !== off || reads[r + 2] !== size || role < 0 || t.op[node] !== TOp.Map) return false;
  const meta = t.region.meta, m = t.a[node];
  const sa = meta[m + 10], sb = meta[m + 4] >= 0 ? meta[m + 11] : 0;
  const fast = meta[m + 8] === 1 && FAST_OPS.has(meta[m + 2]) && (sa === 0 || sa === 1) && (sb === 0 || sb === 1);
  if (!fast || (role === 0 ? sa : sb) !== 1) return false;
  meta[m + 7] |= role === 0 ? WRITE_A : WRITE_B;
  return true;
}
