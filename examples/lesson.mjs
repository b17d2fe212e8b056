// The lesson, end to end (npm run demo): four ways to get a gradient — numerical differences, symbolic
// differentiation, forward-mode and reverse-mode AD — each measured with adtape, as figures in out/ (SVG and an
// index.html showing them all) and a summary printed here.
//   node examples/lesson.mjs [--quick] [--out DIR]   (--quick: small sizes, a few seconds; for the smoke test)
// First, a few derivatives checked against closed forms and central differences; then the figures.
import * as ad from "adtape";
import { centralDiff, numericalGrad } from "adtape/baselines/numeric";
import { resolve } from "node:path";
import { trainingFigure } from "./lesson/training.mjs";
import { fdErrorFigure } from "./lesson/fd-error.mjs";
import { swellFigure } from "./lesson/swell.mjs";
import { costFigure } from "./lesson/cost.mjs";
import { writeReport, printTable, claimsTable } from "./lesson/plot.mjs";
import { progress } from "./lesson/progress.mjs";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const outDir = resolve(args.includes("--out") ? args[args.indexOf("--out") + 1] : "out");
const started = performance.now();
await ad.init();
const row = (label, ...cols) => console.log(label.padEnd(34), ...cols.map((c) => (typeof c === "number" ? c.toPrecision(16).padStart(24) : String(c).padStart(24))));

console.log("adtape — exact derivatives from a tape in WebAssembly linear memory\n");
row("", "adtape (reverse mode)", "closed form", "central difference");

// 1. f(x) = log(x)·sin²(x): f'(x) = sin²x/x + 2 log x sin x cos x
const f1 = (x) => ad.mul(ad.log(x), ad.square(ad.sin(x)));
const x1 = 2.5;
row(`d/dx log(x)·sin²(x) at ${x1}`, ad.grad(f1)(x1), Math.sin(x1) ** 2 / x1 + 2 * Math.log(x1) * Math.sin(x1) * Math.cos(x1), centralDiff((t) => Math.log(t) * Math.sin(t) ** 2, x1));

// 2. exp(tanh(0.5)), value and derivative (chained form)
const [v2, g2] = ad.valueAndGrad((x) => x.tanh().exp())(0.5);
const t = Math.tanh(0.5);
row("exp(tanh(0.5))", v2, Math.exp(t), "");
row("d/dx exp(tanh(x)) at 0.5", g2, Math.exp(t) * (1 - t * t), centralDiff((x) => Math.exp(Math.tanh(x)), 0.5));

// 3. Plain JS control flow on values: the tape records the path taken.
const f3 = (x) => {
  let y = x;
  while (y.value < 100) y = y.mul(y).add(1); // y ← y² + 1 until it passes 100
  return y;
};
const plain3 = (x) => { let y = x; while (y < 100) y = y * y + 1; return y; };
const y1 = 1.5 ** 2 + 1, y2 = y1 ** 2 + 1; // three steps are taken from 1.5: chain rule 2y₂ · 2y₁ · 2x
row("d/dx (while y<100: y←y²+1) at 1.5", ad.grad(f3)(1.5), 8 * y2 * y1 * 1.5, centralDiff(plain3, 1.5));

// 4. where(): both branches recorded; the one not taken contributes exactly 0 (√x has ∂ = ∞ at 0).
const safeSqrt = (x) => ad.where(ad.greater(x, 0), ad.sqrt(x), 0);
row("d/dx where(x>0, √x, 0) at 0", ad.grad(safeSqrt)(0), 0, "");

// 5. A gradient in R^1000 (extended Rosenbrock): one reverse sweep versus 2n function calls.
const n = 1000;
const x5 = Float64Array.from({ length: n }, (_, i) => Math.cos(i));
const rosen = (x) => {
  let s = 0;
  for (let i = 0; i < x.length; i += 2) {
    const a = x.at(i), b = x.at(i + 1);
    s = ad.add(s, ad.add(ad.mul(100, ad.square(ad.sub(b, ad.square(a)))), ad.square(ad.sub(1, a))));
  }
  return s;
};
const rosenPlain = (x) => { let s = 0; for (let i = 0; i < x.length; i += 2) s += 100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2; return s; };
const median = (fn) => {
  const ms = [];
  let out;
  for (let k = 0; k < 7; k++) { const t0 = performance.now(); out = fn(); ms.push(performance.now() - t0); }
  return [out, ms.sort((a, b) => a - b)[3]];
};
const [gAd, msAd] = median(() => ad.grad(rosen)(x5));
const [gNum, msNum] = median(() => numericalGrad(rosenPlain, x5, { method: "central" }));
let maxRel = 0;
for (let i = 0; i < n; i++) maxRel = Math.max(maxRel, Math.abs(gAd[i] - gNum[i]) / Math.max(1, Math.abs(gAd[i])));
console.log(`\nRosenbrock, n = ${n}: reverse mode ${msAd.toFixed(3)} ms (one sweep) vs central differences ${msNum.toFixed(3)} ms (${2 * n} calls of f), medians of 7; max relative difference ${maxRel.toExponential(1)}`);

const m = ad.memoryStats();
console.log(`tape: ${m.maxNodes} nodes at most, ${m.recordBytes} bytes per node record, ${(m.highWater / 2 ** 20).toFixed(1)} MiB high-water`);

// ---------------------------------------------------------------- the figures
const sections = [
  { title: "1. Training the lesson's classifier three ways", make: trainingFigure, text: "sigmoid(W·x) on mock 2-D data, squared cost, plain gradient descent: the gradient by central differences of the plain-JS cost, by adtape's eager reverse mode, and by a compiled tape replayed in Wasm." },
  { title: "2. Numerical differences are noisy in h", make: fdErrorFigure, text: "f(p) = p² + √(p + 3) at p = 3.5: the error of forward and central differences against the step h, and adtape's." },
  { title: "3. Symbolic differentiation swells", make: swellFigure, text: "The symbolic derivative of n layers of 4x(1 − x) by mathjs, raw and simplified, against the nodes on adtape's tape." },
  { title: "4. Cost of a full Jacobian against the dimensions", make: costFigure, text: "Time per full Jacobian of f: Rⁿ → Rᵐ ÷ time of one evaluation of f, by numerical differences, forward mode and reverse mode." },
];
console.log(`\nThe lesson's figures${quick ? " (quick mode: small sizes)" : ""}, written to ${outDir}/\n`);
const claims = [];
for (const s of sections) {
  Object.assign(s, await s.make({ quick, progress }));
  console.log(`\n${s.title}`);
  printTable(s.table);
  claims.push(...s.claims);
}
const files = await writeReport(outDir, {
  title: "adtape — the lesson, measured",
  intro: `Four ways to get a gradient, measured on this machine by adtape ${quick ? "(quick mode: small sizes)" : ""} with Node ${process.version}. Generated by npm run demo.`,
  sections,
});
console.log(`\nThe lesson's claims, measured:`);
printTable(claimsTable(claims));
const missed = claims.filter((c) => !c.pass).length;
console.log(`\n${claims.length - missed} of ${claims.length} claims hold${missed ? ` (${missed} MISS: timings on a busy machine can flip a close one; run again)` : ""}.`);
console.log(`Wrote ${files.length} files to ${outDir}/: ${files.join(", ")}. Open ${outDir}/index.html to see the figures.`);
console.log(`Done in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
