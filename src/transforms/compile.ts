/** @file `compile`: record f once onto a tape of its own, then replay it in Wasm at new inputs, re-checking its branch guards. */
import { Tensor } from "../tensor/handle.js";
import { planAdjoints, zeroListOf, type ZeroList } from "../tensor/plan.js";
import { findGroups, internalResults } from "../tensor/fuse.js";
import { emitGroup } from "../tensor/loops.js";
import { releaseLoop, takeFusedNaN } from "../wasm.js";
import { H_FUSE } from "../region.js";
import { Scalar, type Trace, type CustomHook, Region, describe, reverseWithHooks } from "../trace.js";
import { need } from "../wasm.js";
import { readGradients, zeroGradients, writeLeaves, fillLike, inputSlice, type HandleTree, type InputOf, type GradOf } from "../tree.js";
import { withRecording, flattenCotangent, pullSeeds, linearize, type OutputOf, type CotangentOf } from "./vjp.js";
import { nanPath } from "./nan.js";
import { tangents, sweepTangents, pickJacobian, type Jacobian } from "./forward.js";
import { sweepHvp, hvpResult, hessianOf } from "./hessian.js";
import { AdError, BranchChanged, InputError, NaNError, OutputError } from "../errors.js";
import { branches, opName } from "../ops.js";

/**
 * Options of `compile`: what a flipped guard does — re-record at the new input (default) or throw `BranchChanged`.
 * @example
 * ```ts
 * const opts: ad.CompileOptions = { onBranchChange: "throw" };
 * const c = ad.compile((x: ad.Scalar) => (ad.gt(x, 0) ? x : x.neg()), 1, opts);
 * c.grad(2); // → 1 — the same branch; c.grad(-2) throws BranchChanged
 * ```
 */
export interface CompileOptions {
  /** `"rerecord"` (the default): record f again at the new input and carry on; `"throw"`: throw `BranchChanged`. */
  onBranchChange?: "rerecord" | "throw";
  /** When `value`, `grad` or `valueAndGrad` gives a NaN, record f afresh at that input with grad's `checkNaN` to throw
   * the NaNError that names the op (a replay without NaN costs one scan of what it returns; default false). */
  checkNaN?: boolean;
}

/**
 * What a compiled tape holds, and how often it had to be recorded again.
 * @example
 * ```ts
 * const c = ad.compile((x: ad.Scalar) => ad.max(x, 0).mul(x), 1); // max branches: a guard
 * c.grad(-1); // → 0 — the guard flipped, so f was recorded again at -1
 * [c.stats.guards, c.stats.rerecords, c.stats.recordEveryCall]; // → [1, 1, false]
 * ```
 */
export interface CompiledStats {
  /** Nodes on the tape (scalar and tensor-op nodes). */
  nodes: number;
  /** Bytes the tape holds: its records, tensor arenas and guards. */
  bytes: number;
  /** Branch points the replay re-checks: comparisons, and every max, min and abs. */
  guards: number;
  /** How many times f was recorded again after the first recording. */
  rerecords: number;
  /** Whether every call records f again (it read `.value` while recording, or uses a custom rule): correct, but no faster than `grad`. */
  recordEveryCall: boolean;
  /** Runs of elementwise ops that `value` and `grad` sweep in one generated loop each (src/tensor/fuse.ts). */
  fused: number;
}

/** A compiled tape's fused groups: their loop ids, their list in meta, and the zero lists with and without them. */
interface Fusion {
  ids: number[];
  list: number;
  plain: ZeroList;
  fused: ZeroList;
}

const GUARD_BYTES = 16; // one guard: node index and recorded key, two f64

/**
 * f recorded once at x0; every method replays the tape in Wasm at a new input of the same structure.
 * @example
 * ```ts
 * const loss = ad.compile((v: ad.Tensor) => v.at(0).mul(v.at(1)), [1, 1]); // recorded once, at [1, 1]
 * loss.grad([2, 3]); // → [3, 2] — replayed at [2, 3]
 * loss.dispose();
 * ```
 */
export class Compiled<H, Y> {
  private region: Region | undefined;
  private inputs!: HandleTree;
  private outs: number[] = [];
  private like: unknown;
  private n = 0;
  private hooks: readonly CustomHook[] = [];
  private guards = 0;
  private ng = 0;
  private rerecords = -1;
  private everyCall = false;
  private valueView = new Float64Array(0);
  private fusion: Fusion | undefined;

  constructor(
    private readonly f: (x: H) => Y,
    x0: InputOf<H>,
    private readonly opts: CompileOptions = {},
  ) {
    if (typeof f !== "function") throw new InputError(`expected the function to compile, got ${describe(f)}`, "f");
    this.region = Region.create(need(), true);
    try {
      this.record(x0);
    } catch (err) {
      this.dispose();
      throw err;
    }
  }

  /**
   * f(x), by a forward replay.
   * @example
   * ```ts
   * const c = ad.compile((v: ad.Tensor) => [v.at(0).mul(v.at(1)), v.at(0).sin()], [1, 1]);
   * c.value([2, 3]); // → [6, Math.sin(2)]
   * ```
   */
  value(x: InputOf<H>): OutputOf<Y> {
    const y = fillLike(this.like, this.outs, this.replayAt(x, true).val);
    return (this.opts.checkNaN ? this.checked(x, y) : y) as OutputOf<Y>;
  }

  /**
   * The gradient of scalar f at x, by a forward replay and a reverse sweep (one Wasm call); written into `out` when given.
   * @example
   * ```ts
   * const c = ad.compile((v: ad.Tensor) => v.at(0).mul(v.at(1)), [1, 1]);
   * const g = new Float64Array(2);
   * c.grad([2, 3], g); // → [3, 2] — written into g: a training loop allocates nothing
   * ```
   */
  grad(x: InputOf<H>, out?: GradOf<H>): GradOf<H> {
    const r = this.gradientAt(x);
    if (!r) return zeroGradients(this.inputs) as GradOf<H>;
    const g = out === undefined ? readGradients(r, this.inputs) : writeGradients(r, this.inputs, out, "out");
    return (this.opts.checkNaN ? this.checked(x, g, this.outputValue()) : g) as GradOf<H>;
  }

  /**
   * [f(x), gradient] for scalar f; the gradient written into `out` when given.
   * @example
   * ```ts
   * const c = ad.compile((v: ad.Tensor) => v.at(0).mul(v.at(1)), [1, 1]);
   * c.valueAndGrad([2, 3]); // → [6, [3, 2]]
   * ```
   */
  valueAndGrad(x: InputOf<H>, out?: GradOf<H>): [number, GradOf<H>] {
    const r = this.gradientAt(x);
    if (!r) return [scalarOf(this.like), zeroGradients(this.inputs) as GradOf<H>];
    const g = out === undefined ? readGradients(r, this.inputs) : writeGradients(r, this.inputs, out, "out");
    const value = this.outputValue();
    return [value, (this.opts.checkNaN ? this.checked(x, g, value) : g) as GradOf<H>];
  }

  /**
   * ctᵀ·∂f/∂x at x, with ct shaped like f(x).
   * @example
   * ```ts
   * const c = ad.compile((v: ad.Tensor) => [v.at(0).mul(v.at(1)), v.at(0)], [1, 1]);
   * c.vjp([2, 3], [1, 10]); // → [13, 2]
   * ```
   */
  vjp(x: InputOf<H>, ct: CotangentOf<Y>): GradOf<H> {
    const seeds: number[] = [];
    flattenCotangent(ct, this.like, "ct", seeds);
    return pullSeeds(this.replayAt(x), this.inputs, this.outs, seeds, this.hooks) as GradOf<H>;
  }

  /**
   * [f(x), ∂f/∂x·v], by one forward replay that carries the tangent.
   * @example
   * ```ts
   * const c = ad.compile((v: ad.Tensor) => v.at(0).mul(v.at(1)), [1, 1]);
   * c.jvp([2, 3], [1, 0]); // → [6, 3]
   * ```
   */
  jvp(x: InputOf<H>, v: InputOf<H>): [OutputOf<Y>, OutputOf<Y>] {
    let dot: Float64Array = new Float64Array(0);
    const r = this.run(x, (r) => {
      const s = tangents(r, this.n, 1);
      dot = s.dot;
      writeLeaves(dot, this.inputs, v, "v", s.arena);
      if (!r.kernels) return r.e.replayTangent(r.ptr, this.n, s.ptr, this.guards, this.ng);
      // Tensor ops: a replay, then a tangent sweep.
      const flipped = r.e.replay(r.ptr, this.n, this.guards, this.ng);
      if (flipped < 0) sweepTangents(r, this.n, 1, s);
      return flipped;
    });
    return [fillLike(this.like, this.outs, r.val) as OutputOf<Y>, fillLike(this.like, this.outs, dot, 0) as OutputOf<Y>];
  }

  /**
   * f's Jacobian at x, by forward mode when inputs ≤ outputs, else by reverse mode.
   * @example
   * ```ts
   * const c = ad.compile((v: ad.Tensor) => [v.at(0).mul(v.at(1)), v.at(0).sin()], [1, 1]);
   * c.jacobian([2, 3]).data; // → [3, 2, Math.cos(2), 0]
   * ```
   */
  jacobian(x: InputOf<H>): Jacobian {
    return pickJacobian(this.replayAt(x), this.n, this.inputs, this.outs, this.hooks);
  }

  /**
   * H·v for scalar f at x, by forward-over-reverse on the replayed tape.
   * @example
   * ```ts
   * const c = ad.compile((v: ad.Tensor) => v.at(0).mul(v.at(0)).mul(v.at(1)), [1, 1]); // x²y
   * c.hvp([1, 2], [1, 0]); // → [4, 2]
   * ```
   */
  hvp(x: InputOf<H>, v: InputOf<H>): GradOf<H> {
    if (this.scalarOut() < 0) {
      this.replayAt(x);
      return zeroGradients(this.inputs) as GradOf<H>;
    }
    const r = this.run(x, (r) => sweepHvp(r, this.n, this.outs[0], (tan, arena) => writeLeaves(tan, this.inputs, v, "v", arena), this.guards, this.ng));
    return readGradients(hvpResult(r, this.n), this.inputs) as GradOf<H>;
  }

  /**
   * The Hessian of scalar f at x over the inputs in tree order.
   * @example
   * ```ts
   * const c = ad.compile((v: ad.Tensor) => v.at(0).mul(v.at(0)).mul(v.at(1)), [1, 1]); // x²y
   * c.hessian([1, 2]).data; // → [4, 2, 2, 0]
   * ```
   */
  hessian(x: InputOf<H>): Jacobian {
    const out = this.scalarOut();
    return hessianOf(this.replayAt(x), this.n, this.inputs, out);
  }

  /** Nodes, bytes, guards, re-recordings so far, and whether every call re-records (f read `.value`). */
  get stats(): CompiledStats {
    const r = this.live();
    const nodeBytes = (r.e.NODE_BYTES as WebAssembly.Global).value + 8;
    const bytes = r.cap * nodeBytes + r.arenaBytes() + this.ng * GUARD_BYTES;
    return { nodes: this.n, bytes, guards: this.ng, rerecords: this.rerecords, recordEveryCall: this.everyCall, fused: this.fusion?.ids.length ?? 0 };
  }

  /**
   * Frees the tape and guard list; the compiled function cannot be called afterwards.
   * @example
   * ```ts
   * const c = ad.compile((x: ad.Scalar) => x.square(), 1);
   * c.grad(3); // → 6
   * c.dispose(); // its memory is free; calling c again throws an AdError (code DISPOSED)
   * ```
   */
  dispose(): void {
    const r = this.region;
    if (!r) return;
    this.region = undefined;
    this.unfuse();
    if (this.guards) r.e.memFree(this.guards, this.ng * GUARD_BYTES);
    r.free();
  }

  /** For `checkNaN`: a NaN in `result` (a value, or a gradient with the scalar `value`) makes f recorded afresh at x
   * under grad's checkNaN, which throws the NaNError naming the op; otherwise returns `result`. */
  private checked(x: unknown, result: unknown, value?: number): unknown {
    if (!Number.isNaN(value) && nanPath(result) === undefined) return result;
    const { pullback } = linearize(this.f as (h: never) => unknown, x, false, true);
    if (value !== undefined) pullback(1);
    throw new NaNError("unknown", -1, "a compiled replay gave NaN where f recorded afresh at the same input gives none; please report it");
  }

  private live(): Region {
    if (!this.region) throw new AdError("DISPOSED", "this compiled function was disposed");
    return this.region;
  }

  /** Records f at x onto the tape (again): inputs, outputs, guards. */
  private record(x: unknown): void {
    withRecording(
      this.f as (h: never) => unknown,
      x,
      ({ t, inputs, like, outs }) => {
        this.inputs = inputs;
        this.like = like;
        this.outs = outs;
        this.n = t.n;
        this.hooks = t.customs;
        this.setGuards(t);
        this.rerecords++;
        if (t.hasCustom) this.everyCall = true; // a custom rule's values come from JS: no replay can recompute them
        this.plan(t);
        if (t.readsValue && !this.everyCall) {
          this.everyCall = true;
          console.warn(
            "adtape compile(): f read .value while recording (or a grad nested in f met a zero adjoint times an " +
              "infinite partial, which it leaves out), so it may branch where no guard can see it; " +
              "it will be re-recorded on every call (correct, but no faster than grad). To replay it, branch with " +
              "adtape's comparisons (lt, le, gt, ge, eq) or select with where(mask, a, b).",
          );
        }
      },
      false,
      this.live(),
    );
  }

  /** Plans the adjoints and, unless f is recorded on every call, fuses what it can into generated loops. */
  private plan(t: Trace): void {
    this.unfuse();
    const groups = this.everyCall || t.readsValue ? [] : findGroups(t);
    const zero = planAdjoints(t);
    if (!zero || !groups.length) return;
    const ids = groups.map((g) => emitGroup(t, g));
    // NOTE: all or none: the fused zero list leaves out every group's internal results and the ranges it writes whole.
    if (ids.includes(-1)) return ids.filter((id) => id >= 0).forEach(releaseLoop);
    const skip = new Set([...internalResults(groups), ...groups.flatMap((g) => g.owned.map(([off]) => off))]);
    const fused = zeroListOf(t, zero.zeroed.filter(([off]) => !skip.has(off)));
    const words = [groups.length, ...groups.flatMap((g, k) => [g.first, g.last, ids[k]])];
    const list = t.metaUsed;
    t.region.reserveArena(t.tvUsed, t.trUsed, list + words.length, 0);
    t.region.meta.set(words, list);
    t.metaUsed = list + words.length;
    this.fusion = { ids, list, plain: zero.plain, fused };
  }

  /** Releases the generated loops of the last recording. */
  private unfuse(): void {
    this.fusion?.ids.forEach(releaseLoop);
    this.fusion = undefined;
  }

  /** Points the tape at its fused loops and their zero list (`fused`), or at the kernels and the plain list. */
  private useFusion(r: Region, fused: boolean): void {
    const f = this.fusion;
    if (!f) return;
    r.hdr[H_FUSE] = fused ? f.list + 1 : 0;
    r.zeroList(...(fused ? f.fused : f.plain));
  }

  /** Lists the guards in tape order — the comparisons f made, and every branching op — with their keys. */
  private setGuards(t: Trace): void {
    const e = t.e;
    const nodes = t.guards.slice();
    for (let i = 1; i < t.n; i++) if (branches[t.op[i]]) nodes.push(i);
    nodes.sort((p, q) => p - q);
    if (this.guards) e.memFree(this.guards, this.ng * GUARD_BYTES);
    this.guards = 0;
    this.ng = 0;
    if (!nodes.length) return;
    const ptr = e.memAlloc(nodes.length * GUARD_BYTES);
    if (!ptr) throw new AdError("OUT_OF_MEMORY", "no memory left for the compiled tape's guard list");
    const list = new Float64Array(e.memory.buffer, ptr, 2 * nodes.length);
    nodes.forEach((node, g) => (list[2 * g] = node));
    e.recordGuards(t.region.ptr, ptr, nodes.length);
    this.guards = ptr;
    this.ng = nodes.length;
  }

  /** Writes x into the tape and runs `sweep` (on the fused loops when `fused`); a flipped guard re-records at x
   * (or throws, by the policy). */
  private run(x: unknown, sweep: (r: Region) => number, fused = false): Region {
    for (let attempt = 0; ; attempt++) {
      if (this.everyCall) this.record(x);
      const r = this.live();
      writeLeaves(r.pre, this.inputs, x, "x", r.tv);
      this.useFusion(r, fused);
      const flipped = sweep(r);
      if (flipped < 0) return r;
      const node = new Float64Array(r.e.memory.buffer, this.guards, 2 * this.ng)[2 * flipped];
      if (this.opts.onBranchChange === "throw") throw new BranchChanged(flipped, opName[r.op[node]] ?? "?");
      if (attempt > 0) throw new AdError("UNSTABLE", "f took another branch at the very input it was just recorded at; is f deterministic?");
      this.record(x);
    }
  }

  /** A forward replay at x (guards checked): every value and partial computed (only what escapes a fused group
   * when `fused`, for callers that read outputs alone). */
  private replayAt(x: unknown, fused = false): Region {
    return this.run(x, (r) => r.e.replay(r.ptr, this.n, this.guards, this.ng), fused);
  }

  /** The scalar output's node (-1 for a constant), or an OutputError when f is not scalar. */
  private scalarOut(): number {
    if (this.outs.length !== 1) throw new OutputError(`this needs a scalar output; f returned ${this.outs.length} values`);
    return this.outs[0];
  }

  /** Replays and sweeps the gradient of the scalar output; undefined when f returned a constant. */
  private gradientAt(x: unknown): Region | undefined {
    if (this.scalarOut() < 0) {
      this.replayAt(x);
      return undefined;
    }
    if (this.hooks.length) {
      // A customVjp's bwd must see the real cotangent: replay, then sweep in segments around it.
      const r = this.replayAt(x);
      const value = r.val[this.outs[0]];
      r.e.clearAdjoints(r.ptr, this.n); // every node: an input recorded after the output is not swept
      r.adj[this.outs[0]] = 1;
      reverseWithHooks(r, this.outs[0], this.hooks);
      this.valueView = Float64Array.of(value);
      return r;
    }
    const sweep = (r: Region) => r.e.replayGradient(r.ptr, this.n, this.guards, this.ng, this.outs[0], r.e.rowScratch());
    if (!this.fusion) return this.run(x, sweep);
    takeFusedNaN();
    const r = this.run(x, sweep, true);
    // A NaN or ∞ met in a fused loop may be a 0·∞ the kernels count as 0: sweep again with the kernels.
    return takeFusedNaN() ? this.run(x, sweep) : r;
  }

  /** The output value `replayGradient` saved before the sweep overwrote values with adjoints. */
  private outputValue(): number {
    const e = this.live().e;
    if (this.hooks.length) return this.valueView[0];
    if (this.valueView.length === 0 || this.valueView.buffer !== e.memory.buffer) this.valueView = new Float64Array(e.memory.buffer, e.rowScratch(), 1);
    return this.valueView[0];
  }
}

/**
 * Records f once at x0 and returns a `Compiled` that replays it at new inputs of the same structure.
 * @example
 * ```ts
 * const loss = ad.compile((v: ad.Tensor) => v.at(0).square().add(v.at(1).square()), new Float64Array(2));
 * const x = Float64Array.of(1, 2), g = new Float64Array(2);
 * for (let step = 0; step < 100; step++) { loss.grad(x, g); for (let i = 0; i < 2; i++) x[i] -= 0.1 * g[i]; }
 * loss.value(x); // → ≈ 0
 * loss.dispose();
 * ```
 */
export function compile<H, Y>(f: (x: H) => Y, x0: InputOf<H>, opts?: CompileOptions): Compiled<H, Y> {
  return new Compiled(f, x0, opts);
}

/** Copies the input adjoints into `out` (same structure as the gradient): vectors in place, numbers into their parent. */
function writeGradients(r: Region, h: HandleTree, out: unknown, path: string): unknown {
  if (h instanceof Scalar) return r.adj[h.idx];
  if (h instanceof Tensor) {
    const data = h.structured ? (out as { data?: unknown } | undefined)?.data : out;
    if (!(data instanceof Float64Array) || data.length !== h.size) throw new InputError(`expected ${h.structured ? "a tensor whose data is " : ""}a Float64Array of length ${h.size}`, path);
    data.set(inputSlice(r, h));
    return out;
  }
  if (typeof out !== "object" || out === null) throw new InputError(`expected ${Array.isArray(h) ? "an array" : "an object"} shaped like the gradient`, path);
  const o = out as Record<string, unknown>;
  for (const k of Object.keys(h)) o[k] = writeGradients(r, (h as Record<string, HandleTree>)[k], o[k], `${path}.${k}`);
  return out;
}

/** The number a scalar output's plain value stands for (a 0-d tensor's TensorData holds one). */
function scalarOf(like: unknown): number {
  return typeof like === "number" ? like : (like as { data: Float64Array }).data[0];
}
