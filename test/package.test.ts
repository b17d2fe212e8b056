/**
 * @file The built package as a consumer sees it: `import("adtape")` self-resolves through package.json "exports"
 * to dist/index.js, initSync/init work, a gradient through the package matches its closed form, the public named
 * exports and dist/index.d.ts are there, `npm pack --dry-run` ships dist/ and nothing of node_modules, build/ or
 * test/, and a plain `node -e` child uses the package without calling init (lazy synchronous init in Node).
 * Needs `npm run build` first (npm test does it).
 */
import { describe, it, expect, beforeAll } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const distIndex = join(root, "dist", "index.js");

/** log(x)·sin²(x) and its derivative sin²x/x + 2 log x sin x cos x. */
const closedForm = (x: number) => Math.sin(x) ** 2 / x + 2 * Math.log(x) * Math.sin(x) * Math.cos(x);

type Pkg = typeof import("adtape");
type Scalar = import("adtape").Scalar;
type Tensor = import("adtape").Tensor;
let ad: Pkg;

beforeAll(async () => {
  if (!existsSync(distIndex)) throw new Error(`${distIndex} is missing: run \`npm run build\` first`);
  ad = await import("adtape");
});

describe("resolution of the package by its own name", () => {
  it("resolves `adtape` to dist/index.js through package.json exports (ESM and CJS resolvers)", () => {
    const want = pathToFileURL(distIndex).href;
    // Node's own ESM resolver, run in a child so that vitest's resolver is not the one being asked.
    const esm = execFileSync(process.execPath, ["--input-type=module", "-e", "console.log(import.meta.resolve('adtape'))"], {
      cwd: root,
      encoding: "utf8",
    }).trim();
    expect(esm).toBe(want);
    // The CommonJS resolver uses the same "exports" map ("node"/"default" conditions).
    const require = createRequire(join(root, "package.json"));
    expect(pathToFileURL(require.resolve("adtape")).href).toBe(want);
  });

  it("the module `import(\"adtape\")` gave this test is dist/index.js itself (same module instance)", async () => {
    const direct: Pkg = await import(/* @vite-ignore */ pathToFileURL(distIndex).href);
    expect(ad.grad).toBe(direct.grad);
    expect(ad.init).toBe(direct.init);
  });
});

describe("loading", () => {
  it("initSync() works and is idempotent", () => {
    expect(ad.initSync()).toBeUndefined();
    expect(() => ad.initSync()).not.toThrow();
    const g = ad.grad((x: Scalar) => ad.mul(x, x))(3);
    expect(g).toBe(6);
    ad.initSync(); // a third call must not re-instantiate and break the next computation
    expect(ad.grad((x: Scalar) => ad.mul(x, x))(3)).toBe(6);
  });

  it("init() resolves (also after initSync)", async () => {
    await expect(ad.init()).resolves.toBeUndefined();
  });
});

describe("computing through the package", () => {
  it("grad of log(x)·sin²(x) equals the closed form", () => {
    const f = (x: Scalar) => ad.mul(ad.log(x), ad.square(ad.sin(x)));
    expect(ad.grad(f)(1.3)).toBeAllclose(closedForm(1.3), { rtol: 1e-14 });
    expect(ad.grad(f)(1.3)).toBeAllclose(0.8494371203149007, { rtol: 1e-14 });
  });

  it("valueAndGrad of x0·x1 + sin(x0) at [2, 3]", () => {
    const [v, g] = ad.valueAndGrad((h: Tensor) => ad.add(ad.mul(h.at(0), h.at(1)), ad.sin(h.at(0))))([2, 3]);
    expect(v).toBeAllclose(6 + Math.sin(2), { rtol: 1e-14 });
    expect(g).toBeInstanceOf(Float64Array);
    expect(g).toBeAllclose([3 + Math.cos(2), 2], { rtol: 1e-14 });
  });
});

describe("public surface", () => {
  it("has the documented named exports", () => {
    for (const name of ["grad", "valueAndGrad", "init", "initSync", "setMemoryLimit", "memoryStats"] as const) {
      expect(typeof ad[name], name).toBe("function");
    }
    expect(typeof ad.ops).toBe("object");
    expect(typeof ad.ops.sin).toBe("function");
    expect(ad.ops.sin).toBe(ad.sin);
    const errors = [
      "AdError", "InputError", "ShapeError", "OutputError", "StaleHandleError", "BranchChanged",
      "OutOfMemoryError", "NaNError",
    ] as const;
    for (const name of errors) {
      expect(typeof ad[name], name).toBe("function");
      expect(ad[name] === ad.AdError || ad[name].prototype instanceof ad.AdError, `${name} extends AdError`).toBe(true);
    }
  });

  it("dist/index.d.ts exists and declares grad", () => {
    const dts = join(root, "dist", "index.d.ts");
    expect(existsSync(dts)).toBe(true);
    const text = readFileSync(dts, "utf8");
    // Either declared in place or re-exported from a module that declares it.
    expect(text).toMatch(/export\s*(declare\s+function\s+grad\b|\{[^}]*\bgrad\b[^}]*\})/);
    const m = /export\s*\{[^}]*\bgrad\b[^}]*\}\s*from\s*["'](\.[^"']+)\.js["']/.exec(text);
    if (m) {
      const target = readFileSync(join(root, "dist", `${m[1]}.d.ts`), "utf8");
      expect(target).toMatch(/export\s+declare\s+function\s+grad\s*</);
    }
  });
});

describe("npm pack", () => {
  it("ships dist/ (js and d.ts) and no node_modules, build/ or test/ files", () => {
    const out = execFileSync("npm", ["pack", "--dry-run", "--json"], {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 60_000,
    });
    // --json prints one JSON array; anything a lifecycle script printed before it is skipped.
    const report = JSON.parse(out.slice(out.indexOf("["))) as Array<{ files: Array<{ path: string }> }>;
    expect(report).toHaveLength(1);
    const paths = report[0].files.map((f) => f.path.replace(/\\/g, "/"));
    for (const want of ["dist/index.js", "dist/index.d.ts", "dist/wasm-bytes.js", "package.json"]) {
      expect(paths, want).toContain(want);
    }
    const bad = paths.filter((p) => /(^|\/)node_modules\//.test(p) || p.startsWith("build/") || p.startsWith("test/"));
    expect(bad).toEqual([]);
  });
});

describe("plain node consumer", () => {
  it("uses the package without calling init (lazy synchronous init in Node)", () => {
    const script = [
      "import * as ad from 'adtape';",
      "const g = ad.grad((x) => ad.mul(ad.log(x), ad.square(ad.sin(x))))(1.3);",
      "const [v, gv] = ad.valueAndGrad((h) => ad.add(ad.mul(h.at(0), h.at(1)), ad.sin(h.at(0))))([2, 3]);",
      "console.log(JSON.stringify({ url: import.meta.resolve('adtape'), g, v, gv: Array.from(gv) }));",
    ].join("\n");
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: root,
      encoding: "utf8",
      timeout: 30_000,
    });
    const r = JSON.parse(out.trim().split("\n").at(-1)!) as { url: string; g: number; v: number; gv: number[] };
    expect(r.url).toBe(pathToFileURL(distIndex).href);
    expect(r.g).toBeAllclose(closedForm(1.3), { rtol: 1e-14 });
    expect(r.v).toBeAllclose(6 + Math.sin(2), { rtol: 1e-14 });
    expect(r.gv).toBeAllclose([3 + Math.cos(2), 2], { rtol: 1e-14 });
  });
});
