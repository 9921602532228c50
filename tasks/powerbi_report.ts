#!/usr/bin/env -S deno run --allow-write=dashboards
/**
 * Writes the Power BI report definition (PBIR) in
 * `dashboards/powerbi/EcomPipeline.Report/` from the compact page and visual
 * list below, so the four pages stay consistent and reviewable. The output is
 * committed; a test checks it matches this file and that every field it uses
 * exists in the semantic model.
 *
 * @module
 */

import { BAD, GOOD, INK, PALETTE } from "../lib/theme.ts";
import { writeFileAtomic } from "../lib/atomic.ts";

const SCHEMA = "https://developer.microsoft.com/json-schemas/fabric";
const ROOT = "dashboards/powerbi/EcomPipeline.Report";
const THEME = "ecom_theme.json";

/** A field a visual uses: a model column, or a measure. */
export type Field =
  | { column: [table: string, column: string] }
  | { measure: [table: string, measure: string] };

/** One visual: its type, its data roles, its place on a 1280 x 720 page. */
export interface VisualSpec {
  type: string;
  title: string;
  roles: Record<string, Field[]>;
  at: [x: number, y: number, width: number, height: number];
  /** Slicer style: a date range, or a dropdown list. */
  slicer?: "Between" | "Dropdown";
}

const col = (table: string, column: string): Field => ({
  column: [table, column],
});
const m = (name: string): Field => ({ measure: ["Sales", name] });

/** The slicers every page shares the space for, across the top. */
function slicers(...which: ("date" | "category" | "payment" | "state")[]) {
  const defs = {
    date: { title: "Date", field: col("Date", "Date"), slicer: "Between" },
    category: {
      title: "Category",
      field: col("Product", "Category"),
      slicer: "Dropdown",
    },
    payment: {
      title: "Payment method",
      field: col("Payment Method", "Payment Method"),
      slicer: "Dropdown",
    },
    state: {
      title: "State",
      field: col("Customer", "State"),
      slicer: "Dropdown",
    },
  } as const;
  return which.map((w, i): VisualSpec => ({
    type: "slicer",
    title: defs[w].title,
    roles: { Values: [defs[w].field] },
    at: [20 + i * 310, 10, 300, 70],
    slicer: defs[w].slicer,
  }));
}

const card = (title: string, measure: string, i: number): VisualSpec => ({
  type: "card",
  title,
  roles: { Values: [m(measure)] },
  at: [20 + i * 207, 95, 197, 110],
});

/** The four pages of the seed's dashboards. */
export const PAGES: { name: string; title: string; visuals: VisualSpec[] }[] = [
  {
    name: "executive_overview",
    title: "Executive Overview",
    visuals: [
      ...slicers("date", "category", "payment", "state"),
      card("Revenue", "Total Revenue", 0),
      card("Profit", "Total Profit", 1),
      card("Margin", "Margin %", 2),
      card("Orders", "Transactions", 3),
      card("Average order", "Average Order Value", 4),
      card("Revenue vs last year", "Revenue YoY %", 5),
      {
        type: "lineChart",
        title: "Revenue and profit by month",
        roles: {
          Category: [col("Date", "Year"), col("Date", "Month")],
          Y: [m("Total Revenue"), m("Total Profit")],
        },
        at: [20, 220, 820, 480],
      },
      {
        type: "clusteredColumnChart",
        title: "Revenue change month over month",
        roles: { Category: [col("Date", "Month")], Y: [m("Revenue MoM %")] },
        at: [860, 220, 400, 480],
      },
    ],
  },
  {
    name: "product_performance",
    title: "Product Performance",
    visuals: [
      ...slicers("date", "category", "payment"),
      {
        type: "clusteredBarChart",
        title: "Top products by revenue",
        roles: {
          Category: [col("Product", "Product")],
          Y: [m("Total Revenue")],
        },
        at: [20, 95, 620, 605],
      },
      {
        type: "clusteredColumnChart",
        title: "Margin by category",
        roles: { Category: [col("Product", "Category")], Y: [m("Margin %")] },
        at: [660, 95, 600, 190],
      },
      {
        type: "tableEx",
        title: "Category and sub-category",
        roles: {
          Values: [
            col("Product", "Category"),
            col("Product", "Sub-Category"),
            m("Units Sold"),
            m("Total Revenue"),
            m("Total Profit"),
            m("Margin %"),
          ],
        },
        at: [660, 505, 600, 195],
      },
      {
        type: "scatterChart",
        title: "Discount and units by price range",
        roles: {
          Category: [col("Product", "Price Range")],
          X: [m("Total Discount")],
          Y: [m("Units Sold")],
        },
        at: [660, 300, 600, 190],
      },
    ],
  },
  {
    name: "customer_analytics",
    title: "Customer Analytics",
    visuals: [
      ...slicers("date", "payment", "state"),
      card("Customers", "Unique Customers", 0),
      card("Average order", "Average Order Value", 1),
      {
        type: "donutChart",
        title: "Revenue by customer segment",
        roles: {
          Category: [col("Customer", "Segment")],
          Y: [m("Total Revenue")],
        },
        at: [20, 220, 400, 480],
      },
      {
        type: "clusteredColumnChart",
        title: "Customers by age group",
        roles: {
          Category: [col("Customer", "Age Group")],
          Y: [m("Unique Customers")],
        },
        at: [440, 95, 400, 605],
      },
      {
        type: "tableEx",
        title: "Top customers",
        roles: {
          Values: [
            col("Customer", "Customer Name"),
            col("Customer", "Segment"),
            m("Transactions"),
            m("Total Revenue"),
          ],
        },
        at: [860, 95, 400, 605],
      },
    ],
  },
  {
    name: "trends_geography",
    title: "Trends & Geography",
    visuals: [
      ...slicers("date", "category", "payment", "state"),
      {
        type: "lineChart",
        title: "Daily revenue",
        roles: { Category: [col("Date", "Date")], Y: [m("Total Revenue")] },
        at: [20, 95, 820, 300],
      },
      {
        type: "clusteredBarChart",
        title: "Revenue by state",
        roles: {
          Category: [col("Customer", "State")],
          Y: [m("Total Revenue")],
        },
        at: [860, 95, 400, 605],
      },
      {
        type: "clusteredColumnChart",
        title: "Revenue by day of week",
        roles: { Category: [col("Date", "Weekday")], Y: [m("Total Revenue")] },
        at: [20, 410, 400, 290],
      },
      {
        type: "pieChart",
        title: "Payment method mix",
        roles: {
          Category: [col("Payment Method", "Payment Method")],
          Y: [m("Transactions")],
        },
        at: [440, 410, 400, 290],
      },
    ],
  },
];

/** The report theme: the same palette as the HTML dashboard. */
export const THEME_JSON = {
  name: "ecom-pipeline",
  dataColors: PALETTE,
  background: "#FFFFFF",
  foreground: INK,
  tableAccent: PALETTE[0],
  good: GOOD,
  neutral: PALETTE[5],
  bad: BAD,
};

const lit = (value: string) => ({ expr: { Literal: { Value: value } } });
const text = (s: string) => lit(`'${s.replaceAll("'", "''")}'`);

function projection(f: Field, active: boolean) {
  const [table, name] = "column" in f ? f.column : f.measure;
  const ref = { Expression: { SourceRef: { Entity: table } }, Property: name };
  return {
    field: "column" in f ? { Column: ref } : { Measure: ref },
    queryRef: `${table}.${name}`,
    nativeQueryRef: name,
    ...(active ? { active: true } : {}),
  };
}

function visualJson(v: VisualSpec, id: string, z: number) {
  const [x, y, width, height] = v.at;
  return {
    $schema:
      `${SCHEMA}/item/report/definition/visualContainer/2.4.0/schema.json`,
    name: id,
    position: { x, y, z, height, width, tabOrder: z },
    visual: {
      visualType: v.type,
      query: {
        queryState: Object.fromEntries(
          Object.entries(v.roles).map(([role, fields]) => [
            role,
            {
              projections: fields.map((f, i) =>
                projection(f, role === "Category" && i === 0)
              ),
            },
          ]),
        ),
      },
      ...(v.slicer
        ? {
          objects: {
            data: [{ properties: { mode: text(v.slicer) } }],
            header: [{ properties: { show: lit("true") } }],
          },
        }
        : {}),
      visualContainerObjects: {
        title: [{ properties: { show: lit("true"), text: text(v.title) } }],
      },
    },
  };
}

/** Every file of the report folder: path -> content. */
export function reportFiles(): Record<string, string> {
  const json = (x: unknown) => JSON.stringify(x, null, 2) + "\n";
  const files: Record<string, string> = {
    "definition.pbir": json({
      $schema: `${SCHEMA}/item/report/definitionProperties/2.0.0/schema.json`,
      version: "4.0",
      datasetReference: { byPath: { path: "../EcomPipeline.SemanticModel" } },
    }),
    ".platform": json({
      $schema: `${SCHEMA}/gitIntegration/platformProperties/2.0.0/schema.json`,
      metadata: { type: "Report", displayName: "EcomPipeline" },
      config: {
        version: "2.0",
        logicalId: "0c6b8e1d-3f2a-4b5c-8d7e-9f0a1b2c3d4e",
      },
    }),
    [`StaticResources/RegisteredResources/${THEME}`]: json(THEME_JSON),
    "definition/version.json": json({
      $schema:
        `${SCHEMA}/item/report/definition/versionMetadata/1.0.0/schema.json`,
      version: "2.0.0",
    }),
    "definition/report.json": json({
      $schema: `${SCHEMA}/item/report/definition/report/3.0.0/schema.json`,
      themeCollection: {
        customTheme: {
          name: THEME,
          reportVersionAtImport: {
            visual: "1.8.95",
            report: "2.0.95",
            page: "1.3.95",
          },
          type: "RegisteredResources",
        },
      },
      resourcePackages: [{
        name: "RegisteredResources",
        type: "RegisteredResources",
        items: [{ name: THEME, path: THEME, type: "CustomTheme" }],
      }],
      settings: { useStylableVisualContainerHeader: true },
    }),
    "definition/pages/pages.json": json({
      $schema:
        `${SCHEMA}/item/report/definition/pagesMetadata/1.0.0/schema.json`,
      pageOrder: PAGES.map((p) => p.name),
      activePageName: PAGES[0].name,
    }),
  };
  for (const page of PAGES) {
    files[`definition/pages/${page.name}/page.json`] = json({
      $schema: `${SCHEMA}/item/report/definition/page/1.2.0/schema.json`,
      name: page.name,
      displayName: page.title,
      displayOption: "FitToPage",
      height: 720,
      width: 1280,
    });
    page.visuals.forEach((v, i) => {
      const id = `${page.name.slice(0, 12)}_${String(i + 1).padStart(2, "0")}`;
      files[`definition/pages/${page.name}/visuals/${id}/visual.json`] = json(
        visualJson(v, id, (i + 1) * 1000),
      );
    });
  }
  return files;
}

/** Writes the report folder. */
export async function writeReport(root = ROOT): Promise<number> {
  await Deno.remove(`${root}/definition`, { recursive: true }).catch(() => {});
  const files = reportFiles();
  for (const [path, content] of Object.entries(files)) {
    const full = `${root}/${path}`;
    await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
    await writeFileAtomic(full, content);
  }
  return Object.keys(files).length;
}

if (import.meta.main) {
  console.log(`wrote ${await writeReport()} files to ${ROOT}`);
}
