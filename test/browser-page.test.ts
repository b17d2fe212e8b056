/**
 * @file The browser example page (examples/browser/) in headless Chromium: built with its own buildPage() into a
 * temporary directory, served from 127.0.0.1 and driven through its documented hook `window.adtapeDemo` with the
 * animation off (`?autoplay=0`). It checks that the page trains the lesson's classifier to exactly the W that the
 * same compiled/sgd loop reaches in Node, that its gradients (classifier and every preset expression) equal Node's,
 * that bad text becomes a message in the page, that Start/Pause/Reset drive the animation, and that the page stays
 * quiet and local (no console or page error, no request elsewhere, no .wasm fetch). It saves a screenshot to
 * artifacts/browser-page.png. Skipped without /usr/bin/chromium unless CI is set; needs the package's dist/
 * (npm test builds it first).
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as ad from "../src/index.js";
import { fromExpression } from "../src/baselines/symbolic.js";
import { chromiumGate, closeSession, foreignRequests, openSession, startServer, type Session, type TestServer } from "./browser-harness.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const SCREENSHOT = join(root, "artifacts", "browser-page.png");
/** Steps the test trains for: the loss has fallen by about half by then. */
const K = 200;
const { skip, title } = chromiumGate("browser-page", "browser page: examples/browser in headless Chromium");

type Pkg = typeof ad;
interface LessonData { N: number; X: Float64Array; Y: Float64Array; W0: Float64Array }
interface Model {
  LR: number;
  lessonData(N?: number): LessonData;
  adtapeCost(d: LessonData): (W: ad.Tensor<"nd">) => ad.Tensor<"nd">;
  accuracy(W: ArrayLike<number>, d: LessonData): number;
}
interface TrainState { step: number; loss: number; accuracy: number; W: number[] }
type Analysis = { variables: string[]; value: number; gradient: number | number[]; central: number | number[]; error?: undefined } | { error: string };
/** The page's test hook, as app.mjs documents it. */
interface Demo {
  ready: Promise<void>;
  trainSteps(k: number): Promise<TrainState>;
  state(): TrainState & { running: boolean };
  reset(): Promise<TrainState>;
  costGradient(W?: number[]): number[];
  presets: { text: string; point: string }[];
  choosePreset(i: number): Promise<void>;
  gradientOf(text: string, x: number | number[]): Analysis;
}

declare global {
  interface Window {
    adtapeDemo: Demo;
  }
}

describe.skipIf(skip)(title, () => {
  let server: TestServer | undefined;
  let session: Session | undefined;
  let outDir: string | undefined;
  let pkg: Pkg;
  let model: Model;
  let loadError: string | undefined;

  const diagnostics = () => JSON.stringify({ loadError, log: session?.log, served: server?.served }, null, 2);

  beforeAll(async () => {
    if (!existsSync(join(root, "dist", "index.js"))) throw new Error(`${root}/dist/index.js is missing: run \`npm run build\` first`);
    // The same instance of adtape that examples/lesson/model.mjs imports ("adtape", the built package), so the
    // classifier's tensors and transforms come from one engine.
    pkg = (await import("adtape")) as unknown as Pkg;
    model = (await import(new URL("../examples/lesson/model.mjs", import.meta.url).href)) as Model;
    const { buildPage } = (await import(new URL("../examples/browser/build.mjs", import.meta.url).href)) as { buildPage(out?: string): Promise<string> };
    outDir = await mkdtemp(join(tmpdir(), "adtape-page-"));
    await buildPage(outDir);
    server = await startServer({ dirs: { "/": outDir } });
    session = await openSession({ width: 1280, height: 1000 });
    try {
      const resp = await session.page.goto(`${server.origin}/?autoplay=0`, { waitUntil: "load", timeout: 30_000 });
      if (!resp?.ok()) throw new Error(`page load: HTTP ${resp?.status()}`);
      await session.page.evaluate("window.adtapeDemo.ready");
    } catch (e) {
      loadError = String((e as Error)?.stack ?? e);
    }
  }, 90_000);

  afterAll(async () => {
    await closeSession(session);
    await server?.close();
    if (outDir) await rm(outDir, { recursive: true, force: true });
  }, 60_000);

  it("loads and initialises adtape", async () => {
    expect(loadError, diagnostics()).toBeUndefined();
    const s = await session!.page.evaluate(() => window.adtapeDemo.state());
    expect(s.step).toBe(0);
    expect(s.running, "?autoplay=0 must keep the animation paused").toBe(false);
    expect(await session!.page.getAttribute("body", "data-ready")).toBe("true");
  });

  it("the classifier's gradient at W0 equals Node's ad.grad(adtapeCost(data))", async () => {
    const data = model.lessonData();
    const node = (pkg.grad(model.adtapeCost(data))(pkg.tensor(data.W0, [2, 2])) as unknown as ad.TensorData).data;
    const page = await session!.page.evaluate(() => window.adtapeDemo.costGradient());
    expect(page).toBeAllclose(node, { rtol: 1e-12, atol: 1e-12 });
  });

  it(`training lowers the loss and raises accuracy, and W after ${K} steps equals the W of the same loop in Node`, async () => {
    const before = await session!.page.evaluate(() => window.adtapeDemo.state());
    const after = await session!.page.evaluate((k) => window.adtapeDemo.trainSteps(k), K);
    expect(after.step).toBe(K);
    expect(after.loss, `loss ${before.loss} → ${after.loss}`).toBeLessThan(0.7 * before.loss);
    expect(after.accuracy, `accuracy ${before.accuracy} → ${after.accuracy}`).toBeGreaterThan(before.accuracy + 0.2);
    expect(after.accuracy).toBeGreaterThan(0.95);

    // The page's loop, in Node: compile once, write the gradient in place, step with sgd.
    const data = model.lessonData();
    const compiled = pkg.compile(model.adtapeCost(data), pkg.tensor(data.W0, [2, 2]));
    const W = pkg.tensor(data.W0, [2, 2]);
    const g = pkg.tensor(new Float64Array(4), [2, 2]);
    const opt = pkg.sgd({ lr: model.LR });
    const state = opt.init(W);
    expect(before.loss).toBeAllclose((compiled.value(W) as ad.TensorData).data[0], { rtol: 1e-12 });
    for (let i = 0; i < K; i++) {
      compiled.grad(W, g);
      opt.step(W, g, state);
    }
    expect(after.W).toBeAllclose(W.data, { rtol: 1e-12, atol: 1e-12 });
    expect(after.loss).toBeAllclose((compiled.value(W) as ad.TensorData).data[0], { rtol: 1e-12 });
    expect(after.accuracy).toBe(model.accuracy(W.data, data));
    compiled.dispose();

    // The text beside the charts shows the same step.
    expect(await session!.page.textContent("#t-step")).toBe(String(K));
  });

  it("each preset's value and gradient equal Node's fromExpression + ad.valueAndGrad, at two points each", async () => {
    const presets = await session!.page.evaluate(() => window.adtapeDemo.presets);
    const texts = presets.map((p) => p.text);
    for (const required of ["x^2 + sqrt(x + 3)", "log(x) * sin(x)^2", "tanh(x) * exp(-x^2/2)", "sin(x0) * x1 + x0^2"]) expect(texts).toContain(required);
    expect(texts.some((t) => (t.match(/4\*/g) ?? []).length >= 3), "the logistic map applied 3 times").toBe(true);
    let checked = 0;
    for (const { text } of presets) {
      const { f, variables } = fromExpression(text);
      const n = variables.length;
      const points: (number | number[])[] = n === 1 ? [0.3, 1.7] : [Array.from({ length: n }, (_, i) => 1 + i), Array.from({ length: n }, (_, i) => 1.3 * i - 0.4)];
      for (const x of points) {
        const page = await session!.page.evaluate(([t, p]) => window.adtapeDemo.gradientOf(t, p), [text, x] as const);
        if (page.error !== undefined) throw new Error(`${text} at ${x}: ${page.error}`);
        const [value, grad] = ad.valueAndGrad(f)(typeof x === "number" ? x : Float64Array.from(x));
        const where = `${text} at ${JSON.stringify(x)}`;
        expect(page.variables, where).toEqual(variables);
        expect(page.value, where).toBeAllclose(value, { rtol: 1e-12, atol: 1e-12 });
        expect(page.gradient, where).toBeAllclose(typeof grad === "number" ? grad : Array.from(grad as Float64Array), { rtol: 1e-12, atol: 1e-12 });
        // The central differences beside them are the rough check the page shows: close, not equal.
        expect(page.central, where).toBeAllclose(page.gradient, { rtol: 1e-5, atol: 1e-6 });
        checked++;
      }
    }
    expect(checked).toBe(2 * presets.length);
  });

  it("bad text shows a message in the page, and the explorer keeps working afterwards", async () => {
    const page = session!.page;
    const bad = await session!.page.evaluate(() => window.adtapeDemo.gradientOf("x +* 2", 1));
    expect(bad.error, JSON.stringify(bad)).toMatch(/\S/);
    expect("value" in bad).toBe(false);

    const errorShown = () => page.waitForFunction(() => !document.getElementById("fn-error")!.hidden, null, { timeout: 10_000 });
    const errorGone = () => page.waitForFunction(() => document.getElementById("fn-error")!.hidden, null, { timeout: 10_000 });
    await page.fill("#expr", "x +* 2");
    await errorShown();
    expect(await page.textContent("#fn-error")).toMatch(/\S/);
    await page.fill("#expr", "nosuchfunction(x)");
    await page.waitForFunction(() => /nosuchfunction/.test(document.getElementById("fn-error")!.textContent ?? ""), null, { timeout: 10_000 });

    await page.fill("#expr", "x^3");
    await page.fill("#point", "2");
    await errorGone();
    expect(await page.textContent("#fn-value")).toBe((8).toFixed(12));
    expect(await page.textContent("#fn-rows")).toContain((12).toFixed(15));
    await page.fill("#point", "two");
    await errorShown();
    expect(await page.textContent("#fn-error")).toMatch(/point/);

    const good = await session!.page.evaluate(() => window.adtapeDemo.gradientOf("x^3", 2));
    expect(good).toMatchObject({ variables: ["x"], value: 8, gradient: 12 });
  });

  it("Start runs the animation, Pause stops it, Reset goes back to W0", async () => {
    const page = session!.page;
    const data = model.lessonData();
    await page.click("#btn-start");
    await page.waitForFunction(() => window.adtapeDemo.state().step > 20, null, { timeout: 20_000 });
    await page.click("#btn-pause");
    const paused = await page.evaluate(() => window.adtapeDemo.state());
    expect(paused.running).toBe(false);
    await page.waitForTimeout(200);
    expect((await page.evaluate(() => window.adtapeDemo.state())).step, "no steps after Pause").toBe(paused.step);
    await page.click("#btn-reset");
    await page.waitForFunction(() => window.adtapeDemo.state().step === 0, null, { timeout: 10_000 });
    expect((await page.evaluate(() => window.adtapeDemo.state())).W).toEqual(Array.from(data.W0));
    expect(await page.textContent("#t-step")).toBe("0");
  });

  it("saves a screenshot of the trained page to artifacts/browser-page.png", async () => {
    const page = session!.page;
    await page.evaluate(() => window.adtapeDemo.choosePreset(1)); // log(x)·sin²(x): a curve with some shape to it
    expect(await page.isHidden("#fn-error")).toBe(true);
    await page.evaluate((k) => window.adtapeDemo.trainSteps(k), K); // resolves once the charts are redrawn
    await mkdir(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    const { size } = await stat(SCREENSHOT);
    expect(size, `${SCREENSHOT} is only ${size} bytes`).toBeGreaterThan(50_000);
    // Each chart drew onto its canvas, of a real size.
    const canvases = await page.$$eval("canvas", (cs) => cs.map((c) => [c.width, c.height]));
    expect(canvases.length).toBe(3);
    for (const [w, h] of canvases) expect(w * h).toBeGreaterThan(200 * 200);
  });

  it("stayed quiet and local throughout: no console or page error, no request elsewhere, no .wasm fetch", () => {
    const log = session!.log;
    expect(log.pageErrors, diagnostics()).toEqual([]);
    expect(log.consoleErrors, diagnostics()).toEqual([]);
    expect(log.consoleWarnings, diagnostics()).toEqual([]);
    expect(log.failedRequests, diagnostics()).toEqual([]);
    expect(foreignRequests(log, server!.origin), diagnostics()).toEqual([]);
    expect(log.requests.filter((u) => /\.wasm(\?|$)/.test(u)), diagnostics()).toEqual([]);
    expect(server!.served, diagnostics()).toEqual(["/", "/app.js"]);
  });
});
