/** @file Sparse derivatives: the sparsity pattern read off the tape, a greedy column colouring, and one sweep per colour.
 *
 * Jacobian pattern: each output's dependency set. Hessian pattern: at each node with curvature (the op
 * table's `curv` flags), the products of its operands' dependency sets — Σᵢ adjᵢ·Jᵢᵀ∇²φᵢJᵢ, so the
 * pattern is complete. Dependency sets are built lazily, and only where a nonlinear node or an output
 * needs them, so a long linear accumulator (Σ terms) never materialises its own set. Columns that share
 * no row get one colour (ADOL-C/ColPack's distance-2 colouring, greedy); one forward sweep (Jacobian) or
 * one H·v (Hessian) per colour recovers every entry directly. The pattern and colouring are computed on
 * the first call and reused while the tape has the same structure (a checksum of its ops and operands).
 */
import { type Trace, keptRegion, noKernels } from "../trace.js";
import { inputNodes, type InputOf } from "../tree.js";
import { withRecording } from "./vjp.js";
import { tangents, sweepTangents } from "./forward.js";
import { sweepHvp, hvpResult } from "./hessian.js";
import { scalarNode, type ScalarOutput } from "./grad.js";
import { rowOf } from "../ops.js";
import { AdError } from "../errors.js";

/**
 * A sparse matrix in CSR form; `colours` is how many sweeps computed it.
 * @example
 * ```ts
 * const J: ad.Csr = ad.sparseJacobian((v: ad.Tensor) => [v.at(0).mul(v.at(1)), v.at(2)])([2, 3, 4]);
 * [J.rowPtr, J.colIdx, J.values]; // → [[0, 2, 3], [0, 1, 2], [3, 2, 1]]
 * ```
 */
export interface Csr {
  /** Row i's entries are at `rowPtr[i]` up to (not including) `rowPtr[i + 1]` in `colIdx` and `values`. */
  rowPtr: Int32Array;
  /** The column of each entry. */
  colIdx: Int32Array;
  /** The value of each entry. */
  values: Float64Array;
  /** The number of rows. */
  rows: number;
  /** The number of columns. */
  cols: number;
  /** The sweeps it took: one per colour of a column colouring in which no row holds two columns of one colour. */
  colours: number;
}

/** Lazily built dependency sets (input columns) of the nodes of a recorded tape. */
class Deps {
  private readonly memo = new Map<number, number[]>();
  constructor(
    private readonly t: Trace,
    cols: number[],
  ) {
    cols.forEach((node, c) => this.memo.set(node, [c]));
  }

  /** The sorted input columns node i depends on (iterative, so long chains do not overflow the stack). */
  of(i: number): number[] {
    const stack = [i];
    while (stack.length) {
      const k = stack[stack.length - 1];
      if (this.memo.has(k)) {
        stack.pop();
        continue;
      }
      const args = this.args(k).filter((a) => !this.memo.has(a));
      if (args.length) {
        stack.push(...args);
        continue;
      }
      stack.pop();
      this.memo.set(k, union(...this.args(k).map((a) => this.memo.get(a)!)));
    }
    return this.memo.get(i)!;
  }

  /** Node k's operand nodes (none for leaves and constants). */
  args(k: number): number[] {
    const a = this.t.a[k], b = this.t.b[k];
    return [a, b].filter((x) => x !== 0 && x !== k);
  }
}

function union(...sets: number[][]): number[] {
  if (sets.length === 0) return [];
  if (sets.length === 1) return sets[0];
  return [...new Set(sets.flat())].sort((p, q) => p - q);
}

/** Greedy colouring of the columns of a pattern (rows as column lists) so that no row holds two columns of one colour. */
function colour(rows: number[][], nCols: number): { colours: Int32Array; count: number } {
  const colsRows: number[][] = Array.from({ length: nCols }, () => []);
  rows.forEach((cols, r) => cols.forEach((c) => colsRows[c].push(r)));
  const colours = new Int32Array(nCols).fill(-1);
  let count = 0;
  const forbidden = new Int32Array(nCols + 1).fill(-1);
  for (let c = 0; c < nCols; c++) {
    for (const r of colsRows[c]) for (const k of rows[r]) if (colours[k] >= 0) forbidden[colours[k]] = c;
    let col = 0;
    while (forbidden[col] === c) col++;
    colours[c] = col;
    count = Math.max(count, col + 1);
  }
  return { colours, count };
}

/** A pattern's CSR skeleton (values zero). */
function csr(rows: number[][], nCols: number): Csr {
  const rowPtr = new Int32Array(rows.length + 1);
  rows.forEach((cols, r) => (rowPtr[r + 1] = rowPtr[r] + cols.length));
  const colIdx = Int32Array.from(rows.flat());
  return { rowPtr, colIdx, values: new Float64Array(colIdx.length), rows: rows.length, cols: nCols, colours: 0 };
}

interface Plan {
  shape: number;
  inputs: number;
  rows: number[][];
  colours: Int32Array;
  count: number;
}

/** Fills a CSR's values from one compressed product per colour: `product(c)` gives the column sums of colour c by row. */
function recover(plan: Plan, product: (colour: number) => (row: number) => number): Csr {
  const m = csr(plan.rows, plan.inputs);
  m.colours = plan.count;
  for (let c = 0; c < plan.count; c++) {
    const at = product(c);
    plan.rows.forEach((cols, r) => {
      cols.forEach((col, k) => {
        if (plan.colours[col] === c) m.values[m.rowPtr[r] + k] = at(r);
      });
    });
  }
  return m;
}

/** A checksum of the tape's structure (ops and operands): a pattern is reused only for the same structure. */
function shapeOf(t: Trace): number {
  let h = t.n | 0;
  for (let i = 1; i < t.n; i++) h = (Math.imul(h ^ t.op[i], 0x01000193) ^ Math.imul(t.a[i] - i, 31) ^ (t.b[i] - i)) | 0;
  return h;
}

function samePlan(plan: Plan | undefined, shape: number, nIn: number): plan is Plan {
  return plan !== undefined && plan.shape === shape && plan.inputs === nIn;
}

/**
 * Returns a function giving f's Jacobian in CSR form, by one forward sweep per colour of its columns.
 * @example
 * ```ts
 * const J = ad.sparseJacobian((v: ad.Tensor) => [...v].map((x) => x.square()))([1, 2, 3]); // diagonal
 * [J.colours, J.values]; // → [1, [2, 4, 6]]
 * ```
 */
export function sparseJacobian<H>(f: (x: H) => unknown): (x: InputOf<H>) => Csr {
  let plan: Plan | undefined;
  return (x) =>
    withRecording(f, x, ({ t, inputs, outs }) => {
      noKernels(t.region, "sparseJacobian");
      const cols = inputNodes(inputs), shape = shapeOf(t);
      if (!samePlan(plan, shape, cols.length)) {
        const deps = new Deps(t, cols);
        const rows = outs.map((o) => (o < 0 ? [] : deps.of(o)));
        plan = { shape, inputs: cols.length, rows, ...colour(rows, cols.length) };
      }
      const p = plan;
      return recover(p, (c) => {
        const s = tangents(t.region, t.n, 1);
        const dot = s.dot;
        cols.forEach((node, j) => (dot[node] = p.colours[j] === c ? 1 : 0));
        sweepTangents(t.region, t.n, 1, s);
        return (r) => dot[outs[r]];
      });
    });
}

/** The Hessian pattern: for each node with curvature, the products of its operands' dependency sets. */
function hessianPattern(t: Trace, cols: number[]): number[][] {
  const deps = new Deps(t, cols);
  const rows: Set<number>[] = Array.from({ length: cols.length }, () => new Set());
  const cross = (p: number[], q: number[]) => p.forEach((r) => q.forEach((c) => (rows[r].add(c), rows[c].add(r))));
  for (let i = 1; i < t.n; i++) {
    const curv = rowOf[t.op[i]]?.curv;
    if (!curv) continue;
    const [a, b] = [t.a[i], t.b[i]];
    const da = a !== 0 && a !== i ? deps.of(a) : [], db = b !== 0 && b !== i ? deps.of(b) : [];
    if (curv[0]) cross(da, da);
    if (curv[1]) cross(da, db);
    if (curv[2]) cross(db, db);
  }
  return rows.map((set) => [...set].sort((p, q) => p - q));
}

/**
 * Returns a function giving the Hessian of scalar f in CSR form, by one H·v sweep per colour of its columns.
 * @example
 * ```ts
 * const f = (v: ad.Tensor) => [...v].reduce<ad.Operand>((s, x) => ad.add(s, x.mul(x).mul(x)), 0) as ad.Scalar; // Σ xᵢ³
 * const H = ad.sparseHessian(f)([1, 2, 3]);
 * [H.colours, H.values]; // → [1, [6, 12, 18]]
 * ```
 */
export function sparseHessian<H>(f: (x: H) => ScalarOutput): (x: InputOf<H>) => Csr {
  let plan: Plan | undefined;
  return (x) =>
    withRecording(
      f,
      x,
      ({ t, inputs, y }) => {
        if (t.hasCustom) throw new AdError("CUSTOM_SECOND_ORDER", "f uses a custom rule (customVjp/customJvp), which has no second derivative");
        noKernels(t.region, "sparseHessian");
        const out = scalarNode(t, y);
        const cols = inputNodes(inputs), shape = shapeOf(t);
        if (!samePlan(plan, shape, cols.length)) {
          const rows = hessianPattern(t, cols);
          plan = { shape, inputs: cols.length, rows, ...colour(rows, cols.length) };
        }
        const p = plan;
        if (out < 0) return csr(p.rows, p.inputs);
        return recover(p, (c) => {
          sweepHvp(t.region, t.n, out, (tan) => cols.forEach((node, j) => (tan[node] = p.colours[j] === c ? 1 : 0)));
          const tan = hvpResult(t.region, t.n).adj;
          return (r) => tan[cols[r]];
        });
      },
      false,
      keptRegion(),
    );
}

