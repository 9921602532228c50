/**
 * Typed staging (`sql/work/typed.sql`): the big staging tables parsed once
 * into `work.items` and `work.transactions`, which the quality checks and the
 * transform both read. A build is keyed by the staging load it came from (its
 * `loaded_at` and row count), so the transform reuses what the quality stage
 * built for the same load and rebuilds when staging changed in between.
 *
 * @module
 */
import type { Db } from "./db.ts";
import { log } from "./log.ts";
import { namedStatements } from "./sql_named.ts";
import typedSql from "../sql/work/typed.sql" with { type: "text" };

const STATEMENTS = namedStatements(typedSql);

/** Staging table -> the work tables built from it and the statements that build them. */
const BUILDS = {
  transaction_items: {
    tables: ["work.items", "work.item_dups"],
    steps: ["drop_items", "items", "item_dups", "analyze_items"],
  },
  transactions: {
    tables: ["work.transactions", "work.transaction_dups"],
    steps: [
      "drop_transactions",
      "transactions",
      "transaction_dups",
      "analyze_transactions",
    ],
  },
} as const;

type Source = keyof typeof BUILDS;

/** Creates the `work` schema and its build register (idempotent). */
export async function setupTypedStaging(db: Db): Promise<void> {
  await db.query(STATEMENTS.get("schema")!);
  await db.query(STATEMENTS.get("builds")!);
}

/** Whether the work tables of `source` were built from the current staging load. */
async function isCurrent(db: Db, source: Source): Promise<boolean> {
  const exists = BUILDS[source].tables.map((t) =>
    `to_regclass('${t}') IS NOT NULL`
  ).join(" AND ");
  const [row] = await db.query<{ current: boolean }>(
    `WITH s AS (SELECT count(*) AS n, max(loaded_at) AS at FROM staging.${source})
     SELECT ${exists} AND EXISTS (
       SELECT 1 FROM work.builds b, s
       WHERE b.table_name = '${source}' AND b.staging_rows = s.n
         AND b.staging_loaded_at IS NOT DISTINCT FROM s.at) AS current`,
  );
  return row.current;
}

async function build(db: Db, source: Source): Promise<void> {
  for (const step of BUILDS[source].steps) {
    await db.query(STATEMENTS.get(step)!);
  }
  await db.query(
    `INSERT INTO work.builds (table_name, staging_loaded_at, staging_rows)
     SELECT '${source}', max(loaded_at), count(*) FROM staging.${source}
     ON CONFLICT (table_name) DO UPDATE SET staging_loaded_at = EXCLUDED.staging_loaded_at,
       staging_rows = EXCLUDED.staging_rows, built_at = now()`,
  );
}

/**
 * Builds the typed work tables that are not current. With `concurrent` (and a
 * server), the two builds run on connections of their own, each in its own
 * transaction; otherwise one after the other on `db`, which may itself be a
 * transaction. Returns the staging tables that were (re)built.
 */
export async function ensureTypedStaging(
  db: Db,
  options: { concurrent?: boolean } = {},
): Promise<Source[]> {
  const logger = log("typed");
  await setupTypedStaging(db);
  const stale: Source[] = [];
  for (const source of Object.keys(BUILDS) as Source[]) {
    if (!(await isCurrent(db, source))) stale.push(source);
  }
  const one = async (target: Db, source: Source) => {
    const t0 = performance.now();
    await build(target, source);
    logger.debug("typed {source} in {ms} ms", {
      source,
      ms: Math.round(performance.now() - t0),
    });
  };
  if (options.concurrent && db.kind === "server") {
    await Promise.all(
      stale.map((s) => db.transaction((tx) => one(tx, s))),
    );
  } else {
    for (const s of stale) await one(db, s);
  }
  return stale;
}
