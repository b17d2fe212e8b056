/** @file Stress: 10⁶ eager grad calls and 10⁶ compiled replays keep Wasm memory, tape bytes and the JS heap flat; a small memory limit ends in OutOfMemoryError and the next call works; deep chains (10⁷ steps for grad, 10⁵ for hessian) against closed forms computed in plain JS. */
import { describe, it, expect } from "vitest";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import * as ad from "../src/index.js";

// `gc` without starting the worker with --expose-gc: set the flag, then fetch gc from a fresh context.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const CALLS = 1_000_000;
const EVERY = 100_000;
const WARMUP = 20_000;
const MB = 2 ** 20;

/** One checkpoint: Wasm memory, tape bytes in use and high-water, and the JS heap after a full GC. */
interface Sample {
  calls: number;
  wasm: number;
  tape: number;
  high: number;
  heap: number;
}

function sample(calls: number): Sample {
  gc();
  gc();
  const s = ad.memoryStats();
  return { calls, wasm: s.wasmBytes, tape: s.bytesInUse, high: s.highWater, heap: process.memoryUsage().heapUsed };
}

/** Runs `call` 10⁶ times after a warm-up, sampling every 10⁵ calls; prints the samples as a table. */
function measure(label: string, call: () => void): { points: Sample[]; ms: number } {
  for (let i = 0; i < WARMUP; i++) call();
  const points = [sample(0)];
  const t0 = performance.now();
  for (let done = 0; done < CALLS; ) {
    for (let i = 0; i < EVERY; i++) call();
    done += EVERY;
    points.push(sample(done));
  }
  const ms = performance.now() - t0;
  const rows = points.map((p) => ({
    calls: p.calls,
    "wasm bytes": p.wasm,
    "tape bytes": p.tape,
    "tape high-water": p.high,
    "heapUsed (MB)": +(p.heap / MB).toFixed(3),
    "heap Δ (KB)": +((p.heap - points[0].heap) / 1024).toFixed(1),
  }));
  console.log(`${label}: ${CALLS} calls in ${ms.toFixed(0)} ms (${((ms * 1e3) / CALLS).toFixed(2)} µs/call, gc time excluded)`);
  console.table(rows);
  return { points, ms };
}

/** Wasm memory and tape bytes identical at every checkpoint after warm-up; heap growth under 1 MB. */
function expectFlat(points: Sample[]): void {
  const [first, ...rest] = points;
  expect(rest).toHaveLength(CALLS / EVERY);
  for (const p of rest) {
    expect(p.wasm).toBe(first.wasm);
    expect(p.tape).toBe(first.tape);
    expect(p.high).toBe(first.high);
  }
  // A leak of one 16-byte object per call would add 16 MB over 10⁶ calls.
  expect(Math.max(...rest.map((p) => p.heap)) - first.heap).toBeLessThan(1 * MB);
}

// A few-op scalar function of a 2-vector and the lesson's classifier cost, sigmoid(W·X) against ±1 labels
// (X 2×16 here: the shape of the lesson's data with fewer samples, so 10⁶ calls take seconds).
const scalarF = (v: ad.Tensor) => ad.add(ad.mul(ad.sin(v.at(0)), v.at(1)), ad.square(ad.sub(v.at(0), ad.exp(v.at(1)))));
const scalarGrad = (x: Float64Array) => {
  const [a, b] = x;
  const s = a - Math.exp(b);
  return [Math.cos(a) * b + 2 * s, Math.sin(a) - 2 * s * Math.exp(b)];
};
const N = 16;
const xs = Float64Array.from({ length: 2 * N }, (_, i) => Math.sin(12.9898 * i + 1));
const X = ad.tensor(xs, [2, N]);
const Y = ad.tensor(xs.map(Math.sign), [2, N]);
const cost = (W: ad.Tensor<"nd">) => W.matmul(X).sigmoid().sub(Y).square().sum();

/** The classifier cost's gradient in plain JS: Σ 2(σ(z) − y)σ(z)(1 − σ(z)) · x. */
function costGrad(W: Float64Array): number[] {
  const g = [0, 0, 0, 0];
  for (let r = 0; r < 2; r++)
    for (let j = 0; j < N; j++) {
      const z = W[2 * r] * xs[j] + W[2 * r + 1] * xs[N + j];
      const s = 1 / (1 + Math.exp(-z));
      const d = 2 * (s - Math.sign(xs[r * N + j])) * s * (1 - s);
      g[2 * r] += d * xs[j];
      g[2 * r + 1] += d * xs[N + j];
    }
  return g;
}

describe("constant memory over 10⁶ calls", () => {
  it("eager ad.grad of a few-op scalar function", () => {
    const g = ad.grad(scalarF);
    const x = new Float64Array([0.3, 0.7]);
    let last: Float64Array = new Float64Array(2);
    const { points } = measure("ad.grad, scalar f", () => void (last = g(x)));
    expect(last).toBeAllclose(scalarGrad(x), { rtol: 1e-14 });
    expectFlat(points);
  });

  it("compiled replays of the same function into a preallocated out", () => {
    const x = new Float64Array([0.3, 0.7]);
    const out = new Float64Array(2);
    const c = ad.compile(scalarF, x);
    const { points } = measure("compile(f).grad(x, out), scalar f", () => void c.grad(x, out));
    expect(out).toBeAllclose(scalarGrad(x), { rtol: 1e-14 });
    c.dispose();
    expectFlat(points);
  });

  it("eager ad.grad of the lesson's classifier cost (tensor ops)", () => {
    const W = ad.tensor([[0.5, 0.5], [-0.5, 0.5]]);
    const g = ad.grad(cost);
    let last = W;
    const { points } = measure("ad.grad, classifier cost", () => void (last = g(W)));
    expect(last.data).toBeAllclose(costGrad(W.data), { rtol: 1e-12 });
    expectFlat(points);
  });

  it("compiled replays of the classifier cost into a preallocated out", () => {
    const W = ad.tensor([[0.5, 0.5], [-0.5, 0.5]]);
    const out = ad.tensor(new Float64Array(4), [2, 2]);
    const c = ad.compile(cost, W);
    const { points } = measure("compile(cost).grad(W, out), classifier", () => void c.grad(W, out));
    expect(out.data).toBeAllclose(costGrad(W.data), { rtol: 1e-12 });
    c.dispose();
    expectFlat(points);
  });
});

describe("the memory limit", () => {
  it("a tape over a small limit ends in OutOfMemoryError; the next normal call works", () => {
    const chain = (n: number) => (x: ad.Scalar) => {
      for (let k = 0; k < n; k++) x = x.mul(1.0000001).add(1e-9);
      return x;
    };
    ad.grad(chain(10))(1); // the level-0 tape exists before the limit is set
    const before = ad.memoryStats();
    ad.setMemoryLimit(before.bytesInUse + 4 * MB); // room for ≈ 100 000 more nodes
    try {
      let caught: unknown;
      try {
        ad.grad(chain(1_000_000))(1); // 2·10⁶ nodes, 66 MB
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(ad.OutOfMemoryError);
      expect((caught as ad.OutOfMemoryError).limitBytes).toBe(before.bytesInUse + 4 * MB);
      // The same limit still serves a call that fits, scalar and tensor.
      expect(ad.grad(chain(3))(1)).toBeAllclose(1.0000001 ** 3, { rtol: 1e-15 });
      expect(ad.grad((v: ad.Tensor) => v.mul(v).sum())([1, 2, 3])).toBeAllclose([2, 4, 6]);
      const after = ad.memoryStats();
      expect(after.bytesInUse).toBeLessThanOrEqual(before.bytesInUse + 4 * MB);
      expect(after.highWater).toBeLessThanOrEqual(before.bytesInUse + 4 * MB);
    } finally {
      ad.setMemoryLimit(2 ** 31);
    }
    expect(ad.grad(chain(2))(1)).toBeAllclose(1.0000001 ** 2, { rtol: 1e-15 });
  });
});

describe("deep chains", () => {
  // x ← x + h·sin(x): three nodes a step (sin, mul by h, add); dx/dx₀ = Π (1 + h cos xₖ) stays O(1)
  // (x runs from 1 towards π as the flow ẋ = sin x for time h·steps), so nothing under- or overflows.
  const chain = (steps: number, h: number) => (x: ad.Scalar) => {
    for (let k = 0; k < steps; k++) x = x.add(x.sin().mul(h));
    return x;
  };

  it("grad through 10⁷ steps (3·10⁷ nodes) matches the product of local derivatives", () => {
    const steps = 10_000_000, h = 3e-7;
    const t0 = performance.now();
    const [value, g] = ad.valueAndGrad(chain(steps, h))(1);
    const ms = performance.now() - t0;
    const stats = ad.memoryStats();
    let x = 1, d = 1;
    for (let k = 0; k < steps; k++) {
      d *= 1 + h * Math.cos(x);
      x += h * Math.sin(x);
    }
    console.log(
      `grad, ${steps} steps (${stats.maxNodes} nodes): ${ms.toFixed(0)} ms, ${((ms * 1e6) / stats.maxNodes).toFixed(0)} ns/node; ` +
        `tape ${(stats.bytesInUse / MB).toFixed(0)} MB in use (${stats.bytesPerNode.toFixed(2)} B/node), ` +
        `high-water ${(stats.highWater / MB).toFixed(0)} MB (${(stats.highWater / stats.maxNodes).toFixed(2)} B/node), Wasm ${stats.wasmBytes / MB} MB`,
    );
    expect(stats.maxNodes).toBeGreaterThanOrEqual(3 * steps);
    // Rounding of 10⁷ steps (and AssemblyScript's sin against V8's) drifts by ~1e-13; the gradient is 0.2148….
    expect(value).toBeAllclose(x, { rtol: 1e-10 });
    expect(g).toBeAllclose(d, { rtol: 1e-10 });
  });

  it("hessian through 10⁵ steps matches value, first and second derivative propagated in plain JS", () => {
    const steps = 100_000, h = 3e-5;
    const t0 = performance.now();
    const H = ad.hessian((v: ad.Tensor) => chain(steps, h)(v.at(0)))([1]);
    const ms = performance.now() - t0;
    // x' = x + h sin x: d' = d(1 + h cos x), s' = s(1 + h cos x) − h sin x · d².
    let x = 1, d = 1, s = 0;
    for (let k = 0; k < steps; k++) {
      const c = 1 + h * Math.cos(x);
      s = s * c - h * Math.sin(x) * d * d;
      d *= c;
      x += h * Math.sin(x);
    }
    console.log(`hessian, ${steps} steps (${3 * steps} nodes): ${ms.toFixed(0)} ms; d²x/dx₀² = ${H.data[0]} (plain JS ${s})`);
    expect(H.rows).toBe(1);
    expect(H.data[0]).toBeAllclose(s, { rtol: 1e-10 });
  });
});
