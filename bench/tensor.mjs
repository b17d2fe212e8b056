// The tensor benchmark (issue 6; DESIGN.md §5–6): ONE run, ONE table of ratios. adtape's tensor ops, eager and
// compiled, against the hand-written gradients (bench/baselines/hand.mjs), TensorFlow.js (wasm and cpu backends,
// float32) and jax-js (eager and jit, float64) on W1 (the lesson's classifier, tensor form), W3 (extended Rosenbrock,
// n = 10⁵, vectorised) and W4 (MLP 784-128-10); then grad/f of adtape's compiled GMM (W5) over the whole grid,
// with the peers at two sizes; memory per tape; and the bars. Times are tinybench medians (ms).
// Run: npm run bench:tensor (or node bench/tensor.mjs after `npm run build`). PEERS=0 skips TF.js and jax-js.
import os from "node:os";
import * as ad from "../dist/index.js";
import { makeData, dataW5, maxRelDiff } from "./baselines/data.mjs";
import * as hand from "./baselines/hand.mjs";
import { classifierTensor, rosenbrockTensor, mlp, mlpParams, gmm, gmmParams } from "./workloads.mjs";
import { gmmObjective } from "./peers/gmm-direct.mjs";
import { measure, sink } from "./timing.mjs";

const started = performance.now();
const usePeers = process.env.PEERS !== "0";
const log = (...a) => console.error("progress:", ...a);
const fmt = (ms) => (ms === undefined ? "—" : ms < 0.01 ? ms.toPrecision(2) : ms < 10 ? ms.toFixed(3) : ms.toFixed(1));
const fmtX = (r) => (r === undefined || !Number.isFinite(r) ? "—" : r >= 100 ? r.toFixed(0) + "×" : r.toFixed(2) + "×");
const fmtAgree = (e) => (e === undefined ? "—" : e === 0 ? "0" : e.toExponential(1));

// ---------------------------------------------------------------- peers (devDependencies)
async function loadPeers() {
  if (!usePeers) return [];
  const out = [];
  try {
    const tfjs = await import("./peers/tfjs.mjs");
    for (const backend of ["wasm", "cpu"]) out.push({ name: `TF.js ${backend} (f32)`, start: () => tfjs.init({ backend }), setup: (w, d) => tfjs.setup(w, d) });
  } catch (err) {
    log(`TF.js unavailable: ${err.message}`);
  }
  try {
    const jaxjs = await import("./peers/jaxjs.mjs");
    for (const jit of [false, true]) out.push({ name: `jax-js ${jit ? "jit" : "eager"} (f64)`, start: () => jaxjs.init(), setup: (w, d) => jaxjs.setup(w, d, { jit }) });
  } catch (err) {
    log(`jax-js unavailable: ${err.message}`);
  }
  return out;
}
const peers = await loadPeers();

// ---------------------------------------------------------------- adtape's mechanisms
/** An eager value-only evaluation: record and compute, no sweep (grad/f's denominator for eager). */
const eagerValue = (f) => {
  let v = 0;
  const probe = ad.grad((x) => {
    const y = f(x);
    v = y.value[0];
    return 0; // a constant output: no reverse sweep
  });
  return (x) => (probe(x), v);
};

function adtapeRows(f, x) {
  const g = ad.grad(f);
  const c = ad.compile(f, x);
  const out = c.grad(x);
  return [
    { name: "adtape eager", f: eagerValue(f), grad: () => g(x) },
    { name: "adtape compiled", f: () => c.value(x), grad: () => c.grad(x, out), done: () => c.dispose(), stats: () => c.stats },
  ].map((r) => ({ ...r, f: r.name === "adtape eager" ? () => r.f(x) : r.f }));
}


// ---------------------------------------------------------------- W1, W3, W4
const WORKLOADS = [
  ["W1", "W1 classifier sigmoid(W·X), W 2×2, X 2×1000 (tensor form)", (d) => [classifierTensor(d), ad.tensor(d.W, [2, 2])]],
  ["W3-100000", "W3 extended Rosenbrock, n = 100 000 (vectorised)", (d) => [rosenbrockTensor, ad.tensor(d.x, [d.n])]],
  ["W4", "W4 MLP 784-128-10, tanh, softmax cross-entropy, batch 64", (d) => [mlp(d), mlpParams(d)]],
];
const results = {};
for (const [w, title, make] of WORKLOADS) {
  const d = makeData(w);
  const [f, x] = make(d);
  const rows = [...adtapeRows(f, x), { name: "hand-written", ...hand.setup(w, d) }];
  const ref = rows[1].grad; // adtape compiled: every row's gradient time is also taken relative to it, round by round
  const res = [];
  for (const row of rows) {
    const m = await measure(row, row === rows[1] ? undefined : ref);
    res.push({ name: row.name, ...m, stats: row.stats?.() });
    log(`${w} ${row.name}: f ${fmt(m.fMs)} ms, grad ${fmt(m.gMs)} ms`);
  }
  for (const p of peers) {
    try {
      await p.start();
      const row = p.setup(w, d);
      const m = await measure(row, ref);
      res.push({ name: p.name, ...m });
      row.dispose?.();
      log(`${w} ${p.name}: f ${fmt(m.fMs)} ms, grad ${fmt(m.gMs)} ms`);
    } catch (err) {
      res.push({ name: p.name, error: err.message });
      log(`${w} ${p.name} failed: ${err.message}`);
    }
  }
  results[w] = { title, rows: res, ref: res.find((r) => r.name === "hand-written").g };
  rows.forEach((r) => r.done?.());
}

// ---------------------------------------------------------------- W5 grid: compiled grad/f, and peers at two sizes
const W5_D = [2, 10, 20, 32, 64], W5_K = [5, 10, 25, 50, 100], W5_PEER_SIZES = [[2, 5], [20, 25]];
const w5 = [];
for (const dd of W5_D) {
  for (const K of W5_K) {
    const data = dataW5(dd, K, 1000);
    const f = gmm(data), x = gmmParams(data);
    const c = ad.compile(f, x);
    const out = c.grad(x);
    const { fMs, gMs, gradF: ratio } = await measure({ f: () => c.value(x), grad: () => c.grad(x, out) });
    const valueErr = Math.abs(c.value(x).data[0] - gmmObjective(data)) / Math.abs(gmmObjective(data));
    const peerMs = {};
    if (W5_PEER_SIZES.some(([a, b]) => a === dd && b === K)) {
      for (const p of peers) {
        try {
          await p.start();
          const row = p.setup("W5", data);
          peerMs[p.name] = { ...(await measure(row, () => c.grad(x, out))) };
          peerMs[p.name].agree = maxRelDiff(peerMs[p.name].g, [out.alpha.data, out.mu.data, out.q.data, out.l.data]);
          row.dispose?.();
        } catch (err) {
          peerMs[p.name] = { error: err.message };
        }
      }
    }
    w5.push({ d: dd, K, fMs, gMs, ratio, valueErr, peerMs, bytes: c.stats.bytes });
    log(`W5 d=${dd} K=${K}: f ${fmt(fMs)} ms, grad ${fmt(gMs)} ms, grad/f ${ratio.toFixed(2)}`);
    c.dispose();
  }
}

// ---------------------------------------------------------------- the table
console.log(`\nadtape tensor benchmark — ${os.cpus()[0]?.model ?? "cpu"} × ${os.cpus().length}, Node ${process.versions.node}`);
console.log("ms: tinybench medians; grad/f and 'adtape ÷' (this row's gradient time ÷ adtape compiled's: how many times faster adtape is)");
console.log("are medians of per-round ratios over 5 rounds that alternate the two sides, so the machine's drift cancels;");
console.log("agreement = max relative difference of the gradient from the hand-written float64 gradient (TF.js computes in float32).\n");
const header = ["", "ms/f", "ms/grad", "grad/f", "adtape ÷", "agreement"];
const line = (cols) => console.log(cols[0].padEnd(26) + cols.slice(1).map((c) => String(c).padStart(12)).join(""));
for (const [w, { title, rows, ref }] of Object.entries(results)) {
  console.log(title);
  line(header);
  for (const r of rows) {
    if (r.error) line([r.name, "error: " + r.error.slice(0, 60), "", "", "", ""]);
    else line([r.name, fmt(r.fMs), fmt(r.gMs), r.gradF.toFixed(2), r.name === "adtape compiled" ? "1" : fmtX(r.vsRef), fmtAgree(maxRelDiff(r.g, ref))]);
  }
  console.log("");
}
console.log("memory: a compiled tape's bytes (records, tensor arenas, kernel scratch), nodes and fused runs; after warm-up no call allocates");
for (const [w, { rows }] of Object.entries(results)) {
  const st = rows.find((r) => r.name === "adtape compiled").stats;
  console.log(`  ${w.padEnd(10)} ${String(st.nodes).padStart(6)} nodes ${(st.bytes / 2 ** 20).toFixed(2).padStart(8)} MiB ${String(st.fused).padStart(3)} fused`);
}
console.log(`  W5 (64, 100) ${(w5.at(-1).bytes / 2 ** 20).toFixed(1)} MiB; Wasm memory now ${(ad.memoryStats().wasmBytes / 2 ** 20).toFixed(0)} MiB (it never shrinks)\n`);
console.log("W5 GMM, n = 1000: adtape compiled, ms per gradient (grad/f: median of 5 alternating rounds); value vs the direct float64 evaluation");
console.log("d \\ K".padEnd(8) + W5_K.map((K) => String(K).padStart(18)).join(""));
for (const dd of W5_D) {
  const cells = W5_K.map((K) => { const r = w5.find((e) => e.d === dd && e.K === K); return `${fmt(r.gMs)} (${r.ratio.toFixed(2)})`.padStart(18); });
  console.log(String(dd).padEnd(8) + cells.join(""));
}
console.log(`max relative value error vs direct evaluation: ${fmtAgree(Math.max(...w5.map((r) => r.valueErr)))}`);
for (const r of w5.filter((e) => Object.keys(e.peerMs).length)) {
  console.log(`W5 d=${r.d} K=${r.K} peers (ms/f, ms/grad, grad/f, adtape ÷, agreement vs adtape):`);
  for (const [name, m] of Object.entries(r.peerMs)) {
    if (m.error) console.log(`  ${name.padEnd(24)} error: ${m.error.slice(0, 80)}`);
    else console.log(`  ${name.padEnd(24)} ${fmt(m.fMs).padStart(10)} ${fmt(m.gMs).padStart(10)} ${m.gradF.toFixed(2).padStart(8)} ${fmtX(m.vsRef).padStart(10)} ${fmtAgree(m.agree).padStart(10)}`);
  }
}

// ---------------------------------------------------------------- bars
const row = (w, name) => results[w].rows.find((r) => r.name === name && !r.error);
const best = (w, prefix) => results[w].rows.filter((r) => r.name.startsWith(prefix) && !r.error).sort((a, b) => a.gMs - b.gMs)[0];
const bars = [];
const bar = (text, value, ok) => bars.push([text, value, ok]);
const jit = (w) => row(w, "jax-js jit (f64)");
if (jit("W4")) bar("W4 gradient ≥ 5× faster than jax-js jit (f64)", jit("W4").vsRef, jit("W4").vsRef >= 5);
bar("W4 gradient ≥ 10× faster than the hand-written scalar loops", row("W4", "hand-written").vsRef, row("W4", "hand-written").vsRef >= 10);
for (const w of ["W1", "W3-100000"]) {
  if (jit(w)) bar(`${w} gradient faster than jax-js jit (f64)`, jit(w).vsRef, jit(w).vsRef > 1);
  const tf = best(w, "TF.js");
  if (tf) bar(`${w} gradient ≥ 3× faster than TF.js's best backend (${tf.name})`, tf.vsRef, tf.vsRef >= 3);
}
const vsHand = 1 / row("W1", "hand-written").vsRef;
bar("W1 gradient within 1.5× of the hand-written gradient (adtape ÷ hand)", vsHand, vsHand <= 1.5);
for (const w of ["W1", "W3-100000", "W4"]) { const a = row(w, "adtape compiled"); bar(`${w} grad/f ≤ 3 (compiled)`, a.gradF, a.gradF <= 3); }
const worst = w5.reduce((a, b) => (b.ratio > a.ratio ? b : a));
bar(`W5 grad/f ≤ 3 on every size (worst: d=${worst.d}, K=${worst.K})`, worst.ratio, worst.ratio <= 3);
const big = w5.find((r) => r.d === 64 && r.K === 100), small = w5.find((r) => r.d === 2 && r.K === 5);
bar("W5 grad/f at (64, 100) ≤ 2× grad/f at (2, 5)", big.ratio / small.ratio, big.ratio / small.ratio <= 2);
console.log("\nbars (ratios from this run):");
for (const [text, value, ok] of bars) console.log(`  ${ok ? "PASS" : "MISS"}  ${text}: ${fmtX(value)}`);
console.log(`\n(${((performance.now() - started) / 1000).toFixed(0)} s)`);
if (sink.value === 0.5) console.log("");
process.exit(0);
