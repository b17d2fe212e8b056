/** @file Shape arithmetic for tensor ops: sizes, row-major strides, NumPy broadcasting, axis normalisation, and collapsing a broadcast walk to few axes. Every check a user's shape or index can reach lives here or at the op. */
import { ShapeError, InputError } from "../errors.js";

/** Most axes a tensor may have (the kernels' odometers hold 64). */
export const MAX_RANK = 32;

/** `[2, 3]` for messages. */
export function fmt(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/** Whether x is an array of numbers with no holes (`every` skips a sparse array's holes, which read as undefined). */
export function isNumberArray(x: unknown): x is number[] {
  if (!Array.isArray(x)) return false;
  for (let i = 0; i < x.length; i++) if (typeof x[i] !== "number") return false;
  return true;
}

/** Number of elements of a shape (1 for []). */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Checks that `shape` is a list of non-negative integer dimensions, within the rank and element limits; returns a copy. */
export function checkShape(shape: unknown, path = "shape"): number[] {
  if (!Array.isArray(shape)) throw new InputError(`expected a shape (an array of dimensions), got ${typeof shape}`, path);
  if (shape.length > MAX_RANK) throw new InputError(`at most ${MAX_RANK} axes, got ${shape.length}`, path);
  for (const d of shape) {
    if (typeof d !== "number" || !Number.isInteger(d) || d < 0) throw new InputError(`dimensions must be non-negative integers, got ${fmt(shape)}`, path);
  }
  if (sizeOf(shape) > 2 ** 28) throw new InputError(`a tensor of shape ${fmt(shape)} has more than 2^28 elements`, path);
  return shape.slice();
}

/** Row-major strides (in elements) of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let k = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = k;
    k *= shape[d];
  }
  return s;
}

/** The NumPy broadcast of two shapes, or a ShapeError naming both. */
export function broadcastShapes(a: readonly number[], b: readonly number[], op: string): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1, db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new ShapeError(`${op}: shapes ${fmt(a)} and ${fmt(b)} do not broadcast (axis ${i}: ${da} vs ${db})`);
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides of an operand of shape `s` read along the broadcast shape `out` (0 on broadcast axes). */
export function broadcastStrides(s: readonly number[], out: readonly number[]): number[] {
  const own = stridesOf(s);
  return out.map((_, i) => {
    const k = i - (out.length - s.length);
    return k < 0 || s[k] === 1 ? 0 : own[k];
  });
}

/** Merges axes that every operand walks contiguously (and drops length-1 axes): fewer, longer inner runs
 * for the kernels. Always returns at least one axis. */
export function collapse(dims: readonly number[], strides: readonly (readonly number[])[]): { dims: number[]; strides: number[][] } {
  const od: number[] = [];
  const os: number[][] = strides.map(() => []);
  for (let d = 0; d < dims.length; d++) {
    if (dims[d] === 1) continue;
    const last = od.length - 1;
    if (last >= 0 && strides.every((s, k) => os[k][last] === s[d] * dims[d])) {
      od[last] *= dims[d];
      strides.forEach((s, k) => (os[k][last] = s[d]));
    } else {
      od.push(dims[d]);
      strides.forEach((s, k) => os[k].push(s[d]));
    }
  }
  if (od.length === 0) return { dims: [1], strides: strides.map(() => [0]) };
  return { dims: od, strides: os };
}

/** An axis in [-rank, rank) as a non-negative index, or an InputError. */
export function normAxis(axis: number, rank: number, op: string): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new InputError(`${op}: axis ${axis} is out of range for a tensor of rank ${rank}`, "axis");
  }
  return axis < 0 ? axis + rank : axis;
}
