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
  parse, type OperatorNode, type FunctionNode,
  isConstantNode, isSymbolNode, isOperatorNode, isFunctionNode, isParenthesisNode, type MathNode,
} from "mathjs";
import * as ops from "../ops.js";
import { Scalar, describe, type Operand } from "../trace.js";
import { Tensor } from "../tensor/handle.js";
import { InputError } from "../errors.js";

type Num = (...a: number[]) => number;
type Ad = (...a: Operand[]) => Operand;

/** The operators (by mathjs `fn` name) and functions that strings may use: arity, float64 form (for
 * `evaluateExpression`), adtape op (for `fromExpression`); null where one side has no such function. */
const FUNCTIONS: Record<string, readonly [arity: number, num: Num | null, ad: Ad | null]> = {
  add: [2, (x, y) => x + y, ops.add],
  subtract: [2, (x, y) => x - y, ops.sub],
  multiply: [2, (x, y) => x * y, ops.mul],
  divide: [2, (x, y) => x / y, ops.div],
  pow: [2, Math.pow, ops.pow],
  unaryMinus: [1, (x) => -x, ops.neg],
  unaryPlus: [1, (x) => x, (x) => x],
  exp: [1, Math.exp, ops.exp],
  log: [1, Math.log, ops.log],
  log1p: [1, Math.log1p, ops.log1p],
  expm1: [1, Math.expm1, ops.expm1],
  sqrt: [1, Math.sqrt, ops.sqrt],
  sin: [1, Math.sin, ops.sin],
  cos: [1, Math.cos, ops.cos],
  tan: [1, Math.tan, ops.tan],
  tanh: [1, Math.tanh, ops.tanh],
  asin: [1, Math.asin, ops.asin],
  acos: [1, Math.acos, ops.acos],
  atan: [1, Math.atan, ops.atan],
  atan2: [2, Math.atan2, ops.atan2],
  abs: [1, Math.abs, ops.abs],
  min: [2, Math.min, ops.min],
  max: [2, Math.max, ops.max],
  hypot: [2, Math.hypot, ops.hypot],
  square: [1, (x) => x * x, ops.square],
  sigmoid: [1, (x) => 1 / (1 + Math.exp(-x)), ops.sigmoid],
  erf: [1, null, ops.erf],
  lgamma: [1, null, ops.lgamma],
  // mathjs writes the derivatives of tan and tanh with these
  sec: [1, (x) => 1 / Math.cos(x), null],
  sech: [1, (x) => 1 / Math.cosh(x), null],
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
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function fromExpression(text: string, variables?: string[]): { f: (x: any) => Scalar; variables: string[] } {
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
 * evaluateExpression(symbolicDerivative(f, [1, 2], { wrt: "x1" }), [1, 2], ["x0", "x1"]);
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
