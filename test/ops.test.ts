/** @file The table-driven op test: every primitive's value, first and second partials, against independent oracles. */
import { describe, it, expect } from "vitest";
import * as ad from "../src/index.js";
import { table, evalRow } from "../src/ops.js";
import { richardson } from "../src/baselines/numeric.js";
import { erfRef, lgammaRef, digammaRef, trigammaRef } from "./reference/special.js";
import { rng, uniform } from "./helpers.js";

type Name = keyof typeof table;
type Pair = [number, number];
type F2 = (x: number, y: number) => number;

interface Row {
  /** Samples a point of the op's valid domain (away from kinks for difference checks). */
  at: (r: () => number) => Pair;
  /** The value from an independent source (JS Math); omitted where reference tables are used. */
  value?: F2;
  /** Closed-form first partials [∂x, ∂y]. */
  d?: (x: number, y: number) => Pair;
  /** Closed-form second partials [∂xx, ∂xy, ∂yy]. */
  d2?: (x: number, y: number) => [number, number, number];
  /** Which operands central differences apply to (false where the op is deliberately not differentiable). */
  diff: [boolean, boolean];
}

const u = (lo: number, hi: number) => (r: () => number): Pair => [uniform(r, lo, hi), uniform(r, -2, 2)];
const u2 = (lo: number, hi: number, lo2: number, hi2: number) => (r: () => number): Pair => [uniform(r, lo, hi), uniform(r, lo2, hi2)];
const apart = (r: () => number): Pair => {
  const x = uniform(r, -3, 3);
  return [x, x + (r() < 0.5 ? -1 : 1) * uniform(r, 0.1, 2)];
};
const sign = (r: () => number) => (r() < 0.5 ? -1 : 1);
const mask = (r: () => number): Pair => [r() < 0.5 ? 0 : 1, uniform(r, -3, 3)];
const ZERO2 = (): [number, number, number] => [0, 0, 0];
const SQRT_PI = Math.sqrt(Math.PI);

const rows: { [K in Name]: Row } = {
  add: { at: u2(-3, 3, -3, 3), value: (x, y) => x + y, d: () => [1, 1], d2: ZERO2, diff: [true, true] },
  sub: { at: u2(-3, 3, -3, 3), value: (x, y) => x - y, d: () => [1, -1], d2: ZERO2, diff: [true, true] },
  mul: { at: u2(-3, 3, -3, 3), value: (x, y) => x * y, d: (x, y) => [y, x], d2: () => [0, 1, 0], diff: [true, true] },
  div: {
    at: (r) => [uniform(r, -3, 3), sign(r) * uniform(r, 0.5, 3)],
    value: (x, y) => x / y,
    d: (x, y) => [1 / y, -x / (y * y)],
    d2: (x, y) => [0, -1 / (y * y), (2 * x) / (y * y * y)],
    diff: [true, true],
  },
  neg: { at: u(-3, 3), value: (x) => -x, d: () => [-1, 0], d2: ZERO2, diff: [true, false] },
  pow: {
    at: u2(0.2, 3, -2, 3),
    value: Math.pow,
    d: (x, y) => [y * x ** (y - 1), x ** y * Math.log(x)],
    d2: (x, y) => [y * (y - 1) * x ** (y - 2), x ** (y - 1) * (1 + y * Math.log(x)), x ** y * Math.log(x) ** 2],
    diff: [true, true],
  },
  exp: { at: u(-5, 5), value: Math.exp, d: (x) => [Math.exp(x), 0], d2: (x) => [Math.exp(x), 0, 0], diff: [true, false] },
  log: { at: u(0.05, 10), value: Math.log, d: (x) => [1 / x, 0], d2: (x) => [-1 / (x * x), 0, 0], diff: [true, false] },
  log1p: { at: u(-0.9, 5), value: Math.log1p, d: (x) => [1 / (1 + x), 0], d2: (x) => [-1 / (1 + x) ** 2, 0, 0], diff: [true, false] },
  expm1: { at: u(-5, 5), value: Math.expm1, d: (x) => [Math.exp(x), 0], d2: (x) => [Math.exp(x), 0, 0], diff: [true, false] },
  sqrt: { at: u(0.01, 10), value: Math.sqrt, d: (x) => [1 / (2 * Math.sqrt(x)), 0], d2: (x) => [-0.25 * x ** -1.5, 0, 0], diff: [true, false] },
  sin: { at: u(-6, 6), value: Math.sin, d: (x) => [Math.cos(x), 0], d2: (x) => [-Math.sin(x), 0, 0], diff: [true, false] },
  cos: { at: u(-6, 6), value: Math.cos, d: (x) => [-Math.sin(x), 0], d2: (x) => [-Math.cos(x), 0, 0], diff: [true, false] },
  tan: {
    at: u(-1.4, 1.4),
    value: Math.tan,
    d: (x) => [1 / Math.cos(x) ** 2, 0],
    d2: (x) => [(2 * Math.tan(x)) / Math.cos(x) ** 2, 0, 0],
    diff: [true, false],
  },
  sigmoid: {
    at: u(-8, 8),
    value: (x) => 1 / (1 + Math.exp(-x)),
    d: (x) => [Math.exp(-x) / (1 + Math.exp(-x)) ** 2, 0],
    d2: (x) => {
      const s = 1 / (1 + Math.exp(-x));
      return [s * (1 - s) * (1 - 2 * s), 0, 0];
    },
    diff: [true, false],
  },
  tanh: {
    at: u(-4, 4),
    value: Math.tanh,
    d: (x) => [1 / Math.cosh(x) ** 2, 0],
    d2: (x) => [(-2 * Math.tanh(x)) / Math.cosh(x) ** 2, 0, 0],
    diff: [true, false],
  },
  asin: { at: u(-0.95, 0.95), value: Math.asin, d: (x) => [1 / Math.sqrt(1 - x * x), 0], d2: (x) => [x / (1 - x * x) ** 1.5, 0, 0], diff: [true, false] },
  acos: { at: u(-0.95, 0.95), value: Math.acos, d: (x) => [-1 / Math.sqrt(1 - x * x), 0], d2: (x) => [-x / (1 - x * x) ** 1.5, 0, 0], diff: [true, false] },
  atan: { at: u(-5, 5), value: Math.atan, d: (x) => [1 / (1 + x * x), 0], d2: (x) => [(-2 * x) / (1 + x * x) ** 2, 0, 0], diff: [true, false] },
  atan2: {
    at: (r) => [sign(r) * uniform(r, 0.3, 3), sign(r) * uniform(r, 0.3, 3)],
    value: Math.atan2,
    d: (x, y) => [y / (x * x + y * y), -x / (x * x + y * y)],
    d2: (x, y) => {
      const r4 = (x * x + y * y) ** 2;
      return [(-2 * x * y) / r4, (x * x - y * y) / r4, (2 * x * y) / r4];
    },
    diff: [true, true],
  },
  abs: { at: (r) => [sign(r) * uniform(r, 0.1, 3), 0], value: Math.abs, d: (x) => [Math.sign(x), 0], d2: ZERO2, diff: [true, false] },
  min: { at: apart, value: Math.min, d: (x, y) => (x < y ? [1, 0] : [0, 1]), d2: ZERO2, diff: [true, true] },
  max: { at: apart, value: Math.max, d: (x, y) => (x > y ? [1, 0] : [0, 1]), d2: ZERO2, diff: [true, true] },
  erf: {
    at: u(-3, 3),
    d: (x) => [(2 / SQRT_PI) * Math.exp(-x * x), 0],
    d2: (x) => [((-4 * x) / SQRT_PI) * Math.exp(-x * x), 0, 0],
    diff: [true, false],
  },
  lgamma: { at: (r) => (r() < 0.7 ? [uniform(r, 0.1, 10), 0] : [-uniform(r, 0.1, 0.9) - Math.floor(uniform(r, 0, 4)), 0]), diff: [true, false] },
  digamma: { at: (r) => (r() < 0.7 ? [uniform(r, 0.2, 30), 0] : [-uniform(r, 0.2, 0.8) - Math.floor(uniform(r, 0, 4)), 0]), diff: [true, false] },
  trigamma: { at: (r) => (r() < 0.7 ? [uniform(r, 0.2, 30), 0] : [-uniform(r, 0.2, 0.8) - Math.floor(uniform(r, 0, 4)), 0]), diff: [true, false] },
  stopGradient: { at: u(-3, 3), value: (x) => x, d: () => [0, 0], d2: ZERO2, diff: [false, false] },
  less: { at: apart, value: (x, y) => +(x < y), d: () => [0, 0], d2: ZERO2, diff: [true, true] },
  lessEqual: { at: apart, value: (x, y) => +(x <= y), d: () => [0, 0], d2: ZERO2, diff: [true, true] },
  greater: { at: apart, value: (x, y) => +(x > y), d: () => [0, 0], d2: ZERO2, diff: [true, true] },
  greaterEqual: { at: apart, value: (x, y) => +(x >= y), d: () => [0, 0], d2: ZERO2, diff: [true, true] },
  equal: { at: apart, value: (x, y) => +(x === y), d: () => [0, 0], d2: ZERO2, diff: [true, true] },
  whereTrue: { at: mask, value: (m, y) => (m ? y : 0), d: (m) => [0, m ? 1 : 0], d2: ZERO2, diff: [false, true] },
  whereFalse: { at: mask, value: (m, y) => (m ? 0 : y), d: (m) => [0, m ? 0 : 1], d2: ZERO2, diff: [false, true] },
  // A user's rule: its value is the preset slot (here x) and its partials are whatever was preset.
  custom: { at: u2(-3, 3, -3, 3), value: (x) => x, d2: ZERO2, diff: [false, false] },
};

const SAMPLES = 12;
const names = Object.keys(rows) as Name[];

/** The engine's row as functions of one operand, the other held fixed: k = 0 value, 1 ∂x, 2 ∂y. */
function rowFn(code: number, k: number, arg: 0 | 1, x: number, y: number): (t: number) => number {
  return (t) => (arg === 0 ? evalRow(code, t, y) : evalRow(code, x, t))[k];
}

describe.each(names)("op %s", (name) => {
  const row = rows[name];
  const { code, arity } = table[name];
  const points = Array.from({ length: SAMPLES }, (_, i) => row.at(rng(1000 + i * 7 + code)));
  const args = arity === 2 ? ([0, 1] as const) : ([0] as const);

  if (row.value) it("has the value of an independent reference", () => {
    for (const [x, y] of points) expect(evalRow(code, x, y)[0]).toBeAllclose(row.value!(x, y), { rtol: 4e-16, atol: 1e-300 });
  });

  if (row.d) it("has first partials equal to the closed forms", () => {
    for (const [x, y] of points) {
      const r = evalRow(code, x, y);
      const [dx, dy] = row.d!(x, y);
      expect(r[1]).toBeAllclose(dx, { rtol: 1e-13, atol: 1e-15 });
      if (arity === 2) expect(r[2]).toBeAllclose(dy, { rtol: 1e-13, atol: 1e-15 });
    }
  });

  if (row.d2) it("has second partials equal to the closed forms", () => {
    for (const [x, y] of points) {
      const r = evalRow(code, x, y);
      const [dxx, dxy, dyy] = row.d2!(x, y);
      expect(r[3]).toBeAllclose(dxx, { rtol: 1e-12, atol: 1e-14 });
      if (arity === 2) expect([r[4], r[5]]).toBeAllclose([dxy, dyy], { rtol: 1e-12, atol: 1e-14 });
    }
  });

  it("has first partials equal to Richardson differences of its value", () => {
    for (const [x, y] of points) {
      const r = evalRow(code, x, y);
      for (const arg of args) {
        if (!row.diff[arg]) continue;
        const num = richardson(rowFn(code, 0, arg, x, y), arg === 0 ? x : y).value;
        expect(r[1 + arg]).toBeAllclose(num, { rtol: 1e-9, atol: 1e-10 });
      }
    }
  });

  it("has second partials equal to Richardson differences of its first partials", () => {
    for (const [x, y] of points) {
      const r = evalRow(code, x, y);
      const at = (k: number, arg: 0 | 1) => richardson(rowFn(code, k, arg, x, y), arg === 0 ? x : y).value;
      if (row.diff[0]) expect(r[3]).toBeAllclose(at(1, 0), { rtol: 1e-8, atol: 1e-9 }); // ∂xx = ∂(∂x)/∂x
      if (arity === 2 && row.diff[1]) {
        expect(r[4]).toBeAllclose(at(1, 1), { rtol: 1e-8, atol: 1e-9 }); // ∂xy = ∂(∂x)/∂y
        expect(r[5]).toBeAllclose(at(2, 1), { rtol: 1e-8, atol: 1e-9 }); // ∂yy = ∂(∂y)/∂y
      }
      if (arity === 2 && row.diff[0]) expect(r[4]).toBeAllclose(at(2, 0), { rtol: 1e-8, atol: 1e-9 }); // ∂xy = ∂(∂y)/∂x
    }
  });

  if (name !== "custom") it("records through the tape: grad of the functional and chained forms equals the row", () => {
    const where = name === "whereTrue" ? (m: ad.Scalar, b: ad.Scalar) => ad.where(m, b, 0) : (m: ad.Scalar, b: ad.Scalar) => ad.where(m, 0, b);
    const fn = (ad.ops as unknown as Record<string, (...a: unknown[]) => ad.Scalar>)[name] ?? where;
    for (const [x, y] of points.slice(0, 4)) {
      const r = evalRow(code, x, y);
      const functional = ad.valueAndGrad((v: ad.Tensor) => (arity === 2 ? fn(v.at(0), v.at(1)) : fn(v.at(0))))([x, y]);
      expect(functional[0]).toBe(r[0]);
      if (name !== "whereTrue" && name !== "whereFalse") {
        expect(Array.from(functional[1])).toEqual(arity === 2 ? [r[1], r[2]] : [r[1], 0]);
        const chained = ad.grad((v: ad.Tensor) => (v.at(0) as unknown as Record<string, (b?: unknown) => ad.Scalar>)[name](v.at(1)))([x, y]);
        if (arity === 2) expect(Array.from(chained)).toEqual([r[1], r[2]]);
        else expect(chained[0]).toBe(r[1]);
      }
    }
  });
});

describe("special functions against mpmath reference values", () => {
  const check = (code: number, k: number, ref: ReadonlyArray<readonly [number, number]>, rtol: number) => {
    for (const [x, want] of ref) expect(evalRow(code, x)[k]).toBeAllclose(want, { rtol, atol: 1e-15 });
  };
  it("erf", () => check(table.erf.code, 0, erfRef, 2e-16));
  it("lgamma", () => check(table.lgamma.code, 0, lgammaRef, 1e-15));
  it("lgamma's first partial is digamma", () => check(table.lgamma.code, 1, digammaRef, 1e-14));
  it("lgamma's second partial is trigamma", () => check(table.lgamma.code, 3, trigammaRef, 1e-14));
  it("the digamma op is digamma, and its first partial trigamma", () => {
    check(table.digamma.code, 0, digammaRef, 1e-14);
    check(table.digamma.code, 1, trigammaRef, 1e-14);
  });
  it("the trigamma op is trigamma", () => check(table.trigamma.code, 0, trigammaRef, 1e-14));
  it("the trigamma op's partials are tetragamma and pentagamma (mpmath polygamma(2|3, x), 30 digits)", () => {
    const ref: Array<[number, number, number]> = [
      [2.5, -0.2362040516417274, 0.22390584881725205],
      [0.3, -75.272536588726039, 743.14176465504978],
      [7, -0.023530472985855237, 0.0071981985631254454],
      [-0.5, -0.82879664423432, 193.40909103400244],
      [-2.3, 68.713792529270302, 768.93506466614224],
      [25, -0.0016652793184224682, 0.0001358846365082737],
      [1, -2.4041138063191886, 6.4939394022668291],
      [0.05, -16002.108158021943, 960005.38832231298],
      [19.9, -0.0026552682774901063, 0.00027355760534575216],
      [20.1, -0.0026013906050221926, 0.00026527568555815583],
      [123.4, -6.6204734192310936e-5, 1.077357827078302e-6],
    ];
    for (const [x, psi2, psi3] of ref) {
      const r = evalRow(table.trigamma.code, x);
      expect([r[1], r[3]]).toBeAllclose([psi2, psi3], { rtol: 1e-14 });
    }
  });
});
