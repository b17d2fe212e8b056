/** @file The lesson's classifier, shared by the Node demo (examples/lesson.mjs) and the browser page
 * (examples/browser/): the mock 2-D data, the model sigmoid(W·x) with its squared cost in adtape ops and in
 * plain JS (the black box the numerical gradient differentiates), and the thresholded predictions.
 *
 * The data is the benchmarks' seeded W1 set: each sample x ∈ [−1, 1]² plus 0.05 Gaussian noise, with two ±1
 * labels, label r the sign of clean feature r. W is 2×2; output r = sigmoid(W_r·x) predicts label r (+1 when
 * above ½), so the two outputs split the plane into four predicted classes, one per quadrant once trained.
 */
import * as ad from "adtape";
import { dataW1 } from "../../bench/baselines/data.mjs";

/** Gradient-descent settings the demo and the page share: the benchmarks' W1 loop. */
export const LR = 1e-3;

/** The mock data set: N samples as X (2 × N, row-major, row r = feature r), labels Y (2 × N, ±1) and the starting W (2 × 2). */
export function lessonData(N = 1000) {
  const { X, Y, W } = dataW1(N);
  return { N, X, Y, W0: W };
}

/** The squared cost Σ (sigmoid(W·X) − Y)² as an adtape function of W (a 2 × 2 tensor); X and Y are closure constants. */
export function adtapeCost({ N, X, Y }) {
  const Xt = ad.tensor(X, [2, N]), Yt = ad.tensor(Y, [2, N]);
  return (W) => W.matmul(Xt).sigmoid().sub(Yt).square().sum();
}

/** The same cost in plain JS on a flat W (length 4, row-major): the black box that numerical differences see. */
export function plainCost({ N, X, Y }) {
  return (W) => {
    let s = 0;
    for (let i = 0; i < N; i++) {
      const x0 = X[i], x1 = X[N + i];
      const p0 = 1 / (1 + Math.exp(-(W[0] * x0 + W[1] * x1)));
      const p1 = 1 / (1 + Math.exp(-(W[2] * x0 + W[3] * x1)));
      s += (p0 - Y[i]) ** 2 + (p1 - Y[N + i]) ** 2;
    }
    return s;
  };
}

/** The predicted class of point (x0, x1) under W: 0–3, bit r set when output r predicts +1. */
export function predictClass(W, x0, x1) {
  return (W[0] * x0 + W[1] * x1 > 0 ? 1 : 0) | (W[2] * x0 + W[3] * x1 > 0 ? 2 : 0);
}

/** The share of labels (both outputs of every sample) that W's thresholded predictions get right. */
export function accuracy(W, { N, X, Y }) {
  let right = 0;
  for (let i = 0; i < N; i++) {
    const c = predictClass(W, X[i], X[N + i]);
    right += ((c & 1 ? 1 : -1) === Y[i] ? 1 : 0) + ((c & 2 ? 1 : -1) === Y[N + i] ? 1 : 0);
  }
  return right / (2 * N);
}

/** Names of the four predicted classes, by predictClass's code. */
export const CLASS_NAMES = ["(−, −)", "(+, −)", "(−, +)", "(+, +)"];
