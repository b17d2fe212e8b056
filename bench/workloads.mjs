// adtape's versions of the benchmark workloads (DESIGN.md §5), written with the public API only; shared
// by bench/run.mjs, bench/sweep.mjs and the constant-memory test, so they all measure the same code.
import * as ad from "../dist/index.js";

/** W2: the logistic map x ← 4x(1 − x), n steps from the input. */
export const logistic = (n) => (x) => {
  let y = x;
  for (let i = 0; i < n; i++) y = ad.mul(4, ad.mul(y, ad.sub(1, y)));
  return y;
};

/** W3: the baselines' extended Rosenbrock, Σ_{i<n−1} 100(x_{i+1} − x_i²)² + (1 − x_i)² (chained, not in pairs). */
export const rosenbrock = (x) => {
  let s = 0;
  for (let i = 0; i + 1 < x.length; i++) {
    const a = x.at(i), b = x.at(i + 1);
    s = ad.add(s, ad.add(ad.mul(100, ad.square(ad.sub(b, ad.square(a)))), ad.square(ad.sub(1, a))));
  }
  return s;
};

/** W1: the lesson's classifier cost Σ (sigmoid(W·x_c) − y_c)² for a flat 2×2 W, scalar-loop form (as the baselines). */
export const classifierCost = ({ N, X, Y }) => (w) => {
  let s = 0;
  for (let c = 0; c < N; c++) {
    for (let r = 0; r < 2; r++) {
      const z = ad.add(ad.mul(w.at(2 * r), X[c]), ad.mul(w.at(2 * r + 1), X[N + c]));
      s = ad.add(s, ad.square(ad.sub(ad.sigmoid(z), Y[r * N + c])));
    }
  }
  return s;
};

/** W6: y_j = tanh(Σᵢ A_ji xᵢ) + x_(j mod n)², j < m (the Jacobian workload: forward vs reverse). */
export const jacobianMap = ({ n, m, A }) => (x) => {
  const y = [];
  for (let j = 0; j < m; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s = ad.add(s, ad.mul(A[j * n + i], x.at(i)));
    y.push(ad.add(ad.tanh(s), ad.square(x.at(j % n))));
  }
  return y;
};

// ---------------------------------------------------------------- tensor forms

/** W1 in tensor form: Σ (sigmoid(W·X) − Y)², W a 2×2 tensor, X and Y 2×N constants. */
export const classifierTensor = ({ N, X, Y }) => {
  const Xt = ad.tensor(X, [2, N]), Yt = ad.tensor(Y, [2, N]);
  return (W) => W.matmul(Xt).sigmoid().sub(Yt).square().sum();
};

/** W3 in tensor form: the extended Rosenbrock on a vector, by two overlapping slices. */
export const rosenbrockTensor = (x) => {
  const n = x.size, a = x.slice(0, n - 1), b = x.slice(1, n - 1);
  return b.sub(a.square()).square().mul(100).add(ad.sub(1, a).square()).sum();
};

/** W4: MLP 784-128-10, tanh, softmax cross-entropy (mean over the batch); parameters { W1, b1, W2, b2 } as tensors. */
export const mlp = ({ B, D, X, labels }) => {
  const Xt = ad.tensor(X, [B, D]);
  return (p) => ad.crossEntropy(ad.matmul(Xt, p.W1).add(p.b1).tanh().matmul(p.W2).add(p.b2), labels);
};

/** W4's parameters as a tree of tensors. */
export const mlpParams = ({ D, H, C, W1, b1, W2, b2 }) => ({
  W1: ad.tensor(W1, [D, H]), b1: ad.tensor(b1, [H]), W2: ad.tensor(W2, [H, C]), b2: ad.tensor(b2, [C]),
});

/** W5: the GMM log-posterior (DESIGN.md §5) in tensor ops, over parameters { alpha: [K], mu: [K, d], q: [K, d],
 * l: [K, d(d−1)/2] } (tensors). Q_k is gathered from [exp(q_k), l_k, 0]; ‖Q_k(x_i − μ_k)‖² is computed as
 * ‖x_i Q_kᵀ − (Q_k μ_k)ᵀ‖², so the one large product has a constant operand and its backward is one GEMM.
 * `lib` is the adtape module to record with (the tests pass the source build's). */
export const gmm = ({ d, K, n, x, gamma = 1, m = 0 }, lib = ad) => {
  const ad = lib; // the tests pass the source build's module
  const L = (d * (d - 1)) / 2;
  const X = ad.tensor(x, [n, d]), zero = ad.tensor(new Float64Array(K), [K, 1]);
  const place = [];
  for (let r = 0; r < d; r++) {
    for (let c = 0; c < d; c++) place.push(r === c ? c : r > c ? d + (c * (2 * d - c - 1)) / 2 + (r - c - 1) : d + L);
  }
  const nu = d + m + 1;
  let logGammaD = ((d * (d - 1)) / 4) * Math.log(Math.PI);
  for (let j = 1; j <= d; j++) logGammaD += ad.lgamma(nu / 2 + (1 - j) / 2);
  const C = nu * d * (Math.log(gamma) - 0.5 * Math.LN2) - logGammaD;
  const constant = -((n * d) / 2) * Math.log(2 * Math.PI) + K * C;
  return ({ alpha, mu, q, l }) => {
    const eq = q.exp();
    const Q = ad.gather(ad.concat([eq, l, zero], 1), place, 1).reshape([K, d, d]);
    const Qmu = Q.matmul(mu.reshape([K, d, 1])).reshape([K, 1, d]);
    const Z = ad.sub(ad.matmul(X, Q, { transposeB: true }), Qmu); // [K, n, d]
    const beta = alpha.add(q.sum(1)).reshape([K, 1]).sub(Z.square().sum(2).mul(0.5)); // [K, n]
    const prior = eq.square().sum().add(l.square().sum()).mul(-0.5 * gamma * gamma).add(q.sum().mul(m));
    return beta.logsumexp(0).sum().sub(alpha.logsumexp().mul(n)).add(prior).add(constant);
  };
};

/** W5's parameters as a tree of tensors (of module `lib`). */
export const gmmParams = ({ d, K, params }, lib = ad) => ({
  alpha: lib.tensor(params.alpha, [K]), mu: lib.tensor(params.mu, [K, d]), q: lib.tensor(params.q, [K, d]),
  l: lib.tensor(params.l, [K, (d * (d - 1)) / 2]),
});
