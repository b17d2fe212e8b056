/** @file Sparse derivatives: sparsity from the tape, colouring, and CSR values equal to the dense transforms. */
import { describe, it, expect } from "vitest";
import * as ad from "../src/index.js";
import { table, evalRow } from "../src/ops.js";
import { rng, uniform, rosen, domain, names } from "./helpers.js";

const dense = (m: ad.Csr) => {
  const out = new Float64Array(m.rows * m.cols);
  for (let r = 0; r < m.rows; r++) for (let k = m.rowPtr[r]; k < m.rowPtr[r + 1]; k++) out[r * m.cols + m.colIdx[k]] = m.values[k];
  return out;
};

describe("sparseHessian", () => {
  it("equals the dense Hessian on Rosenbrock, tridiagonal, in 3 colours", () => {
    for (const n of [6, 50]) {
      const x = Float64Array.from({ length: n }, (_, i) => Math.cos(i));
      const S = ad.sparseHessian(rosen)(x);
      expect(S.colours).toBe(3);
      expect(S.values.length).toBe(3 * n - 2);
      expect(dense(S)).toEqual(ad.hessian(rosen)(x).data);
    }
  });

  it("keeps every non-zero of a function with mixed curvature", () => {
    const f = (v: ad.Tensor) => ad.add(ad.mul(ad.exp(v.at(0)), v.at(3)), ad.div(v.at(1), ad.pow(v.at(2), 1.5))).add(ad.mul(v.at(4), 7)).add(v.at(5).sin());
    const x = [0.3, -1.2, 1.7, 0.5, 2, -0.4];
    const S = ad.sparseHessian(f)(x), D = ad.hessian(f)(x).data;
    expect(dense(S)).toBeAllclose(D, { rtol: 1e-14, atol: 1e-15 });
    D.forEach((v, i) => v !== 0 && expect(dense(S)[i]).not.toBe(0));
    expect(S.colours).toBeLessThan(x.length);
  });

  it("re-detects the pattern when a branch changes the tape", () => {
    const f = (v: ad.Tensor) => (ad.lt(v.at(0), 0) ? ad.mul(v.at(0), v.at(1)) : ad.mul(v.at(1), v.at(2)));
    const h = ad.sparseHessian(f);
    expect(dense(h([-1, 2, 3]))).toEqual(ad.hessian(f)([-1, 2, 3]).data);
    expect(dense(h([1, 2, 3]))).toEqual(ad.hessian(f)([1, 2, 3]).data);
  });
});

describe("sparseJacobian", () => {
  it("equals the dense Jacobian, with as many sweeps as colours", () => {
    const f = (v: ad.Tensor) => [v.at(0).mul(v.at(1)), v.at(2).sin(), v.at(3).add(v.at(0)).exp(), 5];
    const x = [0.5, 1, 2, -1];
    const S = ad.sparseJacobian(f)(x);
    expect(dense(S)).toEqual(ad.jacobian(f)(x).data);
    expect(S.colours).toBe(2);
  });
});

describe("the op table's curvature flags", () => {
  it.each(names)("%s: every second partial the engine finds non-zero is flagged", (name) => {
    const row = table[name] as { code: number; curv?: readonly number[] };
    const [dx, dy] = domain[name] ?? [[-2, 2], [-2, 2]];
    const r = rng(2100 + row.code);
    for (let k = 0; k < 8; k++) {
      const v = evalRow(row.code, uniform(r, ...dx), uniform(r, ...dy));
      [3, 4, 5].forEach((j, c) => v[j] !== 0 && expect(row.curv?.[c]).toBe(1));
    }
  });
});
