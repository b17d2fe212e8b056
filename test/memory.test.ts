/** @file Constant memory: 10⁵ repeated grad calls after warm-up keep Wasm memory and the JS heap flat (node --expose-gc). */
import { describe, it, expect } from "vitest";
import { execFileSync } from "node:child_process";

const root = new URL("..", import.meta.url).pathname;

describe("constant memory", () => {
  it("10⁵ grad calls keep Wasm memory, tape bytes and the JS heap (after gc) flat", () => {
    const out = execFileSync(process.execPath, ["--expose-gc", "test/fixtures/constant-memory.mjs"], { cwd: root, encoding: "utf8" });
    const points = JSON.parse(out) as { wasm: number; heap: number; tape: number }[];
    expect(points).toHaveLength(11);
    const [first, ...rest] = points;
    for (const p of rest) {
      expect(p.wasm).toBe(first.wasm); // linear memory never grows after warm-up
      expect(p.tape).toBe(first.tape); // the tape region is reused as is
    }
    // The JS heap after a full GC may wobble by a little (inline caches, code); a leak of even one
    // handle per call would add ≥ 2 MB over 10⁵ calls.
    const heapGrowth = Math.max(...rest.map((p) => p.heap)) - first.heap;
    expect(heapGrowth).toBeLessThan(512 * 1024);
  });
});
