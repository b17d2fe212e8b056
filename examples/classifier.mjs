// The lesson's classifier, in tensor form: prediction sigmoid(W·X) for a 2×2 weight matrix W and inputs X
// (2 features × 1000 samples), squared cost Σ (sigmoid(W·X) − Y)² against labels Y = ±1, trained by plain
// gradient descent. The data is the benchmarks' W1 (bench/baselines/data.mjs, seeded): x uniform in
// [−1, 1] plus 0.05 Gaussian noise, each label the sign of its clean feature (label r ↔ feature r).
// sigmoid lies in (0, 1), so the cost pulls it to 1 for a +1 label and (as close as it can) to 0 for −1:
// a prediction counts as +1 when sigmoid(W·x) > 0.5. The run is timed twice, eagerly (`ad.grad` records
// and sweeps a fresh tape every step) and compiled (`ad.compile` records once; each step replays in Wasm).
// Run: node examples/classifier.mjs
import * as ad from "adtape";
import { dataW1 } from "../bench/baselines/data.mjs";

await ad.init();
const STEPS = 1000, LR = 1e-3; // the lesson's loop, as in `npm run bench`
const { N, X: xs, Y: ys, W: w0 } = dataW1(1000);
const X = ad.tensor(xs, [2, N]); // row r: feature r of every sample
const Y = ad.tensor(ys, [2, N]); // row r: label r (±1) of every sample

const predict = (W) => ad.sigmoid(ad.matmul(W, X)); // 2 × N probabilities
const cost = (W) => ad.sum(ad.square(ad.sub(predict(W), Y)));

// X and Y are closure constants: copied onto each tape once. W is the input (a tensor, so its gradient
// comes back as TensorData, which `sgd.step` updates in place).
const compiledCost = ad.compile(cost, ad.tensor(w0, [2, 2]));
const compiledPredict = ad.compile(predict, ad.tensor(w0, [2, 2]));
const loss = (W) => compiledCost.value(W).data[0]; // a 0-d tensor output reads back as TensorData
const accuracy = (W) => {
  const p = compiledPredict.value(W).data;
  let right = 0;
  for (let i = 0; i < p.length; i++) right += (p[i] > 0.5 ? 1 : -1) === ys[i] ? 1 : 0;
  return right / p.length;
};

/** STEPS steps of W ← W − LR·∇cost from w0; `gradient(W)` gives ∇cost. Returns W, the per-step times and a log. */
function train(gradient) {
  const W = ad.tensor(w0, [2, 2]); // a copy of w0
  const opt = ad.sgd({ lr: LR }), state = opt.init(W);
  const ms = [], log = [];
  for (let step = 0; step <= STEPS; step++) {
    if ([0, 1, 10, 100, STEPS].includes(step)) log.push({ step, loss: loss(W), accuracy: accuracy(W) });
    if (step === STEPS) break;
    const t0 = performance.now();
    opt.step(W, gradient(W), state); // in place: W's data is overwritten
    ms.push(performance.now() - t0);
  }
  return { W, log, ms: ms.sort((a, b) => a - b)[ms.length >> 1] };
}

const gradCost = ad.grad(cost);
const eager = train((W) => gradCost(W)); // records and sweeps a new tape each step
const g = ad.tensor(new Float64Array(4), [2, 2]); // the compiled gradient is written here: no allocation
const compiled = train((W) => compiledCost.grad(W, g));

const pad = (s, n) => String(s).padStart(n);
console.log(`the lesson's classifier: sigmoid(W·X), W 2×2, ${N} samples, plain gradient descent (lr ${LR})\n`);
console.log(`${pad("step", 6)}${pad("loss", 14)}${pad("accuracy", 10)}`);
for (const { step, loss: l, accuracy: a } of compiled.log) console.log(`${pad(step, 6)}${pad(l.toFixed(4), 14)}${pad((100 * a).toFixed(2) + "%", 10)}`);
const agree = Math.max(...compiled.W.data.map((w, i) => Math.abs(w - eager.W.data[i])));
console.log(`\nW after ${STEPS} steps: [${Array.from(compiled.W.data, (w) => w.toFixed(3)).join(", ")}] (row-major; eager and compiled agree to ${agree.toExponential(1)})`);
const floor = ys.filter((y) => y < 0).length; // (sigmoid + 1)² > 1 for each −1 label
console.log(`loss floor: ${floor} (each of the ${floor} labels −1 costs more than 1, since sigmoid > 0)`);
console.log(`ms per step (median of ${STEPS}): eager ad.grad ${eager.ms.toFixed(4)}, compiled ${compiled.ms.toFixed(4)} (${(eager.ms / compiled.ms).toFixed(1)}× faster)`);
if (compiled.log.at(-1).accuracy < 0.95) throw new Error("the classifier did not reach 95% accuracy");
compiledCost.dispose();
compiledPredict.dispose();
