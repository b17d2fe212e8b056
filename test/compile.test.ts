/** @file compile: replay equals eager bit for bit for every op, branch guards catch every flip under both policies, memory, dispose. */
import { describe, it, expect, vi } from "vitest";
import * as ad from "../src/index.js";
import { table } from "../src/ops.js";
import { rng, uniform, rosen, domain, names, opFn } from "./helpers.js";


describe("compiled replay equals eager, bit for bit", () => {
  it.each(names)("%s, with handle and constant operands", (name) => {
    const [dx, dy] = domain[name] ?? [[-2, 2], [-2, 2]];
    const op = opFn(name);
    const r = rng(500 + table[name].code);
    const point = () => [uniform(r, ...dx), uniform(r, ...dy)];
    const both = (v: ad.Tensor) => op(v.at(0), v.at(1)).mul(v.at(0));
    const fs =
      table[name].arity === 1
        ? [(v: ad.Tensor) => op(v.at(0), 0).mul(v.at(1)), (v: ad.Tensor) => op(v.at(0).mul(0.875), 0).add(v.at(1))]
        : name.startsWith("where")
          ? [both]
          : [both, (v: ad.Tensor) => op(v.at(0), 0.75).add(v.at(1)), (v: ad.Tensor) => op(1.25, v.at(1)).mul(v.at(0))];
    for (const f of fs) {
      const c = ad.compile(f, point());
      for (let k = 0; k < 6; k++) {
        const x = point();
        expect(c.valueAndGrad(x)).toEqual(ad.valueAndGrad(f)(x));
        expect(c.value(x)).toBe(ad.valueAndGrad(f)(x)[0]);
      }
      c.dispose();
    }
  });
});

describe("guards", () => {
  // Piecewise and looping functions whose path depends on the input.
  const cases: Array<[string, (x: ad.Scalar) => ad.Scalar]> = [
    ["abs", (x) => ad.abs(x).mul(x)],
    ["max", (x) => ad.max(x, 0.5).mul(x)],
    ["min", (x) => ad.min(ad.sin(x), 0.2)],
    ["piecewise lt/ge", (x) => (ad.lt(x, -1) ? x.mul(x) : ad.ge(x, 1) ? x.exp() : x.sin())],
    [
      "a loop whose trip count depends on x",
      (x) => {
        let y = x;
        while (ad.lt(y.abs(), 10)) y = y.mul(1.7).add(0.3);
        return y;
      },
    ],
    [
      "an early exit",
      (x) => {
        let y = x;
        for (let i = 0; i < 6; i++) {
          if (ad.gt(y, 3)) return y.mul(i);
          y = y.mul(y).add(0.5);
        }
        return y;
      },
    ],
  ];
  const xs = Array.from({ length: 200 }, (_, i) => -4 + (8 * i) / 199);

  it.each(cases)("%s: re-records on every flip and never returns a stale result", (_, f) => {
    const c = ad.compile(f, 0.3);
    for (const x of xs) expect(c.valueAndGrad(x)).toEqual(ad.valueAndGrad(f)(x));
    expect(c.stats.rerecords).toBeGreaterThan(0);
    expect(c.stats.guards).toBeGreaterThan(0);
    c.dispose();
  });

  it.each(cases)("%s: with onBranchChange 'throw', every flip is a BranchChanged and every other result is exact", (_, f) => {
    let flips = 0;
    for (const x of xs) {
      const c = ad.compile(f, 0.3, { onBranchChange: "throw" });
      const eager = ad.valueAndGrad(f)(x);
      try {
        expect(c.valueAndGrad(x)).toEqual(eager);
      } catch (err) {
        expect(err).toBeInstanceOf(ad.BranchChanged);
        expect((err as ad.BranchChanged).message).toMatch(/guard #\d+ \(\w+\)/);
        flips++;
      }
      c.dispose();
    }
    expect(flips).toBeGreaterThan(0);
  });

  it("where needs no guard: both branches are replayed", () => {
    const f = (x: ad.Scalar) => ad.where(ad.greater(x, 0), ad.sqrt(x), ad.neg(x));
    const c = ad.compile(f, 1);
    expect(c.stats.guards).toBe(0);
    for (const x of [4, 0, -3, 0.25]) expect(c.valueAndGrad(x)).toEqual(ad.valueAndGrad(f)(x));
    expect(c.stats.rerecords).toBe(0);
    c.dispose();
  });

  it("a function that reads .value is re-recorded on every call, with one warning", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const f = (x: ad.Scalar) => (x.value > 0 ? x.mul(2) : x.mul(x));
    const c = ad.compile(f, 1);
    expect(c.stats.recordEveryCall).toBe(true);
    for (const x of [3, -3, 2, -0.5]) expect(c.valueAndGrad(x)).toEqual(ad.valueAndGrad(f)(x));
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toMatch(/where\(mask, a, b\)/);
    warn.mockRestore();
    c.dispose();
  });
});

describe("the Compiled object", () => {

  it("grad(x, out) writes into out and returns it", () => {
    const c = ad.compile(rosen, new Float64Array(6).fill(0.5));
    const out = new Float64Array(6);
    const x = Float64Array.from([1.2, -0.3, 0.8, 0.1, -1, 2]);
    expect(c.grad(x, out)).toBe(out);
    expect(out).toEqual(ad.grad(rosen)(x));
    c.dispose();
  });

  it("takes input trees, and vjp for a vector output", () => {
    const f = (p: { w: ad.Tensor; b: ad.Scalar }) => [ad.mul(p.w.at(0), p.b), ad.sin(p.w.at(1))];
    const c = ad.compile(f, { w: [1, 2], b: 3 });
    const x = { w: [0.5, -1], b: 4 };
    expect(c.value(x)).toEqual([2, Math.sin(-1)].map((v, i) => (i ? ad.sin(-1) : v)));
    expect(c.vjp(x, [1, 2])).toEqual(ad.vjp(f)(x)[1]([1, 2]));
    const out = { w: new Float64Array(2), b: 0 };
    const g = ad.compile((p: { w: ad.Tensor; b: ad.Scalar }) => ad.mul(p.w.at(0), p.b), { w: [1, 2], b: 3 });
    expect(g.grad(x, out)).toBe(out);
    expect(out).toEqual({ w: new Float64Array([4, 0]), b: 0.5 });
    c.dispose();
    g.dispose();
  });

  it("an input of another structure is an InputError naming its path", () => {
    const c = ad.compile(rosen, [1, 2, 3]);
    expect(() => c.grad([1, 2])).toThrow(/x: expected a Float64Array or number\[\] of length 3/);
    expect(() => c.grad(5 as never)).toThrow(ad.InputError);
    expect(c.grad([1, 2, 3])).toEqual(ad.grad(rosen)([1, 2, 3]));
    c.dispose();
  });

  it("10⁵ replays run in flat memory", () => {
    const c = ad.compile(rosen, new Float64Array(10).fill(0.5));
    const x = Float64Array.from({ length: 10 }, (_, i) => Math.cos(i));
    const out = new Float64Array(10);
    c.grad(x, out);
    const before = ad.memoryStats();
    for (let i = 0; i < 100_000; i++) c.grad(x, out);
    const after = ad.memoryStats();
    expect(after.wasmBytes).toBe(before.wasmBytes);
    expect(after.bytesInUse).toBe(before.bytesInUse);
    c.dispose();
  });

  it("dispose releases the tape's memory for reuse, and later calls are an error", () => {
    const x = new Float64Array(20_000).fill(0.5);
    const base = ad.memoryStats().bytesInUse;
    const c = ad.compile(rosen, x);
    const held = ad.memoryStats().bytesInUse - base;
    expect(held).toBeGreaterThanOrEqual(c.stats.bytes - 64);
    const wasm = ad.memoryStats().wasmBytes;
    c.dispose();
    expect(ad.memoryStats().bytesInUse).toBe(base);
    expect(() => c.grad(x)).toThrow(/disposed/);
    const again = ad.compile(rosen, x); // reuses the freed blocks: linear memory does not grow
    expect(ad.memoryStats().wasmBytes).toBe(wasm);
    again.dispose();
  });

  it("reports its size in stats", () => {
    const c = ad.compile(rosen, [1, 2, 3, 4]);
    expect(c.stats).toMatchObject({ guards: 0, rerecords: 0, recordEveryCall: false });
    expect(c.stats.nodes).toBeGreaterThan(20);
    expect(c.stats.bytes).toBeGreaterThan(c.stats.nodes * 33);
    c.dispose();
  });
});
