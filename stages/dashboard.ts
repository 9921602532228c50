#!/usr/bin/env -S deno run --allow-read=data,logs --allow-write=data,logs --allow-env --allow-net
/**
 * Stage 7: the HTML dashboard, `DATA_DIR/processed/dashboard/index.html`, one
 * self-contained file with the four pages of the Power BI report as tabs.
 * Every number comes from the same queries as the analytics exports
 * (`sql/analytics/*.sql`); charts are rendered to SVG at build time.
 *
 * @module
 */
import { type Command, runCommand } from "../lib/cli.ts";
import type { Config } from "../lib/config.ts";
import type { Db } from "../lib/db.ts";
import { log } from "../lib/log.ts";
import { n, secondsSince, type StageResult } from "../lib/stage.ts";
import {
  barSpec,
  columnSpec,
  donutSpec,
  growthSpec,
  renderSvg,
  trendSpec,
} from "../lib/dashboard/charts.ts";
import {
  type Kpi,
  renderPage,
  type Section,
  table,
} from "../lib/dashboard/page.ts";
import { PALETTE } from "../lib/theme.ts";
import { parse } from "csv-parse/sync";
import { QUERIES } from "../lib/analytics_queries.ts";
import { ensureSchema } from "../lib/schema.ts";
import { writeFileAtomic } from "../lib/atomic.ts";
import { analyticsDir, dashboardDir } from "../lib/paths.ts";

export const command: Command = {
  writes: true,
  name: "dashboard",
  summary:
    "write the HTML dashboard (four pages, KPIs and charts) from the warehouse",
  flags: [],
  details:
    "Writes DATA_DIR/processed/dashboard/index.html: one file, no network needed to view it.",
};

type Row = Record<string, unknown>;
const num = (v: unknown) => Number(v ?? 0);
const usd = new Intl.NumberFormat("en-US", {
  style: "currency",
  currency: "USD",
  maximumFractionDigits: 0,
});
const usd2 = new Intl.NumberFormat("en-US", {
  style: "currency",
  currency: "USD",
});
const int = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const pct = (v: number) => `${v.toFixed(1)} %`;

/** The headline figures, computed from the analytics query results. */
export function kpis(q: Record<string, Row[]>): Record<string, number> {
  const sum = (rows: Row[], key: string) =>
    rows.reduce((a, r) => a + num(r[key]), 0);
  const revenue = sum(q.category_performance, "revenue");
  const profit = sum(q.category_performance, "profit");
  const orders = sum(q.monthly_sales_trend, "transactions");
  return {
    revenue,
    profit,
    margin_pct: revenue ? (100 * profit) / revenue : 0,
    orders,
    avg_order_value: orders
      ? sum(q.monthly_sales_trend, "revenue") / orders
      : 0,
    customers: q.customer_lifetime_value.length,
    units: sum(q.category_performance, "units"),
  };
}

/** Builds the page from query results (name -> rows). */
export async function buildDashboard(
  q: Record<string, Row[]>,
  generatedAt: Date,
): Promise<{ html: string; charts: number }> {
  const k = kpis(q);
  // Trends show the last 24 months up to now: orders dated in the future
  // (kept in the warehouse, flagged by the quality checks) would stretch the
  // time axis over decades.
  const thisMonth = generatedAt.toISOString().slice(0, 7);
  const future = q.monthly_sales_trend.filter((m) =>
    String(m.month) > thisMonth
  );
  const months = q.monthly_sales_trend.filter((m) =>
    String(m.month) <= thisMonth
  )
    .slice(-24);
  const futureNote = future.length
    ? `${
      int.format(future.reduce((a, m) => a + num(m.transactions), 0))
    } orders dated after ${thisMonth} are left out of the trend.`
    : undefined;
  const cards: Kpi[] = [
    { id: "revenue", label: "Revenue", value: usd.format(k.revenue) },
    { id: "profit", label: "Profit", value: usd.format(k.profit) },
    { id: "margin", label: "Margin", value: pct(k.margin_pct) },
    { id: "orders", label: "Orders", value: int.format(k.orders) },
    {
      id: "aov",
      label: "Average order",
      value: usd2.format(k.avg_order_value),
    },
    { id: "customers", label: "Customers", value: int.format(k.customers) },
    { id: "units", label: "Units sold", value: int.format(k.units) },
  ];
  let charts = 0;
  const svg = async (spec: Parameters<typeof renderSvg>[0]) => {
    charts++;
    return await renderSvg(spec);
  };
  const topCustomers = q.customer_lifetime_value.slice(0, 10);
  const topProfit = q.product_profitability.slice(0, 10);
  const states = q.geographic_analysis.slice(0, 15);
  const sections: Section[] = [
    {
      id: "executive",
      title: "Executive Overview",
      kpis: cards,
      panels: [
        {
          title: "Revenue and profit by month",
          body: await svg(trendSpec(months)),
          caption: futureNote,
          wide: true,
        },
        {
          title: "Revenue by category",
          body: await svg(
            barSpec(q.category_performance, "category", "revenue", "Revenue"),
          ),
        },
        {
          title: "Payment mix (orders)",
          body: await svg(
            donutSpec(
              q.payment_method_distribution,
              "payment_method",
              "transactions",
            ),
          ),
        },
      ],
    },
    {
      id: "products",
      title: "Product Performance",
      panels: [
        {
          title: "Top 10 products by revenue",
          body: await svg(
            barSpec(
              q.top_products_by_revenue,
              "product_name",
              "revenue",
              "Revenue",
            ),
          ),
        },
        {
          title: "Margin by category",
          body: await svg(
            barSpec(
              q.category_performance,
              "category",
              "margin_pct",
              "Margin %",
              {
                format: "percent",
              },
            ),
          ),
        },
        {
          title: "Discount impact: margin by discount band",
          body: await svg(
            columnSpec(
              q.discount_impact,
              "discount_band",
              "margin_pct",
              "Margin %",
              {
                format: "percent",
                color: PALETTE[1],
              },
            ),
          ),
          caption:
            "Deeper discounts sell more units per line but at a thinner margin.",
        },
        {
          title: "Most profitable products",
          body: table(topProfit, [
            ["product_name", "Product"],
            ["category", "Category"],
            ["total_quantity_sold", "Units", (v) => int.format(num(v))],
            ["revenue", "Revenue", (v) => usd.format(num(v))],
            ["profit", "Profit", (v) => usd.format(num(v))],
            ["margin_pct", "Margin", (v) => pct(num(v))],
          ]),
        },
      ],
    },
    {
      id: "customers",
      title: "Customer Analytics",
      panels: [
        {
          title: "Customers by spend segment",
          body: await svg(
            columnSpec(
              q.customer_spend_segmentation,
              "spend_segment",
              "customers",
              "Customers",
              {
                format: "count",
              },
            ),
          ),
        },
        {
          title: "Revenue by spend segment",
          body: await svg(
            donutSpec(
              q.customer_spend_segmentation,
              "spend_segment",
              "revenue",
            ),
          ),
        },
        {
          title: "Top 10 customers by lifetime value",
          wide: true,
          body: table(topCustomers, [
            ["full_name", "Customer"],
            ["customer_segment", "Segment"],
            ["state", "State"],
            ["total_transactions", "Orders", (v) => int.format(num(v))],
            ["total_spent", "Spent", (v) => usd.format(num(v))],
            ["avg_order_value", "Average order", (v) => usd2.format(num(v))],
            ["last_purchase_date", "Last purchase"],
          ]),
        },
      ],
    },
    {
      id: "trends",
      title: "Trends & Geography",
      panels: [
        {
          title: "Revenue by state (top 15)",
          body: await svg(barSpec(states, "state", "revenue", "Revenue")),
        },
        {
          title: "Average revenue per day of week",
          body: await svg(
            columnSpec(
              q.day_of_week_pattern,
              "day_name",
              "avg_revenue_per_day",
              "Revenue per day",
            ),
          ),
        },
        {
          title: "Month-over-month revenue growth",
          body: await svg(
            growthSpec(months.filter((m) => m.revenue_growth_pct !== null)),
          ),
          wide: true,
        },
      ],
    },
  ];
  const first = months[0]?.month ?? "";
  const last = months.at(-1)?.month ?? "";
  const html = renderPage(
    "ecom-pipeline: sales dashboard",
    `Orders ${first} to ${last} · ${int.format(k.orders)} orders · generated ${
      generatedAt.toISOString().slice(0, 16).replace("T", " ")
    } UTC`,
    sections,
    "Figures from the warehouse, by the same queries as data/processed/analytics/*.csv.",
  );
  return { html, charts };
}

/** A CSV export's rows, numbers as numbers and empty fields as null. */
async function readExport(path: string): Promise<Row[]> {
  const rows = parse(await Deno.readTextFile(path), {
    columns: true,
  }) as Record<string, string>[];
  const number = /^-?\d+(\.\d+)?$/;
  return rows.map((r) =>
    Object.fromEntries(
      Object.entries(r).map(([k, v]) => [
        k,
        v === "" ? null : number.test(v) ? Number(v) : v,
      ]),
    )
  );
}

/**
 * Runs the queries (or, right after the analytics stage, reads the exports
 * it just wrote: the same numbers without running the queries twice) and
 * writes the dashboard.
 */
export async function runDashboard(
  config: Config,
  db: Db,
  options: { fromExports?: boolean } = {},
): Promise<StageResult & { path: string; charts: number }> {
  const logger = log("dashboard");
  const start = performance.now();
  const q: Record<string, Row[]> = {};
  if (options.fromExports) {
    const dir = analyticsDir(config);
    for (const name of Object.keys(QUERIES)) {
      q[name] = await readExport(`${dir}/${name}.csv`);
    }
  } else {
    await ensureSchema(db);
    for (const [name, sql] of Object.entries(QUERIES)) {
      q[name] = await db.query(sql);
    }
  }
  const { html, charts } = await buildDashboard(q, new Date());
  const dir = dashboardDir(config);
  await Deno.mkdir(dir, { recursive: true });
  const path = `${dir}/index.html`;
  await writeFileAtomic(path, html);
  const rows = Object.values(q).reduce((a, r) => a + r.length, 0);
  const summary = `${charts} charts, 4 pages from ${n(rows)} query rows (${
    (html.length / 1024).toFixed(0)
  } KiB) in ${secondsSince(start)} s -> ${path}`;
  logger.info("{summary}", { summary });
  return { rows, summary, path, charts };
}

/** CLI entry point. */
export function main(args: string[]): Promise<number> {
  return runCommand(command, args, async (ctx) => {
    await runDashboard(ctx.config, await ctx.db());
  });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
