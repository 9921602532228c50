/**
 * Alert delivery to a webhook (Slack-compatible: a `text` field, plus the
 * structured alerts). The same alert is not resent within the cooldown, a
 * check that stops alerting sends a "recovered" message, and a failing
 * webhook is retried, then logged: it never fails the monitor. The state
 * lives in a file, because the database may be the thing that is down.
 *
 * @module
 */
import type { Config } from "../config.ts";
import { log } from "../log.ts";
import { maskSecrets } from "../mask.ts";
import { writeFileAtomic } from "../atomic.ts";
import { alertStatePath, processedDir } from "../paths.ts";

/** One alert of the report. */
export interface Alert {
  severity: "warning" | "critical";
  check: string;
  message: string;
  timestamp: string;
}

/** What delivery did. */
export interface Delivery {
  sent: string[];
  suppressed: string[];
  recovered: string[];
  error?: string;
}

type State = Record<string, { severity: string; last_sent_at: string }>;

function statePath(config: Config): string {
  return alertStatePath(config);
}

async function readState(config: Config): Promise<State> {
  try {
    return JSON.parse(await Deno.readTextFile(statePath(config)));
  } catch {
    return {};
  }
}

/**
 * Sends new alerts and recoveries to `config.monitor.webhookUrl` (nothing to
 * do without one). `statuses` holds every check's current status.
 */
export async function deliverAlerts(
  config: Config,
  alerts: Alert[],
  statuses: Record<string, string>,
  context: { health: string; score: number; now: Date },
): Promise<Delivery> {
  const m = config.monitor;
  const out: Delivery = { sent: [], suppressed: [], recovered: [] };
  if (!m.webhookUrl) return out;
  const state = await readState(config);
  const next: State = { ...state };
  const now = context.now;
  const fresh: Alert[] = [];
  for (const a of alerts) {
    const prev = state[a.check];
    const age = prev ? now.getTime() - Date.parse(prev.last_sent_at) : Infinity;
    if (
      prev && prev.severity === a.severity &&
      age < m.alertCooldownMinutes * 60_000
    ) {
      out.suppressed.push(a.check);
      continue;
    }
    fresh.push(a);
    next[a.check] = { severity: a.severity, last_sent_at: now.toISOString() };
  }
  const recovered = Object.keys(state).filter((c) =>
    !alerts.some((a) => a.check === c) && statuses[c] !== undefined
  );
  for (const c of recovered) delete next[c];
  if (fresh.length === 0 && recovered.length === 0) return out;

  const lines = [
    ...fresh.map((a) => `• [${a.severity}] ${a.check}: ${a.message}`),
    ...recovered.map((c) => `• [recovered] ${c} is ok again`),
  ];
  const payload = {
    text: `ecom-pipeline is ${context.health} (health ${context.score}/100)\n${
      lines.join("\n")
    }`,
    pipeline_health: context.health,
    overall_health_score: context.score,
    monitoring_timestamp: now.toISOString(),
    alerts: fresh,
    recovered: recovered.map((check) => ({
      check,
      message: `${check} recovered`,
      timestamp: now.toISOString(),
    })),
  };
  const error = await post(
    m.webhookUrl,
    payload,
    m.webhookTimeoutMs,
    m.webhookRetries,
  );
  if (error) {
    // Not recorded as sent: the next run tries again.
    log("monitor").warn("alert webhook failed: {error}", { error });
    return { ...out, error };
  }
  await Deno.mkdir(processedDir(config), { recursive: true });
  await writeFileAtomic(statePath(config), JSON.stringify(next, null, 2));
  return { ...out, sent: fresh.map((a) => a.check), recovered };
}

/** POSTs JSON with a timeout and retries; returns the last error, or undefined. */
async function post(
  url: string,
  payload: unknown,
  timeoutMs: number,
  retries: number,
): Promise<string | undefined> {
  let error = "";
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt) await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.body?.cancel();
      if (res.ok) return undefined;
      error = `HTTP ${res.status} from ${maskSecrets(url)}`;
    } catch (err) {
      error = `${maskSecrets(url)}: ${(err as Error).message}`;
    }
  }
  return error;
}
