/** @file Runs the bad-input corpus (test/bad-inputs/): one test per case, each ending in its typed error or documented result, each followed by known-good calls (scalar, tensor, and a compiled tape made before the corpus, all against closed forms), with no leak across the corpus. */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import * as ad from "../src/index.js";
import { type Case, type Category } from "./bad-inputs/case.js";
import { numberCases } from "./bad-inputs/numbers.js";
import { inputCases } from "./bad-inputs/inputs.js";
import { handleCases } from "./bad-inputs/handles.js";
import { treeCases } from "./bad-inputs/trees.js";
import { memoryCases, DEFAULT_LIMIT } from "./bad-inputs/memory.js";

const corpus: Case[] = [...numberCases, ...inputCases, ...handleCases, ...treeCases, ...memoryCases];
const CASE_TIMEOUT_MS = 10_000;
const tally = { traps: 0, hangs: 0, internal: 0 };

/** The known-good scalar function, f(p) = sin(p.x)·p.y + p.x², and its gradient's closed form. */
const scalarF = (p: { x: ad.Scalar; y: ad.Scalar }) => p.x.sin().mul(p.y).add(p.x.square());
const P = { x: 0.5, y: 2 };
const scalarWant = [Math.sin(0.5) * 2 + 0.25, 2 * Math.cos(0.5) + 1, Math.sin(0.5)];
/** The known-good tensor loss ‖W·c‖² with c = [1, 2] a constant: at W = [[1, 2], [3, 4]], W·c = [5, 11], so 146 and ∂/∂W = 2(W·c)cᵀ. */
const tensorF = (W: ad.Tensor<"nd">) => W.matmul(ad.tensor([[1], [2]])).square().sum();
const W = () => ad.tensor([[1, 2], [3, 4]]);
const tensorWant = { value: 146, grad: [10, 20, 22, 44] };

let canary: ad.Compiled<ad.Tensor<"nd">, ad.Tensor<"nd">>;
let scalarBaseline: number[] = [];
let bytesBefore = 0;

/** Every known-good call, checked exactly against its first result and the closed forms. */
function knownGood(): void {
  const [v, g] = ad.valueAndGrad(scalarF)(P);
  const got = [v, g.x, g.y];
  expect(got).toBeAllclose(scalarWant, { rtol: 1e-15 });
  if (scalarBaseline.length) expect(got).toEqual(scalarBaseline);
  const [tv, tg] = ad.valueAndGrad(tensorF)(W());
  expect(tv).toBe(tensorWant.value);
  expect(Array.from(tg.data)).toEqual(tensorWant.grad);
  // The compiled tape's arenas (made before the corpus) hold its constant: a stray kernel write would change these.
  const [cv, cg] = canary.valueAndGrad(W());
  expect(cv).toBe(tensorWant.value);
  expect(Array.from(cg.data)).toEqual(tensorWant.grad);
  expect(Array.from(ad.grad((x: ad.Tensor) => x.mul(x).sum())([1, 2, 3]))).toEqual([2, 4, 6]);
}

/** Runs a case's body (it may return a promise) with a time limit; resolves to its outcome. */
async function outcome(c: Case): Promise<{ ok: true; value: unknown } | { ok: false; error: unknown }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`hang: ${c.name}`)), CASE_TIMEOUT_MS)));
  try {
    return { ok: true, value: await Promise.race([Promise.resolve().then(c.run), hang]) };
  } catch (error) {
    if (error instanceof Error && error.message === `hang: ${c.name}`) tally.hangs++;
    return { ok: false, error };
  } finally {
    clearTimeout(timer);
  }
}

beforeAll(() => {
  canary = ad.compile(tensorF, W());
  knownGood();
  const [v, g] = ad.valueAndGrad(scalarF)(P);
  scalarBaseline = [v, g.x, g.y];
  bytesBefore = ad.memoryStats().bytesInUse;
});

afterAll(() => {
  ad.setMemoryLimit(DEFAULT_LIMIT);
  canary?.dispose();
});

describe("bad inputs", () => {
  for (const c of corpus) {
    it(`${c.category}${c.dims ? " (dims)" : ""}: ${c.name}`, async () => {
      const r = await outcome(c);
      if (!r.ok) {
        const e = r.error as Error & { code?: string };
        if (e instanceof WebAssembly.RuntimeError) tally.traps++;
        else if (!(e instanceof ad.AdError) && (e instanceof TypeError || e instanceof RangeError)) tally.internal++;
      }
      if (c.error) {
        expect(r.ok, r.ok ? `returned ${String(r.value)}` : "").toBe(false);
        const e = (r as { error: Error & { code?: string } }).error;
        expect(e, `${e?.constructor?.name}: ${e?.message}`).toBeInstanceOf(c.error.cls);
        expect(e.code).toBe(c.error.code);
        expect(e.message).toMatch(c.error.message);
      } else {
        if (!r.ok) throw r.error;
        c.result!(r.value);
      }
      knownGood();
    }, CASE_TIMEOUT_MS + 5_000);
  }

  it("covers every category (≥ 10 each, ≥ 10 dims/indices, ≥ 100 in all), with no trap, hang, internal error or leak", () => {
    const counts = Object.fromEntries((["numbers", "inputs", "handles", "trees", "memory"] as Category[]).map((k) => [k, corpus.filter((c) => c.category === k).length]));
    const dims = corpus.filter((c) => c.dims).length;
    console.log(
      `bad inputs: ${corpus.length} cases — ${Object.entries(counts).map(([k, n]) => `${k} ${n}`).join(", ")} (dims/indices ${dims}); ` +
        `traps ${tally.traps}, hangs ${tally.hangs}, internal errors ${tally.internal}`,
    );
    for (const n of Object.values(counts)) expect(n).toBeGreaterThanOrEqual(10);
    expect(dims).toBeGreaterThanOrEqual(10);
    expect(corpus.length).toBeGreaterThanOrEqual(100);
    expect(new Set(corpus.map((c) => c.name)).size).toBe(corpus.length);
    expect(tally).toEqual({ traps: 0, hangs: 0, internal: 0 });
    knownGood();
  });

  it("leaks nothing: a second pass over the whole corpus ends at the same bytes in use", async () => {
    // Eager tapes keep the capacity of their largest recording (by design: a loop then allocates nothing), so
    // the first pass may end above the start; a leak would grow again on every pass.
    const afterFirst = ad.memoryStats().bytesInUse;
    expect(afterFirst).toBeGreaterThanOrEqual(bytesBefore);
    for (const c of corpus) await outcome(c);
    knownGood();
    expect(ad.memoryStats().bytesInUse).toBe(afterFirst);
  });
});
