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
