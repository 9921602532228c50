/**
 * Mutual exclusion for pipeline runs: a lock file created atomically
 * (exclusive create) that names its holder, plus, on a PostgreSQL server, an
 * advisory lock so that runs from other machines sharing the database are
 * excluded too. A lock file whose process is gone is stale: it is logged and
 * taken over.
 *
 * @module
 */
import type { Config } from "./config.ts";
import { PipelineError } from "./errors.ts";
import { log } from "./log.ts";

/** What a lock file holds. */
export interface LockInfo {
  pid: number;
  host: string;
  started_at: string;
  purpose: string;
}

/** A held lock; `release` is idempotent. */
export interface Lock {
  path: string;
  release(): Promise<void>;
}

/** Thrown when another live process holds the lock. */
export class LockedError extends PipelineError {
  readonly holder: LockInfo | undefined;
  constructor(path: string, holder: LockInfo | undefined) {
    super(
      "LOCKED",
      holder
        ? `another run holds ${path}: pid ${holder.pid} on ${holder.host} (${holder.purpose}) since ${holder.started_at}`
        : `another run holds ${path}`,
      { hint: "wait for it to finish; the lock is freed when it exits" },
    );
    this.holder = holder;
  }
}

/** Lock files older than this from another host are presumed abandoned. */
const FOREIGN_STALE_MS = 24 * 3600_000;

function hostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "unknown";
  }
}

/** Whether process `pid` on this host is alive (Linux /proc; else assume yes). */
export function processAlive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      try {
        Deno.statSync("/proc/self");
        return false; // /proc works, and the process is not in it
      } catch {
        return true; // no /proc here: cannot tell, so never steal
      }
    }
    return true;
  }
}

async function readHolder(path: string): Promise<LockInfo | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(path)) as LockInfo;
  } catch {
    return undefined;
  }
}

function isStale(holder: LockInfo | undefined, mtime: Date | null): boolean {
  if (!holder) {
    // Unreadable (being written, or truncated by a crash): stale once old.
    return mtime !== null && Date.now() - mtime.getTime() > 60_000;
  }
  if (holder.host === hostname()) {
    return holder.pid !== Deno.pid && !processAlive(holder.pid);
  }
  return Date.now() - Date.parse(holder.started_at) > FOREIGN_STALE_MS;
}

/**
 * Takes the lock file at `path`, or throws {@linkcode LockedError} when a
 * live process holds it. A stale lock is logged and taken over.
 */
export async function acquireFileLock(
  path: string,
  purpose: string,
): Promise<Lock> {
  const logger = log("lock");
  const info: LockInfo = {
    pid: Deno.pid,
    host: hostname(),
    started_at: new Date().toISOString(),
    purpose,
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const file = await Deno.open(path, { write: true, createNew: true });
      await file.write(new TextEncoder().encode(JSON.stringify(info) + "\n"));
      file.close();
      let released = false;
      return {
        path,
        release: async () => {
          if (released) return;
          released = true;
          const holder = await readHolder(path);
          if (holder?.pid === info.pid && holder.host === info.host) {
            await Deno.remove(path).catch(() => {});
          }
        },
      };
    } catch (err) {
      if (!(err instanceof Deno.errors.AlreadyExists)) {
        if (err instanceof Deno.errors.NotCapable) {
          throw new PipelineError(
            "PERMISSION",
            `Not allowed to create the lock file ${path}: ${err.message}`,
            {
              hint:
                "grant --allow-write (and --allow-read) on the data directory",
            },
          );
        }
        throw err;
      }
      const holder = await readHolder(path);
      const mtime = (await Deno.stat(path).catch(() => null))?.mtime ?? null;
      if (!isStale(holder, mtime)) throw new LockedError(path, holder);
      logger.warn(
        "taking over the stale lock {path} (pid {pid} on {host} since {since} is gone)",
        {
          path,
          pid: holder?.pid ?? "?",
          host: holder?.host ?? "?",
          since: holder?.started_at ?? "?",
        },
      );
      await Deno.remove(path).catch(() => {});
    }
  }
  throw new LockedError(path, await readHolder(path));
}

/** The pipeline's lock file. */
export function pipelineLockPath(config: Config): string {
  return `${config.dataDir}/pipeline.lock`;
}

/**
 * On a PostgreSQL server, holds `pg_try_advisory_xact_lock` in an open
 * transaction on a dedicated connection for as long as the run lasts, so
 * runs on other machines sharing the database are refused too. The embedded
 * database lives in one process; the lock file covers it.
 */
export async function acquireAdvisoryLock(
  config: Config,
): Promise<Lock | undefined> {
  if (!config.databaseUrl) return undefined;
  const { openDb } = await import("./db.ts");
  const db = await openDb(config);
  let release = () => {};
  const held = new Promise<void>((resolve) => release = resolve);
  const acquired = Promise.withResolvers<boolean>();
  const done = db.transaction(async (tx) => {
    const [{ ok }] = await tx.query<{ ok: boolean }>(
      "SELECT pg_try_advisory_xact_lock(hashtext('ecom-pipeline')) AS ok",
    );
    acquired.resolve(ok);
    if (ok) await held;
  }).catch((err) => {
    acquired.reject(err);
    log("lock").warn("the advisory lock's connection failed: {message}", {
      message: String(err?.message ?? err),
    });
  });
  let ok: boolean;
  try {
    ok = await acquired.promise;
  } catch (err) {
    await db.close().catch(() => {});
    throw err;
  }
  if (!ok) {
    await done;
    await db.close().catch(() => {});
    throw new PipelineError(
      "LOCKED",
      `another pipeline run holds the advisory lock on ${db.label}`,
      { hint: "wait for it to finish; the lock is freed when it exits" },
    );
  }
  return {
    path: `advisory lock on ${db.label}`,
    release: async () => {
      release();
      await done;
      await db.close().catch(() => {});
    },
  };
}

/** Takes the file lock and, on a server, the advisory lock; runs `fn`; frees both. */
export async function withPipelineLock<T>(
  config: Config,
  purpose: string,
  fn: () => Promise<T>,
): Promise<T> {
  await Deno.mkdir(config.dataDir, { recursive: true });
  const file = await acquireFileLock(pipelineLockPath(config), purpose);
  try {
    const advisory = await acquireAdvisoryLock(config);
    try {
      return await fn();
    } finally {
      await advisory?.release();
    }
  } finally {
    await file.release();
  }
}
