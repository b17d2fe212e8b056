/** @file Tests for the symbolic baseline: every expectation is a plain-JS closed form, a hand-derived count, mathjs's own
 * evaluator, adtape's gradient or numerical differences — never a number computed by the code under test. */
import { describe, it, expect } from "vitest";
import { readFileSync, readdirSync } from "node:fs";
import { evaluate, parse, OperatorNode, type MathNode } from "mathjs";
import * as ad from "../src/index.js";
import { fromExpression, evaluateExpression, toExpression, symbolicDerivative, countOps, expressionSwell } from "../src/baselines/symbolic.js";
import { richardson, centralDiff } from "../src/baselines/numeric.js";

const rel = (got: number, want: number) => Math.abs(got - want) / Math.max(Math.abs(want), 1e-300);

/** Expects fn to throw an error of class E whose message contains every one of `parts`, and returns it. */
function throwsWith<E extends Error>(fn: () => unknown, C: new (...a: never[]) => E, ...parts: string[]): E {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(C);
  for (const p of parts) expect((err as Error).message).toContain(p);
  return err as E;
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
    expect(src).not.toMatch(/\beval\s*\(|new\s+Function\b|\bFunction\s*\(|\.evaluate\s*\(|\.compile\s*\(/);
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

type F1 = (x: ad.Scalar) => ad.Scalar;
type F2 = (v: ad.Tensor) => ad.Scalar;

/** One-variable functions in adtape ops, each with its plain-JS value and hand-derived derivative, and points in its domain. */
const ONE: { name: string; f: F1; plain: (x: number) => number; d: (x: number) => number; at: number[] }[] = [
  {
    name: "log(x)·sin²(x)", // the square is one node used as both operands of a mul
    f: (x) => x.log().mul(x.sin().square()),
    plain: (x) => Math.log(x) * Math.sin(x) ** 2,
    d: (x) => Math.sin(x) ** 2 / x + 2 * Math.log(x) * Math.sin(x) * Math.cos(x),
    at: [0.3, 0.9, 2.2],
  },
  {
    name: "sigmoid",
    f: (x) => x.sigmoid(),
    plain: (x) => 1 / (1 + Math.exp(-x)),
    d: (x) => Math.exp(-x) / (1 + Math.exp(-x)) ** 2,
    at: [-1.5, 0.3, 2.2],
  },
  {
    name: "tanh",
    f: (x) => x.tanh(),
    plain: Math.tanh,
    d: (x) => 1 / Math.cosh(x) ** 2,
    at: [-0.7, 0.3, 1.9],
  },
  {
    name: "x^2.5 / (1 + √x) − 3x + x⁻² − (x − (−1.5))", // negative constants, one as a power
    f: (x) => ad.sub(ad.add(ad.sub(x.pow(2.5).div(ad.add(1, x.sqrt())), ad.mul(-3, x)), ad.pow(x, -2)), ad.sub(x, -1.5)),
    plain: (x) => x ** 2.5 / (1 + Math.sqrt(x)) + 3 * x + x ** -2 - (x + 1.5),
    d: (x) => (2.5 * x ** 1.5 * (1 + Math.sqrt(x)) - x ** 2.5 * (0.5 / Math.sqrt(x))) / (1 + Math.sqrt(x)) ** 2 + 3 - 2 * x ** -3 - 1,
    at: [0.3, 0.9, 2.2],
  },
  {
    name: "log1p(x²) − expm1(−x)/3 + atan(x) + asin(x/4) + acos(x/5) + tan(x/2)·cos(x) + |x − 1|",
    f: (x) =>
      ad.add(
        ad.add(ad.sub(ad.log1p(x.square()), ad.div(ad.expm1(x.neg()), 3)), ad.add(x.atan(), ad.add(ad.div(x, 4).asin(), ad.div(x, 5).acos()))),
        ad.add(ad.mul(ad.div(x, 2).tan(), x.cos()), ad.sub(x, 1).abs()),
      ),
    plain: (x) => Math.log1p(x * x) - Math.expm1(-x) / 3 + Math.atan(x) + Math.asin(x / 4) + Math.acos(x / 5) + Math.tan(x / 2) * Math.cos(x) + Math.abs(x - 1),
    d: (x) =>
      (2 * x) / (1 + x * x) + Math.exp(-x) / 3 + 1 / (1 + x * x) + 0.25 / Math.sqrt(1 - (x / 4) ** 2) - 0.2 / Math.sqrt(1 - (x / 5) ** 2) +
      (0.5 / Math.cos(x / 2) ** 2) * Math.cos(x) - Math.tan(x / 2) * Math.sin(x) + Math.sign(x - 1),
    at: [0.3, 0.9, 2.2],
  },
];

/** f(x0, x1) = atan2(x0, x1)·e^(x0) + x0^x1 − cos(x1), its two partials by hand, and points in every half-plane but the cut. */
const two: F2 = (v) => ad.sub(ad.add(ad.mul(ad.atan2(v.at(0), v.at(1)), v.at(0).exp()), ad.pow(v.at(0), v.at(1))), v.at(1).cos());
const twoPlain = ([a, b]: number[]) => Math.atan2(a, b) * Math.exp(a) + a ** b - Math.cos(b);
const twoGrad = ([a, b]: number[]) => [
  (b / (a * a + b * b)) * Math.exp(a) + Math.atan2(a, b) * Math.exp(a) + b * a ** (b - 1),
  (-a / (a * a + b * b)) * Math.exp(a) + a ** b * Math.log(a) + Math.sin(b),
];
const TWO_AT = [[0.7, 1.2], [0.4, -0.8], [1.3, -2.5]];

describe("toExpression", () => {
  it("gives f's output as an expression whose value, in float64 and in mathjs's own evaluate, is the closed form", () => {
    for (const { name, f, plain, at } of ONE) {
      const { expr, variables } = toExpression(f, at[0]);
      expect(variables, name).toEqual(["x"]);
      for (const x of at) {
        expect(rel(evaluateExpression(expr, x), plain(x)), `${name} at ${x}`).toBeLessThan(1e-14);
        expect(rel(evaluate(expr.toString(), { x }) as number, plain(x)), `${name} at ${x}, mathjs`).toBeLessThan(1e-14);
      }
    }
    const { expr, variables } = toExpression(two, TWO_AT[0]);
    expect(variables).toEqual(["x0", "x1"]);
    for (const p of TWO_AT) {
      expect(rel(evaluateExpression(expr, p, variables), twoPlain(p))).toBeLessThan(1e-14);
      expect(rel(evaluate(expr.toString(), { x0: p[0], x1: p[1] }) as number, twoPlain(p))).toBeLessThan(1e-14);
    }
  });

  it("prints what the tape recorded, names the inputs as asked, and counts the tape's nodes as compile does", () => {
    const f: F2 = (v) => v.at(0).mul(v.at(1)).sin();
    const { expr, variables, tapeNodes } = toExpression(f, [1, 2], { names: ["a", "b"] });
    expect([expr.toString(), variables]).toEqual(["sin(a * b)", ["a", "b"]]);
    const c = ad.compile(f, [1, 2]);
    expect(tapeNodes).toBe(c.stats.nodes); // node 0, two inputs, mul, sin
    expect(tapeNodes).toBe(5);
    c.dispose();
    expect(toExpression(() => 3, 1).expr.toString()).toBe("3"); // a constant output
  });

  it("freezes control flow at x, as the tape does (a guard that does not feed the output is no part of it)", () => {
    const f: F1 = (x) => (ad.lt(x, 1) ? x.sin() : x.cos());
    expect(toExpression(f, 0.5).expr.toString()).toBe("sin(x)");
    expect(toExpression(f, 2).expr.toString()).toBe("cos(x)");
  });

  it("refuses ops with no symbolic form, tensor ops and bad inputs with typed errors, and the next call works", () => {
    const cases: [string, () => unknown, string][] = [
      ["max", () => toExpression((x: ad.Scalar) => ad.max(x, 0.5).mul(2), 1), "max"],
      ["min", () => toExpression((x: ad.Scalar) => ad.min(x, 0.5), 1), "min"],
      ["where", () => toExpression((x: ad.Scalar) => ad.where(ad.less(x, 0), x.neg(), x) as ad.Scalar, 1), "where"],
      ["erf", () => toExpression((x: ad.Scalar) => x.erf(), 1), "erf"],
      ["lgamma", () => symbolicDerivative((x: ad.Scalar) => x.lgamma(), 1), "lgamma"],
      ["stopGradient", () => toExpression((x: ad.Scalar) => x.stopGradient().mul(x), 1), "stopGradient"],
      ["custom", () => toExpression((x: ad.Scalar) => ad.customVjp((a: number): [number, number] => [a * a, a], (a: number, ct: number) => 2 * a * ct)(x) as ad.Scalar, 1), "custom"],
    ];
    for (const [name, run, part] of cases) {
      expect(throwsWith(run, ad.AdError, part).code, name).toBe("UNSUPPORTED_OP");
      expect(toExpression((x: ad.Scalar) => x.exp(), 1).expr.toString()).toBe("exp(x)");
      expect(ad.grad((x: ad.Scalar) => x.mul(x))(3)).toBe(6);
    }
    const sum: F2 = (v) => ad.sum(v) as unknown as ad.Scalar;
    expect(throwsWith(() => toExpression(sum, [1, 2]), ad.AdError, "tensor op").code).toBe("TENSOR_MODE");
    throwsWith(() => toExpression((v: ad.Tensor) => v.at(0), ad.tensor([1, 2]) as unknown as number[]), ad.InputError, "number or a vector");
    throwsWith(() => toExpression((v: ad.Tensor) => [v.at(0), v.at(1)] as unknown as ad.Scalar, [1, 2]), ad.OutputError, "one output");
    throwsWith(() => toExpression((x: ad.Scalar) => x, 1, { names: ["a", "b"] }), ad.InputError, "expected 1 name");
    throwsWith(() => symbolicDerivative((x: ad.Scalar) => x, 1, { wrt: "y" }), ad.InputError, '"y"');
    expect(ad.grad(two)(TWO_AT[0])).toBeAllclose(twoGrad(TWO_AT[0]), { rtol: 1e-14 });
  });
});

describe("symbolicDerivative", () => {
  it("raw and simplified, evaluated, equals the closed form, adtape's gradient and numerical differences", () => {
    for (const { name, f, plain, d, at } of ONE) {
      for (const simplify of [false, true]) {
        const dx = symbolicDerivative(f, at[0], { simplify });
        for (const x of at) {
          const got = evaluateExpression(dx, x, ["x"]);
          const what = `${name}${simplify ? ", simplified," : ""} at ${x}`;
          expect(rel(got, d(x)), what).toBeLessThan(1e-13);
          expect(rel(got, ad.grad(f)(x)), what).toBeLessThan(1e-13);
          expect(rel(got, richardson(plain, x).value), what).toBeLessThan(1e-8);
          expect(rel(got, centralDiff(plain, x)), what).toBeLessThan(1e-8);
        }
      }
    }
  });

  it("takes each variable of a two-variable function", () => {
    for (const simplify of [false, true]) {
      const names = ["x0", "x1"];
      const [d0, d1] = names.map((wrt) => symbolicDerivative(two, TWO_AT[0], { wrt, simplify }));
      expect(symbolicDerivative(two, TWO_AT[0], { simplify }).toString()).toBe(d0.toString()); // the first by default
      for (const p of TWO_AT) {
        const got = [evaluateExpression(d0, p, names), evaluateExpression(d1, p, names)];
        expect(got).toBeAllclose(twoGrad(p), { rtol: 1e-13 });
        expect(got).toBeAllclose(ad.grad(two)(p), { rtol: 1e-13 });
        const partial = (k: number) => (h: number) => twoPlain(p.map((v, i) => (i === k ? h : v)));
        expect(got).toBeAllclose([richardson(partial(0), p[0]).value, richardson(partial(1), p[1]).value], { rtol: 1e-8 });
      }
    }
  });
});

describe("countOps", () => {
  it("counts operator and function nodes of hand-written expressions", () => {
    const cases: [string, number][] = [["x*(1-x)", 2], ["sin(x)^2", 2], ["x", 0], ["3", 0], ["-x", 1], ["x + y + z", 2], ["4 * x * (1 - x)", 3], ["exp(sin(x) + cos(x))", 4]];
    for (const [text, n] of cases) expect(countOps(parse(text)), text).toBe(n);
  });

  it("counts a node object used in two places twice (the expression is a tree)", () => {
    const s = parse("x + 1");
    expect(countOps(new OperatorNode("*", "multiply", [s, s]))).toBe(3);
    throwsWith(() => countOps("x + 1" as unknown as MathNode), ad.InputError, "mathjs node");
  });
});

/** The lesson's logistic map: n layers of l ← 4·l·(1 − l) from l = x. */
const logistic = (n: number): F1 => (x) => {
  let l = x;
  for (let k = 0; k < n; k++) l = ad.mul(ad.mul(4, l), ad.sub(1, l));
  return l;
};
/** d l_n / dx by the chain rule in plain JS: Π 4(1 − 2 l_k). */
function chainRule(n: number, x: number): number {
  let [l, d] = [x, 1];
  for (let k = 0; k < n; k++) [d, l] = [d * 4 * (1 - 2 * l), 4 * l * (1 - l)];
  return d;
}

describe("expression swell on the logistic map", () => {
  // By hand, from the ops: each layer records 3 nodes (4·l, 1 − l, their product), after node 0 and the input.
  // Its expression E(n) = 3 + 2E(n−1) ops, so 3(2ⁿ − 1). mathjs's derivative of P = M·S (M = 4·l, S = 1 − l) is
  // M'·S + M·S' with M' = 4·l' and S' = 0 − l': D(n) = 3 + (1 + D) + (1 + E) + (1 + E) + (1 + D) = 7 + 2D(n−1) + 2E(n−1),
  // D(0) = 0, whose solution is (3n + 1)·2ⁿ − 1: exponential in n against the tape's 3n + 2.
  it("grows the tape linearly and the raw derivative exponentially, which still evaluates to the chain rule", () => {
    let prev = 0;
    for (let n = 0; n <= 10; n++) {
      const s = expressionSwell(logistic(n), 0.3);
      expect(s.tapeNodes, `n = ${n}`).toBe(3 * n + 2);
      expect(s.exprOps, `n = ${n}`).toBe(3 * (2 ** n - 1));
      expect(s.derivativeOps, `n = ${n}`).toBe((3 * n + 1) * 2 ** n - 1);
      if (n >= 3) expect(s.derivativeOps / prev).toBeGreaterThan(1.8);
      expect(s.derivativeMs).toBeGreaterThanOrEqual(0);
      expect("simplifiedOps" in s || "simplifyMs" in s).toBe(false);
      prev = s.derivativeOps;
      const d = symbolicDerivative(logistic(n), 0.3);
      for (const x of [0.3, 0.71]) expect(rel(evaluateExpression(d, x, ["x"]), chainRule(n, x)), `n = ${n} at ${x}`).toBeLessThan(1e-10);
      if (n <= 6) expect(rel(evaluate(d.toString(), { x: 0.3 }) as number, chainRule(n, 0.3))).toBeLessThan(1e-10);
    }
    const c = ad.compile(logistic(7), 0.3);
    expect(c.stats.nodes).toBe(23);
    c.dispose();
  });

  it("simplifies to fewer ops (n ≤ 4: mathjs's simplify gets ~3× slower per layer), still the chain rule", () => {
    for (let n = 1; n <= 4; n++) {
      const s = expressionSwell(logistic(n), 0.3, { simplify: true });
      expect(s.simplifiedOps!).toBeLessThan(s.derivativeOps);
      expect(s.simplifyMs!).toBeGreaterThan(0);
      if (n === 4) continue; // spare a second simplify of the largest
      const d = symbolicDerivative(logistic(n), 0.3, { simplify: true });
      expect(countOps(d)).toBe(s.simplifiedOps);
      expect(rel(evaluateExpression(d, 0.3, ["x"]), chainRule(n, 0.3))).toBeLessThan(1e-12);
    }
  });
});

describe("packaging", () => {
  it("keeps mathjs out of every core module (only the symbolic baseline imports it)", () => {
    const files = (readdirSync(new URL("../src/", import.meta.url), { recursive: true }) as string[]).filter((p) => p.endsWith(".ts"));
    const users = files.filter((p) => readFileSync(new URL(`../src/${p}`, import.meta.url), "utf8").includes('from "mathjs"'));
    expect(users.map((p) => p.replaceAll("\\", "/"))).toEqual(["baselines/symbolic.ts"]);
  });
});
