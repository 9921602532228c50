/**
 * {@linkcode Db} over PGlite, PostgreSQL compiled to WebAssembly, persisted
 * in a directory. PGlite's COPY reads an in-memory blob, so callers feed it
 * bounded chunks and memory stays flat however large the file.
 *
 * @module
 */
import { PGlite, type Transaction } from "@electric-sql/pglite";
import type { CopyFromOptions, Db, Row } from "./db.ts";
import { PipelineError } from "./errors.ts";
import { throwIfInterrupted } from "./interrupt.ts";
import { log } from "./log.ts";
import { acquireFileLock, type Lock, LockedError } from "./lock.ts";

type Conn = PGlite | Transaction;

/**
 * PGlite is one PostgreSQL backend inside one process: a second process that
 * opens the same directory corrupts it (a lost checkpoint, missing relation
 * files). So an open takes an exclusive lock on `<dir>.lock`, held until the
 * close; another process is refused, naming the holder. Opens within one
 * process share it.
 */
const holds = new Map<string, { lock: Lock; count: number }>();

async function holdDirectory(dir: string): Promise<() => Promise<void>> {
  const path = `${dir}.lock`;
  let held = holds.get(path);
  if (!held) {
    try {
      held = {
        lock: await acquireFileLock(path, "embedded database", {
          reportTakeover: false, // the pipeline lock's message says it already
        }),
        count: 0,
      };
    } catch (err) {
      if (err instanceof LockedError) {
        throw new PipelineError(
          "LOCKED",
          `the embedded database ${dir} is open in another process${
            err.holder
              ? ` (pid ${err.holder.pid}, since ${err.holder.started_at})`
              : ""
          }; it allows one process at a time`,
          {
            hint:
              "wait for that command to finish (deno task monitor waits by itself), or use a PostgreSQL server (DATABASE_URL) for concurrent readers",
          },
        );
      }
      throw err;
    }
    holds.set(path, held);
  }
  held.count++;
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    if (--held!.count === 0) {
      holds.delete(path);
      await held!.lock.release();
    }
  };
}

async function isEmptyDir(dir: string): Promise<boolean> {
  for await (const _ of Deno.readDir(dir)) return false;
  return true;
}

/** Opens (creating if needed) the embedded database in `dir`. */
export async function openEmbeddedDb(dir: string): Promise<Db> {
  try {
    await Deno.mkdir(dir, { recursive: true });
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable) {
      throw new PipelineError(
        "PERMISSION",
        `Not allowed to write the embedded database directory ${dir}`,
        { hint: `grant --allow-read and --allow-write for ${dir}` },
      );
    }
    throw err;
  }
  const unhold = await holdDirectory(dir);
  // Creating the database (initdb inside WebAssembly) takes seconds: say so,
  // or a first run looks hung.
  const fresh = await isEmptyDir(dir);
  if (fresh) {
    log("db").info(
      "creating the embedded database in {dir} (first run only, a few seconds)",
      { dir },
    );
  }
  let pg: PGlite;
  try {
    pg = await PGlite.create(dir, {
      parsers: {
        20: Number,
        1700: Number,
        1082: (x: string) => x,
      },
    });
  } catch (err) {
    await unhold();
    if (err instanceof Deno.errors.NotCapable) {
      throw new PipelineError(
        "PERMISSION",
        `The embedded database needs to read its own files: ${
          (err as Error).message
        }`,
        { hint: "grant --allow-read=node_modules (the deno.json tasks do)" },
      );
    }
    if (/pglite\.(data|wasm)/.test(String((err as Error)?.message))) {
      // A one-file bundle carries the code, not PGlite's WebAssembly files.
      throw new PipelineError(
        "EMBEDDED_UNAVAILABLE",
        `The embedded database's files are missing here: ${
          (err as Error).message
        }`,
        {
          hint:
            "the one-file build is for servers: set DATABASE_URL, or run from the source tree for the embedded database",
        },
      );
    }
    throw err;
  }
  return wrap(pg, `embedded PGlite at ${dir}`, async () => {
    try {
      await pg.close();
    } finally {
      await unhold();
    }
  });
}

function wrap(conn: Conn, label: string, close: () => Promise<void>): Db {
  const db: Db = {
    kind: "embedded",
    label,
    async exec(text) {
      throwIfInterrupted();
      await conn.exec(text);
    },
    async query<T extends Row>(text: string, params: unknown[] = []) {
      throwIfInterrupted();
      const result = await conn.query<T>(text, params);
      return result.rows;
    },
    async copyFrom(target, withOptions, chunks, options: CopyFromOptions) {
      let index = 0;
      let rows = 0;
      for await (const chunk of chunks) {
        throwIfInterrupted();
        // Only the first chunk carries the header line.
        const opts = index === 0 || !options.header
          ? withOptions
          : withOptions.replace(/,?\s*HEADER\s+(true|match)\b/i, "");
        try {
          const result = await conn.query(
            `COPY ${target} FROM '/dev/blob' WITH (${opts})`,
            [],
            { blob: new Blob([chunk as Uint8Array<ArrayBuffer>]) },
          );
          rows += result.affectedRows ?? 0;
        } catch (err) {
          throw shiftLine(err, (options.firstLineOf?.(index) ?? 1) - 1);
        }
        index++;
      }
      return rows;
    },
    async copyTo(query, withOptions, sink) {
      throwIfInterrupted();
      const result = await conn.query(
        `COPY (${query}) TO '/dev/blob' WITH (${withOptions})`,
      );
      const writer = sink.getWriter();
      try {
        if (result.blob) {
          await writer.write(new Uint8Array(await result.blob.arrayBuffer()));
        }
      } finally {
        await writer.close();
      }
    },
    async transaction(fn) {
      if (!("transaction" in conn)) return await fn(db); // already inside one
      throwIfInterrupted();
      return await (conn as PGlite).transaction(async (tx) => {
        const value = await fn(wrap(tx, label, () => Promise.resolve()));
        throwIfInterrupted(); // interrupted: roll back rather than commit
        return value;
      });
    },
    close,
  };
  return db;
}

/** Rewrites "COPY t, line N" in a chunk's error to the line in the whole file. */
function shiftLine(err: unknown, offset: number): unknown {
  if (offset === 0 || !(err instanceof Error)) return err;
  const e = err as Error & { where?: string };
  if (e.where) {
    e.where = e.where.replace(
      /(COPY [^,]+, line )(\d+)/,
      (_m, p, n) => `${p}${Number(n) + offset}`,
    );
  }
  return e;
}
