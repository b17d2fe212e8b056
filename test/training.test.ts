/** @file Training loops on tensors: the lesson's classifier and an MLP 784-128-10 learn, their gradients equal the
 * hand-written analytic ones (bench/baselines/hand.mjs), and 10⁴ training steps run in flat memory with no
 * dispose or tidy (node --expose-gc, test/fixtures/training-memory.mjs). */
import { describe, it, expect } from "vitest";
import { execFileSync } from "node:child_process";
import * as ad from "../src/index.js";

const root = new URL("..", import.meta.url).pathname;

// The benchmarks' seeded data and hand-written gradients (plain JS with no type declarations: imported by URL,
// so that the typecheck takes the types below rather than failing on an untyped module).
interface W1 { N: number; X: Float64Array; Y: Float64Array; W: Float64Array }
interface W4 { B: number; D: number; H: number; C: number; X: Float64Array; labels: Int32Array; Yoh: Float64Array; W1: Float64Array; b1: Float64Array; W2: Float64Array; b2: Float64Array }
const baseline = (file: string): Promise<unknown> => import(new URL(`../bench/baselines/${file}`, import.meta.url).href);
const { dataW1, dataW4, mulberry32, gaussian } = (await baseline("data.mjs")) as {
  dataW1(N?: number): W1;
  dataW4(B?: number, D?: number, H?: number, C?: number): W4;
  mulberry32(seed: number): () => number;
  gaussian(rng: () => number): number;
};
const { setup } = (await baseline("hand.mjs")) as {
  setup(w: "W1" | "W4", d: W1 | W4): { f(): number; grad(): Float64Array | Float64Array[] };
};

/** Tolerance relative to the largest reference element (tiny elements are compared on that scale). */
const scaled = (ref: ArrayLike<number>, rtol: number) => ({ rtol, atol: rtol * Math.max(...Array.from(ref, Math.abs)) });

describe("the lesson's classifier, sigmoid(W·X) with squared cost", () => {
  const d = dataW1(1000);
  const X = ad.tensor(d.X, [2, d.N]), Y = ad.tensor(d.Y, [2, d.N]);
  const cost = (W: ad.Tensor<"nd">) => ad.sum(ad.square(ad.sub(ad.sigmoid(ad.matmul(W, X)), Y)));
  /** Thresholded predictions (sigmoid > 0.5 ⇔ W·x > 0 → +1, else −1) against the ±1 labels. */
  const accuracy = (w: Float64Array) => {
    let right = 0;
    for (let r = 0; r < 2; r++) for (let c = 0; c < d.N; c++) right += (w[2 * r] * d.X[c] + w[2 * r + 1] * d.X[d.N + c] > 0 ? 1 : -1) === d.Y[r * d.N + c] ? 1 : 0;
    return right / (2 * d.N);
  };

  it("trains by gradient descent to ≥ 95% accuracy, eager and compiled alike", () => {
    const Wc = ad.tensor(d.W, [2, 2]), We = ad.tensor(d.W, [2, 2]);
    expect(accuracy(Wc.data)).toBeLessThan(0.8); // 70% at the benchmarks' starting W
    const tape = ad.compile(cost, Wc);
    const g = ad.tensor(new Float64Array(4), [2, 2]);
    const opt = ad.sgd({ lr: 1e-3 }), sc = opt.init(Wc), se = opt.init(We);
    const loss0 = tape.value(Wc).data[0];
    for (let step = 0; step < 200; step++) {
      opt.step(Wc, tape.grad(Wc, g), sc);
      opt.step(We, ad.grad(cost)(We), se);
    }
    expect(accuracy(Wc.data)).toBeGreaterThanOrEqual(0.95);
    expect(tape.value(Wc).data[0]).toBeLessThan(0.6 * loss0);
    expect(We.data).toBeAllclose(Wc.data, { rtol: 1e-12 });
    tape.dispose();
  });

  it("has the hand-written analytic gradient (to 1e-12), eager and compiled, at several W", () => {
    const rng = mulberry32(11);
    const tape = ad.compile(cost, ad.tensor(d.W, [2, 2]));
    const points = [d.W, Float64Array.of(1, 0, 0, 1), Float64Array.of(13, 0.08, 0.24, 13.3), Float64Array.from({ length: 4 }, () => 4 * gaussian(rng))];
    for (const w of points) {
      const hand = Float64Array.from(setup("W1", { ...d, W: w }).grad() as Float64Array);
      const W = ad.tensor(w, [2, 2]);
      const eager = ad.grad(cost)(W);
      expect(eager.shape).toEqual([2, 2]);
      expect(eager.data).toBeAllclose(hand, scaled(hand, 1e-12));
      expect(tape.grad(W).data).toBeAllclose(hand, scaled(hand, 1e-12));
      expect(ad.valueAndGrad(cost)(W)[0]).toBeAllclose(setup("W1", { ...d, W: w }).f(), { rtol: 1e-12 });
    }
    tape.dispose();
  });
});

describe("an MLP 784-128-10 (tanh, softmax cross-entropy)", () => {
  type Params = { W1: ad.TensorData; b1: ad.TensorData; W2: ad.TensorData; b2: ad.TensorData };
  type P = { W1: ad.Tensor<"nd">; b1: ad.Tensor<"nd">; W2: ad.Tensor<"nd">; b2: ad.Tensor<"nd"> };
  type Batch = { params: P; X: ad.Tensor<"nd">; Y: ad.Tensor<"nd"> };
  const [D, H, C] = [784, 128, 10];
  const logits = (p: P, X: ad.TensorLike) => ad.add(ad.matmul(ad.tanh(ad.add(ad.matmul(X, p.W1), p.b1)), p.W2), p.b2);
  /** The minibatch travels in the input tree (a compiled tape bakes in closure constants); stopGradient spares its gradient. */
  const loss = ({ params: p, X, Y }: Batch) => ad.crossEntropy(logits(p, ad.stopGradient(X)), ad.stopGradient(Y));
  const paramsOf = (w: W4): Params => ({
    W1: ad.tensor(w.W1, [D, H]), b1: ad.tensor(w.b1, [H]), W2: ad.tensor(w.W2, [H, C]), b2: ad.tensor(w.b2, [C]),
  });
  const zerosLike = (t: ad.TensorData) => ad.tensor(new Float64Array(t.size), t.shape);
  const handGrad = (w: W4) => (setup("W4", w).grad() as Float64Array[]).map((a) => Float64Array.from(a));

  it("has the hand-written analytic gradient on dataW4 (to 1e-10): eager with class labels, compiled with the batch as input", () => {
    const w = dataW4();
    const params = paramsOf(w);
    const hand = handGrad(w);
    const keys = ["W1", "b1", "W2", "b2"] as const;

    const eager = ad.grad((p: P) => ad.crossEntropy(logits(p, ad.tensor(w.X, [w.B, D])), w.labels))(params);
    keys.forEach((k, i) => expect(eager[k].data).toBeAllclose(hand[i], scaled(hand[i], 1e-10)));

    const batch = { params, X: ad.tensor(w.X, [w.B, D]), Y: ad.tensor(w.Yoh, [w.B, C]) };
    const tape = ad.compile(loss, batch);
    const [value, g] = tape.valueAndGrad(batch);
    expect(value).toBeAllclose(setup("W4", w).f(), { rtol: 1e-12 });
    keys.forEach((k, i) => expect(g.params[k].data).toBeAllclose(hand[i], scaled(hand[i], 1e-10)));
    expect(g.X.data.every((v) => v === 0)).toBe(true); // stopGradient: no gradient into the data

    // The same tape at another batch (new pixels, new labels) and new parameters, into a preallocated tree.
    const X2 = w.X.map((v, i) => (i % 7 === 0 ? 1 - v : v)), labels2 = w.labels.map((c) => (c + 3) % C);
    const Y2 = new Float64Array(w.B * C);
    labels2.forEach((c, i) => (Y2[i * C + c] = 1));
    const w2 = { ...w, X: X2, labels: labels2, Yoh: Y2, W1: w.W1.map((v) => 1.5 * v), b2: w.b2.map((v) => v + 0.1) };
    const hand2 = handGrad(w2);
    const out = { params: Object.fromEntries(keys.map((k) => [k, zerosLike(params[k])])) as Params, X: zerosLike(batch.X), Y: zerosLike(batch.Y) };
    tape.grad({ params: paramsOf(w2), X: ad.tensor(X2, [w.B, D]), Y: ad.tensor(Y2, [w.B, C]) }, out);
    keys.forEach((k, i) => expect(out.params[k].data).toBeAllclose(hand2[i], scaled(hand2[i], 1e-10)));
    tape.dispose();
  });

  it("learns a synthetic 10-class set with Adam on minibatches through one compiled tape", () => {
    const rng = mulberry32(7);
    const n = 1000, B = 64;
    const protos = Float64Array.from({ length: C * D }, () => rng());
    const xs = new Float64Array(n * D), labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const k = (labels[i] = Math.floor(rng() * C));
      for (let j = 0; j < D; j++) xs[i * D + j] = Math.min(1, Math.max(0, 0.5 + 0.25 * (protos[k * D + j] - 0.5) + 0.5 * gaussian(rng)));
    }
    const params = paramsOf(dataW4(B, D, H, C));
    const evaluate = ad.compile((p: P) => {
      const z = logits(p, ad.tensor(xs, [n, D]));
      return [ad.crossEntropy(z, labels), z];
    }, params);
    const measure = () => {
      const [l, z] = evaluate.value(params) as unknown as [ad.TensorData, ad.TensorData];
      let right = 0;
      for (let i = 0; i < n; i++) {
        let best = 0;
        for (let k = 1; k < C; k++) if (z.data[i * C + k] > z.data[i * C + best]) best = k;
        right += best === labels[i] ? 1 : 0;
      }
      return { loss: l.data[0], accuracy: right / n };
    };

    const batch = { params, X: ad.tensor(new Float64Array(B * D), [B, D]), Y: ad.tensor(new Float64Array(B * C), [B, C]) };
    const fill = () => {
      batch.Y.data.fill(0);
      for (let r = 0; r < B; r++) {
        const i = Math.floor(rng() * n);
        batch.X.data.set(xs.subarray(i * D, (i + 1) * D), r * D);
        batch.Y.data[r * C + labels[i]] = 1;
      }
      return batch;
    };
    const tape = ad.compile(loss, fill());
    const g = { params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, zerosLike(v)])) as Params, X: zerosLike(batch.X), Y: zerosLike(batch.Y) };
    const opt = ad.adam({ lr: 1e-3 }), state = opt.init(params);

    const before = measure();
    for (let step = 0; step < 100; step++) opt.step(params, tape.grad(fill(), g).params, state);
    const after = measure();
    expect(before.accuracy).toBeLessThan(0.2);
    expect(after.loss).toBeLessThan(0.4 * before.loss); // 2.45 → 0.58
    expect(after.accuracy).toBeGreaterThan(0.8); // 10.6% → 95.5%
    expect(tape.stats.rerecords).toBe(0);
    tape.dispose();
    evaluate.dispose();
  });
});

describe("the examples", () => {
  const run = (file: string) => execFileSync(process.execPath, [file], { cwd: root, encoding: "utf8" });

  it("examples/classifier.mjs trains to ≥ 95% accuracy and prints its table", () => {
    const out = run("examples/classifier.mjs");
    const rows = out.split("\n").filter((l) => /^\s+\d+\s+[\d.]+\s+[\d.]+%$/.test(l)).map((l) => l.trim().split(/\s+/).map(parseFloat));
    expect(rows.map((r) => r[0])).toEqual([0, 1, 10, 100, 1000]);
    expect(rows[0][2]).toBeLessThan(95);
    expect(rows.at(-1)![2]).toBeGreaterThanOrEqual(95);
    expect(rows.at(-1)![1]).toBeLessThan(rows[0][1]);
    expect(out).toMatch(/ms per step \(median of 1000\): eager ad\.grad [\d.]+, compiled [\d.]+/);
  });

  it("examples/mlp.mjs: the loss falls below 20% of its initial value, accuracy far above chance", () => {
    const out = run("examples/mlp.mjs");
    const [, first, last, pct] = out.match(/loss ([\d.]+) → ([\d.]+) \(([\d.]+)% of the initial\)/)!.map(Number);
    expect(last).toBeLessThan(0.2 * first);
    expect(pct).toBeLessThan(20);
    expect(Number(out.match(/final train accuracy ([\d.]+)%/)![1])).toBeGreaterThan(80);
  });
});

describe("memory discipline", () => {
  it("10⁴ training steps (eager grad + sgd, compiled + adam) keep Wasm memory and tape bytes flat, the heap within 2 MB", () => {
    const out = execFileSync(process.execPath, ["--expose-gc", "test/fixtures/training-memory.mjs"], { cwd: root, encoding: "utf8" });
    type Point = { step: number; wasm: number; tape: number; heap: number };
    const r = JSON.parse(out) as { eager: Point[]; compiled: Point[]; accuracy: { eager: number; compiled: number } };
    for (const points of [r.eager, r.compiled]) {
      expect(points).toHaveLength(11);
      const [first, ...rest] = points;
      for (const p of rest) {
        expect(p.wasm).toBe(first.wasm); // linear memory never grows after warm-up
        expect(p.tape).toBe(first.tape); // nor do the tapes' bytes in use
      }
      expect(Math.max(...rest.map((p) => p.heap)) - first.heap).toBeLessThan(2 * 2 ** 20);
    }
    expect(r.accuracy.eager).toBeGreaterThanOrEqual(0.95); // the loops really trained
    expect(r.accuracy.compiled).toBeGreaterThanOrEqual(0.95);
  });
});
