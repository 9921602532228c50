/**
 * Typed staging (`sql/work/typed.sql`): the big staging tables parsed once
 * into `work.items` and `work.transactions`, which the quality checks and the
 * transform both read. A build is keyed by the staging load it came from (its
 * `loaded_at`, row count and relfilenode), so the transform reuses what the
 * quality stage built for the same load and rebuilds when staging changed in
 * between.
 *
 * @module
 */
import type { Db } from "./db.ts";
import { log } from "./log.ts";
import { namedStatements, runNamed } from "./sql_named.ts";
import typedSql from "../sql/work/typed.sql" with { type: "text" };

const STATEMENTS = namedStatements(typedSql, "sql/work/typed.sql");

/** Where a build's SELECT takes its range of staging blocks. */
const RANGE = "true /* block range */";

/** Staging table -> its work tables (the parsed one first) and the statements around the build. */
const BUILDS = {
  transaction_items: {
    tables: ["work.items", "work.item_dups"],
    select: "items",
    drop: "drop_items",
    finish: ["item_dups", "analyze_items"],
    // The larger table is parsed in two halves, one per core.
    parts: 2,
  },
  transactions: {
    tables: ["work.transactions", "work.transaction_dups"],
    select: "transactions",
    drop: "drop_transactions",
    finish: ["transaction_dups", "analyze_transactions"],
    parts: 1,
  },
} as const;

type Source = keyof typeof BUILDS;

/** Creates the `work` schema and its build register (idempotent). */
export async function setupTypedStaging(db: Db): Promise<void> {
  for (const name of ["schema", "builds", "builds_filenode"]) {
    await db.query(STATEMENTS.sql(name));
  }
}

/** The staging load a build comes from: row count, load time, relfilenode, size in blocks. */
type Load = {
  n: string;
  at: string | null;
  filenode: string;
  blocks: number;
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
    `WITH s AS (
       SELECT count(*) AS n, max(loaded_at) AS at,
         pg_relation_filenode('staging.${source}') AS filenode,
         (pg_relation_size('staging.${source}')
           / current_setting('block_size')::int)::int AS blocks
       FROM staging.${source})
     SELECT s.n::text AS n, s.at::text AS at, s.filenode::text AS filenode, s.blocks,
       ${exists} AND EXISTS (
         SELECT 1 FROM work.builds b
         WHERE b.table_name = '${source}' AND b.staging_rows = s.n
           AND b.staging_loaded_at IS NOT DISTINCT FROM s.at
           AND b.staging_filenode = s.filenode) AS current
     FROM s`,
  );
  return row;
}

/** Block ranges splitting `blocks` into `parts` (the last one open-ended). */
function ranges(blocks: number, parts: number): string[] {
  if (parts <= 1 || blocks < parts) return ["true"];
  const step = Math.ceil(blocks / parts);
  return Array.from({ length: parts }, (_, i) => {
    const lo = `ctid >= '(${i * step},0)'::tid`;
    return i === parts - 1
      ? lo
      : `${lo} AND ctid < '(${(i + 1) * step},0)'::tid`;
  });
}

/** Drops and re-creates the (empty) work table of `source`. */
async function create(db: Db, source: Source): Promise<void> {
  const b = BUILDS[source];
  await db.query(STATEMENTS.sql(b.drop));
  await db.query(
    `CREATE UNLOGGED TABLE ${b.tables[0]} AS ${
      STATEMENTS.sql(b.select).replace(RANGE, "true")
    } WITH NO DATA`,
  );
}

/** Parses one range of staging blocks into the work table. */
function fill(db: Db, source: Source, range: string): Promise<unknown> {
  const b = BUILDS[source];
  return db.query(
    `INSERT INTO ${b.tables[0]} ${
      STATEMENTS.sql(b.select).replace(RANGE, range)
    }`,
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
    `INSERT INTO work.builds (table_name, staging_loaded_at, staging_rows, staging_filenode)
     VALUES ($1, $2::text::timestamptz, $3::text::bigint, $4::text::oid)
     ON CONFLICT (table_name) DO UPDATE SET staging_loaded_at = EXCLUDED.staging_loaded_at,
       staging_rows = EXCLUDED.staging_rows, staging_filenode = EXCLUDED.staging_filenode,
       built_at = now()`,
    [source, load.at, load.n, load.filenode],
  );
}

/**
 * Builds the typed work tables that are not current. With `concurrent` (and a
 * server), the block ranges are parsed on connections of their own at once,
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
      stale.flatMap(([s, load]) =>
        ranges(load.blocks, BUILDS[s].parts).map((r) =>
          db.transaction((tx) => fill(tx, s, r))
        )
      ),
    );
    await Promise.all(
      stale.map(([s, load]) => db.transaction((tx) => finish(tx, s, load))),
    );
  } else {
    for (const [s, load] of stale) {
      await create(db, s);
      await fill(db, s, "true");
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
