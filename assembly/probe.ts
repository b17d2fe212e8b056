/** @file The streaming probe (bench only): a loop that moves the reverse sweep's bytes per node with no dependency between nodes.
 *
 * Owned by the benchmark (bench/run.mjs). `reverse` in ./sweep.ts, per node i from `top` down to 1,
 * reads adj[i], a[i], b[i], da[i], db[i], writes adj[i], and read-modify-writes adj[a[i]] and adj[b[i]].
 * `streamProbe` touches the same arrays in the same order and amount — reads adj[i], a[i], b[i],
 * da[i], db[i] and adj[i - 1] (a streaming stand-in for the operand adjoints), writes adj[i] — but no
 * node waits on another's result and no address depends on a loaded index, so its time is the
 * memory-bandwidth (streaming) limit of that traffic. It leaves junk in the adjoints (even Inf/NaN
 * after repeated calls): clear them before a real sweep.
 */
import { H_A, H_B, H_DA, H_DB, H_ADJ, field, f64At, i32At } from "./layout";

/** Streams over nodes `top`..1 of tape `t`, reading and writing the reverse sweep's bytes per node. */
export function streamProbe(t: usize, top: i32): void {
  const a = field(t, H_A), b = field(t, H_B);
  const da = field(t, H_DA), db = field(t, H_DB), adj = field(t, H_ADJ);
  for (let i = top; i > 0; i--) {
    const pg = f64At(adj, i);
    const g = load<f64>(pg);
    const ia = load<i32>(i32At(a, i)), ib = load<i32>(i32At(b, i));
    const s = load<f64>(f64At(da, i)) * g + load<f64>(f64At(db, i)) * g + load<f64>(f64At(adj, i - 1));
    // The indices feed the stored value (so their loads stay), but no address.
    store<f64>(pg, s + <f64>(ia ^ ib));
  }
}
