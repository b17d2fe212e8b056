// The fuzzer's long run (issue 8): `npm run fuzz -- --seed N --seconds S` runs the properties of test/fuzz.test.ts
// for a time budget with a given seed (scalar and tensor programs, first and second order, and the symbolic baseline),
// then the mutant sweep, and prints the statistics; exits 1 on any disagreement, printing the shrunk program.
// It bundles test/fuzz/run.ts with esbuild (packages left external), so Node runs it without a TS loader.
import { build } from "esbuild";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL, fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = fileURLToPath(new URL("..", import.meta.url));
const { values } = parseArgs({
  options: { seed: { type: "string", default: String(Date.now() % 2 ** 31) }, seconds: { type: "string", default: "60" } },
});
const seed = Number(values.seed), seconds = Number(values.seconds);
if (!Number.isInteger(seed) || !(seconds > 0)) {
  console.error("usage: npm run fuzz -- --seed <integer> --seconds <positive number>");
  process.exit(2);
}
if (!existsSync(join(root, "src/wasm-bytes.ts")) || !existsSync(join(root, "test/fuzz/testing-wasm-bytes.ts"))) {
  console.error("src/wasm-bytes.ts or test/fuzz/testing-wasm-bytes.ts is missing: run `npm run build` first");
  process.exit(2);
}

// The bundle imports fast-check and mathjs by name, so it lives under the project's node_modules to find them.
const dir = join(root, "node_modules/.cache/adtape-fuzz");
mkdirSync(dir, { recursive: true });
/** Bundles test/fuzz/run.ts to `name` and imports it; with `testing`, on the engine with the mutant hook
 * (build/testing.wasm: src/wasm-bytes.js resolved to test/fuzz/testing-wasm-bytes.ts), else on the release one. */
async function bundle(name, testing) {
  const outfile = join(dir, name);
  const engine = { name: "testing-engine", setup: (b) => b.onResolve({ filter: /wasm-bytes\.js$/ }, () => ({ path: join(root, "test/fuzz/testing-wasm-bytes.ts") })) };
  await build({ entryPoints: [join(root, "test/fuzz/run.ts")], bundle: true, platform: "node", format: "esm", packages: "external", outfile, logLevel: "error", plugins: testing ? [engine] : [] });
  return import(pathToFileURL(outfile).href);
}
const fuzz = await bundle("run.mjs", false);

const FIRST = { first: true, second: false, symbolic: false }, SECOND = { first: false, second: true, symbolic: false };
const parts = [
  ["scalar programs, first order: value, grad vs Richardson, jvp, jacobian/jacfwd/jacrev, compiled replay", FIRST, 0.45, 12, false],
  ["scalar programs, second order: hessian, hvp, nested grad-of-grad, differences of grad", SECOND, 0.2, 12, false],
  ["tensor programs, first order", FIRST, 0.2, 10, true],
  ["tensor programs, second order", SECOND, 0.1, 10, true],
  ["symbolic baseline (mathjs)", { first: false, second: false, symbolic: true }, 0.05, 4, false],
];
let failed = false;
console.log(`adtape fuzz: seed ${seed}, ${seconds} s`);
for (const [title, modes, share, maxGenes, tensor] of parts) {
  const r = fuzz.runFuzz({ seed, seconds: seconds * share, maxGenes, modes, tensor });
  console.log(`\n${title}\n${fuzz.statsTable(r, tensor ? fuzz.TENSOR_GENE_OPS : fuzz.GENE_OPS)}`);
  if (r.failure) {
    failed = true;
    console.log(`\ncounterexample (add it to test/fuzz/regressions.ts once fixed):\n${fuzz.describeFailure(r.failure)}`);
  }
}
const mutants = await bundle("run-mutants.mjs", true);
for (const tensor of [false, true]) {
  const sweep = mutants.mutantSweep(seed, 200, FIRST, tensor);
  const escaped = sweep.filter((m) => !m.caught).map((m) => `${m.mutant.op}/∂${m.mutant.which}`);
  console.log(`\nmutants caught in ${tensor ? "tensor" : "scalar"} programs ${sweep.length - escaped.length}/${sweep.length}; escaped: ${escaped.join(", ") || "none"}`);
}
process.exit(failed ? 1 : 0);
