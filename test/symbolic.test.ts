/** @file Tests for the symbolic baseline: every expectation is a plain-JS closed form, a hand-derived count, mathjs's own
 * evaluator, adtape's gradient or numerical differences — never a number computed by the code under test. */
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import * as ad from "../src/index.js";
import { fromExpression, evaluateExpression } from "../src/baselines/symbolic.js";
import { richardson } from "../src/baselines/numeric.js";

const rel = (got: number, want: number) => Math.abs(got - want) / Math.max(Math.abs(want), 1e-300);

/** Expects fn to throw an error of class E whose message contains every one of `parts`. */
function throwsWith(fn: () => unknown, E: new (...a: never[]) => Error, ...parts: string[]): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(E);
  for (const p of parts) expect((err as Error).message).toContain(p);
}

describe("fromExpression", () => {
  it("turns a one-variable string into an adtape function with the closed-form value and derivative", () => {
    const { f, variables } = fromExpression("x^2 + sqrt(x + 3)");
    expect(variables).toEqual(["x"]);
    for (const x of [-2, 0.5, 1, 4]) {
      const [v, g] = ad.valueAndGrad(f)(x);
      expect(rel(v, x * x + Math.sqrt(x + 3))).toBeLessThan(1e-15);
      expect(rel(g as number, 2 * x + 0.5 / Math.sqrt(x + 3))).toBeLessThan(1e-15);
    }
  });

  it("takes several variables, sorted by default, as a vector", () => {
    const { f, variables } = fromExpression("sin(x0) * x1 + exp(-x1 / 2) * pi");
    expect(variables).toEqual(["x0", "x1"]);
    const [a, b] = [0.7, -1.3];
    const [v, g] = ad.valueAndGrad(f)([a, b]);
    expect(rel(v, Math.sin(a) * b + Math.exp(-b / 2) * Math.PI)).toBeLessThan(1e-15);
    expect(g).toBeAllclose([Math.cos(a) * b, Math.sin(a) - (Math.PI / 2) * Math.exp(-b / 2)], { rtol: 1e-15 });
  });

  it("takes the variables in the order given, and functions beyond mathjs's (sigmoid, erf, lgamma, max)", () => {
    const { f, variables } = fromExpression("b * sigmoid(a) + erf(b) + lgamma(a) + max(a, b) + 2e", ["b", "a"]);
    expect(variables).toEqual(["b", "a"]);
    const [b, a] = [0.4, 2.5];
    const s = 1 / (1 + Math.exp(-a));
    // lgamma(2.5) = log(3√π/4); ψ(2.5) = ψ(½) + 2 + ⅔ = 8/3 − γ − 2 log 2; erf(0.4) = 0.42839235504666845…; erf'(b) = 2/√π e^(−b²)
    const [v, g] = ad.valueAndGrad(f)([b, a]);
    expect(rel(v, b * s + 0.42839235504666845 + Math.log((3 * Math.sqrt(Math.PI)) / 4) + a + 2 * Math.E)).toBeLessThan(1e-14);
    expect(g).toBeAllclose([s + (2 / Math.sqrt(Math.PI)) * Math.exp(-b * b), b * s * (1 - s) + (8 / 3 - 0.5772156649015329 - 2 * Math.LN2) + 1], { rtol: 1e-13 });
  });

  it("runs on plain numbers, and a constant expression is a constant node (zero gradient)", () => {
    expect(rel(fromExpression("log1p(x) - expm1(x)").f(0.25) as unknown as number, Math.log1p(0.25) - Math.expm1(0.25))).toBeLessThan(1e-15);
    const c = fromExpression("2 * pi + 1");
    expect(c.variables).toEqual([]);
    expect(ad.valueAndGrad(c.f)(3)).toEqual([2 * Math.PI + 1, 0]);
  });

  it("compiles to a replayable tape", () => {
    const { f } = fromExpression("atan2(y, x) * hypot(x, y)", ["x", "y"]);
    const c = ad.compile(f, [1, 1]);
    const [x, y] = [-2, 0.5];
    const r = Math.hypot(x, y), th = Math.atan2(y, x);
    expect(c.grad([x, y])).toBeAllclose([-y / r + (th * x) / r, x / r + (th * y) / r], { rtol: 1e-14 }); // ∇atan2 = (−y, x)/r², ∇r = (x, y)/r
    c.dispose();
  });

  it("uses neither eval nor Function", () => {
    const src = readFileSync(new URL("../src/baselines/symbolic.ts", import.meta.url), "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
    expect(src).not.toMatch(/\beval\s*\(|new\s+Function|\bFunction\s*\(|\.evaluate\s*\(|\.compile\s*\(/);
  });

  it("rejects bad text, unknown functions and symbols, and non-arithmetic nodes with an InputError naming them", () => {
    throwsWith(() => fromExpression("x^^2"), ad.InputError, "cannot parse");
    throwsWith(() => fromExpression("foo(x) + 1"), ad.InputError, "foo");
    throwsWith(() => fromExpression("sec(x)"), ad.InputError, "sec", "no adtape op");
    throwsWith(() => fromExpression("x + y", ["x"]), ad.InputError, "unknown symbol y");
    throwsWith(() => fromExpression("x = 3"), ad.InputError, "AssignmentNode");
    throwsWith(() => fromExpression("f(x) = x^2"), ad.InputError, "FunctionAssignmentNode");
    throwsWith(() => fromExpression("[x, 1]"), ad.InputError, "ArrayNode");
    throwsWith(() => fromExpression("x mod 2"), ad.InputError, "operator mod");
    throwsWith(() => fromExpression('x + "a"'), ad.InputError, '"a"');
    throwsWith(() => fromExpression("sin(x, x)"), ad.InputError, "sin", "1 argument");
    throwsWith(() => fromExpression("x", ["pi"]), ad.InputError, "pi");
    throwsWith(() => fromExpression(42 as unknown as string), ad.InputError, "string");
    throwsWith(() => ad.grad(fromExpression("x0 * x1").f)([1, 2, 3]), ad.InputError, "expected 2 values");
    expect(ad.grad(fromExpression("x * x").f)(3)).toBe(6); // the next call works
  });
});

describe("evaluateExpression", () => {
  it("evaluates strings and nodes in float64, shared subtrees once", () => {
    expect(evaluateExpression("x^2 + sqrt(x + 3)", 1)).toBe(3);
    expect(evaluateExpression("sin(x0) * x1", [0.5, 2])).toBe(Math.sin(0.5) * 2);
    expect(evaluateExpression("a - b", [1, 5], ["b", "a"])).toBe(4);
    expect(evaluateExpression("sqrt(x)", -1)).toBeNaN(); // float64, not complex
    expect(evaluateExpression("sec(x)^2 + sech(x)", 0.3)).toBe(1 / Math.cos(0.3) ** 2 + 1 / Math.cosh(0.3));
  });

  it("refuses a point that does not match the variables, and unknown functions", () => {
    throwsWith(() => evaluateExpression("x1", [1, 2]), ad.InputError, "1 number(s) for x1");
    throwsWith(() => evaluateExpression("erf(x)", 1), ad.InputError, "erf", "float64");
    throwsWith(() => evaluateExpression("x + y", 1), ad.InputError, "x, y");
  });
});

describe("fromExpression against numerical differences", () => {
  it("agrees with Richardson differences of the plain-JS closed form", () => {
    const { f } = fromExpression("tanh(x) * log(x) / (1 + x^2)");
    const plain = (x: number) => (Math.tanh(x) * Math.log(x)) / (1 + x * x);
    for (const x of [0.4, 1.7]) expect(rel(ad.grad(f)(x) as number, richardson(plain, x).value)).toBeLessThan(1e-9);
  });
});
