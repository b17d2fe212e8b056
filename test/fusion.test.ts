/** @file Elementwise fusion of compiled tapes: programs made of runs of elementwise tensor ops over one 1-D length
 * (n ≥ 256), optionally ending in a full sum — the shape fusion compiles into one generated Wasm loop. Owns the
 * correctness of compiled value / grad / valueAndGrad on such programs (equal to eager, which never fuses, and to
 * central differences), of jvp / hvp on the same tapes (unfused kernels), of interleaved calls at new inputs, of
 * `grad(x, out)`, of the "zero cotangent through an infinite partial" rule, of a compiled training loop's memory,
 * and that fusion does happen on these programs (`stats.fused`). */
import { describe, it, expect } from "vitest";
import * as ad from "../src/index.js";
import { rng, uniform } from "./helpers.js";
import { gradOf, vjpOf, hvpOf, richardson, pickColumns, maxAbs, seedOf } from "./tensor-helpers.js";

type X = ad.Tensor<"nd">;
/** An input: one tensor, or a tree of tensors. */
type In = ad.TensorData | { [k: string]: ad.TensorData };
/** A compiled program, loosely typed (the programs' input trees differ). */
interface Loose {
  value(x: unknown): unknown;
  grad(x: unknown, out?: unknown): unknown;
  valueAndGrad(x: unknown): [number, unknown];
  jvp(x: unknown, v: unknown): [unknown, unknown];
  hvp(x: unknown, v: unknown): unknown;
  stats: ad.CompiledStats;
  dispose(): void;
}
type Fn = (x: never) => unknown;
const compile = ad.compile as unknown as (f: Fn, x0: unknown) => Loose;
const eagerValueAndGrad = ad.valueAndGrad as unknown as (f: Fn) => (x: unknown) => [number, unknown];

/** A program: f (tensor tree in, scalar out), its lengths, and an input sampler. */
interface Program {
  name: string;
  f: Fn;
  ns: number[];
  input: (n: number, r: () => number) => In;
}
const vec = (n: number, r: () => number, lo: number, hi: number) => ad.tensor(Float64Array.from({ length: n }, () => uniform(r, lo, hi)), [n]);
const on = (lo: number, hi: number) => (n: number, r: () => number) => vec(n, r, lo, hi);
/** A fixed constant vector of x's length (no gradient). */
const weights = (n: number) => ad.tensor(Float64Array.from({ length: n }, (_, i) => Math.cos(0.37 * i)), [n]);
const P = <I>(name: string, ns: number[], input: Program["input"], f: (x: I) => unknown): Program => ({ name, ns, input, f: f as Fn });

/** Elements of a tree's leaves in `Object.keys` order (inputs and gradients alike); a 0-d output as one number. */
const flat = (t: unknown): Float64Array => {
  if (typeof t === "number") return Float64Array.of(t);
  if (t instanceof ad.TensorData) return t.data;
  if (t instanceof Float64Array) return t;
  return Float64Array.from(Object.values(t as object).flatMap((c) => [...flat(c)]));
};
const num = (y: unknown): number => flat(y)[0];
/** A tree shaped like `like`, its elements read from `xs`. */
const rebuild = (like: In, xs: Float64Array): In => {
  if (like instanceof ad.TensorData) return ad.tensor(xs.slice(0, like.size), like.shape);
  let at = 0;
  const o: { [k: string]: ad.TensorData } = {};
  for (const [k, t] of Object.entries(like)) (o[k] = ad.tensor(xs.slice(at, at + t.size), t.shape)), (at += t.size);
  return o;
};
const randomLike = (like: In, seed: number): In => {
  const r = rng(seed);
  return rebuild(like, Float64Array.from(flat(like), () => uniform(r, -1, 1)));
};
const dotp = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i], 0);
const eagerValue = (f: Fn, x: unknown): number => num(vjpOf(f)(x)[0]);
/** Compiles f at x0, runs `body`, disposes. */
function withCompiled(f: Fn, x0: unknown, body: (c: Loose) => void): void {
  const c = compile(f, x0);
  try {
    body(c);
  } finally {
    c.dispose();
  }
}
const TIGHT = { rtol: 1e-13, atol: 1e-13 };

/** The extended Rosenbrock on slices (views of the input), as in tensor-plan.test.ts. */
const rosen = (x: X) => {
  const n = x.size, a = x.slice(0, n - 1), b = x.slice(1, n - 1);
  return b.sub(a.square()).square().mul(100).add(ad.sub(1, a).square()).sum();
};

const programs: Program[] = [
  P("Rosenbrock on slices", [256, 4097, 20000], on(-1.5, 1.5), rosen),
  P("a long chain of transcendental unaries", [256, 1000, 4097, 20000], on(-2, 2), (x: X) =>
    x.sin().exp().tanh().sigmoid().mul(1.5).add(0.25).cos().atan().mul(x).expm1().sum()),
  P("log sqrt lgamma log1p pow div on positive inputs", [256, 4097], on(0.2, 3), (x: X) =>
    x.log().add(x.sqrt()).mul(x.lgamma()).add(x.log1p().div(x)).add(x.pow(1.5)).add(x.pow(x.mul(0.5))).add(ad.pow(1.3, x)).sum()),
  P("asin acos tan erf expm1 atan2 on (-0.9, 0.9)", [256, 4097], on(-0.9, 0.9), (x: X) =>
    x.asin().add(x.acos().mul(0.5)).mul(x.tan()).add(x.erf()).sub(x.expm1()).add(ad.atan2(x, x.add(2))).add(ad.atan2(0.7, x.add(1))).sum()),
  P("abs min max neg softplus relu hypot square (kinks off the samples)", [256, 1000, 20000], on(-2, 2), (x: X) =>
    x.abs().add(x.min(0.3)).mul(x.max(x.mul(-0.5))).add(x.neg().softplus()).add(x.relu()).add(x.hypot(1.5)).sub(x.square().mul(0.1)).sum()),
  P("scalar broadcast operands", [256, 4097], on(-1.5, 1.5), (x: X) =>
    x.mul(3).add(ad.sub(1, x)).div(2.5).add(ad.div(1, x.square().add(1))).mul(ad.sub(x, 4)).sum()),
  P("a shape-[1] input with a gradient (broadcast adjoint summed)", [256, 4097], (n, r) => ({ x: vec(n, r, -1, 1), s: vec(1, r, 0.5, 1.5) }),
    ({ x, s }: { x: X; s: X }) => x.mul(s).add(s).square().sum().add(x.sub(s).exp().mul(s).sum())),
  P("an intermediate used twice; x times itself", [256, 1000, 20000], on(-1, 1), (x: X) => {
    const u = x.exp();
    return u.mul(u).add(u).sum().add(x.mul(x).sum());
  }),
  P("an intermediate escaping to amax and logsumexp", [256, 4097], on(-2, 2), (x: X) => {
    const u = x.sin().mul(2).add(x.square().mul(0.1));
    return u.sum().add(ad.amax(u)).add(ad.logsumexp(u));
  }),
  P("an intermediate escaping to a matmul (dot with a constant)", [256, 4097], on(-2, 2), (x: X) => {
    const u = x.tanh().mul(x);
    return u.exp().sum().add(u.matmul(weights(x.size)));
  }),
  P("an intermediate read through offset slice views", [256, 1000, 20000], on(-1, 1), (x: X) => {
    const n = x.size, u = x.exp();
    return u.slice(1, n - 1).mul(u.slice(0, n - 1)).sum();
  }),
  P("where on a greater mask", [256, 4097, 8192], on(-2, 2), (x: X) => ad.where(x.greater(0), x.square(), x.mul(-1)).sum()),
  P("two chains around reshape + transpose", [256, 1000, 20000], on(-1, 1), (x: X) => {
    const n = x.size, v = x.sin().mul(x.cos()).add(1).reshape([2, n / 2]).transpose().reshape([n]);
    return v.exp().mul(v).sum();
  }),
  P("chain → matmul → chain", [256, 4096], on(-1, 1), (x: X) => {
    const a = x.tanh().add(x.mul(0.5)).reshape([16, x.size / 16]);
    return a.matmul(a.transpose()).mul(0.01).sigmoid().log().sum();
  }),
  P("a chain ending in mean", [256, 4097], on(-2, 2), (x: X) => x.tanh().mul(x).add(0.5).square().mean()),
  P("a chain ending in dot with a constant", [256, 4097], on(-1, 1), (x: X) => x.exp().sub(1).mul(x).dot(weights(x.size))),
  P("a constant tensor operand inside the chain", [256, 4097], on(-1, 1), (x: X) => {
    const c = weights(x.size);
    return ad.sub(c, x.mul(c).sin().add(c).exp()).square().sum();
  }),
];

describe.each(programs.map((p) => [p.name, p] as const))("fusion-shaped program: %s", (_, p) => {
  const at = (n: number, k: number) => p.input(n, rng(seedOf(p.name) + 101 * n + k));

  it.each(p.ns)("n = %i: compiled value, grad and valueAndGrad equal eager", (n) => {
    const x0 = at(n, 0), x = at(n, 1);
    const [v, g] = eagerValueAndGrad(p.f)(x);
    expect(flat(gradOf(p.f)(x))).toEqual(flat(g));
    withCompiled(p.f, x0, (c) => {
      expect(num(c.value(x))).toBeAllclose(v, { rtol: 1e-14 });
      expect(flat(c.grad(x))).toBeAllclose(flat(g), TIGHT);
      const [cv, cg] = c.valueAndGrad(x);
      expect(cv).toBeAllclose(v, { rtol: 1e-14 });
      expect(flat(cg)).toBeAllclose(flat(g), TIGHT);
    });
  });

  it.each(p.ns)("n = %i: compiled grad equals central differences on 5 components", (n) => {
    const x0 = at(n, 0), x = at(n, 2), xs = flat(x);
    let g: Float64Array = new Float64Array(0);
    withCompiled(p.f, x0, (c) => (g = flat(c.grad(x))));
    const cols = pickColumns(xs.length, 5, rng(n));
    const fd = cols.map((j) => richardson((t) => eagerValue(p.f, rebuild(x, Float64Array.from(xs, (e, k) => (k === j ? t : e)))), xs[j]));
    expect(cols.map((j) => g[j])).toBeAllclose(fd, { rtol: 1e-6, atol: 1e-6 * Math.max(1, maxAbs(fd)) });
  });

  it.each(p.ns)("n = %i: interleaved grad / value / hvp at new inputs, jvp and hvp, all equal eager", (n) => {
    const x0 = at(n, 0), x1 = at(n, 3), x2 = at(n, 4), v = randomLike(x1, n + 7);
    const [v1, g1] = eagerValueAndGrad(p.f)(x1), g2 = gradOf(p.f)(x2), hv = flat(hvpOf(p.f)(x1, v));
    withCompiled(p.f, x0, (c) => {
      expect(flat(c.grad(x1))).toBeAllclose(flat(g1), TIGHT);
      expect(flat(c.grad(x2))).toBeAllclose(flat(g2), TIGHT);
      expect(num(c.value(x1))).toBeAllclose(v1, { rtol: 1e-14 });
      expect(flat(c.hvp(x1, v))).toBeAllclose(hv, { rtol: 1e-10, atol: 1e-10 * maxAbs(hv) });
      expect(flat(c.grad(x1))).toBeAllclose(flat(g1), TIGHT);
      const [y, ydot] = c.jvp(x1, v);
      expect(num(y)).toBeAllclose(v1, { rtol: 1e-14 });
      const gv = flat(g1).map((e, i) => Math.abs(e * flat(v)[i]));
      expect(num(ydot)).toBeAllclose(dotp(flat(g1), flat(v)), { rtol: 1e-12, atol: 1e-12 * gv.reduce((s, e) => s + e, 0) });
      expect(flat(c.valueAndGrad(x2)[1])).toBeAllclose(flat(g2), TIGHT);
    });
  });

  it.each(p.ns)("n = %i: grad(x, out) writes into a preallocated out", (n) => {
    const x0 = at(n, 0), x = at(n, 5), g = flat(gradOf(p.f)(x));
    const out = rebuild(x0, new Float64Array(flat(x0).length).fill(NaN));
    withCompiled(p.f, x0, (c) => {
      expect(c.grad(x, out)).toBe(out);
      expect(flat(out)).toBeAllclose(g, TIGHT);
      c.grad(x0, out); // overwritten in place, then back
      expect(c.grad(x, out)).toBe(out);
      expect(flat(out)).toBeAllclose(g, TIGHT);
    });
  });
});

describe("where with an infinite partial on the branch not taken", () => {
  const f = (x: X) => ad.where(x.greater(0), x.sqrt(), 0).sum();
  const g = (x: X) => ad.where(x.greater(0), x.sqrt().mul(x.exp()), x.mul(-1).sqrt()).sum(); // each branch NaN/∞ off its side
  const input = (n: number, seed: number) => {
    const r = rng(seed), d = Float64Array.from({ length: n }, () => uniform(r, -1, 1));
    for (let i = 0; i < n; i += 7) d[i] = 0; // exact zeros: sqrt'(0) = +Inf
    return ad.tensor(d, [n]);
  };

  it.each([256, 4097])("n = %i: the gradient is exactly 0 where the branch was not taken (no NaN, no ∞), eager = compiled", (n) => {
    const x0 = input(n, 1), x = input(n, 2), xs = x.data;
    const want = xs.map((e) => (e > 0 ? 0.5 / Math.sqrt(e) : 0));
    const eager = ad.grad(f)(x).data;
    expect(eager).toBeAllclose(want, { rtol: 1e-14 });
    withCompiled(f as Fn, x0, (c) => {
      expect(flat(c.grad(x))).toBeAllclose(want, { rtol: 1e-14 });
      expect(c.valueAndGrad(x)[0]).toBeAllclose(xs.reduce((s, e) => s + (e > 0 ? Math.sqrt(e) : 0), 0), { rtol: 1e-13 });
      expect(flat(c.grad(x)).every(Number.isFinite)).toBe(true);
    });
    // g: no NaN leaks from the branch not taken; at x = 0 the taken branch √(−x) has an infinite partial itself.
    const gEager = flat(ad.grad(g)(x));
    expect(gEager.filter((_, i) => xs[i] !== 0).every(Number.isFinite)).toBe(true);
    expect(gEager.filter((_, i) => xs[i] === 0).every((e) => Math.abs(e) === Infinity)).toBe(true);
    withCompiled(g as Fn, x0, (c) => expect(flat(c.grad(x))).toBeAllclose(gEager, TIGHT));
  });
});

describe("a 0·∞ inside a fused group", () => {
  // u = x·c with c infinite at some elements; v = u·0 sends u an adjoint of exactly 0, so x's gradient c·0 must
  // count 0 there (the kernels' rule), though a plain product gives NaN: the fused loop reports it and the
  // gradient is swept again with the kernels.
  const n = 1024, c = new Float64Array(n).map((_, i) => (i % 5 === 0 ? Infinity : 1 + i / n));
  const f = (x: X) => x.mul(ad.tensor(c, [n])).mul(0).add(x.square()).sum();
  it("gives the kernels' gradient: 2x, with no NaN, in grad and valueAndGrad, call after call", () => {
    const x0 = on(-1, 1)(n, rng(5)), x = on(-1, 1)(n, rng(6));
    const want = x.data.map((e) => 2 * e);
    expect(flat(ad.grad(f)(x))).toBeAllclose(want, { rtol: 1e-15 });
    withCompiled(f as Fn, x0, (cf) => {
      expect(cf.stats.fused).toBe(1);
      for (let k = 0; k < 3; k++) {
        expect(flat(cf.grad(x))).toBeAllclose(want, { rtol: 1e-15 });
        const [v, g] = cf.valueAndGrad(x);
        expect(Number.isNaN(v)).toBe(true); // ∞·0 in the value itself is NaN, as IEEE says
        expect(flat(g)).toBeAllclose(want, { rtol: 1e-15 });
      }
    });
  });
});

describe("a host that refuses to compile the generated modules", () => {
  it("runs the kernels: no fused run, the same gradient, and the next compile fuses again", () => {
    const x = on(-1.5, 1.5)(4097, rng(11)), want = flat(ad.grad(rosen)(x));
    const real = WebAssembly.Module;
    // a browser's main thread refuses large synchronous compiles this way; the engine itself is already loaded
    (WebAssembly as { Module: unknown }).Module = function () {
      throw new RangeError("WebAssembly.Compile is disallowed on the main thread");
    };
    try {
      withCompiled(rosen as Fn, x, (c) => {
        expect(c.stats.fused).toBe(0);
        expect(flat(c.grad(x))).toBeAllclose(want, TIGHT);
        expect(num(c.value(x))).toBeAllclose(eagerValue(rosen as Fn, x), { rtol: 1e-15 });
      });
    } finally {
      (WebAssembly as { Module: unknown }).Module = real;
    }
    withCompiled(rosen as Fn, x, (c) => expect(c.stats.fused).toBe(1));
  });
});

describe("a compiled training loop", () => {
  it("2000 steps of gradient descent on the Rosenbrock (n = 1000): the loss falls, the tape's bytes stay put", () => {
    const n = 1000, x = on(-1.5, 1.5)(n, rng(42)), out = ad.tensor(new Float64Array(n), [n]);
    withCompiled(rosen as Fn, x, (c) => {
      const first = num(c.value(x));
      let bytes = -1;
      for (let step = 1; step <= 2000; step++) {
        c.grad(x, out);
        for (let i = 0; i < n; i++) x.data[i] -= 1e-4 * out.data[i];
        if (step === 100) bytes = c.stats.bytes;
      }
      const last = num(c.value(x));
      expect(last).toBeLessThan(0.5 * first);
      expect(last).toBeAllclose(eagerValue(rosen as Fn, x), { rtol: 1e-14 });
      expect(c.stats.bytes).toBe(bytes);
      expect(c.stats.rerecords).toBe(0);
    });
  });
});

describe("fusion is applied", () => {
  it("fusion happens on these programs", () => {
    for (const p of programs) {
      const n = Math.max(...p.ns);
      // Only arithmetic (add, sub, mul, neg) fuses: this program's runs are a transcendental op and one product.
      const expected = p.name.startsWith("an intermediate escaping to a matmul") ? 0 : 1;
      withCompiled(p.f, p.input(n, rng(1)), (c) => expect.soft(Math.min(c.stats.fused, 1), p.name).toBe(expected));
    }
  });
});
