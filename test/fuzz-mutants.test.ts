/** @file The fuzzer's mutant sweep (issue 8): for each op, a deliberately wrong derivative rule (∂·1.25 + 0.1) must
 * make the fuzzer find a disagreement — proof that it has teeth. The hook is compiled only into the testing build of
 * the engine (build/testing.wasm; the release build has none), so this file swaps the engine's bytes for it. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { setMutant } from "../src/testing.js";
import { type Modes } from "./fuzz/check.js";
import { mutantSweep, runFuzz } from "./fuzz/run.js";

vi.mock("../src/wasm-bytes.js", () => import("./fuzz/testing-wasm-bytes.js"));

const SEED = 20260806;
const FIRST: Modes = { first: true, second: false, symbolic: false };
const SECOND: Modes = { first: false, second: true, symbolic: false };

afterEach(() => setMutant(null));

describe("fuzz: mutants (a deliberately wrong derivative rule) are caught", () => {
  it("every scalar primitive's ∂/∂x (and ∂/∂y): the first-order modes catch ≥ 95% of the mutants", () => {
    const res = mutantSweep(SEED, 200, FIRST);
    const escaped = res.filter((m) => !m.caught).map((m) => `${m.mutant.op}/∂${m.mutant.which}`);
    console.log(`fuzz: mutants caught by the first-order modes ${res.length - escaped.length}/${res.length}; escaped: ${escaped.join(", ") || "none"}`);
    expect(res.length).toBeGreaterThanOrEqual(40);
    expect((res.length - escaped.length) / res.length).toBeGreaterThanOrEqual(0.95);
    expect(runFuzz({ seed: SEED + 1, runs: 300, maxGenes: 12, modes: FIRST }).failure).toBeUndefined(); // every rule restored
  }, 120_000);

  it("in tensor programs the hook reaches the elementwise kernels that run the op table (not the SIMD or generated loops)", () => {
    const res = mutantSweep(SEED, 100, FIRST, true);
    const escaped = res.filter((m) => !m.caught).map((m) => `${m.mutant.op}/∂${m.mutant.which}`);
    console.log(`fuzz: mutants caught in tensor programs ${res.length - escaped.length}/${res.length}; escaped: ${escaped.join(", ") || "none"}`);
    expect((res.length - escaped.length) / res.length).toBeGreaterThanOrEqual(0.75);
  }, 120_000);

  it("the second-order modes alone catch the mutants of ops with curvature (the TS rules nested transforms use are mutated too)", () => {
    const res = mutantSweep(SEED, 100, SECOND);
    const escaped = res.filter((m) => !m.caught).map((m) => `${m.mutant.op}/∂${m.mutant.which}`);
    console.log(`fuzz: mutants caught by the second-order modes alone ${res.length - escaped.length}/${res.length}; escaped: ${escaped.join(", ") || "none"}`);
    expect((res.length - escaped.length) / res.length).toBeGreaterThanOrEqual(0.6);
  }, 120_000);
});
