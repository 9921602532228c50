/**
 * Mutual exclusion for everything that writes the database or the data
 * directory. Two layers:
 *
 * - An exclusive `flock` on `DATA_DIR/pipeline.lock` (`Deno.FsFile.lock`).
 *   The kernel releases it when its process dies, however it dies, so a
 *   crashed holder never blocks the next run and no liveness guess is needed.
 *   The file names its holder, for the messages of those who must wait.
 * - On a PostgreSQL server, a session advisory lock on a dedicated
 *   connection, so that runs from other machines sharing the database are
 *   excluded too. When that connection drops (a server restart), the lock is
 *   taken again on a fresh one; when that fails, the run is stopped: it never
 *   carries on unlocked.
 *
 * @module
 */
import type { Config } from "./config.ts";
import { PipelineError } from "./errors.ts";
import { interrupt } from "./interrupt.ts";
import { log } from "./log.ts";
import { pipelineLockPath } from "./paths.ts";

export { pipelineLockPath };

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

/** Thrown when another process holds the lock. */
export class LockedError extends PipelineError {
  readonly holder: LockInfo | undefined;
  constructor(path: string, holder: LockInfo | undefined, waitedMs = 0) {
    super(
      "LOCKED",
      (holder
        ? `another run holds ${path}: pid ${holder.pid} on ${holder.host} (${holder.purpose}) since ${holder.started_at}`
        : `another run holds ${path}`) +
        (waitedMs > 0 ? ` (waited ${Math.round(waitedMs / 1000)} s)` : ""),
      {
        hint:
          "wait for it to finish, or pass --wait SECONDS to queue behind it; the lock is freed when its process exits, even by a crash",
      },
    );
    this.holder = holder;
  }
}

/** How to wait for a held lock. */
export interface WaitOptions {
  /** Wait at most this long for the holder to finish; 0 fails at once. */
  waitMs?: number;
  /** Log when a dead holder's file is taken over. @default true */
  reportTakeover?: boolean;
}

function hostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "unknown";
  }
}

async function readHolder(path: string): Promise<LockInfo | undefined> {
  try {
    const text = await Deno.readTextFile(path);
    return text.trim() ? JSON.parse(text) as LockInfo : undefined;
  } catch {
    return undefined;
  }
}

// A lock call on a free file returns in microseconds; this bounds how long
// "free" may take to answer before the file counts as held.
const TRY_MS = 250;

/** Resolves true once `file` is locked, false after `ms` (the call stays pending). */
async function lockWithin(file: Deno.FsFile, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const locked = file.lock(true).then(() => true);
  const timeout = new Promise<false>((r) => timer = setTimeout(r, ms, false));
  const won = await Promise.race([locked, timeout]);
  clearTimeout(timer);
  if (!won) {
    // The kernel call cannot be cancelled: when it succeeds later, close the
    // file, which frees the lock again.
    locked.then(() => file.close(), () => {}).catch(() => {});
  }
  return won;
}

function permissionError(path: string, err: Error): PipelineError {
  const dir = path.slice(0, path.lastIndexOf("/")) || ".";
  return new PipelineError(
    "PERMISSION",
    `Not allowed to create the lock file ${path}: ${err.message}`,
    { hint: `grant --allow-read=${dir} --allow-write=${dir}` },
  );
}

/**
 * Takes the exclusive lock on the file at `path`, waiting up to
 * `options.waitMs` for a live holder; throws {@linkcode LockedError} naming
 * the holder otherwise. A lock file left by a dead process is simply taken:
 * the kernel freed its lock when the process died.
 *
 * @example
 * ```ts
 * const lock = await acquireFileLock("data/pipeline.lock", "pipeline");
 * try { /* write the database *\/ } finally { await lock.release(); }
 * ```
 */
export async function acquireFileLock(
  path: string,
  purpose: string,
  options: WaitOptions = {},
): Promise<Lock> {
  const logger = log("lock");
  const waitMs = options.waitMs ?? 0;
  const deadline = Date.now() + waitMs;
  let announced = false;
  for (;;) {
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path, { read: true, write: true, create: true });
    } catch (err) {
      if (err instanceof Deno.errors.NotCapable) {
        throw permissionError(path, err);
      }
      throw err;
    }
    const left = Math.max(TRY_MS, deadline - Date.now());
    const got = await lockWithin(file, waitMs > 0 && announced ? left : TRY_MS);
    if (!got) {
      const holder = await readHolder(path);
      if (Date.now() >= deadline || announced) {
        throw new LockedError(path, holder, waitMs);
      }
      announced = true;
      logger.info("waiting up to {seconds} s for {holder} to release {path}", {
        seconds: Math.round(waitMs / 1000),
        holder: holder
          ? `pid ${holder.pid} (${holder.purpose})`
          : "another process",
        path,
      });
      continue;
    }
    // A releasing holder deletes the file while still holding its lock: a
    // lock won on a deleted file is worthless, so check and start over.
    const [mine, named] = [
      await file.stat(),
      await Deno.stat(path).catch(() => null),
    ];
    if (!named || named.ino !== mine.ino) {
      file.close();
      continue;
    }
    const previous = await readHolder(path);
    if (previous && options.reportTakeover !== false) {
      logger.warn(
        "the previous holder of {path} (pid {pid} on {host}, {purpose}, since {since}) did not release it; it is gone, taking over",
        {
          path,
          pid: String(previous.pid),
          host: previous.host,
          purpose: previous.purpose,
          since: previous.started_at,
        },
      );
    }
    const info: LockInfo = {
      pid: Deno.pid,
      host: hostname(),
      started_at: new Date().toISOString(),
      purpose,
    };
    await file.truncate(0);
    await file.write(new TextEncoder().encode(JSON.stringify(info) + "\n"));
    let released = false;
    return {
      path,
      release: async () => {
        if (released) return;
        released = true;
        // Delete while still holding, so nobody takes over a deleted file.
        await Deno.remove(path).catch(() => {});
        try {
          file.close(); // closing the last descriptor frees the lock
        } catch { /* already closed */ }
      },
    };
  }
}

/** A lock that can be lost (a server advisory lock) and taken again. */
export interface HeldLock extends Lock {
  /** Resolves once the lock is held again after a loss; throws when it cannot be. */
  ensureHeld(): Promise<void>;
}

const ADVISORY_KEY = "ecom-pipeline";
const REACQUIRE_DELAYS_MS = [250, 500, 1000, 2000, 4000, 8000];

/**
 * On a PostgreSQL server, holds a session advisory lock on a dedicated
 * connection for as long as the run lasts, so runs on other machines sharing
 * the database are refused too. If the connection drops, the lock is taken
 * again on a fresh connection (for about 15 s); if another run took it
 * meanwhile, or the server stays away, the run is interrupted.
 */
export async function acquireAdvisoryLock(
  config: Config,
): Promise<HeldLock | undefined> {
  if (!config.databaseUrl) return undefined;
  const { openLockConnection } = await import("./db_server.ts");
  const logger = log("lock");
  let lost = false;
  let closing = false;
  let regained: Promise<void> = Promise.resolve();
  const conn = openLockConnection(config.databaseUrl, () => {
    if (closing || lost) return;
    lost = true;
    logger.warn("the advisory lock's connection dropped; taking it again");
    regained = reacquire();
    regained.catch((err) => interrupt("LOCK_LOST", (err as Error).message));
  });
  const tryLock = async () => {
    const [{ ok }] = await conn.query<{ ok: boolean }>(
      `SELECT pg_try_advisory_lock(hashtext('${ADVISORY_KEY}')) AS ok`,
    );
    return ok;
  };
  const reacquire = async () => {
    for (const delay of REACQUIRE_DELAYS_MS) {
      await new Promise((r) => setTimeout(r, delay));
      if (closing) return;
      const ok = await tryLock().catch(() => undefined);
      if (ok === true) {
        lost = false;
        logger.info("advisory lock held again on {label}", {
          label: conn.label,
        });
        return;
      }
      if (ok === false) {
        throw new PipelineError(
          "LOCK_LOST",
          `the advisory lock on ${conn.label} was lost and another run took it`,
        );
      }
    }
    throw new PipelineError(
      "LOCK_LOST",
      `the advisory lock on ${conn.label} was lost and could not be taken again: the server stayed unreachable`,
    );
  };
  let ok: boolean;
  try {
    ok = await tryLock();
  } catch (err) {
    closing = true;
    await conn.close().catch(() => {});
    throw new PipelineError(
      "DB_UNREACHABLE",
      `Cannot connect to ${conn.label}: ${(err as Error).message}`,
      {
        cause: err,
        hint: "check DATABASE_URL, or unset it to use the embedded database",
      },
    );
  }
  if (!ok) {
    closing = true;
    await conn.close().catch(() => {});
    throw new PipelineError(
      "LOCKED",
      `another pipeline run holds the advisory lock on ${conn.label}`,
      { hint: "wait for it to finish; the lock is freed when it exits" },
    );
  }
  return {
    path: `advisory lock on ${conn.label}`,
    ensureHeld: () => regained,
    release: async () => {
      if (closing) return;
      closing = true;
      // Closing the session frees a session-level advisory lock.
      await conn.close().catch(() => {});
    },
  };
}

/** The lock a writing command holds for its whole run. */
let current: HeldLock | undefined;

/** Resolves once the run's server lock is held (again); a no-op elsewhere. */
export function ensureLockHeld(): Promise<void> {
  return current?.ensureHeld() ?? Promise.resolve();
}

/**
 * Takes the file lock and, on a server, the advisory lock; runs `fn`; frees
 * both. `waitMs` bounds the wait for another holder.
 *
 * @example
 * ```ts
 * await withPipelineLock(config, "transform", () => runTransform(config, db), { waitMs: 30_000 });
 * ```
 */
export async function withPipelineLock<T>(
  config: Config,
  purpose: string,
  fn: () => Promise<T>,
  options: WaitOptions = {},
): Promise<T> {
  if (current) return await fn(); // this process holds it already
  try {
    await Deno.mkdir(config.dataDir, { recursive: true });
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable) {
      throw permissionError(pipelineLockPath(config), err);
    }
    throw err;
  }
  const file = await acquireFileLock(
    pipelineLockPath(config),
    purpose,
    options,
  );
  try {
    const advisory = await acquireAdvisoryLock(config);
    current = advisory ?? {
      ...file,
      ensureHeld: () => Promise.resolve(),
    };
    try {
      return await fn();
    } finally {
      current = undefined;
      await advisory?.release();
    }
  } finally {
    await file.release();
  }
}
