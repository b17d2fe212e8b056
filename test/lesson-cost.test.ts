/** @file The demo's cost-against-dimensions figures (examples/lesson/cost.mjs), run in quick mode: their structure
 * (specs that vega-lite compiles and vega renders, a table, claims with boolean verdicts), sane ratios, and that
 * the Jacobians they time are right — forward, reverse and numerical agree with each other and with W6's closed
 * form. Timing bars belong in bench/ and the demo, so the measured claims are printed here, not asserted. */
import { describe, it, expect, beforeAll } from "vitest";
import * as vega from "vega";
import * as vl from "vega-lite";

interface Jac { data: Float64Array; rows: number; cols: number }
interface Mechanism { primal(): ArrayLike<number>; jacobian(): Jac }
interface Point { size: number; n: number; m: number; mechanism: string; ratio: number; lo: number; hi: number; primalMs: number; jacobianMs: number }
interface Layer { mark: { type: string; point?: boolean }; encoding?: Record<string, { scale?: { type?: string }; axis?: { title?: string } }> }
interface Spec { $schema: string; width: number; height: number; data: { values: Point[] }; layer: Layer[] }
interface Result {
  figures: { id: string; title: string; caption: string; spec: Spec }[];
  table: { columns: string[]; rows: string[][] };
  claims: { claim: string; measured: string; pass: boolean }[];
}
type Progress = (label: string, total: number) => { tick(k?: number): void; done(): void };
const cost = (await import(new URL("../examples/lesson/cost.mjs", import.meta.url).href)) as {
  costFigure(opts?: { quick?: boolean; progress?: Progress }): Promise<Result>;
  mechanisms(n: number, m: number): Record<"numerical" | "forward" | "reverse", Mechanism> & { data: { n: number; m: number; A: Float64Array; x: Float64Array } };
  closedForm(d: { n: number; m: number; A: Float64Array; x: Float64Array }): Float64Array;
};

const LEGEND = ["numerical differences", "forward mode", "reverse mode"];

describe("the cost-against-dimensions figures (quick mode)", () => {
  let result: Result;
  const bars: { label: string; total: number; ticks: number; done: number }[] = [];
  let ms = 0;

  beforeAll(async () => {
    const t0 = performance.now();
    result = await cost.costFigure({
      quick: true,
      progress: (label, total) => {
        const bar = { label, total, ticks: 0, done: 0 };
        bars.push(bar);
        return { tick: (k = 1) => void (bar.ticks += k), done: () => void bar.done++ };
      },
    });
    ms = performance.now() - t0;
  }, 30_000);

  it("reports progress: one bar whose ticks add up to its total, then done", () => {
    expect(bars).toHaveLength(1);
    expect(bars[0].total).toBeGreaterThan(1);
    expect(bars[0].ticks).toBe(bars[0].total);
    expect(bars[0].done).toBe(1);
  });

  it("returns three figures whose specs compile and render, with log axes titled and a legend of the three mechanisms", async () => {
    expect(result.figures.map((f) => f.id)).toEqual(["cost-m1", "cost-n1", "cost-cross"]);
    for (const { title, caption, spec } of result.figures) {
      expect(title.length).toBeGreaterThan(10);
      expect(caption).toMatch(/8 directions/); // forward mode's steps are explained, not hidden
      expect(spec.$schema).toMatch(/vega-lite\/v6/);
      expect([spec.width, spec.height]).toEqual([420, 300]);
      const main = spec.layer.find((l) => l.mark.type === "line" && l.mark.point)!.encoding!;
      expect([main.x.scale?.type, main.y.scale?.type]).toEqual(["log", "log"]);
      expect(main.x.axis?.title).toMatch(/^[nm], (in|out)puts/);
      expect(main.y.axis?.title).toMatch(/÷/);
      const view = new vega.View(vega.parse(vl.compile(spec as unknown as vl.TopLevelSpec).spec), { renderer: "none" });
      const svg = await view.toSVG();
      view.finalize();
      expect(svg).toMatch(/^<svg/);
      for (const label of LEGEND) expect(svg).toContain(label);
    }
  });

  it("measures every (size, mechanism) with positive, finite ratios inside their quartiles", () => {
    for (const { spec } of result.figures) {
      const values = spec.data.values;
      expect(values.length).toBe(3 * new Set(values.map((v) => v.size)).size);
      for (const v of values) {
        for (const k of ["ratio", "lo", "hi", "primalMs", "jacobianMs"] as const) {
          expect(Number.isFinite(v[k]) && v[k] > 0, `${k} at n=${v.n}, m=${v.m} (${v.mechanism})`).toBe(true);
        }
        expect(v.lo <= v.ratio && v.ratio <= v.hi).toBe(true);
      }
    }
    expect(result.table.columns).toHaveLength(5);
    expect(result.table.rows).toHaveLength(9);
    for (const row of result.table.rows) expect(row).toHaveLength(5);
  });

  it("checks each of the lesson's claims with a boolean verdict, and the Jacobians it timed are right", () => {
    expect(result.claims.length).toBeGreaterThanOrEqual(7);
    for (const c of result.claims) {
      expect(typeof c.claim).toBe("string");
      expect(c.measured.length).toBeGreaterThan(0);
      expect(typeof c.pass).toBe("boolean");
    }
    console.info(`cost figures, quick mode, ${(ms / 1000).toFixed(1)} s:\n` + result.claims.map((c) => `  ${c.pass ? "PASS" : "FAIL"} ${c.claim}: ${c.measured}`).join("\n"));
    expect(result.claims.find((c) => /Jacobians timed are right/.test(c.claim))?.pass).toBe(true);
  });
});

describe("the mechanisms it times", () => {
  it.each([
    [1, 1],
    [3, 1],
    [1, 5],
    [9, 32],
    [40, 3],
  ])("n = %i, m = %i: forward = reverse = closed form to rounding, numerical to 1e-6, one f in plain JS and adtape", (n, m) => {
    const mech = cost.mechanisms(n, m);
    const want = cost.closedForm(mech.data);
    const fwd = mech.forward.jacobian(), rev = mech.reverse.jacobian(), num = mech.numerical.jacobian();
    for (const J of [fwd, rev, num]) expect([J.rows, J.cols]).toEqual([m, n]);
    expect(fwd.data).toBeAllclose(rev.data, { rtol: 1e-14, atol: 1e-15 });
    expect(rev.data).toBeAllclose(want, { rtol: 1e-12, atol: 1e-14 });
    expect(num.data).toBeAllclose(rev.data, { rtol: 1e-6, atol: 1e-8 });
    // The two primals the ratios divide by compute the same W6.
    expect(Array.from(mech.numerical.primal())).toBeAllclose(Array.from(mech.forward.primal()), { rtol: 1e-14, atol: 1e-15 });
  });
});
