/** @file The wasm32 ceiling: with the memory limit raised to its maximum, tensor and scalar tapes recorded without end reach OutOfMemoryError (never a trap or RangeError) and the next call works. Its own file, so the ~4 GiB of linear memory (which never shrinks) dies with this worker. */
import { describe, it, expect } from "vitest";
import { totalmem, freemem } from "node:os";
import * as ad from "../src/index.js";

const GiB = 2 ** 30;
// Linear memory reaches ~3.7 GiB here; the worker needs that in RAM, besides the JS heap.
const enoughRam = totalmem() >= 8 * GiB && freemem() >= 6 * GiB;
const reason = `needs ≥ 8 GiB RAM and ≥ 6 GiB free (total ${(totalmem() / GiB).toFixed(1)} GiB, free ${(freemem() / GiB).toFixed(1)} GiB)`;
if (!enoughRam) console.log(`stress-limit: skipped, ${reason}`);

/** Records `step` on the tape until it throws; returns what it threw and how many steps it took. */
function recordUntilThrow<H>(step: (x: H) => H, x0: unknown): { caught: unknown; steps: number } {
  let steps = 0;
  let caught: unknown;
  try {
    ad.grad((x: H) => {
      for (;;) {
        x = step(x);
        steps++;
      }
    })(x0 as never);
  } catch (e) {
    caught = e;
  }
  return { caught, steps };
}

function report(label: string, steps: number, ms: number, caught: unknown): void {
  const s = ad.memoryStats();
  console.log(
    `${label}: ${steps} steps in ${ms.toFixed(0)} ms, then ${(caught as Error)?.constructor?.name}: ${(caught as Error)?.message}\n` +
      `  bytes in use ${(s.bytesInUse / GiB).toFixed(3)} GiB, high-water ${(s.highWater / GiB).toFixed(3)} GiB, ` +
      `Wasm memory ${(s.wasmBytes / GiB).toFixed(3)} GiB, most nodes ${s.maxNodes}`,
  );
}

describe.skipIf(!enoughRam)("near the wasm32 limit (4 GiB of linear memory)", () => {
  it("tensor and scalar tapes end in OutOfMemoryError at the maximum limit, and the next call works", () => {
    ad.setMemoryLimit(2 ** 32); // clamped to 4 GiB − 64 MiB
    const limit = 2 ** 32 - 2 ** 26;
    try {
      // Tensor arenas: 16 MB of values and adjoints per op, so the ceiling is a few hundred ops away.
      const n = 2 ** 20;
      let t0 = performance.now();
      const tensorRun = recordUntilThrow((x: ad.Tensor<"nd">) => x.mul(1.0000001), ad.tensor(new Float64Array(n).fill(1), [n]));
      report("tensor tape", tensorRun.steps, performance.now() - t0, tensorRun.caught);
      expect(tensorRun.caught).toBeInstanceOf(ad.OutOfMemoryError);
      expect(tensorRun.steps).toBeGreaterThan(50); // well past the 2 GiB default's reach of arenas
      expect(ad.grad((x: ad.Tensor<"nd">) => x.mul(x).sum())(ad.tensor([1, 2, 3])).data).toEqual(new Float64Array([2, 4, 6]));

      // Scalar records: 33 bytes a node, the tape grown by 1.2× until a grow would pass the limit.
      t0 = performance.now();
      const scalarRun = recordUntilThrow((x: ad.Scalar) => x.mul(1.0000001), 1);
      report("scalar tape", scalarRun.steps, performance.now() - t0, scalarRun.caught);
      expect(scalarRun.caught).toBeInstanceOf(ad.OutOfMemoryError);
      expect((scalarRun.caught as ad.OutOfMemoryError).limitBytes).toBe(limit);
      expect(scalarRun.steps).toBeGreaterThan(2 ** 25);

      // The next normal calls work and the figures are sane: within the limit and the 4 GiB address space.
      expect(ad.grad((x: ad.Scalar) => x.mul(x).sin())(0.5)).toBeAllclose(Math.cos(0.25));
      expect(ad.grad((x: ad.Tensor<"nd">) => x.square().sum())(ad.tensor([1, -2])).data).toEqual(new Float64Array([2, -4]));
      const s = ad.memoryStats();
      expect(s.bytesInUse).toBeGreaterThan(0);
      expect(s.bytesInUse).toBeLessThanOrEqual(limit);
      expect(s.highWater).toBeLessThanOrEqual(limit);
      expect(s.bytesInUse).toBeLessThanOrEqual(s.wasmBytes);
      expect(s.wasmBytes).toBeLessThanOrEqual(2 ** 32);
      expect(s.maxNodes).toBeGreaterThanOrEqual(scalarRun.steps);
    } finally {
      ad.setMemoryLimit(2 ** 31);
    }
  });
});
