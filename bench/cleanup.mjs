// How much a tape clean-up before replay could remove (issue 4): for each workload's compiled tape, the
// nodes that do not reach an output or a guard (dead-code elimination), the nodes that repeat an earlier
// node's op and operands (CSE, as CppAD's optimize), and the nodes that depend on no input (constant
// folding). A clean-up pays only where these are a real share of the tape. Run: node bench/cleanup.mjs
import * as ad from "../dist/index.js";
import { makeData } from "./baselines/data.mjs";
import { logistic, rosenbrock, classifierCost } from "./workloads.mjs";

/** Counts the three kinds of removable nodes on compiled tape `c` (read through its internals). */
function opportunities(c) {
  const r = c.region, n = c.n, { op, a, b, pre } = r;
  const INPUT = 1, CONST = 0;
  // Dead code: walk back from the outputs and the guards.
  const live = new Uint8Array(n);
  for (const o of c.outs) if (o >= 0) live[o] = 1;
  const guards = new Float64Array(r.e.memory.buffer, c.guards, 2 * c.ng);
  for (let g = 0; g < c.ng; g++) live[guards[2 * g]] = 1;
  for (let i = n - 1; i > 0; i--) {
    if (!live[i]) continue;
    if (a[i] !== i) live[a[i]] = 1;
    if (b[i] !== i) live[b[i]] = 1;
  }
  // Constant folding: nodes that depend on no input.
  const varies = new Uint8Array(n);
  for (let i = 1; i < n; i++) varies[i] = op[i] === INPUT || (a[i] !== i && varies[a[i]]) || (b[i] !== i && varies[b[i]]) ? 1 : 0;
  // CSE: the same op on the same operands (a constant operand compared by value).
  const seen = new Map();
  let dup = 0, dead = 0, folds = 0;
  for (let i = 1; i < n; i++) {
    if (!live[i]) dead++;
    if (!varies[i] && op[i] !== CONST) folds++;
    if (op[i] === INPUT || op[i] === CONST) continue;
    const key = `${op[i]}:${a[i] === i ? "c" + pre[i] : a[i]}:${b[i] === i ? "c" + pre[i] : b[i]}`;
    if (seen.has(key)) dup++;
    else seen.set(key, i);
  }
  return { n, dead, dup, folds };
}

const rows = [
  ["W1 classifier (N = 1000)", classifierCost(makeData("W1")), makeData("W1").W],
  ["W2 logistic map (n = 1000)", logistic(1000), 0.3],
  ["W3 Rosenbrock (n = 1000)", rosenbrock, makeData("W3-1000").x],
  // A check that the counts can be non-zero: one dead sin and one repeated x·2; exp(2) is no node at all,
  // since an op on numbers alone is computed when it is recorded (constant folding happens there).
  ["check: redundant on purpose", (x) => { ad.sin(x); return ad.add(ad.mul(x, 2), ad.mul(x, 2)).mul(ad.exp(ad.stopGradient(ad.lt(x, 9) ? 2 : 3))); }, 1],
];
console.log("removable nodes on compiled tapes (share of the tape):");
for (const [name, f, x] of rows) {
  const c = ad.compile(f, x);
  const { n, dead, dup, folds } = opportunities(c);
  const pct = (k) => `${k} (${((100 * k) / n).toFixed(1)}%)`;
  console.log(`  ${name.padEnd(28)} ${String(n).padStart(6)} nodes   dead ${pct(dead)}   duplicate ${pct(dup)}   constant ${pct(folds)}`);
  c.dispose();
}
