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
import type { Group } from "./fuse.js";
import { P, AV, AG, STEP, scalar, op, load, store, layout, value, type Width, type Ctx } from "./lanes.js";
import { flush, pull } from "./adjoints.js";

const WRITE_A = 16, WRITE_B = 32;
/** The ops a group may hold, by scalar op code (src/tensor/fuse.ts), as instructions. */
export const ARITHMETIC: Record<number, W> = { [Op.Add]: W.F64Add, [Op.Sub]: W.F64Sub, [Op.Mul]: W.F64Mul, [Op.Neg]: W.F64Neg };

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

