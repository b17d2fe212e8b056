/** @file The expression-swell figure: the symbolic derivative of n layers of the logistic map l ← 4·l·(1 − l)
 * (Baydin et al.'s example) grows exponentially in n, raw and even after simplification, while adtape's tape —
 * the same function as a DAG, each layer's value computed once — grows by a fixed number of nodes a layer.
 *
 * The symbolic side is mathjs (`derivative`, `simplify`) through `adtape/baselines/symbolic`, which turns the
 * adtape function into an expression tree: a tree repeats every shared subexpression, and that is the swell.
 */
import * as ad from "adtape";
import { expressionSwell } from "adtape/baselines/symbolic";
import { waysScale } from "./plot.mjs";

/** n layers of l ← 4·l·(1 − l) from l = x, written with adtape ops. */
export const logisticLayers = (n) => (x) => {
  let l = x;
  for (let k = 0; k < n; k++) l = ad.mul(ad.mul(4, l), ad.sub(1, l));
  return l;
};

/** Measures op counts for n = 0 … maxRaw (raw) and n ≤ maxSimplified (simplified); returns figures, table, claims. */
export async function swellFigure({ quick = false, progress } = {}) {
  const maxRaw = quick ? 6 : 12, maxSimplified = quick ? 3 : 6;
  // simplify's time roughly triples with each layer: weight the bar by 3ⁿ so it moves evenly
  const weight = (n) => 1 + (n <= maxSimplified ? 3 ** n : 0);
  let total = 0;
  for (let n = 0; n <= maxRaw; n++) total += weight(n);
  const bar = progress?.("symbolic derivatives (mathjs)", total) ?? { tick() {}, done() {} };
  const rows = [];
  for (let n = 0; n <= maxRaw; n++) {
    rows.push({ n, ...expressionSwell(logisticLayers(n), 0.3, { simplify: n <= maxSimplified }) });
    bar.tick(weight(n));
  }
  bar.done();

  const values = rows.flatMap((r) => [
    { n: r.n, count: r.exprOps, series: "f as an expression tree (ops)" },
    { n: r.n, count: r.derivativeOps, series: "symbolic f′, raw (ops)" },
    ...(r.simplifiedOps !== undefined ? [{ n: r.n, count: r.simplifiedOps, series: "symbolic f′, simplified (ops)" }] : []),
    { n: r.n, count: r.tapeNodes, series: "adtape tape (nodes)" },
  ]).map((v) => ({ ...v, count: Math.max(v.count, 0.5) })); // a count of 0 (n = 0) is drawn at ½ on the log axis
  const series = ["f as an expression tree (ops)", "symbolic f′, raw (ops)", "symbolic f′, simplified (ops)", "adtape tape (nodes)"];
  const spec = {
    title: "Expression swell: n layers of l ← 4l(1 − l)",
    width: 480, height: 320, data: { values },
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "n", type: "quantitative", axis: { tickMinStep: 1 }, title: "layers n" },
      y: { field: "count", type: "quantitative", scale: { type: "log" }, axis: { format: "~s" }, title: "operations (symbolic) / nodes (tape)" },
      color: { field: "series", type: "nominal", sort: series, scale: { domain: series, range: ["#c5b0d5", "#9467bd", "#e377c2", waysScale(["reverse mode"]).range[0]] }, title: null, legend: { orient: "top-left" } },
    },
  };

  const last = rows.at(-1), prev = rows.at(-2);
  const perLayer = rows.slice(1).map((r, k) => r.tapeNodes - rows[k].tapeNodes);
  const linear = perLayer.every((d) => d === perLayer[0]);
  const growth = last.derivativeOps / prev.derivativeOps;
  const simp = rows.filter((r) => r.simplifiedOps !== undefined);
  const simpGrowth = simp.at(-1).simplifiedOps / simp.at(-2).simplifiedOps;
  const claims = [
    { claim: "the raw symbolic derivative grows exponentially", measured: `${prev.derivativeOps} → ${last.derivativeOps} ops from n = ${prev.n} to ${last.n} (×${growth.toFixed(2)} a layer)`, pass: growth >= 1.8 },
    { claim: "simplifying does not stop the growth", measured: `${simp.at(-2).simplifiedOps} → ${simp.at(-1).simplifiedOps} ops from n = ${simp.at(-2).n} to ${simp.at(-1).n}; simplify took ${simp.at(-1).simplifyMs.toFixed(0)} ms at n = ${simp.at(-1).n}`, pass: simpGrowth >= 1.5 },
    { claim: "adtape's tape grows linearly", measured: `${perLayer[0]} nodes a layer${linear ? ", every layer" : ` (varies: ${[...new Set(perLayer)].join(", ")})`}; ${last.tapeNodes} nodes at n = ${last.n}`, pass: linear },
  ];
  const table = {
    columns: ["n", "f (ops)", "f′ raw (ops)", "f′ simplified (ops)", "simplify ms", "tape nodes"],
    rows: rows.map((r) => [r.n, r.exprOps, r.derivativeOps, r.simplifiedOps ?? "—", r.simplifyMs?.toFixed(0) ?? "—", r.tapeNodes]),
  };
  return {
    figures: [{
      id: "swell",
      title: "Symbolic differentiation swells; the tape does not",
      caption: `Operation counts (operator and function nodes) of f = n layers of l ← 4l(1 − l) as an expression tree and of its symbolic derivative by mathjs, raw for n ≤ ${maxRaw} and simplified (mathjs simplify, whose time roughly triples per layer) for n ≤ ${maxSimplified}, against the nodes adtape records for f: ${perLayer[0]} per layer. Reverse mode sweeps those nodes once for f′. Log scale; n = 0 (f = x, f′ = 1: no operations) is drawn at ½.`,
      spec,
    }],
    table,
    claims,
  };
}
