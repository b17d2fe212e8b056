// The fuzzer's long run (issue 8): `npm run fuzz -- --seed N --seconds S` runs the properties of test/fuzz.test.ts
// for a time budget with a given seed (first order, second order and the symbolic baseline share it 6 : 3 : 1),
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
if (!existsSync(join(root, "src/wasm-bytes.ts"))) {
  console.error("src/wasm-bytes.ts is missing: run `npm run build` first");
  process.exit(2);
}

// The bundle imports fast-check and mathjs by name, so it lives under the project's node_modules to find them.
const dir = join(root, "node_modules/.cache/adtape-fuzz");
mkdirSync(dir, { recursive: true });
const out = join(dir, "run.mjs");
await build({ entryPoints: [join(root, "test/fuzz/run.ts")], bundle: true, platform: "node", format: "esm", packages: "external", outfile: out, logLevel: "error" });
const fuzz = await import(pathToFileURL(out).href);

const parts = [
  ["first order: value, grad vs Richardson, jvp, jacobian/jacfwd/jacrev, compiled replay", { first: true, second: false, symbolic: false }, 0.6, 12],
  ["second order: hessian, hvp, nested grad-of-grad, differences of grad", { first: false, second: true, symbolic: false }, 0.3, 12],
  ["symbolic baseline (mathjs)", { first: false, second: false, symbolic: true }, 0.1, 4],
];
let failed = false;
console.log(`adtape fuzz: seed ${seed}, ${seconds} s`);
for (const [title, modes, share, maxGenes] of parts) {
  const r = fuzz.runFuzz({ seed, seconds: seconds * share, maxGenes, modes });
  console.log(`\n${title}\n${fuzz.statsTable(r, fuzz.GENE_OPS)}`);
  if (r.failure) {
    failed = true;
    console.log(`\ncounterexample (add it to test/fuzz/regressions.ts once fixed):\n${fuzz.describeFailure(r.failure)}`);
  }
}
const sweep = fuzz.mutantSweep(seed, 200, parts[0][1]);
const escaped = sweep.filter((m) => !m.caught).map((m) => `${m.mutant.op}/∂${m.mutant.which}`);
console.log(`\nmutants caught ${sweep.length - escaped.length}/${sweep.length}; escaped: ${escaped.join(", ") || "none"}`);
process.exit(failed ? 1 : 0);
