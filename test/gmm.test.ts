/** @file The ADBench GMM objective (W5, bench/workloads.mjs) in tensor ops: its value against a direct float64
 * evaluation (bench/peers/gmm-direct.mjs, checked against mpmath) and its gradient against 4th-order central
 * differences of that evaluation, on small sizes; compiled replay and H·v on top. */
import { describe, it, expect } from "vitest";
import * as ad from "../src/index.js";

interface Params { alpha: Float64Array; mu: Float64Array; q: Float64Array; l: Float64Array }
interface W5 { d: number; K: number; n: number; x: Float64Array; params: Params }
type Tree = Record<keyof Params, ad.TensorData>;
const load = (path: string): Promise<unknown> => import(new URL(path, import.meta.url).href);
const { dataW5 } = (await load("../bench/baselines/data.mjs")) as { dataW5(d: number, K: number, n: number, seed?: number): W5 };
const { gmmObjective, gmmCentralDiff } = (await load("../bench/peers/gmm-direct.mjs")) as {
  gmmObjective(data: W5, params?: Params): number;
  gmmCentralDiff(data: W5, key: keyof Params, idx: number, h?: number, order?: number): number;
};
const { gmm, gmmParams } = (await load("../bench/workloads.mjs")) as {
  gmm(data: W5, lib: typeof ad): (p: Record<keyof Params, ad.Tensor<"nd">>) => ad.Tensor<"nd">;
  gmmParams(data: W5, lib: typeof ad): Tree;
};
const KEYS = ["alpha", "mu", "q", "l"] as const;

describe.each([
  [2, 3, 5],
  [3, 2, 4],
  [5, 4, 20],
  [4, 6, 50],
])("GMM d = %i, K = %i, n = %i", (d, K, n) => {
  const data = dataW5(d, K, n);
  const f = gmm(data, ad);
  const x = gmmParams(data, ad);

  it("equals the direct float64 evaluation", () => {
    const [v] = ad.valueAndGrad(f)(x);
    expect(v).toBeAllclose(gmmObjective(data), { rtol: 1e-13 });
  });

  it("its gradient equals central differences of the direct evaluation, every coordinate", () => {
    const g = ad.grad(f)(x);
    for (const key of KEYS) {
      const fd = Float64Array.from(data.params[key], (_, i) => gmmCentralDiff(data, key, i, 1e-4, 4));
      expect(g[key].data).toBeAllclose(fd, { rtol: 1e-7, atol: 1e-7 * Math.max(1, ...Array.from(fd, Math.abs)) });
    }
  });

  it("replays compiled at new parameters as eager computes them, and H·v equals differences of the gradient", () => {
    const c = ad.compile(f, x);
    const y = gmmParams({ ...data, params: Object.fromEntries(KEYS.map((k) => [k, data.params[k].map((v, i) => v + 0.01 * Math.sin(i + 1))])) as unknown as Params }, ad);
    const [ve, ge] = ad.valueAndGrad(f)(y);
    const [vc, gc] = c.valueAndGrad(y);
    expect(vc).toBe(ve);
    for (const key of KEYS) expect(gc[key].data).toEqual(ge[key].data);
    const v = Object.fromEntries(KEYS.map((k) => [k, ad.tensor(x[k].data.map((_, i) => Math.cos(3 * i + k.length)), x[k].shape)])) as Tree;
    const hv = ad.hvp(f)(x, v);
    const h = 1e-5;
    const at = (s: number) => ad.grad(f)(Object.fromEntries(KEYS.map((k) => [k, ad.tensor(x[k].data.map((xi, i) => xi + s * v[k].data[i]), x[k].shape)])) as Tree);
    const gp = at(h), gm = at(-h);
    for (const key of KEYS) {
      const fd = gp[key].data.map((p, i) => (p - gm[key].data[i]) / (2 * h));
      expect(hv[key].data).toBeAllclose(fd, { rtol: 1e-5, atol: 1e-5 * Math.max(1, ...Array.from(fd, Math.abs)) });
    }
  });
});
