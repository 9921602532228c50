/**
 * Typed staging (`sql/work/typed.sql`): the big staging tables parsed once
 * into `work.items` and `work.transactions`, which the quality checks and the
 * transform both read. A build is keyed by the staging load it came from (its
 * `loaded_at` and row count), so the transform reuses what the
 * quality stage built for the same load and rebuilds when staging changed in
 * between. The tables are scratch tables (lib/sql_named.ts): distributed by
 * transaction on Citus, like the production tables they feed.
 *
 * @module
 */
import type { Db } from "./db.ts";
import { log } from "./log.ts";
import { namedStatements, runNamed, scratchSteps } from "./sql_named.ts";
import typedSql from "../sql/work/typed.sql" with { type: "text" };

const STATEMENTS = namedStatements(typedSql, "sql/work/typed.sql");

/** Where a build's SELECT takes its part of the staging rows. */
const PART = "true /* part */";

/** Staging table -> its work tables (the parsed one first) and the statements around the build. */
const BUILDS = {
  transaction_items: {
    table: "work.items",
    copies: "work.item_copies",
    select: "items",
    finish: ["item_copies", "analyze_items"],
    // The larger table is parsed in two halves, one per core.
    parts: 2,
  },
  transactions: {
    table: "work.transactions",
    copies: "work.transaction_copies",
    select: "transactions",
    finish: ["transaction_copies", "analyze_transactions"],
    parts: 1,
  },
} as const;

type Source = keyof typeof BUILDS;

/** Creates the `work` schema and its build register (idempotent). */
export async function setupTypedStaging(db: Db): Promise<void> {
  for (const name of ["schema", "builds"]) {
    await db.query(STATEMENTS.sql(name));
  }
}

/** The staging load a build comes from: row count and load time. */
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
  const { table, copies } = BUILDS[source];
  const [row] = await db.query<Load & { current: boolean }>(
    `WITH s AS (
       SELECT count(*) AS n, max(loaded_at) AS at FROM staging.${source})
     SELECT s.n::text AS n, s.at::text AS at,
       to_regclass('${table}') IS NOT NULL AND to_regclass('${copies}') IS NOT NULL AND EXISTS (
         SELECT 1 FROM work.builds b
         WHERE b.table_name = '${source}' AND b.staging_rows = s.n
           AND b.staging_loaded_at IS NOT DISTINCT FROM s.at) AS current
     FROM s`,
  );
  return row;
}

/** The build's SELECT over part `i` of `parts` of the staging rows. */
function select(source: Source, i: number, parts: number): string {
  const sql = STATEMENTS.sql(BUILDS[source].select);
  return parts <= 1
    ? sql.replace(PART, "true")
    : sql.replace(PART, `source_row % ${parts} = ${i}`);
}

/** The steps of `source`'s scratch table (lib/sql_named.ts). */
function steps(source: Source) {
  return scratchSteps(
    BUILDS[source].table,
    { by: "transaction_id" },
    select(source, 0, 1),
  );
}

/**
 * Drops and re-creates the (empty) work table of `source`, in one transaction:
 * the steps share a temporary view, which only its own connection sees, and
 * a server's pool may hand each statement outside a transaction to another.
 */
async function create(db: Db, source: Source): Promise<void> {
  await db.transaction(async (tx) => {
    for (const sql of steps(source).create) await tx.query(sql);
  });
}

/** Parses part `i` of `parts` of the staging rows into the work table. */
function fill(
  db: Db,
  source: Source,
  i: number,
  parts: number,
): Promise<unknown> {
  return db.query(
    `INSERT INTO ${BUILDS[source].table} ${select(source, i, parts)}`,
  );
}

/** Finds the repeated ids, analyzes, and registers the build as current. */
async function finish(db: Db, source: Source, load: Load): Promise<void> {
  await runNamed(
    db,
    new Map(BUILDS[source].finish.map((s) => [s, STATEMENTS.sql(s)])),
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
 * server), the parts of staging are parsed on connections of their own at once,
 * each in its own transaction; otherwise one after the other on `db`, which
 * may itself be a transaction. Returns the staging tables that were (re)built.
 */
export async function ensureTypedStaging(
  db: Db,
  options: { concurrent?: boolean } = {},
): Promise<Source[]> {
  const logger = log("typed");
  await setupTypedStaging(db);
  const stale: Array<[Source, Load]> = [];
  for (const source of Object.keys(BUILDS) as Source[]) {
    const load = await currentLoad(db, source);
    if (!load.current) stale.push([source, load]);
  }
  const start = performance.now();
  if (options.concurrent && db.kind === "server") {
    // Created first and committed, so every connection sees the tables.
    for (const [s] of stale) await create(db, s);
    await Promise.all(
      stale.flatMap(([s]) =>
        Array.from(
          { length: BUILDS[s].parts },
          (_, i) => db.transaction((tx) => fill(tx, s, i, BUILDS[s].parts)),
        )
      ),
    );
    await Promise.all(
      stale.map(([s, load]) => db.transaction((tx) => finish(tx, s, load))),
    );
  } else {
    for (const [s, load] of stale) {
      await create(db, s);
      await fill(db, s, 0, 1);
      await finish(db, s, load);
    }
  }
  if (stale.length) {
    logger.debug("parsed {tables} in {ms} ms", {
      tables: stale.map(([s]) => s).join(", "),
      ms: Math.round(performance.now() - start),
    });
  }
  return stale.map(([s]) => s);
}
