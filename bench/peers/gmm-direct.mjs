// Direct float64 evaluation of the W5 objective: the ADBench/GradBench GMM log-posterior.
//
// An independent reference (plain loops, no AD, no shared code with adtape or the peers), used
// by bench/peers/check.mjs and meant for adtape's tests.
//
// Data (see dataW5 in bench/baselines/data.mjs):
//   data   = { d, K, n, x: Float64Array(n*d) row-major, gamma, m, params }
//   params = { alpha: K, mu: K×d, q: K×d, l: K×d(d−1)/2 }   (flat Float64Arrays, row-major)
//
// Objective (DESIGN.md §5, W5):
//   Q_k   lower-triangular d×d, diag(Q_k) = exp(q_k), strict lower part = l_k filled column by
//         column: column c holds rows c+1..d−1, so for d = 3, l = [l0, l1, l2] gives
//         Q[1][0] = l0, Q[2][0] = l1, Q[2][1] = l2; index of Q[r][c] (r > c) in l_k is
//         c(2d − c − 1)/2 + (r − c − 1).
//   β_ik  = α_k + Σ_j q_kj − ½‖Q_k (x_i − μ_k)‖²
//   E     = −(nd/2)·log 2π + Σ_i logsumexp_k β_ik − n·logsumexp(α)
//           + Σ_k [ −½γ²(‖exp q_k‖² + ‖l_k‖²) + m·Σ_j q_kj ] + K·C
//   C     = νd(log γ − ½ log 2) − log Γ_d(ν/2),  ν = d + m + 1
//   log Γ_d(a) = d(d−1)/4 · log π + Σ_{j=1..d} lgamma(a + (1 − j)/2)
//
// Note on signs: this is the log-posterior as written in the design doc (the Wishart prior
// term enters with its natural sign, as in GradBench's corrected spec). ADBench's original
// code returns  … + Σ_k [ +½γ²(…) − m·Σ q ] − K·C  instead (the prior with the opposite sign);
// with γ = 1, m = 0 the two differ by 2·(−½Σ_k(‖exp q_k‖² + ‖l_k‖²) + K·C).
//
// Validated against an mpmath (50-digit) evaluation of the same formula; reference values are
// in bench/peers/gmm-direct.check.mjs (relative agreement ≲ 1e-15).

const LOG_2PI = Math.log(2 * Math.PI);
const LOG_PI = Math.log(Math.PI);
const HALF_LOG_2PI = 0.5 * LOG_2PI;

// Lanczos approximation (g = 7, n = 9; Godfrey's coefficients), with the reflection formula
// for x < 1/2. Absolute error ~1e-15 for x ≥ 1/2 (checked against mpmath on (0, 60] in
// gmm-direct.check.mjs); not meant for x ≤ 0 at the poles.
const LANCZOS_G = 7;
const LANCZOS_P = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
  -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
  1.5056327351493116e-7,
];

/** log|Γ(x)| for real x (not at non-positive integers). */
export function lgamma(x) {
  if (x < 0.5) {
    // Γ(x)Γ(1 − x) = π / sin(πx)
    return LOG_PI - Math.log(Math.abs(Math.sin(Math.PI * x))) - lgamma(1 - x);
  }
  if (x === 1 || x === 2) return 0;
  const z = x - 1;
  let a = LANCZOS_P[0];
  for (let i = 1; i < LANCZOS_P.length; i++) a += LANCZOS_P[i] / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return HALF_LOG_2PI + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** log Γ_d(a), the multivariate gamma function. */
export function logMultiGamma(a, d) {
  let s = ((d * (d - 1)) / 4) * LOG_PI;
  for (let j = 1; j <= d; j++) s += lgamma(a + (1 - j) / 2);
  return s;
}

/** The constant C of the Wishart prior: νd(log γ − ½ log 2) − log Γ_d(ν/2), ν = d + m + 1. */
export function wishartC(d, gamma = 1, m = 0) {
  const nu = d + m + 1;
  return nu * d * (Math.log(gamma) - 0.5 * Math.LN2) - logMultiGamma(nu / 2, d);
}

/** Numerically stable log Σ exp(v[o..o+len)). */
function logsumexp(v, o, len) {
  let mx = -Infinity;
  for (let i = 0; i < len; i++) if (v[o + i] > mx) mx = v[o + i];
  if (mx === -Infinity) return -Infinity;
  let s = 0;
  for (let i = 0; i < len; i++) s += Math.exp(v[o + i] - mx);
  return mx + Math.log(s);
}

/**
 * The W5 objective E (a JS number), evaluated directly in float64.
 * @param data  the dataW5(d, K, n) object ({ d, K, n, x, gamma, m, params })
 * @param params optional { alpha, mu, q, l } (defaults to data.params)
 */
export function gmmObjective(data, params = data.params) {
  const { d, K, n, x } = data;
  const gamma = data.gamma ?? 1;
  const m = data.m ?? 0;
  const { alpha, mu, q, l } = params;
  const nl = (d * (d - 1)) / 2;

  // Dense lower-triangular Q_k (K × d × d) and Σ_j q_kj.
  const Q = new Float64Array(K * d * d);
  const sumQ = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    const Qk = k * d * d;
    let s = 0;
    for (let j = 0; j < d; j++) {
      Q[Qk + j * d + j] = Math.exp(q[k * d + j]);
      s += q[k * d + j];
    }
    sumQ[k] = s;
    let idx = k * nl;
    for (let c = 0; c < d; c++) for (let r = c + 1; r < d; r++) Q[Qk + r * d + c] = l[idx++];
  }

  const beta = new Float64Array(K);
  const z = new Float64Array(d);
  let slse = 0;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < K; k++) {
      for (let j = 0; j < d; j++) z[j] = x[i * d + j] - mu[k * d + j];
      const Qk = k * d * d;
      let sq = 0;
      for (let r = 0; r < d; r++) {
        let y = 0;
        for (let c = 0; c <= r; c++) y += Q[Qk + r * d + c] * z[c];
        sq += y * y;
      }
      beta[k] = alpha[k] + sumQ[k] - 0.5 * sq;
    }
    slse += logsumexp(beta, 0, K);
  }

  let prior = 0;
  for (let k = 0; k < K; k++) {
    let fro = 0;
    for (let j = 0; j < d; j++) {
      const e = Math.exp(q[k * d + j]);
      fro += e * e;
    }
    for (let j = 0; j < nl; j++) fro += l[k * nl + j] * l[k * nl + j];
    prior += -0.5 * gamma * gamma * fro + m * sumQ[k];
  }

  return (
    -((n * d) / 2) * LOG_2PI + slse - n * logsumexp(alpha, 0, K) + prior + K * wishartC(d, gamma, m)
  );
}

/** Copy of a params tree ({alpha, mu, q, l} of Float64Arrays). */
export function cloneParams(p) {
  return { alpha: p.alpha.slice(), mu: p.mu.slice(), q: p.q.slice(), l: p.l.slice() };
}

/**
 * Central-difference estimate of ∂E/∂params[key][idx] on gmmObjective, step s = h·max(1, |v|).
 * order 2 (default): (E(v+s) − E(v−s)) / 2s, error ~s² plus rounding ~1e-16·|E|/s (h = 1e-5 is
 * about right). order 4: (−E(v+2s) + 8E(v+s) − 8E(v−s) + E(v−2s)) / 12s, error ~s⁴ (h ≈ 1e-3).
 * Used to spot-check gradients.
 */
export function gmmCentralDiff(data, key, idx, h = 1e-5, order = 2) {
  const p = cloneParams(data.params);
  const v = p[key][idx];
  const s = h * Math.max(1, Math.abs(v));
  const at = (t) => {
    p[key][idx] = v + t;
    return gmmObjective(data, p);
  };
  if (order === 4) return (-at(2 * s) + 8 * at(s) - 8 * at(-s) + at(-2 * s)) / (12 * s);
  return (at(s) - at(-s)) / (2 * s);
}
