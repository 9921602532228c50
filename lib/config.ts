/**
 * One validated configuration object. Layers, later wins: built-in defaults,
 * a JSON config file (`--config FILE`, `ECOM_CONFIG`, or `ecom.config.json`
 * in the working directory), environment variables, command-line flags.
 * A bad value fails with the key, the value and where it came from.
 *
 * @module
 */
import { z } from "zod";
import { PipelineError } from "./errors.ts";
import { readEnv } from "./env.ts";
import { normalizeDatabaseUrl } from "./db_url.ts";

const isoDate = z.string().regex(
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/,
  "expected a date YYYY-MM-DD",
);

const memory = z.string().regex(
  /^[1-9][0-9]*(kB|MB|GB)$/,
  "expected a PostgreSQL memory size such as 64MB or 1GB",
);

/** The schema of the whole configuration, with every default. */
export const ConfigSchema = z.object({
  /** Root of raw files (`raw/`), reports (`processed/`) and the embedded database (`pglite/`). */
  dataDir: z.string().min(1).default("data"),
  /** Where JSON-lines logs go. */
  logDir: z.string().min(1).default("logs"),
  /** `trace` ... `fatal` for the console; the log file always gets `debug` and up. */
  logLevel: z.enum(["trace", "debug", "info", "warning", "error", "fatal"])
    .default("info"),
  /** Server mode when set; embedded PGlite under `dataDir/pglite` otherwise. */
  databaseUrl: z.string().regex(
    /^postgres(ql)?:\/\//,
    "expected postgres://user:password@host:port/database",
  ).optional(),
  /**
   * Session memory on a server (PostgreSQL units such as 64MB or 1GB), sent
   * with every connection: hash joins, sorts, index builds and temporary
   * tables over millions of rows stay in memory instead of spilling to disk.
   * The server defaults (4MB, 64MB, 8MB) are sized for many small queries.
   */
  server: z.object({
    workMem: memory.default("256MB"),
    maintenanceWorkMem: memory.default("512MB"),
    tempBuffers: memory.default("512MB"),
    /**
     * PostgreSQL's JIT compiler. Off: the pipeline's statements each run once
     * over millions of rows, and compiling their many expressions cost more
     * than it saved (quality + transform at scale 100: 96 s with it, 89 s
     * without).
     */
    jit: z.boolean().default(false),
    /**
     * Citus (docs/scaling.md): `auto` distributes the tables when the
     * database has the citus extension; `on` requires it; `off` keeps (or
     * turns back) every table local.
     */
    distribute: z.enum(["auto", "on", "off"]).default("auto"),
  }).prefault({}),
  generate: z.object({
    seed: z.number().int().min(0).default(42),
    scale: z.number().positive().max(1000).default(1),
    startDate: isoDate.default("2025-01-01"),
    endDate: isoDate.default("2025-12-31"),
    defectRate: z.number().min(0).max(0.2).default(0.02),
  }).prefault({}),
  quality: z.object({
    /** Below this overall score (0-100) the quality gate fails the run. */
    minScore: z.number().min(0).max(100).default(80),
    /**
     * Dates before this did not happen as recorded: such transactions and
     * registrations are rejected (lib/plausible.ts). Early enough that real
     * histories are never cut.
     */
    earliestDate: isoDate.default("2000-01-01"),
    /**
     * A full load whose customers or products hold fewer than this share of
     * the active rows in production is refused as a truncated export
     * (lib/volume_guard.ts); so is one with an empty file.
     */
    minVolumeShare: z.number().min(0).max(1).default(0.5),
    /** Let a full load that shrinks customers or products through (a real purge). */
    allowPurge: z.boolean().default(false),
    /**
     * A failing share is judged only from this many failing rows on: in a
     * small daily increment one bad row is a large share of a few rows.
     */
    minFailedRowsForShare: z.number().int().min(1).default(3),
    /** Weights of the dimensions in the overall score. */
    weights: z.object({
      completeness: z.number().min(0).default(20),
      uniqueness: z.number().min(0).default(15),
      validity: z.number().min(0).default(15),
      referential_integrity: z.number().min(0).default(25),
      consistency: z.number().min(0).default(15),
      accuracy: z.number().min(0).default(10),
    }).prefault({}),
    /** Per-check overrides of severity and thresholds, keyed by check name. */
    checks: z.record(
      z.string(),
      z.object({
        severity: z.enum(["error", "warn"]).optional(),
        maxFailedShare: z.number().min(0).max(1).optional(),
        maxFailedRows: z.number().int().min(0).optional(),
      }),
    ).default({}),
  }).prefault({}),
  pipeline: z.object({
    retry: z.object({
      // Five attempts wait 0.5 + 1 + 2 + 4 s: long enough for a server restart.
      maxAttempts: z.number().int().min(1).max(20).default(5),
      baseDelayMs: z.number().min(0).default(500),
      factor: z.number().min(1).default(2),
      maxDelayMs: z.number().min(0).default(10_000),
      jitter: z.number().min(0).max(1).default(0.2),
    }).prefault({}),
  }).prefault({}),
  warehouse: z.object({
    /** Fixed-date holidays marked in dim_date. */
    holidays: z.array(z.object({
      month: z.number().int().min(1).max(12),
      day: z.number().int().min(1).max(31),
      name: z.string().min(1),
    })).default([
      { month: 1, day: 1, name: "New Year's Day" },
      { month: 2, day: 14, name: "Valentine's Day" },
      { month: 7, day: 4, name: "Independence Day" },
      { month: 10, day: 31, name: "Halloween" },
      { month: 11, day: 11, name: "Veterans Day" },
      { month: 12, day: 24, name: "Christmas Eve" },
      { month: 12, day: 25, name: "Christmas Day" },
      { month: 12, day: 31, name: "New Year's Eve" },
    ]),
  }).prefault({}),
  cleanup: z.object({
    /** Files and folders older than this are deleted. */
    retentionDays: z.number().min(0).default(7),
    /** ... except the newest N of each kind. */
    keepNewest: z.number().int().min(0).default(3),
  }).prefault({}),
  schedule: z.object({
    /** When the daily run fires, as a cron expression in UTC (Deno.cron runs in UTC). */
    cron: z.string().min(1).default("30 2 * * *"),
    /** The day a tick processes: this many days before the tick's UTC date (1 = yesterday). */
    dayOffset: z.number().int().min(0).max(30).default(1),
    /** At most this many missed days are caught up per tick, oldest first. */
    catchUpLimit: z.number().int().min(1).max(366).default(7),
    /** Run cleanup after a successful tick. */
    cleanup: z.boolean().default(true),
  }).prefault({}),
  monitor: z.object({
    /** A scheduled run this many minutes overdue is late (warning) ... */
    graceMinutes: z.number().min(0).default(60),
    /** ... and this many minutes overdue, missing (critical). */
    missingMinutes: z.number().min(0).default(360),
    /** Layer load age (hours) that warns, and that is critical. */
    freshnessWarnHours: z.number().min(0).default(30),
    freshnessCriticalHours: z.number().min(0).default(54),
    /** Days the newest business date may trail the day due. */
    businessLagWarnDays: z.number().int().min(0).default(1),
    businessLagCriticalDays: z.number().int().min(0).default(3),
    volumeWindowDays: z.number().int().min(7).default(28),
    volumeZThreshold: z.number().min(0).default(3),
    volumeMinHistoryDays: z.number().int().min(2).default(14),
    volumeVolatileCv: z.number().min(0).default(0.5),
    /** Quality runs in the trend, and the drop (points) that warns. */
    qualityRuns: z.number().int().min(2).default(10),
    qualityMaxDrop: z.number().min(0).default(5),
    /** Round-trip latency (ms) that warns. */
    latencyWarnMs: z.number().min(0).default(1000),
    /** Alerts are POSTed here (Slack-compatible); from ALERT_WEBHOOK_URL. */
    webhookUrl: z.string().url().optional(),
    /** The same alert is not resent within this many minutes. */
    alertCooldownMinutes: z.number().min(0).default(60),
    webhookTimeoutMs: z.number().int().min(100).default(5000),
    webhookRetries: z.number().int().min(0).max(10).default(2),
  }).prefault({}),
  bi: z.object({
    /** Read-only reporting role on a PostgreSQL server (SELECT on schema bi only). */
    readerRole: z.string().regex(/^[a-z_][a-z0-9_]*$/).default("bi_reader"),
    /** Its password; without one the role is created NOLOGIN. From BI_READER_PASSWORD. */
    readerPassword: z.string().min(8).optional(),
    /** Port of `deno task db:serve` (the embedded database over the wire protocol). */
    servePort: z.number().int().min(1).max(65535).default(5433),
  }).prefault({}),
  analytics: z.object({
    /**
     * Write text cells exactly as stored. Off by default: cells that a
     * spreadsheet would run as a formula (=, +, -, @, tab, CR) get a leading
     * `'` (lib/csv_safe.ts).
     */
    rawText: z.boolean().default(false),
  }).prefault({}),
  ingest: z.object({
    /** Bytes per COPY chunk on the embedded database (it copies from memory). */
    chunkBytes: z.number().int().min(64 * 1024).default(16 * 1024 * 1024),
  }).prefault({}),
});

export type Config = z.infer<typeof ConfigSchema>;

type Layer = { source: string; values: Record<string, unknown> };

const ENV_KEYS: Record<string, string> = {
  ECOM_DATA_DIR: "dataDir",
  ECOM_LOG_DIR: "logDir",
  ECOM_LOG_LEVEL: "logLevel",
  DATABASE_URL: "databaseUrl",
  ALERT_WEBHOOK_URL: "monitor.webhookUrl",
  BI_READER_PASSWORD: "bi.readerPassword",
};

/** Options for {@linkcode loadConfig}. */
export interface LoadConfigOptions {
  /** Values from command-line flags, keyed by dotted config path (`generate.seed`). */
  flags?: Record<string, unknown>;
  /** Explicit config file; otherwise `ECOM_CONFIG` or `./ecom.config.json` if present. */
  configFile?: string;
  /** The flag each command-line value came from, to name it in errors. */
  flagNames?: Record<string, string>;
}

/**
 * Builds the configuration from all layers and validates it.
 *
 * @throws {PipelineError} `CONFIG_INVALID` naming the key, value and source.
 *
 * @example
 * ```ts
 * const config = await loadConfig({ flags: { "generate.scale": 10 } });
 * config.generate.scale; // 10
 * ```
 */
export async function loadConfig(
  options: LoadConfigOptions = {},
): Promise<Config> {
  const layers: Layer[] = [];
  const file = await readConfigFile(options.configFile);
  if (file) layers.push(file);
  layers.push({ source: "environment", values: envValues() });
  layers.push({
    source: "command line",
    values: dropUndefined(options.flags ?? {}),
  });

  const merged: Record<string, unknown> = {};
  const origin = new Map<string, string>();
  for (const layer of layers) {
    for (const [path, value] of Object.entries(layer.values)) {
      setPath(merged, path, value);
      origin.set(path, layer.source);
    }
  }
  const parsed = ConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const path = issue.path.join(".");
      const value = getPath(merged, path);
      const from = origin.get(path) ?? "defaults";
      const flag = from === "command line" && options.flagNames?.[path];
      if (flag) return `--${flag} ${JSON.stringify(value)}: ${issue.message}`;
      return `${path} = ${
        JSON.stringify(value)
      } (from ${from}): ${issue.message}`;
    });
    // A bad value typed on the command line is a usage error (exit 2).
    const fromCommandLine = parsed.error.issues.every((issue) =>
      origin.get(issue.path.join(".")) === "command line"
    );
    throw new PipelineError(
      fromCommandLine ? "USAGE" : "CONFIG_INVALID",
      `Invalid configuration: ${lines.join("; ")}`,
    );
  }
  const config = parsed.data;
  if (config.databaseUrl) {
    config.databaseUrl = normalizeDatabaseUrl(config.databaseUrl);
  }
  return config;
}

/**
 * Flattens a nested object into dotted paths (`{a:{b:1}}` -> `{"a.b":1}`).
 *
 * @example
 * ```ts
 * flatten({ a: { b: 1 } }); // { "a.b": 1 }
 * ```
 */
export function flatten(
  value: Record<string, unknown>,
  prefix = "",
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (v && typeof v === "object" && !Array.isArray(v)) {
      Object.assign(out, flatten(v as Record<string, unknown>, path));
    } else {
      out[path] = v;
    }
  }
  return out;
}

async function readConfigFile(explicit?: string): Promise<Layer | undefined> {
  const path = explicit ?? readEnv("ECOM_CONFIG") ?? "ecom.config.json";
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    // The default file is optional; a named one must exist.
    if (!explicit && !readEnv("ECOM_CONFIG")) return undefined;
    if (err instanceof Deno.errors.NotCapable) {
      throw new PipelineError(
        "PERMISSION",
        `Not allowed to read config file ${path}`,
        { hint: `grant it: --allow-read=${path}` },
      );
    }
    throw new PipelineError(
      "CONFIG_INVALID",
      `Cannot read config file ${path}: ${(err as Error).message}`,
    );
  }
  try {
    return { source: path, values: flatten(JSON.parse(text)) };
  } catch (err) {
    throw new PipelineError(
      "CONFIG_INVALID",
      `Config file ${path} is not valid JSON: ${(err as Error).message}`,
    );
  }
}

function envValues(): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [name, path] of Object.entries(ENV_KEYS)) {
    const v = readEnv(name);
    if (v !== undefined) values[path] = v;
  }
  if (values.databaseUrl === undefined) {
    const url = urlFromPgEnv();
    if (url) values.databaseUrl = url;
  }
  return values;
}

/** libpq-style variables select server mode when PGHOST is set. */
function urlFromPgEnv(): string | undefined {
  const host = readEnv("PGHOST");
  if (!host) return undefined;
  const user = encodeURIComponent(readEnv("PGUSER") ?? "postgres");
  const pass = readEnv("PGPASSWORD");
  const auth = pass ? `${user}:${encodeURIComponent(pass)}` : user;
  const port = readEnv("PGPORT") ?? "5432";
  const db = readEnv("PGDATABASE") ?? readEnv("PGUSER") ?? "postgres";
  return `postgres://${auth}@${host}:${port}/${encodeURIComponent(db)}`;
}

function dropUndefined(values: Record<string, unknown>) {
  return Object.fromEntries(
    Object.entries(values).filter(([, v]) => v !== undefined),
  );
}

function setPath(
  target: Record<string, unknown>,
  path: string,
  value: unknown,
) {
  const keys = path.split(".");
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (typeof node[key] !== "object" || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]] = value;
}

function getPath(target: Record<string, unknown>, path: string): unknown {
  let node: unknown = target;
  for (const key of path.split(".")) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}
