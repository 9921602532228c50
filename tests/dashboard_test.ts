/**
 * The HTML dashboard as a person sees it, in Chromium: four tabs that each
 * show their own section, charts drawn, no network request, no script
 * error, and KPI cards that equal the figures summed independently from the
 * analytics CSV exports.
 */
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { runPipeline } from "../tasks/pipeline.ts";
import { runDashboard } from "../stages/dashboard.ts";
import { openDb } from "../lib/db.ts";
import { readCsvObjects, skipWithout, tempDir, testConfig } from "./helpers.ts";

const CHROMIUM = "/usr/bin/chromium";

Deno.test({
  name:
    "the dashboard opens offline in Chromium with four working tabs and the exports' figures",
  ignore: skipWithout(CHROMIUM, "apt-get install chromium"),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await Deno.stat(CHROMIUM).catch(() => {
      throw new Error(
        `${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`,
      );
    });
    const dir = await tempDir();
    const config = testConfig(dir, { generate: { scale: 0.1 } });
    const report = await runPipeline(config);
    assert.equal(report.status, "success", JSON.stringify(report.errors));
    assert.equal(report.steps_executed.dashboard.status, "success");

    // Expected figures, straight from the CSV exports.
    const analytics = `${config.dataDir}/processed/analytics`;
    const cat = await readCsvObjects(`${analytics}/category_performance.csv`);
    const monthly = await readCsvObjects(
      `${analytics}/monthly_sales_trend.csv`,
    );
    const clv = await readCsvObjects(
      `${analytics}/customer_lifetime_value.csv`,
    );
    const sum = (rows: Record<string, string>[], k: string) =>
      rows.reduce((a, r) => a + Number(r[k]), 0);
    const usd0 = (v: number) =>
      "$" + Math.round(v).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    const count = (v: number) =>
      v.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    const revenue = sum(cat, "revenue");
    const profit = sum(cat, "profit");
    const expected = {
      revenue: usd0(revenue),
      profit: usd0(profit),
      margin: `${(100 * profit / revenue).toFixed(1)} %`,
      orders: count(sum(monthly, "transactions")),
      customers: count(clv.length),
      units: count(sum(cat, "units")),
    };

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu"],
    });
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      const errors: string[] = [];
      page.on("request", (r) => {
        if (!r.url().startsWith("file://")) requests.push(r.url());
      });
      page.on("pageerror", (e) => errors.push(e.message));
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(m.text());
      });
      await page.goto(
        `file://${config.dataDir}/processed/dashboard/index.html`,
      );

      const tabs = await page.locator("nav [role=tab]").allTextContents();
      assert.deepEqual(tabs, [
        "Executive Overview",
        "Product Performance",
        "Customer Analytics",
        "Trends & Geography",
      ]);
      const ids = ["executive", "products", "customers", "trends"];
      let charts = 0;
      for (const [i, id] of ids.entries()) {
        await page.locator("nav [role=tab]").nth(i).click();
        for (const other of ids) {
          assert.equal(
            await page.locator(`section#${other}`).isVisible(),
            other === id,
            `after clicking ${tabs[i]}, ${other} visible: ${other === id}`,
          );
        }
        const svgs = await page.locator(`section#${id} svg.marks`).count();
        assert.ok(svgs >= 2, `${id} has charts`);
        charts += svgs;
        // Drawn, not empty: each chart has a visible size and marks in it.
        const box = await page.locator(`section#${id} svg.marks`).first()
          .boundingBox();
        assert.ok(
          box && box.width > 100 && box.height > 100,
          `${id} chart size`,
        );
      }
      // Every chart the stage built is drawn (compared below with its count).
      const drawn = charts;

      await page.locator("#tab-executive").click();
      const shown = Object.fromEntries(
        await Promise.all(
          Object.keys(expected).map(async (k) => [
            k,
            await page.locator(`[data-kpi=${k}] .value`).textContent(),
          ]),
        ),
      );
      assert.deepEqual(shown, expected);

      // As a person reads it at 1280 px: no KPI text wider than its card.
      const narrow = await browser.newPage({
        viewport: { width: 1280, height: 900 },
      });
      await narrow.goto(
        `file://${config.dataDir}/processed/dashboard/index.html`,
      );
      // A shop ten times this one: the widest figure a card must hold.
      await narrow.evaluate(`document.querySelectorAll(".kpi .value")
        .forEach((v) => { v.textContent = "$999,999,999"; })`);
      // Runs in the page (a string: this file is type-checked without DOM types).
      const overflowing = await narrow.evaluate(
        `[...document.querySelectorAll(".kpi")]
        .flatMap((card) => [...card.querySelectorAll("div")]
          .filter((el) => el.scrollWidth > card.clientWidth ||
            el.getBoundingClientRect().right > card.getBoundingClientRect().right + 0.5)
          .map((el) => card.getAttribute("data-kpi") + ": " + el.textContent))`,
      ) as string[];
      assert.deepEqual(overflowing, [], "KPI text stays inside its card");
      await narrow.close();
      // Hovering a mark shows its figures; donut slices carry their share;
      // growth is read in percent; product names are not cut.
      const html = await Deno.readTextFile(
        `${config.dataDir}/processed/dashboard/index.html`,
      );
      assert.ok(
        (html.match(/<title>[^<]*Revenue: \$[0-9,]+/g) ?? []).length >= 10,
        "bars have tooltips",
      );
      assert.match(html, /<text[^>]*>\d+%<\/text>/, "donut percentages");
      await page.locator("#tab-trends").click();
      const growthLabels = await page.locator(
        "section#trends svg text",
      ).allTextContents();
      assert.ok(
        growthLabels.some((t) => /^-?\d+%$/.test(t)),
        "growth axis in %",
      );
      await page.locator("#tab-products").click();
      const names = await page.locator("section#products svg text")
        .allTextContents();
      assert.ok(
        names.every((t) => !t.endsWith("…")),
        `no cut labels: ${names.filter((t) => t.endsWith("…"))}`,
      );

      assert.deepEqual(requests, [], "no network requests");
      assert.deepEqual(errors, [], "no script errors");

      // Built from the database (deno task dashboard) or from the exports
      // (inside the pipeline): the same page, but for its timestamp.
      const page1 = await Deno.readTextFile(
        `${config.dataDir}/processed/dashboard/index.html`,
      );
      const db = await openDb(config);
      const built = await runDashboard(config, db);
      await db.close();
      assert.equal(drawn, built.charts, "every chart drawn");
      assert.ok(built.charts >= 11, "the four pages' charts");
      const page2 = await Deno.readTextFile(
        `${config.dataDir}/processed/dashboard/index.html`,
      );
      // Vega numbers its clip paths per process; the rest must match.
      const same = (html: string) =>
        html.replace(/generated [0-9-]+ [0-9:]+ UTC/, "").replace(
          /clip\d+/g,
          "clip",
        );
      assert.equal(same(page2), same(page1));
    } finally {
      await browser.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
