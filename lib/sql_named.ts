/**
 * Named statements in one `.sql` file: each starts with a `-- name: NAME`
 * line and runs on its own (so it can take parameters and return rows).
 *
 * @module
 */
import type { Db, Row } from "./db.ts";
import type { Logger } from "./log.ts";
import { progress } from "./progress.ts";

/**
 * Named statements, in file order, that know which file they came from: a
 * lookup of a name that is not there throws an error naming the file, not
 * `undefined is not iterable` three calls later.
 */
export class Statements extends Map<string, string> {
  constructor(readonly file: string) {
    super();
  }

  /** The statement called `name`. @throws {Error} naming the file when missing. */
  sql(name: string): string {
    const text = super.get(name);
    if (text === undefined) {
      throw new Error(`no statement "-- name: ${name}" in ${this.file}`);
    }
    return text;
  }
}

/**
 * Splits `text` (the file `file`, for messages) into its named statements,
 * in file order. Several files may be given as `[file, text]` pairs: their
 * statements run in the order given, and a name may appear only once.
 *
 * @example
 * ```ts
 * const s = namedStatements("-- name: one\nSELECT 1;", "sql/x.sql");
 * s.sql("one"); // "SELECT 1;"
 * s.sql("two"); // throws: no statement "-- name: two" in sql/x.sql
 * ```
 * @throws {Error} when a name repeats or text precedes the first name.
 */
export function namedStatements(
  text: string | [string, string][],
  file = "<sql>",
): Statements {
  const sources = typeof text === "string" ? [[file, text]] : text;
  const out = new Statements(sources.map(([f]) => f).join(", "));
  for (const [f, body] of sources) {
    const parts = body.split(/^--\s*name:\s*(\S+)\s*$/m);
    if (parts[0].replace(/--.*$/gm, "").trim() !== "") {
      throw new Error(`${f}: SQL before the first '-- name:' line`);
    }
    for (let i = 1; i < parts.length; i += 2) {
      if (out.has(parts[i])) {
        throw new Error(`${f}: statement ${parts[i]} is defined twice`);
      }
      out.set(parts[i], parts[i + 1].trim());
    }
  }
  return out;
}

/**
 * The first statements of the warehouse's transaction, for Citus (harmless
 * placeholder settings elsewhere). It writes reference tables (dimensions)
 * and distributed ones (facts), creates and drops distributed scratch tables
 * and reads them all back: over several connections per node, Citus then
 * refuses shards "modified over multiple connections". So every shard, the
 * coordinator's copies of the reference tables included, is reached over
 * one connection per node: the nodes still work in parallel, each on its
 * shards one after the other (docs/scaling.md).
 */
export const CITUS_TRANSACTION = `SET LOCAL citus.enable_local_execution = off;
  SET LOCAL citus.multi_shard_modify_mode = 'sequential';`;

/** `-- scratch: work.t by transaction_id` (or `reference`). */
const SCRATCH = /^--\s*scratch:\s*(\S+)\s+(?:by\s+(\w+)|(reference))\s*$/m;

/** How a scratch table is laid out on Citus (util.distribute). */
export type ScratchLayout = { by: string } | "reference";

/**
 * The statements that make a scratch table from a SELECT, so that the same
 * SQL runs on PGlite, PostgreSQL and Citus: the table is created empty with
 * the SELECT's shape, distributed (on Citus; CREATE TABLE AS would make a
 * local table there and pull every row to the coordinator), then filled with
 * INSERT ... SELECT, which Citus runs shard by shard, and analyzed.
 * UNLOGGED: derived data, rebuilt by every run, and (unlike a TEMP table)
 * open to parallel plans on PostgreSQL.
 */
export function scratchSteps(
  table: string,
  layout: ScratchLayout,
  select: string,
): { create: string[]; fill: string; analyze: string } {
  // The shape comes from a view, which is parsed but never planned: Citus
  // plans even CREATE TABLE AS ... WITH NO DATA, and refuses some SELECTs
  // there that it runs as INSERT ... SELECT.
  // Unqualified: a session's temporary schema comes first in its path.
  const shape = `${table.replace(/\W/g, "_")}_shape`;
  const create = [
    `DROP TABLE IF EXISTS ${table}`,
    `CREATE OR REPLACE TEMP VIEW ${shape} AS ${select}`,
    `CREATE UNLOGGED TABLE ${table} (LIKE ${shape})`,
    `DROP VIEW ${shape}`,
    `SELECT util.distribute('${table}', '${
      layout === "reference" ? "reference" : layout.by
    }')`,
  ];
  return {
    create,
    fill: `INSERT INTO ${table} ${select}`,
    analyze: `SELECT util.analyze('${table}')`,
  };
}

/**
 * The statements `sql` stands for: itself, or a scratch table's steps. With
 * `local` (no Citus layout), a scratch table is made by one CREATE TABLE AS,
 * which PostgreSQL may run with parallel workers; an INSERT ... SELECT never
 * runs in parallel in PostgreSQL 15 (validating 3 M line items: 14 s as an
 * INSERT on this project's 2-core bench machine).
 */
export function expand(sql: string, local = false): string[] {
  const m = sql.match(SCRATCH);
  if (!m) return [sql];
  const select = sql.replace(/^--.*$/gm, "").trim().replace(/;$/, "");
  const layout: ScratchLayout = m[2] ? { by: m[2] } : m[3] as ScratchLayout;
  const steps = scratchSteps(m[1], layout, select);
  if (local) {
    return [
      `DROP TABLE IF EXISTS ${m[1]}`,
      `CREATE UNLOGGED TABLE ${m[1]} AS ${select}`,
      steps.analyze,
    ];
  }
  return [...steps.create, steps.fill, steps.analyze];
}

/** Whether this database keeps its tables local (no Citus layout; util.citus_wanted). */
async function isLocal(db: Db): Promise<boolean> {
  const [{ local }] = await db.query<{ local: boolean }>(
    "SELECT NOT util.citus_wanted() AS local",
  );
  return local;
}

/** The rows of each statement by name; a missing name throws naming the files. */
function resultsOf(results: Record<string, Row[]>, file: string) {
  return new Proxy(results, {
    get(target, key) {
      // `then` is asked by await; symbols by the runtime.
      if (typeof key === "string" && key !== "then" && !(key in target)) {
        throw new Error(`no statement "-- name: ${key}" ran from ${file}`);
      }
      return Reflect.get(target, key);
    },
  });
}

/**
 * Runs named statements in file order on `db` (usually a transaction) and
 * returns each one's rows by name, logging each statement's time at debug.
 * With `label`, long work shows progress: a bar on a terminal, a plain line
 * every few seconds otherwise, naming the statement under way.
 */
export async function runNamed(
  db: Db,
  statements: Map<string, string>,
  logger: Logger,
  label?: string,
): Promise<Record<string, Row[]>> {
  const results: Record<string, Row[]> = {};
  const bar = label
    ? progress(label, statements.size, { format: (n) => `${n} steps` })
    : undefined;
  let done = 0;
  const local = await isLocal(db);
  for (const [name, sql] of statements) {
    const t0 = performance.now();
    bar?.update(done, undefined, name);
    for (const step of expand(sql, local)) results[name] = await db.query(step);
    bar?.update(++done, undefined, name);
    logger.debug("{name} in {ms} ms", {
      name,
      ms: Math.round(performance.now() - t0),
    });
  }
  bar?.done();
  return statements instanceof Statements
    ? resultsOf(results, statements.file)
    : results;
}
