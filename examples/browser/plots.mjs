/** @file The browser page's three charts (training curves, decision regions, a function and its derivative):
 * their vega-lite specs, compiled once each, and small wrappers that stream data into the live vega Views
 * through changesets, so a frame of training moves only the rows that changed and no view is ever rebuilt.
 */
import * as vega from "vega";
import { compile } from "vega-lite";

/** One colour per predicted class, in predictClass's code order; the regions and the dots share it. */
const CLASS_COLORS = ["#4c78a8", "#f58518", "#54a24b", "#b279a2"];
const SERIES_COLORS = ["#1f5fa8", "#d6452b"];

/** Shared look: readable axis and legend text, no chart border. */
const CONFIG = {
  view: { stroke: null },
  font: "system-ui, sans-serif",
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 600, grid: true, gridOpacity: 0.5 },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  title: { fontSize: 14, subtitleFontSize: 11, anchor: "start", subtitleColor: "#555" },
};

/**
 * Compiles a vega-lite spec and mounts its View (canvas: thousands of rects redraw faster than in SVG). The layout
 * is re-fitted on every update (`resize`), since streamed data changes the axes' label widths after the first run.
 */
async function mount(container, spec) {
  const full = { $schema: "https://vega.github.io/schema/vega-lite/v6.json", config: CONFIG, autosize: { type: "pad", resize: true }, ...spec };
  const { spec: vgSpec } = compile(full);
  const view = new vega.View(vega.parse(vgSpec), { renderer: "canvas", container, hover: false });
  await view.runAsync();
  return view;
}

/** Replaces every row of a named data set in one changeset. */
function replaceAll(view, name, rows) {
  return view.change(name, vega.changeset().remove(vega.truthy).insert(rows));
}

/**
 * The training chart: loss (left axis) and accuracy (right axis) per step; `append` adds only the new rows, so
 * the curve streams instead of being redrawn from scratch.
 */
export async function trainingPlot(container) {
  const x = { field: "step", type: "quantitative", title: "gradient-descent step", axis: { tickMinStep: 1 } };
  const color = (name) => ({
    datum: name,
    scale: { domain: ["loss", "accuracy"], range: SERIES_COLORS },
    legend: { title: null, orient: "top-right", fillColor: "white", padding: 4 },
  });
  const view = await mount(container, {
    width: 380,
    height: 300,
    title: { text: "Training curves", subtitle: "loss Σ(σ(W·x) − y)² falls as accuracy rises" },
    data: { name: "history" },
    layer: [
      {
        mark: { type: "line", strokeWidth: 2 },
        encoding: {
          x,
          y: { field: "loss", type: "quantitative", title: "loss (sum over 2 × 1000 labels)", scale: { zero: false }, axis: { titleColor: SERIES_COLORS[0] } },
          color: color("loss"),
        },
      },
      {
        mark: { type: "line", strokeWidth: 2, strokeDash: [5, 3] },
        encoding: {
          x,
          y: { field: "accuracy", type: "quantitative", title: "accuracy", scale: { domain: [0.5, 1] }, axis: { format: ".0%", titleColor: SERIES_COLORS[1] } },
          color: color("accuracy"),
        },
      },
    ],
    resolve: { scale: { y: "independent" } },
  });
  return {
    /** Adds rows `{ step, loss, accuracy }` after those already drawn. */
    append: (rows) => view.change("history", vega.changeset().insert(rows)).runAsync(),
    /** Starts the curves again from `rows`. */
    reset: (rows) => replaceAll(view, "history", rows).runAsync(),
  };
}

/**
 * The decision-region chart: a grid of cells over [−lim, lim]² shaded by the class that `classOf(x0, x1)`
 * predicts, with the data's points on top coloured by their true class. `update` re-asks every cell and
 * modifies only the cells whose class changed (a few along the moving boundaries), not the whole grid.
 */
export async function regionsPlot(container, { points, classNames, classOf, lim = 1.2, cells = 60 }) {
  const axis = (title) => ({ type: "quantitative", title, scale: { domain: [-lim, lim], nice: false, zero: false } });
  const color = {
    type: "nominal",
    scale: { domain: classNames, range: CLASS_COLORS },
    legend: { title: ["class: signs of", "(output 0, output 1)"], orient: "right" },
  };
  const view = await mount(container, {
    width: 320,
    height: 320,
    title: { text: "Decision regions", subtitle: "shading: class W predicts · dots: true labels (a dot unlike its shade is misclassified)" },
    layer: [
      {
        data: { name: "grid" },
        mark: { type: "rect", fillOpacity: 0.38, strokeWidth: 0, clip: true },
        encoding: {
          x: { field: "x", ...axis("feature x₀") },
          x2: { field: "x2" },
          y: { field: "y", ...axis("feature x₁") },
          y2: { field: "y2" },
          color: { field: "cls", ...color },
        },
      },
      {
        data: { name: "points" },
        mark: { type: "circle", size: 14, opacity: 0.85, stroke: "white", strokeWidth: 0.3, clip: true },
        encoding: { x: { field: "x", ...axis("feature x₀") }, y: { field: "y", ...axis("feature x₁") }, color: { field: "cls", ...color } },
      },
    ],
  });
  const h = (2 * lim) / cells;
  const grid = [];
  for (let i = 0; i < cells; i++) {
    for (let j = 0; j < cells; j++) {
      const x = -lim + j * h, y = -lim + i * h;
      grid.push({ x, x2: x + h, y, y2: y + h, cx: x + h / 2, cy: y + h / 2, cls: "" });
    }
  }
  replaceAll(view, "points", points);
  /** Re-classifies every cell's centre; vega receives only the cells that changed. */
  function update() {
    const cs = vega.changeset();
    let changed = 0;
    for (const cell of grid) {
      const cls = classNames[classOf(cell.cx, cell.cy)];
      if (cls !== cell.cls) {
        cs.modify(cell, "cls", cls);
        changed++;
      }
    }
    return changed ? view.change("grid", cs).runAsync() : Promise.resolve(view);
  }
  // The first pass inserts the grid (vega keeps these very objects, so later modifies can name them).
  for (const cell of grid) cell.cls = classNames[classOf(cell.cx, cell.cy)];
  await replaceAll(view, "grid", grid).runAsync();
  return { update };
}

/**
 * The function chart: f and f′ over an interval, a vertical rule at the chosen point and the point (x, f(x));
 * `show` replaces the curve rows (about 240) and the marker in one run.
 */
export async function functionPlot(container) {
  const x = { field: "x", type: "quantitative", title: "x", scale: { nice: false, zero: false } };
  const view = await mount(container, {
    width: 560,
    height: 280,
    title: { text: "f and its derivative", subtitle: "f′ from adtape's reverse sweep at each sample; the rule marks the chosen point" },
    layer: [
      {
        data: { name: "curve" },
        mark: { type: "line", strokeWidth: 2, clip: true, invalid: "break-paths-filter-domains" },
        encoding: {
          x,
          y: { field: "y", type: "quantitative", title: "f(x) and f′(x)", scale: { zero: false } },
          color: { field: "series", type: "nominal", scale: { domain: ["f(x)", "f′(x)"], range: SERIES_COLORS }, legend: { title: null, orient: "top-left", fillColor: "white", padding: 4, symbolStrokeWidth: 2 } },
          strokeDash: { field: "series", type: "nominal", scale: { domain: ["f(x)", "f′(x)"], range: [[1, 0], [6, 3]] } },
        },
      },
      { data: { name: "marker" }, mark: { type: "rule", color: "#888", strokeDash: [2, 2], clip: true }, encoding: { x: { field: "x", type: "quantitative" } } },
      {
        data: { name: "marker" },
        mark: { type: "point", filled: true, size: 60, color: SERIES_COLORS[0], invalid: "filter", clip: true },
        encoding: { x: { field: "x", type: "quantitative" }, y: { field: "y", type: "quantitative" } },
      },
    ],
  });
  return {
    /** Draws `rows` `{ x, series, y }` (y null where f is undefined) and the marker `{ x, y }`. */
    show: (rows, marker) => {
      view.change("curve", vega.changeset().remove(vega.truthy).insert(rows));
      return replaceAll(view, "marker", [marker]).runAsync();
    },
  };
}
