/**
 * {@linkcode Db} over a PostgreSQL server through postgres.js.
 *
 * Kept on postgres.js 3.4.9 (checked 2026-12-04). 3.4.10 still has the
 * null-socket throw of porsager/postgres#1154 (contained in
 * lib/interrupt.ts). 4.2.0 fixes it (its socket wrapper drops writes after
 * a close) and passed the reliability suite's kill and restart cases, but it
 * reads PG<OPTION> from the environment for every option (PGMAX, PGMIN,
 * PGQUERY_TIMEOUT, ... about 25 names) even when the option is given in
 * code, so under the tasks' narrow --allow-env every server task failed with
 * "Requires env access to PGMAX". Adopting it means granting those names
 * (harmless knobs, but a wider grant) and moving the COPY work-arounds below
 * to 4.x's stream code: a change of its own.
 *
 * @module
 */
import postgres from "postgres";
import { once } from "node:events";
import type { Db, Row } from "./db.ts";
import { maskSecrets } from "./mask.ts";
import { PipelineError } from "./errors.ts";
import { onInterrupt, throwIfInterrupted } from "./interrupt.ts";
import { log } from "./log.ts";

type Sql = postgres.Sql | postgres.TransactionSql;

// Options postgres.js reads but does not declare in its types.
const UNTYPED_OPTIONS: object = {
  max_pipeline: 100,
  sslnegotiation: null,
  target_session_attrs: undefined,
};

/**
 * Connects to `url` and checks the connection with a round trip. `settings`
 * are run-time parameters every connection starts with (temp_buffers can only
 * be set before a session's first temporary table).
 */
export async function openServerDb(
  url: string,
  settings: Record<string, string> = {},
): Promise<Db> {
  const logger = log("db");
  const connect = (max: number) =>
    postgres(url, {
      // Every option postgres.js would otherwise look up as PG<NAME> in the
      // environment is given here, so tasks need no broad --allow-env.
      max,
      connect_timeout: 10,
      idle_timeout: 0,
      max_lifetime: 60 * 30,
      backoff: (attempt: number) => Math.min(0.1 * 2 ** attempt, 10),
      keep_alive: 60,
      prepare: true,
      debug: false,
      fetch_types: true,
      publications: "alltables",
      connection: settings,
      ...UNTYPED_OPTIONS,
      onnotice: (n) =>
        logger.debug("notice: {message}", { message: n.message }),
      // Same value types as the embedded database: numbers, and dates as text.
      types: {
        numbers: {
          to: 1700,
          from: [20, 1700],
          serialize: String,
          parse: Number,
        },
        dates: {
          to: 1082,
          from: [1082],
          serialize: String,
          parse: (x: string) => x,
        },
      },
    });
  const sql = connect(4);
  const label = `PostgreSQL ${maskSecrets(url)}`;
  try {
    await sql`select 1`;
  } catch (err) {
    await sql.end({ timeout: 1 }).catch(() => {});
    throw new PipelineError(
      "DB_UNREACHABLE",
      `Cannot connect to ${label}: ${(err as Error).message}`,
      {
        cause: err,
        hint: "check DATABASE_URL, or unset it to use the embedded database",
      },
    );
  }
  return wrap(
    sql,
    label,
    () => sql.end({ timeout: 5 }),
    false,
    () => connect(1),
  );
}

/** Statements in flight, cancelled when the process is interrupted. */
const inFlight = new Set<{ cancel(): unknown }>();
onInterrupt(() => {
  for (const q of inFlight) q.cancel();
});

/** Runs one statement, refusing to start after an interruption and cancellable during it. */
async function run(sql: Sql, text: string, params?: unknown[]) {
  throwIfInterrupted();
  const q = sql.unsafe(text, params as postgres.ParameterOrJSON<never>[]);
  inFlight.add(q);
  try {
    return await q;
  } finally {
    inFlight.delete(q);
  }
}

/**
 * One connection that lives as long as the process (no recycling: a session
 * advisory lock must not be dropped by a lifetime timer), for the run's lock.
 * `onClose` is called whenever the connection is lost; the next query
 * reconnects.
 */
export function openLockConnection(
  url: string,
  onClose: () => void,
): { label: string; query: Db["query"]; close(): Promise<void> } {
  const sql = postgres(url, {
    max: 1,
    connect_timeout: 5,
    idle_timeout: 0,
    max_lifetime: null,
    backoff: (attempt: number) => Math.min(0.1 * 2 ** attempt, 2),
    keep_alive: 30,
    prepare: false,
    debug: false,
    fetch_types: false,
    publications: "alltables",
    connection: { application_name: "ecom-pipeline lock" },
    ...UNTYPED_OPTIONS,
    onnotice: () => {},
    onclose: () => onClose(),
  });
  return {
    label: `PostgreSQL ${maskSecrets(url)}`,
    async query<T extends Row>(text: string, params: unknown[] = []) {
      const rows = await sql.unsafe(
        text,
        params as postgres.ParameterOrJSON<never>[],
      );
      return [...rows] as unknown as T[];
    },
    close: () => sql.end({ timeout: 2 }),
  };
}

function wrap(
  sql: Sql,
  label: string,
  close: () => Promise<void>,
  inTransaction = false,
  dedicated?: () => postgres.Sql,
): Db {
  const db: Db = {
    kind: "server",
    label,
    async exec(text) {
      await run(sql, text);
    },
    async query<T extends Row>(text: string, params: unknown[] = []) {
      const rows = await run(sql, text, params);
      return [...rows] as unknown as T[];
    },
    async copyFrom(target, withOptions, chunks, options) {
      throwIfInterrupted();
      // The completion check below needs the COPY and a follow-up query on
      // the same connection: a transaction guarantees that.
      if (!inTransaction) {
        return await db.transaction((tx) =>
          tx.copyFrom(target, withOptions, chunks, options)
        );
      }
      const stream = await sql.unsafe(
        `COPY ${target} FROM STDIN WITH (${withOptions})`,
      ).writable();
      let completed = false;
      const done = new Promise<void>((resolve, reject) => {
        stream.on("finish", resolve);
        stream.on("error", reject);
      });
      done.catch(() => {}); // observed below
      try {
        for await (const chunk of chunks) {
          throwIfInterrupted(); // CopyFail below rolls the load back
          if (!stream.write(chunk)) {
            await Promise.race([once(stream, "drain"), done]);
          }
        }
      } catch (err) {
        stream.destroy(err as Error); // CopyFail: the server aborts the COPY
        throw err;
      }
      // postgres.js 3.4.9 never settles the stream when the server rejects
      // the data after CopyDone (porsager/postgres#1173). A follow-up query
      // on the same connection flushes the outcome: on success the stream has
      // finished by the time it returns. It may only be sent once the
      // stream's _final (which sends CopyDone) has run.
      const finalRan = new Promise<void>((resolve) => {
        const final = stream._final!.bind(stream);
        stream._final = (cb) => {
          // postgres.js calls this back on CommandComplete, i.e. success.
          final((err?: Error | null) => {
            completed = !err;
            cb(err);
          });
          resolve();
        };
      });
      stream.end();
      await Promise.race([finalRan, done.catch(() => {})]);
      const probe = await sql`select 1`.then(() => undefined, (e) => e);
      if (completed) return -1;
      const early = await Promise.race([
        done.then(() => undefined, (e) => e),
        Promise.resolve(undefined),
      ]);
      throw early ?? new PipelineError(
        "COPY_FAILED",
        `COPY into ${target} was rejected by the server; postgres.js does not ` +
          `pass on the reason (${(probe as Error)?.message ?? "no detail"})`,
      );
    },
    async copyTo(query, withOptions, sink) {
      throwIfInterrupted();
      // postgres.js 3.4.9 can leave its socket paused after a COPY TO ends
      // (porsager/postgres#917), hanging the next query on that connection:
      // outside a transaction, each COPY TO gets a connection of its own,
      // closed afterwards.
      const conn = inTransaction || !dedicated ? sql : dedicated();
      const writer = sink.getWriter();
      try {
        const readable = await conn.unsafe(
          `COPY (${query}) TO STDOUT WITH (${withOptions})`,
        ).readable();
        for await (const chunk of readable) await writer.write(chunk);
      } finally {
        await writer.close();
        if (conn !== sql) await (conn as postgres.Sql).end({ timeout: 0 });
      }
    },
    async transaction(fn) {
      if (inTransaction) return await fn(db); // already inside one
      throwIfInterrupted();
      return await (sql as postgres.Sql).begin(async (tx) => {
        const value = await fn(
          wrap(tx, label, () => Promise.resolve(), true, dedicated),
        );
        throwIfInterrupted(); // interrupted: roll back rather than commit
        return value;
      }) as Awaited<ReturnType<typeof fn>>;
    },
    close,
  };
  return db;
}
