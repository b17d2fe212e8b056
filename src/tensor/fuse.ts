/** @file Elementwise fusion for compiled tapes, the plan: finds runs of elementwise nodes whose intermediates need not reach memory (src/tensor/loops.ts generates their loops).
 *
 * A group is consecutive kernel nodes of a compiled tape: one-axis Maps of arithmetic ops (add, sub, mul, neg) of one
 * length n ≥ MIN_FUSE (constant tensors may sit between them), maybe closed by a sum of one of them over all n
 * elements. Other elementwise ops stay kernels: their backward reads the partials their forward stored, which beats
 * calling the op table again per element in a loop (measured 2–3× slower for sin, exp, tanh). A member reads a
 * member before it only exactly (same offset, stride 1); anything else is an outside operand, read from V at
 * stride 1 or 0. A member's result is stored to V only when something outside the group reads it (it *escapes*):
 * the trace's reads are complete (value-only reads included), so nothing else can see the rest.
 */
import type { Trace } from "../trace.js";
import { TOp } from "./codes.js";
import { ARITHMETIC } from "./loops.js";
import { VALUE_ONLY } from "./ops.js";
import { owner } from "./plan.js";

/** The shortest elementwise length worth a generated loop. */
export const MIN_FUSE = 256;
const MODE_MASK = 15;

/** A member's operand: a member before it (`member` ≥ 0), or an outside range of V at stride 1 or 0. */
export interface Operand {
  member: number;
  off: number;
  stride: number;
  want: boolean;
  write: boolean; // its adjoint is written, not added to (planned: this member is its only reader)
  slot: number; // a stride-0 operand's locals: its value, then its adjoint's sum
}
/** An elementwise node of a group: its node and meta, result offset, op and partial mode (assembly/elementwise.ts). */
export interface Member {
  node: number;
  meta: number;
  out: number;
  op: number;
  mode: number;
  a: Operand;
  b?: Operand;
  escapes: boolean;
}
/** A fused group: nodes [first, last], its members and its closing sum (`of`: the member it sums). */
export interface Group {
  first: number;
  last: number;
  n: number;
  members: Member[];
  sum?: { out: number; of: number; grad: boolean };
  /** Outside adjoint ranges ([offset, length]) the backward loop writes whole: they need no zeroing. */
  owned: number[][];
}

/** The fusable groups of a recorded compiled trace, with the members whose results escape marked. */
export function findGroups(t: Trace): Group[] {
  if (t.readsUnknown) return [];
  const meta = t.region.meta, groups: Group[] = [];
  let g: Group | undefined;
  const close = () => {
    if (g && g.members.length + (g.sum ? 1 : 0) >= 2) groups.push(g);
    g = undefined;
  };
  for (let i = 1; i < t.n; i++) {
    const op = t.op[i], m = t.a[i];
    if (t.b[i] >= 0) close(); // a scalar node must run in its place
    else if (op === TOp.Const) continue; // a constant tensor: no work in either sweep
    else if (op === TOp.Map && meta[m + 8] === 1 && meta[m + 1] >= MIN_FUSE && meta[m + 2] in ARITHMETIC) {
      const joined = g && !g.sum && g.n === meta[m + 1] ? member(meta, m, i, g) : undefined;
      if (joined) {
        g!.members.push(joined);
        g!.last = i;
        continue;
      }
      close();
      const fresh: Group = { first: i, last: i, n: meta[m + 1], members: [], owned: [] };
      const first = member(meta, m, i, fresh);
      if (first) (g = fresh).members.push(first);
    } else if (op === TOp.Sum && g && !g.sum && meta[m + 3] === 1 && meta[m + 5] === 1 && meta[m + 4] === g.n) {
      const of = g.members.findIndex((x) => x.out === meta[m + 2]);
      if (of >= 0) {
        g.sum = { out: meta[m], of, grad: meta[m + 6] !== 0 };
        g.last = i;
      }
      close();
    } else close();
  }
  close();
  markEscapes(t, groups);
  for (const g of groups) markOwned(t, g);
  return groups;
}

/** Map node i (meta m) as a member of group g, or undefined when it reads a member other than exactly. */
function member(meta: Int32Array, m: number, i: number, g: Group): Member | undefined {
  const a = operand(meta[m + 3], meta[m + 10], meta[m + 5] !== -1, g);
  const b = meta[m + 4] < 0 ? undefined : operand(meta[m + 4], meta[m + 11], meta[m + 6] !== -1, g);
  if (!a || b === null) return undefined;
  return { node: i, meta: m, out: meta[m], op: meta[m + 2], mode: meta[m + 7] & MODE_MASK, a, b, escapes: false };
}

function operand(off: number, stride: number, want: boolean, g: Group): Operand | null {
  if (stride !== 0 && stride !== 1) return null;
  const span = stride ? g.n : 1;
  const k = g.members.findIndex((x) => off < x.out + g.n && off + span > x.out);
  if (k >= 0 && (off !== g.members[k].out || stride !== 1)) return null;
  return { member: k, off, stride, want, write: false, slot: -1 };
}

/** Marks the members whose results something outside their group reads (the trace's reads are complete). */
function markEscapes(t: Trace, groups: Group[]): void {
  const ranges = groups.flatMap((g) => g.members.map((x) => ({ g, x }))).sort((p, q) => p.x.out - q.x.out);
  const r = t.reads;
  for (let k = 0; k < r.length; k += 4) {
    const node = r[k], off = r[k + 1], end = off + r[k + 2];
    let lo = 0, hi = ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1, { g, x } = ranges[mid];
      if (end <= x.out) hi = mid - 1;
      else if (off >= x.out + g.n) lo = mid + 1;
      else {
        if (node < g.first || node > g.last) x.escapes = true;
        break;
      }
    }
  }
}

/** Marks the outside adjoint ranges g's backward loop writes whole (src/tensor/loops.ts): each is some kernel's
 * output, starting at an even offset (the loop's pairs are then the range's), whose adjoint only members add into,
 * all at stride 1 from its start or one element in (a stencil's slices), together covering it exactly. */
function markOwned(t: Trace, g: Group): void {
  const out = t.outputs, reads = t.reads, shifts = new Map<number, number[]>();
  const starts = out.filter((_, k) => k % 3 === 1);
  for (const x of g.members) for (const o of [x.a, x.b]) {
    if (!o || o.member >= 0 || !o.want) continue;
    const p = 3 * owner(starts, o.off);
    if (p < 0 || o.off >= out[p + 1] + out[p + 2]) continue;
    const shift = o.stride ? o.off - out[p + 1] : -1; // -1: broadcast, summed after the loop
    shifts.set(p, [...(shifts.get(p) ?? []), shift]);
  }
  for (const [p, ds] of shifts) {
    const [start, size] = [out[p + 1], out[p + 2]];
    if (start % 2 || ds.some((d) => d !== 0 && d !== 1) || size !== g.n + Math.max(...ds)) continue;
    let alone = true;
    for (let r = 0; r < reads.length && alone; r += 4) {
      const inside = reads[r + 1] < start + size && reads[r + 1] + reads[r + 2] > start;
      if (inside && reads[r + 3] !== VALUE_ONLY && (reads[r] < g.first || reads[r] > g.last)) alone = false;
    }
    if (alone) g.owned.push([start, size]);
  }
}

/** The results of groups' members that stay in registers (by arena offset). */
export function internalResults(groups: Group[]): Set<number> {
  return new Set(groups.flatMap((g) => g.members.filter((x) => !x.escapes).map((x) => x.out)));
}

