/** @file Elementwise fusion for compiled tapes: finds runs of elementwise nodes whose intermediates need not reach memory, and generates one Wasm loop pair per run that keeps them in registers.
 *
 * A group is consecutive kernel nodes of a compiled tape: one-axis Maps of one length n ≥ MIN_FUSE (constant
 * tensors may sit between them), maybe closed by a sum of the last one over all n elements. A member reads a
 * member before it only exactly (same offset, stride 1); anything else is an outside operand, read from V at
 * stride 1 or 0. A member's result is stored to V only when something outside the group reads it (it *escapes*).
 *
 *   forward, per element j:  v_m = op_m(x_a, x_b) for each member m (registers); V[out_m + j] = v_m if m escapes;
 *                            s += v_last in four lanes, as the sum kernel adds (so the value is the same bits)
 *   backward, per element j: recompute every v_m; then ḡ_m = G[out_m + j] (escapes) + s̄ (the sum's operand), and
 *                            for m from last to first: ḡ_a += ∂_a·ḡ_m, ḡ_b += ∂_b·ḡ_m — into registers for a
 *                            member, into G for an outside operand (written when the plan lets it, summed after
 *                            the loop for a broadcast one)
 *
 * Partials come as the Map kernels get them (assembly/elementwise.ts): a constant for add, sub and neg (read off
 * the op table once, here), the other operand for mul, 2x for x·x, and the engine's op-table row (imported) for
 * every other op, as are those ops' values; add, sub, mul and neg compute their values inline, as the engine's
 * vectorised kernels do. A product with a zero factor contributes exactly 0, as in the kernels.
 */
import type { Trace } from "../trace.js";
import type { Engine } from "../wasm.js";
import { registerLoop } from "../wasm.js";
import { Op } from "../opcodes.js";
import { TOp } from "./codes.js";
import { Code, W, loopModule } from "./emit.js";

/** The shortest elementwise length worth a generated loop. */
export const MIN_FUSE = 256;
const WRITE_A = 16, WRITE_B = 32, MODE_MASK = 15;
const INLINE: Record<number, number> = { [Op.Add]: W.F64Add, [Op.Sub]: W.F64Sub, [Op.Mul]: W.F64Mul, [Op.Neg]: W.F64Neg };

/** A member's operand: a member before it (`member` ≥ 0), or an outside range of V at stride 1 or 0. */
interface Operand {
  member: number;
  off: number;
  stride: number;
  want: boolean;
  write: boolean;
  slot: number; // f64 locals of a stride-0 operand: its value, then its adjoint's sum
}
interface Member {
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
    else if (op === TOp.Map && meta[m + 8] === 1 && meta[m + 1] >= MIN_FUSE) {
      const joined = g && !g.sum && g.n === meta[m + 1] ? member(meta, m, i, g) : undefined;
      if (joined) {
        g!.members.push(joined);
        g!.last = i;
        continue;
      }
      close();
      const fresh: Group = { first: i, last: i, n: meta[m + 1], members: [] };
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

/** The results of groups' members that stay in registers (by arena offset). */
export function internalResults(groups: Group[]): Set<number> {
  return new Set(groups.flatMap((g) => g.members.filter((x) => !x.escapes).map((x) => x.out)));
}

/** Generates, compiles and registers group g of trace t (its adjoints planned: a member writes an outside adjoint
 * its Map kernel would write); returns the loop pair's id, or -1 when this host refuses to compile it. */
export function emitGroup(t: Trace, g: Group): number {
  const e = t.e, meta = t.region.meta;
  for (const x of g.members) {
    x.a.write = (meta[x.meta + 7] & WRITE_A) !== 0;
    if (x.b) x.b.write = (meta[x.meta + 7] & WRITE_B) !== 0;
  }
  const L = locals(g);
  const constants = new Map<number, [number, number]>();
  for (const x of g.members) if (x.mode === 1 && !constants.has(x.op)) {
    e.fusedRow(x.op, 1, 1);
    const p = new Float64Array(e.memory.buffer, e.fusedPartials(), 2);
    constants.set(x.op, [p[0], p[1]]);
  }
  const ctx: Ctx = { g, L, partials: e.fusedPartials(), constants, live: [], pending: new Map(), exact: false };
  try {
    const module = new WebAssembly.Module(loopModule(forwardLoop(ctx), backwardLoop(ctx), 3, L.count) as BufferSource);
    const inst = new WebAssembly.Instance(module, { env: { row: e.fusedRow, memory: e.memory } });
    const x = inst.exports as unknown as { f: (v: number, g: number) => void; b: (v: number, g: number) => void };
    return registerLoop({ forward: x.f, backward: x.b });
  } catch {
    return -1; // e.g. a browser's main thread refusing a large synchronous compile: the kernels run instead
  }
}

const P = 2, AV = 3, AG = 4, F0 = 5; // locals: byte offset of element j, its V and G addresses; then f64s
const STEP = 4; // elements per step of the backward loop

/** The f64 locals: each member's value, adjoint and two partials, each stride-0 operand's value and adjoint sum,
 * the sum's lanes, its total and its seed, a temporary, and the sums of one step's contributions to outside
 * adjoints (one per element address). */
function locals(g: Group) {
  const M = g.members.length;
  let next = F0 + 4 * M;
  const slots = new Map<number, number>();
  for (const x of g.members) for (const o of [x.a, x.b]) {
    if (!o || o.member >= 0 || o.stride) continue;
    if (!slots.has(o.off)) slots.set(o.off, (next += 2) - 2);
    o.slot = slots.get(o.off)!;
  }
  const lanes = next, total = next + 4, seed = next + 5, p = next + 6, sums = next + 7;
  const val = (m: number) => F0 + m, adj = (m: number) => F0 + M + m, partial = (m: number, which: number) => F0 + (2 + which) * M + m;
  return { val, adj, partial, slots, lanes, total, seed, p, sums, count: sums + 2 * M * STEP - F0 };
}
type Locals = ReturnType<typeof locals>;
interface Ctx {
  g: Group;
  L: Locals;
  partials: number;
  constants: Map<number, [number, number]>;
  /** While emitting one element's pulls: whether member m's adjoint local holds anything yet (else it is 0). */
  live: boolean[];
  /** While emitting one step: the local summing what goes to each outside adjoint element (by arena offset, or -1 -
   * slot for a broadcast operand's), whether it is written, and the broadcast operand's slot (else -1). */
  pending: Map<number, { local: number; write: boolean; slot: number }>;
  /** Whether products are exact (0·∞ = 0) in the step being emitted. */
  exact: boolean;
}

/** `for (; j + step ≤ n; j += step) body()` (j carried on from the last loop), with element j's addresses in AV, AG. */
function stride(c: Code, g: Group, step: number, body: () => void): void {
  const end = Math.floor(g.n / step) * step * 8;
  c.loop(() => {
    c.get(P).i32(end).op(W.I32GeU, W.BrIf, 1);
    c.get(0).get(P).op(W.I32Add).set(AV);
    c.get(1).get(P).op(W.I32Add).set(AG);
    body();
    c.get(P).i32(8 * step).op(W.I32Add).set(P);
  });
}

/** Pushes operand o's value at element j + k. */
function value(c: Code, L: Locals, o: Operand, k: number): void {
  if (o.member >= 0) c.get(L.val(o.member));
  else if (o.stride) c.get(AV).load((o.off + k) * 8);
  else c.get(o.slot);
}

/** Computes every member's value at element j + k into its local; in the forward loop (`store`) stores those that
 * escape, in the backward loop keeps the partials of the ops that take them from the row. */
function values(c: Code, ctx: Ctx, k: number, store: boolean): void {
  const L = ctx.L;
  ctx.g.members.forEach((x, m) => {
    const inline = INLINE[x.op];
    if (inline === undefined) c.i32(x.op);
    value(c, L, x.a, k);
    if (x.b) value(c, L, x.b, k);
    else if (inline === undefined) c.f64(0);
    if (inline !== undefined) c.op(inline);
    else c.op(W.Call, 0);
    c.set(L.val(m));
    if (store && x.escapes) c.get(AV).get(L.val(m)).store((x.out + k) * 8);
    if (!store && x.mode === 0 && (x.a.want || x.b?.want)) {
      c.i32(0).load(ctx.partials).set(L.partial(m, 0));
      c.i32(0).load(ctx.partials + 8).set(L.partial(m, 1));
    }
  });
}

/** The forward loop: values, escaping results to V, and the closing sum (four lanes, then the rest, as the kernel). */
function forwardLoop(ctx: Ctx): Code {
  const c = new Code(), { g, L } = ctx;
  for (const [off, slot] of L.slots) c.get(0).load(off * 8).set(slot);
  const sum = (lane: number) => {
    if (g.sum) c.get(lane).get(L.val(g.sum.of)).op(W.F64Add).set(lane);
  };
  stride(c, g, 4, () => {
    for (let k = 0; k < 4; k++) values(c, ctx, k, true), sum(L.lanes + k);
  });
  if (g.sum) c.get(L.lanes).get(L.lanes + 2).op(W.F64Add).get(L.lanes + 1).get(L.lanes + 3).op(W.F64Add, W.F64Add).set(L.total);
  stride(c, g, 1, () => (values(c, ctx, 0, true), sum(L.total)));
  if (g.sum) c.get(0).get(L.total).store(g.sum.out * 8);
  return c;
}

/** The backward loop: recomputed values, then every member's pull from last to first, per element. */
function backwardLoop(ctx: Ctx): Code {
  const c = new Code(), { g, L } = ctx;
  for (const [off, slot] of L.slots) c.get(0).load(off * 8).set(slot);
  if (g.sum?.grad) c.get(1).load(g.sum.out * 8).set(L.seed);
  const body = (k: number) => {
    values(c, ctx, k, false);
    ctx.live = g.members.map((x, m) => {
      const fromSum = !!g.sum?.grad && g.sum.of === m;
      if (x.escapes) c.get(AG).load((x.out + k) * 8);
      if (fromSum) c.get(L.seed);
      if (x.escapes && fromSum) c.op(W.F64Add);
      if (x.escapes || fromSum) c.set(L.adj(m));
      return x.escapes || fromSum;
    });
    for (let m = g.members.length - 1; m >= 0; m--) pull(c, ctx, m, k);
  };
  // A step's contributions to outside adjoints are summed in locals (x[j + 1] of two overlapping slices is then one
  // add to memory, not two), with plain products; if any sum is NaN — maybe a 0·∞ that must count 0 — the step is
  // computed again with exact products before anything reaches memory.
  const elements = (size: number, exact: boolean) => {
    ctx.exact = exact;
    ctx.pending.clear();
    for (let k = 0; k < size; k++) body(k);
  };
  const step = (size: number) => () => {
    elements(size, false);
    const sums = [...ctx.pending.values()].map((p) => p.local);
    if (sums.length) {
      sums.forEach((l, i) => (c.get(l).get(l).op(W.F64Ne), i && c.op(W.I32Or)));
      c.when(() => elements(size, true));
    }
    for (const [e, { local, write, slot }] of ctx.pending) {
      if (slot >= 0) c.get(slot + 1).get(local).op(W.F64Add).set(slot + 1);
      else if (write) c.get(AG).get(local).store(e * 8);
      else c.get(AG).get(AG).load(e * 8).get(local).op(W.F64Add).store(e * 8);
    }
  };
  stride(c, g, STEP, step(STEP));
  stride(c, g, 1, step(1));
  for (const [off, slot] of L.slots) c.get(1).get(1).load(off * 8).get(slot + 1).op(W.F64Add).store(off * 8);
  return c;
}

/** Member m's pull at element j + k: each operand wanting a gradient receives ∂·ḡ_m. */
function pull(c: Code, ctx: Ctx, m: number, k: number): void {
  const x = ctx.g.members[m], L = ctx.L, gm = L.adj(m);
  const wantB = !!x.b?.want;
  if ((!x.a.want && !wantB) || !ctx.live[m]) return; // nothing to send, or ḡ_m is 0: it sends exactly 0
  const send = (o: Operand, partial: () => void, exact: boolean) => {
    // contribution = ∂·ḡ; exact: 0 when ḡ is 0 (and, for partials that are values, when ∂ is 0)
    deliver(c, ctx, o, k, () => {
      if (!ctx.exact) return (partial(), c.get(gm).op(W.F64Mul));
      c.f64(0);
      partial();
      c.op(W.LocalTee).u32(L.p).get(gm).op(W.F64Mul);
      c.get(gm).f64(0).op(W.F64Eq);
      if (exact) c.get(L.p).f64(0).op(W.F64Eq, W.I32Or);
      c.op(W.Select);
    });
  };
  const side = (o: Operand | undefined, which: 0 | 1) => {
    if (!o?.want) return;
    const other = which === 0 ? x.b : x.a;
    if (x.mode === 1) return constant(c, ctx, o, k, gm, ctx.constants.get(x.op)![which]);
    if (x.mode === 2) return send(o, () => value(c, L, other!, k), true);
    if (x.mode === 3) return send(o, () => (c.f64(2), value(c, L, x.a, k), c.op(W.F64Mul)), true);
    send(o, () => c.get(L.partial(m, which)), false);
  };
  side(x.a, 0);
  if (x.mode !== 3) side(x.b, 1);
}

/** A constant partial's contribution, c·ḡ (±ḡ exactly for ±1). */
function constant(c: Code, ctx: Ctx, o: Operand, k: number, gm: number, p: number): void {
  deliver(c, ctx, o, k, () => {
    c.get(gm);
    if (p === -1) c.op(W.F64Neg);
    else if (p !== 1) c.f64(p).op(W.F64Mul);
  });
}

/** Adds the contribution `push` leaves on the stack into operand o's adjoint at element j + k (the first one into a
 * member's adjoint is its value). */
function deliver(c: Code, ctx: Ctx, o: Operand, k: number, push: () => void): void {
  const L = ctx.L;
  if (o.member >= 0) {
    const first = !ctx.live[o.member];
    if (!first) c.get(L.adj(o.member));
    push();
    if (!first) c.op(W.F64Add);
    c.set(L.adj(o.member));
    ctx.live[o.member] = true;
  } else {
    const e = o.stride ? o.off + k : -1 - o.slot, sum = ctx.pending.get(e);
    if (sum) c.get(sum.local);
    push();
    if (sum) c.op(W.F64Add);
    const local = sum?.local ?? L.sums + ctx.pending.size;
    c.set(local);
    ctx.pending.set(e, { local, write: o.write, slot: o.stride ? -1 : o.slot });
  }
}
