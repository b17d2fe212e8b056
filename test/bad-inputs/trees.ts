/** @file Bad-input corpus, parameter trees: __proto__, constructor and prototype keys (no pollution), null-prototype objects, cycles, deep trees, throwing getters and frozen trees. */
import { expect } from "vitest";
import * as ad from "../../src/index.js";
import { type Case, fails, gives, exact, exactly } from "./case.js";

/** A tree with an own `__proto__` key, as JSON.parse makes it. */
const protoTree = () => JSON.parse('{"w": [1, 2], "__proto__": {"polluted": 3}}') as { w: number[] };
/** f over protoTree: Σw + 2·polluted. */
const protoLoss = (p: Record<string, unknown>) => (p.w as ad.Tensor).sum().add((Object.getOwnPropertyDescriptor(p, "__proto__")!.value as { polluted: ad.Scalar }).polluted.mul(2));

/** Asserts `g` has an own `__proto__` key holding `{ polluted: want }` and an ordinary prototype. */
function ownProto(g: unknown, want: number): void {
  expect(Object.keys(g as object)).toEqual(["w", "__proto__"]);
  expect(Object.getPrototypeOf(g)).toBe(Object.prototype);
  exact((Object.getOwnPropertyDescriptor(g, "__proto__")!.value as { polluted: number }).polluted, want);
}

function deep(levels: number): unknown {
  let o: unknown = 2;
  for (let i = 0; i < levels; i++) o = { c: o };
  return o;
}

/** Tree structure attacks and oddities: keys that name prototypes, cycles, depth, getters, frozen trees. */
export const treeCases: Case[] = [
  gives("trees", "JSON.parse __proto__ key: grad keeps it as an own key", () => ad.grad(protoLoss as never)(protoTree() as never), (g) => ownProto(g, 2)),
  gives("trees", "JSON.parse __proto__ key: vjp's pullback keeps it too", () => ad.vjp(protoLoss as never)(protoTree() as never)[1](ad.tensor(1) as never), (g) => ownProto(g, 2)),
  gives("trees", "JSON.parse __proto__ key: compiled grad keeps it", () => {
    const c = ad.compile(protoLoss as never, protoTree() as never);
    try {
      return c.grad(protoTree() as never);
    } finally {
      c.dispose();
    }
  }, (g) => ownProto(g, 2)),
  gives("trees", "JSON.parse __proto__ key: cloneTree keeps it", () => ad.cloneTree(protoTree()), (c) => ownProto(c, 3)),
  gives("trees", "JSON.parse __proto__ key: sgd step updates the own key only", () => {
    const p = protoTree(), opt = ad.sgd({ lr: 0.5 });
    opt.step(p, ad.grad(protoLoss as never)(p as never), opt.init(p));
    return p;
  }, (p) => {
    exactly((p as { w: number[] }).w, [0.5, 1.5]);
    ownProto(p, 2);
  }),
  gives("trees", "keys constructor and prototype are ordinary keys", () => ad.grad((p: { constructor: ad.Scalar; prototype: ad.Scalar }) => p.constructor.mul(p.prototype))({ constructor: 2, prototype: 3 } as never), (g) => {
    expect(Object.keys(g as object)).toEqual(["constructor", "prototype"]);
    exact((g as { constructor: number }).constructor, 3);
    exact((g as { prototype: number }).prototype, 2);
  }),
  gives("trees", "an Object.create(null) tree is a plain object", () => {
    const o = Object.create(null) as Record<string, number>;
    o.a = 2;
    return ad.grad((p: { a: ad.Scalar }) => p.a.mul(p.a))(o as never);
  }, (g) => {
    expect(Object.keys(g as object)).toEqual(["a"]);
    exact((g as { a: number }).a, 4);
  }),
  fails("trees", "a cyclic object", () => {
    const o: Record<string, unknown> = { a: 1 };
    o.self = o;
    return ad.grad((p: { a: ad.Scalar }) => p.a)(o as never);
  }, ad.InputError, "INPUT", /^x\.self: the input tree is cyclic/),
  fails("trees", "a cyclic array", () => {
    const a: unknown[] = [1];
    a.push({ back: a });
    return ad.grad(() => 0)(a as never);
  }, ad.InputError, "INPUT", /^x\[1\]\.back: the input tree is cyclic/),
  gives("trees", "a shared (not cyclic) subtree is two inputs", () => {
    const w = [1, 2];
    return ad.grad((p: { a: ad.Tensor; b: ad.Tensor }) => p.a.sum().add(p.b.sum().mul(2)))({ a: w, b: w });
  }, (g) => {
    exactly((g as { a: Float64Array }).a, [1, 1]);
    exactly((g as { b: Float64Array }).b, [2, 2]);
  }),
  gives("trees", "a tree 1000 levels deep works", () => {
    let g = ad.grad((p: unknown) => {
      let h = p as { c: unknown };
      for (let i = 0; i < 999; i++) h = h.c as { c: unknown };
      return (h.c as ad.Scalar).mul(h.c as ad.Scalar);
    })(deep(1000) as never) as unknown;
    for (let i = 0; i < 1000; i++) g = (g as { c: unknown }).c;
    return g;
  }, (g) => exact(g, 4)),
  fails("trees", "a tree 100 000 levels deep", () => ad.grad(() => 0)(deep(100_000) as never), ad.InputError, "INPUT", /nested more than 1000 levels deep/),
  gives("trees", "a getter that throws: its error comes back unchanged", () => {
    const boom = new Error("boom");
    try {
      ad.grad((p: { a: ad.Scalar }) => p.a)({ a: 1, get b(): number { throw boom; } } as never);
    } catch (e) {
      return e === boom;
    }
    return false;
  }, (same) => expect(same).toBe(true)),
  gives("trees", "a getter leaf is read once, as a number", () => {
    let reads = 0;
    const x = { get a(): number { reads++; return 3; } };
    const g = ad.grad((p: { a: ad.Scalar }) => p.a.mul(p.a))(x);
    return [g.a, reads];
  }, (r) => exactly(r as number[], [6, 1])),
  gives("trees", "a frozen input tree is fine (inputs are only read)", () => ad.grad((p: { w: ad.Tensor; b: ad.Scalar }) => p.w.sum().mul(p.b))(Object.freeze({ w: Object.freeze([1, 2]), b: 3 })), (g) => {
    exactly((g as { w: Float64Array }).w, [3, 3]);
    exact((g as { b: number }).b, 3);
  }),
  fails("trees", "a frozen params tree in sgd step", () => {
    const p = Object.freeze({ w: Object.freeze([1, 2]), b: 3 }), opt = ad.sgd({ lr: 1 });
    return opt.step(p as never, { w: [1, 1], b: 1 } as never, opt.init(p as never));
  }, ad.InputError, "INPUT", /^params: cannot update params in place/),
  fails("trees", "a class instance deep in a tree names its path", () => ad.grad(() => 0)({ layers: [{ w: 1 }, { w: 1 }, { w: new (class Weights {})() }] } as never), ad.InputError, "INPUT", /^x\.layers\[2\]\.w: unsupported leaf: Weights/),
  fails("trees", "a cyclic tree given to a nested grad", () => {
    const o: Record<string, unknown> = { a: 1 };
    o.self = o;
    return ad.grad((x: ad.Scalar) => ad.grad((p: { a: ad.Scalar }) => p.a.mul(x))(o as never) as never)(1);
  }, ad.InputError, "INPUT", /^x\.self: the input tree is cyclic/),
  fails("trees", "a Date in a nested grad's tree", () => ad.grad((x: ad.Scalar) => ad.grad((p: { a: ad.Scalar }) => p.a.mul(x))({ a: 1, d: new Date(0) } as never) as never)(1), ad.InputError, "INPUT", /^x\.d: unsupported leaf: Date/),
  // readOutputs had built f's output value with out[k] = …, so an own __proto__ key of the output became the
  // value's prototype (the key lost, and the pullback then refused a cotangent that has it).
  gives("trees", "an output tree with an own __proto__ key keeps it in vjp's value", () => ad.vjp((x: ad.Scalar) => Object.defineProperty({ a: x }, "__proto__", { value: x.mul(2), enumerable: true }))(1)[0], (y) => {
    expect(Object.keys(y as object)).toEqual(["a", "__proto__"]);
    expect(Object.getPrototypeOf(y)).toBe(Object.prototype);
  }),
  gives("trees", "symbol keys are not part of the tree", () => ad.grad((p: { a: ad.Scalar }) => p.a.mul(2))({ a: 1, [Symbol("s")]: "ignored" } as never), (g) => {
    expect(Reflect.ownKeys(g as object)).toEqual(["a"]);
    exact((g as { a: number }).a, 2);
  }),
];
