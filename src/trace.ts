/** @file Recording: the per-call Trace that writes records through views (one per nesting level, on that level's region), the Scalar handle, and the errors of handles used out of their trace. */
import { need, type Engine } from "./wasm.js";
import { InputError, OutOfMemoryError, StaleHandleError, AdError } from "./errors.js";
import { TOp } from "./tensor/codes.js";
import { Region, TapeViews, regions, limit, nodeBytes, INITIAL_CAP, SETTLED_SLACK, MIN_COMPILED_CAP, H_TUSED, H_ZCOUNT, H_KERNELS, H_FUSE } from "./region.js";
export { Region, scratch, setMemoryLimit, memoryStats } from "./region.js";

/** Op codes of the leaves a trace writes itself (the rest live in ops.ts). */
const CONST = 0,
  INPUT = 1;
const keptRegions: Region[] = [];
let depth = 0;
let active: Trace | undefined;

/** The tape for a second-order recording at the next nesting level: like a compiled tape, it keeps its
 * presets (constants and inputs), which the forward-over-reverse sweep and a replay need. */
export function keptRegion(): Region {
  return (keptRegions[depth] ??= Region.create(need(), true));
}

/** The reverse sweep from node `top` on region r, stopping at each customVjp op to call its `bwd` with the
 * real cotangent (its stored partials are bypassed: its output adjoints are consumed). */
export function reverseWithHooks(r: Region, top: number, hooks: readonly CustomHook[]): void {
  let hi = top;
  for (let k = hooks.length - 1; k >= 0; k--) {
    const h = hooks[k];
    if (h.top > hi) continue;
    r.e.reverseRange(r.ptr, hi, h.top);
    const ct = h.outs.map((o) => (o < 0 ? 0 : r.adj[o]));
    for (const o of h.outs) if (o >= 0) r.adj[o] = 0;
    const g = h.bwd(ct);
    // NOTE: r.adj is read again after bwd: user code may have grown linear memory (new views).
    h.inputs.forEach((x, i) => {
      if (typeof x !== "number") r.adj[x.idx] += g[i];
    });
    hi = h.top;
  }
  r.e.reverseRange(r.ptr, hi, 0);
}

/** The innermost trace that is recording, if any (a transform called inside another's f records onto it). */
export function activeTrace(): Trace | undefined {
  return active;
}

/** A customVjp op on the tape: its highest output node, output nodes (-1: constant), inputs, and `bwd`. */
export interface CustomHook {
  top: number;
  outs: number[];
  inputs: readonly Operand[];
  bwd: (ct: number[]) => number[];
}

/**
 * A value that ops accept: a handle or a plain number (a constant).
 * @example
 * ```ts
 * const total = (xs: ad.Operand[]) => xs.reduce<ad.Operand>((s, x) => ad.add(s, x), 0);
 * ad.grad((v: ad.Tensor) => total([v.at(0), 2, v.at(1)]) as ad.Scalar)([1, 1]); // → [1, 1]
 * ```
 */
export type Operand = Scalar | number;

/** One transform call's recording: node count, the "computed up to" mark, and views of the tape's arrays
 * (copied from its region: the record path reads them straight off the trace). */
export class Trace extends TapeViews {
  n = 1; // node 0 is the constant 0 and the adjoint sink
  cap = 0;
  computed = 0;
  live = true;
  /** Node indices of recorded comparisons (`lt`, `le`, …), in order: the guards a replay re-checks. */
  readonly guards: number[] = [];
  /** Whether `f` read a `.value` (it may have branched where no guard sees it). */
  readsValue = false;
  /** Whether `f` used a custom rule (its values come from JS, so a replay cannot recompute them). */
  hasCustom = false;
  /** The customVjp ops recorded, in order: reverse sweeps call their `bwd` with the real cotangent. */
  readonly customs: CustomHook[] = [];
  /** What each kernel node reads, for the adjoint plan (src/tensor/plan.ts) and fusion (src/tensor/fuse.ts): its
   * output ranges (node, offset, size) and every operand range it reads (node, offset, size, role: 0 a, 1 b, -1
   * other, all adding into that adjoint; -2 the value only). */
  readonly outputs: number[] = [];
  readonly reads: number[] = [];
  /** Set when a kernel was recorded without its reads: no plan then (every adjoint is zeroed). */
  readsUnknown = false;
  /** The bump pointers of the tensor arenas (values, residuals, meta). */
  tvUsed = 0;
  trUsed = 0;
  metaUsed = 0;
  /** Constant tensors already on this trace (a closure's data used by several ops is copied once). */
  readonly constantTensors = new WeakMap<object, unknown>();
  /** Once a nested transform has recorded onto this trace: node → its inline constant operand, kept at each
   * flush (compute forgets them) for the nested reverse sweeps. */
  constants: Map<number, number> | undefined = undefined;
  readonly e: Engine;

  private constructor(
    readonly region: Region,
    readonly parent: Trace | undefined,
  ) {
    super();
    this.e = region.e;
    region.trace = this;
    region.epoch++;
    region.kernels = 0;
    region.hdr[H_ZCOUNT] = 0; // no adjoint plan until one is made for this recording
    region.hdr[H_FUSE] = 0; // and no fused loops
    region.hdr[H_TUSED] = 0;
    region.hdr[H_KERNELS] = 0; // no kernel node yet: the sweeps take their scalar-only loops
    this.adopt(region);
    this.op[0] = CONST;
    this.a[0] = 0;
    this.b[0] = 0;
    this.val[0] = 0;
  }

  /** The meta words of kernel node i (written when it was recorded). */
  metaOf(i: number, k: number): number {
    return this.region.meta[this.a[i] + k];
  }

  /** Takes the region's current views (the record path reads them straight off the trace). */
  adopt(r: Region): void {
    this.cap = r.cap;
    this.op = r.op;
    this.a = r.a;
    this.b = r.b;
    this.val = r.val;
    this.da = r.da;
    this.db = r.db;
    this.adj = r.adj;
  }

  /** Opens a trace at the next nesting level, on that level's tape or on `own` (a compiled function's). */
  static begin(own?: Region): Trace {
    let region = own ?? regions[depth];
    if (!region) region = regions[depth] = Region.create(need(), false);
    if (region.trace) throw new AdError("REENTRANT", "a compiled function was called while it was recording");
    depth++;
    return (active = new Trace(region, active));
  }

  /** Closes the trace: its handles become stale and the tape is free for the next call. */
  end(): void {
    this.live = false;
    const region = this.region;
    region.trace = undefined;
    if (this.n > region.maxNodes) region.maxNodes = this.n;
    this.cap = this.n; // a closed trace is full: any record onto it lands in grow(), which throws
    // Settle the region near its high-water mark (a first call from a small capacity may overshoot);
    // a later call of the same size then needs no growth.
    const least = region.compiled ? MIN_COMPILED_CAP : INITIAL_CAP;
    const settled = Math.max(least, Math.ceil((region.maxNodes * SETTLED_SLACK) / 256) * 256);
    if (region.cap > settled * 1.125) region.resize(settled);
    depth--;
    active = this.parent;
  }

  /** Grows the tape's capacity by 1.2× (renewing the views) and returns the next node index, or throws OutOfMemoryError at the limit. */
  grow(): number {
    if (!this.live) throw new StaleHandleError();
    // NOTE: growing by 1.2×, not 2×, bounds the first call's peak at 1.2 × 33 + 8 (realloc's transient
    // copy of one f64 array) ≈ 48 bytes per node; the copies cost ≈ 6× the final tape, once per region.
    if (!this.region.resize(Math.ceil((this.cap * 1.2) / 1024) * 1024)) {
      throw new OutOfMemoryError(this.e.memInUse() + this.cap * nodeBytes(this.e), limit());
    }
    return this.n;
  }

  /** Appends a node record (op, a, b) and returns its index; values are computed later, in batch. */
  node(code: number, a: number, b: number): number {
    const i = this.n === this.cap ? this.grow() : this.n;
    this.op[i] = code;
    this.a[i] = a;
    this.b[i] = b;
    this.n = i + 1;
    return i;
  }

  /** Records a kernel node (tensor op `code`) with meta `words`, taking `vals` value elements and `res` residuals
   * from the arenas and `scratch` bytes of kernel scratch; returns the node, its meta offset and the offsets
   * taken. Nothing is computed until the next flush. */
  kernel(code: number, words: readonly number[], vals: number, res: number, scratch = 0, reads?: readonly number[]): number {
    const off = this.tvUsed, roff = this.trUsed, m = this.metaUsed;
    this.region.reserveArena(off + vals, roff + res, m + words.length, scratch);
    const node = this.node(code, m, -1);
    if (vals > 0) this.outputs.push(node, off, vals);
    if (reads) for (let k = 0; k < reads.length; k += 3) this.reads.push(node, reads[k], reads[k + 1], reads[k + 2]);
    // A constant adds into no adjoint, a pack into scalar ones only: neither has reads to report.
    else if (code !== TOp.Const && code !== TOp.Pack) this.readsUnknown = true;
    this.region.meta.set(words, m);
    this.tvUsed = off + vals;
    this.trUsed = roff + res;
    this.metaUsed = m + words.length;
    this.region.hdr[H_TUSED] = this.tvUsed;
    this.counted(1);
    return node;
  }

  /** Records `count` consecutive `item` nodes, elements `from` … of the tensor at arena offset `off` (one
   * reservation, no array per node: a tensor output becomes scalar nodes this way); returns the first node. */
  items(off: number, from: number, count: number): number {
    const m = this.metaUsed, first = this.n;
    this.region.reserveArena(this.tvUsed, this.trUsed, m + 2 * count, 0);
    for (let k = 0; k < count; k++) {
      const node = this.node(TOp.Item, m + 2 * k, -1);
      const meta = this.region.meta; // read again: recording may have grown the tape and renewed the views
      meta[m + 2 * k] = off;
      meta[m + 2 * k + 1] = from + k;
      this.reads.push(node, off + from + k, 1, -1);
    }
    this.metaUsed = m + 2 * count;
    this.counted(count);
    return first;
  }

  /** Marks `count` more kernel nodes on the tape (the sweeps take their mixed loops from now on). */
  private counted(count: number): void {
    this.region.hdr[H_KERNELS] = 1;
    this.region.kernels += count;
  }

  /** Records a leaf (a constant, or an input when `input`) holding `v`. */
  leaf(v: number, input = false): number {
    const i = this.node(input ? INPUT : CONST, 0, 0);
    this.val[i] = v;
    return i;
  }

  /** Node index of an operand: a handle of this trace, or a new constant. */
  index(x: Operand): number {
    if (typeof x === "number") return this.leaf(x);
    if (!(x instanceof Scalar)) throw new InputError(`expected a Scalar or a number, got ${describe(x)}`, "operand");
    if (x.trace !== this) throw foreign(x.trace);
    return x.idx;
  }

  /** Computes every recorded node's value and partials that is not computed yet (one engine call). */
  flush(): void {
    if (this.computed < this.n) {
      if (this.constants) this.keepConstants(this.computed, this.n);
      this.e.compute(this.region.ptr, this.computed, this.n);
      this.computed = this.n;
    }
  }

  /** Copies the inline constants of nodes [from, to) into `constants` before compute forgets them. */
  private keepConstants(from: number, to: number): void {
    for (let i = from; i < to; i++) if (this.b[i] >= 0 && (this.a[i] === i || this.b[i] === i)) this.constants!.set(i, this.val[i]);
  }

  /** The value of node i, computing pending nodes first. */
  value(i: number): number {
    if (i >= this.computed) this.flush();
    return this.val[i];
  }
}

function foreign(t: Trace): AdError {
  if (!t.live) return new StaleHandleError();
  return new AdError(
    "NESTING",
    "a handle of an enclosing transform was used inside a nested jvp, jacobian, hessian or compile; so far only " +
      "grad, valueAndGrad and vjp nest over an enclosing transform's handles",
  );
}

/** The error for a transform that does not run through tensor ops (kernel nodes) yet. */
export function tensorModeError(what: string): AdError {
  return new AdError(
    "TENSOR_MODE",
    `${what} does not run through tensor ops yet (sparsity and nesting over tensor ops are still to come); grad, ` +
      "valueAndGrad, vjp, jvp, the Jacobians, hvp, hessian and compile do",
  );
}

/** Throws `tensorModeError` when the tape of region r holds a tensor op. */
export function noKernels(r: Region, what: string): void {
  if (r.kernels > 0) throw tensorModeError(what);
}

/** Checks that `h` belongs to a trace that is still recording, and returns that trace. */
export function traceOf(h: { readonly trace: Trace }): Trace {
  const t = h.trace;
  if (!t.live) throw new StaleHandleError();
  return t;
}

/** Describes a value for an error message. */
export function describe(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return "an array";
  if (typeof x === "object") return (x as object).constructor?.name ?? "an object";
  return typeof x;
}

/**
 * A scalar on the tape: ops record through it; `.value` reads its number.
 * @example
 * ```ts
 * ad.grad((x: ad.Scalar) => x.mul(x).sin())(1); // → 2 * Math.cos(1) — chained ops
 * ad.grad((x: ad.Scalar) => (x.value > 0 ? x : x.neg()))(-2); // → -1 — .value for plain JS control flow
 * ```
 */
export class Scalar {
  /** @internal */
  constructor(
    /** @internal */
    readonly trace: Trace,
    /** @internal */
    readonly idx: number,
  ) {}

  /** The number this handle stands for (computes pending nodes; plain JS control flow on it is allowed). */
  get value(): number {
    const t = traceOf(this);
    t.readsValue = true;
    return t.value(this.idx);
  }

  /** Shape of a scalar: []. */
  get shape(): number[] {
    return [];
  }
}
