/** @file The fuzzer's driver, shared by test/fuzz.test.ts and scripts/fuzz.mjs: a seeded run of the properties
 * (by count or time budget) with its statistics, the mutant sweep, and the statistics table. */
import fc from "fast-check";
import { table } from "../../src/ops.js";
import { setMutant } from "../../src/testing.js";
import { checkCase, type Modes, type Tally } from "./check.js";
import { caseArb, type Case, type GeneOp } from "./generate.js";
import { tensorCaseArb, type TensorGeneOp } from "./tensor-gen.js";
import { printProgram, programLiteral, type Program } from "./program.js";

export { GENE_OPS } from "./generate.js";
export { TENSOR_GENE_OPS } from "./tensor-gen.js";

/** A run: its seed, how many programs (or seconds), the largest genome, and the modes. */
export interface RunConfig {
  seed: number;
  runs?: number;
  seconds?: number;
  maxGenes: number;
  modes: Modes;
  /** Tensor programs (test/fuzz/tensor-gen.ts) instead of scalar ones. */
  tensor?: boolean;
  /** Every case uses this gene op at least once (the mutant sweep). */
  mustUse?: GeneOp | TensorGeneOp;
  /** Stop at the first disagreement, without shrinking (the mutant sweep). */
  quick?: boolean;
}

/** What a run saw: programs checked and rejected (out of range), comparisons, sizes, ops, and the shrunk counterexample. */
export interface RunResult {
  programs: number;
  rejected: number;
  tally: Tally;
  sizes: number[];
  depths: number[];
  ops: Set<string>;
  ms: number;
  failure?: { case: Case; messages: string[]; seed: number; path?: string };
}

/** Nodes on the longest path from an input to p's output. */
export function depth(p: Program): number {
  const d: number[] = Array(p.shape ? 1 : p.n).fill(0); // a tensor program has one input value
  for (const node of p.nodes) d.push(1 + Math.max(0, ...node.args.map((a) => d[a])));
  return d[d.length - 1];
}

/** Runs the properties under fast-check with the config's seed. */
export function runFuzz(cfg: RunConfig): RunResult {
  const res: RunResult = { programs: 0, rejected: 0, tally: { compared: {}, skippedFd: 0, branchChanged: 0 }, sizes: [], depths: [], ops: new Set<string>(), ms: 0 };
  let failing = false;
  const arb = cfg.tensor ? tensorCaseArb(cfg.maxGenes, cfg.mustUse as TensorGeneOp | undefined) : caseArb(cfg.maxGenes, cfg.mustUse as GeneOp | undefined);
  const prop = fc.property(arb, (c) => {
    const out = checkCase(c, cfg.modes, failing ? scratchTally() : res.tally);
    if (!failing) {
      if (out === "rejected") res.rejected++;
      else {
        res.programs++;
        res.sizes.push(c.p.nodes.length);
        res.depths.push(depth(c.p));
        for (const node of c.p.nodes) res.ops.add(node.op);
      }
    }
    if (out !== "rejected" && out.length) failing = true;
    return out === "rejected" || out.length === 0;
  });
  const t0 = performance.now();
  const r = fc.check(prop, {
    seed: cfg.seed,
    numRuns: cfg.runs ?? 1e9,
    interruptAfterTimeLimit: cfg.seconds === undefined ? undefined : cfg.seconds * 1000,
    markInterruptAsFailure: false,
    endOnFailure: cfg.quick,
  });
  res.ms = performance.now() - t0;
  if (r.failed && r.counterexample) {
    const c = r.counterexample[0];
    const messages = checkCase(c, cfg.modes, scratchTally());
    res.failure = { case: c, messages: messages === "rejected" ? [String(r.errorInstance ?? "rejected")] : messages, seed: cfg.seed, path: r.counterexamplePath ?? undefined };
  }
  return res;
}

const scratchTally = (): Tally => ({ compared: {}, skippedFd: 0, branchChanged: 0 });

/** One mutant: an op table row and the partial made wrong. */
export interface Mutant {
  op: keyof typeof table;
  which: "x" | "y";
}

/** The gene op that puts a row's op into a program. */
const GENE_OF: Partial<Record<keyof typeof table, GeneOp>> = { whereTrue: "where", whereFalse: "where" };

/** Every mutant: ∂/∂x of each scalar primitive with a derivative or a mask value, ∂/∂y of each binary one (∂/∂mask of
 * where is left out: a mask comes from a comparison, whose own partials are 0, so that mutant cannot change a result). */
export function allMutants(): Mutant[] {
  const out: Mutant[] = [];
  for (const [op, row] of Object.entries(table) as [keyof typeof table, (typeof table)[keyof typeof table]][]) {
    if (op === "custom") continue;
    if (!op.startsWith("where")) out.push({ op, which: "x" });
    if (row.arity === 2 && !["less", "lessEqual", "greater", "greaterEqual", "equal"].includes(op)) out.push({ op, which: "y" });
  }
  return out;
}

/** Runs the fuzzer with each mutant in place until it disagrees (caught) or `runs` programs pass (escaped). */
export function mutantSweep(seed: number, runs: number, modes: Modes, tensor = false): { mutant: Mutant; caught: boolean; programs: number }[] {
  return allMutants().map((mutant) => {
    setMutant(mutant.op, mutant.which);
    try {
      const r = runFuzz({ seed, runs, maxGenes: 6, modes, tensor, mustUse: GENE_OF[mutant.op] ?? (mutant.op as GeneOp), quick: true });
      return { mutant, caught: r.failure !== undefined, programs: r.programs };
    } finally {
      setMutant(null);
    }
  });
}

const median = (a: number[]) => (a.length ? [...a].sort((p, q) => p - q)[a.length >> 1] : 0);
const lowest = (a: number[]) => a.reduce((m, v) => Math.min(m, v), Infinity); // no spread: runs hold 10⁵ sizes
const highest = (a: number[]) => a.reduce((m, v) => Math.max(m, v), -Infinity);

/** The op-table rows a program op records, where they differ from its name (composed ops, control flow). */
const ROWS_OF: Record<string, string[]> = {
  square: ["mul"], relu: ["max"], hypot: ["sqrt", "add", "mul"], where: ["whereTrue", "whereFalse", "add"], ifLt: ["less"], ifGt: ["greater"],
  softplus: ["whereTrue", "whereFalse", "add", "greater", "log1p", "exp", "neg"],
};

/** The rows of the op table (src/ops.ts) that no program op of a run recorded. */
export function rowsMissed(ops: Set<string>): string[] {
  const hit = new Set([...ops].flatMap((o) => ROWS_OF[o] ?? [o]));
  return Object.keys(table).filter((row) => !hit.has(row));
}

/** The statistics table, one line per figure. */
export function statsTable(r: RunResult, allOps: readonly string[]): string {
  const missing = allOps.filter((o) => !r.ops.has(o) && !(o === "where" && r.ops.has("where")) && !(o === "if" && (r.ops.has("ifLt") || r.ops.has("ifGt"))));
  const rows: [string, string][] = [
    ["programs checked", String(r.programs)],
    ["rejected (out of range, or a near-tie)", String(r.rejected)],
    ["comparisons per mode", Object.entries(r.tally.compared).map(([m, k]) => `${m} ${k}`).join(", ")],
    ["differences skipped near a kink", String(r.tally.skippedFd)],
    ["compiled replays that threw BranchChanged", String(r.tally.branchChanged)],
    ["nodes min / median / max", `${lowest(r.sizes)} / ${median(r.sizes)} / ${highest(r.sizes)}`],
    ["depth min / median / max", `${lowest(r.depths)} / ${median(r.depths)} / ${highest(r.depths)}`],
    ["ops covered", `${r.ops.size} node ops; gene ops never drawn: ${missing.join(", ") || "none"}`],
    ["op-table rows covered", `${Object.keys(table).length - rowsMissed(r.ops).length}/${Object.keys(table).length}; missed: ${rowsMissed(r.ops).join(", ") || "none"}`],
    ["disagreements", r.failure ? `1 (shrunk, below)` : "0"],
    ["time", `${(r.ms / 1000).toFixed(1)} s`],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join("\n");
}

/** A failure as text: the messages, the shrunk program printed and as a literal for regressions.ts, the points. */
export function describeFailure(f: NonNullable<RunResult["failure"]>): string {
  return [
    ...f.messages.slice(0, 8),
    printProgram(f.case.p),
    `literal: ${programLiteral(f.case.p)}`,
    `x = ${JSON.stringify(f.case.x)}, x2 = ${JSON.stringify(f.case.x2)}, seed ${f.seed}, path ${f.path ?? "-"}`,
  ].join("\n");
}
