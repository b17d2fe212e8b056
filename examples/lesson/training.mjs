/** @file The lesson's classifier trained three ways — by numerical gradient (central differences of the plain-JS
 * cost: 8 calls of f per step), by eager adtape gradient (`ad.grad`: record and sweep a fresh tape every step)
 * and by a compiled tape (`ad.compile`: record once, replay in Wasm) — with the loss curves, the time per
 * step and the thresholded predictions before and after training. */
import * as ad from "adtape";
import { numericalGrad } from "adtape/baselines/numeric";
import { lessonData, adtapeCost, plainCost, predictClass, accuracy, CLASS_NAMES, LR } from "./model.mjs";
import { waysScale } from "./plot.mjs";

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** Gradient descent W ← W − LR·∇cost for `steps` steps from W0; `gradient(W)` returns ∇cost flat. */
function descend(name, W0, steps, gradient, loss, bar) {
  const W = Float64Array.from(W0), losses = [loss(W)], ms = [];
  for (let s = 0; s < steps; s++) {
    const t0 = performance.now();
    const g = gradient(W);
    for (let k = 0; k < 4; k++) W[k] -= LR * g[k];
    ms.push(performance.now() - t0);
    losses.push(loss(W));
    if (s % 50 === 49) bar.tick(50);
  }
  return { name, W, losses, msPerStep: median(ms) };
}

/** The loss-curve spec: loss against step, one line per way. */
function lossSpec(runs, every) {
  const names = runs.map((r) => r.name);
  const values = runs.flatMap((r) => r.losses.flatMap((loss, step) => (step % every === 0 ? [{ step, loss, way: r.name }] : [])));
  return {
    title: "Training loss: the same descent, three ways to get the gradient",
    width: 420, height: 280, data: { values },
    mark: { type: "line", strokeWidth: 2 },
    encoding: {
      x: { field: "step", type: "quantitative", title: "gradient-descent step" },
      y: { field: "loss", type: "quantitative", scale: { zero: false }, title: "squared cost Σ (σ(W·x) − y)²" },
      color: { field: "way", type: "nominal", scale: waysScale(names), title: "gradient by (the curves coincide)", legend: { orient: "top-right" } },
      strokeDash: { field: "way", type: "nominal", scale: { domain: names, range: [[1, 0], [8, 4], [2, 3]] }, title: "gradient by (the curves coincide)", legend: { orient: "top-right" } },
    },
  };
}

/** The time-per-step spec: one bar per way, log scale. */
function timeSpec(runs) {
  return {
    title: "Time per training step (median)",
    width: 300, height: 280,
    data: { values: runs.map((r) => ({ way: r.name, ms: r.msPerStep, label: `${(r.msPerStep * 1000).toFixed(1)} µs` })) },
    encoding: {
      x: { field: "way", type: "nominal", sort: null, axis: { labelAngle: 0 }, title: null },
      y: { field: "ms", type: "quantitative", title: "ms per step (gradient + update)" },
    },
    layer: [
      { mark: "bar", encoding: { color: { field: "way", type: "nominal", scale: waysScale(runs.map((r) => r.name)), legend: null } } },
      { mark: { type: "text", dy: -8 }, encoding: { text: { field: "label" } } },
    ],
  };
}

/** The predictions spec: decision regions over the plane and each sample's thresholded prediction, before and after. */
function predictionSpec(data, panels) {
  const G = 40, lo = -1.2, step = 2.4 / G, colors = ["#9467bd", "#1f77b4", "#ff7f0e", "#2ca02c"];
  const panel = ({ title, W }) => {
    const grid = [];
    for (let i = 0; i < G; i++) for (let j = 0; j < G; j++) {
      const x0 = lo + i * step, x1 = lo + j * step;
      grid.push({ x0, x1, x0b: x0 + step, x1b: x1 + step, predicted: CLASS_NAMES[predictClass(W, x0 + step / 2, x1 + step / 2)] });
    }
    const points = [];
    for (let i = 0; i < data.N; i++) {
      const c = predictClass(W, data.X[i], data.X[data.N + i]);
      const right = (c & 1 ? 1 : -1) === data.Y[i] && (c & 2 ? 1 : -1) === data.Y[data.N + i];
      points.push({ x0: data.X[i], x1: data.X[data.N + i], predicted: CLASS_NAMES[c], sample: right ? "both labels right" : "a label wrong" });
    }
    const axis = (field, title) => ({ field, type: "quantitative", scale: { domain: [lo, -lo] }, title });
    const color = { field: "predicted", type: "nominal", scale: { domain: CLASS_NAMES, range: colors }, title: "predicted (sign₁, sign₂)", legend: { titleLimit: 300 } };
    return {
      title, width: 260, height: 260,
      layer: [
        { data: { values: grid }, mark: { type: "rect", opacity: 0.22 }, encoding: { x: axis("x0", "feature x₁"), x2: { field: "x0b" }, y: axis("x1", "feature x₂"), y2: { field: "x1b" }, color } },
        { data: { values: points }, mark: { type: "point", filled: true, size: 14 }, encoding: { x: axis("x0"), y: axis("x1"), color, shape: { field: "sample", type: "nominal", scale: { domain: ["both labels right", "a label wrong"], range: ["circle", "cross"] }, title: "sample" } } },
      ],
    };
  };
  return { title: "Thresholded predictions σ(W·x) > ½, before and after training", hconcat: panels.map(panel), resolve: { scale: { color: "shared", shape: "shared" } } };
}

/** Trains the classifier three ways and returns the figures, a summary table and the lesson's claims. */
export async function trainingFigure({ quick = false, progress } = {}) {
  const steps = quick ? 100 : 1000;
  const data = lessonData(), W0 = data.W0;
  const cost = adtapeCost(data), plain = plainCost(data), loss = (W) => plain(W);
  const bar = progress?.("training the classifier 3 ways", 3 * steps) ?? { tick() {}, done() {} };
  const Wt = (W) => ad.tensor(W, [2, 2]);
  const gradCost = ad.grad(cost);
  const tape = ad.compile(cost, Wt(W0)), g = Wt(new Float64Array(4));
  const runs = [
    descend("numerical", W0, steps, (W) => numericalGrad(plain, W, { method: "central" }), loss, bar),
    descend("adtape eager", W0, steps, (W) => gradCost(Wt(W)).data, loss, bar),
    descend("adtape compiled", W0, steps, (W) => tape.grad(Wt(W), g).data, loss, bar),
  ];
  bar.done();
  tape.dispose();
  const [num, eager, compiled] = runs;
  const diff = (a, b) => Math.max(...a.map((v, k) => Math.abs(v - b[k])));
  const fmt = (x) => x.toExponential(1);
  const acc0 = accuracy(W0, data), acc1 = accuracy(compiled.W, data);
  const figures = [
    { id: "training-loss", title: "Loss curves", caption: `The squared cost over ${steps} steps of gradient descent (lr ${LR}) on the mock 2-D data (${data.N} samples, two ±1 labels each), with the gradient from each way. Eager and compiled adtape give the same W to ${fmt(diff(eager.W, compiled.W))}; central differences land within ${fmt(diff(num.W, compiled.W))} of it (their gradient is accurate to ~1e-10, not to rounding).`, spec: lossSpec(runs, quick ? 1 : 5) },
    { id: "training-time", title: "Time per step", caption: `Median time per step (gradient and update). Central differences call the plain-JS cost 2n = 8 times per step; eager adtape records and sweeps a fresh tape each step; the compiled tape records once and each step replays it in Wasm.`, spec: timeSpec(runs) },
    { id: "training-predictions", title: "Predictions before and after", caption: `Each output r predicts label r as +1 when σ(W_r·x) > ½, so W splits the plane into four predicted classes (shaded). Before training (W₀ = [${Array.from(W0).join(", ")}]) ${(100 * acc0).toFixed(1)}% of the labels are right; after, ${(100 * acc1).toFixed(1)}%, with W = [${Array.from(compiled.W, (w) => w.toFixed(2)).join(", ")}]: the boundaries turn to the axes, as the labels are the signs of the features.`, spec: predictionSpec(data, [{ title: "before training (W₀)", W: W0 }, { title: `after ${steps} steps`, W: compiled.W }]) },
  ];
  const table = {
    columns: ["gradient by", "µs per step", "× compiled", "final loss", "accuracy"],
    rows: runs.map((r) => [r.name, (1000 * r.msPerStep).toFixed(1), (r.msPerStep / compiled.msPerStep).toFixed(2), r.losses.at(-1).toFixed(4), `${(100 * accuracy(r.W, data)).toFixed(2)}%`]),
  };
  const claims = [
    { claim: "gradient descent lowers the loss", measured: `${num.losses[0].toFixed(1)} → ${compiled.losses.at(-1).toFixed(1)}`, pass: compiled.losses.at(-1) < 0.7 * compiled.losses[0] },
    { claim: "eager and compiled adtape train identically", measured: `max |ΔW| = ${fmt(diff(eager.W, compiled.W))}`, pass: diff(eager.W, compiled.W) <= 1e-12 },
    { claim: "numerical and AD gradients train alike", measured: `max |ΔW| = ${fmt(diff(num.W, compiled.W))}`, pass: diff(num.W, compiled.W) <= 1e-6 },
    { claim: "reverse mode beats numerical differences per step", measured: `numerical ÷ compiled = ${(num.msPerStep / compiled.msPerStep).toFixed(2)}×`, pass: num.msPerStep > compiled.msPerStep },
  ];
  return { figures, table, claims, result: { W: compiled.W, accuracyBefore: acc0, accuracyAfter: acc1 } };
}
