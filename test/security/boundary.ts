/** @file Random cases for the boundary fuzz (test/security.test.ts): shapes, bounds, indices, axes and perms, valid or not, each with a plain-JS reference of which elements an op's output sums (or null: the call must throw InputError/ShapeError). */
import * as ad from "../../src/index.js";

/** A random case: its operands, the call under test, and the reference (`terms[k]`: the global operand-element
 * indices output element k sums; a product form for matmul), or null when the call must throw. */
export interface Case {
  name: string;
  operands: ad.TensorData[];
  call: (hs: ad.Tensor<"nd">[]) => ad.Tensor<"nd"> | ad.Scalar;
  ref: { shape: number[]; terms?: number[][]; matmul?: MatmulRef } | null;
}

/** Output (b, i, j) = Σₖ A(b, i, k)·B(b, k, j), with the flat operand indices of each factor. */
export interface MatmulRef {
  pairs: [number, number][][];
}

type R = () => number;
const int = (r: R, n: number) => Math.floor(r() * n);
const sizeOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const strides = (s: readonly number[]) => s.map((_, i) => sizeOf(s.slice(i + 1)));

/** A random shape of rank lo…hi with dimensions 0…4 (0 one time in seven). */
export function randomShape(r: R, lo = 0, hi = 3): number[] {
  return Array.from({ length: lo + int(r, hi - lo + 1) }, () => (r() < 1 / 7 ? 0 : 1 + int(r, 4)));
}

/** An index for an axis of length d: mostly in range (either sign), else a bad one. */
function pickIndex(r: R, d: number): number {
  if (r() < 0.7 && d > 0) return r() < 0.5 ? int(r, d) : -1 - int(r, d);
  const bad = [d, d + 1, -d - 1, 0.5, -0.5, NaN, Infinity, -Infinity, 2 ** 40, -(2 ** 40), 2 ** 31, -(2 ** 31) - 1, 2 ** 32 + 1];
  return bad[int(r, bad.length)];
}

/** An axis of a rank-`rank` tensor: mostly valid (either sign), else a bad one. */
function pickAxis(r: R, rank: number): number {
  if (r() < 0.8 && rank > 0) return int(r, 2 * rank) - rank;
  const bad = [rank, -rank - 1, 0.5, NaN, 2 ** 31, -(2 ** 32)];
  return bad[int(r, bad.length)];
}

/** The axis normalised, or undefined when invalid. */
function normAxis(a: number, rank: number): number | undefined {
  return Number.isInteger(a) && a >= -rank && a < rank ? (a < 0 ? a + rank : a) : undefined;
}

function data(r: R, shape: number[]): ad.TensorData {
  return ad.tensor(Float64Array.from({ length: sizeOf(shape) }, () => Math.round((r() * 2 - 1) * 1024) / 256), shape);
}

/** Terms for a data mover: output element k is source element src(multi-index of k). */
function moved(shape: number[], src: (idx: number[]) => number): number[][] {
  const out: number[][] = [];
  const st = strides(shape);
  for (let k = 0; k < sizeOf(shape); k++) out.push([src(shape.map((d, i) => Math.floor(k / st[i]) % d))]);
  return out;
}

function sliceCase(r: R): Case {
  const shape = randomShape(r, 0, 3), x = data(r, shape), rank = shape.length;
  const len = r() < 0.1 ? rank + (r() < 0.5 ? 1 : -1) : rank;
  const begin = Array.from({ length: Math.max(0, len) }, (_, i) => pickIndex(r, (shape[i] ?? 1) + 1));
  const size = r() < 0.2 ? undefined : begin.map((_, i) => (r() < 0.3 ? -1 : r() < 0.8 ? int(r, (shape[i] ?? 1) + 1) : pickIndex(r, 3)));
  const asNumber = rank === 1 && r() < 0.3;
  const b = asNumber ? begin[0] : begin, z = asNumber && size ? size[0] : size;
  let ref: Case["ref"] = null;
  if (begin.length === rank) {
    const starts: number[] = [], out: number[] = [];
    for (let i = 0; i < rank; i++) {
      const d = shape[i], s = begin[i] < 0 ? begin[i] + d : begin[i];
      const l = !size || size[i] === -1 ? d - s : size[i];
      if (!Number.isInteger(s) || !Number.isInteger(l) || s < 0 || l < 0 || s + l > d) break;
      starts.push(s), out.push(l);
    }
    const st = strides(shape);
    if (out.length === rank) ref = { shape: out, terms: moved(out, (idx) => idx.reduce((a, v, i) => a + (v + starts[i]) * st[i], 0)) };
  }
  return { name: `slice ${JSON.stringify(shape)} ${JSON.stringify([b, z])}`, operands: [x], call: ([h]) => h.slice(b, z), ref };
}

function gatherCase(r: R): Case {
  const shape = randomShape(r, 0, 3), x = data(r, shape), rank = shape.length;
  const axis = r() < 0.15 ? undefined : pickAxis(r, rank);
  const ax = normAxis(axis ?? 0, rank);
  const d = ax === undefined ? 2 : shape[ax];
  const raw = Array.from({ length: int(r, 5) }, () => pickIndex(r, d));
  const idx = r() < 0.2 ? Int32Array.from(raw.map((v) => (Number.isInteger(v) ? v : 0))) : raw;
  let ref: Case["ref"] = null;
  const norm = Array.from(idx, (i) => (i < 0 ? i + d : i));
  if (ax !== undefined && norm.every((j) => Number.isInteger(j) && j >= 0 && j < d)) {
    const out = shape.map((v, i) => (i === ax ? norm.length : v)), st = strides(shape);
    ref = { shape: out, terms: moved(out, (m) => m.reduce((a, v, i) => a + (i === ax ? norm[v] : v) * st[i], 0)) };
  }
  return { name: `gather ${JSON.stringify(shape)} ${JSON.stringify(Array.from(idx))} axis ${axis}`, operands: [x], call: ([h]) => h.gather(idx, axis), ref };
}

function reshapeCase(r: R): Case {
  const shape = randomShape(r, 0, 3), x = data(r, shape), n = sizeOf(shape);
  let target: number[];
  if (r() < 0.5) {
    // A valid factorisation of n, maybe with one -1.
    target = [];
    let left = n;
    while (left > 1 && target.length < 3) {
      const f = [2, 3, 4, left].find((p) => left % p === 0 && r() < 0.6) ?? left;
      target.push(f), (left /= f);
    }
    if (n === 0) target = r() < 0.5 ? [0, 3] : [2, 0];
    if (target.length && r() < 0.4) target[int(r, target.length)] = -1;
  } else target = Array.from({ length: int(r, 4) }, () => (r() < 0.7 ? int(r, 5) : [-1, -1, -2, 0.5, NaN, 2 ** 40][int(r, 6)]));
  let ref: Case["ref"] = null;
  const free = target.filter((v) => v === -1).length, known = sizeOf(target.filter((v) => v !== -1));
  if (free <= 1 && target.every((v) => v === -1 || (Number.isInteger(v) && v >= 0)) && (!free || (known > 0 && n % known === 0))) {
    const out = target.map((v) => (v === -1 ? n / known : v));
    if (sizeOf(out) === n) ref = { shape: out, terms: Array.from({ length: n }, (_, k) => [k]) };
  }
  return { name: `reshape ${JSON.stringify(shape)} → ${JSON.stringify(target)}`, operands: [x], call: ([h]) => h.reshape(target), ref };
}

function transposeCase(r: R): Case {
  const shape = randomShape(r, 0, 4), x = data(r, shape), rank = shape.length;
  let perm: number[] | undefined;
  if (r() < 0.2) perm = undefined;
  else {
    perm = Array.from({ length: rank }, (_, i) => i).sort(() => r() - 0.5).map((a) => (r() < 0.3 ? a - rank : a));
    if (r() < 0.3) perm[int(r, rank + 1)] = pickAxis(r, rank);
    if (r() < 0.1) perm.push(0);
  }
  const p = perm === undefined ? shape.map((_, i) => rank - 1 - i) : perm.map((a) => normAxis(a, rank));
  let ref: Case["ref"] = null;
  if (p.length === rank && p.every((a) => a !== undefined) && new Set(p).size === rank) {
    const pp = p as number[], out = pp.map((a) => shape[a]), st = strides(shape);
    ref = { shape: out, terms: moved(out, (m) => m.reduce((acc, v, i) => acc + v * st[pp[i]], 0)) };
  }
  return { name: `transpose ${JSON.stringify(shape)} ${JSON.stringify(perm)}`, operands: [x], call: ([h]) => h.transpose(perm), ref };
}

function sumCase(r: R): Case {
  const shape = randomShape(r, 0, 3), x = data(r, shape), rank = shape.length;
  const keep = r() < 0.3;
  const axis = r() < 0.2 ? undefined : r() < 0.5 ? pickAxis(r, rank) : Array.from({ length: int(r, rank + 2) }, () => pickAxis(r, rank));
  const list = axis === undefined ? shape.map((_, i) => i) : (typeof axis === "number" ? [axis] : axis).map((a) => normAxis(a, rank));
  let ref: Case["ref"] = null;
  if (list.every((a) => a !== undefined) && new Set(list).size === list.length) {
    const out = shape.map((d, i) => (list.includes(i) ? 1 : d)), st = strides(shape);
    const terms: number[][] = Array.from({ length: sizeOf(out) }, () => []);
    const ost = strides(out);
    for (let k = 0; k < sizeOf(shape); k++) terms[shape.reduce((a, d, i) => a + (list.includes(i) ? 0 : Math.floor(k / st[i]) % d) * ost[i], 0)].push(k);
    ref = { shape: keep ? out : shape.filter((_, i) => !list.includes(i)), terms };
  }
  return { name: `sum ${JSON.stringify(shape)} axis ${JSON.stringify(axis)} keepDims ${keep}`, operands: [x], call: ([h]) => h.sum(axis, keep), ref };
}

function atCase(r: R): Case {
  const shape = randomShape(r, 0, 3), x = data(r, shape), rank = shape.length, n = sizeOf(shape);
  const flat = r() < 0.3;
  const count = flat ? 1 : r() < 0.1 ? rank + 1 : rank;
  const index = Array.from({ length: count }, (_, i) => pickIndex(r, flat ? n : shape[i] ?? 2));
  const dims = count === 1 && rank !== 1 ? [n] : shape;
  let ref: Case["ref"] = null;
  if (index.length === dims.length) {
    let k = 0;
    for (let d = 0; d < dims.length && k >= 0; d++) {
      const i = index[d] < 0 ? index[d] + dims[d] : index[d];
      k = Number.isInteger(i) && i >= 0 && i < dims[d] ? k * dims[d] + i : -1;
    }
    if (k >= 0) ref = { shape: [], terms: [[k]] };
  }
  const call = ([h]: ad.Tensor<"nd">[]) => (h.at as (...i: number[]) => ad.Scalar)(...index);
  return { name: `at ${JSON.stringify(shape)} ${JSON.stringify(index)}`, operands: [x], call, ref };
}

function joinCase(r: R, stack: boolean): Case {
  const base = randomShape(r, stack ? 0 : 1, 3), rank = base.length, k = 1 + int(r, 3);
  const axis = pickAxis(r, stack ? rank + 1 : rank);
  const axBase = normAxis(axis, stack ? rank + 1 : rank);
  const shapes = Array.from({ length: k }, () => {
    const s = base.slice();
    if (!stack && axBase !== undefined) s[axBase] = int(r, 4);
    if (r() < 0.15) return r() < 0.5 && s.length ? s.map((d) => d + 1) : [...s, 2];
    return s;
  });
  const operands = shapes.map((s) => data(r, s));
  const ax = normAxis(axis, stack ? shapes[0].length + 1 : shapes[0].length); // as adtape reads it: off the first
  let ref: Case["ref"] = null;
  const expanded = stack && ax !== undefined ? shapes.map((s) => [...s.slice(0, ax), 1, ...s.slice(ax)]) : shapes;
  const same = (s: number[]) => s.length === expanded[0].length && s.every((d, i) => i === ax || d === expanded[0][i]);
  const okStack = !stack || shapes.every((s) => s.length === shapes[0].length && s.every((d, i) => d === shapes[0][i]));
  if (ax !== undefined && expanded.every(same) && okStack) {
    const out = expanded[0].map((d, i) => (i === ax ? expanded.reduce((a, s) => a + s[ax], 0) : d));
    const owner: [number, number][] = []; // along the axis: (operand, position)
    expanded.forEach((s, o) => { for (let p = 0; p < s[ax]; p++) owner.push([o, p]); });
    const starts = operands.map((_, o) => operands.slice(0, o).reduce((a, t) => a + t.size, 0));
    ref = { shape: out, terms: moved(out, (m) => {
      const [o, p] = owner[m[ax]], st = strides(expanded[o]);
      return starts[o] + m.reduce((a, v, i) => a + (i === ax ? p : v) * st[i], 0);
    }) };
  }
  const name = `${stack ? "stack" : "concat"} ${JSON.stringify(shapes)} axis ${axis}`;
  return { name, operands, call: (hs) => stack ? ad.stack(hs, axis) : ad.concat(hs, axis), ref };
}

function matmulCase(r: R): Case {
  const dims = () => 1 + int(r, 3);
  const [m, k, n, b] = [dims(), r() < 0.1 ? 0 : dims(), dims(), dims()];
  const ra = int(r, 4), rb = int(r, 4); // ranks 0…3
  const sa = ra === 0 ? [] : ra === 1 ? [k] : ra === 2 ? [m, k] : [b, m, k];
  const sb = rb === 0 ? [] : rb === 1 ? [k] : rb === 2 ? [k, n] : [r() < 0.8 ? b : b + 1, k, n];
  if (r() < 0.2 && sb.length) sb[rb === 3 ? 1 : 0] += 1; // mismatched inner dimensions
  const A = data(r, sa), B = data(r, sb);
  let ref: Case["ref"] = null;
  const a2 = ra === 1 ? [1, ...sa] : sa, b2 = rb === 1 ? [...sb, 1] : sb;
  const batchA = a2.slice(0, -2), batchB = b2.slice(0, -2);
  const batchOk = !batchA.length || !batchB.length || (batchA.length === batchB.length && batchA.every((d, i) => d === batchB[i]));
  if (a2.length >= 2 && b2.length >= 2 && a2[a2.length - 1] === b2[b2.length - 2] && batchOk) {
    const [M, K] = a2.slice(-2), N = b2[b2.length - 1], batch = batchA.length ? batchA : batchB, nb = sizeOf(batch);
    const pairs: [number, number][][] = [];
    for (let q = 0; q < nb; q++)
      for (let i = 0; i < M; i++)
        for (let j = 0; j < N; j++)
          pairs.push(Array.from({ length: K }, (_, t): [number, number] => [(batchA.length ? q * M * K : 0) + i * K + t, A.size + (batchB.length ? q * K * N : 0) + t * N + j]));
    const full = [...batch, M, N];
    ref = { shape: full.filter((_, i) => !((ra === 1 && i === full.length - 2) || (rb === 1 && i === full.length - 1))), matmul: { pairs } };
  }
  return { name: `matmul ${JSON.stringify(sa)} · ${JSON.stringify(sb)}`, operands: [A, B], call: ([a, b]) => a.matmul(b), ref };
}

const makers = [sliceCase, gatherCase, reshapeCase, transposeCase, sumCase, atCase, (r: R) => joinCase(r, false), (r: R) => joinCase(r, true), matmulCase];

/** A random case of any kind. */
export function randomCase(r: R): Case {
  return makers[int(r, makers.length)](r);
}

/** The reference output values and operand gradients (for cotangent `ct`) of a valid case, over its operands' flat data. */
export function reference(c: Case, ct: Float64Array): { values: Float64Array; grads: Float64Array[] } {
  const flat = Float64Array.from(c.operands.flatMap((t) => Array.from(t.data)));
  const g = new Float64Array(flat.length);
  const ref = c.ref!;
  let values: Float64Array;
  if (ref.matmul) {
    values = Float64Array.from(ref.matmul.pairs, (ps) => ps.reduce((s, [i, j]) => s + flat[i] * flat[j], 0));
    ref.matmul.pairs.forEach((ps, k) => ps.forEach(([i, j]) => ((g[i] += ct[k] * flat[j]), (g[j] += ct[k] * flat[i]))));
  } else {
    values = Float64Array.from(ref.terms!, (ts) => ts.reduce((s, i) => s + flat[i], 0));
    ref.terms!.forEach((ts, k) => ts.forEach((i) => (g[i] += ct[k])));
  }
  let at = 0;
  const grads = c.operands.map((t) => g.slice(at, (at += t.size)));
  return { values, grads };
}
