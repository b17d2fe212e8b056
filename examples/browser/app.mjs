/** @file The browser page's logic: live gradient-descent training of the lesson's classifier (examples/lesson/model.mjs)
 * with Start/Pause/Reset, and a function the user types, differentiated by adtape beside central differences.
 * It imports adtape exactly as a user's bundle would ("adtape", "adtape/baselines/…"); build.mjs bundles it.
 *
 * Test hook, `window.adtapeDemo` (test/browser-page.test.ts drives the page through it; `?autoplay=0` keeps the
 * animation paused so the steps it takes are the test's alone):
 * - `ready`: a Promise that resolves once adtape is initialised and the charts are drawn;
 * - `trainSteps(k)`: takes k gradient-descent steps, redraws, resolves to `{ step, loss, accuracy, W }`;
 * - `state()`: the same fields plus `running`, without stepping; `reset()` goes back to W0;
 * - `costGradient(W?)`: the classifier's gradient (flat, row-major) at W, default W0;
 * - `presets`: the explorer's presets, `{ text, point }` each; `choosePreset(i)` shows one, resolving once drawn;
 * - `gradientOf(text, x)`: `{ variables, value, gradient, central }` for the expression at x (a number, or an
 *   array for several variables), or `{ error }` with the message the page would show.
 */
import * as ad from "adtape";
import { centralDiff, numericalGrad } from "adtape/baselines/numeric";
import { fromExpression } from "adtape/baselines/symbolic";
import { lessonData, adtapeCost, predictClass, accuracy, LR, CLASS_NAMES } from "../lesson/model.mjs";
import { trainingPlot, regionsPlot, functionPlot } from "./plots.mjs";

const $ = (id) => document.getElementById(id);
const AUTOPLAY = new URLSearchParams(location.search).get("autoplay") !== "0";
/** The animation stops here (Reset starts it over): the loss has long flattened, and the curve stays small. */
const MAX_AUTO_STEPS = 5000;
const fmt = (v, d = 6) => (Number.isFinite(v) ? (Math.abs(v) >= 1e5 || (v !== 0 && Math.abs(v) < 1e-4) ? v.toExponential(d - 1) : v.toFixed(d)) : String(v));

/** The presets of the function explorer: expression, point, the interval its chart spans, and a label when the text is long. */
const PRESETS = [
  { text: "x^2 + sqrt(x + 3)", point: "1.5", from: -3, to: 4 },
  { text: "log(x) * sin(x)^2", point: "2.5", from: 0.05, to: 8 },
  {
    label: "the logistic map 4x(1 − x) applied 3 times, written out",
    text: "4*(4*(4*x*(1-x))*(1-4*x*(1-x)))*(1-4*(4*x*(1-x))*(1-4*x*(1-x)))",
    point: "0.3",
    from: 0,
    to: 1,
  },
  { text: "tanh(x) * exp(-x^2/2)", point: "0.7", from: -4, to: 4 },
  { text: "sin(x0) * x1 + x0^2", point: "1, 2", from: -3, to: 3 },
];

// ------------------------------------------------------------------------------------------ the classifier

/** The training loop the test repeats in Node: a compiled tape, its gradient written in place, sgd steps. */
function makeTrainer(data) {
  const compiled = ad.compile(adtapeCost(data), ad.tensor(data.W0, [2, 2]));
  const g = ad.tensor(new Float64Array(4), [2, 2]);
  let W, opt, optState, step;
  const snapshot = () => ({ step, loss: compiled.value(W).data[0], accuracy: accuracy(W.data, data), W: Array.from(W.data) });
  const reset = () => {
    W = ad.tensor(data.W0, [2, 2]); // a copy: sgd overwrites W's data
    opt = ad.sgd({ lr: LR });
    optState = opt.init(W);
    step = 0;
  };
  reset();
  return {
    reset,
    snapshot,
    /** One step W ← W − LR·∇cost(W); returns the snapshot after it. */
    step() {
      compiled.grad(W, g);
      opt.step(W, g, optState);
      step++;
      return snapshot();
    },
    gradientAt: (w) => Array.from(compiled.grad(ad.tensor(w, [2, 2])).data),
    get W() {
      return W.data;
    },
  };
}

/** Builds the training section: the trainer, its charts and controls; returns what the hook needs. */
async function setUpTraining() {
  const data = lessonData();
  const trainer = makeTrainer(data);
  const { N, X, Y } = data;
  const points = Array.from({ length: N }, (_, i) => ({ x: X[i], y: X[N + i], cls: CLASS_NAMES[(Y[i] > 0 ? 1 : 0) | (Y[N + i] > 0 ? 2 : 0)] }));
  const curves = await trainingPlot($("plot-training"));
  const regions = await regionsPlot($("plot-regions"), { points, classNames: CLASS_NAMES, classOf: (x0, x1) => predictClass(trainer.W, x0, x1) });
  let pending = [], last = trainer.snapshot(), running = false;
  await curves.reset([last]);

  const showText = (s) => {
    $("t-step").textContent = String(s.step);
    $("t-loss").textContent = s.loss.toFixed(4);
    $("t-acc").textContent = `${(100 * s.accuracy).toFixed(2)} %`;
    $("t-w").textContent = `[[${fmt(s.W[0], 4)}, ${fmt(s.W[1], 4)}], [${fmt(s.W[2], 4)}, ${fmt(s.W[3], 4)}]]`;
  };
  /** Sends the rows gathered since the last frame to the charts. */
  const render = () => {
    showText(last);
    const rows = pending;
    pending = [];
    return Promise.all([rows.length ? curves.append(rows) : null, regions.update()]);
  };
  const train = (k) => {
    for (let i = 0; i < k; i++) pending.push((last = trainer.step()));
    return render();
  };
  const setRunning = (on) => {
    running = on;
    const done = last.step >= MAX_AUTO_STEPS;
    $("btn-start").disabled = on || done;
    $("btn-pause").disabled = !on;
    $("t-done").hidden = !done;
  };
  const frame = async () => {
    if (!running) return;
    try {
      await train(Number($("speed").value));
      if (last.step >= MAX_AUTO_STEPS) setRunning(false);
    } catch (e) {
      setRunning(false);
      showFatal(e);
    }
    if (running) requestAnimationFrame(frame);
  };
  const start = () => {
    if (running) return;
    setRunning(true);
    requestAnimationFrame(frame);
  };
  const reset = async () => {
    trainer.reset();
    pending = [];
    last = trainer.snapshot();
    showText(last);
    setRunning(running);
    await Promise.all([curves.reset([last]), regions.update()]);
    return last;
  };
  $("btn-start").addEventListener("click", start);
  $("btn-pause").addEventListener("click", () => setRunning(false));
  $("btn-reset").addEventListener("click", () => void reset().catch(showFatal));
  $("t-lr").textContent = String(LR);
  $("t-done").textContent = `stopped at step ${MAX_AUTO_STEPS}: the loss has flattened out (Reset to watch again)`;
  showText(last);
  setRunning(false);
  if (AUTOPLAY) start();
  return {
    async trainSteps(k) {
      if (!Number.isInteger(k) || k < 0) throw new RangeError(`trainSteps(k): k must be a non-negative integer, got ${k}`);
      setRunning(false);
      await train(k);
      return { ...last, W: [...last.W] };
    },
    state: () => ({ ...last, W: [...last.W], running }),
    reset: () => {
      setRunning(false);
      return reset();
    },
    costGradient: (W = data.W0) => trainer.gradientAt(Float64Array.from(W)),
  };
}

// ------------------------------------------------------------------------------------------ the function explorer

/** Parses "1.5" or "1, 2" into numbers; throws a message for the page when one is not a finite number. */
function parsePoint(text) {
  const parts = text.split(/[\s,;]+/).filter(Boolean);
  const bad = parts.find((p) => !Number.isFinite(Number(p)));
  if (bad !== undefined || parts.length === 0) throw new Error(`the point must be numbers separated by commas, got "${text}"`);
  return parts.map(Number);
}

/** The message the page shows for an error: adtape's and the page's own as they are, anything else with its kind. */
const messageOf = (e) => (e instanceof ad.AdError || e?.name === "Error" ? e.message : `${e?.name ?? "Error"}: ${e?.message ?? e}`);

/**
 * Value and gradient of a parsed expression at xs by adtape (one reverse sweep), with central differences of the
 * same f as a black box (on plain numbers fromExpression's f returns plain numbers); throws on a bad point.
 */
function analyse({ f, variables }, xs) {
  const n = variables.length;
  if (n === 0) throw new Error("the expression has no variable to differentiate by");
  if (xs.length !== n) throw new Error(`the point needs ${n} number${n === 1 ? "" : "s"} (for ${variables.join(", ")}), got ${xs.length}`);
  const one = n === 1;
  const [value, g] = ad.valueAndGrad(f)(one ? xs[0] : Float64Array.from(xs));
  const gradient = one ? [g] : Array.from(g);
  const central = one ? [centralDiff(f, xs[0])] : Array.from(numericalGrad(f, xs, { method: "central" }));
  return { f, variables, value, gradient, central };
}

/** The samples of f and f′ the chart draws: `n` points across [from, to]; null where f is not finite there. */
function sampleCurve(f, from, to, n = 241) {
  const vg = ad.valueAndGrad(f);
  const rows = [];
  for (let i = 0; i < n; i++) {
    const x = from + ((to - from) * i) / (n - 1);
    let y = NaN, dy = NaN;
    try {
      [y, dy] = vg(x);
    } catch {
      // a point outside f's domain leaves a gap in the curve
    }
    rows.push({ x, series: "f(x)", y: Number.isFinite(y) ? y : null }, { x, series: "f′(x)", y: Number.isFinite(dy) ? dy : null });
  }
  return rows;
}

/** Builds the explorer: presets, the text field, the point and interval, the table and the chart. */
async function setUpExplorer() {
  const chart = await functionPlot($("plot-function"));
  const select = $("preset"), expr = $("expr"), point = $("point"), from = $("from"), to = $("to");
  PRESETS.forEach((p, i) => select.add(new Option(p.label ?? p.text, String(i))));
  const showError = (msg) => {
    $("fn-error").textContent = msg;
    $("fn-error").hidden = !msg;
    $("fn-results").classList.toggle("stale", Boolean(msg));
  };
  let seq = 0;
  /** Recomputes everything from the fields; every failure becomes the message under the text field. */
  const update = async () => {
    const mine = ++seq;
    try {
      const parsed = fromExpression(expr.value); // the text's error first, when both fields are bad
      const xs = parsePoint(point.value);
      const r = analyse(parsed, xs);
      const { variables } = r;
      showError("");
      $("fn-vars").textContent = variables.join(", ");
      $("fn-value").textContent = fmt(r.value, 12);
      $("fn-rows").replaceChildren(
        ...variables.map((v, i) => {
          const tr = document.createElement("tr");
          const cells = [`∂f/∂${v}`, fmt(r.gradient[i], 15), fmt(r.central[i], 15), fmt(Math.abs(r.gradient[i] - r.central[i]), 2)];
          tr.append(...cells.map((c) => Object.assign(document.createElement("td"), { textContent: c })));
          return tr;
        }),
      );
      if (variables.length === 1) {
        const a = Number(from.value), b = Number(to.value);
        if (!(Number.isFinite(a) && Number.isFinite(b) && a < b)) throw new Error(`the chart's interval needs two numbers from < to, got [${from.value}, ${to.value}]`);
        $("fn-plot-note").hidden = true;
        $("plot-function").hidden = false;
        if (mine === seq) await chart.show(sampleCurve(r.f, a, b), { x: xs[0], y: Number.isFinite(r.value) ? r.value : null });
      } else {
        $("fn-plot-note").hidden = false;
        $("plot-function").hidden = true;
      }
    } catch (e) {
      if (mine === seq) showError(messageOf(e));
    }
  };
  const choose = (i) => {
    const p = PRESETS[i];
    expr.value = p.text;
    point.value = p.point;
    from.value = String(p.from);
    to.value = String(p.to);
    return update();
  };
  let timer;
  const later = () => {
    clearTimeout(timer);
    timer = setTimeout(update, 120);
  };
  select.addEventListener("change", () => void choose(Number(select.value)));
  for (const el of [expr, point, from, to]) {
    el.addEventListener("input", later);
    el.addEventListener("keydown", (e) => e.key === "Enter" && (clearTimeout(timer), update()));
  }
  await choose(0);
  return {
    presets: PRESETS.map((p) => ({ text: p.text, point: p.point })),
    choosePreset: (i) => {
      select.value = String(i);
      return choose(i);
    },
    gradientOf(text, x) {
      try {
        const r = analyse(fromExpression(String(text)), Array.isArray(x) || ArrayBuffer.isView(x) ? Array.from(x) : [x]);
        const one = r.variables.length === 1;
        return { variables: r.variables, value: r.value, gradient: one ? r.gradient[0] : r.gradient, central: one ? r.central[0] : r.central };
      } catch (e) {
        return { error: messageOf(e) };
      }
    },
  };
}

// ------------------------------------------------------------------------------------------ start-up

/** Shows an error that stopped part of the page, in the page (not only in the console). */
function showFatal(e) {
  const el = $("fatal");
  el.textContent = `Something went wrong: ${e?.message ?? e}`;
  el.hidden = false;
}

const ready = (async () => {
  await ad.init(); // a browser must initialise asynchronously before the first call
  const training = await setUpTraining();
  const explorer = await setUpExplorer();
  Object.assign(window.adtapeDemo, training, explorer);
  document.body.dataset.ready = "true";
})();
window.adtapeDemo = { ready };
ready.catch(showFatal);
