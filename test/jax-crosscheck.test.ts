/** @file Cross-check against jax-js: adtape's gradients (eager, and compiled replays) of random arithmetic-only programs (+ − × ÷ neg square, where jax-js float64 is exact) match jax-js's `grad` to 1e-12 relative. */
import { describe, it, expect, beforeAll } from "vitest";
import * as ad from "../src/index.js";
import { rng } from "./helpers.js";

type Op = "add" | "sub" | "mul" | "div" | "neg" | "square";
const OPS: Op[] = ["add", "sub", "mul", "div", "neg", "square"];
const BINARY = new Set<Op>(["add", "sub", "mul", "div"]);

/** A straight-line program over inputs 0…n−1: node n + k is `op(a, b)` of earlier nodes; the output is node `out`. */
interface Program {
  n: number;
  nodes: { op: Op; a: number; b: number }[];
}

/** Evaluates a program with the given arithmetic (plain numbers, adtape handles or jax-js arrays). */
function run<T>(p: Program, inputs: T[], ops: Record<Op, (a: T, b: T) => T>, use: (v: T, last: boolean) => T): T {
  // Every value's uses in evaluation order, so a jax-js array is passed `.ref` but at its last use.
  const left = new Array(p.n + p.nodes.length).fill(0);
  for (const { op, a, b } of p.nodes) {
    left[a]++;
    if (BINARY.has(op)) left[b]++;
  }
  const take = (i: number) => use(vals[i], --left[i] === 0);
  const vals: T[] = [...inputs];
  for (const { op, a, b } of p.nodes) {
    const x = take(a);
    vals.push(ops[op](x, BINARY.has(op) ? take(b) : x));
  }
  return vals[vals.length - 1];
}

const plain: Record<Op, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  neg: (a) => -a,
  square: (a) => a * a,
};

/** A random program of `n` inputs whose every input and node is used (unused ones are added into the output),
 * kept only if, at `x`, every value stays in [1e-3, 1e4] in magnitude and every divisor above 0.1 (no cancellation-prone
 * or overflowing programs: the check is about derivatives, not conditioning). */
function randomProgram(r: () => number, n: number, len: number, x: number[]): Program | undefined {
  const nodes: Program["nodes"] = [];
  const used = new Array(n + len).fill(false);
  const pick = (size: number) => {
    // Prefer recent values so programs are deep rather than wide.
    const i = Math.max(0, size - 1 - Math.floor(-Math.log(1 - r()) * 3));
    used[i] = true;
    return i;
  };
  for (let k = 0; k < len; k++) {
    const op = OPS[Math.floor(r() * OPS.length)];
    const size = n + nodes.length;
    nodes.push({ op, a: pick(size), b: BINARY.has(op) ? pick(size) : 0 });
  }
  for (let i = 0; i < n + len - 1; i++)
    if (!used[i]) nodes.push({ op: "add", a: n + nodes.length - 1, b: i });
  const p = { n, nodes };
  let ok = true;
  const check = (v: number) => {
    if (!(Math.abs(v) >= 1e-3 && Math.abs(v) <= 1e4)) ok = false;
    return v;
  };
  run(p, x.map(check), { ...plain, div: (a, b) => (Math.abs(b) < 0.1 ? ((ok = false), NaN) : check(a / b)) } as typeof plain, (v) => check(v));
  return ok ? p : undefined;
}

/** Σ over paths of |product of local partials|: the scale a gradient's rounding error is relative to (equal to
 * |∂f/∂xᵢ| when no two paths cancel). */
function absGradient(p: Program, x: number[]): number[] {
  const v = [...x];
  for (const { op, a, b } of p.nodes) v.push(plain[op](v[a], v[b]));
  const adj = new Array(v.length).fill(0);
  adj[v.length - 1] = 1;
  for (let k = p.nodes.length - 1; k >= 0; k--) {
    const { op, a, b } = p.nodes[k];
    const w = adj[p.n + k];
    const [pa, pb] = {
      add: [1, 1],
      sub: [1, 1],
      mul: [v[b], v[a]],
      div: [1 / v[b], v[a] / (v[b] * v[b])],
      neg: [1, 0],
      square: [2 * v[a], 0],
    }[op];
    adj[a] += Math.abs(pa) * w;
    if (BINARY.has(op)) adj[b] += Math.abs(pb) * w;
  }
  return adj.slice(0, p.n);
}

// jax-js (devDependency), loaded as bench/peers/jaxjs.mjs does, on its "cpu" device: full float64.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type J = any;
let jax: J;
let loadError = "";

beforeAll(async () => {
  try {
    const g = globalThis as { Float16Array?: unknown };
    if (typeof g.Float16Array === "undefined")
      g.Float16Array = class Float16Array {
        constructor() {
          throw new Error("Float16Array is not available in this Node version");
        }
      };
    jax = await import("@jax-js/jax");
    await jax.init("cpu");
    jax.defaultDevice("cpu");
  } catch (e) {
    loadError = `jax-js failed to load in Node: ${(e as Error).message}`;
    console.log(`jax-crosscheck: skipped, ${loadError}`);
  }
});

describe("adtape against jax-js on random arithmetic programs", () => {
  it("ad.grad matches jax.grad to 1e-12 relative on 500 programs (eager and compiled)", (ctx) => {
    if (loadError) ctx.skip(loadError);
    const np = jax.numpy;
    const scalar = (v: number) => np.array(new Float64Array([v]), { dtype: np.float64, shape: [], device: "cpu" });
    const jaxOps: Record<Op, (a: J, b: J) => J> = {
      add: (a, b) => a.add(b),
      sub: (a, b) => a.sub(b),
      mul: (a, b) => a.mul(b),
      div: (a, b) => a.div(b),
      neg: (a) => a.neg(),
      square: (a) => np.square(a),
    };
    const adOps: Record<Op, (a: ad.Operand, b: ad.Operand) => ad.Operand> = {
      add: ad.add,
      sub: ad.sub,
      mul: ad.mul,
      div: ad.div,
      neg: (a) => ad.neg(a),
      square: (a) => ad.square(a),
    };
    const r = rng(20240817);
    const t0 = performance.now();
    let programs = 0, tried = 0, maxRel = 0, maxRelS = 0, kept = 0, nodes = 0, components = 0;
    while (programs < 500) {
      tried++;
      const n = 1 + Math.floor(r() * 4);
      const len = 3 + Math.floor(r() * 20);
      const x = Array.from({ length: n }, () => (r() < 0.5 ? -1 : 1) * (0.5 + 1.5 * r()));
      const p = randomProgram(r, n, len, x);
      if (!p) continue;
      programs++;
      nodes += p.nodes.length;
      const f = (v: ad.Tensor) => run(p, [...v].map((s) => s as ad.Operand), adOps, (h) => h) as ad.Scalar;
      const ours = ad.grad(f)(x);
      // A compiled tape recorded elsewhere and replayed at x must give the eager gradient bit for bit.
      const c = ad.compile(f, new Float64Array(x.map((v) => v * 1.01)));
      expect(c.grad(new Float64Array(x))).toEqual(ours);
      c.dispose();
      const theirs = jax.grad((xs: J[]) => run(p, xs, jaxOps, (a, last) => (last ? a : a.ref)))(x.map(scalar)) as J[];
      const ref = theirs.map((a: J) => a.dataSync()[0] as number);
      const S = absGradient(p, x);
      components += n;
      for (let i = 0; i < n; i++) {
        const diff = Math.abs(ours[i] - ref[i]);
        const scale = Math.max(Math.abs(ours[i]), Math.abs(ref[i]));
        // Relative to the gradient itself where paths do not cancel by more than 10³; relative to the
        // sum of |path products| always (x₂/x₂ has gradient 0 in exact arithmetic, ±1e-17 in either).
        const wellConditioned = scale >= 1e-3 * S[i];
        const rel = scale === 0 ? 0 : diff / scale;
        const relS = S[i] === 0 ? diff : diff / S[i];
        if (wellConditioned) maxRel = Math.max(maxRel, rel), kept++;
        maxRelS = Math.max(maxRelS, relS);
        if (!(relS <= 1e-12) || (wellConditioned && !(rel <= 1e-12)))
          expect.fail(`program ${programs} (${JSON.stringify(p)}) at ${x}: ∂/∂x${i} ${ours[i]} vs jax-js ${ref[i]} (Σ|paths| ${S[i]})`);
      }
    }
    console.log(
      `jax-crosscheck: ${programs} programs (${tried - programs} rejected: a value outside [1e-3, 1e4] or a divisor under 0.1), ${nodes} ops, ` +
        `max relative difference ${maxRel.toExponential(2)} over ${kept} of ${components} gradient components ` +
        `(the rest cancel by over 10³), max difference ÷ Σ|path products| ${maxRelS.toExponential(2)}, ${(performance.now() - t0).toFixed(0)} ms`,
    );
    expect(kept).toBeGreaterThan(components / 2);
    expect(programs).toBe(500);
  });
});
