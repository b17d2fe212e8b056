/** @file The fuzzer's programs: a list of nodes over inputs x0…x(n−1), run three ways — with adtape ops on handles,
 * in plain float64 JS (`Math.*`), and printed — plus the kink signature that says which branch every kink took. */
import * as ad from "../../src/index.js";
import { broadcast, isTensorOp, tensorAd, tensorJs, type T, type TensorOpName } from "./tensor.js";

type N = number;
type H = ad.Operand;

/** One node: an op from `OPS` (elementwise on tensors) or a tensor op, its operands (value indices: the inputs
 * first, then the nodes), an optional constant last operand, and a tensor op's axis (sum, mean; -1: all) or
 * target shape (reshape). Node k is value n + k (a tensor program has one input value, so node k is 1 + k); the
 * program's output is its last node. */
export interface Node {
  op: OpName | TensorOpName;
  args: number[];
  c?: number;
  axis?: number;
  to?: number[];
}

/** A program over n inputs; with `shape`, a tensor program whose one input is the n-vector reshaped to it. */
export interface Program {
  n: number;
  nodes: Node[];
  shape?: number[];
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
  /** How far its operands are from the branch boundary, relative (a near-tie may go either way in V8's Math and
   * AssemblyScript's, which round the last bit differently). */
  margin?: (...a: N[]) => N;
}

const b = (c: boolean): N => (c ? 1 : 0);
const gap = (x: N, y: N): N => Math.abs(x - y) / Math.max(1, Math.abs(x), Math.abs(y));
const off0 = (x: N): N => gap(x, 0);
/** hypot and atan2 near the origin: their partials are huge terms that cancel, so a radius below 1e-6 counts as a
 * near-tie (second derivatives lose all their digits there); at the origin itself atan2 jumps (atan2(3x², x²) is
 * atan 3 but 0 at x = 0) and a zero adjoint can hide its NaN partials, so that is no place to compare either. */
const cone = (x: N, y: N): N => Math.hypot(x, y) * 1e-6;
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
  atan2: { ad: ad.atan2, js: Math.atan2, kink: (x, y) => (y < 0 ? Math.sign(x) : 0), symbolic: true, margin: (x, y) => Math.min(y < 0 ? off0(x) : 1, cone(x, y)) },
  min: { ad: ad.min, js: Math.min, kink: (x, y) => b(x <= y), guard: true, margin: gap },
  max: { ad: ad.max, js: Math.max, kink: (x, y) => b(x >= y), guard: true, margin: gap },
  hypot: { ad: ad.hypot, js: (x, y) => Math.sqrt(x * x + y * y), kink: (x, y) => 3 * Math.sign(x) + Math.sign(y), margin: cone },
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
  abs: { ad: ad.abs, js: Math.abs, kink: Math.sign, guard: true, margin: off0 },
  relu: { ad: ad.relu, js: (x) => Math.max(0, x), kink: (x) => b(0 >= x), guard: true, margin: off0 },
  square: { ad: ad.square, js: (x) => x * x },
  softplus: { ad: ad.softplus, js: (x) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))) },
  erf: { ad: ad.erf, js: special(ad.erf) },
  lgamma: { ad: ad.lgamma, js: special(ad.lgamma) },
  digamma: { ad: ad.digamma, js: special(ad.digamma) },
  trigamma: { ad: ad.trigamma, js: special(ad.trigamma) },
  stopGradient: { ad: ad.stopGradient, js: (x) => x },
  less: { ad: ad.less, js: (x, y) => b(x < y), kink: (x, y) => b(x < y), margin: gap },
  lessEqual: { ad: ad.lessEqual, js: (x, y) => b(x <= y), kink: (x, y) => b(x <= y), margin: gap },
  greater: { ad: ad.greater, js: (x, y) => b(x > y), kink: (x, y) => b(x > y), margin: gap },
  greaterEqual: { ad: ad.greaterEqual, js: (x, y) => b(x >= y), kink: (x, y) => b(x >= y), margin: gap },
  equal: { ad: ad.equal, js: (x, y) => b(x === y), kink: (x, y) => b(x === y), margin: gap },
  where: { ad: (m, x, y) => ad.where(m, x, y), js: (m, x, y) => (m !== 0 ? x : y), kink: (m) => b(m !== 0) },
  ifLt: { ad: (p, q, x, y) => (ad.lt(p, q) ? x : y), js: (p, q, x, y) => (p < q ? x : y), kink: (p, q) => b(p < q), guard: true, margin: gap },
  ifGt: { ad: (p, q, x, y) => (ad.gt(p, q) ? x : y), js: (p, q, x, y) => (p > q ? x : y), kink: (p, q) => b(p > q), guard: true, margin: gap },
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

/** Runs p on adtape handles (scalars, or the one tensor of a tensor program) and returns its output. */
export function runAd(p: Program, x: (H | ad.Tensor<"nd">)[]): H | ad.Tensor<"nd"> {
  const vals = x.slice();
  for (const node of p.nodes) {
    const op = node.op;
    if (isTensorOp(op)) vals.push(tensorAd(op, vals[node.args[0]] as ad.Tensor<"nd">, vals[node.args[1]] as ad.Tensor<"nd">, node.axis ?? -1, node.to ?? []));
    else vals.push(FORMS[op].ad(...(operands(node, vals) as H[])));
  }
  return vals[vals.length - 1];
}

/** p as a function adtape's transforms take: a vector input. */
export function adFn(p: Program): (v: ad.Tensor) => ad.Scalar {
  if (p.shape) return (v) => runAd(p, [ad.reshape(v, p.shape!) as ad.Tensor<"nd">]) as ad.Scalar;
  return (v) => runAd(p, Array.from({ length: p.n }, (_, i) => v.at(i))) as ad.Scalar;
}

/** The plain-JS run: the output, every value (for the bounds check), and the kink signature (all kinks, and the guards only). */
export interface JsRun {
  y: number;
  vals: number[];
  sig: string;
  guards: string;
  /** The smallest margin of any branch (1 if none): below ~1e-12 the two Math libraries may disagree. */
  margin: number;
}

/** Runs p in plain float64 JS; with `frozen` (the values of a run at the base point), stopGradient holds its
 * value there, so that differences see it as the constant it is to adtape. */
export function runJs(p: Program, x: ArrayLike<number>, frozen?: number[]): JsRun {
  if (p.shape) return runTensorJs(p, x, frozen);
  const vals = Array.from(x).slice(0, p.n);
  let sig = "", guards = "", margin = 1;
  for (const node of p.nodes) {
    const form = FORMS[node.op as OpName]; // a scalar program has no tensor op
    const a = operands(node, vals);
    if (form.margin && node.args[0] !== node.args[1]) margin = Math.min(margin, form.margin(...a)); // x vs x: an exact tie both ways
    if (form.kink) {
      const k = String(form.kink(...a));
      sig += k + ",";
      if (form.guard) guards += k + ",";
    }
    vals.push(frozen && node.op === "stopGradient" ? frozen[vals.length] : form.js(...a));
  }
  return { y: vals[vals.length - 1], vals, sig, guards, margin };
}

/** A tensor program in plain JS: `vals` holds every element of every value, in order (frozen alike). */
function runTensorJs(p: Program, x: ArrayLike<number>, frozen?: number[]): JsRun {
  const vals: T[] = [{ shape: p.shape!, data: Array.from(x) }];
  const flat: number[] = Array.from(x);
  let sig = "", margin = 1;
  for (const node of p.nodes) {
    const op = node.op;
    let out: T;
    if (isTensorOp(op)) out = tensorJs(op, vals[node.args[0]], vals[node.args[1]], node.axis ?? -1, node.to ?? []);
    else {
      const form = FORMS[op];
      const b = broadcast(operands(node, vals), form.js);
      if (form.kink) sig += b.each.map((a) => form.kink!(...a)).join(",") + ";";
      if (form.margin && node.args[0] !== node.args[1]) for (const a of b.each) margin = Math.min(margin, form.margin(...a));
      out = b.out;
    }
    if (frozen && op === "stopGradient") out = { shape: out.shape, data: frozen.slice(flat.length, flat.length + out.data.length) };
    vals.push(out);
    flat.push(...out.data);
  }
  return { y: vals[vals.length - 1].data[0], vals: flat, sig, guards: "", margin };
}

/** p's output as a plain function of the vector x, with stopGradient frozen at `frozen` when given. */
export function jsFn(p: Program, frozen?: number[]): (x: ArrayLike<number>) => number {
  return (x) => runJs(p, x, frozen).y;
}

/** Whether every op of p passes `pred`. */
export function usesOnly(p: Program, pred: (op: OpName | TensorOpName) => boolean): boolean {
  return p.nodes.every((n) => pred(n.op));
}

/** Whether mathjs can differentiate every op of p. */
export function isSymbolic(op: OpName | TensorOpName): boolean {
  return !isTensorOp(op) && FORMS[op].symbolic === true;
}

/** p printed one node a line, `v5 = log(v4)`, with the inputs v0…v(n−1). */
export function printProgram(p: Program): string {
  const first = p.shape ? 1 : p.n;
  const lines = [p.shape ? `// input v0: x as [${p.shape}]; output v${p.nodes.length}` : `// inputs v0…v${p.n - 1}; output v${p.n + p.nodes.length - 1}`];
  p.nodes.forEach((node, k) => {
    const a = node.args.map((i) => `v${i}`);
    if (node.c !== undefined) a.push(String(node.c));
    if (node.axis !== undefined) a.push(`axis ${node.axis}`);
    if (node.to !== undefined) a.push(`[${node.to}]`);
    lines.push(`v${first + k} = ${node.op}(${a.join(", ")})`);
  });
  return lines.join("\n");
}

/** p as a source literal, for test/fuzz/regressions.ts. */
export function programLiteral(p: Program): string {
  return JSON.stringify(p);
}
