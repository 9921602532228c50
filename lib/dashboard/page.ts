/**
 * The dashboard's HTML: one self-contained file (inline CSS, SVG and a few
 * lines of script for the tabs), readable offline and printable. Without
 * script every section shows, one after another.
 *
 * @module
 */
import { INK, MUTED, PALETTE } from "../theme.ts";

/** A KPI card. */
export interface Kpi {
  id: string;
  label: string;
  value: string;
  note?: string;
}

/** A chart or table panel. */
export interface Panel {
  title: string;
  /** SVG markup or an HTML table (already escaped). */
  body: string;
  caption?: string;
  wide?: boolean;
}

/** One tab. */
export interface Section {
  id: string;
  title: string;
  kpis?: Kpi[];
  panels: Panel[];
}

/** Escapes text for HTML. */
export function esc(s: unknown): string {
  return String(s ?? "").replace(
    /[&<>"']/g,
    (c) =>
      ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[
        c
      ]!,
  );
}

/** An HTML table of `rows` with the given columns and cell formatters. */
export function table(
  rows: Record<string, unknown>[],
  columns: [key: string, label: string, format?: (v: unknown) => string][],
): string {
  const head = columns.map(([, label]) => `<th>${esc(label)}</th>`).join("");
  const body = rows.map((r) =>
    `<tr>${
      columns.map(([key, , f]) =>
        `<td${f ? ' class="num"' : ""}>${esc(f ? f(r[key]) : r[key])}</td>`
      ).join("")
    }</tr>`
  ).join("\n");
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const CSS = `
:root { --ink: ${INK}; --muted: ${MUTED}; --accent: ${
  PALETTE[0]
}; --bg: #F4F6F9; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--ink); background: var(--bg); }
header { padding: 20px 28px 0; background: #fff; border-bottom: 1px solid #DDE3EA; }
header h1 { margin: 0; font-size: 22px; }
header p { margin: 4px 0 12px; color: var(--muted); }
nav[role=tablist] { display: flex; gap: 4px; flex-wrap: wrap; }
nav button { font: inherit; border: 0; background: none; padding: 10px 16px; cursor: pointer;
  color: var(--muted); border-bottom: 3px solid transparent; }
nav button[aria-selected=true] { color: var(--ink); border-bottom-color: var(--accent);
  font-weight: 600; }
main { padding: 20px 28px 40px; }
section h2 { font-size: 18px; margin: 0 0 14px; }
.kpis { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 12px;
  margin-bottom: 16px; }
.kpi { background: #fff; border-radius: 8px; padding: 12px 14px; box-shadow: 0 1px 2px #0001;
  container-type: inline-size; min-width: 0; }
.kpi .label { color: var(--muted); font-size: 12px; text-transform: uppercase;
  letter-spacing: .04em; }
.kpi .value { font-size: min(24px, 12.5cqi); font-weight: 650; margin-top: 4px;
  white-space: nowrap; font-variant-numeric: tabular-nums; }
.kpi .note { color: var(--muted); font-size: 12px; }
.panels { display: grid; grid-template-columns: repeat(auto-fill, minmax(480px, 1fr)); gap: 16px; }
.panel { background: #fff; border-radius: 8px; padding: 14px 16px; box-shadow: 0 1px 2px #0001;
  overflow-x: auto; }
.panel.wide { grid-column: 1 / -1; }
.panel h3 { margin: 0 0 8px; font-size: 15px; }
.panel figcaption { color: var(--muted); font-size: 12px; margin-top: 6px; }
.panel svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th { text-align: left; color: var(--muted); font-weight: 600; border-bottom: 1px solid #DDE3EA;
  padding: 6px 8px; }
td { padding: 5px 8px; border-bottom: 1px solid #EEF1F4; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
footer { color: var(--muted); font-size: 12px; padding: 0 28px 24px; }
@media print { nav { display: none; } section[hidden] { display: block !important; } }
`;

// Tabs: buttons switch the visible section; the hash keeps the choice on reload.
const SCRIPT = `
const tabs = [...document.querySelectorAll('nav [role=tab]')];
function show(id) {
  for (const t of tabs) {
    const on = t.dataset.target === id;
    t.setAttribute('aria-selected', on);
    document.getElementById(t.dataset.target).hidden = !on;
  }
}
for (const t of tabs) t.addEventListener('click', () => { show(t.dataset.target); history.replaceState(null, '', '#' + t.dataset.target); });
show(tabs.some((t) => '#' + t.dataset.target === location.hash) ? location.hash.slice(1) : tabs[0].dataset.target);
`;

/** The whole page. */
export function renderPage(
  title: string,
  subtitle: string,
  sections: Section[],
  footer: string,
): string {
  const nav = sections.map((s) =>
    `<button role="tab" id="tab-${s.id}" data-target="${s.id}" aria-controls="${s.id}">${
      esc(s.title)
    }</button>`
  ).join("");
  const body = sections.map((s) => {
    const kpis = s.kpis?.length
      ? `<div class="kpis">${
        s.kpis.map((k) =>
          `<div class="kpi" data-kpi="${k.id}"><div class="label">${
            esc(k.label)
          }</div>` +
          `<div class="value">${esc(k.value)}</div>${
            k.note ? `<div class="note">${esc(k.note)}</div>` : ""
          }</div>`
        ).join("")
      }</div>`
      : "";
    const panels = s.panels.map((p) =>
      `<figure class="panel${p.wide ? " wide" : ""}"><h3>${
        esc(p.title)
      }</h3>${p.body}${
        p.caption ? `<figcaption>${esc(p.caption)}</figcaption>` : ""
      }</figure>`
    ).join("\n");
    return `<section id="${s.id}" role="tabpanel" aria-labelledby="tab-${s.id}">
<h2>${esc(s.title)}</h2>${kpis}<div class="panels">${panels}</div></section>`;
  }).join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body><header><h1>${esc(title)}</h1><p>${esc(subtitle)}</p>
<nav role="tablist">${nav}</nav></header>
<main>${body}</main>
<footer>${esc(footer)}</footer>
<script>${SCRIPT}</script></body></html>
`;
}
