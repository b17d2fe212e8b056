/**
 * @file Symbolic-differentiation baseline (one of the lesson's "four ways to get a gradient"): turns a function
 * written with adtape ops into a mathjs expression tree, differentiates it with mathjs (`derivative`,
 * `simplify`) and counts operations, to show expression swell against the tape's linear size; and the way
 * back, a math string parsed into an adtape function (no eval), with a float64 evaluator for checking.
 *
 * mathjs is an optional peer dependency: this entry point (`adtape/baselines/symbolic`) is the only module
 * that imports it; the core runtime never does.
 */
import {
  parse, derivative, simplify, ConstantNode, SymbolNode, OperatorNode, FunctionNode, ParenthesisNode,
  isConstantNode, isSymbolNode, isOperatorNode, isFunctionNode, isParenthesisNode, type MathNode,
} from "mathjs";
import * as ops from "../ops.js";
import { Scalar, describe, type Operand, type Trace } from "../trace.js";
import { Tensor } from "../tensor/handle.js";
import { withRecording } from "../transforms/vjp.js";
import { AdError, InputError, OutputError } from "../errors.js";

type Emit = (x: MathNode, y: MathNode) => MathNode;
const op = (o: "+" | "-" | "*" | "/" | "^", fn: "add" | "subtract" | "multiply" | "divide" | "pow") => (x: MathNode, y: MathNode): MathNode => new OperatorNode(o, fn, [x, y]);
const add = op("+", "add"), sub = op("-", "subtract"), mul = op("*", "multiply"), div = op("/", "divide"), pow = op("^", "pow");
const neg = (x: MathNode): MathNode => new OperatorNode("-", "unaryMinus", [x]);
const call = (name: string) => (x: MathNode): MathNode => new FunctionNode(name, [x]);
// NOTE: a negative constant goes in parentheses: mathjs prints ConstantNode(-3) ^ 2 as "-3 ^ 2", which parses as −9.
const num = (c: number): MathNode => (c < 0 ? new ParenthesisNode(new ConstantNode(c)) : new ConstantNode(c));

/** Each adtape op as a mathjs expression of its operands, written with what mathjs's `derivative` knows (mathjs 15:
 * + − * / ^, unary −, exp log sqrt, trigonometric and hyperbolic functions and their inverses, abs); null where
 * there is no such form: erf, the gamma family, min, max, comparisons, where, custom rules (the mapped type makes
 * the compiler name a missing op). */
const SYMBOLIC: { readonly [K in keyof typeof ops.table]: Emit | null } = {
  add, sub, mul, div, neg, pow,
  exp: call("exp"), log: call("log"), sqrt: call("sqrt"), sin: call("sin"), cos: call("cos"), tan: call("tan"),
  tanh: call("tanh"), asin: call("asin"), acos: call("acos"), atan: call("atan"),
  abs: call("abs"), // NOTE: mathjs differentiates it as abs(x)/x: NaN at 0, where adtape's abs'(0) = 0
  log1p: (x) => call("log")(add(num(1), x)), // mathjs's derivative knows no log1p, expm1, sigmoid or atan2
  expm1: (x) => sub(call("exp")(x), num(1)),
  sigmoid: (x) => div(num(1), add(num(1), call("exp")(neg(x)))),
  // NOTE: atan2(x, y) = 2 atan(x / (√(x² + y²) + y)), the half-angle form, holds in every quadrant but on its cut
  // x = 0, y ≤ 0 (0/0 there); near the cut the sum cancels and loses digits.
  atan2: (x, y) => mul(num(2), call("atan")(div(x, add(call("sqrt")(add(pow(x, num(2)), pow(y, num(2)))), y)))),
  min: null, max: null, erf: null, lgamma: null, digamma: null, trigamma: null, stopGradient: null,
  less: null, lessEqual: null, greater: null, greaterEqual: null, equal: null, whereTrue: null, whereFalse: null, custom: null,
};

type Num = (...a: number[]) => number;
type Ad = (...a: Operand[]) => Operand;

/** The operators (by mathjs `fn` name) and functions that strings may use: arity, float64 form (for
 * `evaluateExpression`), adtape op (for `fromExpression`); null where one side has no such function. */
const FUNCTIONS: Record<string, readonly [arity: number, num: Num | null, ad: Ad | null]> = {
  add: [2, (x, y) => x + y, ops.add], subtract: [2, (x, y) => x - y, ops.sub],
  multiply: [2, (x, y) => x * y, ops.mul], divide: [2, (x, y) => x / y, ops.div], pow: [2, Math.pow, ops.pow],
  unaryMinus: [1, (x) => -x, ops.neg], unaryPlus: [1, (x) => x, (x) => x],
  exp: [1, Math.exp, ops.exp], log: [1, Math.log, ops.log], log1p: [1, Math.log1p, ops.log1p], expm1: [1, Math.expm1, ops.expm1],
  sqrt: [1, Math.sqrt, ops.sqrt], sin: [1, Math.sin, ops.sin], cos: [1, Math.cos, ops.cos], tan: [1, Math.tan, ops.tan],
  tanh: [1, Math.tanh, ops.tanh], asin: [1, Math.asin, ops.asin], acos: [1, Math.acos, ops.acos], atan: [1, Math.atan, ops.atan],
  atan2: [2, Math.atan2, ops.atan2], abs: [1, Math.abs, ops.abs], min: [2, Math.min, ops.min], max: [2, Math.max, ops.max],
  hypot: [2, Math.hypot, ops.hypot], square: [1, (x) => x * x, ops.square], sigmoid: [1, (x) => 1 / (1 + Math.exp(-x)), ops.sigmoid],
  erf: [1, null, ops.erf], lgamma: [1, null, ops.lgamma],
  sec: [1, (x) => 1 / Math.cos(x), null], sech: [1, (x) => 1 / Math.cosh(x), null], // mathjs's derivatives of tan and tanh use them
};

/** Named constants in strings (every other free symbol is a variable). */
const CONSTANTS: Record<string, number> = { pi: Math.PI, e: Math.E };

const has = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** The name a call or operator node goes by in FUNCTIONS (an operator's mathjs `fn`, e.g. "subtract"). */
function nameOf(node: MathNode): string | undefined {
  if (isOperatorNode(node)) return node.fn;
  if (isFunctionNode(node) && isSymbolNode(node.fn)) return node.fn.name;
  return undefined;
}

/** Checks that every node of `root` is one that column 1 (float64) or 2 (adtape) of FUNCTIONS can run, and
 * returns the free symbols that are not constants, sorted; an InputError naming the part otherwise. */
function inspect(root: MathNode, column: 1 | 2, path: string): string[] {
  const symbols = new Set<string>();
  root.traverse((node, where, parent) => {
    if (isSymbolNode(node)) {
      if (!(isFunctionNode(parent) && where === "fn") && !has(CONSTANTS, node.name)) symbols.add(node.name);
    } else if (isConstantNode(node)) {
      if (typeof node.value !== "number") throw new InputError(`"${node.toString()}" is not a number`, path);
    } else if (isOperatorNode(node) || isFunctionNode(node)) {
      const name = nameOf(node);
      const what = isOperatorNode(node) ? `operator ${node.op}` : `function ${name ?? node.fn.toString()}()`;
      const row = name !== undefined && has(FUNCTIONS, name) ? FUNCTIONS[name] : undefined;
      if (!row) throw new InputError(`${isOperatorNode(node) ? "unsupported" : "unknown"} ${what} in "${node.toString()}"`, path);
      if (!row[column]) throw new InputError(`${what} has no ${column === 1 ? "float64 form here" : "adtape op"}`, path);
      const n = node.args.length;
      if (n !== row[0] && !(n > 2 && (name === "add" || name === "multiply"))) throw new InputError(`${what} takes ${row[0]} argument(s), got ${n}`, path);
    } else if (!isParenthesisNode(node)) {
      throw new InputError(`${node.type} "${node.toString()}" is not supported (numbers, variables, + - * / ^ and functions are)`, path);
    }
  });
  return [...symbols].sort();
}

/** Evaluates a checked tree with column 1 or 2 of FUNCTIONS; each distinct node object once (a shared subtree is not re-run). */
function interpret(root: MathNode, column: 1 | 2, symbol: (name: string) => Operand): Operand {
  const memo = new Map<MathNode, Operand>();
  const walk = (node: MathNode): Operand => {
    let v = memo.get(node);
    if (v !== undefined) return v;
    if (isParenthesisNode(node)) v = walk(node.content);
    else if (isConstantNode(node)) v = node.value as number;
    else if (isSymbolNode(node)) v = has(CONSTANTS, node.name) ? CONSTANTS[node.name] : symbol(node.name);
    else {
      const f = FUNCTIONS[nameOf(node)!][column] as Ad;
      const args = (node as OperatorNode | FunctionNode).args.map(walk);
      v = args.length === 1 ? f(args[0]) : args.reduce((acc, a) => f(acc, a)); // n-ary + and * (from simplify) folded left
    }
    memo.set(node, v);
    return v;
  };
  return walk(root);
}

function parseText(text: unknown, path: string): MathNode {
  if (typeof text !== "string") throw new InputError(`expected a math expression string, got ${describe(text)}`, path);
  try {
    return parse(text);
  } catch (err) {
    throw new InputError(`cannot parse "${text}": ${(err as Error).message}`, path);
  }
}

/** Checks variable names: distinct identifiers that are not the constants pi and e. */
function checkNames(names: unknown, path: string): string[] {
  if (!Array.isArray(names)) throw new InputError(`expected an array of names, got ${describe(names)}`, path);
  names.forEach((v, i) => {
    if (typeof v !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(v) || has(CONSTANTS, v) || names.indexOf(v) !== i) {
      throw new InputError(`${JSON.stringify(v)} is not a distinct identifier other than pi and e`, `${path}[${i}]`);
    }
  });
  return names.slice();
}

/** The variables of a parsed expression: the given names (which must cover its free symbols) or its free symbols. */
function variablesOf(free: string[], given: unknown, path: string): string[] {
  if (given === undefined) return free;
  const vars = checkNames(given, "variables");
  const unknown = free.find((s) => !vars.includes(s));
  if (unknown !== undefined) throw new InputError(`unknown symbol ${unknown} (variables: ${vars.join(", ") || "none"})`, path);
  return vars;
}

/**
 * Parses a math expression (mathjs syntax) into an adtape function of its variables, by walking the parse tree and
 * calling adtape ops (no `eval`, no `new Function`). One variable: `f` takes a number (a Scalar inside a
 * transform); several: a vector (a 1-D Tensor inside, read with `.at(i)`). Variables default to the sorted free
 * symbols (`pi` and `e` are constants). Inside a transform `f` always returns a Scalar (a constant expression
 * becomes a constant node); called on plain numbers, it returns a number.
 *
 * @example
 * ```ts
 * const { f, variables } = fromExpression("x^2 + sqrt(x + 3)");
 * ad.grad(f)(1);                                  // 2.25 = 2x + 1/(2√(x+3)) at 1
 * const g = fromExpression("sin(x0) * x1").f;      // variables ["x0", "x1"]
 * ad.grad(g)([0, 2]);                             // Float64Array [2, 0]
 * ```
 */
export function fromExpression(
  text: string,
  variables?: string[],
): {
  /** The expression as an adtape function: of a number for one variable, of a vector for several. */
  f: (x: any) => Scalar; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Its variables, in the order `f`'s vector takes them. */
  variables: string[];
} {
  const root = parseText(text, "text");
  const vars = variablesOf(inspect(root, 2, "text"), variables, "text");
  const f = (x: unknown): Scalar => {
    let at: (i: number) => Operand;
    if (vars.length === 0) at = () => 0;
    else if (vars.length === 1) {
      if (typeof x !== "number" && !(x instanceof Scalar)) throw new InputError(`expected a number or a Scalar (the expression has one variable), got ${describe(x)}`);
      at = () => x;
    } else {
      const v = x instanceof Tensor ? x : (x as ArrayLike<Operand>);
      if (!(x instanceof Tensor) && !(x instanceof Float64Array) && !Array.isArray(x)) throw new InputError(`expected a vector of ${vars.length} values (${vars.join(", ")}), got ${describe(x)}`);
      if (v.length !== vars.length) throw new InputError(`expected ${vars.length} values (${vars.join(", ")}), got ${v.length}`);
      at = v instanceof Tensor ? (i) => v.at(i) : (i) => v[i];
    }
    const y = interpret(root, 2, (name) => at(vars.indexOf(name)));
    const t = x instanceof Scalar || x instanceof Tensor ? x.trace : undefined;
    return (typeof y === "number" && t ? new Scalar(t, t.leaf(y)) : y) as Scalar; // a constant, as a node of x's tape
  };
  return { f, variables: vars };
}

/**
 * Evaluates a mathjs expression in float64 (JS `Math`; no complex results: NaN outside a function's domain) at
 * `x`: a number for one variable, else one value per variable in order. Variables default to the sorted free
 * symbols; pass them when the expression may lack some (a derivative often does).
 *
 * @example
 * ```ts
 * evaluateExpression("x^2 + sqrt(x + 3)", 1);                   // 3
 * const d = symbolicDerivative((v: ad.Tensor) => v.at(0).mul(v.at(1)), [1, 2], { wrt: "x1" }); // "x0 * 1"
 * evaluateExpression(d, [5, 7], ["x0", "x1"]);    // 5 (d has no x1: name the variables)
 * ```
 */
export function evaluateExpression(node: MathNode | string, x: number | ArrayLike<number>, variables?: string[]): number {
  const root = typeof node === "string" ? parseText(node, "expr") : node;
  if (!root || (root as { isNode?: unknown }).isNode !== true) throw new InputError(`expected a mathjs node or a string, got ${describe(node)}`, "expr");
  const vars = variablesOf(inspect(root, 1, "expr"), variables, "expr");
  const values = typeof x === "number" ? [x] : Array.from(x ?? []);
  const ok = typeof x === "number" ? vars.length <= 1 : values.length === vars.length && values.every((v) => typeof v === "number");
  if (!ok) throw new InputError(`expected ${vars.length} number(s) for ${vars.join(", ") || "no variables"}, got ${describe(x)}${typeof x === "object" ? ` of length ${values.length}` : ""}`);
  return interpret(root, 1, (name) => values[vars.indexOf(name)]) as number;
}

/** f's output node `top` on tape t as a mathjs tree. A node the tape uses twice is one object in two places (a
 * tree to mathjs, counted twice by countOps), except as both operands of one op: mathjs's product rule tells
 * operands apart by identity, so the second is a clone. */
function expressionOf(t: Trace, top: number, inputs: Map<number, string>): MathNode {
  const need = new Uint8Array(top + 1);
  const missing = new Set<string>();
  need[top] = 1;
  for (let i = top; i > 0; i--) {
    if (!need[i]) continue;
    if (t.b[i] < 0) throw new AdError("TENSOR_MODE", `toExpression runs through scalar ops only, and node ${i} is a tensor op; read a vector input's elements with .at(i)`);
    const name = ops.opName[t.op[i]] as keyof typeof ops.table | undefined;
    if (!name) continue; // an input or a constant leaf
    if (!SYMBOLIC[name]) missing.add(name.startsWith("where") ? "where" : name);
    need[t.a[i]] = 1;
    if (ops.table[name].arity === 2) need[t.b[i]] = 1;
  }
  if (missing.size) {
    throw new AdError("UNSUPPORTED_OP", `no symbolic form that mathjs can differentiate for ${[...missing].join(", ")} (f's output depends on ${missing.size > 1 ? "them" : "it"})`);
  }
  const node: MathNode[] = [];
  for (let i = 0; i <= top; i++) {
    if (!need[i]) continue;
    const name = ops.opName[t.op[i]] as keyof typeof ops.table | undefined;
    if (!name) node[i] = t.op[i] === ops.Op.Input ? new SymbolNode(inputs.get(i)!) : num(t.val[i]);
    else {
      // A constant operand rode in node i's value slot (index i, or 0 once computed); the trace kept it.
      const arg = (k: number) => (k === i || k === 0 ? num(t.constants!.get(i) ?? 0) : node[k]);
      const x = arg(t.a[i]);
      let y = x; // a unary op's emitter ignores it
      if (ops.table[name].arity === 2 && (y = arg(t.b[i])) === x) y = x.clone();
      node[i] = SYMBOLIC[name]!(x, y);
    }
  }
  return node[top];
}

/**
 * Records f (written with adtape ops) once at x and returns its output as a mathjs expression tree, its variables
 * ("x" for a number input; x0, x1, … for a vector, or `opts.names`) and the nodes adtape recorded (the same count as
 * `compile(f, x).stats.nodes`: node 0, the tape's constant zero, included). Control flow is frozen at x, as on the
 * tape; a subexpression the tape computes once appears in the tree at every use (that is the swell).
 *
 * @example
 * ```ts
 * const { expr, variables, tapeNodes } = toExpression((x: ad.Scalar) => x.mul(x).sin(), 0.5);
 * expr.toString();                                // "sin(x * x)"; variables ["x"], tapeNodes 4
 * toExpression((v: ad.Tensor) => v.at(0).sub(v.at(1)), [1, 2]).expr.toString(); // "x0 - x1"
 * ```
 */
export function toExpression<H extends Scalar | Tensor>(
  f: (x: H) => unknown,
  x: number | Float64Array | number[],
  opts: { names?: string[] } = {},
): {
  /** f's output as a mathjs expression tree. */
  expr: MathNode;
  /** The input names the tree uses, in input order. */
  variables: string[];
  /** The nodes adtape recorded for f. */
  tapeNodes: number;
} {
  const vector = x instanceof Float64Array || (Array.isArray(x) && x.every((v) => typeof v === "number"));
  if (typeof x !== "number" && !vector) throw new InputError(`toExpression takes a number or a vector (Float64Array or number[]), got ${describe(x)}`);
  const n = typeof x === "number" ? 1 : x.length;
  const variables = opts.names !== undefined ? checkNames(opts.names, "names") : typeof x === "number" ? ["x"] : Array.from({ length: n }, (_, i) => `x${i}`);
  if (variables.length !== n) throw new InputError(`expected ${n} name(s), one per input, got ${variables.length}`, "names");
  const keep = (h: H) => {
    h.trace.constants ??= new Map(); // keep the inline constants that compute would overwrite (as nested.ts does)
    return f(h);
  };
  return withRecording(keep, x, ({ t, inputs, like, outs }) => {
    if (outs.length !== 1) throw new OutputError(`toExpression needs one output value; f returned ${outs.length}`);
    const nodes = inputs instanceof Scalar ? [inputs.idx] : [...(inputs as Tensor)].map((s) => s.idx);
    const expr = outs[0] < 0 ? num(like as number) : expressionOf(t, outs[0], new Map(nodes.map((k, i) => [k, variables[i]])));
    return { expr, variables, tapeNodes: t.n };
  });
}

function wrtOf(variables: string[], wrt: string | undefined): string {
  const v = wrt ?? variables[0];
  if (!variables.includes(v)) throw new InputError(`${JSON.stringify(v)} is not one of the variables (${variables.join(", ") || "none"})`, "wrt");
  return v;
}

/**
 * The symbolic derivative of f's output with respect to one variable (default the first): mathjs's `derivative` of
 * `toExpression(f, x).expr`, raw by default, or passed through mathjs's `simplify` (slow: seconds from a few
 * layers of a deep composition).
 *
 * @example
 * ```ts
 * const d = symbolicDerivative((x: ad.Scalar) => x.mul(x).sin(), 0.5);
 * d.toString();                                   // "(1 * x + x * 1) * cos(x * x)"
 * symbolicDerivative((v: ad.Tensor) => v.at(0).mul(v.at(1)), [1, 2], { wrt: "x1", simplify: true }).toString(); // "x0"
 * ```
 */
export function symbolicDerivative<H extends Scalar | Tensor>(
  f: (x: H) => unknown,
  x: number | Float64Array | number[],
  opts: { wrt?: string; simplify?: boolean; names?: string[] } = {},
): MathNode {
  const { expr, variables } = toExpression(f, x, opts);
  const d = derivative(expr, wrtOf(variables, opts.wrt), { simplify: false });
  return opts.simplify ? simplify(d) : d;
}

/**
 * The number of operations (operator and function nodes) in an expression, counted as a tree: a node object that
 * appears in several places counts at each.
 *
 * @example
 * ```ts
 * countOps(parse("x * (1 - x)"));                 // 2
 * countOps(parse("sin(x)^2"));                    // 2
 * ```
 */
export function countOps(node: MathNode): number {
  if (!node || (node as { isNode?: unknown }).isNode !== true) throw new InputError(`expected a mathjs node, got ${describe(node)}`, "node");
  const memo = new Map<MathNode, number>(); // per object: a shared subtree is walked once, however often it appears
  const count = (n: MathNode): number => {
    let c = memo.get(n);
    if (c === undefined) {
      let k = isOperatorNode(n) || isFunctionNode(n) ? 1 : 0;
      n.forEach((child) => (k += count(child)));
      memo.set(n, (c = k));
    }
    return c;
  };
  return count(node);
}

/**
 * The swell figures for one function: the tape's nodes, the operations in f's expression and in its raw
 * derivative, the milliseconds mathjs's `derivative` took, and with `simplify` the operations in the simplified
 * derivative and the milliseconds `simplify` took.
 *
 * @example
 * ```ts
 * const logistic = (n: number) => (x: ad.Scalar) => {
 *   let l: ad.Scalar = x;
 *   for (let k = 0; k < n; k++) l = ad.mul(ad.mul(4, l), ad.sub(1, l));
 *   return l;
 * };
 * expressionSwell(logistic(3), 0.3);              // { tapeNodes: 11, exprOps: 21, derivativeOps: 79, derivativeMs: … }
 * ```
 */
export function expressionSwell<H extends Scalar | Tensor>(
  f: (x: H) => unknown,
  x: number | Float64Array | number[],
  opts: { simplify?: boolean; wrt?: string; names?: string[] } = {},
): {
  /** The nodes adtape recorded for f (as `toExpression`). */
  tapeNodes: number;
  /** Operations in f's expression tree. */
  exprOps: number;
  /** Operations in mathjs's raw derivative. */
  derivativeOps: number;
  /** Operations in the simplified derivative (with `simplify`). */
  simplifiedOps?: number;
  /** Milliseconds mathjs's `derivative` took. */
  derivativeMs: number;
  /** Milliseconds mathjs's `simplify` took (with `simplify`). */
  simplifyMs?: number;
} {
  const { expr, variables, tapeNodes } = toExpression(f, x, opts);
  const wrt = wrtOf(variables, opts.wrt);
  let t0 = performance.now();
  const d = derivative(expr, wrt, { simplify: false });
  const derivativeMs = performance.now() - t0;
  const figures = { tapeNodes, exprOps: countOps(expr), derivativeOps: countOps(d), derivativeMs };
  if (!opts.simplify) return figures;
  t0 = performance.now();
  const s = simplify(d);
  const simplifyMs = performance.now() - t0;
  return { ...figures, simplifiedOps: countOps(s), simplifyMs };
}
