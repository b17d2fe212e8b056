/** @file The generated loops of fused groups (src/tensor/fuse.ts finds the groups): one Wasm module per group, whose forward and backward loops keep every intermediate in registers, two elements at a time in f64x2 lanes.
 *
 *   forward, per element j:  v_m = op_m(x_a, x_b) for each member m; V[out_m + j] = v_m if m escapes;
 *                            s += v_of, in four lanes (two f64x2), as the sum kernel adds: the same bits
 *   backward, per element j: v_m recomputed; ḡ_m = G[out_m + j] if m escapes, + s̄ for the summed member; then for
 *                            m from last to first: ḡ_a += ∂_a·ḡ_m, ḡ_b += ∂_b·ḡ_m — into registers for a member,
 *                            else summed per step, then into G (written where the plan lets the Map write)
 *
 * Members are the arithmetic ops (src/tensor/fuse.ts), computed inline as the engine's vectorised kernels do, with
 * their partials as the Map kernels take them (assembly/elementwise.ts): a constant for add, sub and neg (read off
 * the op table here, once), the other operand for mul, 2x for x·x. The kernels count a product with a zero factor
 * as exactly 0 (no 0·∞ = NaN); the loop takes plain products and returns whether any contribution was NaN or
 * infinite, and then the caller sweeps again without fusion (src/transforms/compile.ts), so the rule holds at no
 * cost per element.
 */
import type { Trace } from "../trace.js";
import { registerLoop } from "../wasm.js";
import { evalRow } from "../ops.js";
import { Op } from "../opcodes.js";
import { Code, W, X, loopModule } from "./emit.js";
import type { Group, Operand } from "./fuse.js";

const WRITE_A = 16, WRITE_B = 32;
const P = 2, AV = 3, AG = 4, F0 = 5; // locals: byte offset of element j, its V and G addresses; then f64s, v128s
const STEP = 4; // elements per step: two f64x2 pairs (the sum kernel's four lanes)
/** The ops a group may hold, by scalar op code (src/tensor/fuse.ts), as instructions. */
export const ARITHMETIC: Record<number, W> = { [Op.Add]: W.F64Add, [Op.Sub]: W.F64Sub, [Op.Mul]: W.F64Mul, [Op.Neg]: W.F64Neg };
const SIMD: Partial<Record<W, X>> = { [W.F64Add]: X.Add, [W.F64Sub]: X.Sub, [W.F64Mul]: X.Mul, [W.F64Neg]: X.Neg };

/** How one value is written: an f64 (one element) or an f64x2 (two); locals of the vector width sit `shift` higher. */
interface Width {
  lanes: 1 | 2;
  shift: number;
}

/** Emits op (named by its f64 form) at width w. */
function op(c: Code, w: Width, o: W): void {
  if (w.lanes === 1) c.op(o);
  else c.simd(SIMD[o]!);
}
function load(c: Code, w: Width, byteOffset: number): void {
  if (w.lanes === 1) c.load(byteOffset);
  else c.simd(X.Load).u32(3).u32(byteOffset);
}
function store(c: Code, w: Width, byteOffset: number): void {
  if (w.lanes === 1) c.store(byteOffset);
  else c.simd(X.Store).u32(3).u32(byteOffset);
}
function konst(c: Code, w: Width, v: number): void {
  c.f64(v);
  if (w.lanes === 2) c.simd(X.Splat);
}

/** The f64 locals (by logical index; at the vector width the same index + shift is a v128): each member's value
 * and adjoint; each stride-0 operand's value and adjoint sum; the sum's lanes, total and seed; a
 * temporary; the carry of a realigned operand (see flush); the NaN flag; the sums of one
 * step's contributions to outside adjoints; one element's loads. */
function layout(g: Group) {
  const M = g.members.length;
  let next = F0 + 2 * M;
  const slots = new Map<number, number>();
  for (const x of g.members) for (const o of [x.a, x.b]) {
    if (!o || o.member >= 0 || o.stride) continue;
    if (!slots.has(o.off)) slots.set(o.off, (next += 2) - 2);
    o.slot = slots.get(o.off)!;
  }
  const at = { lanes: next, total: next + 4, seed: next + 5, p: next + 6, carry: next + 7, flag: next + 8, sums: next + 9 };
  return {
    ...at,
    slots,
    val: (m: number) => F0 + m,
    adj: (m: number) => F0 + M + m,
    loads: at.sums + 2 * M * STEP,
    count: at.sums + 2 * M * STEP + 2 * M - F0,
  };
}
type Layout = ReturnType<typeof layout>;

/** A step's sum of contributions to one outside adjoint: its local, the sign it holds the sum with (±1: a negation is
 * folded into the add or store that spends it), whether it is written, and a broadcast operand's slot (else -1). */
interface Sum {
  local: number;
  sign: number;
  write: boolean;
  slot: number;
}

interface Ctx {
  g: Group;
  L: Layout;
  w: Width;
  constants: Map<number, [number, number]>;
  /** While emitting one element's pulls: whether member m's adjoint holds anything yet (else it is 0). */
  live: boolean[];
  /** While emitting one step: the local summing what goes to each outside adjoint (by arena offset, or -1 - slot for a
   * broadcast operand), whether it is written, and the broadcast operand's slot (else -1). */
  pending: Map<number, Sum>;
  /** While emitting one element's pulls: the sign each member's adjoint local holds its adjoint with (±1). */
  sign: number[];
  /** While emitting one element: the local holding each outside element loaded so far (by arena offset). */
  loads: Map<number, number>;
  /** Set when a range the group owns (src/tensor/fuse.ts) was not written whole by the vector steps: then it is
   * generated again without owned ranges. */
  spoiled: boolean;
  /** The element (of a step) whose adjoint the carry's lane 1 holds after the vector loop (-1: none). */
  carried: number;
}

/** Generates, compiles and registers group g of trace t (its adjoints planned: a member writes an outside adjoint
 * its Map kernel would write); returns the loop pair's id, or -1 when this host refuses to compile it. */
export function emitGroup(t: Trace, g: Group): number {
  const e = t.e, meta = t.region.meta;
  for (const x of g.members) {
    x.a.write = (meta[x.meta + 7] & WRITE_A) !== 0;
    if (x.b) x.b.write = (meta[x.meta + 7] & WRITE_B) !== 0;
  }
  const L = layout(g);
  const constants = new Map<number, [number, number]>();
  for (const x of g.members) if (x.mode === 1 && !constants.has(x.op)) {
    const row = evalRow(x.op, 1, 1); // [value, ∂/∂x, ∂/∂y, …]
    constants.set(x.op, [row[1], row[2]]);
  }
  const ctx: Ctx = { g, L, w: scalar, constants, live: [], pending: new Map(), sign: [], loads: new Map(), carried: -1, spoiled: false };
  try {
    let backward = backwardLoop(ctx);
    if (ctx.spoiled) (g.owned = [], (backward = backwardLoop(ctx)));
    const bytes = loopModule(forwardLoop(ctx), backward, 3, L.count);
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes as BufferSource), { env: { memory: e.memory } });
    const x = inst.exports as unknown as { f: (v: number, g: number) => void; b: (v: number, g: number) => number };
    return registerLoop({ forward: x.f, backward: x.b });
  } catch {
    return -1; // e.g. a browser's main thread refusing a large synchronous compile: the kernels run instead
  }
}

const scalar: Width = { lanes: 1, shift: 0 };

/** The two widths of a group's loops: f64x2 for the steps, f64 for the rest. */
function widths(ctx: Ctx): [Width, Width] {
  return [{ lanes: 2, shift: ctx.L.count }, scalar];
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

/** Loads every stride-0 operand once, at both widths. */
function preload(c: Code, ctx: Ctx): void {
  for (const [off, slot] of ctx.L.slots) {
    c.get(0).load(off * 8).set(slot);
    c.get(slot).simd(X.Splat).set(slot + ctx.L.count);
  }
}

/** Pushes operand o's value at element offset e (its first element, at the current width). */
function value(c: Code, ctx: Ctx, o: Operand, e: number): void {
  if (o.member >= 0) return void c.get(ctx.L.val(o.member) + ctx.w.shift);
  if (!o.stride) return void c.get(o.slot + ctx.w.shift);
  // an element read twice is loaded once (the engine need not prove that no store came between)
  const at = o.off + e, local = ctx.loads.get(at);
  if (local !== undefined) return void c.get(local);
  const fresh = ctx.L.loads + ctx.loads.size + ctx.w.shift;
  c.get(AV);
  load(c, ctx.w, at * 8);
  c.op(W.LocalTee).u32(fresh);
  ctx.loads.set(at, fresh);
}

/** Computes every member's value at element offset e; in the forward loop, stores the escaping ones. */
function values(c: Code, ctx: Ctx, e: number, forward: boolean): void {
  const { L, w } = ctx;
  ctx.loads.clear();
  ctx.g.members.forEach((x, m) => {
    value(c, ctx, x.a, e);
    if (x.b) value(c, ctx, x.b, e);
    op(c, w, ARITHMETIC[x.op]);
    c.set(L.val(m) + w.shift);
    if (forward && x.escapes) (c.get(AV).get(L.val(m) + w.shift), store(c, w, (x.out + e) * 8));
  });
}

/** The forward loop: values, escaping results to V, and the closing sum (four lanes, then the rest, as the kernel). */
function forwardLoop(ctx: Ctx): Code {
  const c = new Code(), { g, L } = ctx, [vector] = widths(ctx);
  preload(c, ctx);
  const sum = (lane: number) => {
    if (g.sum) (c.get(lane).get(L.val(g.sum.of) + ctx.w.shift), op(c, ctx.w, W.F64Add), c.set(lane));
  };
  stride(c, g, STEP, () => {
    ctx.w = vector;
    for (let k = 0; k < STEP / 2; k++) (values(c, ctx, 2 * k, true), sum(L.lanes + (k % 2) + vector.shift));
  });
  if (g.sum) {
    // the kernel's total: (lanes 0 + 2) + (lanes 1 + 3), then the rest in order
    c.get(L.lanes + vector.shift).get(L.lanes + 1 + vector.shift).simd(X.Add).set(L.lanes + vector.shift);
    c.get(L.lanes + vector.shift).simd(X.ExtractLane, 0).get(L.lanes + vector.shift).simd(X.ExtractLane, 1).op(W.F64Add).set(L.total);
  }
  stride(c, g, 1, () => {
    ctx.w = scalar;
    values(c, ctx, 0, true);
    sum(L.total);
  });
  if (g.sum) c.get(0).get(L.total).store(g.sum.out * 8);
  return c;
}

/** The backward loop: per step, recomputed values, then every member's pull from last to first, then the step's
 * sums into G; the broadcast operands' sums after the loop. Returns 1 when a sum was NaN or infinite (or their
 * total overflowed), else 0. */
function backwardLoop(ctx: Ctx): Code {
  const c = new Code(), { g, L } = ctx, [vector] = widths(ctx);
  preload(c, ctx);
  if (g.sum?.grad) c.get(1).load(g.sum.out * 8).set(L.seed).get(L.seed).simd(X.Splat).set(L.seed + vector.shift);
  const element = (e: number) => {
    values(c, ctx, e, false);
    ctx.live = g.members.map((x, m) => {
      const fromSum = !!g.sum?.grad && g.sum.of === m;
      if (x.escapes) (c.get(AG), load(c, ctx.w, (x.out + e) * 8));
      if (fromSum) c.get(L.seed + ctx.w.shift);
      if (x.escapes && fromSum) op(c, ctx.w, W.F64Add);
      if (x.escapes || fromSum) c.set(L.adj(m) + ctx.w.shift);
      return x.escapes || fromSum;
    });
    ctx.sign = g.members.map(() => 1);
    for (let m = g.members.length - 1; m >= 0; m--) pull(c, ctx, m, e);
  };
  const step = (w: Width, count: number) => () => {
    ctx.w = w;
    ctx.pending.clear();
    for (let e = 0; e < count; e += w.lanes) element(e);
    flush(c, ctx);
  };
  stride(c, g, STEP, step(vector, STEP));
  // The vector steps wrote the owned ranges' first `end` elements; the rest start at 0 (then the carry and the tail add).
  const end = Math.floor(g.n / STEP) * STEP;
  for (const [start, size] of g.owned) for (let e = start + end; e < start + size; e++) c.get(1).f64(0).store(e * 8);
  if (ctx.carried >= 0) {
    // the carry's lane 1: element `carried` of the last step
    const e = (ctx.carried + end - STEP) * 8;
    c.get(1).get(1).load(e).get(L.carry + vector.shift).simd(X.ExtractLane, 1).op(W.F64Add).store(e);
    c.get(L.flag + vector.shift).get(L.carry + vector.shift).simd(X.Add).set(L.flag + vector.shift);
  }
  stride(c, g, 1, step(scalar, 1));
  for (const [off, slot] of L.slots) {
    const v = slot + 1 + vector.shift;
    c.get(1).get(1).load(off * 8);
    c.get(v).simd(X.ExtractLane, 0).get(v).simd(X.ExtractLane, 1).op(W.F64Add).get(slot + 1).op(W.F64Add, W.F64Add).store(off * 8);
  }
  const flag = L.flag + vector.shift;
  c.get(flag).simd(X.ExtractLane, 0).get(flag).simd(X.ExtractLane, 1).op(W.F64Add).get(L.flag).op(W.F64Add);
  c.op(W.LocalTee).u32(L.p).get(L.p).op(W.F64Sub).op(W.LocalTee).u32(L.p).get(L.p).op(W.F64Ne); // f - f is NaN for ±∞, NaN
  return c;
}

/** Whether the adjoint element at arena offset e lies in a range group g writes whole. */
function owns(g: Group, e: number): boolean {
  return g.owned.some(([start, size]) => e >= start && e < start + size);
}

/** Adds a step's sums into G (or the broadcast operands' sums). When two slices of one tensor one element apart both
 * send (a stencil such as x[1:] - x[:-1]), their pairs overlap by half, and a 16-byte load over half of a 16-byte
 * store just made cannot take its value from the store (it stalls until the store reaches the cache): the odd
 * slice's pairs are then shifted onto the even ones' (one lane carried to the next step), or failing that the
 * overlapping sums go in element by element. */
function flush(c: Code, ctx: Ctx): void {
  const w = ctx.w, pending = ctx.pending;
  const keys = [...pending.keys()].filter((e) => pending.get(e)!.slot < 0);
  const odd = keys.filter((e) => e & 1), overlap = w.lanes === 2 && odd.some((e) => pending.has(e - 1) || pending.has(e + 1));
  odd.sort((p, q) => p - q);
  const shift = overlap && odd.every((e, i) => i === 0 || e === odd[i - 1] + 2) && odd.length === STEP / 2 && !odd.some((e) => pending.get(e)!.write);
  if (shift) realign(c, ctx, odd);
  const addOrSub = (sign: number) => op(c, w, sign > 0 ? W.F64Add : W.F64Sub);
  // the flag sums every sum: NaN stays NaN, ∞ stays ∞ or turns NaN (a finite total that overflows only costs a re-sweep)
  const flag = ctx.L.flag + w.shift;
  if (pending.size) (c.get(flag), [...pending.values()].forEach((p) => (c.get(p.local), op(c, w, W.F64Add))), c.set(flag));
  // an owned range must get exactly its own pairs from each step (then every element is written once)
  for (const [start, size] of w.lanes === 2 ? ctx.g.owned : []) {
    const mine = [...pending.keys()].filter((e) => e >= start && e < start + size && pending.get(e)!.slot < 0).sort((p, q) => p - q);
    if (overlap && !shift || mine.length !== STEP / 2 || mine.some((e, i) => e !== start + 2 * i)) ctx.spoiled = true;
  }
  const byElement = new Map<number, { sum: Sum; lane: number }[]>();
  for (const [e, sum] of pending) {
    const { local, slot, sign } = sum, write = sum.write || (w.lanes === 2 && owns(ctx.g, e));
    if (slot >= 0) (c.get(slot + 1 + w.shift).get(local), addOrSub(sign), c.set(slot + 1 + w.shift));
    else if (overlap && !shift) for (const lane of [0, 1]) byElement.set(e + lane, [...(byElement.get(e + lane) ?? []), { sum, lane }]);
    else if (write) (c.get(AG).get(local), sign < 0 && op(c, w, W.F64Neg), store(c, w, e * 8));
    else (c.get(AG).get(AG), load(c, w, e * 8), c.get(local), addOrSub(sign), store(c, w, e * 8));
  }
  for (const [e, parts] of [...byElement].sort((p, q) => p[0] - q[0])) {
    const write = parts[0].sum.write;
    c.get(AG);
    if (write) c.f64(0);
    else c.get(AG).load(e * 8);
    for (const { sum, lane } of parts) c.get(sum.local).simd(X.ExtractLane, lane).op(sum.sign > 0 ? W.F64Add : W.F64Sub);
    c.store(e * 8);
  }
}

const HIGH_LOW = [8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23]; // (a.lane 1, b.lane 0)

/** Moves a step's odd pairs (at b, b + 2, …) onto the even ones: pair k - 1 gets (lane 1 of the pair before — the carry
 * for the first — , lane 0 of pair k); the carry takes the last odd pair (its lane 1 belongs to the next step). */
function realign(c: Code, ctx: Ctx, odd: number[]): void {
  const { L, w, pending } = ctx, carry = L.carry + w.shift;
  const locals = odd.map((k) => pending.get(k)!.local);
  // lanes of two pairs are joined: hold every odd pair with sign +1 first
  for (const k of odd) if (pending.get(k)!.sign < 0) (c.get(pending.get(k)!.local), op(c, w, W.F64Neg), c.set(pending.get(k)!.local));
  odd.forEach((k) => pending.delete(k));
  ctx.carried = odd[odd.length - 1] + 1;
  odd.forEach((k, i) => {
    const sum = pending.get(k - 1);
    if (sum) c.get(sum.local);
    c.get(i ? locals[i - 1] : carry).get(locals[i]).simd(X.Shuffle).op(...HIGH_LOW);
    if (sum) return void (op(c, w, sum.sign > 0 ? W.F64Add : W.F64Sub), c.set(sum.local));
    const local = i ? locals[i - 1] : L.p + w.shift; // the pair before is spent now
    c.set(local);
    pending.set(k - 1, { local, sign: 1, write: false, slot: -1 });
  });
  c.get(locals[locals.length - 1]).set(carry);
}

/** Member m's pull at element offset e: each operand wanting a gradient receives ∂·ḡ_m. */
function pull(c: Code, ctx: Ctx, m: number, e: number): void {
  const x = ctx.g.members[m], { L, w } = ctx, gm = L.adj(m) + w.shift, sign = ctx.sign[m];
  if ((!x.a.want && !x.b?.want) || !ctx.live[m]) return; // nothing to send, or ḡ_m is 0: it sends exactly 0
  const send = (o: Operand, partial: () => void) =>
    deliver(c, ctx, o, e, sign, () => {
      partial();
      c.get(gm);
      op(c, w, W.F64Mul);
    });
  // d(x·x) = 2x·ḡ, as (x·ḡ) + (x·ḡ): the same number (doubling is exact), with no constant to splat
  const twice = (o: Operand) =>
    deliver(c, ctx, o, e, sign, () => {
      value(c, ctx, x.a, e);
      c.get(gm);
      op(c, w, W.F64Mul);
      c.op(W.LocalTee).u32(L.p + w.shift).get(L.p + w.shift);
      op(c, w, W.F64Add);
    });
  const side = (o: Operand | undefined, which: 0 | 1) => {
    if (!o?.want) return;
    if (x.mode === 1) return constant(c, ctx, o, e, gm, sign, ctx.constants.get(x.op)![which]);
    if (x.mode === 3) return twice(o);
    send(o, () => value(c, ctx, (which === 0 ? x.b : x.a)!, e)); // mode 2: mul
  };
  side(x.a, 0);
  if (x.mode !== 3) side(x.b, 1);
}

/** A constant partial's contribution, p·ḡ (for ±1, ḡ itself, the sign folded into the adjoint's). */
function constant(c: Code, ctx: Ctx, o: Operand, e: number, gm: number, sign: number, p: number): void {
  const unit = Math.abs(p) === 1;
  deliver(c, ctx, o, e, unit ? sign * p : sign, () => {
    c.get(gm);
    if (!unit) (konst(c, ctx.w, p), op(c, ctx.w, W.F64Mul));
  });
}

/** Adds sign × the value `push` leaves on the stack into operand o's adjoint at element offset e: a member's local (its
 * first contribution is its value, with that sign), or the step's sum for that outside element. */
function deliver(c: Code, ctx: Ctx, o: Operand, e: number, sign: number, push: () => void): void {
  const { L, w } = ctx;
  if (o.member >= 0) {
    const first = !ctx.live[o.member], adj = L.adj(o.member) + w.shift;
    if (!first) c.get(adj);
    push();
    if (!first) op(c, w, sign === ctx.sign[o.member] ? W.F64Add : W.F64Sub);
    else ctx.sign[o.member] = sign;
    c.set(adj);
    ctx.live[o.member] = true;
    return;
  }
  const key = o.stride ? o.off + e : -1 - o.slot, sum = ctx.pending.get(key);
  if (sum) c.get(sum.local);
  push();
  if (sum) op(c, w, sign === sum.sign ? W.F64Add : W.F64Sub);
  const local = sum?.local ?? L.sums + ctx.pending.size + w.shift;
  c.set(local);
  if (!sum) ctx.pending.set(key, { local, sign, write: o.write, slot: o.stride ? -1 : o.slot });
}
