/** @file Tensor programs for the fuzzer: the input vector reshaped to an r × c matrix, the scalar ops applied
 * elementwise with NumPy broadcasting, and sum/mean (all or one axis), matmul, transpose, reshape and slice; run
 * with adtape's tensor ops and with a small plain-JS tensor evaluator written here. */
import * as ad from "../../src/index.js";

/** A plain-JS tensor: its shape and row-major elements. */
export interface T {
  shape: number[];
  data: number[];
}

/** The tensor-only ops a program node may use. */
export const TENSOR_OPS = ["sum", "mean", "matmul", "transpose", "reshape", "slice"] as const;

/** A tensor-only op's name. */
export type TensorOpName = (typeof TENSOR_OPS)[number];

/** Whether `op` is a tensor-only op. */
export function isTensorOp(op: string): op is TensorOpName {
  return (TENSOR_OPS as readonly string[]).includes(op);
}

const size = (s: number[]) => s.reduce((a, d) => a * d, 1);

/** The broadcast shape of `shapes` (NumPy rules), or undefined where they do not fit. */
export function broadcastShape(shapes: number[][]): number[] | undefined {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let k = 0; k < rank; k++) {
    const ds = shapes.map((s) => s[s.length - rank + k] ?? 1);
    const d = Math.max(...ds);
    if (ds.some((e) => e !== 1 && e !== d)) return undefined;
    out.push(d);
  }
  return out;
}

/** Applies f elementwise to broadcast operands (numbers are scalars); also returns each element's operands. */
export function broadcast(args: (T | number)[], f: (...a: number[]) => number): { out: T; each: number[][] } {
  const ts = args.map((a) => (typeof a === "number" ? { shape: [], data: [a] } : a));
  const shape = broadcastShape(ts.map((t) => t.shape));
  if (!shape) throw new Error(`shapes do not broadcast: ${ts.map((t) => `[${t.shape}]`).join(" ")}`);
  const data: number[] = [], each: number[][] = [];
  for (let i = 0; i < size(shape); i++) {
    const idx: number[] = [];
    for (let k = shape.length - 1, r = i; k >= 0; k--) (idx[k] = r % shape[k]), (r = Math.floor(r / shape[k]));
    const a = ts.map((t) => {
      let off = 0;
      for (let k = 0; k < t.shape.length; k++) off = off * t.shape[k] + (t.shape[k] === 1 ? 0 : idx[shape.length - t.shape.length + k]);
      return t.data[off];
    });
    each.push(a);
    data.push(f(...a));
  }
  return { out: { shape, data }, each };
}

/** A tensor-only op in plain JS (`axis` for sum and mean: -1 for all; `shape` for reshape). */
export function tensorJs(op: TensorOpName, a: T, b: T | undefined, axis: number, shape: number[]): T {
  const [r, c] = a.shape.length === 2 ? a.shape : [1, a.shape[0] ?? 1];
  const at = (i: number, j: number) => a.data[i * c + j];
  const reduceBy = (mean: boolean): T => {
    if (axis < 0 || a.shape.length === 0) return { shape: [], data: [a.data.reduce((s, v) => s + v, 0) / (mean ? a.data.length : 1)] };
    if (a.shape.length === 1) return reduceAll(a, mean);
    const out = axis === 0 ? Array.from({ length: c }, (_, j) => Array.from({ length: r }, (_, i) => at(i, j))) : Array.from({ length: r }, (_, i) => Array.from({ length: c }, (_, j) => at(i, j)));
    return { shape: [out.length], data: out.map((row) => row.reduce((s, v) => s + v, 0) / (mean ? row.length : 1)) };
  };
  switch (op) {
    case "sum": return reduceBy(false);
    case "mean": return reduceBy(true);
    case "transpose": return { shape: [c, r], data: Array.from({ length: r * c }, (_, k) => at(k % r, Math.floor(k / r))) };
    case "reshape": return { shape, data: a.data.slice() };
    case "slice": return a.shape.length === 2 ? { shape: [r - 1, c], data: a.data.slice(c) } : { shape: [a.data.length - 1], data: a.data.slice(1) };
    case "matmul": {
      const m = b!.shape[1];
      const data = Array.from({ length: r * m }, (_, k) => {
        let s = 0;
        for (let j = 0; j < c; j++) s += at(Math.floor(k / m), j) * b!.data[j * m + (k % m)];
        return s;
      });
      return { shape: [r, m], data };
    }
  }
}

function reduceAll(a: T, mean: boolean): T {
  return { shape: [], data: [a.data.reduce((s, v) => s + v, 0) / (mean ? a.data.length : 1)] };
}

/** A tensor-only op with adtape. */
export function tensorAd(op: TensorOpName, a: ad.Tensor<"nd">, b: ad.Tensor<"nd"> | undefined, axis: number, shape: number[]): ad.Tensor<"nd"> {
  const all = axis < 0 || a.shape.length < 2;
  switch (op) {
    case "sum": return (all ? ad.sum(a) : ad.sum(a, axis)) as ad.Tensor<"nd">;
    case "mean": return (all ? ad.mean(a) : ad.mean(a, axis)) as ad.Tensor<"nd">;
    case "transpose": return ad.transpose(a) as ad.Tensor<"nd">;
    case "reshape": return ad.reshape(a, shape) as ad.Tensor<"nd">;
    case "slice": return ad.slice(a, a.shape.length === 2 ? [1, 0] : [1], a.shape.length === 2 ? [a.shape[0] - 1, a.shape[1]] : [a.shape[0] - 1]) as ad.Tensor<"nd">;
    case "matmul": return ad.matmul(a, b!) as ad.Tensor<"nd">;
  }
}
