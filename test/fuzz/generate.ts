/** @file The fuzzer's generators (fast-check): a genome of ops and picks, built into a Program that keeps every op
 * inside its domain by construction, and the points to run it at. Shrinking the genome shrinks the program. */
import fc from "fast-check";
import type { Node, OpName, Program } from "./program.js";

/** One gene: an op to add, which earlier values it reads (taken modulo the values so far), and a number in [0, 1). */
export interface Gene {
  op: GeneOp;
  picks: number[];
  u: number;
}

/** What a gene may ask for: an op, or a control-flow form. */
export type GeneOp = Exclude<OpName, "where" | "ifLt" | "ifGt"> | "where" | "if";

const UNARY_FREE = ["neg", "sin", "cos", "tanh", "sigmoid", "atan", "abs", "relu", "square", "softplus", "erf", "stopGradient"] as const;
const POSITIVE = ["log", "sqrt", "lgamma", "digamma", "trigamma"] as const; // arg = x² + c, c ≥ 0.5: away from 0 and the poles
const UNIT = ["asin", "acos", "log1p"] as const; // arg = 0.9·tanh(x)
const BOUNDED = ["exp", "expm1", "tan"] as const; // arg = B·tanh(x): no overflow, tan away from ±π/2
const BINARY = ["add", "sub", "mul", "div", "pow", "atan2", "min", "max", "hypot"] as const;
const MASKS = ["less", "lessEqual", "greater", "greaterEqual", "equal"] as const;

/** Every gene op, so that the op-coverage statistic can name what was never drawn. */
export const GENE_OPS: readonly GeneOp[] = [...UNARY_FREE, ...POSITIVE, ...UNIT, ...BOUNDED, ...BINARY, ...MASKS, "where", "if"];

/** Builds a program from a genome: each gene appends its op (after the nodes that put its operands in domain), and
 * the values nobody reads are summed into the output, so that every node reaches it. */
export function build(n: number, genome: Gene[]): Program {
  const nodes: Node[] = [];
  const used = new Set<number>();
  const emit = (op: OpName, args: number[], c?: number): number => {
    for (const a of args) used.add(a);
    nodes.push(c === undefined ? { op, args } : { op, args, c });
    return n + nodes.length - 1;
  };
  const round = (v: number) => Math.round(v * 64) / 64; // short constants print and paste well
  for (const g of genome) {
    const count = n + nodes.length;
    const [p, q, r, s] = g.picks.map((k) => k % count);
    const tanhTimes = (v: number, c: number) => emit("mul", [emit("tanh", [v])], c);
    const positive = (v: number) => emit("add", [emit("square", [v])], round(0.5 + 1.5 * g.u));
    const op = g.op;
    if ((POSITIVE as readonly string[]).includes(op)) emit(op as OpName, [positive(p)]);
    else if ((UNIT as readonly string[]).includes(op)) emit(op as OpName, [tanhTimes(p, 0.9)]);
    else if (op === "tan") emit("tan", [tanhTimes(p, 1.4)]);
    else if (op === "exp" || op === "expm1") emit(op, [tanhTimes(p, 3)]);
    else if (op === "div") emit("div", [p, positive(q)]);
    else if (op === "pow") emit("pow", g.u < 0.5 ? [positive(p), tanhTimes(q, 2)] : [positive(p)], g.u < 0.5 ? undefined : round(4 * g.u - 3));
    else if (op === "where") emit("where", [emit(MASKS[r % 4], [p, q]), s, r]);
    else if (op === "if") emit(g.u < 0.5 ? "ifLt" : "ifGt", [p, q, r, s]);
    else if ((BINARY as readonly string[]).includes(op) || (MASKS as readonly string[]).includes(op)) {
      if (g.u < 0.2) emit(op as OpName, [p], round(4 * g.u - 0.4));
      else emit(op as OpName, [p, q]);
    } else emit(op as OpName, [p]);
  }
  const sinks = nodes.map((_, k) => n + k).filter((v) => !used.has(v));
  const inputs = Array.from({ length: n }, (_, i) => i).filter((v) => !used.has(v));
  const ends = [...sinks, ...(sinks.length ? [] : inputs.slice(0, 1))];
  let out = ends[0];
  for (const v of ends.slice(1)) out = emit("add", [out, v]);
  if (nodes.length === 0) emit("mul", [out], 1);
  return { n, nodes };
}

/** A gene. */
export const geneArb: fc.Arbitrary<Gene> = fc.record({
  op: fc.constantFrom(...GENE_OPS),
  picks: fc.array(fc.nat({ max: 1 << 20 }), { minLength: 4, maxLength: 4 }),
  u: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
});

/** A fuzz case: a program, the point x, and a nearby second point for a compiled tape's replay. */
export interface Case {
  p: Program;
  x: number[];
  x2: number[];
}

/** Cases with n = 1…6 inputs and up to `maxGenes` genes; with `mustUse`, the first gene is that op. */
export function caseArb(maxGenes: number, mustUse?: GeneOp): fc.Arbitrary<Case> {
  // A grid of 2⁻¹⁶ (fast-check's doubles are uniform in their bits, so mostly subnormal); shrinks to 0.
  const grid = (max: number) => fc.integer({ min: -Math.round(max * 65536), max: Math.round(max * 65536) }).map((k) => k / 65536);
  const coord = grid(2), step = grid(0.3);
  return fc.integer({ min: 1, max: 6 }).chain((n) =>
    fc.record({
      genome: mustUse === undefined
        ? fc.array(geneArb, { minLength: 1, maxLength: maxGenes })
        : fc.tuple(geneArb, fc.array(geneArb, { maxLength: maxGenes - 1 })).map(([g, rest]) => [{ ...g, op: mustUse }, ...rest]),
      x: fc.array(coord, { minLength: n, maxLength: n }),
      d: fc.array(step, { minLength: n, maxLength: n }),
    }).map(({ genome, x, d }) => ({ p: build(n, genome), x, x2: x.map((v, i) => v + d[i]) })),
  );
}
