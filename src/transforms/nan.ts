/**
 * @file `checkNaN` (as JAX's `debug_nans`, but only for NaNs that matter): after f is recorded, a NaN in f's value
 * is traced back through NaN operands to the op that made it from finite ones; after a pullback, a NaN in the
 * gradient is traced to the derivative rule that made it. Either ends in a `NaNError` naming that op. A NaN that
 * reaches neither (the branch `where` did not take) raises nothing. Off by default: it reads the tape in JS.
 */
import { type Trace } from "../trace.js";
import { type Region } from "../region.js";
import { Op, opName, evalRow } from "../ops.js";
import { TOp } from "../tensor/codes.js";
import { TensorData } from "../tensor/handle.js";
import { NaNError } from "../errors.js";

const CONST = 0, INPUT = 1;
const KERNEL_NAMES: Record<number, string> = Object.fromEntries(Object.entries(TOp).map(([k, v]) => [v, k.toLowerCase()]));

/** The path of the first NaN in a plain input tree, or undefined. */
export function nanPath(x: unknown, path = "x"): string | undefined {
  if (typeof x === "number") return Number.isNaN(x) ? path : undefined;
  const data = x instanceof TensorData ? x.data : x;
  if (data instanceof Float64Array || (Array.isArray(data) && data.every((v) => typeof v === "number"))) {
    const i = Array.prototype.findIndex.call(data, Number.isNaN);
    return i < 0 ? undefined : `${path}[${i}]`;
  }
  if (Array.isArray(x)) for (const [i, c] of x.entries()) { const p = nanPath(c, `${path}[${i}]`); if (p) return p; }
  else if (typeof x === "object" && x !== null) for (const k of Object.keys(x)) { const p = nanPath((x as Record<string, unknown>)[k], `${path}.${k}`); if (p) return p; }
  return undefined;
}

/** The name of node i's op: a scalar op, an elementwise map's op, or a kernel. */
function nameOf(t: Trace, i: number): string {
  const code = t.region.op[i]; // the region's views: the trace's may be stale once it has ended
  if (code === INPUT) return "input";
  if (code === CONST) return "constant";
  if (code === TOp.Map) return opName[t.metaOf(i, 2)] ?? "map";
  return code < 128 ? (opName[code] ?? `op ${code}`) : (KERNEL_NAMES[code] ?? `kernel ${code}`);
}

/** What the walk reads: the scalar nodes' column and the tensor arena, of values (or of tangents). */
interface Columns {
  readonly val: Float64Array;
  readonly tv: Float64Array;
}

/** Whether the arena column holds a NaN in [off, off + count). */
function arenaNaN(c: Columns, off: number, count: number): boolean {
  for (let k = off; k < off + count; k++) if (Number.isNaN(c.tv[k])) return true;
  return false;
}

/** The kernel nodes whose outputs hold a NaN inside the arena range [off, off + count). */
function producers(t: Trace, c: Columns, off: number, count: number): number[] {
  const found: number[] = [];
  for (let k = 0; k < t.outputs.length; k += 3) {
    const [node, o, n] = [t.outputs[k], t.outputs[k + 1], t.outputs[k + 2]];
    const lo = Math.max(o, off), hi = Math.min(o + n, off + count);
    if (lo < hi && arenaNaN(c, lo, hi - lo)) found.push(node);
  }
  return found;
}

/** The nodes holding NaN that node i's NaN came from, or null when i made it from finite operands (or reads unknown). */
function nanOperands(t: Trace, c: Columns, i: number): number[] | null {
  const code = t.op[i];
  if (code === CONST || code === INPUT || code === TOp.Const) return null;
  let from: number[];
  if (code < 128) from = [t.a[i], t.b[i]].filter((j) => j >= 0 && j !== i && Number.isNaN(c.val[j]));
  else if (code === TOp.Pack) {
    const [size, first] = [t.metaOf(i, 1), t.metaOf(i, 2)];
    from = Array.from({ length: size }, (_, k) => first + k).filter((j) => Number.isNaN(c.val[j]));
  } else if (code === TOp.Item) from = producers(t, c, t.metaOf(i, 0) + t.metaOf(i, 1), 1);
  else {
    from = [];
    for (let k = 0; k < t.reads.length; k += 4) if (t.reads[k] === i) from.push(...producers(t, c, t.reads[k + 1], t.reads[k + 2]));
    if (!from.length && t.readsUnknown) return null;
  }
  return from.length ? from : null;
}

/** The first node (in recording order) on a path of NaNs in column c to a NaN output, or -1 when no output is NaN. */
function nanSource(t: Trace, c: Columns, outs: readonly number[]): number {
  const stack = outs.filter((o) => o >= 0 && Number.isNaN(c.val[o]));
  if (!stack.length) return -1;
  const seen = new Set<number>();
  let source = Infinity;
  while (stack.length) {
    const i = stack.pop()!;
    if (seen.has(i)) continue;
    seen.add(i);
    const from = nanOperands(t, c, i);
    if (from) stack.push(...from);
    else source = Math.min(source, i);
  }
  return source;
}

/** Throws NaNError when an output of f is NaN, naming the first op (in recording order) on a NaN path to it. */
export function checkValueNaN(t: Trace, outs: readonly number[], x: unknown): void {
  const source = nanSource(t, { val: t.val, tv: t.region.tv }, outs);
  if (source < 0) return;
  const op = nameOf(t, source);
  // A constant operand is stored in the node itself and forgotten once computed: the op, evaluated again at
  // its node operands' values, then gives a number, not NaN.
  const code = t.op[source];
  const inlineConstant = code > INPUT && code < 128 && code !== Op.Custom && !Number.isNaN(evalRow(code, t.val[t.a[source]], t.val[t.b[source]])[0]);
  const detail = op === "input" ? `the input ${nanPath(x) ?? "(a leaf)"} is NaN`
    : op === "constant" ? "a constant in f is NaN"
    : `from operands that are not NaN${inlineConstant ? " (so it was its constant operand: a NaN constant in f)" : ""}`;
  throw new NaNError(op, source, `${detail}; f's value is NaN`);
}

/** Throws NaNError when jvp's output tangent holds a NaN, naming the first op on a path of NaN tangents to it. */
export function checkTangentNaN(t: Trace, outs: readonly number[], dot: Float64Array, arena: Float64Array, v: unknown): void {
  const source = nanSource(t, { val: dot, tv: arena }, outs);
  if (source < 0) return;
  const op = nameOf(t, source);
  const detail = op === "input" ? `the tangent ${nanPath(v, "v") ?? "(a leaf)"} is NaN` : "its derivative times its operands' tangents (none NaN) is not finite";
  throw new NaNError(op, source, `${detail}; the output tangent is NaN`);
}

/** Throws NaNError when the gradient `g` (a plain tree) holds a NaN though f's value did not, naming the derivative rule that made it. */
export function checkGradientNaN(t: Trace, r: Region, top: number, g: unknown): void {
  if (nanPath(g, "gradient") === undefined) return;
  let k = top;
  while (k >= 0 && !(r.op[k] < 128 && Number.isNaN(r.adj[k]))) k--;
  for (let j = k + 1; k >= 0 && j <= top; j++) {
    if (r.op[j] >= 128 || r.adj[j] === 0) continue;
    for (const [operand, d, which] of [[r.a[j], r.da[j], "x"], [r.b[j], r.db[j], "y"]] as const) {
      if (operand === k && !Number.isFinite(r.adj[j] * d)) {
        throw new NaNError(nameOf(t, j), j, `its derivative ∂/∂${which} = ${d} times the adjoint ${r.adj[j]} flowing into it is ${r.adj[j] * d}, which made the gradient of node ${k} NaN`);
      }
    }
  }
  throw new NaNError(k >= 0 ? nameOf(t, k) : "gradient", k, `the gradient of ${nanPath(g, "gradient")} is NaN though f's value is not: ∞ − ∞ or 0 · ∞ in a derivative rule`);
}
