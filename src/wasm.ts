/** @file Loads the embedded Wasm engine (async everywhere, sync in Node) and keeps JS views valid after memory grows. */
import { wasmBase64 } from "./wasm-bytes.js";
import { AdError } from "./errors.js";

/** The engine's exports (assembly/index.ts), typed. */
export interface Engine {
  memory: WebAssembly.Memory;
  tapeNew(cap: number, compiled: number): number;
  tapeResize(tape: number, cap: number): number;
  tapeFree(tape: number): void;
  setLimit(bytes: number): void;
  compute(tape: number, from: number, to: number): void;
  clearAdjoints(tape: number, n: number): void;
  reverse(tape: number, top: number): void;
  reverseRange(tape: number, top: number, stop: number): void;
  replay(tape: number, n: number, guards: number, ng: number): number;
  replayGradient(tape: number, n: number, guards: number, ng: number, out: number, outValue: number): number;
  recordGuards(tape: number, guards: number, ng: number): void;
  tangent(tape: number, n: number, k: number, dot: number, arena: number): void;
  replayTangent(tape: number, n: number, dot: number, guards: number, ng: number): number;
  hvp(tape: number, n: number, out: number, scratch: number, guards: number, ng: number): number;
  arenaReserve(tape: number, vals: number, res: number, metas: number, scratch: number): number;
  gemmScratchBytes(m: number, k: number, n: number, transA: number, transB: number): number;
  linalgScratchBytes(n: number, nrhs: number, second: number): number;
  memAlloc(bytes: number): number;
  memFree(ptr: number, bytes: number): void;
  evalRow(op: number, x: number, y: number): void;
  rowScratch(): number;
  memInUse(): number;
  memHighWater(): number;
  [name: string]: unknown;
}

/** The live engine; undefined until `init`/`initSync` (or first use in Node). */
export let engine: Engine | undefined;

const onLoad: Array<(e: Engine) => void> = [];
const onGrow = new Set<() => void>();
let buffer: ArrayBuffer | undefined;

/** Registers a check or set-up step to run once the engine is loaded (the op-code match, for one). */
export function whenLoaded(fn: (e: Engine) => void): void {
  onLoad.push(fn);
  if (engine) fn(engine);
}

/** A generated loop pair (src/tensor/loops.ts): forward and backward over the arenas V and G (byte addresses); the
 * backward returns nonzero when a contribution came out NaN or infinite. */
export interface FusedLoop {
  forward(v: number, g: number): void;
  backward(v: number, g: number): number;
}
const loops: (FusedLoop | undefined)[] = [];
const freeIds: number[] = [];
let fusedNaN = false;

/** Whether a fused backward loop met a NaN or ∞ since the last call (then the gradient is swept again unfused). */
export function takeFusedNaN(): boolean {
  const seen = fusedNaN;
  fusedNaN = false;
  return seen;
}

/** Registers a generated loop pair; returns the id the sweeps call it by. */
export function registerLoop(loop: FusedLoop): number {
  const id = freeIds.length ? freeIds.pop()! : loops.length;
  loops[id] = loop;
  return id;
}

/** Forgets a loop pair (its tape was re-recorded or disposed). */
export function releaseLoop(id: number): void {
  loops[id] = undefined;
  freeIds.push(id);
}

/** The engine's imports: the sweeps call generated loops through `fusedRun`. */
const imports = {
  env: {
    fusedRun(id: number, backward: number, v: number, g: number): void {
      const loop = loops[id]!;
      if (!backward) loop.forward(v, g);
      else if (loop.backward(v, g)) fusedNaN = true;
    },
  },
};

function bytes(): Uint8Array {
  const s = atob(wasmBase64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function start(instance: WebAssembly.Instance): Engine {
  const e = instance.exports as unknown as Engine;
  buffer = e.memory.buffer;
  engine = e;
  for (const fn of onLoad) fn(e);
  return e;
}

/**
 * Compiles and instantiates the engine synchronously (Node, workers; browsers allow it for small modules).
 * @example
 * ```ts
 * ad.initSync(); // no await; a no-op once loaded
 * ```
 */
export function initSync(): void {
  if (engine) return;
  start(new WebAssembly.Instance(new WebAssembly.Module(bytes() as BufferSource), imports));
}

/**
 * Compiles and instantiates the engine; works in Node and in browsers.
 * @example
 * ```ts
 * await ad.init(); // required once in a browser; optional in Node, which loads on first use
 * ```
 */
export async function init(): Promise<void> {
  if (engine) return;
  const { instance } = await WebAssembly.instantiate(bytes() as BufferSource, imports);
  if (!engine) start(instance);
}

const isNode = typeof process === "object" && typeof process.versions?.node === "string";

/** Returns the engine, loading it synchronously in Node; in a browser, an uninitialised engine is an error. */
export function need(): Engine {
  if (engine) return engine;
  if (!isNode) throw new AdError("NOT_INITIALISED", "adtape is not initialised: call `await init()` first");
  initSync();
  return engine!;
}

/** Registers a callback that re-creates views when linear memory grows (their buffer detaches). */
export function watchViews(renew: () => void): void {
  onGrow.add(renew);
}

/** Stops renewing a holder's views (its tape was freed). */
export function unwatchViews(renew: () => void): void {
  onGrow.delete(renew);
}

/** Call after any engine call that may grow memory: renews every registered view if the buffer changed. */
export function checkGrown(): void {
  const b = engine!.memory.buffer;
  if (b === buffer) return;
  buffer = b;
  for (const renew of onGrow) renew();
}
