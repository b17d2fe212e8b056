/** @file The backward half of the generated loops (src/tensor/loops.ts): each member's pull into its operands' adjoints, and each step's sums into G — realigned when a stencil's slices overlap, written whole where the group owns the range. */
import { Code, W, X } from "./emit.js";
import type { Group, Operand } from "./fuse.js";
import { AG, STEP, op, load, store, konst, value, type Ctx, type Sum } from "./lanes.js";

/** Whether the adjoint element at arena offset e lies in a range group g writes whole. */
function owns(g: Group, e: number): boolean {
  return g.owned.some(([start, size]) => e >= start && e < start + size);
}

/** Adds a step's sums into G (or the broadcast operands' sums). When two slices of one tensor one element apart both
 * send (a stencil such as x[1:] - x[:-1]), their pairs overlap by half, and a 16-byte load over half of a 16-byte
 * store just made cannot take its value from the store (it stalls until the store reaches the cache): the odd
 * slice's pairs are then shifted onto the even ones' (one lane carried to the next step), or failing that the
 * overlapping sums go in element by element. */
export function flush(c: Code, ctx: Ctx): void {
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
export function pull(c: Code, ctx: Ctx, m: number, e: number): void {
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
