// The benchmark behind `npm run bench` (owned by the benchmark; DESIGN.md §5–6): ONE run, ONE table of
// ratios. Eager and compiled adtape vs the reference baselines (bench/baselines/: hand-written gradient, plain-JS
// typed-array tape, micrograd-style objects) and central differences, on W2 (logistic map) and W3
// (extended Rosenbrock, chained form as in the baselines) — ms per f, ms per gradient, grad/f, adtape's
// gradient time ÷ each mechanism's, and gradient agreement vs hand; then bytes per tape node, the
// reverse sweep alone against a same-run streaming probe (assembly/probe.ts), and the bars.
// Times are tinybench medians (task.result.latency.p50). Run: npm run bench  (or node bench/run.mjs
// after one `npm run build`). BENCH_TIME=<ms per task> shortens or lengthens every task.
import os from "node:os";
import { existsSync, readFileSync } from "node:fs";
import * as ad from "../dist/index.js";
import { Trace } from "../dist/trace.js";
import { recordInputs } from "../dist/tree.js";
import { makeData, dataW6, maxRelDiff } from "./baselines/data.mjs";
import * as hand from "./baselines/hand.mjs";
import * as jstape from "./baselines/jstape.mjs";
import * as micrograd from "./baselines/micrograd.mjs";
import { logistic, rosenbrock, classifierCost, jacobianMap } from "./workloads.mjs";
import { Bench } from "tinybench";
import { median, measure, sink, TASK_MS } from "./timing.mjs";

const started = performance.now();
const MICROGRAD_SKIP_MS = 3000; // skip micrograd where one gradient takes longer than this
const AGREE_TOL = 1e-12;

// ---------------------------------------------------------------- the copies of shared/baselines
const COPIES = ["README.md", "data.mjs", "hand.mjs", "jstape.mjs", "micrograd.mjs"];
function checkCopies() {
  const shared = new URL("../../shared/baselines/", import.meta.url);
  if (!existsSync(shared)) return "../shared/baselines not present here; copies not re-checked";
  const differ = COPIES.filter((f) => {
    const orig = new URL(f, shared);
    return !existsSync(orig) || !readFileSync(orig).equals(readFileSync(new URL(`./baselines/${f}`, import.meta.url)));
  });
  return differ.length === 0
    ? "byte-identical to ../shared/baselines (checked now)"
    : `WARNING: ${differ.join(", ")} differ(s) from ../shared/baselines — re-copy them (see bench/baselines/COPIED.md)`;
}

const copy = (g) => (typeof g === "number" ? g : Float64Array.from(g));

// ---------------------------------------------------------------- adtape's versions: bench/workloads.mjs
/** Eager value-only evaluation by the same mechanism as `grad`: record + compute, no sweep. */
const valueOnly = (f) => (x) => {
  const t = Trace.begin();
  try {
    const h = recordInputs(t, x);
    const y = f(h);
    return typeof y === "number" ? y : t.value(y.idx);
  } finally {
    t.end();
  }
};

// ---------------------------------------------------------------- plain JS f and central differences
const plainW2 = (n) => (x) => {
  for (let k = 0; k < n; k++) x = 4 * x * (1 - x);
  return x;
};
const plainW3 = (x) => {
  let s = 0;
  for (let i = 0; i + 1 < x.length; i++) {
    const t = x[i + 1] - x[i] * x[i], u = 1 - x[i];
    s += 100 * t * t + u * u;
  }
  return s;
};
const H = Math.cbrt(Number.EPSILON);
const centralScalar = (f, x0) => () => {
  const h = H * Math.max(1, Math.abs(x0));
  return (f(x0 + h) - f(x0 - h)) / (2 * h);
};
const centralVector = (f, x) => {
  const xx = Float64Array.from(x), g = new Float64Array(x.length);
  return () => {
    for (let i = 0; i < x.length; i++) {
      const h = H * Math.max(1, Math.abs(x[i]));
      xx[i] = x[i] + h;
      const fp = f(xx);
      xx[i] = x[i] - h;
      const fm = f(xx);
      xx[i] = x[i];
      g[i] = (fp - fm) / (2 * h);
    }
    return g;
  };
}; // 2n calls of the plain f per gradient

// ---------------------------------------------------------------- the workloads
function mechanisms(w, d) {
  const isW2 = w.startsWith("W2");
  const x = isW2 ? d.x0 : d.x;
  const fn = isW2 ? logistic(d.n) : rosenbrock;
  const g = ad.grad(fn), v = valueOnly(fn);
  // Compiled lazily (after the eager rows, so that the eager tape's bytes per node are measured alone).
  let c;
  const compiled = () => (c ??= ad.compile(fn, x));
  const out = isW2 ? undefined : new Float64Array(x.length);
  const list = [
    { name: "adtape (eager)", f: () => v(x), grad: () => g(x) },
    { name: "adtape (compiled)", f: () => compiled().value(x), grad: () => compiled().grad(x, out), done: () => c.dispose(), nodes: () => c.stats.nodes },
    { name: "hand", ...hand.setup(w, d) },
    { name: "jstape", ...jstape.setup(w, d) },
    { name: "micrograd", ...micrograd.setup(w, d) },
  ];
  if (w === "W2-40") { const pf = plainW2(d.n); list.push({ name: "central diff (2 f calls)", f: () => pf(x), grad: centralScalar(pf, x) }); }
  if (w === "W3-10") list.push({ name: `central diff (${2 * d.n} f calls)`, f: () => plainW3(x), grad: centralVector(plainW3, x) });
  return list;
}

const WORKLOADS = [
  ["W2", "W2 logistic map, n = 1000, d/dx0"],
  ["W2-40", "W2-40 logistic map, n = 40"],
  ["W3-10", "W3 ext. Rosenbrock, n = 10"],
  ["W3-1000", "W3 ext. Rosenbrock, n = 1000"],
  ["W3-100000", "W3 ext. Rosenbrock, n = 100000"],
];
const rows = [];
const skipped = [];
let memW3 = null;
for (const [w] of WORKLOADS) {
  const d = makeData(w);
  const mechs = mechanisms(w, d);
  const ref = copy(mechs.find((m) => m.name === "hand").grad());
  for (const m of mechs) {
    if (m.name === "micrograd") {
      const t0 = performance.now();
      m.grad();
      const once = performance.now() - t0;
      if (once > MICROGRAD_SKIP_MS) { skipped.push(`micrograd on ${w} (one gradient took ${(once / 1000).toFixed(1)} s)`); continue; }
    }
    const result = copy(m.grad());
    const agree = w === "W2" ? "n/a (chaotic)" : maxRelDiff(result, ref);
    // Every ratio is a median of per-round ratios, rounds alternating this mechanism with adtape's eager gradient.
    const { fMs, gMs, gradF, vsRef } = await measure(m, m === mechs[0] ? undefined : mechs[0].grad);
    rows.push({ w, mech: m.name, fMs, gMs, gradF, vsEager: vsRef, agree, nodes: m.nodes?.() });
    process.stderr.write(`progress: ${w} ${m.name}: f ${fMs.toPrecision(3)} ms, grad ${gMs.toPrecision(3)} ms\n`);
    m.done?.();
    // After warm-up the eager tape region has settled; no compiled tape exists yet.
    if (w === "W3-100000" && m.name === "adtape (eager)") memW3 = ad.memoryStats();
  }
}

// ---------------------------------------------------------------- the reverse sweep alone vs the probe
const dS = makeData("W3-100000");
const t = Trace.begin();
let sweepMs, probeMs, nodes, sweepAgree;
try {
  const inputs = recordInputs(t, dS.x);
  const out = rosenbrock(inputs).idx;
  t.flush();
  nodes = out; // the sweep and the probe visit nodes out..1
  const { e } = t, ptr = t.region.ptr;
  const sweep = () => { e.clearAdjoints(ptr, out + 1); t.adj[out] = 1; e.reverse(ptr, out); };
  const probe = () => e.streamProbe(ptr, out);
  sweep();
  sweepAgree = maxRelDiff(t.adj.slice(inputs.base, inputs.base + inputs.length), copy(hand.setup("W3-100000", dS).grad()));
  const b = new Bench({ time: Math.max(TASK_MS, 1000), warmupTime: 200, timestampProvider: "hrtimeNow", throws: true });
  b.add("reverse sweep", sweep).add("streaming probe", probe);
  await b.run();
  [sweepMs, probeMs] = b.tasks.map((task) => task.result.latency.p50);
} finally {
  t.end();
}

// ---------------------------------------------------------------- the lesson's loop: W1, 1000 steps of gradient descent
const d1 = makeData("W1");
const cost = classifierCost(d1);
const STEPS = 1000, LR = 1e-3;
const train = (gradInto) => {
  const w = Float64Array.from(d1.W), g = new Float64Array(4);
  for (let step = 0; step < STEPS; step++) {
    gradInto(w, g);
    for (let k = 0; k < 4; k++) w[k] -= LR * g[k];
  }
  return w;
};
const eagerGrad = ad.grad(cost);
const compiledCost = ad.compile(cost, d1.W);
const trainEager = () => train((w, g) => g.set(eagerGrad(w)));
const trainCompiled = () => train((w, g) => compiledCost.grad(w, g));
const trainAgree = maxRelDiff(trainCompiled(), trainEager());
const trainTimes = (run) => {
  const ms = [];
  for (let k = 0; k < 5; k++) { const t0 = performance.now(); run(); ms.push(performance.now() - t0); }
  return ms.sort((p, q) => p - q)[2];
};
const w1Eager = trainTimes(trainEager), w1Compiled = trainTimes(trainCompiled);

// ---------------------------------------------------------------- W6: the Jacobian, forward vs reverse
const w6 = [];
for (const [n, m] of [[2, 1000], [1000, 2]]) {
  const d = dataW6(n, m), map = jacobianMap(d);
  const modes = { jacobian: ad.jacobian(map), jacfwd: ad.jacfwd(map), jacrev: ad.jacrev(map) };
  // jacobian ÷ jacfwd and jacobian ÷ jacrev, each a median of per-round ratios (rounds alternate the modes).
  const r = await measure({ f: () => modes.jacfwd(d.x).data, grad: () => modes.jacobian(d.x).data }, () => modes.jacrev(d.x).data);
  const ms = { jacobian: r.gMs, jacfwd: r.fMs, jacrev: r.gMs / r.vsRef, autoVsFwd: r.gradF, autoVsRev: r.vsRef };
  const agree = maxRelDiff(modes.jacfwd(d.x).data, modes.jacrev(d.x).data);
  w6.push({ n, m, ms, agree });
  process.stderr.write(`progress: W6 (${n}, ${m}) done\n`);
}

// ---------------------------------------------------------------- forward cost on W3-1e5: compiled jvp and hvp
const dF = makeData("W3-100000");
const cF = ad.compile(rosenbrock, dF.x);
const vF = Float64Array.from(dF.x, (_, i) => Math.sin(i));
const gF = new Float64Array(dF.x.length);
const fwd = {
  value: await median(() => cF.value(dF.x)),
  grad: await median(() => cF.grad(dF.x, gF)),
  jvp: await median(() => cF.jvp(dF.x, vF)[1]),
  hvp: await median(() => cF.hvp(dF.x, vF)),
};
cF.dispose(); // dF is reused below

// ---------------------------------------------------------------- sparse Hessians on W3 (tridiagonal)
const dS2 = makeData("W3-1000"), x2000 = Float64Array.from({ length: 2000 }, (_, i) => dS2.x[i % 1000]);
const sparse2000 = ad.sparseHessian(rosenbrock), dense2000 = ad.hessian(rosenbrock);
const sparseMs2000 = await median(() => sparse2000(x2000).values);
const denseMs2000 = await median(() => dense2000(x2000).data);
const sparse1e5 = ad.sparseHessian(rosenbrock), grad1e5 = ad.grad(rosenbrock);
let t0 = performance.now();
const firstCall = sparse1e5(dF.x);
const detectMs = performance.now() - t0;
const sparseMs1e5 = await median(() => sparse1e5(dF.x).values);
const gradMs1e5 = await median(() => grad1e5(dF.x));

// ---------------------------------------------------------------- the report
const fmtMs = (ms) => (ms >= 100 ? ms.toFixed(0) : ms >= 1 ? ms.toFixed(2) : ms.toPrecision(3));
const fmtX = (r) => (r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2));
const fmtAgree = (a) => (typeof a === "string" ? a : a === 0 ? "0" : a.toExponential(1));
const find = (w, mech) => rows.find((r) => r.w === w && r.mech === mech);

const cpu = os.cpus()[0]?.model ?? "unknown CPU";
console.log(`\nadtape benchmark — node ${process.version}, ${cpu} (${os.cpus().length} logical CPUs), ${new Date().toISOString()}`);
console.log("NOTE: these machines are shared and noisy: read the ratios (measured side by side in this one run), not absolute times.");
console.log("Times: tinybench medians (latency.p50) in ms; sub-20 µs calls are batched per sample and divided.");
console.log(`Baselines: bench/baselines/{data,hand,jstape,micrograd}.mjs are unchanged copies of shared/baselines — ${checkCopies()}.`);
console.log("grad/f = gradient time ÷ value-only time by the same mechanism (adtape: eager record + compute, no sweep).");
console.log("adtape÷this = adtape's eager gradient time ÷ this mechanism's (< 1: adtape faster). agreement = maxRelDiff vs hand.");
console.log("grad/f and adtape÷this are medians of per-round ratios over 5 rounds that alternate the two sides (the machine drifts).\n");

const header = ["workload", "mechanism", "ms per f", "ms per grad", "grad/f", "adtape÷this", "agreement"];
const table = rows.map((r) => {
  return [r.w, r.mech, fmtMs(r.fMs), fmtMs(r.gMs), fmtX(r.gradF), (1 / r.vsEager).toFixed(3), fmtAgree(r.agree)];
});
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
const line = (cells) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
console.log(line(header));
console.log(widths.map((n) => "-".repeat(n)).join("  "));
let prevW = rows[0]?.w;
for (let i = 0; i < table.length; i++) {
  if (rows[i].w !== prevW) { console.log(""); prevW = rows[i].w; }
  console.log(line(table[i]));
}
for (const s of skipped) console.log(`skipped: ${s}`);
console.log("W2 at n = 1000: d/dx0 of the chaotic logistic map is ~1e301; agreement is checked at n = 40 instead.");
console.log("Central differences (step ∛ε·max(1,|x|)) at W2-40 miss by ~100%: d/dx0 ≈ −1e12 there, so the map is far from");
console.log("linear over the step; at W3-10 they agree to ~1e-9, the usual truncation + rounding error.");

const steady = memW3.bytesInUse / memW3.maxNodes, peak = memW3.highWater / memW3.maxNodes;
console.log(`\nbytes per node (W3 n = 100000 tape, ${memW3.maxNodes} nodes; ${memW3.recordBytes} bytes per record):`);
console.log(`  steady state ${steady.toFixed(1)} = tape bytes in use after warm-up ÷ nodes`);
console.log(`  peak         ${peak.toFixed(1)} = high-water tape bytes (incl. growth transients) ÷ nodes`);

const sweepRate = nodes / (sweepMs / 1000), probeRate = nodes / (probeMs / 1000);
console.log(`\nreverse sweep alone on the W3 n = 100000 tape (${nodes} nodes), vs a same-run streaming probe moving the same bytes per node:`);
console.log(`  reverse sweep    ${fmtMs(sweepMs)} ms  ${sweepRate.toExponential(2)} nodes/s  (its gradient vs hand: ${fmtAgree(sweepAgree)})`);
console.log(`  streaming probe  ${fmtMs(probeMs)} ms  ${probeRate.toExponential(2)} nodes/s`);
console.log(`  sweep time ÷ probe time = ${(sweepMs / probeMs).toFixed(2)}`);

// ---------------------------------------------------------------- the bars (the issue's)
const bars = [];
const bar = (text, value, pass, shown) => bars.push([text, shown ?? value.toFixed(2), pass ? "PASS" : "MISS"]);
for (const w of ["W2", "W3-1000"]) {
  const js = find(w, "jstape"), mg = find(w, "micrograd");
  const r = 1 / js.vsEager;
  bar(`eager grad within 2× of jstape on ${w}: adtape ÷ jstape ≤ 2`, r, r <= 2);
  if (mg) { const s = mg.vsEager; bar(`eager grad ≥ 15× faster than micrograd on ${w}: micrograd ÷ adtape ≥ 15`, s, s >= 15, s.toFixed(1)); }
  else bar(`eager grad ≥ 15× faster than micrograd on ${w}`, NaN, false, "not measured");
}
const sp = sweepMs / probeMs;
bar("reverse sweep within 2× of the streaming probe (W3-1e5): sweep ÷ probe ≤ 2", sp, sp <= 2);
bar("≤ 48 bytes per node (peak: high-water ÷ nodes, W3-1e5)", peak, peak <= 48, peak.toFixed(1));
bars.push(["   (steady state, for reference: in use ÷ nodes)", steady.toFixed(1), "info"]);
const agreeRows = rows.filter((r) => r.mech.startsWith("adtape") && typeof r.agree === "number");
const worst = Math.max(...agreeRows.map((r) => r.agree));
bar(`agreement vs hand ≤ 1e-12 (eager and compiled; worst of ${[...new Set(agreeRows.map((r) => r.w))].join(", ")})`, worst, worst <= AGREE_TOL, worst.toExponential(1));
console.log("\ncompiled replay, per tape node (forward = compiled .value; reverse = .grad − .value):");
for (const r of rows.filter((q) => q.mech === "adtape (compiled)")) {
  console.log(`  ${r.w.padEnd(10)} ${String(r.nodes).padStart(7)} nodes  forward ${((r.fMs * 1e6) / r.nodes).toFixed(2)} ns/node  reverse ${(((r.gMs - r.fMs) * 1e6) / r.nodes).toFixed(2)} ns/node`);
}
console.log(`\nthe lesson's loop (W1 classifier, ${STEPS} gradient-descent steps, median of 5): eager ${fmtMs(w1Eager)} ms, compiled ${fmtMs(w1Compiled)} ms; weights agree to ${fmtAgree(trainAgree)}`);

for (const w of ["W3-1000", "W3-100000"]) {
  const comp = find(w, "adtape (compiled)"), js = find(w, "jstape");
  bar(`compiled grad ≥ 2× faster than eager on ${w}: eager ÷ compiled ≥ 2`, 1 / comp.vsEager, 1 / comp.vsEager >= 2);
  bar(`compiled grad ≥ 1.5× faster than jstape on ${w}: jstape ÷ compiled ≥ 1.5`, js.vsEager / comp.vsEager, js.vsEager / comp.vsEager >= 1.5);
  bar(`cheap gradient on ${w}: compiled .grad ÷ .value ≤ 3`, comp.gradF, comp.gradF <= 3);
}
{
  const comp = find("W2", "adtape (compiled)"), js = find("W2", "jstape");
  bar("compiled grad no slower than jstape on W2: compiled ÷ jstape ≤ 1", comp.vsEager / js.vsEager, comp.vsEager / js.vsEager <= 1);
}
bar("the lesson's loop (W1, 1000 steps) ≥ 1.5× faster compiled: eager ÷ compiled ≥ 1.5", w1Eager / w1Compiled, w1Eager / w1Compiled >= 1.5);

console.log("\nW6 Jacobian of R^n → R^m, y_j = tanh(Σ A_ji x_i) + x_(j mod n)² (ms; forward mode sweeps per 8 inputs, reverse per output):");
for (const { n, m, ms, agree } of w6) {
  console.log(`  (n, m) = (${n}, ${m}): jacobian ${fmtMs(ms.jacobian)}  jacfwd ${fmtMs(ms.jacfwd)}  jacrev ${fmtMs(ms.jacrev)}  (fwd vs rev agree to ${fmtAgree(agree)})`);
  const auto = Math.max(ms.autoVsFwd, ms.autoVsRev), spread = Math.max(ms.autoVsFwd / ms.autoVsRev, ms.autoVsRev / ms.autoVsFwd);
  bar(`W6 (${n}, ${m}): the automatic choice within 1.2× of the better mode`, auto, auto <= 1.2);
  bar(`W6 (${n}, ${m}): the worse mode ≥ 10× slower than the better`, spread, spread >= 10, spread.toFixed(1));
}
console.log(`\nforward cost on W3 n = 100000, compiled (ms): value ${fmtMs(fwd.value)}  grad ${fmtMs(fwd.grad)}  jvp ${fmtMs(fwd.jvp)}  hvp ${fmtMs(fwd.hvp)}`);
bar("compiled .jvp ≤ 2.5× compiled .value (W3-1e5)", fwd.jvp / fwd.value, fwd.jvp / fwd.value <= 2.5);
bar("compiled .hvp ≤ 2.5× compiled .grad (W3-1e5)", fwd.hvp / fwd.grad, fwd.hvp / fwd.grad <= 2.5);

console.log(`\nsparse Hessian of W3 (tridiagonal): n = 2000: sparseHessian ${fmtMs(sparseMs2000)} ms, hessian ${fmtMs(denseMs2000)} ms;`);
console.log(`  n = 100000: ${firstCall.colours} colours, ${firstCall.values.length} non-zeros; sparseHessian ${fmtMs(sparseMs1e5)} ms (pattern reused), one eager grad ${fmtMs(gradMs1e5)} ms; first call (detection + colouring + sweeps) ${fmtMs(detectMs)} ms`);
bar("sparseHessian ≥ 50× faster than hessian (W3, n = 2000)", denseMs2000 / sparseMs2000, denseMs2000 / sparseMs2000 >= 50, (denseMs2000 / sparseMs2000).toFixed(0));
bar("sparseHessian uses ≤ 3 colours (W3, n = 1e5)", firstCall.colours, firstCall.colours <= 3, String(firstCall.colours));
bar("sparseHessian ≤ 10× one gradient, detection excluded (W3, n = 1e5)", sparseMs1e5 / gradMs1e5, sparseMs1e5 / gradMs1e5 <= 10);

console.log("\nbars (from the issues; measured in this run):");
const bw = Math.max(...bars.map((b) => b[0].length));
for (const [text, v, verdict] of bars) console.log(`  ${text.padEnd(bw)}  ${v.padStart(8)}  ${verdict}`);
if (sink.value === 0.5) console.log(""); // keeps the sink observable
console.log(`\ntotal benchmark time ${((performance.now() - started) / 1000).toFixed(0)} s`);
