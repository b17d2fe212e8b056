/** @file The "noisy in h" figure: the error of forward and central differences against the step h, for
 * f(p) = p² + √(p + 3) at p = 3.5, with adtape's derivative error as the reference line.
 *
 * A difference quotient has two errors that pull h opposite ways: truncation (the Taylor terms it drops,
 * h·|f″|/2 forward, h²·|f‴|/6 central) and rounding (f(p ± h) each carry ~ε·|f|, divided by h). Their sum
 * has an interior minimum near h ≈ √ε ≈ 1e-8 (forward) and h ≈ ∛ε ≈ 1e-5…1e-4 (central).
 */
import * as ad from "adtape";
import { forwardDiff, centralDiff } from "adtape/baselines/numeric";
import { WAYS } from "./plot.mjs";

const P = 3.5;
const f = (p) => p * p + Math.sqrt(p + 3);
const fAd = (p) => ad.add(ad.mul(p, p), ad.sqrt(ad.add(p, 3)));
// f′ = 2p + 1/(2√(p+3)); f″ = 2 − (p+3)^(−3/2)/4; f‴ = (3/8)(p+3)^(−5/2)
const exact = 2 * P + 0.5 / Math.sqrt(P + 3);
const f2 = 2 - 0.25 * (P + 3) ** -1.5;
const f3 = 0.375 * (P + 3) ** -2.5;
const EPS = Number.EPSILON;

/** Where an error is exactly 0 it is drawn here, on the log axis, and the caption says so. */
const FLOOR = 1e-17;

/** Measures the errors over h = 10⁻¹⁵ … 1 (8 steps a decade) and returns the figure, its table and its claims. */
export async function fdErrorFigure({ progress } = {}) {
  const bar = progress?.("finite differences vs h", 121) ?? { tick() {}, done() {} };
  const rows = [];
  for (let k = 0; k <= 120; k++) {
    const h = 10 ** (-15 + k / 8);
    rows.push({ h, forward: Math.abs(forwardDiff(f, P, h) - exact), central: Math.abs(centralDiff(f, P, h) - exact) });
    bar.tick();
  }
  bar.done();
  const adErr = Math.abs(ad.grad(fAd)(P) - exact);
  const best = (key) => rows.reduce((b, r) => (r[key] < b[key] ? r : b));
  const bf = best("forward"), bc = best("central");
  const fmt = (x) => x.toExponential(1);

  const values = [];
  for (const r of rows) {
    values.push({ h: r.h, error: Math.max(r.forward, FLOOR), series: "forward difference (measured)" });
    values.push({ h: r.h, error: Math.max(r.central, FLOOR), series: "central difference (measured)" });
    values.push({ h: r.h, error: (r.h * Math.abs(f2)) / 2 + (EPS * f(P)) / r.h, series: "forward model h|f″|/2 + ε|f|/h" });
    values.push({ h: r.h, error: (r.h * r.h * f3) / 6 + (EPS * f(P)) / r.h, series: "central model h²|f‴|/6 + ε|f|/h" });
    values.push({ h: r.h, error: Math.max(adErr, FLOOR), series: `adtape reverse mode (|error| = ${adErr === 0 ? "0, drawn at 1e-17" : fmt(adErr)})` });
  }
  const series = [...new Set(values.map((v) => v.series))];
  const spec = {
    title: "Finite-difference error against the step h: f(p) = p² + √(p+3) at p = 3.5",
    width: 560,
    height: 340,
    data: { values },
    mark: { type: "line", clip: true },
    encoding: {
      x: { field: "h", type: "quantitative", scale: { type: "log", domain: [1e-15, 1] }, axis: { format: ".0e", tickCount: 16 }, title: "step h" },
      y: { field: "error", type: "quantitative", scale: { type: "log", domain: [FLOOR / 10, 10] }, axis: { format: ".0e" }, title: "|derivative − exact f′(3.5)|" },
      color: { field: "series", type: "nominal", sort: series, scale: { domain: series, range: ["#d62728", "#2ca02c", "#f4a3a3", "#9fd49f", WAYS.range[3]] }, title: null, legend: { orient: "bottom", columns: 2, labelLimit: 400 } },
      strokeDash: { field: "series", type: "nominal", sort: series, scale: { domain: series, range: [[1, 0], [1, 0], [4, 3], [4, 3], [8, 4]] }, title: null, legend: { orient: "bottom", columns: 2, labelLimit: 400 } },
    },
  };
  const claims = [
    { claim: "forward differences: interior best h near 1e-8", measured: `best h = ${fmt(bf.h)}, error ${fmt(bf.forward)}`, pass: bf.h > 1e-10 && bf.h < 1e-6 },
    { claim: "central differences: interior best h near 1e-4", measured: `best h = ${fmt(bc.h)}, error ${fmt(bc.central)}`, pass: bc.h > 1e-7 && bc.h < 1e-2 },
    { claim: "error rises on both sides of each optimum", measured: `forward ${fmt(rows[0].forward)} at 1e-15, ${fmt(rows[120].forward)} at 1; central ${fmt(rows[0].central)}, ${fmt(rows[120].central)}`, pass: Math.min(rows[0].forward, rows[120].forward) > 100 * bf.forward && Math.min(rows[0].central, rows[120].central) > 100 * bc.central },
    { claim: "adtape's derivative is exact to rounding, with no h", measured: `|error| = ${adErr === 0 ? "0" : fmt(adErr)}`, pass: adErr <= 4 * EPS * exact },
  ];
  return {
    figures: [{
      id: "fd-error",
      title: "Numerical differences are noisy in h",
      caption: `Error of forward (f(p+h) − f(p))/h and central (f(p+h) − f(p−h))/2h differences against the exact f′(3.5) = ${exact.toFixed(15)}, for h from 10⁻¹⁵ to 1 (log-log). Left of each minimum rounding dominates (ε|f|/h); right of it, truncation (h or h²). Measured optima: forward h = ${fmt(bf.h)} (error ${fmt(bf.forward)}), central h = ${fmt(bc.h)} (error ${fmt(bc.central)}). Dashed: the two-term error models. adtape's derivative has no h; its error is ${adErr === 0 ? "0 (bit-identical to the closed form), drawn at 1e-17" : fmt(adErr)}.`,
      spec,
    }],
    table: { columns: ["scheme", "best h", "error there", "error at h = 1e-15", "error at h = 1"], rows: [
      ["forward", fmt(bf.h), fmt(bf.forward), fmt(rows[0].forward), fmt(rows[120].forward)],
      ["central", fmt(bc.h), fmt(bc.central), fmt(rows[0].central), fmt(rows[120].central)],
      ["adtape (reverse mode)", "—", adErr === 0 ? "0" : fmt(adErr), "—", "—"],
    ] },
    claims,
  };
}
