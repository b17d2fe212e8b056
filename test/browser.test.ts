/**
 * @file The built package in a real browser: a tiny node:http server on 127.0.0.1 serves dist/ and an inline page;
 * Debian's Chromium (driven by playwright-core) imports /dist/index.js, checks that using the API before
 * `await init()` throws AdError NOT_INITIALISED, then initialises and computes the two lesson examples, which must
 * match their closed forms. The page must make no request outside the server (no .wasm fetch: the engine is
 * embedded) and log no console error. Skipped without /usr/bin/chromium unless CI is set (CI must run it:
 * `apt-get install -y chromium`). Needs `npm run build` first (npm test does it).
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromiumGate, closeSession, openSession, startServer, type PageLog, type Session, type TestServer } from "./browser-harness.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
const { skip, title } = chromiumGate("browser", "browser: the built package in headless Chromium");

/**
 * The page: imports the package, records what using it before init does, initialises, computes the examples and
 * leaves plain numbers/arrays in `window.__adResult` (or the error in `window.__adFailure`).
 */
const PAGE = `<!doctype html>
<html>
<head><meta charset="utf-8"><title>adtape browser test</title><link rel="icon" href="data:,"></head>
<body>
<script type="module">
  try {
    const ad = await import("/dist/index.js");
    const before = {};
    try {
      const g = ad.grad((x) => ad.mul(x, x))(3);
      before.threw = false;
      before.value = g;
    } catch (e) {
      before.threw = true;
      before.name = e && e.name;
      before.code = e && e.code;
      before.isAdError = e instanceof ad.AdError;
      before.message = String(e && e.message);
    }
    await ad.init();
    await ad.init(); // idempotent
    const g1 = ad.grad((x) => ad.mul(ad.log(x), ad.square(ad.sin(x))))(1.3);
    const [v2, g2] = ad.valueAndGrad((v) => ad.add(ad.mul(v.at(0), v.at(1)), ad.sin(v.at(0))))([2, 3]);
    window.__adResult = {
      before,
      g1,
      v2,
      g2: Array.from(g2),
      g2IsFloat64Array: g2 instanceof Float64Array,
      hasWebAssembly: typeof WebAssembly === "object",
    };
  } catch (e) {
    window.__adFailure = String(e && e.stack || e);
  }
</script>
</body>
</html>`;

interface PageResult {
  before: { threw: boolean; value?: number; name?: string; code?: string; isAdError?: boolean; message?: string };
  g1: number;
  v2: number;
  g2: number[];
  g2IsFloat64Array: boolean;
  hasWebAssembly: boolean;
}

describe.skipIf(skip)(title, () => {
  let server: TestServer | undefined;
  let session: Session | undefined;
  let origin = "";
  let served: string[] = [];
  let { requests, consoleErrors, pageErrors, failedRequests }: PageLog = { requests: [], consoleErrors: [], consoleWarnings: [], pageErrors: [], failedRequests: [] };
  let result: PageResult | undefined;
  let loadError: string | undefined;

  /** Everything the page reported, for assertion messages. */
  const diagnostics = () =>
    JSON.stringify({ loadError, pageErrors, consoleErrors, failedRequests, requests, served }, null, 2);

  beforeAll(async () => {
    if (!existsSync(join(dist, "index.js"))) throw new Error(`${dist}/index.js is missing: run \`npm run build\` first`);

    // "/" (the page) and files under /dist/ from the repo's dist/, nothing else.
    server = await startServer({ pages: { "/": PAGE, "/index.html": PAGE }, dirs: { "/dist/": dist } });
    ({ origin, served } = server);
    session = await openSession();
    ({ requests, consoleErrors, pageErrors, failedRequests } = session.log);
    const { page } = session;

    try {
      const resp = await page.goto(`${origin}/`, { waitUntil: "load", timeout: 30_000 });
      if (!resp?.ok()) throw new Error(`page load: HTTP ${resp?.status()}`);
      await page.waitForFunction("window.__adResult !== undefined || window.__adFailure !== undefined", null, {
        timeout: 30_000,
      });
      const failure = (await page.evaluate("window.__adFailure")) as string | undefined;
      if (failure !== undefined) throw new Error(`in the page: ${failure}`);
      result = (await page.evaluate("window.__adResult")) as PageResult;
    } catch (e) {
      loadError = String((e as Error)?.stack ?? e);
    }
  }, 60_000);

  afterAll(async () => {
    await closeSession(session);
    await server?.close();
  }, 60_000);

  it("loads the page and the package without errors", () => {
    expect(loadError, diagnostics()).toBeUndefined();
    expect(result, diagnostics()).toBeDefined();
    expect(result!.hasWebAssembly).toBe(true);
    expect(pageErrors, diagnostics()).toEqual([]);
    expect(consoleErrors, diagnostics()).toEqual([]);
    expect(failedRequests, diagnostics()).toEqual([]);
  });

  it("using the API before `await init()` throws AdError NOT_INITIALISED", () => {
    expect(result, diagnostics()).toBeDefined();
    const b = result!.before;
    expect(b.threw, `grad ran before init and gave ${b.value}`).toBe(true);
    expect(b.code, JSON.stringify(b)).toBe("NOT_INITIALISED");
    expect(b.isAdError, JSON.stringify(b)).toBe(true);
    expect(b.message).toMatch(/init/);
  });

  it("after init, grad of log(x)·sin²(x) at 1.3 equals the closed form", () => {
    expect(result, diagnostics()).toBeDefined();
    const x = 1.3;
    const closed = Math.sin(x) ** 2 / x + 2 * Math.log(x) * Math.sin(x) * Math.cos(x);
    expect(result!.g1).toBeAllclose(closed, { rtol: 1e-14 });
    expect(result!.g1).toBeAllclose(0.8494371203149007, { rtol: 1e-14 });
  });

  it("after init, valueAndGrad of x0·x1 + sin(x0) at [2, 3] equals the closed form", () => {
    expect(result, diagnostics()).toBeDefined();
    expect(result!.v2).toBeAllclose(6 + Math.sin(2), { rtol: 1e-14 });
    expect(result!.g2IsFloat64Array).toBe(true);
    expect(result!.g2).toBeAllclose([3 + Math.cos(2), 2], { rtol: 1e-14 });
  });

  it("made requests only to the test server, and fetched no .wasm file", () => {
    expect(requests.length, diagnostics()).toBeGreaterThan(0);
    const foreign = requests.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith("data:"));
    expect(foreign, diagnostics()).toEqual([]);
    expect(requests.filter((u) => /\.wasm(\?|$)/.test(u)), diagnostics()).toEqual([]);
    expect(served).toContain("/");
    expect(served).toContain("/dist/index.js");
    expect(served).toContain("/dist/wasm-bytes.js");
    // Everything the page asked for was served from /, /index.html or /dist/.
    expect(served.filter((p) => p !== "/" && p !== "/index.html" && !p.startsWith("/dist/")), diagnostics()).toEqual([]);
  });
});
