// The engine's own speed on a ≥ 10⁶-node tape: the reverse sweep alone, batch compute alone, and a
// whole eager `grad` (record + compute + sweep), as medians from tinybench; plus bytes per tape node
// (peak bytes in use ÷ nodes). Workload: extended Rosenbrock in scalar-loop form (DESIGN.md W3, bench/workloads.mjs).
// Run: npm run bench   (these machines are shared and noisy: read the ratios, not absolute times)
import { Bench } from "tinybench";
import * as ad from "../dist/index.js";
import { Trace } from "../dist/trace.js";
import { rosenbrock as rosen } from "./workloads.mjs";

const n = Number(process.env.SWEEP_N ?? 250_000);
const x0 = Float64Array.from({ length: n }, (_, i) => 1.5 * Math.sin(i + 1));
const grad = ad.grad(rosen);
const options = { time: 2000, warmupTime: 300 };

const eager = new Bench(options).add("eager grad (record + compute + sweep)", () => grad(x0));
await eager.run();
const stats = ad.memoryStats(); // after warm-up: the tape region has settled at its high-water mark

// Keep one recorded tape open to time the sweeps alone.
const t = Trace.begin();
const inputs = Array.from({ length: n }, (_, i) => new ad.Scalar(t, t.leaf(x0[i], true)));
const out = rosen({ length: n, at: (i) => inputs[i] }).idx;
t.flush();
const { e } = t, ptr = t.region.ptr, nodes = t.n;
const sweeps = new Bench(options)
  .add("reverse sweep", () => { e.clearAdjoints(ptr, out + 1); t.adj[out] = 1; e.reverse(ptr, out); })
  .add("compute (values + partials)", () => e.compute(ptr, 1, nodes));
await sweeps.run();
t.end();

console.log(`extended Rosenbrock, n = ${n}: ${nodes} nodes on the tape\n`);
console.table(
  [...sweeps.tasks, ...eager.tasks].map((task) => {
    const ms = task.result.latency.p50;
    return { task: task.name, "median ms": ms.toFixed(3), "ns / node": ((ms * 1e6) / nodes).toFixed(2), "nodes / s": (nodes / (ms / 1000)).toExponential(2) };
  }),
);
console.log(`bytes per node: ${stats.recordBytes} per record; ${stats.bytesPerNode.toFixed(1)} = tape bytes in use after warm-up ÷ nodes;`);
console.log(`  ${(stats.highWater / stats.maxNodes).toFixed(1)} = high-water tape bytes (growth by 1.2×, with the realloc transient) ÷ nodes`);
console.log(`Wasm memory: ${(stats.wasmBytes / 2 ** 20).toFixed(0)} MiB`);
