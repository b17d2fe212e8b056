/** @file The memory map: where a tape's records live in linear memory, and what each byte costs.
 *
 * Linear memory (one wasm32 memory, grown by the TLSF allocator of AssemblyScript's `minimal` runtime;
 * nothing here is garbage-collected, every block is unmanaged and freed explicitly):
 *
 *   0 ┌──────────────────────────────┐
 *     │ static data (Math tables)    │  compiled in
 *     ├──────────────────────────────┤ __heap_base
 *     │ row scratch: 6 × f64         │  `evalRow` results for tests and the TS façade
 *     ├──────────────────────────────┤
 *     │ TLSF heap ──────────────────▶│  every tape is one header + six arrays, each its own block:
 *     │                              │
 *     │  Tape header (HEADER_BYTES)  │  ┌─────┬─────┬─────┬─────┬─────┬─────┬─────┬─────┬─────┐
 *     │                              │  │ cap │ op  │  a  │  b  │ val │ da  │ db  │ adj │ pre │  (u32)
 *     │                              │  └─────┴──┬──┴──┬──┴─────┴──┬──┴─────┴─────┴─────┴─────┘
 *     │  op  : u8 [cap]  ◀───────────┼───────────┘     │           │
 *     │  a   : i32[cap]  ◀───────────┼─────────────────┘ …         │   argument node indices
 *     │  b   : i32[cap]               │
 *     │  val : f64[cap]  ◀───────────┼─────────────────────────────┘   value (a kernel node: its scalar
 *     │       = adj                   │     result, or 0: its elements are in V); then the adjoint (header
 *     │                               │     `adj` points here too: the reverse sweep overwrites values)
 *     │  da  : f64[cap]               │   ∂node/∂a, ∂node/∂b, stored when the node is computed
 *     │  db  : f64[cap]               │
 *     │  pre : f64[cap] (compiled     │   presets kept for replay: a leaf's value (inputs are written
 *     │        tapes only; else 0)    │     here), or a node's constant operand
 *     │  tensor arenas (tapes holding │   V: tensor values, f64 (a tensor node's elements at its offset)
 *     │  tensor nodes only):          │   G: tensor adjoints, f64, at the same offsets as V
 *     │   V, G : f64[tcap]            │   R: residuals a kernel keeps for its backward (elementwise
 *     │   R    : f64[rcap]            │      partials, argmax positions), f64
 *     │   meta : i32[mcap]            │   meta: each kernel node's operands, shape and options
 *     │   scratch (kernel temporaries)│   (written by JS when the node is recorded; the
 *     │                              │   layout of each kind heads its kernel's file)
 *     │  … later tapes, compiled      │
 *     │    tapes                      │
 *     └──────────────────────────────┘ memory.size() × 64 KiB (never past the limit)
 *
 * A node record is struct-of-arrays: node i is op[i], a[i], b[i], val[i], da[i], db[i].
 * The adjoint array aliases the value array: with the local partials stored, the reverse sweep needs no
 * value, so once every value a caller wants has been read, adjoints overwrite them (33 bytes a node,
 * not 41). A mode that needs values during a sweep (second order) must take what it needs from the
 * values first, or point the header's `adj` at an array of its own.
 * Node 0 of every tape is the constant 0 and the adjoint sink: unary ops and leaves point their unused
 * arguments at it with a zero partial, so the sweeps need no branch on arity. A constant operand is
 * recorded as an argument index equal to the node's own index, its value preset in the node's `val`
 * slot; `compute` reads it there, then rewrites that argument to node 0 with a zero partial.
 * A compiled tape also keeps `pre`: compute copies every preset slot there the first time, and a
 * replay reads leaves and constant operands from it (values are recomputed, and adjoints overwrite
 * them); its constant operands keep their own index, with a zero partial, instead of node 0.
 * The node kind is the op code's top bit: op ≥ TENSOR_OP_BASE is a kernel node (a tensor op). Its record
 * holds a = its meta offset and b = -1 (so the sweeps, which load `b` anyway, tell the kinds apart without
 * loading `op`); its elements live in the arenas; a kernel whose result is a scalar (`item`) leaves it in
 * `val` like any scalar node. Scalar ops never take a kernel node that holds a tensor as an operand.
 *
 * Header, after the scalar fields (u32 each):
 *   ┌─────┬─────┬──────┬─────┬──────┬──────┬──────┬───────┬─────┬────────┬─────┐
 *   │  V  │  G  │ tcap │  R  │ rcap │ meta │ mcap │ tused │ scr │ scrcap │  T  │
 *   └─────┴─────┴──────┴─────┴──────┴──────┴──────┴───────┴─────┴────────┴─────┘
 * `tused` (f64 elements of V in use, written by JS) bounds the adjoints `clearAdjoints` zeroes; T is the
 * tangent arena of the running tangent sweep (caller's scratch, same offsets as V), 0 otherwise. Then
 * `zlist`, `zcount`: the adjoint ranges a reverse sweep must zero, as (offset, length) pairs in meta (count + 1;
 * 0: zero all of G) — planned for compiled tapes, where a Map that is a range's only reader writes it instead;
 * `kernels`: nonzero once a kernel node is recorded (the sweeps keep scalar-only loops for tapes without);
 * `fuse`: 1 + the meta offset of the fused-group list while a compiled tape's value or gradient runs its fused
 * loops (assembly/fused.ts), else 0.
 */

/** Bytes one scalar node occupies across the six arrays (1 + 4 + 4 + 8 × 3 = 33). */
export const NODE_BYTES: i32 = 33;
/** Bytes of a tape header. */
export const HEADER_BYTES: i32 = 96;
/** Extra bytes per node of a compiled tape (its `pre` array). */
export const PRESET_BYTES: i32 = 8;
/** First op code of tensor nodes (the node kind is `op >= TENSOR_OP_BASE`). */
export const TENSOR_OP_BASE: i32 = 128;

// Header field offsets (bytes from the tape pointer).
export const H_CAP: i32 = 0;
export const H_OP: i32 = 4;
export const H_A: i32 = 8;
export const H_B: i32 = 12;
export const H_VAL: i32 = 16;
export const H_DA: i32 = 20;
export const H_DB: i32 = 24;
export const H_ADJ: i32 = 28;
export const H_PRE: i32 = 32;
export const H_TV: i32 = 36;
export const H_TG: i32 = 40;
export const H_TCAP: i32 = 44;
export const H_TR: i32 = 48;
export const H_RCAP: i32 = 52;
export const H_META: i32 = 56;
export const H_MCAP: i32 = 60;
export const H_TUSED: i32 = 64;
export const H_SCR: i32 = 68;
export const H_SCRCAP: i32 = 72;
export const H_TT: i32 = 76;
export const H_ZLIST: i32 = 80;
export const H_ZCOUNT: i32 = 84;
export const H_KERNELS: i32 = 88;
export const H_FUSE: i32 = 92;

/** Reads a header field of tape `t`. */
// @ts-ignore: decorator
@inline export function field(t: usize, off: i32): usize {
  return <usize>load<u32>(t + <usize>off);
}

/** Address of element i of an f64 array. */
// @ts-ignore: decorator
@inline export function f64At(base: usize, i: i32): usize {
  return base + (<usize>i << alignof<f64>());
}

/** Address of element i of an i32 array. */
// @ts-ignore: decorator
@inline export function i32At(base: usize, i: i32): usize {
  return base + (<usize>i << alignof<i32>());
}
