// An MLP 784-128-10 (tanh hidden layer, softmax cross-entropy) trained with Adam on minibatches of 64,
// through one compiled tape.
//
// Data: a synthetic, seeded stand-in for MNIST — 10 class prototypes in [0,1]^784; a sample of class k is
// 0.5 + 0.25·(prototype_k − 0.5) + 0.5·noise per pixel, clipped to [0, 1]. 4000 training samples, 1000 held out.
// Parameters { W1 [784,128], b1 [128], W2 [128,10], b2 [10] } start as the benchmarks' W4 (dataW4).
//
// How the minibatch reaches a compiled tape: `ad.compile(f, x0)` records f once and replays it at new
// inputs, so anything f closes over (a tensor, an Int32Array of labels) is a constant baked into the tape
// at recording. A minibatch that changes every step must therefore be part of the input tree, next to the
// parameters: f takes { params, X, Y } with X the batch [64,784] and Y its labels one-hot [64,10] (input
// leaves are numbers, so integer class labels become a one-hot tensor). Every input leaf gets a gradient,
// so f wraps X and Y in `ad.stopGradient`: the tape then skips the backward matmul into X (about 15% of a
// step), and their gradients come back as zeros. The batch tensors are reused: each step overwrites their
// data, `.grad(batch, g)` writes the gradient into the preallocated tree g, and `adam.step(params,
// g.params, state)` updates the parameters in place, so the loop allocates (almost) nothing.
// The full-set evaluation, whose data does not change, closes over it instead and takes only the params.
// Run: node examples/mlp.mjs
import * as ad from "adtape";
import { dataW4, mulberry32, gaussian } from "../bench/baselines/data.mjs";

await ad.init();
const [D, H, C, B] = [784, 128, 10, 64];
const STEPS = 400, LOG_EVERY = 50;
const rng = mulberry32(7);

const protos = Float64Array.from({ length: C * D }, () => rng());
function makeSet(n) {
  const X = new Float64Array(n * D), labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = (labels[i] = Math.floor(rng() * C));
    for (let j = 0; j < D; j++) X[i * D + j] = Math.min(1, Math.max(0, 0.5 + 0.25 * (protos[k * D + j] - 0.5) + 0.5 * gaussian(rng)));
  }
  return { n, X: ad.tensor(X, [n, D]), labels };
}
const train = makeSet(4000), test = makeSet(1000);

const w4 = dataW4(B, D, H, C);
const params = { W1: ad.tensor(w4.W1, [D, H]), b1: ad.tensor(w4.b1, [H]), W2: ad.tensor(w4.W2, [H, C]), b2: ad.tensor(w4.b2, [C]) };
const logits = (p, X) => ad.add(ad.matmul(ad.tanh(ad.add(ad.matmul(X, p.W1), p.b1)), p.W2), p.b2);
const loss = ({ params: p, X, Y }) => ad.crossEntropy(logits(p, ad.stopGradient(X)), ad.stopGradient(Y));

/** Loss and accuracy of the current params on a whole set (the set is a closure constant of this tape). */
function evaluator(set) {
  const tape = ad.compile((p) => {
    const z = logits(p, set.X);
    return [ad.crossEntropy(z, set.labels), z];
  }, params);
  return () => {
    const [l, z] = tape.value(params);
    let right = 0;
    for (let i = 0; i < set.n; i++) {
      let best = 0;
      for (let k = 1; k < C; k++) if (z.data[i * C + k] > z.data[i * C + best]) best = k;
      right += best === set.labels[i] ? 1 : 0;
    }
    return { loss: l.data[0], accuracy: right / set.n };
  };
}
const evalTrain = evaluator(train), evalTest = evaluator(test);

// The minibatch, refilled in place from a shuffled order of the training set (a new shuffle each epoch).
const batch = { params, X: ad.tensor(new Float64Array(B * D), [B, D]), Y: ad.tensor(new Float64Array(B * C), [B, C]) };
const order = Int32Array.from({ length: train.n }, (_, i) => i);
let cursor = train.n;
function nextBatch() {
  if (cursor + B > train.n) {
    for (let i = train.n - 1; i > 0; i--) { const j = Math.floor(rng() * (i + 1)); [order[i], order[j]] = [order[j], order[i]]; }
    cursor = 0;
  }
  batch.Y.data.fill(0);
  for (let r = 0; r < B; r++, cursor++) {
    const i = order[cursor];
    batch.X.data.set(train.X.data.subarray(i * D, (i + 1) * D), r * D);
    batch.Y.data[r * C + train.labels[i]] = 1;
  }
  return batch;
}

const zerosLike = (t) => ad.tensor(new Float64Array(t.size), t.shape);
const tape = ad.compile(loss, nextBatch()); // recorded once, for batches of 64
const g = { params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, zerosLike(v)])), X: zerosLike(batch.X), Y: zerosLike(batch.Y) };
const opt = ad.adam({ lr: 1e-3 }), state = opt.init(params);

console.log(`MLP ${D}-${H}-${C}, tanh, softmax cross-entropy; Adam (lr 1e-3), batches of ${B}; ${train.n} training samples\n`);
console.log(`${"step".padStart(6)}${"train loss".padStart(13)}${"train acc".padStart(11)}`);
const row = (step) => {
  const { loss: l, accuracy: a } = evalTrain();
  console.log(`${String(step).padStart(6)}${l.toFixed(4).padStart(13)}${((100 * a).toFixed(1) + "%").padStart(11)}`);
  return l;
};
const initial = row(0), before = evalTest().accuracy;
const ms = [], gradMs = [];
for (let step = 1; step <= STEPS; step++) {
  const t0 = performance.now();
  const b = nextBatch();
  const t1 = performance.now();
  tape.grad(b, g); // replay forward and backward at this batch, into g
  gradMs.push(performance.now() - t1);
  opt.step(params, g.params, state); // in place
  ms.push(performance.now() - t0);
  if (step % LOG_EVERY === 0) row(step);
}
const final = evalTrain(), after = evalTest().accuracy;
const median = (xs) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];

// For comparison: the gradient by eager ad.grad (a fresh tape recorded and swept every call), interleaved
// with the compiled replay on the same batch so that both see the same machine load.
const eagerGrad = ad.grad(loss), cmp = { eager: [], compiled: [] };
for (let k = 0; k < 15; k++) {
  let t0 = performance.now();
  eagerGrad(batch);
  cmp.eager.push(performance.now() - t0);
  t0 = performance.now();
  tape.grad(batch, g);
  cmp.compiled.push(performance.now() - t0);
}

console.log(`\nloss ${initial.toFixed(4)} → ${final.loss.toFixed(4)} (${((100 * final.loss) / initial).toFixed(1)}% of the initial)`);
console.log(`final train accuracy ${(100 * final.accuracy).toFixed(1)}%; held-out ${(100 * before).toFixed(1)}% → ${(100 * after).toFixed(1)}% (chance: 10%)`);
console.log(`ms per step (median of ${STEPS}): ${median(ms).toFixed(2)}, of which the compiled gradient ${median(gradMs).toFixed(2)} (the rest: batch copy, Adam)`);
console.log(`gradient alone (median of 15, interleaved): compiled ${median(cmp.compiled).toFixed(2)} ms, eager ad.grad ${median(cmp.eager).toFixed(2)} ms`);
console.log(`tape: ${tape.stats.nodes} nodes; Wasm memory ${(ad.memoryStats().wasmBytes / 2 ** 20).toFixed(0)} MiB`);
