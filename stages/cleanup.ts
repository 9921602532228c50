#!/usr/bin/env -S deno run --allow-read=data,logs --allow-write=data,logs --allow-env
/**
 * Retention cleanup: deletes dated raw folders (`DATA_DIR/raw/YYYY-MM-DD/`),
 * archived run reports (`DATA_DIR/processed/archive/<run id>/`) and log files
 * older than the retention period, always keeping the newest N of each kind
 * and the archive of the last successful run. A path guard refuses anything
 * outside the data and log directories; symbolic links are never followed.
 *
 * @module
 */
import { type Command, runCommand } from "../lib/cli.ts";
import type { Config } from "../lib/config.ts";
import { log } from "../lib/log.ts";
import { n, type StageResult } from "../lib/stage.ts";
import { archiveDir, rawDir } from "../lib/paths.ts";

export const command: Command = {
  writes: true,
  name: "cleanup",
  summary:
    "delete raw folders, archived reports and logs past the retention period",
  flags: [
    {
      name: "dry-run",
      type: "boolean",
      help: "list what would be deleted, delete nothing",
    },
    {
      name: "retention-days",
      type: "number",
      config: "cleanup.retentionDays",
      help: "delete what is older than this",
      defaultText: "7",
    },
    {
      name: "keep",
      type: "number",
      config: "cleanup.keepNewest",
      help: "always keep the newest N of each kind",
      defaultText: "3",
    },
  ],
};

/** One file or folder considered for deletion. */
export interface Candidate {
  kind: "raw" | "archive" | "log";
  path: string;
  modified: Date;
  bytes: number;
}

/** What a cleanup run did (or would do). */
export interface CleanupResult extends StageResult {
  deleted: Candidate[];
  kept: Candidate[];
  refused: string[];
  bytesFreed: number;
}

const DAY_MS = 86_400_000;

/** Runs the cleanup; with `dryRun` nothing is deleted. */
export async function runCleanup(
  config: Config,
  options: { dryRun?: boolean; now?: Date } = {},
): Promise<CleanupResult> {
  const logger = log("cleanup");
  const now = options.now ?? new Date();
  const roots = [
    await realOrNull(config.dataDir),
    await realOrNull(config.logDir),
  ]
    .filter((r): r is string => r !== null);
  const refused: string[] = [];
  const candidates: Candidate[] = [
    ...await listDir(
      rawDir(config),
      "raw",
      /^\d{4}-\d{2}-\d{2}$/,
      true,
      refused,
    ),
    ...await listDir(
      archiveDir(config),
      "archive",
      /./,
      true,
      refused,
    ),
    ...await listDir(
      config.logDir,
      "log",
      /\.(log|jsonl)(\.\d+)?$/,
      false,
      refused,
    ),
  ];
  const protectedArchive = await lastSuccessfulArchive(
    archiveDir(config),
  );
  const cutoff = now.getTime() - config.cleanup.retentionDays * DAY_MS;
  const deleted: Candidate[] = [];
  const kept: Candidate[] = [];
  for (const kind of ["raw", "archive", "log"] as const) {
    const list = candidates.filter((c) => c.kind === kind)
      .sort((a, b) => b.modified.getTime() - a.modified.getTime());
    list.forEach((c, i) => {
      const old = c.modified.getTime() < cutoff;
      const keep = !old || i < config.cleanup.keepNewest ||
        c.path === protectedArchive;
      (keep ? kept : deleted).push(c);
    });
  }
  let bytesFreed = 0;
  for (const c of deleted) {
    // The guard: the real location must be inside a root, and the entry itself
    // must not be a link (its target is not ours to delete).
    const real = await realOrNull(c.path);
    const info = await Deno.lstat(c.path);
    if (
      info.isSymlink || !real ||
      !roots.some((r) => real === r || real.startsWith(`${r}/`))
    ) {
      refused.push(c.path);
      continue;
    }
    if (!options.dryRun) await Deno.remove(c.path, { recursive: true });
    bytesFreed += c.bytes;
    logger.info("{verb} {path} ({kb} KiB, modified {date})", {
      verb: options.dryRun ? "would delete" : "deleted",
      path: c.path,
      kb: Math.ceil(c.bytes / 1024),
      date: c.modified.toISOString().slice(0, 10),
    });
  }
  for (const r of refused) {
    logger.warn(
      "refused to delete {path}: outside the data and log directories or a link",
      { path: r },
    );
  }
  const done = deleted.filter((c) => !refused.includes(c.path));
  const summary = `${options.dryRun ? "would delete" : "deleted"} ${
    n(done.length)
  } item(s), ${(bytesFreed / 2 ** 20).toFixed(1)} MiB ${
    options.dryRun ? "would be " : ""
  }freed; kept ${n(kept.length)}${
    refused.length ? `, refused ${refused.length}` : ""
  }`;
  logger.info("{summary}", { summary });
  return {
    rows: done.length,
    summary,
    deleted: done,
    kept,
    refused,
    bytesFreed,
  };
}

async function listDir(
  dir: string,
  kind: Candidate["kind"],
  name: RegExp,
  directories: boolean,
  refused: string[],
): Promise<Candidate[]> {
  const out: Candidate[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return out;
    throw err;
  }
  for (const e of entries) {
    const path = `${dir}/${e.name}`;
    if (!name.test(e.name)) continue;
    if (e.isSymlink) {
      refused.push(path); // never followed, never deleted
      continue;
    }
    if (directories ? !e.isDirectory : !e.isFile) continue;
    const info = await Deno.lstat(path);
    out.push({
      kind,
      path,
      modified: info.mtime ?? new Date(0),
      bytes: await sizeOf(path, info),
    });
  }
  return out;
}

/** Bytes under `path`, not following links. */
async function sizeOf(path: string, info: Deno.FileInfo): Promise<number> {
  if (!info.isDirectory) return info.size;
  let total = 0;
  for await (const e of Deno.readDir(path)) {
    const child = `${path}/${e.name}`;
    total += await sizeOf(child, await Deno.lstat(child));
  }
  return total;
}

async function realOrNull(path: string): Promise<string | null> {
  try {
    return await Deno.realPath(path);
  } catch {
    return null;
  }
}

/** The archive folder of the newest successful pipeline run, if any. */
async function lastSuccessfulArchive(dir: string): Promise<string | undefined> {
  let best: { path: string; time: string } | undefined;
  try {
    for await (const e of Deno.readDir(dir)) {
      if (!e.isDirectory) continue;
      try {
        const r = JSON.parse(
          await Deno.readTextFile(
            `${dir}/${e.name}/pipeline_execution_report.json`,
          ),
        );
        if (r.status === "success" && (!best || r.start_time > best.time)) {
          best = { path: `${dir}/${e.name}`, time: r.start_time };
        }
      } catch { /* not a run archive */ }
    }
  } catch { /* no archive yet */ }
  return best?.path;
}

/** CLI entry point. */
export function main(args: string[]): Promise<number> {
  return runCommand(command, args, async (ctx) => {
    await runCleanup(ctx.config, {
      dryRun: ctx.values["dry-run"] as boolean | undefined,
    });
  });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
