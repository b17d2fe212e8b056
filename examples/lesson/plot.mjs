/** @file The demo's figures: vega-lite specs rendered to SVG by vega in Node (no canvas, no browser), and the
 * `index.html` that shows them all with their captions and the summary tables. */
import * as vega from "vega";
import * as vl from "vega-lite";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The look every figure shares: readable fonts and a white background. */
const CONFIG = {
  background: "white",
  font: "Helvetica, Arial, sans-serif",
  axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridOpacity: 0.5 },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 320 },
  title: { fontSize: 14, anchor: "start", offset: 10 },
};

/** A category scale for the four ways of getting a derivative, so every figure colours them alike. */
export const WAYS = {
  domain: ["numerical", "symbolic", "forward mode", "reverse mode", "adtape eager", "adtape compiled"],
  range: ["#d62728", "#9467bd", "#2ca02c", "#1f77b4", "#1f77b4", "#ff7f0e"],
};

/** The WAYS colour scale restricted to the ways a figure shows, so its legend lists only those. */
export function waysScale(names) {
  return { domain: names, range: names.map((n) => WAYS.range[WAYS.domain.indexOf(n)]) };
}

/** Renders a vega-lite spec (data inline) to an SVG string. */
export async function renderSvg(spec) {
  const full = { $schema: "https://vega.github.io/schema/vega-lite/v6.json", ...spec, config: { ...CONFIG, ...spec.config } };
  const view = new vega.View(vega.parse(vl.compile(full).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const escape = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

/** Whether column j is left-aligned: the first column, and every column of a table with `left: true` (prose). */
const leftAligned = (table, j) => j === 0 || table.left === true;

/** An HTML table from `{ columns, rows, left? }`. */
function htmlTable(table) {
  const cell = (tag, c, j) => `<${tag}${leftAligned(table, j) ? ' class="l"' : ""}>${escape(c)}</${tag}>`;
  const head = table.columns.map((c, j) => cell("th", c, j)).join("");
  const body = table.rows.map((r) => `<tr>${r.map((c, j) => cell("td", c, j)).join("")}</tr>`).join("\n");
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** Writes every section's figures as `<id>.svg` into `outDir` and an `index.html` showing them; returns the files written. */
export async function writeReport(outDir, { title, intro, sections }) {
  mkdirSync(outDir, { recursive: true });
  const files = [];
  const parts = [];
  for (const s of sections) {
    parts.push(`<section><h2>${escape(s.title)}</h2>`);
    if (s.text) parts.push(`<p>${escape(s.text)}</p>`);
    for (const fig of s.figures ?? []) {
      const file = `${fig.id}.svg`;
      writeFileSync(join(outDir, file), await renderSvg(fig.spec));
      files.push(file);
      parts.push(`<figure><img src="${file}" alt="${escape(fig.title)}"><figcaption><b>${escape(fig.title)}.</b> ${escape(fig.caption)}</figcaption></figure>`);
    }
    if (s.table) parts.push(htmlTable(s.table));
    if (s.claims?.length) parts.push(htmlTable(claimsTable(s.claims)));
    parts.push(`</section>`);
  }
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>
body { font-family: Helvetica, Arial, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
figure { display: inline-block; margin: 0.5em 1em 1em 0; vertical-align: top; max-width: 100%; }
figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { max-width: 560px; font-size: 0.9em; color: #444; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th { background: #f3f3f3; } td.l, th.l { text-align: left; }
</style></head><body>
<h1>${escape(title)}</h1>
<p>${escape(intro)}</p>
${parts.join("\n")}
</body></html>
`;
  writeFileSync(join(outDir, "index.html"), html);
  files.push("index.html");
  return files;
}

/** A table of the lesson's claims with what was measured and PASS or MISS. */
export function claimsTable(claims) {
  return { left: true, columns: ["claim", "measured", ""], rows: claims.map((c) => [c.claim, c.measured, c.pass ? "PASS" : "MISS"]) };
}

/** Prints `{ columns, rows, left? }` as an aligned text table: numbers to the right, prose to the left. */
export function printTable(table) {
  const { columns, rows } = table;
  const cells = [columns, ...rows].map((r) => r.map(String));
  const width = columns.map((_, j) => Math.max(...cells.map((r) => r[j].length)));
  for (const [i, r] of cells.entries()) {
    console.log(r.map((c, j) => (leftAligned(table, j) ? c.padEnd(width[j]) : c.padStart(width[j]))).join("  "));
    if (i === 0) console.log(width.map((w) => "─".repeat(w)).join("  "));
  }
}
