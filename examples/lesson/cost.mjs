/** @file The lesson's "cost against dimensions" figure: the time of a full Jacobian of f: Rⁿ → Rᵐ ÷ the time of
 * one f(x), by numerical differences (~2n calls of f), forward mode (a sweep per input) and reverse mode (a sweep
 * per output), measured with adtape on the benchmark's W6 family y_j = tanh(Σᵢ A_ji xᵢ) + x_(j mod n)² over three
 * sweeps (m = 1 and n varies; n = 1 and m varies; m = 32 and n varies, where the two modes cross), with the
 * checks of the lesson's claims. It owns the plain-JS W6, the interleaved timer, the specs and the claims; the
 * demo (examples/lesson.mjs) renders and assembles them.
 */
import * as ad from "adtape";
import { numericalJacobian } from "adtape/baselines/numeric";
import { dataW6, maxRelDiff } from "../../bench/baselines/data.mjs";
import { jacobianMap } from "../../bench/workloads.mjs";
import { WAYS } from "./plot.mjs";

/** key, legend label, colour (the demo's colour for that way of getting a derivative). */
const MECHANISMS = [
  ["numerical", "numerical differences (central: 2n calls of f)", "numerical"],
  ["forward", "forward mode (ad.jacfwd, 8 directions a sweep)", "forward mode"],
  ["reverse", "reverse mode (ad.jacrev, a sweep per output)", "reverse mode"],
].map(([key, label, way]) => [key, label, WAYS.range[WAYS.domain.indexOf(way)]]);
const LABEL = Object.fromEntries(MECHANISMS.map(([k, label]) => [k, label]));
/** Size grids and time budgets: the full figure must take ≤ 25 s and the smoke test's ≤ 3 s, warm-up included. */
const MODES = {
  full: { sizes: [1, 2, 4, 8, 16, 32, 64, 128, 256], budgetMs: 19000, warmMs: 400, batchMs: 0.3 },
  quick: { sizes: [1, 16, 256], budgetMs: 1700, warmMs: 150, batchMs: 0.1 },
};
const CROSS_M = 32; // the crossover sweep's m: forward and reverse should cross near n = m
const MIN_ROUNDS = 3;
/** Where "flat" ends and "grows" starts: the ratio at the largest size ÷ at the smallest. */
const FLAT = 1.5;

/** W6 in plain JS (the black box numerical differences see): the same arithmetic as bench/workloads.mjs's jacobianMap. */
export function plainMap({ n, m, A }) {
  return (x) => {
    const y = new Float64Array(m);
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += A[j * n + i] * x[i];
      const u = x[j % n];
      y[j] = Math.tanh(s) + u * u;
    }
    return y;
  };
}

/** W6's Jacobian in closed form, row-major m × n: J_ji = (1 − tanh² s_j)·A_ji + 2xᵢ where i = j mod n. */
export function closedForm({ n, m, A, x }) {
  const J = new Float64Array(m * n);
  for (let j = 0; j < m; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += A[j * n + i] * x[i];
    const t = Math.tanh(s);
    for (let i = 0; i < n; i++) J[j * n + i] = (1 - t * t) * A[j * n + i];
    J[j * n + (j % n)] += 2 * x[j % n];
  }
  return J;
}

/** The three mechanisms at (n, m), each a full Jacobian and the one evaluation of f it is divided by. The modes'
 * denominator is an eager evaluation (ad.vjp with no pullback: the same recording jacfwd and jacrev make), since a
 * compiled tape's .jacobian picks its mode by shape and cannot be forced. */
export function mechanisms(n, m) {
  const d = dataW6(n, m), f = jacobianMap(d), plain = plainMap(d), value = ad.vjp(f);
  const fwd = ad.jacfwd(f), rev = ad.jacrev(f), eager = () => value(d.x)[0];
  return {
    data: d,
    numerical: { primal: () => plain(d.x), jacobian: () => numericalJacobian(plain, d.x, { method: "central" }) },
    forward: { primal: eager, jacobian: () => fwd(d.x) },
    reverse: { primal: eager, jacobian: () => rev(d.x) },
  };
}

// ---------------------------------------------------------------- timing

let sink = 0; // every result feeds it, so no call can be dropped as unused
const touch = (y) => (sink += typeof y === "number" ? y : (y.data ?? y).length);

/** Mean ms per call over `reps` back-to-back calls. */
function batch(fn, reps) {
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) touch(fn());
  return (performance.now() - t0) / reps;
}

/** ms per call, from as many calls as fit in ~0.05 ms (at least one, after a warm one). */
function perCall(fn) {
  touch(fn());
  let calls = 0;
  const t0 = performance.now();
  do touch(fn()), calls++;
  while (performance.now() - t0 < 0.05);
  return (performance.now() - t0) / calls;
}

const quantile = (xs, q) => {
  const s = xs.slice().sort((a, b) => a - b), k = (s.length - 1) * q, i = Math.floor(k);
  return s[i] + (s[Math.min(i + 1, s.length - 1)] - s[i]) * (k - i);
};

/** jacobian ÷ primal over rounds that alternate the two (and their order) for ~ms: on this shared machine a drift
 * then hits both sides of a round's ratio. Returns the median ratio, its quartiles, and the median times. */
function timeRatio({ primal, jacobian }, ms, batchMs) {
  // NOTE: both batches of a round last about as long (≥ batchMs, so the timer's cost vanishes): on a loaded machine
  // a long Jacobian call is preempted more often than a short primal batch, which would inflate the ratio.
  const pOnce = perCall(primal), jOnce = perCall(jacobian), span = Math.max(batchMs, pOnce, jOnce);
  const rp = Math.ceil(span / pOnce), rj = Math.ceil(span / jOnce);
  const ratios = [], tp = [], tj = [];
  const end = performance.now() + ms;
  for (let k = 0; k < MIN_ROUNDS || performance.now() < end; k++) {
    const before = k % 2 ? 0 : batch(primal, rp), j = batch(jacobian, rj), p = k % 2 ? batch(primal, rp) : before;
    ratios.push(j / p);
    tp.push(p);
    tj.push(j);
  }
  return { ratio: quantile(ratios, 0.5), lo: quantile(ratios, 0.25), hi: quantile(ratios, 0.75), primalMs: quantile(tp, 0.5), jacobianMs: quantile(tj, 0.5), rounds: ratios.length };
}

/** Runs every mechanism hot for `ms` so V8 has tiered up both the Wasm engine and the JS before anything is timed. */
function warmUp(ms) {
  const mech = mechanisms(16, 16), end = performance.now() + ms;
  while (performance.now() < end) for (const [k] of MECHANISMS) touch(mech[k].jacobian()), touch(mech[k].primal());
}

// ---------------------------------------------------------------- the sweeps

/** The three sweeps as lists of (n, m) at each size. */
function sweeps(sizes) {
  return [
    { id: "cost-m1", axis: "n", fixed: "m = 1", at: (s) => [s, 1] },
    { id: "cost-n1", axis: "m", fixed: "n = 1", at: (s) => [1, s] },
    { id: "cost-cross", axis: "n", fixed: `m = ${CROSS_M}`, at: (s) => [s, CROSS_M] },
  ].map((sw) => ({ ...sw, points: sizes.map((size) => ({ size, nm: sw.at(size) })) }));
}

/** Checks what is timed: the three Jacobians against W6's closed form, returning the worst relative differences. */
function agreement(mech) {
  const J = closedForm(mech.data), diff = {};
  for (const [k] of MECHANISMS) diff[k] = maxRelDiff(mech[k].jacobian().data, J);
  return diff;
}

/** Measures every distinct (n, m) once (sweeps share corners), with the budget shared out as it goes. */
async function measureAll(sws, cfg, bar) {
  const keys = [...new Set(sws.flatMap((sw) => sw.points.map((p) => p.nm.join("x"))))];
  const results = new Map(), worst = { numerical: 0, forward: 0, reverse: 0 };
  const deadline = performance.now() + cfg.budgetMs;
  let left = keys.length * MECHANISMS.length;
  for (const key of keys) {
    const [n, m] = key.split("x").map(Number), mech = mechanisms(n, m), row = {};
    for (const [k, d] of Object.entries(agreement(mech))) worst[k] = Math.max(worst[k], d);
    for (const [k] of MECHANISMS) {
      row[k] = timeRatio(mech[k], Math.max(5, (deadline - performance.now()) / left--), cfg.batchMs);
      bar.tick();
      await new Promise((r) => setImmediate(r)); // let the caller's progress bar draw
    }
    results.set(key, row);
  }
  return { results, worst };
}

// ---------------------------------------------------------------- claims

/** Least-squares line ratio ≈ a + b·size, with its R². */
function fitLine(pts) {
  const n = pts.length, mx = pts.reduce((s, p) => s + p.size, 0) / n, my = pts.reduce((s, p) => s + p.ratio, 0) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (const p of pts) (sxy += (p.size - mx) * (p.ratio - my)), (sxx += (p.size - mx) ** 2), (syy += (p.ratio - my) ** 2);
  const b = sxy / sxx;
  return { a: my - b * mx, b, r2: syy > 0 ? (sxy * sxy) / (sxx * syy) : 1 };
}

const fmt = (v) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 0.1 ? v.toFixed(2) : v.toPrecision(2));

/** "flat": the ratio at the largest size is ≤ FLAT × that at the smallest. "grows ∝": more than that, and a line
 * in the size fits (R² ≥ 0.9); its slope is the cost of one more input or output in evaluations of f. */
function shapeClaim(sw, k, shape, pts, note = "") {
  const first = pts[0], last = pts.at(-1), growth = last.ratio / first.ratio, { a, b, r2 } = fitLine(pts);
  const range = `${fmt(first.ratio)}× at ${sw.axis} = ${first.size} → ${fmt(last.ratio)}× at ${sw.axis} = ${last.size} (×${fmt(growth)})`;
  if (shape === "flat") return { claim: `${LABEL[k].split(" (")[0]}: flat in ${sw.axis} for ${sw.fixed}`, measured: range + note, pass: growth <= FLAT };
  const line = `; fit ${fmt(a)} + ${b.toPrecision(2)}·${sw.axis} (R² ${r2.toFixed(3)})`;
  return { claim: `${LABEL[k].split(" (")[0]}: grows ∝ ${sw.axis} for ${sw.fixed}`, measured: range + line + note, pass: growth > FLAT && r2 >= 0.9 };
}

/** Where forward and reverse cross in the m = 32 sweep: n* by log-log interpolation at the first sign change of log(fwd/rev). */
function crossover(fwd, rev) {
  for (let i = 1; i < fwd.length; i++) {
    const la = Math.log(fwd[i - 1].ratio / rev[i - 1].ratio), lb = Math.log(fwd[i].ratio / rev[i].ratio);
    if (la <= 0 && lb > 0) return Math.exp(Math.log(fwd[i - 1].size) + ((Math.log(fwd[i].size) - Math.log(fwd[i - 1].size)) * -la) / (lb - la));
  }
  return NaN;
}

/** The lesson's claims checked on the measured series; nStar is where forward and reverse cross at m = CROSS_M. */
function claimsOf(series, worst, sizes, nStar) {
  const [m1, n1] = series, s = (sw, k) => sw.values.filter((v) => v.key === k);
  const num = s(m1, "numerical").at(-1);
  return [
    shapeClaim(m1, "reverse", "flat", s(m1, "reverse")),
    shapeClaim(n1, "reverse", "grows", s(n1, "reverse")),
    shapeClaim(n1, "forward", "flat", s(n1, "forward")),
    shapeClaim(m1, "forward", "grows", s(m1, "forward"), "; ⌈n/8⌉ sweeps of 8 directions"),
    shapeClaim(m1, "numerical", "grows", s(m1, "numerical"), `; ${fmt(num.ratio / (2 * num.size))}× the 2n calls at n = ${num.size}`),
    shapeClaim(n1, "numerical", "flat", s(n1, "numerical")),
    {
      claim: `forward and reverse cross near n = m (m = ${CROSS_M})`,
      measured: Number.isNaN(nStar) ? "no crossing in the sweep" : `forward is cheaper below n ≈ ${fmt(nStar)}, reverse above (ad.jacobian switches at n > m = ${CROSS_M})`,
      pass: nStar >= CROSS_M / 4 && nStar <= CROSS_M * 4,
    },
    {
      claim: "the Jacobians timed are right",
      measured: `max relative difference to W6's closed form over ${sizes.length}-point sweeps: forward ${worst.forward.toExponential(1)}, reverse ${worst.reverse.toExponential(1)}, numerical ${worst.numerical.toExponential(1)}`,
      pass: worst.forward <= 1e-12 && worst.reverse <= 1e-12 && worst.numerical <= 1e-6,
    },
  ];
}

// ---------------------------------------------------------------- the figures

/** A vega-lite spec: ratio against size on log-log axes, one line per mechanism, quartile bars, and a dashed guide
 * for the 2n calls numerical differences need (plus a rule at n = m in the crossover sweep). */
function specOf(sw, values, sizes) {
  const x = { field: "size", type: "quantitative", scale: { type: "log", base: 2, domain: [sizes[0], sizes.at(-1)] },
    axis: { values: sizes, format: "d", title: `${sw.axis === "n" ? "n, inputs" : "m, outputs"} (${sw.fixed}${sw.axis === "n" ? " output" : " input"}${sw.fixed.endsWith("= 1") ? "" : "s"})` } };
  const color = { field: "mechanism", type: "nominal", scale: { domain: MECHANISMS.map((r) => r[1]), range: MECHANISMS.map((r) => r[2]) },
    legend: { title: null, orient: "bottom", direction: "vertical", labelLimit: 600 } }; // vega estimates text at 0.8·fontSize a character without a canvas
  const y = { field: "ratio", type: "quantitative", scale: { type: "log" }, axis: { title: "Jacobian time ÷ f(x) time (×)" } }; // short: vega sizes the layout by estimated text width
  const guide = sizes.map((size) => ({ size, ratio: 2 * (sw.axis === "n" ? size : 1) }));
  const layer = [
    { data: { values: guide }, mark: { type: "line", strokeDash: [4, 4], color: "#999", strokeWidth: 1 }, encoding: { x, y } },
    sw.axis === "n" // labelled low on the diagonal, where no measured curve runs
      ? { data: { values: [guide.find((g) => g.size >= 4) ?? guide[0]] }, mark: { type: "text", text: "2n calls of f", align: "left", dx: 6, dy: 10, color: "#777", fontSize: 10 }, encoding: { x, y } }
      : { data: { values: [guide.at(-1)] }, mark: { type: "text", text: "2n = 2 calls of f", align: "right", dx: -2, dy: 14, color: "#777", fontSize: 10 }, encoding: { x, y } },
    { mark: { type: "rule", strokeWidth: 1.5, opacity: 0.7 }, encoding: { x, y: { field: "lo", type: "quantitative" }, y2: { field: "hi" }, color } },
    { mark: { type: "line", point: true }, encoding: { x, y, color, tooltip: [
      { field: "mechanism" }, { field: "n" }, { field: "m" }, { field: "ratio", format: ".3~g" }, { field: "jacobianMs", title: "ms per Jacobian", format: ".3~g" }, { field: "primalMs", title: "ms per f(x)", format: ".3~g" }] } },
  ];
  if (sw.id === "cost-cross") {
    layer.push(
      { data: { values: [{ size: CROSS_M }] }, mark: { type: "rule", strokeDash: [2, 3], color: "#555" }, encoding: { x } },
      { data: { values: [{ size: CROSS_M }] }, mark: { type: "text", text: `n = m = ${CROSS_M}`, y: 292, dx: 4, align: "left", color: "#555", fontSize: 10 }, encoding: { x } },
    );
  }
  return { $schema: "https://vega.github.io/schema/vega-lite/v6.json", title: SPEC_TITLES[sw.id], width: 420, height: 300, data: { values }, layer };
}

const SPEC_TITLES = {
  "cost-m1": "Time of a full Jacobian ÷ time of f(x), f: Rⁿ → R¹ (W6)",
  "cost-n1": "Time of a full Jacobian ÷ time of f(x), f: R¹ → Rᵐ (W6)",
  "cost-cross": `Time of a full Jacobian ÷ time of f(x), f: Rⁿ → R${String(CROSS_M).replace(/\d/g, (d) => "⁰¹²³⁴⁵⁶⁷⁸⁹"[d])} (W6)`,
};
const TITLES = {
  "cost-m1": "Full Jacobian cost against the inputs n, for one output",
  "cost-n1": "Full Jacobian cost against the outputs m, for one input",
  "cost-cross": `Forward against reverse mode as n grows, at m = ${CROSS_M} outputs`,
};
const SHOWS = {
  "cost-m1": "Reverse mode stays flat in n (one sweep for the one output), forward mode grows with n (a sweep per 8 inputs), numerical differences grow as 2n calls of f.",
  "cost-n1": "Forward mode stays flat in m (one sweep carries the one input's direction), reverse mode grows with m (a sweep per output), numerical differences stay at ~2 calls of f.",
  "cost-cross": `With m = ${CROSS_M} outputs fixed, reverse mode stays flat while forward mode grows with n; they cross near n = m, where the lesson says to switch.`,
};
const CROSS_WHY = "It falls below n = m because a reverse sweep stops at its output's node and W6 records its outputs one after another, so a reverse sweep covers half the tape on average where a forward sweep covers all of it.";
const HOW = "Each mechanism's time per full Jacobian of W6, y_j = tanh(Σᵢ A_ji xᵢ) + x_(j mod n)² (seeded A), is divided by one evaluation of f by the same mechanism: numerical differences (numericalJacobian, central) by the plain-JS f; adtape's eager jacfwd and jacrev by an eager evaluation that records and computes the same tape (ad.vjp, no pullback) — compile(f).jacobian picks its mode by shape and cannot be forced. An adtape Jacobian is one such recording plus Wasm sweeps, each a fraction of a recording, so its slopes are shallower than the lesson's one evaluation per sweep; the shapes are the lesson's. Forward mode carries 8 directions a sweep, so it costs ⌈n/8⌉ sweeps and steps at n = 8, 16, 32, …. Where f takes well under a microsecond (the small sizes), fixed costs show: numericalJacobian's bookkeeping (a private copy of x, each result checked and copied) lifts numerical differences well above 2n, and a transform's own set-up lifts adtape's above 1. Medians of rounds that alternate the Jacobian and f (bars: quartiles), on a shared 2-core machine.";

/** The growing adtape curve's slope, in evaluations of f: what one more sweep costs. */
function slope(sw, of) {
  if (sw.id === "cost-n1") {
    const b = fitLine(of(sw, "reverse")).b;
    return ` The reverse-mode ratio rises by ${b.toPrecision(2)} an output: a reverse sweep costs ~1/${Math.round(1 / b)} of an eager evaluation, which records f from JS.`;
  }
  const b = 8 * fitLine(of(sw, "forward")).b;
  return ` The forward-mode ratio rises by ${b.toPrecision(2)} every 8 inputs: a sweep of 8 directions costs ~${b.toPrecision(1)} of an eager evaluation.`;
}

/** The lesson's cost-against-dimensions figures: see the file header; `progress(label, total)` draws a bar. */
export async function costFigure({ quick = false, progress } = {}) {
  const cfg = quick ? MODES.quick : MODES.full;
  const sws = sweeps(cfg.sizes);
  const distinct = new Set(sws.flatMap((sw) => sw.points.map((p) => p.nm.join("x")))).size;
  const bar = progress?.("cost against dimensions", distinct * MECHANISMS.length + 1) ?? { tick() {}, done() {} };
  warmUp(cfg.warmMs);
  bar.tick();
  const { results, worst } = await measureAll(sws, cfg, bar);
  bar.done();
  const series = sws.map((sw) => ({
    ...sw,
    values: sw.points.flatMap(({ size, nm: [n, m] }) =>
      MECHANISMS.map(([key, mechanism]) => {
        const r = results.get(`${n}x${m}`)[key];
        return { size, n, m, key, mechanism, ratio: r.ratio, lo: r.lo, hi: r.hi, primalMs: r.primalMs, jacobianMs: r.jacobianMs, rounds: r.rounds };
      }),
    ),
  }));
  const of = (sw, k) => sw.values.filter((v) => v.key === k), at = (sw, k, i) => of(sw, k).at(i).ratio;
  const nStar = crossover(of(series[2], "forward"), of(series[2], "reverse"));
  const [lo, hi] = [cfg.sizes[0], cfg.sizes.at(-1)];
  const figures = series.map((sw) => {
    const measured = MECHANISMS.map(([k]) => `${k} ${fmt(at(sw, k, 0))}× → ${fmt(at(sw, k, -1))}×`).join(", ");
    const early = nStar < 0.75 * CROSS_M ? ` ${CROSS_WHY}` : "";
    const cross = sw.id !== "cost-cross" ? "" : Number.isNaN(nStar) ? " The measured curves do not cross." : ` Measured crossover: n ≈ ${fmt(nStar)}.${early}`;
    const caption = `${SHOWS[sw.id]} Measured from ${sw.axis} = ${lo} to ${hi}: ${measured}.${slope(sw, of)}${cross} ${HOW}`;
    return { id: sw.id, title: TITLES[sw.id], caption, spec: specOf(sw, sw.values, cfg.sizes) };
  });
  const table = {
    columns: ["sweep", "mechanism", `Jacobian ÷ f(x) at size ${lo}`, `at size ${hi}`, "growth"],
    rows: series.flatMap((sw) => MECHANISMS.map(([k]) => {
      const a = at(sw, k, 0), b = at(sw, k, -1);
      return [`${sw.fixed}, ${sw.axis} varies`, k, `${fmt(a)}×`, `${fmt(b)}×`, `×${fmt(b / a)}`];
    })),
  };
  return { figures, table, claims: claimsOf(series, worst, cfg.sizes, nStar) };
}
