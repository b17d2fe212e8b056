/** @file The vocabulary of the generated loops (src/tensor/loops.ts): widths (f64 or f64x2), the locals' layout, the emitter's state, and how an operand's value is read. */
import { Code, W, X } from "./emit.js";
import type { Group, Operand } from "./fuse.js";

export const P = 2, AV = 3, AG = 4, F0 = 5; // locals: byte offset of element j, its V and G addresses; then f64s, v128s
export const STEP = 4; // elements per step: two f64x2 pairs (the sum kernel's four lanes)
const SIMD: Partial<Record<W, X>> = { [W.F64Add]: X.Add, [W.F64Sub]: X.Sub, [W.F64Mul]: X.Mul, [W.F64Neg]: X.Neg };

/** How one value is written: an f64 (one element) or an f64x2 (two); locals of the vector width sit `shift` higher. */
export interface Width {
  lanes: 1 | 2;
  shift: number;
}

/** Emits op (named by its f64 form) at width w. */
export function op(c: Code, w: Width, o: W): void {
  if (w.lanes === 1) c.op(o);
  else c.simd(SIMD[o]!);
}
export function load(c: Code, w: Width, byteOffset: number): void {
  if (w.lanes === 1) c.load(byteOffset);
  else c.simd(X.Load).u32(3).u32(byteOffset);
}
export function store(c: Code, w: Width, byteOffset: number): void {
  if (w.lanes === 1) c.store(byteOffset);
  else c.simd(X.Store).u32(3).u32(byteOffset);
}
export function konst(c: Code, w: Width, v: number): void {
  c.f64(v);
  if (w.lanes === 2) c.simd(X.Splat);
}

export const scalar: Width = { lanes: 1, shift: 0 };


/** The f64 locals (by logical index; at the vector width the same index + shift is a v128): each member's value
 * and adjoint; each stride-0 operand's value and adjoint sum; the sum's lanes, total and seed; a
 * temporary; the carry of a realigned operand (see flush); the NaN flag; the sums of one
 * step's contributions to outside adjoints; one element's loads. */
export function layout(g: Group) {
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
export type Layout = ReturnType<typeof layout>;

/** A step's sum of contributions to one outside adjoint: its local, the sign it holds the sum with (±1: a negation is
 * folded into the add or store that spends it), whether it is written, and a broadcast operand's slot (else -1). */
export interface Sum {
  local: number;
  sign: number;
  write: boolean;
  slot: number;
}

export interface Ctx {
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

/** Pushes operand o's value at element offset e (its first element, at the current width). */
export function value(c: Code, ctx: Ctx, o: Operand, e: number): void {
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

