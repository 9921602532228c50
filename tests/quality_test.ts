/**
 * Quality checks against the ground truth: every check fails exactly the
 * rows the generator broke, clean data scores 100, and the gate stops a run
 * with too many orphans while warn-only checks let it pass.
 */
import assert from "node:assert/strict";
import { generateShop } from "../lib/synth/shop.ts";
import { csvLine } from "../lib/synth/csv_writer.ts";
import { DEFECT_KINDS } from "../lib/synth/defects.ts";
import { RULES } from "../lib/quality_rules.ts";
import { CHECKS, defectOf } from "../lib/quality_checks.ts";
import { runIngest } from "../stages/ingest.ts";
import { gateError, runQuality } from "../stages/quality.ts";
import {
  dbTest,
  loadGenerated,
  readCsv,
  readCsvObjects,
  ROOT,
  runDeno,
  tempDir,
} from "./helpers.ts";

dbTest(
  "every check fails exactly the injected defects of its kind",
  async ({ config, db }) => {
    const raw = await loadGenerated(config, db, 0.03);
    const manifest = await readCsvObjects(`${raw}/injected_defects.csv`);
    // Each declared check must fail exactly the rows injected with its defect
    // kind (a check declared with no defect: none).
    const injected = new Map<string, Set<string>>();
    for (const m of manifest) {
      const key = `${m.file.replace(".csv", "")}.${m.defect_kind}`;
      if (!injected.has(key)) injected.set(key, new Set());
      injected.get(key)!.add(`${m.record_id}@${m.source_row}`);
    }
    const expected = new Map<string, Set<string>>(
      CHECKS.map((c) => [
        c.name,
        injected.get(`${c.name.split(".")[0]}.${defectOf(c)}`) ?? new Set(),
      ]),
    );
    const result = await runQuality(config, db);
    assert.deepEqual(
      Object.keys(result.checks).sort(),
      CHECKS.map((c) => c.name).sort(),
    );
    for (const [name, check] of Object.entries(result.checks)) {
      const want = expected.get(name)?.size ?? 0;
      assert.equal(
        check.failed,
        want,
        `${name}: ${check.failed} failed, ${want} injected`,
      );
      for (const s of check.samples) {
        assert.ok(
          expected.get(name)!.has(`${s.id}@${s.source_row}`),
          `${name} sample ${s.id}@${s.source_row}`,
        );
      }
      assert.equal(check.samples.length, Math.min(10, want));
    }
    // Every injected defect kind has a check that expects it.
    for (const [table, kinds] of Object.entries(DEFECT_KINDS)) {
      for (const kind of kinds) {
        assert.ok(
          CHECKS.some((c) =>
            c.name.startsWith(`${table}.`) && defectOf(c) === kind
          ),
          `${table}.${kind} has a check`,
        );
      }
    }
    // 3 % spread thin over the kinds: each injected kind is a warning, none
    // fails; the score is the weighted mean of the dimensions' pass shares.
    assert.equal(result.passed, true, result.gateFailures.join("; "));
    const withDefects = [...expected.values()].filter((s) => s.size > 0).length;
    assert.equal(result.warnings!.length, withDefects);
    const weights = config.quality.weights;
    const dims = Object.keys(weights) as (keyof typeof weights)[];
    const share = (d: string) => {
      const list = Object.values(result.checks).filter((c) =>
        c.dimension === d
      );
      const checked = list.reduce((a, c) => a + c.checked, 0);
      const failed = list.reduce((a, c) => a + c.failed, 0);
      return checked ? Math.round(10000 * (1 - failed / checked)) / 100 : 100;
    };
    const score = Math.round(
      100 * dims.reduce((a, d) => a + weights[d] * share(d), 0) /
        dims.reduce((a, d) => a + weights[d], 0),
    ) / 100;
    assert.equal(result.score, score);
    assert.equal(result.grade, score >= 90 ? "A" : "B");

    const report = JSON.parse(
      await Deno.readTextFile(
        `${config.dataDir}/processed/data_quality_report.json`,
      ),
    );
    for (
      const key of [
        "null_checks",
        "duplicate_checks",
        "referential_integrity",
        "range_checks",
        "data_consistency",
      ]
    ) {
      assert.ok(report.checks_performed[key].status, key);
      assert.equal(typeof report.checks_performed[key].failed, "number");
    }
    assert.equal(report.overall_quality_score, result.score);
    assert.equal(report.quality_grade, "A");
    // The dimension score is the share of checked rows that pass, recomputed here.
    const completeness = Object.values(result.checks).filter((c) =>
      c.dimension === "completeness"
    );
    const checked = completeness.reduce((a, c) => a + c.checked, 0);
    const failed = completeness.reduce((a, c) => a + c.failed, 0);
    assert.equal(
      report.dimension_scores.completeness,
      Math.round(10000 * (1 - failed / checked)) / 100,
    );
    const [{ runs, rows }] = await db.query<{ runs: number; rows: number }>(
      `SELECT count(DISTINCT run_id)::int AS runs, count(*)::int AS rows FROM ops.dq_results`,
    );
    assert.deepEqual({ runs, rows }, {
      runs: 1,
      rows: Object.keys(RULES).length,
    });
  },
);

dbTest(
  "clean data passes every check with score 100",
  async ({ config, db }) => {
    await loadGenerated(config, db, 0);
    const result = await runQuality(config, db);
    for (const c of Object.values(result.checks)) {
      assert.equal(
        c.failed,
        0,
        c.name,
      );
    }
    assert.equal(result.score, 100);
    assert.equal(result.grade, "A");
    assert.equal(result.passed, true);
    assert.deepEqual(result.warnings, []);
    await runQuality(config, db);
    const [{ runs }] = await db.query<{ runs: number }>(
      `SELECT count(*)::int AS runs FROM ops.dq_runs`,
    );
    assert.equal(runs, 2, "each run is kept in the history");
  },
);

/** Points a share of the transactions at customers that do not exist. */
async function orphan(raw: string, share: number): Promise<number> {
  const rows = await readCsv(`${raw}/transactions.csv`);
  let changed = 0;
  const out = rows.map((r, i) => {
    if (i > 0 && i % Math.round(1 / share) === 0) {
      changed++;
      r[1] = `GHOST-${i}`;
    }
    return csvLine(r);
  });
  await Deno.writeTextFile(`${raw}/transactions.csv`, out.join(""));
  return changed;
}

dbTest(
  "20 % orphans fail the gate naming the check; warn severity passes",
  async ({ config, db }) => {
    const raw = `${config.dataDir}/raw`;
    await generateShop({
      seed: 5,
      scale: 0.2,
      startDate: "2025-01-01",
      endDate: "2025-12-31",
      defectRate: 0,
      outDir: raw,
    });
    const changed = await orphan(raw, 0.2);
    await runIngest(config, db);
    const result = await runQuality(config, db);
    assert.equal(result.checks["transactions.orphan_customer"].failed, changed);
    assert.equal(
      result.checks["transactions.orphan_customer"].status,
      "failed",
    );
    assert.equal(result.passed, false);
    assert.equal(result.gateFailures.length, 1);
    assert.match(
      result.gateFailures[0],
      new RegExp(
        `^transactions\\.orphan_customer: ${changed} of 2,000 rows \\(20\\.00%\\)`,
      ),
    );
    assert.match(
      gateError(result).message,
      /quality gate failed .*\n {2}- transactions\.orphan_customer/,
    );

    const lenient = {
      ...config,
      quality: {
        ...config.quality,
        checks: {
          "transactions.orphan_customer": { severity: "warn" as const },
        },
      },
    };
    const again = await runQuality(lenient, db);
    assert.equal(again.passed, true);
    assert.equal(
      again.checks["transactions.orphan_customer"].status,
      "warning",
    );
    assert.ok(
      again.warnings!.some((w) => w.startsWith("transactions.orphan_customer")),
    );

    const strict = {
      ...config,
      quality: { ...config.quality, minScore: 99.9 },
    };
    const low = await runQuality(strict, db);
    assert.ok(
      low.gateFailures.some((f) =>
        /overall score .* is below the minimum 99.9/.test(f)
      ),
    );
  },
);

Deno.test("the quality command exits 1 and names the failed check", async () => {
  const dir = await tempDir();
  const raw = `${dir}/data/raw`;
  await generateShop({
    seed: 5,
    scale: 0.1,
    startDate: "2025-01-01",
    endDate: "2025-12-31",
    defectRate: 0,
    outDir: raw,
  });
  await orphan(raw, 0.2);
  const args = ["--data-dir", `${dir}/data`, "--log-dir", `${dir}/logs`];
  const env = { DATABASE_URL: "", PGHOST: "" };
  const ingest = await runDeno([
    "run",
    "-A",
    `${ROOT}/main.ts`,
    "ingest",
    ...args,
  ], { env });
  assert.equal(ingest.code, 0, ingest.stderr);
  const r = await runDeno(
    ["run", "-A", `${ROOT}/main.ts`, "quality", ...args],
    { env },
  );
  assert.equal(r.code, 1);
  assert.match(r.stderr, /quality: error: quality gate failed/);
  assert.match(
    r.stderr,
    / {2}- transactions\.orphan_customer: 200 of 1,000 rows \(20\.00%\)/,
  );
  assert.doesNotMatch(r.stderr, /^\s+at /m);
});
