/** @file Shared test helpers: a seeded RNG, uniform sampling, and the extended Rosenbrock function (adtape and plain JS). */
import * as ad from "../src/index.js";

/** A seeded uniform [0, 1) generator (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform sample in [lo, hi). */
export function uniform(r: () => number, lo: number, hi: number): number {
  return lo + (hi - lo) * r();
}

/** The extended Rosenbrock function Σ 100(x_{i+1} − x_i²)² + (1 − x_i)², written with adtape ops. */
export const rosen = (x: ad.Tensor): ad.Scalar => {
  let s: ad.Operand = 0;
  for (let i = 0; i + 1 < x.length; i++) {
    const [a, b] = [x.at(i), x.at(i + 1)];
    s = ad.add(s, ad.add(ad.mul(100, ad.square(ad.sub(b, ad.square(a)))), ad.square(ad.sub(1, a))));
  }
  return s as ad.Scalar;
};

/** The same function in plain JS (the oracle for numerical differences). */
export const rosenPlain = (x: Float64Array): number => {
  let s = 0;
  for (let i = 0; i + 1 < x.length; i++) s += 100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2;
  return s;
};
