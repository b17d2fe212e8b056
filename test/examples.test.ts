/** @file Smoke tests for what a newcomer runs first: the demo script (in its quick mode) and the README's example, word for word. */
import { describe, it, expect } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ts from "typescript";

const root = new URL("..", import.meta.url).pathname;

describe("examples", () => {
  const outDir = mkdtempSync(join(tmpdir(), "adtape-lesson-"));
  let out = "";

  it("examples/lesson.mjs (npm run demo) runs and agrees with its closed forms", () => {
    out = execFileSync(process.execPath, ["examples/lesson.mjs", "--quick", "--out", outDir], { cwd: root, encoding: "utf8" });
    const line = (label: string) => out.split("\n").find((l) => l.startsWith(label))!;
    const nums = (l: string) => l.slice(34).trim().split(/\s+/).map(Number);
    for (const label of ["d/dx log(x)·sin²(x)", "d/dx exp(tanh(x))", "d/dx (while y<100"]) {
      const [adtape, closed, central] = nums(line(label));
      expect(adtape).toBeAllclose(closed, { rtol: 1e-14 });
      expect(central).toBeAllclose(closed, { rtol: 1e-6 });
    }
    expect(nums(line("d/dx where(x>0, √x, 0) at 0"))).toEqual([0, 0]);
    expect(out).toMatch(/max relative difference \d/);
  });

  it("the demo writes every figure as SVG and an index.html that shows them all", () => {
    const ids = ["training-loss", "training-time", "training-predictions", "fd-error", "swell"];
    const files = readdirSync(outDir);
    for (const id of ids) expect(files).toContain(`${id}.svg`);
    expect(files.some((f) => f.startsWith("cost") && f.endsWith(".svg"))).toBe(true);
    const html = readFileSync(join(outDir, "index.html"), "utf8");
    for (const f of files.filter((f) => f.endsWith(".svg"))) {
      expect(html).toContain(`src="${f}"`);
      const svg = readFileSync(join(outDir, f), "utf8");
      expect(svg.startsWith("<svg")).toBe(true);
      expect(svg).toMatch(/<text[^>]*>[^<]+<\/text>/); // axis titles and legends are text
    }
  });

  it("the demo's claims that do not depend on timing hold (even at quick sizes)", () => {
    const claims = out.split("\n").filter((l) => /\s(PASS|MISS)$/.test(l));
    expect(claims.length).toBeGreaterThanOrEqual(10);
    const untimed = ["interior best h near 1e-8", "error rises on both sides", "exact to rounding", "raw symbolic derivative grows exponentially", "tape grows linearly", "train identically", "train alike", "lowers the loss"];
    for (const key of untimed) {
      const line = claims.find((l) => l.includes(key));
      expect(line, key).toBeDefined();
      expect(line, line).toMatch(/PASS$/);
    }
  });

  it("the README's ten-line example compiles and runs as written", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const block = readme.match(/## Ten lines\s+```ts\n([\s\S]*?)```/)![1];
    const js = ts.transpileModule(block + "\nconsole.log(JSON.stringify([ad.grad(f)(2.5), value, Array.from(gradient.slice(0, 2))]));", {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", js], { cwd: root, encoding: "utf8" });
    const [g, value, grad2] = JSON.parse(out) as [number, number, number[]];
    expect(g).toBeAllclose(Math.sin(2.5) ** 2 / 2.5 + 2 * Math.log(2.5) * Math.sin(2.5) * Math.cos(2.5), { rtol: 1e-14 });
    expect(value).toBeAllclose(500 * (100 * 0.25 ** 2 + 0.25), { rtol: 1e-14 }); // 500 pairs at x = 0.5
    // ∂/∂x₀ = -400 x₀(x₁ - x₀²) - 2(1 - x₀) = -400·0.5·0.25 - 1 = -51; ∂/∂x₁ = 200(x₁ - x₀²) = 50
    expect(grad2).toEqual([-51, 50]);
  });
});
