/** @file The table-driven tensor op test, second half: matmul, reductions, softmax, shape ops, the composed ops
 * (dot norm mse crossEntropy), a small network and the linear algebra (cholesky solve logdet), the kink conventions
 * of max/min reductions, and vjp with a tensor output; every reference below is a plain float64 index loop
 * (tensor-helpers.ts runs the rows). */
import { describe, it, expect } from "vitest";
import * as ad from "../src/index.js";
import { rng, uniform } from "./helpers.js";
import {
  type Gen, type Plain, type Row, P, T, U, tIn, vIn, ew1, ew2, sizeOf, unravel, ravel, scalarPlain,
  defineRows, gradOf, vjpOf, compileOf, sample, fdGradient,
} from "./tensor-helpers.js";

// ---- plain references ----------------------------------------------------------------------------------------

/** op(a)·op(b), batched (equal batch shapes, or one operand without), a 1-D a a row and a 1-D b a column. */
function matmulRef(a: Plain, b: Plain, tA = false, tB = false): Plain {
  const va = a.shape.length === 1, vb = b.shape.length === 1;
  const as = va ? [1, a.shape[0]] : a.shape, bs = vb ? [b.shape[0], 1] : b.shape;
  const ta = tA && !va, tb = tB && !vb;
  const [ra, ca] = as.slice(-2), [rb, cb] = bs.slice(-2);
  const M = ta ? ca : ra, K = ta ? ra : ca, N = tb ? rb : cb;
  const batch = as.length > 2 ? as.slice(0, -2) : bs.slice(0, -2), nb = sizeOf(batch);
  const out = new Float64Array(nb * M * N);
  const A = (p: number, i: number, k: number) => a.data[(as.length > 2 ? p * ra * ca : 0) + (ta ? k * ca + i : i * ca + k)];
  const B = (p: number, k: number, j: number) => b.data[(bs.length > 2 ? p * rb * cb : 0) + (tb ? j * cb + k : k * cb + j)];
  for (let p = 0; p < nb; p++)
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += A(p, i, k) * B(p, k, j);
        out[(p * M + i) * N + j] = s;
      }
  const shape = [...batch, ...(va ? [] : [M]), ...(vb ? [] : [N])];
  return P(out, shape);
}

type Reducer = (vs: number[]) => number;
const sumR: Reducer = (vs) => vs.reduce((s, v) => s + v, 0);
const maxR: Reducer = (vs) => Math.max(...vs);
const minR: Reducer = (vs) => Math.min(...vs);
const meanR: Reducer = (vs) => sumR(vs) / vs.length;
const lseR: Reducer = (vs) => {
  const m = maxR(vs);
  return m + Math.log(sumR(vs.map((v) => Math.exp(v - m))));
};
/** Reduces x over `axes` (all when undefined) with `f`, keeping the reduced axes as 1 when keepDims. */
function reduceRef(x: Plain, f: Reducer, axis?: number | number[], keepDims = false): Plain {
  const r = x.shape.length;
  const axes = axis === undefined ? [...x.shape.keys()] : (typeof axis === "number" ? [axis] : axis).map((a) => (a < 0 ? a + r : a));
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const groups: number[][] = Array.from({ length: sizeOf(kept) }, () => []);
  for (let k = 0; k < x.data.length; k++) groups[ravel(unravel(k, x.shape).map((v, i) => (axes.includes(i) ? 0 : v)), kept)].push(x.data[k]);
  return P(groups.map(f), keepDims ? kept : x.shape.filter((_, i) => !axes.includes(i)));
}
/** x along `axis` normalised by g: y = x − lse(x) (logSoftmax). */
const logSoftmaxRef = (x: Plain, axis = -1): Plain => ew2(x, reduceRef(x, lseR, axis, true), (a, b) => a - b);

function transposeRef(x: Plain, perm?: number[]): Plain {
  const p = perm ?? x.shape.map((_, i) => x.shape.length - 1 - i);
  const shape = p.map((a) => x.shape[a]);
  return P(Array.from({ length: x.data.length }, (_, k) => {
    const idx = unravel(k, shape), src = new Array<number>(p.length);
    p.forEach((a, i) => (src[a] = idx[i]));
    return x.data[ravel(src, x.shape)];
  }), shape);
}
/** Picks, along `axis`, the positions `pos(i)` for i < n (slice, gather), every other axis kept. */
function takeRef(x: Plain, axis: number, pos: number[]): Plain {
  const shape = x.shape.map((d, i) => (i === axis ? pos.length : d));
  return P(Array.from({ length: sizeOf(shape) }, (_, k) => {
    const idx = unravel(k, shape);
    idx[axis] = pos[idx[axis]];
    return x.data[ravel(idx, x.shape)];
  }), shape);
}
const range = (start: number, n: number) => Array.from({ length: n }, (_, i) => start + i);
function sliceRef(x: Plain, begin: number[], size: number[]): Plain {
  return begin.reduce((y, b, ax) => takeRef(y, ax, range(b, size[ax])), x);
}
function concatRef(xs: Plain[], axis: number): Plain {
  const shape = xs[0].shape.map((d, i) => (i === axis ? xs.reduce((s, x) => s + x.shape[axis], 0) : d));
  return P(Array.from({ length: sizeOf(shape) }, (_, k) => {
    const idx = unravel(k, shape);
    let j = 0;
    while (idx[axis] >= xs[j].shape[axis]) idx[axis] -= xs[j++].shape[axis];
    return xs[j].data[ravel(idx, xs[j].shape)];
  }), shape);
}
const broadcastToRef = (x: Plain, shape: number[]): Plain => ew2(x, P(new Float64Array(sizeOf(shape)), shape), (a) => a);
/** Σ over rows of −Σ y·logSoftmax(z), divided by the row count. */
const crossEntropyRef = (z: Plain, y: Plain): Plain => {
  const l = ew2(y, logSoftmaxRef(z), (a, b) => a * b);
  return scalarPlain(-sumR([...l.data]) / (z.shape.length > 1 ? z.shape[0] : 1));
};

// ---- rows ----------------------------------------------------------------------------------------------------

const N: Gen = U(-2, 2);
/** Values all distinct, at least ~0.3 apart (no ties for max/min within the difference step). */
const distinct = (n: number): Gen => {
  const perm = range(0, n).sort((i, j) => Math.sin(i * 12.9898 + 1) - Math.sin(j * 12.9898 + 1));
  let k = 0;
  return (r) => perm[k++ % n] * 0.37 - n * 0.18 + uniform(r, 0, 0.05);
};
const nd = (f: (xs: ReturnType<typeof T>[]) => unknown) => (xs: readonly unknown[]) => f(xs as ReturnType<typeof T>[]) as ad.Tensor<"nd">;
const mm = (name: string, sa: number[], sb: number[], o: ad.MatmulOptions = {}, sample?: number): Row => ({
  name: `matmul ${name}`,
  inputs: [tIn(sa, N), tIn(sb, N)],
  f: nd(([a, b]) => ad.matmul(a, b, o)),
  ref: ([a, b]) => matmulRef(a, b, o.transposeA, o.transposeB),
  rtol: 1e-13,
  sample,
});
const matmulRows: Row[] = [
  mm("[2,3]·[3,4]", [2, 3], [3, 4]),
  mm("[3,2]ᵀ·[3,4]", [3, 2], [3, 4], { transposeA: true }),
  mm("[2,3]·[4,3]ᵀ", [2, 3], [4, 3], { transposeB: true }),
  mm("[3,2]ᵀ·[4,3]ᵀ", [3, 2], [4, 3], { transposeA: true, transposeB: true }),
  mm("batched [2,2,3]·[2,3,4]", [2, 2, 3], [2, 3, 4]),
  mm("batched [2,2,3]·[3,4] (b shared)", [2, 2, 3], [3, 4]),
  mm("batched [2,3]·[2,3,4] (a shared)", [2, 3], [2, 3, 4]),
  mm("batched [2,3,2]ᵀ·[2,4,3]ᵀ", [2, 3, 2], [2, 4, 3], { transposeA: true, transposeB: true }),
  mm("vector·matrix [3]·[3,4]", [3], [3, 4]),
  mm("matrix·vector [2,3]·[3]", [2, 3], [3]),
  mm("vector·vector [3]·[3]", [3], [3]),
  mm("matrix·vector [3,2]ᵀ·[3]", [3, 2], [3], { transposeA: true }),
  mm("empty inner dimension [2,0]·[0,3]", [2, 0], [0, 3]),
  mm("blocked [9,17]·[17,11]", [9, 17], [17, 11], {}, 40),
  mm("blocked [13,21]ᵀ·[10,13]ᵀ", [13, 21], [10, 13], { transposeA: true, transposeB: true }, 40),
  {
    name: "matmul x·xᵀ (one input, both operands)",
    inputs: [tIn([3, 4], N)],
    f: nd(([x]) => ad.matmul(x, x, { transposeB: true })),
    ref: ([x]) => matmulRef(x, x, false, true),
    rtol: 1e-13,
  },
  {
    name: "matmul by a constant [2,3]·const[3,2]",
    inputs: [tIn([2, 3], N)],
    f: nd(([x]) => ad.matmul(x, ad.tensor([1, -2, 0.5, 3, 2, -1], [3, 2]))),
    ref: ([x]) => matmulRef(x, P([1, -2, 0.5, 3, 2, -1], [3, 2])),
    rtol: 1e-13,
  },
];

type Red = (x: ad.TensorLike, axis?: number | readonly number[], keepDims?: boolean) => ad.Tensor<"nd">;
const reductions: Array<[string, Red, Reducer, boolean]> = [
  ["sum", ad.sum as Red, sumR, true],
  ["mean", ad.mean as Red, meanR, true],
  ["amax", ad.amax as Red, maxR, false],
  ["amin", ad.amin as Red, minR, false],
  ["logsumexp", ad.logsumexp as Red, lseR, false],
];
const axisCases: Array<[string, number[], number | number[] | undefined, boolean]> = [
  ["all axes of [2,3,2]", [2, 3, 2], undefined, false],
  ["axis 1 of [2,3,2]", [2, 3, 2], 1, false],
  ["axis -1 of [2,3], keepDims", [2, 3], -1, true],
  ["axes [0,2] of [2,3,2]", [2, 3, 2], [0, 2], false],
  ["axes [-1,0] of [3,2,2], keepDims", [3, 2, 2], [-1, 0], true],
  ["axis 0 of a vector [5]", [5], 0, false],
  ["a length-1 axis of [3,1]", [3, 1], 1, false],
  ["no axes ([]) of [2,2]", [2, 2], [], false],
  ["the non-empty axis of [0,3]", [0, 3], 1, false],
  ["0-d", [], undefined, false],
];
const reductionRows: Row[] = reductions.flatMap(([name, op, f, emptyOk]) =>
  axisCases.map(([what, shape, axis, keep]): Row => ({
    name: `${name} over ${what}`,
    inputs: [tIn(shape, distinct(sizeOf(shape)))],
    f: nd(([x]) => op(x, axis, keep)),
    ref: ([x]) => reduceRef(x, f, axis, keep),
    rtol: 1e-13,
  })).concat(emptyOk ? [{
    name: `${name} over the empty axis of [0,3]`,
    inputs: [tIn([0, 3], N)],
    f: nd(([x]) => op(x, 0)),
    ref: ([x]) => reduceRef(x, f, 0),
  }] : []),
);

const softmaxRows: Row[] = [
  ...([["[2,3]", [2, 3], -1], ["[2,3] axis 0", [2, 3], 0], ["[2,3,2] axis 1", [2, 3, 2], 1], ["[4]", [4], -1]] as const).flatMap(
    ([what, shape, axis]): Row[] => [
      { name: `softmax ${what}`, inputs: [tIn([...shape], N)], f: nd(([x]) => ad.softmax(x, axis)), ref: ([x]) => ew1(logSoftmaxRef(x, axis), Math.exp), rtol: 1e-13 },
      { name: `logSoftmax ${what}`, inputs: [tIn([...shape], N)], f: nd(([x]) => ad.logSoftmax(x, axis)), ref: ([x]) => logSoftmaxRef(x, axis), rtol: 1e-13 },
    ],
  ),
  { name: "logSoftmax of large logits (1000 ± 2)", inputs: [tIn([2, 3], U(998, 1002))], f: nd(([x]) => ad.logSoftmax(x)), ref: ([x]) => logSoftmaxRef(x), rtol: 1e-12, step: 1e-3 },
  { name: "logsumexp of large logits (−1000 ± 2)", inputs: [tIn([2, 3], U(-1002, -998))], f: nd(([x]) => ad.logsumexp(x, 1)), ref: ([x]) => reduceRef(x, lseR, 1), rtol: 1e-13, step: 1e-3 },
];

const shapeRows: Row[] = [
  { name: "reshape [2,3] → [3,2]", inputs: [tIn([2, 3], N)], f: nd(([x]) => ad.reshape(x, [3, 2])), ref: ([x]) => P(x.data, [3, 2]) },
  { name: "reshape [2,3] → [-1] and back to [1,-1,2]", inputs: [tIn([2, 3], N)], f: nd(([x]) => ad.mul(ad.reshape(ad.reshape(x, [-1]), [1, -1, 2]), 2)), ref: ([x]) => P(x.data.map((v) => 2 * v), [1, 3, 2]) },
  { name: "reshape a 0-d tensor to [1,1]", inputs: [tIn([], N)], f: nd(([x]) => ad.reshape(x, [1, 1])), ref: ([x]) => P(x.data, [1, 1]) },
  { name: "transpose [2,3] (default: reversed)", inputs: [tIn([2, 3], N)], f: nd(([x]) => ad.transpose(x)), ref: ([x]) => transposeRef(x) },
  { name: "transpose [2,3,4] by [2,0,1]", inputs: [tIn([2, 3, 4], N)], f: nd(([x]) => ad.transpose(x, [2, 0, 1])), ref: ([x]) => transposeRef(x, [2, 0, 1]) },
  { name: "transpose [2,3,2] by [-1,0,1]", inputs: [tIn([2, 3, 2], N)], f: nd(([x]) => ad.transpose(x, [-1, 0, 1])), ref: ([x]) => transposeRef(x, [2, 0, 1]) },
  { name: "slice [3,4] at [1,1] size [2,2]", inputs: [tIn([3, 4], N)], f: nd(([x]) => ad.slice(x, [1, 1], [2, 2])), ref: ([x]) => sliceRef(x, [1, 1], [2, 2]) },
  { name: "slice [3,4] at [-2,0] size [-1,3]", inputs: [tIn([3, 4], N)], f: nd(([x]) => ad.slice(x, [-2, 0], [-1, 3])), ref: ([x]) => sliceRef(x, [1, 0], [2, 3]) },
  { name: "slice a vector [5] at 1 size 3", inputs: [tIn([5], N)], f: nd(([x]) => ad.slice(x, 1, 3)), ref: ([x]) => sliceRef(x, [1], [3]) },
  { name: "slice of size 0", inputs: [tIn([3, 4], N)], f: nd(([x]) => ad.slice(x, [3, 0], [0, 4])), ref: ([x]) => sliceRef(x, [3, 0], [0, 4]) },
  { name: "gather rows [2,0,2,-1] of [3,2]", inputs: [tIn([3, 2], N)], f: nd(([x]) => ad.gather(x, [2, 0, 2, -1])), ref: ([x]) => takeRef(x, 0, [2, 0, 2, 2]) },
  { name: "gather columns Int32Array [1,1,0] of [2,3] (axis 1)", inputs: [tIn([2, 3], N)], f: nd(([x]) => ad.gather(x, new Int32Array([1, 1, 0]), 1)), ref: ([x]) => takeRef(x, 1, [1, 1, 0]) },
  { name: "gather axis -1 of [2,2,3]", inputs: [tIn([2, 2, 3], N)], f: nd(([x]) => ad.gather(x, [2, -3], -1)), ref: ([x]) => takeRef(x, 2, [2, 0]) },
  { name: "gather no indices", inputs: [tIn([2, 3], N)], f: nd(([x]) => ad.gather(x, [], 1)), ref: ([x]) => takeRef(x, 1, []) },
  { name: "concat [2,3] and [1,3] on axis 0", inputs: [tIn([2, 3], N), tIn([1, 3], N)], f: nd(([a, b]) => ad.concat([a, b], 0)), ref: ([a, b]) => concatRef([a, b], 0) },
  {
    name: "concat [2,1], a constant [2,2] and [2,0], [2,3] on axis -1",
    inputs: [tIn([2, 1], N), tIn([2, 0], N), tIn([2, 3], N)],
    f: nd(([a, e, b]) => ad.concat([a, ad.tensor([1, 2, 3, 4], [2, 2]), e, b], -1)),
    ref: ([a, e, b]) => concatRef([a, P([1, 2, 3, 4], [2, 2]), e, b], 1),
  },
  { name: "concat an input with itself", inputs: [tIn([2, 2], N)], f: nd(([a]) => ad.concat([a, a], 1)), ref: ([a]) => concatRef([a, a], 1) },
  { name: "stack two [3] on axis 0", inputs: [tIn([3], N), vIn(3, N)], f: nd(([a, b]) => ad.stack([a, b])), ref: ([a, b]) => concatRef([P(a.data, [1, 3]), P(b.data, [1, 3])], 0) },
  { name: "stack two [2,2] on axis -1", inputs: [tIn([2, 2], N), tIn([2, 2], N)], f: nd(([a, b]) => ad.stack([a, b], -1)), ref: ([a, b]) => concatRef([P(a.data, [2, 2, 1]), P(b.data, [2, 2, 1])], 2) },
  { name: "broadcastTo [1,3] → [2,3]", inputs: [tIn([1, 3], N)], f: nd(([x]) => ad.broadcastTo(x, [2, 3])), ref: ([x]) => broadcastToRef(x, [2, 3]) },
  { name: "broadcastTo [3] → [2,2,3]", inputs: [tIn([3], N)], f: nd(([x]) => ad.broadcastTo(x, [2, 2, 3])), ref: ([x]) => broadcastToRef(x, [2, 2, 3]) },
  { name: "broadcastTo 0-d → [2,2]", inputs: [tIn([], N)], f: nd(([x]) => ad.broadcastTo(x, [2, 2])), ref: ([x]) => broadcastToRef(x, [2, 2]) },
  { name: "broadcastTo [2,1] → [2,0]", inputs: [tIn([2, 1], N)], f: nd(([x]) => ad.broadcastTo(x, [2, 0])), ref: ([x]) => broadcastToRef(x, [2, 0]) },
];

const probs = (rows: number, cols: number): Plain => {
  const r = rng(rows * 31 + cols), p = Array.from({ length: rows * cols }, () => uniform(r, 0.1, 1));
  return P(p.map((v, k) => v / sumR(p.slice(k - (k % cols), k - (k % cols) + cols))), [rows, cols]);
};
const oneHot = (cls: number[], cols: number): Plain => P(cls.flatMap((c) => range(0, cols).map((j) => +(j === c))), [cls.length, cols]);
const composedRows: Row[] = [
  { name: "dot [4]·[4]", inputs: [tIn([4], N), vIn(4, N)], f: nd(([a, b]) => ad.dot(a, b)), ref: ([a, b]) => matmulRef(a, b), rtol: 1e-13 },
  { name: "norm of all [2,3]", inputs: [tIn([2, 3], N)], f: nd(([x]) => ad.norm(x)), ref: ([x]) => ew1(reduceRef(ew1(x, (v) => v * v), sumR), Math.sqrt), rtol: 1e-13 },
  { name: "norm over axis 1 of [2,3], keepDims", inputs: [tIn([2, 3], N)], f: nd(([x]) => ad.norm(x, 1, true)), ref: ([x]) => ew1(reduceRef(ew1(x, (v) => v * v), sumR, 1, true), Math.sqrt), rtol: 1e-13 },
  { name: "mse [2,3] vs [2,3]", inputs: [tIn([2, 3], N), tIn([2, 3], N)], f: nd(([a, b]) => ad.mse(a, b)), ref: ([a, b]) => reduceRef(ew2(a, b, (x, y) => (x - y) ** 2), meanR), rtol: 1e-13 },
  { name: "mse [2,3] vs broadcast [3]", inputs: [tIn([2, 3], N), tIn([3], N)], f: nd(([a, b]) => ad.mse(a, b)), ref: ([a, b]) => reduceRef(ew2(a, b, (x, y) => (x - y) ** 2), meanR), rtol: 1e-13 },
  { name: "crossEntropy, probability labels (constant)", inputs: [tIn([3, 4], N)], f: nd(([z]) => ad.crossEntropy(z, ad.tensor(probs(3, 4).data, [3, 4]))), ref: ([z]) => crossEntropyRef(z, probs(3, 4)), rtol: 1e-13 },
  { name: "crossEntropy, probability labels (an input too)", inputs: [tIn([2, 3], N), tIn([2, 3], U(0, 1))], f: nd(([z, y]) => ad.crossEntropy(z, y)), ref: ([z, y]) => crossEntropyRef(z, y), rtol: 1e-13 },
  { name: "crossEntropy, Int32Array classes", inputs: [tIn([3, 4], N)], f: nd(([z]) => ad.crossEntropy(z, new Int32Array([3, 0, 3]))), ref: ([z]) => crossEntropyRef(z, oneHot([3, 0, 3], 4)), rtol: 1e-13 },
  { name: "crossEntropy, 1-D logits", inputs: [tIn([4], N)], f: nd(([z]) => ad.crossEntropy(z, ad.tensor([0, 1, 0, 0], [4]))), ref: ([z]) => crossEntropyRef(z, P([0, 1, 0, 0], [4])), rtol: 1e-13 },
  {
    name: "a two-layer network: crossEntropy(tanh(X·W1 + b1)·W2 + b2)",
    inputs: [tIn([3, 4], N), tIn([4], N), tIn([4, 2], N), tIn([2], N)],
    f: nd(([w1, b1, w2, b2]) => {
      const h = ad.tanh(ad.add(ad.matmul(ad.tensor(X.data, X.shape), w1), b1));
      return ad.crossEntropy(ad.add(ad.matmul(h, w2), b2), new Int32Array([1, 0, 1, 1, 0]));
    }),
    ref: ([w1, b1, w2, b2]) => {
      const h = ew1(ew2(matmulRef(X, w1), b1, (a, b) => a + b), Math.tanh);
      return crossEntropyRef(ew2(matmulRef(h, w2), b2, (a, b) => a + b), oneHot([1, 0, 1, 1, 0], 2));
    },
    rtol: 1e-13,
  },
];
const X = P(Array.from({ length: 15 }, (_, k) => Math.sin(k * 1.7)), [5, 3]);

// ---- linear algebra (cholesky reads ½(A + Aᵀ): its rows take second-order differences at symmetric points) ----

/** Cholesky factor L (lower, zeros above) of ½(A + Aᵀ): the op reads A's lower triangle, and its derivative is that of the symmetrised A. */
function choleskyRef(a: Plain): Plain {
  const n = a.shape[0], A = (i: number, j: number) => 0.5 * (a.data[i * n + j] + a.data[j * n + i]);
  const L = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = A(j, j);
    for (let k = 0; k < j; k++) d -= L[j * n + k] ** 2;
    L[j * n + j] = Math.sqrt(d);
    for (let i = j + 1; i < n; i++) {
      let s = A(i, j);
      for (let k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k];
      L[i * n + j] = s / L[j * n + j];
    }
  }
  return P(L, [n, n]);
}
/** Gaussian elimination with partial pivoting on [A | B]: X with A·X = B (B [n] or [n,k]), and log|det A|. */
function eliminate(a: Plain, b?: Plain): { x: Plain; logAbsDet: number } {
  const n = a.shape[0], k = b ? (b.shape.length === 2 ? b.shape[1] : 1) : 0;
  const A = Array.from({ length: n }, (_, i) => Array.from(a.data.subarray(i * n, i * n + n)));
  const B = Array.from({ length: n }, (_, i) => (b ? Array.from(b.data.subarray(i * k, i * k + k)) : []));
  let logAbsDet = 0;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let i = c + 1; i < n; i++) if (Math.abs(A[i][c]) > Math.abs(A[p][c])) p = i;
    [A[c], A[p]] = [A[p], A[c]];
    [B[c], B[p]] = [B[p], B[c]];
    logAbsDet += Math.log(Math.abs(A[c][c]));
    for (let i = c + 1; i < n; i++) {
      const m = A[i][c] / A[c][c];
      for (let j = c; j < n; j++) A[i][j] -= m * A[c][j];
      for (let j = 0; j < k; j++) B[i][j] -= m * B[c][j];
    }
  }
  for (let c = n - 1; c >= 0; c--)
    for (let j = 0; j < k; j++) {
      let s = B[c][j];
      for (let i = c + 1; i < n; i++) s -= A[c][i] * B[i][j];
      B[c][j] = s / A[c][c];
    }
  return { x: P(B.flat(), b ? b.shape : [0]), logAbsDet };
}
/** Elements of an n × n matrix in row-major order: `diag` on the diagonal, `off` elsewhere; when `sym`, each element
 * below the diagonal repeats its mirror above (drawn first, in row-major order). */
const matGen = (n: number, diag: Gen, off: Gen, sym = false): Gen => {
  let k = 0;
  const upper = new Map<number, number>();
  return (r) => {
    const i = Math.floor((k % (n * n)) / n), j = k % n;
    k++;
    if (i === j) return diag(r);
    if (sym && i > j) return upper.get(j * n + i)!;
    const v = off(r);
    upper.set(i * n + j, v);
    return v;
  };
};
/** Symmetric, strictly diagonally dominant, positive diagonal: positive definite. */
const spd = (n: number): Gen => matGen(n, U(n, n + 1), U(-0.9, 0.9), true);
/** Diagonally dominant with diagonal entries of either sign: well conditioned, determinant of either sign. */
const dominant = (n: number): Gen => matGen(n, (r) => (r() < 0.5 ? -1 : 1) * uniform(r, n, n + 1), U(-0.9, 0.9));
const A3 = P([3.5, 0.5, -0.25, -0.75, 4, 0.5, 0.25, -1, -3.25], [3, 3]);
const linalgRows: Row[] = [
  { name: "cholesky [3,3]", inputs: [tIn([3, 3], spd(3))], f: nd(([a]) => ad.cholesky(a)), ref: ([a]) => choleskyRef(a), rtol: 1e-13, symmetric: true },
  { name: "cholesky [5,5]", inputs: [tIn([5, 5], spd(5))], f: nd(([a]) => ad.cholesky(a)), ref: ([a]) => choleskyRef(a), rtol: 1e-13, symmetric: true },
  { name: "cholesky [1,1]", inputs: [tIn([1, 1], U(0.5, 3))], f: nd(([a]) => ad.cholesky(a)), ref: ([a]) => choleskyRef(a), rtol: 1e-13 },
  {
    name: "cholesky of x·xᵀ + 3I, x [3,2]",
    inputs: [tIn([3, 2], N)],
    f: nd(([x]) => ad.cholesky(ad.add(ad.matmul(x, x, { transposeB: true }), ad.tensor([3, 0, 0, 0, 3, 0, 0, 0, 3], [3, 3])))),
    ref: ([x]) => choleskyRef(ew2(matmulRef(x, x, false, true), P([3, 0, 0, 0, 3, 0, 0, 0, 3], [3, 3]), (u, v) => u + v)),
    rtol: 1e-13,
  },
  { name: "solve A [3,3], B [3,2]", inputs: [tIn([3, 3], dominant(3)), tIn([3, 2], N)], f: nd(([a, b]) => ad.solve(a, b)), ref: ([a, b]) => eliminate(a, b).x, rtol: 1e-13 },
  { name: "solve A [5,5], B [5,3]", inputs: [tIn([5, 5], dominant(5)), tIn([5, 3], N)], f: nd(([a, b]) => ad.solve(a, b)), ref: ([a, b]) => eliminate(a, b).x, rtol: 1e-13 },
  { name: "solve A [4,4], b a vector input [4]", inputs: [tIn([4, 4], dominant(4)), vIn(4, N)], f: nd(([a, b]) => ad.solve(a, b)), ref: ([a, b]) => eliminate(a, b).x, rtol: 1e-13 },
  { name: "solve constant A [3,3], B [3,2]", inputs: [tIn([3, 2], N)], f: nd(([b]) => ad.solve(ad.tensor(A3.data, A3.shape), b)), ref: ([b]) => eliminate(A3, b).x, rtol: 1e-13 },
  { name: "solve A [3,3], constant b [3]", inputs: [tIn([3, 3], dominant(3))], f: nd(([a]) => ad.solve(a, [1, -2, 0.5])), ref: ([a]) => eliminate(a, P([1, -2, 0.5], [3])).x, rtol: 1e-13 },
  { name: "logdet [3,3]", inputs: [tIn([3, 3], dominant(3))], f: nd(([a]) => ad.logdet(a)), ref: ([a]) => scalarPlain(eliminate(a).logAbsDet), rtol: 1e-13 },
  { name: "logdet [5,5]", inputs: [tIn([5, 5], dominant(5))], f: nd(([a]) => ad.logdet(a)), ref: ([a]) => scalarPlain(eliminate(a).logAbsDet), rtol: 1e-13 },
  { name: "logdet [1,1] (negative)", inputs: [tIn([1, 1], U(-3, -0.5))], f: nd(([a]) => ad.logdet(a)), ref: ([a]) => scalarPlain(Math.log(Math.abs(a.data[0]))), rtol: 1e-15 },
];

/** Longer rows: SIMD blocks and their remainders. */
const largeRows: Row[] = [
  mm("batched blocked [3,9,17]·[17,11]", [3, 9, 17], [17, 11], {}, 40),
  mm("batched blocked [2,19,7]ᵀ·[2,5,19]ᵀ", [2, 19, 7], [2, 5, 19], { transposeA: true, transposeB: true }, 40),
  { name: "sum over axis 0 of [97,5]", inputs: [tIn([97, 5], N)], f: nd(([x]) => ad.sum(x, 0)), ref: ([x]) => reduceRef(x, sumR, 0), rtol: 1e-13, sample: 30 },
  { name: "mean over axis 1 of [5,97]", inputs: [tIn([5, 97], N)], f: nd(([x]) => ad.mean(x, 1)), ref: ([x]) => reduceRef(x, meanR, 1), rtol: 1e-13, sample: 30 },
  { name: "amax over axis 1 of [5,97]", inputs: [tIn([5, 97], distinct(485))], f: nd(([x]) => ad.amax(x, 1)), ref: ([x]) => reduceRef(x, maxR, 1), sample: 30 },
  { name: "logsumexp over axis 0 of [97,5]", inputs: [tIn([97, 5], N)], f: nd(([x]) => ad.logsumexp(x, 0)), ref: ([x]) => reduceRef(x, lseR, 0), rtol: 1e-13, sample: 30 },
  { name: "softmax [3,101]", inputs: [tIn([3, 101], N)], f: nd(([x]) => ad.softmax(x)), ref: ([x]) => ew1(logSoftmaxRef(x), Math.exp), rtol: 1e-13, sample: 30 },
  { name: "transpose [17,23]", inputs: [tIn([17, 23], N)], f: nd(([x]) => ad.transpose(x)), ref: ([x]) => transposeRef(x), sample: 30 },
  { name: "concat [5,33] and [5,31] on axis 1", inputs: [tIn([5, 33], N), tIn([5, 31], N)], f: nd(([a, b]) => ad.concat([a, b], 1)), ref: ([a, b]) => concatRef([a, b], 1), sample: 30 },
  { name: "gather 40 rows of [50,3]", inputs: [tIn([50, 3], N)], f: nd(([x]) => ad.gather(x, range(0, 40).map((i) => (i * 7) % 50 - 25))), ref: ([x]) => takeRef(x, 0, range(0, 40).map((i) => ((i * 7) % 50 - 25 + 50) % 50)), sample: 30 },
];

defineRows("large", largeRows);
defineRows("matmul", matmulRows);
defineRows("reduction", reductionRows);
defineRows("softmax", softmaxRows);
defineRows("shape op", shapeRows);
defineRows("composed", composedRows);
defineRows("linear algebra", linalgRows);

describe("max and min reductions send the derivative to the first extreme element (row-major)", () => {
  const g = (op: typeof ad.amax, data: number[], shape: number[], axis?: number | number[]) =>
    Array.from((gradOf((x: ad.Tensor<"nd">) => ad.sum(op(x, axis)))(ad.tensor(data, shape)) as ad.TensorData).data);
  it("over all axes", () => {
    expect(g(ad.amax, [1, 3, 3, 3], [2, 2])).toEqual([0, 1, 0, 0]);
    expect(g(ad.amin, [2, 0, 5, 0], [2, 2])).toEqual([0, 1, 0, 0]);
  });
  it("along one axis", () => {
    expect(g(ad.amax, [7, 7, 1, 2, 9, 9], [2, 3], 1)).toEqual([1, 0, 0, 0, 1, 0]);
    expect(g(ad.amax, [7, 7, 1, 7, 9, 1], [2, 3], 0)).toEqual([1, 0, 1, 0, 1, 0]);
    expect(g(ad.amin, [4, 4, 4], [3], 0)).toEqual([1, 0, 0]);
  });
  it("over several axes (the first in row-major order of the reduced block)", () => {
    // x[i][j][k], reduce axes 0 and 2: for each j, the maxima tie at (0, j, 1) and (1, j, 0).
    expect(g(ad.amax, [0, 5, 0, 5, 5, 0, 5, 0], [2, 2, 2], [0, 2])).toEqual([0, 1, 0, 1, 0, 0, 0, 0]);
  });
  it("forward mode likewise takes the tangent of the first extreme element", () => {
    const jv = (op: typeof ad.amax, v: number[]) => ad.jvp((x: ad.Tensor<"nd">) => op(x, 1))(ad.tensor([3, 3, 1, 0, 0, 2], [2, 3]), ad.tensor(v, [2, 3]))[1].data;
    expect(Array.from(jv(ad.amax, [10, 20, 30, 40, 50, 60]))).toEqual([10, 60]);
    expect(Array.from(jv(ad.amin, [10, 20, 30, 40, 50, 60]))).toEqual([30, 40]);
  });
  it("compiled replay follows a moved maximum", () => {
    const f = (x: ad.Tensor<"nd">) => ad.sum(ad.mul(ad.amax(x, 1), ad.tensor([1, 2], [2])));
    const c = compileOf(f as never, ad.tensor([3, 1, 2, 0, 5, 1], [2, 3]));
    expect(Array.from((c.grad(ad.tensor([1, 4, 4, 7, 5, 7], [2, 3])) as ad.TensorData).data)).toEqual([0, 1, 0, 2, 0, 0]);
    c.dispose();
  });
});

describe("vjp with a tensor output", () => {
  const W = ad.tensor([0.5, -1, 2, 0.25, 1.5, -0.75], [3, 2]);
  const f = (x: ad.Tensor<"nd">) => ad.softmax(ad.matmul(ad.tanh(x), W), 0);
  const plain = ([x]: Plain[]) => ew1(logSoftmaxRef(matmulRef(ew1(x, Math.tanh), P(W.data, W.shape)), 0), Math.exp);
  const { plain: x0, arg } = sample([tIn([4, 3], N)], rng(99));

  it("returns y as TensorData, and the pullback of every basis cotangent is a row of Jᵀ (differences)", () => {
    const [y, pullback] = vjpOf(f as never)(arg[0]);
    const want = plain(x0);
    expect(y).toBeInstanceOf(ad.TensorData);
    expect((y as ad.TensorData).shape).toEqual([4, 2]);
    expect((y as ad.TensorData).data).toBeAllclose(want.data, { rtol: 1e-13 });
    for (let o = 0; o < want.data.length; o++) {
      const e = new Float64Array(want.data.length);
      e[o] = 1;
      const row = fdGradient((xs) => plain(xs).data[o], x0)[0];
      const ct = pullback(ad.tensor(e, [4, 2])) as ad.TensorData;
      expect(ct.shape).toEqual([4, 3]);
      expect(ct.data).toBeAllclose(row, { rtol: 1e-6, atol: 1e-9 });
    }
  });

  it("the pullback takes { data: number[], shape } and is linear; compiled vjp agrees", () => {
    const [, pullback] = vjpOf(f as never)(arg[0]);
    const a = [1, 0, 0, 2, 0, 0, -1, 0], b = [0, 3, 0, 0, 1, 0, 0, 1];
    const pa = (pullback({ data: a, shape: [4, 2] }) as ad.TensorData).data, pb = (pullback(ad.tensor(b, [4, 2])) as ad.TensorData).data;
    const pab = (pullback({ data: a.map((v, i) => 2 * v - b[i]), shape: [4, 2] }) as ad.TensorData).data;
    expect(pab).toBeAllclose(pa.map((v, i) => 2 * v - pb[i]), { rtol: 1e-12, atol: 1e-15 });
    const c = ad.compile(f, arg[0] as ad.TensorData);
    expect(c.vjp(arg[0] as ad.TensorData, ad.tensor(a, [4, 2])).data).toBeAllclose(pa, { rtol: 1e-14, atol: 1e-300 });
    c.dispose();
  });
});
