// Sanity check of the benchmark peers (bench/peers/tfjs.mjs, bench/peers/jaxjs.mjs): runs each peer
// (TF.js wasm, TF.js cpu, jax-js eager, jax-js jit; plus one accuracy-only call of jax-js on its
// "cpu" device) on W1, W3-100000, W4 and W5 (d=2,K=5 and d=10,K=25; n=1000) and prints
//   - ms per f and per grad: a plain performance.now() loop, median of per-call times (rough; the
//     real benchmark uses tinybench), after 3 warm-up calls; "1st" = the first call of f / grad
//     after setup (includes jax-js tracing + jit compilation and TF.js kernel set-up);
//   - gradient agreement: W1/W3/W4 maxRelDiff (data.mjs) against hand.mjs; W5 maxRelDiff on 12
//     coordinates (first/middle/last of alpha, mu, q, l) against 4th-order central differences of
//     gmm-direct.mjs (whose own noise is printed);
//   - f agreement: |f − f_ref| / |f_ref| with f_ref from hand.mjs or gmm-direct.mjs;
//   - a leak check: RSS and JS-heap growth (after a forced GC) over 200 grad calls of W4 per peer,
//     and for TF.js the live tensor count.
// Run: node bench/peers/check.mjs   (about 1–2 minutes; CHECK_MS=<ms per timing loop>, default 300)
import v8 from "node:v8";
import vm from "node:vm";
import { makeData, dataW5, maxRelDiff } from "../baselines/data.mjs";
import * as hand from "../baselines/hand.mjs";
import { gmmObjective, gmmCentralDiff } from "./gmm-direct.mjs";
import * as tfjs from "./tfjs.mjs";
import * as jaxjs from "./jaxjs.mjs";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc");
const started = performance.now();
const LOOP_MS = Number(process.env.CHECK_MS ?? 300);

const WORKLOADS = [
  { key: "W1", w: "W1", data: () => makeData("W1") },
  { key: "W3-100000", w: "W3-100000", data: () => makeData("W3-100000") },
  { key: "W4", w: "W4", data: () => makeData("W4") },
  { key: "W5 d2 K5", w: "W5", data: () => dataW5(2, 5, 1000) },
  { key: "W5 d10 K25", w: "W5", data: () => dataW5(10, 25, 1000) },
];

const PEERS = [
  { label: "tfjs wasm", init: () => tfjs.init({ backend: "wasm" }), setup: (w, d) => tfjs.setup(w, d) },
  { label: "tfjs cpu", init: () => tfjs.init({ backend: "cpu" }), setup: (w, d) => tfjs.setup(w, d) },
  { label: "jax-js eager", init: () => jaxjs.init({ device: "wasm" }), setup: (w, d) => jaxjs.setup(w, d) },
  { label: "jax-js jit", init: () => jaxjs.init({ device: "wasm" }), setup: (w, d) => jaxjs.setup(w, d, { jit: true }) },
  // jax-js's interpreted "cpu" device: full-float64 transcendentals; accuracy only (one call each).
  { label: "jax-js cpu*", init: () => jaxjs.init({ device: "cpu" }), setup: (w, d) => jaxjs.setup(w, d), once: true },
];

// ---------------------------------------------------------------- references
const refs = new Map();
function reference(wl) {
  if (refs.has(wl.key)) return refs.get(wl.key);
  const d = wl.data();
  let r;
  if (wl.w === "W5") {
    const { K, params } = d;
    const coords = [];
    for (const key of ["alpha", "mu", "q", "l"]) {
      const len = params[key].length;
      for (const idx of [0, Math.floor(len / 2), len - 1]) coords.push([key, idx]);
    }
    // 4th-order central differences, step 1e-3·max(1,|v|); noise estimated against step 5e-4.
    const cd = coords.map(([k, i]) => gmmCentralDiff(d, k, i, 1e-3, 4));
    const cd2 = coords.map(([k, i]) => gmmCentralDiff(d, k, i, 5e-4, 4));
    const offset = { alpha: 0, mu: K, q: K + params.mu.length, l: K + 2 * params.mu.length };
    r = { f: gmmObjective(d), coords, cd, offset, cdNoise: maxRelDiff(cd2, cd) };
  } else {
    const h = hand.setup(wl.w, d);
    r = { f: h.f(), g: structuredClone(h.grad()) };
  }
  refs.set(wl.key, r);
  return r;
}
function agreement(wl, fv, g) {
  const r = reference(wl);
  const fRel = Math.abs(fv - r.f) / Math.abs(r.f);
  if (wl.w !== "W5") return { fRel, gRel: maxRelDiff(g, r.g) };
  const flat = Float64Array.from(g.flatMap((a) => Array.from(a)));
  const picked = r.coords.map(([k, i]) => flat[r.offset[k] + i]);
  return { fRel, gRel: maxRelDiff(picked, r.cd) };
}

// ---------------------------------------------------------------- timing
let sink = 0;
function medianMs(fn) {
  for (let i = 0; i < 3; i++) fn();
  const times = [];
  const t0 = performance.now();
  while (times.length < 5 || (times.length < 200 && performance.now() - t0 < LOOP_MS)) {
    const t = performance.now();
    const v = fn();
    times.push(performance.now() - t);
    sink += typeof v === "number" ? v : 1;
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}

// ---------------------------------------------------------------- leak check
// 50 warm-up grad calls, then 200 measured ones, yielding to the event loop every 20 calls: V8 keeps
// the targets of WeakRefs created during a job alive until that job ends (jax-js's eager grad makes
// WeakRefs to its tracers), so a purely synchronous loop would show retention that is not a leak.
const tick = () => new Promise((r) => setImmediate(r));
async function leakCheck(p, peer) {
  const isTf = peer.label.startsWith("tfjs");
  for (let i = 0; i < 50; i++) p.grad();
  await tick();
  gc();
  const m0 = process.memoryUsage();
  const t0 = isTf ? tfjs.tf.memory() : null;
  for (let i = 0; i < 200; i++) {
    p.grad();
    if (i % 20 === 19) await tick();
  }
  await tick();
  gc();
  const m1 = process.memoryUsage();
  const t1 = isTf ? tfjs.tf.memory() : null;
  return {
    dRssMB: (m1.rss - m0.rss) / 2 ** 20,
    dHeapMB: (m1.heapUsed - m0.heapUsed) / 2 ** 20,
    dTensors: isTf ? t1.numTensors - t0.numTensors : null,
    dTfMB: isTf ? (t1.numBytes - t0.numBytes) / 2 ** 20 : null,
  };
}

// ---------------------------------------------------------------- run
const fmt = (x, digits = 3) => (x === null || x === undefined ? "—" : x < 0.01 ? x.toFixed(4) : x.toPrecision(digits));
const sci = (x) => (Number.isFinite(x) ? x.toExponential(1) : String(x));
const rows = [];
const leaks = [];
for (const peer of PEERS) {
  const info = await peer.init();
  for (const wl of WORKLOADS) {
    const d = wl.data();
    let p;
    try {
      p = peer.setup(wl.w, d);
      let t = performance.now();
      const fv = p.f();
      const f1 = performance.now() - t;
      t = performance.now();
      const g = p.grad();
      const g1 = performance.now() - t;
      const { fRel, gRel } = agreement(wl, fv, g);
      const fMs = peer.once ? null : medianMs(p.f);
      const gMs = peer.once ? null : medianMs(p.grad);
      rows.push({ peer: peer.label, wl: wl.key, f1, g1, fMs, gMs, fRel, gRel });
      if (wl.w === "W4" && !peer.once) leaks.push({ peer: peer.label, ...(await leakCheck(p, peer)) });
    } catch (e) {
      rows.push({ peer: peer.label, wl: wl.key, error: String(e?.message ?? e).split("\n")[0] });
    } finally {
      p?.dispose?.();
    }
  }
  if (peer.label.startsWith("tfjs")) console.error(`[${peer.label}] ${JSON.stringify(info)}`);
}

const header = ["peer", "workload", "ms/f", "ms/grad", "1st f", "1st grad", "f rel.diff", "grad rel.diff"];
const lines = rows.map((r) =>
  r.error
    ? [r.peer, r.wl, "ERROR: " + r.error, "", "", "", "", ""]
    : [r.peer, r.wl, fmt(r.fMs), fmt(r.gMs), fmt(r.f1), fmt(r.g1), sci(r.fRel), sci(r.gRel)],
);
console.log("| " + header.join(" | ") + " |");
console.log("|" + header.map(() => "---").join("|") + "|");
for (const l of lines) console.log("| " + l.join(" | ") + " |");
console.log();
console.log("hand.mjs reference (same loop):");
for (const wl of WORKLOADS.filter((w) => w.w !== "W5")) {
  const h = hand.setup(wl.w, wl.data());
  console.log(`  ${wl.key}: ${fmt(medianMs(h.f))} ms/f, ${fmt(medianMs(h.grad))} ms/grad`);
}
console.log("W5 references: gmm-direct f; gradient vs 4th-order central differences (step 1e-3) on 12 coordinates");
for (const wl of WORKLOADS.filter((w) => w.w === "W5")) {
  const r = reference(wl);
  const t = medianMs(() => gmmObjective(dataCache(wl)));
  console.log(`  ${wl.key}: f = ${r.f}, central-difference noise (step 1e-3 vs 5e-4) ${sci(r.cdNoise)}, gmm-direct ${fmt(t)} ms/f`);
}
console.log();
console.log("leak check, W4: 200 grad calls after 50 warm-up calls (forced GC before/after):");
for (const l of leaks)
  console.log(
    `  ${l.peer}: ΔRSS ${l.dRssMB.toFixed(1)} MB, ΔJS heap ${l.dHeapMB.toFixed(2)} MB` +
      ` (${((l.dHeapMB * 1024) / 200).toFixed(1)} KB/call)` +
      (l.dTensors === null ? "" : `, Δ live tensors ${l.dTensors} (${l.dTfMB.toFixed(2)} MB)`),
  );
console.log();
console.log("* jax-js cpu: the library's interpreted-JS device (full float64 exp/log/tanh), one call each, untimed.");
console.log("  jax-js wasm (eager and jit) evaluates exp/log/tanh/sigmoid with float32 polynomials even on float64 arrays.");
console.log(`node ${process.version}, total ${((performance.now() - started) / 1000).toFixed(1)} s`);

function dataCache(wl) {
  wl._d ??= wl.data();
  return wl._d;
}
