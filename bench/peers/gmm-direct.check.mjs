// Self-check of bench/peers/gmm-direct.mjs against reference values computed independently in
// Python with mpmath at 50 significant digits (same formula, same dataW5 data, dumped from
// data.mjs; cross-checked with numpy + scipy.special.logsumexp/multigammaln to ~2e-16):
//
//   dataW5(2, 3, 5):  E = -56.445717874611339881
//                     ∂E/∂alpha[0] = -1.3520768912709860284   ∂E/∂mu[1] = -0.13055960282826134455
//                     ∂E/∂q[2]     = -10.951764561883012949   ∂E/∂l[0]  =  0.8084694014078780152
//   dataW5(3, 2, 4):  E = -46.710952595141546058
//                     ∂E/∂alpha[0] = -0.89905287155841152058  ∂E/∂mu[1] = -2.1658037055879010186
//                     ∂E/∂q[2]     = -5.4221331675365205124   ∂E/∂l[0]  = -0.12615836058072803737
//   (derivatives: mpmath.diff of the 50-digit objective)
//   C (γ = 1, m = 0): d=2 -2.531024246969290793, d=3 -5.7551956744985268954,
//                     d=10 -77.318902616190348543
//   lgamma: 0.5 → 0.57236494292470008707, 1.5 → -0.12078223763524522235,
//           2.5 → 0.28468287047291915963, 3 → 0.69314718055994530942,
//           5.5 → 3.9578139676187162939, 10.25 → 13.368023671476046295, 0.1 → 2.252712651734205902
//   (over x = 0.25, 0.5, …, 60 the Lanczos lgamma's error was ≤ 3.4e-16·max(1, |lgamma(x)|).)
//   Larger sizes, numpy/scipy float64 vs gmmObjective: dataW5(2,5,1000) -3890.4601291077934
//   (rel 2.3e-16), dataW5(10,25,1000) -30777.970539260245 (rel 2.4e-16).
//
// Run: node bench/peers/gmm-direct.check.mjs   (exits non-zero on failure)
import assert from "node:assert/strict";
import { dataW5 } from "../baselines/data.mjs";
import { gmmObjective, gmmCentralDiff, lgamma, wishartC } from "./gmm-direct.mjs";

const rel = (a, b) => Math.abs(a - b) / Math.abs(b);
let checks = 0;
function near(got, want, tol, what) {
  const r = rel(got, want);
  assert.ok(r <= tol, `${what}: got ${got}, want ${want} (rel ${r.toExponential(2)} > ${tol})`);
  checks++;
}

const cases = [
  {
    size: [2, 3, 5],
    E: -56.445717874611339881,
    grad: { alpha: [0, -1.3520768912709860284], mu: [1, -0.13055960282826134455], q: [2, -10.951764561883012949], l: [0, 0.8084694014078780152] },
  },
  {
    size: [3, 2, 4],
    E: -46.710952595141546058,
    grad: { alpha: [0, -0.89905287155841152058], mu: [1, -2.1658037055879010186], q: [2, -5.4221331675365205124], l: [0, -0.12615836058072803737] },
  },
  { size: [2, 5, 1000], E: -3890.4601291077934, tol: 1e-13 },
  { size: [10, 25, 1000], E: -30777.970539260245, tol: 1e-13 },
];
for (const c of cases) {
  const data = dataW5(...c.size);
  near(gmmObjective(data), c.E, c.tol ?? 1e-12, `E dataW5(${c.size})`);
  for (const [key, [idx, want]] of Object.entries(c.grad ?? {}))
    near(gmmCentralDiff(data, key, idx), want, 1e-7, `central diff ∂E/∂${key}[${idx}] dataW5(${c.size})`);
}

for (const [d, C] of [[2, -2.531024246969290793], [3, -5.7551956744985268954], [10, -77.318902616190348543]])
  near(wishartC(d), C, 1e-14, `C(d=${d})`);

for (const [x, v] of [
  [0.5, 0.57236494292470008707], [1.5, -0.12078223763524522235], [2.5, 0.28468287047291915963],
  [3, 0.69314718055994530942], [5.5, 3.9578139676187162939], [10.25, 13.368023671476046295],
  [0.1, 2.252712651734205902],
]) {
  const got = lgamma(x);
  assert.ok(Math.abs(got - v) <= 1e-14 * Math.max(1, Math.abs(v)), `lgamma(${x}) = ${got}, want ${v}`);
  checks++;
}
assert.equal(lgamma(1), 0);
assert.equal(lgamma(2), 0);
checks += 2;

console.log(`gmm-direct: ${checks} passed, 0 failed`);
