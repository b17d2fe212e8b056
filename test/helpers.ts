/** @file Shared test helpers: a seeded RNG, uniform sampling, the extended Rosenbrock function (adtape and plain JS), and op-table domains. */
import * as ad from "../src/index.js";
import { table } from "../src/ops.js";

/** A primitive's name in the TS op table. */
export type Name = keyof typeof table;
/** An op as a two-operand function (unary ops ignore the second). */
export type Op2 = (x: ad.Operand, y: ad.Operand) => ad.Scalar;

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

/** Where an op is defined and smooth enough to sample freely (ops.test.ts has the exact domains). */
export const domain: Partial<Record<Name, [[number, number], [number, number]]>> = {
  log: [[0.2, 3], [0, 1]],
  sqrt: [[0.2, 3], [0, 1]],
  lgamma: [[0.2, 3], [0, 1]],
  digamma: [[0.3, 4], [0, 1]],
  trigamma: [[0.3, 4], [0, 1]],
  log1p: [[-0.5, 3], [0, 1]],
  asin: [[-0.9, 0.9], [0, 1]],
  acos: [[-0.9, 0.9], [0, 1]],
  tan: [[-1.2, 1.2], [0, 1]],
  pow: [[0.2, 3], [-2, 2]],
  div: [[-2, 2], [0.5, 2]],
};
/** Every primitive of the op table but `custom` (a user's rule: test/custom.test.ts). */
export const names = (Object.keys(table) as Name[]).filter((name) => name !== "custom");
/** The public op for a primitive (the where* rows through `where`). */
export const opFn = (name: Name): Op2 => {
  if (name === "whereTrue") return (m, b) => ad.where(ad.greater(m, 0), b, 0) as ad.Scalar;
  if (name === "whereFalse") return (m, b) => ad.where(ad.greater(m, 0), 0, b) as ad.Scalar;
  return (ad.ops as unknown as Record<string, Op2>)[name];
};
