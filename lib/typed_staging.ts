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
import { namedStatements, runNamed } from "./sql_named.ts";
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

/** The staging load a build comes from: its row count and load time. */
type Load = {
  n: string;
  at: string | null;
};

/**
 * The current staging load of `source`, and whether its work tables were
 * built from it (one scan of staging, reused by the build's registration).
 */
async function currentLoad(
  db: Db,
  source: Source,
): Promise<Load & { current: boolean }> {
  const exists = BUILDS[source].tables.map((t) =>
    `to_regclass('${t}') IS NOT NULL`
  ).join(" AND ");
  const [row] = await db.query<Load & { current: boolean }>(
    `WITH s AS (SELECT count(*) AS n, max(loaded_at) AS at FROM staging.${source})
     SELECT s.n::text AS n, s.at::text AS at, ${exists} AND EXISTS (
       SELECT 1 FROM work.builds b
       WHERE b.table_name = '${source}' AND b.staging_rows = s.n
         AND b.staging_loaded_at IS NOT DISTINCT FROM s.at) AS current
     FROM s`,
  );
  return row;
}

async function build(db: Db, source: Source, load: Load): Promise<void> {
  await runNamed(
    db,
    new Map(BUILDS[source].steps.map((s) => [s, STATEMENTS.get(s)!])),
    log("typed"),
  );
  // Passed as text: a timestamptz parameter would go through a JavaScript
  // Date on the server and lose its microseconds.
  await db.query(
    `INSERT INTO work.builds (table_name, staging_loaded_at, staging_rows)
     VALUES ($1, $2::text::timestamptz, $3::text::bigint)
     ON CONFLICT (table_name) DO UPDATE SET staging_loaded_at = EXCLUDED.staging_loaded_at,
       staging_rows = EXCLUDED.staging_rows, built_at = now()`,
    [source, load.at, load.n],
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
  await setupTypedStaging(db);
  const stale: Array<[Source, Load]> = [];
  for (const source of Object.keys(BUILDS) as Source[]) {
    const load = await currentLoad(db, source);
    if (!load.current) stale.push([source, load]);
  }
  if (options.concurrent && db.kind === "server") {
    await Promise.all(
      stale.map(([s, load]) => db.transaction((tx) => build(tx, s, load))),
    );
  } else {
    for (const [s, load] of stale) await build(db, s, load);
  }
  return stale.map(([s]) => s);
}
