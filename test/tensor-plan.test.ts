/** @file A compiled tape's adjoint plan (src/tensor/plan.ts) and the chunked sweeps of elementwise runs
 * (assembly/chunk.ts): compiled results equal eager ones (which run neither plan), across dead nodes, shared
 * operands, views, repeated sweeps and runs longer than a chunk. */
import { describe, it, expect } from "vitest";
import * as ad from "../src/index.js";
import { rng, uniform } from "./helpers.js";

const vec = (n: number, seed: number) => {
  const r = rng(seed);
  return ad.tensor(Float64Array.from({ length: n }, () => uniform(r, -1.5, 1.5)), [n]);
};
/** The extended Rosenbrock on slices (views of the input): a run of seven elementwise nodes. */
const rosen = (x: ad.Tensor<"nd">) => {
  const n = x.size, a = x.slice(0, n - 1), b = x.slice(1, n - 1);
  return b.sub(a.square()).square().mul(100).add(ad.sub(1, a).square()).sum();
};

describe("the adjoint plan and chunked runs", () => {
  it.each([10, 4097, 20000])("Rosenbrock of %i: compiled gradient equals eager's and the closed form", (n) => {
    const x = vec(n, n);
    const g = ad.grad(rosen)(x).data;
    const c = ad.compile(rosen, x);
    // The fused loop sums the two slices' contributions to x[j] in another order than the kernels (n ≥ 256).
    const same = { rtol: 1e-14, atol: 1e-12 };
    expect(c.grad(x).data).toBeAllclose(g, same);
    const xs = x.data;
    const closed = new Float64Array(n);
    for (let i = 0; i + 1 < n; i++) {
      closed[i] += -400 * xs[i] * (xs[i + 1] - xs[i] ** 2) - 2 * (1 - xs[i]);
      closed[i + 1] += 200 * (xs[i + 1] - xs[i] ** 2);
    }
    expect(g).toBeAllclose(closed, { rtol: 1e-12, atol: 1e-9 });
    // repeated sweeps on the planned tape (each zeroes only what it must)
    const y = vec(n, n + 1);
    expect(c.grad(y).data).toBeAllclose(ad.grad(rosen)(y).data, same);
    expect(c.grad(x).data).toBeAllclose(g, same);
  });

  it("a dead intermediate (computed, never used) sends nothing back", () => {
    const f = (x: ad.Tensor<"nd">) => {
      x.mul(3).exp(); // dead: its adjoint must read as zero
      const u = x.add(1);
      return u.mul(u.sub(2)).sum();
    };
    const x = vec(5000, 7);
    const c = ad.compile(f, x);
    const want = x.data.map((v) => 2 * v);
    for (let k = 0; k < 3; k++) expect(c.grad(x).data).toBeAllclose(want, { rtol: 1e-14, atol: 1e-14 });
  });

  it("an intermediate read twice, or by a non-elementwise op, is zeroed and summed", () => {
    const f = (x: ad.Tensor<"nd">) => {
      const u = x.sin(); // read by two Maps and a reduction
      return u.mul(u.add(1)).sum().add(u.square().sum()).add(ad.amax(u));
    };
    const x = vec(6000, 9);
    const c = ad.compile(f, x);
    // u + 1, u·(u + 1) and its sum are fused: u's adjoint sums its readers in another order than the kernels
    expect(c.grad(x).data).toBeAllclose(ad.grad(f)(x).data, { rtol: 1e-14, atol: 1e-15 });
  });

  it("compiled vjp and reverse Jacobian sweep the planned tape many times", () => {
    const f = (x: ad.Tensor<"nd">) => x.mul(x).add(x.exp()).reshape([2, -1]).sum(1);
    const x = vec(8192, 3);
    const c = ad.compile(f, x);
    const J = c.jacobian(x), Je = ad.jacrev(f)(x);
    expect(J.data).toEqual(Je.data);
    const ct = ad.tensor([0.5, -2], [2]);
    expect(c.vjp(x, ct).data).toEqual(ad.vjp(f)(x)[1](ct).data);
  });
});
