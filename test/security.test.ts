/** @file Security review of the boundary: no eval or new Function in the shipped code (src/, dist/), the engine's only import, npm audit of runtime dependencies, and a seeded fuzz of shapes, bounds, indices and axes with canary tensors around each kernel (test/security/boundary.ts makes the cases). */
import { describe, it, expect } from "vitest";
import { readFileSync, readdirSync, existsSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { execFile } from "node:child_process";
import ts from "typescript";
import * as ad from "../src/index.js";
import { wasmBase64 } from "../src/wasm-bytes.js";
import type { Region } from "../src/region.js";
import { rng } from "./helpers.js";
import { randomCase, reference, type Case } from "./security/boundary.js";

const CASES = 5000;
const root = new URL("..", import.meta.url).pathname;

function files(dir: string, ext: RegExp): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p, ext) : ext.test(f) && !f.endsWith(".d.ts") ? [p] : [];
  });
}

/** Every construct that evaluates a string as code, found in the syntax tree (comments and strings are not code). */
function codeFromStrings(path: string): string[] {
  const src = ts.createSourceFile(path, readFileSync(path, "utf8"), ts.ScriptTarget.Latest, true);
  const hits: string[] = [];
  const at = (n: ts.Node, what: string) => hits.push(`${relative(root, path)}:${src.getLineAndCharacterOfPosition(n.getStart()).line + 1}: ${what}`);
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n) && n.text === "eval") at(n, "eval");
    if (ts.isNewExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === "Function") at(n, "new Function");
    if (ts.isCallExpression(n)) {
      const callee = n.expression, arg = n.arguments[0];
      if (ts.isIdentifier(callee) && callee.text === "Function") at(n, "Function(…)");
      if (ts.isIdentifier(callee) && /^(setTimeout|setInterval|setImmediate)$/.test(callee.text) && arg && !ts.isArrowFunction(arg) && !ts.isFunctionExpression(arg) && !ts.isIdentifier(arg))
        at(n, `${callee.text} with a non-function`);
      if (callee.kind === ts.SyntaxKind.ImportKeyword && !(arg && ts.isStringLiteral(arg))) at(n, "import() of a non-literal");
      if (ts.isPropertyAccessExpression(callee) && callee.name.text === "constructor") at(n, ".constructor(…) (Function by another name)");
    }
    if (ts.isStringLiteral(n) && /^(eval|Function)$/.test(n.text)) at(n, `the string "${n.text}"`);
    ts.forEachChild(n, visit);
  };
  visit(src);
  return hits;
}

describe("no code from strings", () => {
  const shipped = [...files(join(root, "src"), /\.ts$/), ...files(join(root, "dist"), /\.js$/)];

  it("src/ and dist/ contain no eval, new Function, Function(), string timers or import() of a non-literal", () => {
    expect(shipped.length).toBeGreaterThan(20);
    const hits = shipped.flatMap(codeFromStrings);
    expect(hits).toEqual([]); // no allowlist needed: the one Wasm compiler is checked below
  });

  it("the scanner finds each construct it looks for (checked on a file of them)", () => {
    const sample = join(root, "test/security/eval-sample.txt");
    expect(codeFromStrings(sample).map((h) => h.replace(/^.*: /, ""))).toEqual([
      "eval",
      "new Function",
      "Function(…)",
      "setTimeout with a non-function",
      "import() of a non-literal",
      ".constructor(…) (Function by another name)",
      'the string "eval"',
    ]);
  });

  it("Wasm is compiled only from the embedded engine and the fusion emitter, and the engine imports one function", () => {
    const sites = shipped.filter((p) => /WebAssembly\.(Module|instantiate|compile|instantiateStreaming|compileStreaming)\b/.test(readFileSync(p, "utf8")));
    expect(sites.map((p) => relative(root, p).replace(/^dist\/(.*)\.js$/, "src/$1.ts")).sort().filter((p, i, a) => a.indexOf(p) === i)).toEqual([
      "src/tensor/loops.ts", // generated elementwise loops (emit.ts writes the bytes; CSP needs 'wasm-unsafe-eval')
      "src/wasm.ts", // the engine, from the base64 in wasm-bytes.ts
    ]);
    const engine = new WebAssembly.Module(Uint8Array.from(atob(wasmBase64), (ch) => ch.charCodeAt(0)));
    expect(WebAssembly.Module.imports(engine)).toEqual([{ module: "env", name: "fusedRun", kind: "function" }]);
  });
});

describe("dependencies", () => {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

  it("package.json has no runtime dependencies; mathjs is an optional peer", () => {
    expect(pkg.dependencies ?? {}).toEqual({});
    expect(pkg.optionalDependencies ?? {}).toEqual({});
    expect(Object.keys(pkg.peerDependencies ?? {})).toEqual(["mathjs"]);
    expect(pkg.peerDependenciesMeta?.mathjs?.optional).toBe(true);
    expect(pkg.scripts?.preinstall ?? pkg.scripts?.install ?? pkg.scripts?.postinstall).toBeUndefined();
  });

  it("npm audit --omit=dev reports no vulnerabilities (skipped when the registry is unreachable)", async (ctx) => {
    const { out, err } = await new Promise<{ out: string; err: string }>((resolve) =>
      execFile("npm", ["audit", "--omit=dev", "--json"], { cwd: root, timeout: 45_000 }, (_e, out, err) => resolve({ out, err })),
    );
    let report: { metadata?: { vulnerabilities?: Record<string, number> }; error?: { code?: string; summary?: string } };
    try {
      report = JSON.parse(out);
    } catch {
      report = { error: { summary: (err || out || "no output").slice(0, 300) } };
    }
    if (!report.metadata) {
      const reason = `npm audit could not reach the registry's audit endpoint: ${report.error?.code ?? ""} ${report.error?.summary ?? ""}`.trim();
      console.log(`security: skipped, ${reason}`);
      ctx.skip(reason);
    }
    console.log(`npm audit --omit=dev: ${JSON.stringify(report.metadata!.vulnerabilities)}`);
    expect(report.metadata!.vulnerabilities!.total).toBe(0);
  }, 60_000);
});

/** Snapshot of a compiled tape's arrays in linear memory (its records, presets and tensor arenas). */
function snapshot(c: ad.Compiled<never, never>): Uint8Array[] {
  const reg = (c as unknown as { region: Region }).region;
  return [reg.op, reg.a, reg.b, reg.val, reg.da, reg.db, reg.pre, reg.tv, reg.meta].map((v) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice());
}

describe("no shape, index or length reaches outside its tensor", () => {
  it(`${CASES} random slice/gather/reshape/transpose/sum/at/concat/stack/matmul calls: the reference result or InputError/ShapeError; canaries intact`, () => {
    const r = rng(8);
    const t0 = performance.now();
    // A compiled tape recorded before the fuzz: its memory must come out byte-identical.
    const cx = ad.tensor([[1, 2, 3], [4, 5, 6]]);
    const held = ad.compile((m: ad.Tensor<"nd">) => m.transpose().matmul(m).sin().sum(), cx);
    const heldGrad = held.grad(cx).data.slice();
    const before = snapshot(held as never);
    const tally: Record<string, [number, number]> = {};
    let compiled = 0;
    for (let n = 0; n < CASES; n++) {
      const c = randomCase(r);
      const kind = c.name.split(" ")[0];
      tally[kind] ??= [0, 0];
      tally[kind][c.ref ? 0 : 1]++;
      const pre = ad.tensor(Float64Array.from({ length: 1 + (n % 7) }, (_, i) => 1000 + i), [1 + (n % 7)]);
      const post = ad.tensor(Float64Array.from({ length: 1 + (n % 5) }, (_, i) => -1000 - i), [1 + (n % 5)]);
      const guard = Float64Array.from({ length: 8 }, (_, i) => 0.25 * i - 7);
      const f = (x: { pre: ad.Tensor<"nd">; xs: ad.Tensor<"nd">[]; post: ad.Tensor<"nd"> }) => {
        const y = c.call(x.xs);
        // Written into the value arena as recorded, after y's slot and before y's kernel runs.
        const fence = ad.add(x.post, ad.tensor(guard.slice(0, x.post.size), x.post.shape));
        return [y, x.pre.mul(2), fence] as const;
      };
      const input = { pre, xs: c.operands, post };
      const check = (run: () => readonly unknown[], how: string) => {
        let out: readonly unknown[];
        try {
          out = run();
        } catch (e) {
          if (c.ref || !(e instanceof ad.InputError || e instanceof ad.ShapeError))
            expect.fail(`${how} ${c.name}: threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
          return;
        }
        if (!c.ref) expect.fail(`${how} ${c.name}: expected InputError or ShapeError, returned ${JSON.stringify(out![0])}`);
        const [y, yPre, yFence, g] = out as [ad.TensorData | number, ad.TensorData, ad.TensorData, { pre: ad.TensorData; xs: ad.TensorData[]; post: ad.TensorData }];
        const ct = Float64Array.from({ length: typeof y === "number" ? 1 : y.size }, (_, i) => 1 + i / 8);
        const want = reference(c, ct);
        const values = typeof y === "number" ? [y] : y.data;
        if (typeof y !== "number") expect(y.shape, `${how} ${c.name}`).toEqual(c.ref.shape);
        else expect(c.ref.shape).toEqual([]);
        expect(values, `${how} ${c.name}`).toBeAllclose(want.values, { rtol: 1e-14, atol: 1e-14 });
        expect(yPre.data).toEqual(pre.data.map((v) => 2 * v));
        expect(yFence.data).toEqual(post.data.map((v, i) => v + guard[i]));
        g.xs.forEach((gx, i) => expect(gx.data, `${how} ${c.name} ∂x${i}`).toBeAllclose(want.grads[i], { rtol: 1e-14, atol: 1e-14 }));
        expect(g.pre.data).toEqual(pre.data.map(() => 2 * 0.5));
        expect(g.post.data).toEqual(post.data.map(() => 0.25));
      };
      const cts = (y: unknown) => [
        typeof y === "number" ? 1 : ad.tensor(Float64Array.from({ length: (y as ad.TensorData).size }, (_, i) => 1 + i / 8), (y as ad.TensorData).shape),
        ad.tensor(pre.data.map(() => 0.5), pre.shape),
        ad.tensor(post.data.map(() => 0.25), post.shape),
      ];
      check(() => {
        const [y, pullback] = ad.vjp(f as never)(input as never) as unknown as [unknown[], (ct: unknown) => unknown];
        return [...y, pullback(cts(y[0]) as never)];
      }, "vjp");
      if (c.ref && n % 5 === 0) {
        compiled++;
        check(() => {
          const tape = ad.compile(f as never, input as never);
          try {
            const y = tape.value(input as never) as unknown as unknown[];
            return [...y, tape.vjp(input as never, cts(y[0]) as never)];
          } finally {
            tape.dispose();
          }
        }, "compiled");
      }
    }
    const after = snapshot(held as never);
    after.forEach((bytes, i) => expect(bytes, `compiled canary array ${i}`).toEqual(before[i]));
    expect(held.grad(cx).data).toEqual(heldGrad);
    held.dispose();
    const rows = Object.entries(tally).map(([op, [ok, bad]]) => ({ op, valid: ok, invalid: bad }));
    console.log(`boundary fuzz: ${CASES} cases (${compiled} also compiled) in ${(performance.now() - t0).toFixed(0)} ms`);
    console.table(rows);
    for (const { valid, invalid } of rows) expect(Math.min(valid, invalid)).toBeGreaterThan(20);
  });
});
