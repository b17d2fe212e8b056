/** @file Tape regions: one tape in linear memory with views of its arrays and tensor arenas, renewed when memory grows; the sweep scratch block; the memory limit and statistics. */
import { need, checkGrown, watchViews, unwatchViews, type Engine } from "./wasm.js";
import { InputError, OutOfMemoryError } from "./errors.js";
import type { Trace } from "./trace.js";

// Header words of a tape (assembly/layout.ts: H_TV / 4 …).
export const HEADER_WORDS = 24,
  H_TV = 9,
  H_TCAP = 11,
  H_RCAP = 13,
  H_META = 14,
  H_MCAP = 15,
  H_TUSED = 16,
  H_SCRCAP = 18,
  H_ZLIST = 20,
  H_ZCOUNT = 21,
  H_KERNELS = 22,
  H_FUSE = 23;

export const INITIAL_CAP = 1 << 12;
export const SETTLED_SLACK = 1.125;
export const MIN_COMPILED_CAP = 256;
let memoryLimit = 2 ** 31;

/** The byte limit set with setMemoryLimit (for error messages). */
export function limit(): number {
  return memoryLimit;
}

/** Bytes of one scalar node record, as the engine lays it out (assembly/layout.ts). */
export function nodeBytes(e: Engine): number {
  return (e.NODE_BYTES as WebAssembly.Global).value as number;
}

/** Typed-array views of a tape's arrays (renewed whenever the tape is resized or linear memory grows). */
export class TapeViews {
  op!: Uint8Array;
  a!: Int32Array;
  b!: Int32Array;
  val!: Float64Array;
  da!: Float64Array;
  db!: Float64Array;
  adj!: Float64Array;
}

/** One tape in linear memory with views of its arrays: reused by every call at one nesting level, or owned by a compiled function. */
export class Region extends TapeViews {
  cap = 0;
  maxNodes = 0;
  /** Counts the traces recorded here: a pullback holding an older epoch finds its tape overwritten. */
  epoch = 0;
  /** Kernel nodes (tensor ops) on the tape as last recorded. */
  kernels = 0;
  /** The trace recording on this region now, if any (one per nesting level at a time). */
  trace: Trace | undefined;
  /** A compiled tape's presets (inputs are written here before a replay); empty otherwise. */
  pre!: Float64Array;
  /** The tape header (u32 fields, assembly/layout.ts), the tensor value arena and the kernel meta. */
  hdr!: Uint32Array;
  tv!: Float64Array;
  /** The tensor adjoint arena (same offsets as `tv`). */
  tg!: Float64Array;
  meta!: Int32Array;
  private readonly renew = () => this.views();

  constructor(
    readonly e: Engine,
    readonly ptr: number,
  ) {
    super();
    this.views();
    watchViews(this.renew);
  }

  /** Allocates a region of `cap` nodes (a compiled one keeps presets for replay), or throws OutOfMemoryError. */
  static create(e: Engine, compiled: boolean): Region {
    const cap = compiled ? MIN_COMPILED_CAP : INITIAL_CAP;
    const ptr = e.tapeNew(cap, compiled ? 1 : 0);
    if (!ptr) throw new OutOfMemoryError(cap * nodeBytes(e), memoryLimit);
    checkGrown();
    return new Region(e, ptr);
  }

  /** Whether the tape keeps its presets for replay (a compiled or second-order tape). */
  get compiled(): boolean {
    return this.pre.length > 0;
  }

  /** Re-creates the views (after the tape was resized or linear memory grew) and hands them to the trace. */
  views(): void {
    const buf = this.e.memory.buffer;
    const h = (this.hdr = new Uint32Array(buf, this.ptr, HEADER_WORDS));
    const cap = (this.cap = h[0]);
    this.op = new Uint8Array(buf, h[1], cap);
    this.a = new Int32Array(buf, h[2], cap);
    this.b = new Int32Array(buf, h[3], cap);
    this.val = new Float64Array(buf, h[4], cap);
    this.da = new Float64Array(buf, h[5], cap);
    this.db = new Float64Array(buf, h[6], cap);
    this.adj = new Float64Array(buf, h[7], cap);
    this.pre = new Float64Array(buf, h[8], h[8] ? cap : 0);
    this.tv = new Float64Array(buf, h[H_TV], h[H_TCAP]);
    this.tg = new Float64Array(buf, h[H_TV + 1], h[H_TCAP]);
    this.meta = new Int32Array(buf, h[H_META], h[H_MCAP]);
    this.trace?.adopt(this);
  }

  /** Resizes the tape to `cap` nodes; false when the memory limit forbids it. */
  resize(cap: number): boolean {
    if (!this.e.tapeResize(this.ptr, cap)) return false;
    checkGrown();
    this.views();
    return true;
  }

  /** Makes the tensor arenas hold `vals` values (and adjoints), `res` residuals, `metas` meta words and
   * `scratch` bytes of kernel scratch, or throws OutOfMemoryError. */
  reserveArena(vals: number, res: number, metas: number, scratch: number): void {
    const h = this.hdr;
    if (vals <= h[H_TCAP] && res <= h[H_RCAP] && metas <= h[H_MCAP] && scratch <= h[H_SCRCAP]) return;
    const ok = this.e.arenaReserve(this.ptr, vals, res, metas, scratch);
    checkGrown();
    this.views();
    if (!ok) throw new OutOfMemoryError(this.e.memInUse() + (vals * 16 + res * 8 + metas * 4 + scratch), memoryLimit);
  }

  /** Sets the adjoint ranges a reverse sweep zeroes: (offset, length) pairs written at meta offset `at` (none: all). */
  zeroList(at: number, count: number): void {
    this.hdr[H_ZLIST] = at;
    this.hdr[H_ZCOUNT] = count + 1;
  }

  /** Bytes the tensor arenas hold (values and adjoints, residuals, meta, kernel scratch). */
  arenaBytes(): number {
    const h = this.hdr;
    return h[H_TCAP] * 16 + h[H_RCAP] * 8 + h[H_MCAP] * 4 + h[H_SCRCAP];
  }

  /** Frees the tape (a compiled function's `dispose`); the region must not be used again. */
  free(): void {
    unwatchViews(this.renew);
    this.e.tapeFree(this.ptr);
  }
}
/** Every eager level's region, for memoryStats. */
export const regions: Region[] = [];

let scratchPtr = 0;
let scratchBytes = 0;

/** A block of at least `bytes` of Wasm memory for sweep scratch (tangents), reused across calls; its address. */
export function scratch(e: Engine, bytes: number): number {
  if (bytes > scratchBytes) {
    if (scratchPtr) e.memFree(scratchPtr, scratchBytes);
    const size = Math.max(bytes, Math.ceil(scratchBytes * 1.5));
    scratchPtr = e.memAlloc(size);
    scratchBytes = scratchPtr ? size : 0;
    if (!scratchPtr) throw new OutOfMemoryError(e.memInUse() + size, memoryLimit);
    checkGrown();
  }
  return scratchPtr;
}

/**
 * Caps the bytes tapes may hold; a recording that would pass it throws OutOfMemoryError.
 * @example
 * ```ts
 * ad.setMemoryLimit(2 ** 30); // 1 GiB of tapes (the default is 2 GiB)
 * ```
 */
export function setMemoryLimit(bytes: number): void {
  if (!(bytes > 0) || !Number.isFinite(bytes)) throw new InputError(`limit must be a positive number of bytes, got ${bytes}`, "bytes");
  memoryLimit = Math.min(bytes, 2 ** 32 - 2 ** 26);
  need().setLimit(memoryLimit);
}

/**
 * Linear-memory use: tape bytes now and at most (the high-water mark includes growth transients), the Wasm memory size, the most nodes one tape held, and bytes per node (tape bytes now ÷ those nodes).
 * @example
 * ```ts
 * ad.grad((v: ad.Tensor) => v.at(0).mul(v.at(1)))([2, 3]);
 * ad.memoryStats().recordBytes; // → 33 — one scalar node: op, two operands, value, two partials
 * ad.memoryStats().maxNodes > 0; // → true
 * ```
 */
export function memoryStats(): {
  /** Bytes the tapes and their arenas hold now. */
  bytesInUse: number;
  /** The most bytes held at once (growth transients included). */
  highWater: number;
  /** The size of the Wasm linear memory. */
  wasmBytes: number;
  /** The most nodes one eager tape has held. */
  maxNodes: number;
  /** `bytesInUse` ÷ `maxNodes` (NaN before any recording). */
  bytesPerNode: number;
  /** Bytes of one scalar node's record. */
  recordBytes: number;
} {
  const e = need();
  const maxNodes = Math.max(0, ...regions.map((r) => r.maxNodes));
  const bytesInUse = e.memInUse();
  return {
    bytesInUse,
    highWater: e.memHighWater(),
    wasmBytes: e.memory.buffer.byteLength,
    maxNodes,
    bytesPerNode: maxNodes ? bytesInUse / maxNodes : NaN,
    recordBytes: nodeBytes(e),
  };
}
