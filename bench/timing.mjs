// Timing shared by the benchmark suites: tinybench medians, with sub-20 µs calls batched per sample.
import { Bench } from "tinybench";

/** Milliseconds tinybench spends on each task (BENCH_TIME overrides). */
export const TASK_MS = Number(process.env.BENCH_TIME ?? 700);

/** Every result feeds this sink, so the engine cannot drop a call whose result is unused. */
export const sink = { value: 0 };

/** Median ms per call of `fn`. Calls under ~20 µs are batched (reps per sample) so the timer's own
 * cost does not dominate; the median of the batch times is divided by the batch size. */
export async function median(fn, ms = TASK_MS) {
  fn();
  let t0 = performance.now();
  fn();
  const once = performance.now() - t0;
  const reps = once < 0.02 ? Math.min(1000, Math.ceil(0.05 / Math.max(once, 1e-4))) : 1;
  const slow = once > 50;
  if (!slow) warm(fn, 100); // see `warm`
  const run = typeof fn() === "number"
    ? () => { for (let r = 0; r < reps; r++) sink.value += fn(); }
    : () => { for (let r = 0; r < reps; r++) sink.value += fn()?.length ?? 1; };
  const bench = new Bench({
    time: slow ? Math.min(ms, 300) : ms,
    iterations: slow ? 3 : 64,
    warmupTime: slow ? 0 : Math.min(100, ms / 4),
    warmupIterations: slow ? 1 : 16,
    timestampProvider: "hrtimeNow",
    throws: true,
  });
  bench.add("task", run);
  await bench.run();
  return bench.tasks[0].result.latency.p50 / reps;
}

/** Runs fn for 250 ms first: V8 starts Wasm in its baseline tier and swaps in optimised code once a function is
 * hot, which takes longer than tinybench's warm-up on this 2-core machine. */
export function warm(fn, ms = 250) {
  const end = performance.now() + ms;
  do fn();
  while (performance.now() < end);
}

/** A row's ms per f and per gradient, its grad/f, and its gradient time ÷ a reference's (`vsRef`), each the
 * median over alternating rounds: this shared machine drifts, and a drift then hits both sides of a ratio. */
export async function measure(row, refGrad, rounds = 5) {
  warm(row.f);
  warm(row.grad);
  const fs = [], gs = [], gf = [], vs = [];
  for (let r = 0; r < rounds; r++) {
    const f = await median(row.f, TASK_MS / rounds);
    const g = await median(row.grad, TASK_MS / rounds);
    const b = refGrad ? await median(refGrad, TASK_MS / rounds) : g;
    fs.push(f);
    gs.push(g);
    gf.push(g / f);
    vs.push(g / b);
  }
  return { fMs: mid(fs), gMs: mid(gs), gradF: mid(gf), vsRef: mid(vs), g: row.grad() };
}
const mid = (xs) => xs.slice().sort((p, q) => p - q)[xs.length >> 1];
