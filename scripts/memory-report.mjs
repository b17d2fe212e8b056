// Memory figures for the README: Wasm memory, tape bytes and the JS heap (after a full GC) across 10⁶ eager grad
// calls and 10⁶ compiled replays of a small function, then bytes per tape node and the peak on a 10⁶-step chain.
//
//   npm run build && node --expose-gc scripts/memory-report.mjs
//
// Imports the built package (dist/); prints markdown tables.
import { existsSync } from "node:fs";

const dist = new URL("../dist/index.js", import.meta.url);
if (!existsSync(dist)) {
  console.error("dist/ is missing: run `npm run build` first, then `node --expose-gc scripts/memory-report.mjs`.");
  process.exit(1);
}
if (typeof globalThis.gc !== "function") {
  console.error("run with `node --expose-gc scripts/memory-report.mjs` (the heap is measured after a full GC).");
  process.exit(1);
}
const ad = await import(dist.href);

const CALLS = 1_000_000, EVERY = 100_000, WARMUP = 20_000;
const kb = (b) => (b / 1024).toFixed(1);
const mb = (b) => (b / 2 ** 20).toFixed(2);

function sample() {
  gc();
  gc();
  const s = ad.memoryStats();
  return { wasm: s.wasmBytes, tape: s.bytesInUse, high: s.highWater, heap: process.memoryUsage().heapUsed };
}

/** 10⁶ calls after warm-up, sampled every 10⁵: the figures after warm-up and after the last call, and the spread. */
function measure(label, call) {
  for (let i = 0; i < WARMUP; i++) call();
  const points = [sample()];
  const t0 = performance.now();
  for (let done = 0; done < CALLS; done += EVERY) {
    for (let i = 0; i < EVERY; i++) call();
    points.push(sample());
  }
  const us = ((performance.now() - t0) * 1e3) / CALLS;
  const [first, last] = [points[0], points.at(-1)];
  const spread = (k) => Math.max(...points.map((p) => p[k])) - Math.min(...points.map((p) => p[k]));
  return {
    label,
    us,
    row: `| ${label} | ${first.wasm} → ${last.wasm} | ${first.tape} → ${last.tape} | ${first.high} → ${last.high} | ` +
      `${mb(first.heap)} → ${mb(last.heap)} (max Δ ${kb(Math.max(...points.map((p) => p.heap)) - first.heap)} KB) | ${spread("wasm") + spread("tape") === 0 ? "yes" : "**no**"} | ${us.toFixed(2)} |`,
  };
}

// A few-op scalar function, and the lesson's classifier cost with 16 samples (tensor ops).
const scalarF = (v) => ad.add(ad.mul(ad.sin(v.at(0)), v.at(1)), ad.square(ad.sub(v.at(0), ad.exp(v.at(1)))));
const N = 16, xs = Float64Array.from({ length: 2 * N }, (_, i) => Math.sin(12.9898 * i + 1));
const X = ad.tensor(xs, [2, N]), Y = ad.tensor(xs.map(Math.sign), [2, N]);
const cost = (W) => W.matmul(X).sigmoid().sub(Y).square().sum();

const x = new Float64Array([0.3, 0.7]), out = new Float64Array(2);
const W = ad.tensor([[0.5, 0.5], [-0.5, 0.5]]), gW = ad.tensor(new Float64Array(4), [2, 2]);
const g = ad.grad(scalarF), gc2 = ad.grad(cost);
const cs = ad.compile(scalarF, x), cc = ad.compile(cost, W);
const rows = [
  measure("`ad.grad`, scalar f (5 ops)", () => g(x)),
  measure("`compile(f).grad(x, out)`, scalar f", () => cs.grad(x, out)),
  measure("`ad.grad`, classifier cost (2×16)", () => gc2(W)),
  measure("`compile(cost).grad(W, out)`, classifier", () => cc.grad(W, gW)),
];
console.log(`\n### 10⁶ calls after ${WARMUP} warm-up calls (sampled every 10⁵; heap after a full GC)\n`);
console.log("| calls of | Wasm bytes | tape bytes in use | tape high-water | heapUsed (MB) | flat | µs/call |");
console.log("|---|---|---|---|---|---|---|");
for (const r of rows) console.log(r.row);
cs.dispose();
cc.dispose();

// Bytes per node: one chain of 10⁶ steps (3·10⁶ scalar nodes) on a fresh-sized tape, then a replay of its size.
const steps = 1_000_000;
const chain = (s) => {
  for (let k = 0; k < steps; k++) s = s.add(s.sin().mul(1e-6));
  return s;
};
const before = ad.memoryStats();
let t0 = performance.now();
ad.grad(chain)(1);
const firstMs = performance.now() - t0;
const first = ad.memoryStats();
t0 = performance.now();
ad.grad(chain)(1);
const againMs = performance.now() - t0;
const again = ad.memoryStats();
const nodes = first.maxNodes;
console.log(`\n### One tape of ${nodes} scalar nodes (x ← x + 10⁻⁶·sin x, 10⁶ steps)\n`);
console.log("| | value |");
console.log("|---|---|");
console.log(`| bytes of one node record | ${first.recordBytes} |`);
console.log(`| tape bytes in use ÷ nodes | ${((first.bytesInUse - before.bytesInUse) / nodes).toFixed(2)} |`);
console.log(`| peak (high-water) ÷ nodes, first call | ${((first.highWater - before.bytesInUse) / nodes).toFixed(2)} |`);
console.log(`| tape bytes in use | ${mb(first.bytesInUse)} MB |`);
console.log(`| peak tape bytes (high-water) | ${mb(first.highWater)} MB |`);
console.log(`| Wasm memory | ${mb(first.wasmBytes)} MB |`);
console.log(`| second call of the same size: new tape bytes, Wasm growth | ${again.bytesInUse - first.bytesInUse}, ${again.wasmBytes - first.wasmBytes} |`);
console.log(`| time, first call / second call | ${firstMs.toFixed(0)} ms / ${againMs.toFixed(0)} ms |`);
