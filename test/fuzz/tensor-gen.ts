/** @file The tensor programs' generator: genes built into a Program over an r × c input that tracks every value's
 * shape, so that elementwise operands broadcast, matmul's inner sizes match and slices are non-empty. */
import fc from "fast-check";
import type { Node, OpName, Program } from "./program.js";
import { broadcastShape, TENSOR_OPS, type TensorOpName } from "./tensor.js";
import { geneArb, type Case, type Gene, type GeneOp } from "./generate.js";

/** What a tensor gene may ask for: the scalar gene ops but the JS `if` (a comparison of tensors is not one
 * boolean), and the tensor ops. */
export type TensorGeneOp = Exclude<GeneOp, "if"> | TensorOpName;

/** Builds a tensor program: like `build` (generate.ts), elementwise, plus the tensor ops; sinks are summed (or
 * averaged) to scalars and added into the output. */
export function buildTensor(shape: [number, number], genome: { op: TensorGeneOp; picks: number[]; u: number }[]): Program {
  const nodes: Node[] = [];
  const shapes: number[][] = [shape];
  const used = new Set<number>();
  const emit = (op: OpName | TensorOpName, args: number[], extra: Partial<Node> = {}): number => {
    for (const a of args) used.add(a);
    nodes.push({ op, args, ...extra });
    shapes.push(shapeOf(op, args.map((a) => shapes[a]), extra));
    return shapes.length - 1;
  };
  const unary = (op: OpName, v: number) => emit(op, [v]);
  const withC = (op: OpName, v: number, c: number) => emit(op, [v], { c });
  for (const g of genome) {
    const count = shapes.length;
    const p = g.picks[0] % count;
    const fits = (w: number) => broadcastShape([shapes[p], shapes[w]]) !== undefined;
    const compatible = Array.from({ length: count }, (_, w) => w).filter(fits);
    const q = compatible[g.picks[1] % compatible.length];
    const rank2 = Array.from({ length: count }, (_, w) => w).filter((w) => shapes[w].length === 2);
    const m = rank2[g.picks[2] % rank2.length];
    const positive = (v: number) => withC("add", unary("square", v), Math.round((0.5 + 1.5 * g.u) * 64) / 64);
    const tanhTimes = (v: number, c: number) => withC("mul", unary("tanh", v), c);
    switch (g.op) {
      case "log": case "sqrt": case "lgamma": case "digamma": case "trigamma": unary(g.op, positive(p)); break;
      case "asin": case "acos": case "log1p": unary(g.op, tanhTimes(p, 0.9)); break;
      case "tan": unary("tan", tanhTimes(p, 1.4)); break;
      case "exp": case "expm1": unary(g.op, tanhTimes(p, 3)); break;
      case "div": emit("div", [p, positive(q)]); break;
      case "pow": emit("pow", [positive(p), tanhTimes(q, 2)]); break;
      case "where": {
        const mask = emit(g.u < 0.5 ? "less" : "greater", [p, q]);
        emit("where", [mask, q, p]);
        break;
      }
      case "add": case "sub": case "mul": case "atan2": case "min": case "max": case "hypot":
      case "less": case "lessEqual": case "greater": case "greaterEqual": case "equal":
        emit(g.op, [p, q]); break;
      case "sum": case "mean": emit(g.op, [p], { axis: shapes[p].length === 2 ? Math.floor(g.u * 3) - 1 : -1 }); break;
      case "transpose": emit("transpose", [m]); break;
      case "reshape": {
        const size = shapes[p].reduce((a, d) => a * d, 1);
        emit("reshape", [p], { to: g.u < 0.5 ? [size] : [1, size] });
        break;
      }
      case "slice": {
        const long = Array.from({ length: count }, (_, w) => w).filter((w) => shapes[w].length > 0 && shapes[w][0] >= 2);
        if (long.length) emit("slice", [long[g.picks[3] % long.length]]);
        break;
      }
      case "matmul": {
        const inner = shapes[m][1];
        const partners = rank2.filter((w) => shapes[w][0] === inner);
        emit("matmul", [m, partners.length ? partners[g.picks[3] % partners.length] : emit("transpose", [m])]);
        break;
      }
      default: unary(g.op, p);
    }
  }
  const sinks = shapes.map((_, v) => v).filter((v) => v > 0 && !used.has(v));
  const scalars = (sinks.length ? sinks : [0]).map((v) => (shapes[v].length === 0 ? v : emit(v % 2 ? "mean" : "sum", [v], { axis: -1 })));
  let out = scalars[0];
  for (const v of scalars.slice(1)) out = emit("add", [out, v]);
  if (nodes.length === 0 || shapes[out].length !== 0) emit("sum", [out], { axis: -1 });
  return { n: shape[0] * shape[1], nodes, shape };
}

/** The shape of an op's result from its operands' shapes. */
function shapeOf(op: OpName | TensorOpName, s: number[][], extra: Partial<Node>): number[] {
  const a = s[0];
  switch (op) {
    case "sum": case "mean": return extra.axis === undefined || extra.axis < 0 || a.length < 2 ? [] : [a[1 - extra.axis]];
    case "transpose": return [a[1], a[0]];
    case "reshape": return extra.to!;
    case "slice": return [a[0] - 1, ...a.slice(1)];
    case "matmul": return [a[0], s[1][1]];
    default: return broadcastShape(extra.c === undefined ? s : [...s, []])!;
  }
}

/** Every tensor gene op. */
export const TENSOR_GENE_OPS: readonly TensorGeneOp[] = [
  "neg", "sin", "cos", "tanh", "sigmoid", "atan", "abs", "relu", "square", "softplus", "erf", "stopGradient",
  "log", "sqrt", "lgamma", "digamma", "trigamma", "asin", "acos", "log1p", "exp", "expm1", "tan",
  "add", "sub", "mul", "div", "pow", "atan2", "min", "max", "hypot", "less", "lessEqual", "greater", "greaterEqual", "equal", "where",
  ...TENSOR_OPS,
];

/** Tensor cases: an r × c input (r, c in 1…3) and up to `maxGenes` genes; with `mustUse`, the first gene is that op. */
export function tensorCaseArb(maxGenes: number, mustUse?: TensorGeneOp): fc.Arbitrary<Case> {
  const gene = fc.record({ op: fc.constantFrom(...TENSOR_GENE_OPS), picks: geneArb.map((g: Gene) => g.picks), u: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }) });
  const grid = (max: number) => fc.integer({ min: -Math.round(max * 65536), max: Math.round(max * 65536) }).map((k) => k / 65536);
  return fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })).chain(([r, c]) =>
    fc.record({
      genome: fc.array(gene, { minLength: 1, maxLength: maxGenes }).map((gs) => (mustUse === undefined ? gs : [{ ...gs[0], op: mustUse }, ...gs.slice(1)])),
      x: fc.array(grid(2), { minLength: r * c, maxLength: r * c }),
      d: fc.array(grid(0.3), { minLength: r * c, maxLength: r * c }),
    }).map(({ genome, x, d }) => ({ p: buildTensor([r, c], genome), x, x2: x.map((v, i) => v + d[i]) })),
  );
}
