/**
 * Every schema of the database, set up in one place: staging, the shared
 * functions (util), the run history (ops), production, the typed staging
 * layer (work), the warehouse and the reporting views (bi). Stages call
 * {@linkcode ensureSchema} and never each other.
 *
 * The DDL files are idempotent. Their text is versioned by a checksum: a
 * database that has recorded the current checksum in `ops.schema_migrations`
 * runs no DDL at all (one query), one that has not gets the DDL, in one
 * transaction, and a new row there (version, checksum, time). Read-only
 * commands (the monitor) only ask {@linkcode schemaReady}.
 *
 * @module
 */
import type { Db } from "./db.ts";
import stagingSql from "../sql/staging/schema.sql" with { type: "text" };
import functionsSql from "../sql/common/functions.sql" with { type: "text" };
import opsSql from "../sql/ops/schema.sql" with { type: "text" };
import monitoringSql from "../sql/ops/monitoring.sql" with { type: "text" };
import productionSql from "../sql/production/schema.sql" with {
  type: "text",
};
import warehouseSql from "../sql/warehouse/schema.sql" with { type: "text" };
import biSql from "../sql/bi/schema.sql" with { type: "text" };
import layoutSql from "../sql/common/layout.sql" with { type: "text" };

/** The DDL, in dependency order. */
const PARTS: [string, string][] = [
  ["staging", stagingSql],
  ["util", functionsSql],
  ["ops", opsSql],
  ["ops monitoring", monitoringSql],
  ["production", productionSql],
  ["warehouse", warehouseSql],
  ["bi", biSql],
  // Last: distributes the tables above on Citus.
  ["layout", layoutSql],
];

const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS ops.schema_migrations (
  version int PRIMARY KEY,
  checksum text NOT NULL UNIQUE,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

/** FNV-1a over the DDL text: changes whenever any DDL file does. */
function checksum(texts: string[]): string {
  let h = 0x811c9dc5;
  for (const text of texts) {
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  }
  return h.toString(16).padStart(8, "0");
}

/** The checksum of the schema this code expects. */
export const SCHEMA_CHECKSUM = checksum(PARTS.map(([, sql]) => sql));

const ready = new WeakSet<Db>();

/**
 * The checksum with the layout this connection asks for: a database that
 * gains the citus extension, or whose server.distribute changes, gets the
 * schema (and sql/common/layout.sql) applied again.
 */
async function layoutChecksum(db: Db): Promise<string> {
  const [{ citus, mode }] = await db.query<{ citus: boolean; mode: string }>(
    `SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') AS citus,
       coalesce(current_setting('ecom.distribute', true), 'auto') AS mode`,
  );
  if (mode === "on") return `${SCHEMA_CHECKSUM}+citus-required`;
  return citus && mode !== "off" ? `${SCHEMA_CHECKSUM}+citus` : SCHEMA_CHECKSUM;
}

/** Whether the database holds this code's schema; runs no DDL. */
export async function schemaReady(db: Db): Promise<boolean> {
  if (ready.has(db)) return true;
  const [{ known }] = await db.query<{ known: boolean }>(
    `SELECT to_regclass('ops.schema_migrations') IS NOT NULL AS known`,
  );
  if (!known) return false;
  const rows = await db.query(
    "SELECT 1 FROM ops.schema_migrations WHERE checksum = $1",
    [await layoutChecksum(db)],
  );
  if (rows.length) ready.add(db);
  return rows.length > 0;
}

/**
 * Sets up every schema unless this connection or the database already has
 * the current version.
 *
 * @example
 * ```ts
 * const db = await openDb(config);
 * await ensureSchema(db); // DDL once; later calls cost nothing
 * ```
 */
export async function ensureSchema(db: Db): Promise<void> {
  if (await schemaReady(db)) return;
  await db.transaction(async (tx) => {
    for (const [, sql] of PARTS) await tx.exec(sql);
    await tx.exec(MIGRATIONS_TABLE);
    await tx.query(
      `INSERT INTO ops.schema_migrations (version, checksum)
       SELECT coalesce(max(version), 0) + 1, $1 FROM ops.schema_migrations
       ON CONFLICT (checksum) DO NOTHING`,
      [await layoutChecksum(tx)],
    );
  });
  ready.add(db);
}
