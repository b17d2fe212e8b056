/** @file Builds the browser page: bundles app.mjs with esbuild as a user's bundler would (adtape resolved through
 * the package's own `exports`, so dist/ must be built first) into <outDir>/app.js, and copies index.html beside it.
 * Run: node examples/browser/build.mjs [outDir]   (default examples/browser/dist, gitignored)
 */
import { build } from "esbuild";
import { copyFile, mkdir } from "node:fs/promises";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");

/** Bundles the page into outDir (relative paths resolve against the repo root) and returns the absolute outDir. */
export async function buildPage(outDir = "examples/browser/dist") {
  const out = resolve(root, outDir);
  if (!existsSync(join(root, "dist", "index.js"))) throw new Error("dist/index.js is missing: build the package first (npm run build)");
  await mkdir(out, { recursive: true });
  await build({
    entryPoints: [join(here, "app.mjs")],
    outfile: join(out, "app.js"),
    absWorkingDir: root,
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    legalComments: "none",
    logLevel: "warning",
  });
  await copyFile(join(here, "index.html"), join(out, "index.html"));
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const out = await buildPage(process.argv[2]);
  console.log(`built ${out}/index.html and app.js`);
}
