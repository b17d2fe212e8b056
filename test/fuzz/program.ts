/** @file The fuzzer's programs: a list of nodes over inputs x0…x(n−1), run three ways — with adtape ops on handles,
 * in plain float64 JS (`Math.*`), and printed — plus the kink signature that says which branch every kink took. */
import * as ad from "../../src/index.js";

type N = number;
type H = ad.Operand;

/** One node: an op from `OPS`, its operands (value indices: the inputs first, then the nodes), and an optional
 * constant last operand. Node k is value n + k; the program's output is its last node. */
export interface Node {
  op: OpName;
  args: number[];
  c?: number;
}

/** A program over n inputs. */
export interface Program {
  n: number;
  nodes: Node[];
}

/** An op's three forms: adtape, plain JS, and (where it has a kink, branch or mask) the discrete outcome it took. */
interface OpForm {
  ad: (...a: H[]) => H;
  js: (...a: N[]) => N;
  kink?: (...a: N[]) => N;
  /** Its kink is a guard that a compiled tape re-checks (comparisons for `if`, min, max, abs). */
  guard?: true;
  /** mathjs can differentiate it (src/baselines/symbolic.ts). */
  symbolic?: true;
}

const b = (c: boolean): N => (c ? 1 : 0);
/** An op with no plain-JS implementation here: its values come from adtape on numbers (the oracle, differences,
 * checks derivatives only, so this is still independent of adtape's derivative rules). */
const special = (f: (x: N) => N) => (x: N) => f(x);

/** Every op a program may use. */
export const OPS = {
  add: { ad: ad.add, js: (x, y) => x + y, symbolic: true },
  sub: { ad: ad.sub, js: (x, y) => x - y, symbolic: true },
  mul: { ad: ad.mul, js: (x, y) => x * y, symbolic: true },
  div: { ad: ad.div, js: (x, y) => x / y, symbolic: true },
  pow: { ad: ad.pow, js: (x, y) => Math.pow(x, y), symbolic: true },
  atan2: { ad: ad.atan2, js: Math.atan2, kink: (x, y) => (y < 0 ? Math.sign(x) : 0), symbolic: true },
  min: { ad: ad.min, js: Math.min, kink: (x, y) => b(x <= y), guard: true },
  max: { ad: ad.max, js: Math.max, kink: (x, y) => b(x >= y), guard: true },
  hypot: { ad: ad.hypot, js: (x, y) => Math.sqrt(x * x + y * y), kink: (x, y) => 3 * Math.sign(x) + Math.sign(y) }, // a cone at 0
  neg: { ad: ad.neg, js: (x) => -x, symbolic: true },
  exp: { ad: ad.exp, js: Math.exp, symbolic: true },
  log: { ad: ad.log, js: Math.log, symbolic: true },
  log1p: { ad: ad.log1p, js: Math.log1p, symbolic: true },
  expm1: { ad: ad.expm1, js: Math.expm1, symbolic: true },
  sqrt: { ad: ad.sqrt, js: Math.sqrt, symbolic: true },
  sin: { ad: ad.sin, js: Math.sin, symbolic: true },
  cos: { ad: ad.cos, js: Math.cos, symbolic: true },
  tan: { ad: ad.tan, js: Math.tan, symbolic: true },
  tanh: { ad: ad.tanh, js: Math.tanh, symbolic: true },
  sigmoid: { ad: ad.sigmoid, js: (x) => 1 / (1 + Math.exp(-x)), symbolic: true },
  asin: { ad: ad.asin, js: Math.asin, symbolic: true },
  acos: { ad: ad.acos, js: Math.acos, symbolic: true },
  atan: { ad: ad.atan, js: Math.atan, symbolic: true },
  abs: { ad: ad.abs, js: Math.abs, kink: Math.sign, guard: true },
  relu: { ad: ad.relu, js: (x) => Math.max(0, x), kink: (x) => b(0 >= x), guard: true },
  square: { ad: ad.square, js: (x) => x * x },
  softplus: { ad: ad.softplus, js: (x) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))) },
  erf: { ad: ad.erf, js: special(ad.erf) },
  lgamma: { ad: ad.lgamma, js: special(ad.lgamma) },
  digamma: { ad: ad.digamma, js: special(ad.digamma) },
  trigamma: { ad: ad.trigamma, js: special(ad.trigamma) },
  stopGradient: { ad: ad.stopGradient, js: (x) => x },
  less: { ad: ad.less, js: (x, y) => b(x < y), kink: (x, y) => b(x < y) },
  lessEqual: { ad: ad.lessEqual, js: (x, y) => b(x <= y), kink: (x, y) => b(x <= y) },
  greater: { ad: ad.greater, js: (x, y) => b(x > y), kink: (x, y) => b(x > y) },
  greaterEqual: { ad: ad.greaterEqual, js: (x, y) => b(x >= y), kink: (x, y) => b(x >= y) },
  equal: { ad: ad.equal, js: (x, y) => b(x === y), kink: (x, y) => b(x === y) },
  where: { ad: (m, x, y) => ad.where(m, x, y), js: (m, x, y) => (m !== 0 ? x : y), kink: (m) => b(m !== 0) },
  ifLt: { ad: (p, q, x, y) => (ad.lt(p, q) ? x : y), js: (p, q, x, y) => (p < q ? x : y), kink: (p, q) => b(p < q), guard: true },
  ifGt: { ad: (p, q, x, y) => (ad.gt(p, q) ? x : y), js: (p, q, x, y) => (p > q ? x : y), kink: (p, q) => b(p > q), guard: true },
} satisfies Record<string, OpForm>;

/** An op's name. */
export type OpName = keyof typeof OPS;
const FORMS: Record<OpName, OpForm> = OPS;

/** The operands of node k: its argument values, then its constant. */
function operands<T>(node: Node, vals: T[]): (T | number)[] {
  const a: (T | number)[] = node.args.map((i) => vals[i]);
  if (node.c !== undefined) a.push(node.c);
  return a;
}

/** Runs p on adtape handles (or numbers) and returns its output. */
export function runAd(p: Program, x: H[]): H {
  const vals: H[] = x.slice(0, p.n);
  for (const node of p.nodes) vals.push(FORMS[node.op].ad(...operands(node, vals)));
  return vals[vals.length - 1];
}

/** p as a function adtape's transforms take: a vector input. */
export function adFn(p: Program): (v: ad.Tensor) => ad.Scalar {
  return (v) => runAd(p, Array.from({ length: p.n }, (_, i) => v.at(i))) as ad.Scalar;
}

/** The plain-JS run: the output, every value (for the bounds check), and the kink signature (all kinks, and the guards only). */
export interface JsRun {
  y: number;
  vals: number[];
  sig: string;
  guards: string;
}

/** Runs p in plain float64 JS; with `frozen` (the values of a run at the base point), stopGradient holds its
 * value there, so that differences see it as the constant it is to adtape. */
export function runJs(p: Program, x: ArrayLike<number>, frozen?: number[]): JsRun {
  const vals = Array.from(x).slice(0, p.n);
  let sig = "", guards = "";
  for (const node of p.nodes) {
    const form = FORMS[node.op];
    const a = operands(node, vals);
    if (form.kink) {
      const k = String(form.kink(...a));
      sig += k + ",";
      if (form.guard) guards += k + ",";
    }
    vals.push(frozen && node.op === "stopGradient" ? frozen[vals.length] : form.js(...a));
  }
  return { y: vals[vals.length - 1], vals, sig, guards };
}

/** p's output as a plain function of the vector x, with stopGradient frozen at `frozen` when given. */
export function jsFn(p: Program, frozen?: number[]): (x: ArrayLike<number>) => number {
  return (x) => runJs(p, x, frozen).y;
}

/** Whether every op of p passes `pred`. */
export function usesOnly(p: Program, pred: (op: OpName) => boolean): boolean {
  return p.nodes.every((n) => pred(n.op));
}

/** Whether mathjs can differentiate every op of p. */
export function isSymbolic(op: OpName): boolean {
  return FORMS[op].symbolic === true;
}

/** p printed one node a line, `v5 = log(v4)`, with the inputs v0…v(n−1). */
export function printProgram(p: Program): string {
  const lines = [`// inputs v0…v${p.n - 1}; output v${p.n + p.nodes.length - 1}`];
  p.nodes.forEach((node, k) => {
    const a = node.args.map((i) => `v${i}`);
    if (node.c !== undefined) a.push(String(node.c));
    lines.push(`v${p.n + k} = ${node.op}(${a.join(", ")})`);
  });
  return lines.join("\n");
}

/** p as a source literal, for test/fuzz/regressions.ts. */
export function programLiteral(p: Program): string {
  return JSON.stringify(p);
}
