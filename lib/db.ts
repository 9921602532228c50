/**
 * The one database interface every stage uses. Two implementations hide
 * whether we talk to a PostgreSQL server (postgres.js) or to the embedded
 * PGlite database persisted under `DATA_DIR/pglite`; the same SQL runs on both.
 *
 * @module
 */
import type { Config } from "./config.ts";
import { embeddedDbDir } from "./paths.ts";

/** A row as returned by {@linkcode Db.query}: int8 and numeric arrive as numbers, dates as `YYYY-MM-DD`. */
export type Row = Record<string, unknown>;

/** Options for {@linkcode Db.copyFrom}. */
export interface CopyFromOptions {
  /** The first chunk starts with a header line that COPY must skip. */
  header: boolean;
  /**
   * Physical line number (1-based) of the first byte of each chunk, so
   * errors from chunked loads name the line in the original file.
   */
  firstLineOf?: (chunkIndex: number) => number;
}

/** A connection (or a transaction on one). */
export interface Db {
  /** `embedded` (PGlite) or `server` (PostgreSQL over the network). */
  readonly kind: "embedded" | "server";
  /** Human-readable target with any password masked. */
  readonly label: string;
  /** Runs a script of one or more statements without parameters. */
  exec(sql: string): Promise<void>;
  /** Runs one statement with `$1`-style parameters and returns its rows. */
  query<T extends Row = Row>(sql: string, params?: unknown[]): Promise<T[]>;
  /**
   * Streams CSV into `COPY <target> FROM STDIN WITH (<options>)`. Each chunk
   * must end on a record boundary (see `csv_chunks.ts`). Returns rows copied.
   */
  copyFrom(
    target: string,
    withOptions: string,
    chunks: AsyncIterable<Uint8Array>,
    options: CopyFromOptions,
  ): Promise<number>;
  /** Streams `COPY (<query>) TO STDOUT WITH (<options>)` into `sink`. */
  copyTo(
    query: string,
    withOptions: string,
    sink: WritableStream<Uint8Array>,
  ): Promise<void>;
  /** Runs `fn` in a transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  /** Closes the connection; the embedded database is flushed to disk. */
  close(): Promise<void>;
}

/**
 * Opens the database the configuration selects: the server when
 * `databaseUrl` is set, the embedded database in `dataDir/pglite` otherwise.
 *
 * @example
 * ```ts
 * const db = await openDb(await loadConfig());
 * const [{ n }] = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM production.customers");
 * await db.close();
 * ```
 */
export async function openDb(config: Config): Promise<Db> {
  if (config.databaseUrl) {
    const { openServerDb } = await import("./db_server.ts");
    return openServerDb(config.databaseUrl, {
      work_mem: config.server.workMem,
      maintenance_work_mem: config.server.maintenanceWorkMem,
      temp_buffers: config.server.tempBuffers,
      jit: config.server.jit ? "on" : "off",
      // Read by util.citus_wanted (sql/common/functions.sql).
      "ecom.distribute": config.server.distribute,
      // On Citus, the stages' SET LOCAL ecom.* reach the workers' shard
      // queries too; a harmless placeholder on plain PostgreSQL.
      "citus.propagate_set_commands": "local",
    });
  }
  const { openEmbeddedDb } = await import("./db_embedded.ts");
  return openEmbeddedDb(embeddedDbDir(config));
}

/**
 * Quotes an SQL identifier (`schema.table` is quoted part by part).
 *
 * @example
 * ```ts
 * ident("production.customers"); // "\"production\".\"customers\""
 * ```
 */
export function ident(name: string): string {
  return name.split(".").map((p) => `"${p.replaceAll('"', '""')}"`).join(".");
}

/**
 * Quotes an SQL string literal, for the few places parameters can't go (COPY, SET).
 *
 * @example
 * ```ts
 * literal("O'Brien"); // "'O''Brien'"
 * ```
 */
export function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
