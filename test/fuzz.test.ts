/** @file The property-based fuzzer's CI sample (issue 8): a fixed-seed run of random programs through every derivative
 * mode, and the kept counterexamples, on the release engine (the mutant sweep is test/fuzz-mutants.test.ts). The
 * statistics print to the CI log; `npm run fuzz -- --seed N --seconds S` runs the same properties longer. */
import { describe, expect, it } from "vitest";
import { setMutant } from "../src/testing.js";
import { checkCase, type Modes, type Tally } from "./fuzz/check.js";
import { GENE_OPS } from "./fuzz/generate.js";
import { printProgram } from "./fuzz/program.js";
import { regressions } from "./fuzz/regressions.js";
import { describeFailure, rowsMissed, runFuzz, statsTable, TENSOR_GENE_OPS, type RunResult } from "./fuzz/run.js";

const SEED = 20260806;
const FIRST: Modes = { first: true, second: false, symbolic: false };
const SECOND: Modes = { first: false, second: true, symbolic: false };
const SYMBOLIC: Modes = { first: false, second: false, symbolic: true };
const ALL: Modes = { first: true, second: true, symbolic: true };

/** Runs a sample, prints its statistics, and fails with the shrunk counterexample if any mode disagreed. */
function sample(title: string, runs: number, modes: Modes, maxGenes = 12, tensor = false): RunResult {
  const r = runFuzz({ seed: SEED, runs, maxGenes, modes, tensor });
  console.log(`fuzz: ${title} (seed ${SEED})\n${statsTable(r, tensor ? TENSOR_GENE_OPS : GENE_OPS)}`);
  expect(r.failure && describeFailure(r.failure)).toBeUndefined();
  return r;
}

describe("fuzz: random programs, every mode agrees", () => {
  it("10 000 programs checked: value, grad vs Richardson differences, jvp, vjp, jacobian/jacfwd/jacrev, compiled replay", () => {
    const r = sample("first order", 10_500, FIRST); // about 4% are rejected (a point out of range, or a near-tie)
    expect(r.programs).toBeGreaterThanOrEqual(10_000);
    expect(r.tally.compared.fd).toBeGreaterThan(20_000);
    expect(r.tally.branchChanged).toBeGreaterThan(0); // some replays flip a guard, and must say so
    expect(GENE_OPS.filter((o) => ![...r.ops].some((n) => n === o || (o === "if" && n.startsWith("if"))))).toEqual([]);
    expect(rowsMissed(r.ops)).toEqual(["custom"]); // every row of the op table but users' customVjp/customJvp rules
  }, 120_000);

  it("3 000 programs: hessian (symmetric), sparseHessian, hvp, nested grad-of-grad, differences of grad", () => {
    const r = sample("second order", 3_000, SECOND);
    expect(r.tally.compared.hessianFd).toBeGreaterThan(5_000);
    expect(r.tally.compared.nested).toBeGreaterThan(5_000);
  }, 120_000);

  it("2 000 tensor programs (broadcasting, sum/mean, matmul, transpose, reshape, slice): the first-order modes", () => {
    const r = sample("tensor programs, first order", 2_000, FIRST, 10, true);
    expect(r.tally.compared.fd).toBeGreaterThan(5_000);
    expect(TENSOR_GENE_OPS.filter((o) => !r.ops.has(o))).toEqual([]);
  }, 120_000);

  it("500 tensor programs: hessian, hvp, differences of grad", () => {
    const r = sample("tensor programs, second order", 500, SECOND, 10, true);
    expect(r.tally.compared.hessianFd).toBeGreaterThan(3_000);
  }, 120_000);

  it("60 small programs of the ops mathjs knows: its symbolic derivative, evaluated, equals grad", () => {
    const r = sample("symbolic", 60, SYMBOLIC, 4);
    expect(r.tally.compared.symbolic).toBeGreaterThan(20);
  }, 120_000);
});

describe("fuzz: the release engine", () => {
  it("has no mutant hook (it is compiled out; test/fuzz-mutants.test.ts loads the testing build)", () => {
    expect(() => setMutant("sin")).toThrow(/release build/);
    setMutant(null); // restoring is always allowed
  });
});

describe("fuzz: kept counterexamples", () => {
  it.each(regressions.map((r) => [r.note, r] as const))("%s", (_, r) => {
    const tally: Tally = { compared: {}, skippedFd: 0, branchChanged: 0 };
    const out = checkCase(r, ALL, tally);
    expect(out, printProgram(r.p)).toEqual([]);
    expect(Object.values(tally.compared).reduce((s, k) => s + k, 0)).toBeGreaterThan(5);
  });
});
