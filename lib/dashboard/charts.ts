/**
 * Charts for the HTML dashboard: Vega-Lite specifications rendered to SVG
 * at build time (no browser, no network), so the page needs nothing to view.
 *
 * @module
 */
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { BAD, GOOD, INK, MUTED, PALETTE } from "../theme.ts";

type Row = Record<string, unknown>;

const CONFIG = {
  font: "system-ui, -apple-system, Segoe UI, Roboto, sans-serif",
  background: "transparent",
  view: { stroke: null },
  axis: {
    labelColor: MUTED,
    titleColor: MUTED,
    gridColor: "#E6EAEF",
    domainColor: "#C9D1DA",
    labelFontSize: 11,
    titleFontSize: 11,
  },
  legend: { labelColor: INK, titleColor: MUTED, orient: "bottom" },
  range: { category: PALETTE },
};

/** Renders a Vega-Lite spec to an SVG string. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = compile({ ...spec, config: CONFIG } as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  const svg = await view.toSVG();
  view.finalize();
  return withTooltips(svg);
}

/**
 * A static SVG has no tooltip handler, but every mark carries Vega-Lite's
 * description of itself (its tooltip fields) as an aria-label: repeated as a
 * <title>, browsers show it on hover, without any script.
 */
function withTooltips(svg: string): string {
  return svg.replace(
    /<(path|rect|circle|line)(\s[^>]*?)(\/?)>/g,
    (whole, tag: string, attrs: string, selfClosing: string) => {
      const label = attrs.match(/aria-label="([^"]*)"/)?.[1];
      if (!label || !/role="graphics-symbol"/.test(attrs)) return whole;
      if (/aria-roledescription="axis"/.test(attrs)) return whole;
      const title = `<title>${label}</title>`;
      return selfClosing
        ? `<${tag}${attrs}>${title}</${tag}>`
        : `<${tag}${attrs}>${title}`;
    },
  );
}

/** How a chart's values read. */
export type Format = "money" | "percent" | "count";
const AXIS: Record<Format, { format?: string; labelExpr?: string }> = {
  money: { format: "$,.0f" },
  // Growth figures are percentages already (12.5 means 12.5 %).
  percent: { labelExpr: "format(datum.value, ',.0f') + '%'" },
  count: { format: ",.0f" },
};
const TIP: Record<Format, string> = {
  money: "$,.2f",
  percent: ".2f",
  count: ",.0f",
};
const money = AXIS.money;

/** A horizontal bar chart of `value` by `label`, largest first. */
export function barSpec(
  rows: Row[],
  label: string,
  value: string,
  title: string,
  opts: { width?: number; format?: Format } = {},
): TopLevelSpec {
  const f = opts.format ?? "money";
  return {
    width: opts.width ?? 420,
    height: { step: 20 },
    data: { values: rows },
    mark: { type: "bar", color: PALETTE[0], cornerRadiusEnd: 2 },
    encoding: {
      y: {
        field: label,
        type: "nominal",
        sort: "-x",
        title: null,
        // Product names are long: show them whole (Vega cuts at 180 px).
        axis: { labelLimit: 320 },
      },
      x: {
        field: value,
        type: "quantitative",
        title,
        axis: AXIS[f],
      },
      tooltip: [{ field: label }, { field: value, format: TIP[f] }],
    },
  } as TopLevelSpec;
}

/** Columns in the order given (weekdays, bands). */
export function columnSpec(
  rows: Row[],
  label: string,
  value: string,
  title: string,
  opts: { format?: Format; color?: string } = {},
): TopLevelSpec {
  const f = opts.format ?? "money";
  return {
    width: 420,
    height: 220,
    data: { values: rows },
    mark: { type: "bar", color: opts.color ?? PALETTE[0] },
    encoding: {
      x: {
        field: label,
        type: "ordinal",
        sort: null,
        title: null,
        axis: { labelAngle: 0 },
      },
      y: {
        field: value,
        type: "quantitative",
        title,
        axis: AXIS[f],
      },
      tooltip: [{ field: label }, { field: value, format: TIP[f] }],
    },
  } as TopLevelSpec;
}

/** Monthly revenue and profit as lines. */
export function trendSpec(rows: Row[]): TopLevelSpec {
  return {
    width: 880,
    height: 260,
    data: { values: rows },
    transform: [{ fold: ["revenue", "profit"], as: ["measure", "amount"] }],
    mark: { type: "line", point: true, strokeWidth: 2 },
    encoding: {
      x: {
        field: "month",
        type: "temporal",
        timeUnit: "yearmonth",
        title: null,
      },
      y: { field: "amount", type: "quantitative", title: null, axis: money },
      color: { field: "measure", type: "nominal", title: null },
      tooltip: [
        { field: "month", type: "temporal", timeUnit: "yearmonth" },
        { field: "measure" },
        { field: "amount", type: "quantitative", format: "$,.2f" },
      ],
    },
  } as TopLevelSpec;
}

/** Shares of a whole as a donut. */
export function donutSpec(
  rows: Row[],
  label: string,
  value: string,
): TopLevelSpec {
  // Each slice says its share, on the ring and in its tooltip.
  return {
    width: 260,
    height: 260,
    data: { values: rows },
    transform: [
      { joinaggregate: [{ op: "sum", field: value, as: "__total" }] },
      { calculate: `datum['${value}'] / datum.__total`, as: "share" },
    ],
    encoding: {
      theta: { field: value, type: "quantitative", stack: true },
      color: { field: label, type: "nominal", title: null, sort: null },
      tooltip: [
        { field: label },
        { field: value, format: ",.2f" },
        { field: "share", format: ".1%", title: "share" },
      ],
    },
    layer: [
      { mark: { type: "arc", innerRadius: 70 } },
      {
        mark: { type: "text", radius: 102, fill: "#fff", fontWeight: 600 },
        encoding: {
          text: {
            condition: {
              test: "datum.share >= 0.04",
              field: "share",
              format: ".0%",
            },
            value: "",
          },
        },
      },
    ],
  } as TopLevelSpec;
}

/** Month-over-month growth: green up, red down. */
export function growthSpec(rows: Row[]): TopLevelSpec {
  return {
    width: 880,
    height: 200,
    data: { values: rows },
    mark: { type: "bar" },
    encoding: {
      x: {
        field: "month",
        type: "ordinal",
        title: null,
        axis: { labelAngle: -45 },
      },
      y: {
        field: "revenue_growth_pct",
        type: "quantitative",
        title: "Growth %",
        axis: AXIS.percent,
      },
      color: {
        condition: { test: "datum.revenue_growth_pct < 0", value: BAD },
        value: GOOD,
      },
      tooltip: [{ field: "month" }, {
        field: "revenue_growth_pct",
        format: ".2f",
      }],
    },
  } as TopLevelSpec;
}
