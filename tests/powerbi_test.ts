/**
 * The Power BI project cannot drift from the database: every table, column,
 * relationship and measure the TMDL model names exists in the bi views the
 * code creates (with a compatible type), every view column is modelled, keys
 * are hidden, the date table is marked, and every field a report visual uses
 * exists in the model. The committed report matches its generator.
 */
import assert from "node:assert/strict";
import {
  daxReferences,
  parseRelationships,
  parseTable,
  type TmdlTable,
} from "../lib/powerbi/tmdl.ts";
import { PAGES, reportFiles } from "../tasks/powerbi_report.ts";
import { runPipeline } from "../tasks/pipeline.ts";
import { CORE_STEPS, dbTest, ROOT } from "./helpers.ts";

const MODEL =
  `${ROOT}/dashboards/powerbi/EcomPipeline.SemanticModel/definition`;
const REPORT = `${ROOT}/dashboards/powerbi/EcomPipeline.Report`;

async function readModel(): Promise<TmdlTable[]> {
  const tables: TmdlTable[] = [];
  for await (const e of Deno.readDir(`${MODEL}/tables`)) {
    tables.push(
      parseTable(await Deno.readTextFile(`${MODEL}/tables/${e.name}`)),
    );
  }
  return tables.sort((a, b) => a.name.localeCompare(b.name));
}

/** TMDL data types and the PostgreSQL types they may read. */
const TYPES: Record<string, string[]> = {
  int64: ["integer", "bigint", "smallint"],
  decimal: ["numeric"],
  double: ["numeric", "double precision", "real"],
  string: ["text", "character varying"],
  dateTime: ["date", "timestamp with time zone", "timestamp without time zone"],
  boolean: ["boolean"],
};

dbTest(
  "the semantic model matches the bi views column by column",
  async ({ config, open }) => {
    const r = await runPipeline(config, {
      steps: CORE_STEPS,
    });
    assert.equal(r.status, "success");
    const tables = await readModel();
    assert.deepEqual(tables.map((t) => t.name), [
      "Customer",
      "Date",
      "Payment Method",
      "Product",
      "Sales",
    ]);
    const db = await open();
    try {
      const dbColumns = await db.query<
        { view: string; column: string; type: string }
      >(
        `SELECT table_name AS view, column_name AS column, data_type AS type
         FROM information_schema.columns WHERE table_schema = 'bi'`,
      );
      for (const t of tables) {
        assert.equal(t.schema, "bi", `${t.name} reads schema bi`);
        assert.match(
          t.source,
          /PostgreSQL\.Database\(Server, Database\)/,
          `${t.name}: server and database are parameters`,
        );
        const inView = dbColumns.filter((c) => c.view === t.view);
        assert.ok(inView.length > 0, `view bi.${t.view} exists`);
        for (const c of t.columns) {
          const match = inView.find((v) => v.column === c.sourceColumn);
          assert.ok(
            match,
            `${t.name}[${c.name}]: bi.${t.view}."${c.sourceColumn}" exists`,
          );
          assert.ok(
            TYPES[c.dataType]?.includes(match.type),
            `${t.name}[${c.name}]: ${c.dataType} cannot hold ${match.type}`,
          );
          if (c.name.endsWith(" Key")) {
            assert.ok(c.isHidden, `${t.name}[${c.name}] is hidden`);
          }
          if (c.sortByColumn) {
            assert.ok(t.columns.some((o) => o.name === c.sortByColumn));
          }
        }
        for (const v of inView) {
          assert.ok(
            t.columns.some((c) => c.sourceColumn === v.column),
            `bi.${t.view}."${v.column}" is in the model`,
          );
        }
      }
      const date = tables.find((t) => t.name === "Date")!;
      assert.equal(date.dataCategory, "Time");
      assert.deepEqual(
        date.columns.filter((c) => c.isKey).map((c) => [c.name, c.dataType]),
        [["Date", "dateTime"]],
      );

      const find = (table: string, column: string) =>
        tables.find((t) => t.name === table)?.columns.find((c) =>
          c.name === column
        );
      const relationships = parseRelationships(
        await Deno.readTextFile(`${MODEL}/relationships.tmdl`),
      );
      assert.equal(relationships.length, 4);
      for (const { from, to } of relationships) {
        const f = find(...from);
        const t = find(...to);
        assert.ok(
          f && t,
          `${from.join(".")} -> ${to.join(".")} joins existing columns`,
        );
        assert.equal(from[0], "Sales", "facts are on the many side");
        // Every fact row finds its dimension row in the database.
        const toTable = tables.find((x) => x.name === to[0])!;
        const [{ orphans }] = await db.query<{ orphans: number }>(
          `SELECT count(*)::int AS orphans FROM bi.sales s
           WHERE NOT EXISTS (SELECT 1 FROM bi.${toTable.view} d
             WHERE d."${t.sourceColumn}" = s."${f.sourceColumn}")`,
        );
        assert.equal(orphans, 0, `${from.join(".")} -> ${to.join(".")}`);
        const [{ dupes }] = await db.query<{ dupes: number }>(
          `SELECT count(*)::int AS dupes FROM (SELECT "${t.sourceColumn}" FROM bi.${toTable.view}
             GROUP BY 1 HAVING count(*) > 1) x`,
        );
        assert.equal(dupes, 0, `${to.join(".")} is unique (the one side)`);
      }

      const measures = new Set(
        tables.flatMap((t) => t.measures.map((m) => m.name)),
      );
      for (
        const name of [
          "Total Revenue",
          "Total Profit",
          "Margin %",
          "Transactions",
          "Average Order Value",
          "Units Sold",
          "Unique Customers",
          "Revenue YoY %",
          "Revenue MoM %",
        ]
      ) assert.ok(measures.has(name), `measure ${name}`);
      for (const t of tables) {
        for (const m of t.measures) {
          assert.ok(m.formatString, `${m.name} is formatted`);
          const refs = daxReferences(m.expression);
          for (const [table, column] of refs.columns) {
            assert.ok(
              find(table, column),
              `${m.name}: ${table}[${column}] exists`,
            );
          }
          for (const name of refs.names) {
            assert.ok(
              measures.has(name),
              `${m.name}: measure [${name}] exists`,
            );
          }
        }
      }
    } finally {
      await db.close();
    }
  },
  { noDb: true, configOverrides: { generate: { scale: 0.1 } } },
);

Deno.test("every report visual uses fields of the model; four pages, 16+ visuals, the slicers", async () => {
  const tables = await readModel();
  const has = (table: string, name: string, kind: "column" | "measure") =>
    tables.some((t) =>
      t.name === table &&
      (kind === "column" ? t.columns : t.measures).some((x) => x.name === name)
    );
  assert.deepEqual(PAGES.map((p) => p.title), [
    "Executive Overview",
    "Product Performance",
    "Customer Analytics",
    "Trends & Geography",
  ]);
  let visuals = 0;
  const slicerFields = new Set<string>();
  for await (const page of Deno.readDir(`${REPORT}/definition/pages`)) {
    if (!page.isDirectory) continue;
    for await (
      const v of Deno.readDir(`${REPORT}/definition/pages/${page.name}/visuals`)
    ) {
      const json = JSON.parse(
        await Deno.readTextFile(
          `${REPORT}/definition/pages/${page.name}/visuals/${v.name}/visual.json`,
        ),
      );
      const state = json.visual.query.queryState as Record<
        string,
        {
          projections: {
            field: Record<
              string,
              {
                Expression: { SourceRef: { Entity: string } };
                Property: string;
              }
            >;
          }[];
        }
      >;
      for (const role of Object.values(state)) {
        for (const p of role.projections) {
          const [kind, ref] = Object.entries(p.field)[0];
          const table = ref.Expression.SourceRef.Entity;
          assert.ok(
            has(table, ref.Property, kind === "Measure" ? "measure" : "column"),
            `${page.name}/${v.name}: ${table}.${ref.Property}`,
          );
          if (json.visual.visualType === "slicer") {
            slicerFields.add(`${table}.${ref.Property}`);
          }
        }
      }
      if (json.visual.visualType !== "slicer") visuals++;
    }
  }
  assert.ok(visuals >= 16, `${visuals} visuals`);
  for (
    const f of [
      "Date.Date",
      "Product.Category",
      "Payment Method.Payment Method",
      "Customer.State",
    ]
  ) {
    assert.ok(slicerFields.has(f), `slicer on ${f}`);
  }
});

Deno.test("the committed report is what the generator writes", async () => {
  for (const [path, content] of Object.entries(reportFiles())) {
    assert.equal(await Deno.readTextFile(`${REPORT}/${path}`), content, path);
  }
  const pbids = JSON.parse(
    await Deno.readTextFile(`${ROOT}/dashboards/powerbi/ecom-warehouse.pbids`),
  );
  assert.equal(pbids.connections[0].details.protocol, "postgresql");
  const pbip = JSON.parse(
    await Deno.readTextFile(`${ROOT}/dashboards/powerbi/EcomPipeline.pbip`),
  );
  assert.equal(pbip.artifacts[0].report.path, "EcomPipeline.Report");
  const pbir = JSON.parse(await Deno.readTextFile(`${REPORT}/definition.pbir`));
  assert.equal(
    pbir.datasetReference.byPath.path,
    "../EcomPipeline.SemanticModel",
  );
  await Deno.stat(
    `${ROOT}/dashboards/powerbi/EcomPipeline.SemanticModel/definition.pbism`,
  );
});

Deno.test("Power BI: auto date/time off, and Sales refreshes incrementally over RangeStart/RangeEnd", async () => {
  const model = await Deno.readTextFile(`${MODEL}/model.tmdl`);
  assert.match(model, /^annotation __PBI_TimeIntelligenceEnabled = 0$/m);
  const expressions = await Deno.readTextFile(`${MODEL}/expressions.tmdl`);
  for (const name of ["RangeStart", "RangeEnd"]) {
    assert.match(
      expressions,
      new RegExp(
        `^expression ${name} = #datetime\\([^)]*\\) meta \\[IsParameterQuery=true, Type="DateTime"`,
        "m",
      ),
      name,
    );
  }
  const sales = await Deno.readTextFile(`${MODEL}/tables/Sales.tmdl`);
  const policy = sales.slice(
    sales.indexOf("\trefreshPolicy"),
    sales.indexOf("\tmeasure"),
  );
  assert.match(policy, /policyType: basic/);
  assert.match(policy, /incrementalGranularity: day/);
  // Both the policy and the partition filter on the window, half-open.
  const filter =
    /\[Date Key\] >= Number\.From\(DateTime\.ToText\(RangeStart, "yyyyMMdd"\)\) and \[Date Key\] < Number\.From\(DateTime\.ToText\(RangeEnd, "yyyyMMdd"\)\)/g;
  assert.equal(sales.match(filter)?.length, 2);
});
