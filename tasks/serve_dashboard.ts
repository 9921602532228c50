#!/usr/bin/env -S deno run --allow-read=data,logs --allow-env --allow-net=0.0.0.0,127.0.0.1,localhost
/**
 * Serves the HTML dashboard over HTTP (for docker-compose, or a team share):
 * the current `DATA_DIR/processed/dashboard/index.html`, read on every
 * request so a new pipeline run shows at the next reload. Read-only; one file.
 *
 * @module
 */
import { type Command, runCommand } from "../lib/cli.ts";
import type { Config } from "../lib/config.ts";
import { log } from "../lib/log.ts";
import { dashboardDir } from "../lib/paths.ts";

export const command: Command = {
  name: "dashboard:serve",
  summary: "serve the HTML dashboard over HTTP",
  flags: [
    { name: "port", type: "number", help: "TCP port", defaultText: "8080" },
    {
      name: "host",
      type: "string",
      arg: "ADDR",
      help: "address to listen on (0.0.0.0 in a container)",
      defaultText: "127.0.0.1",
    },
  ],
  details: "Run deno task dashboard (or the pipeline) first to build the page.",
};

/** Answers one request: the page, a health probe, or 404. */
export async function handle(config: Config, req: Request): Promise<Response> {
  const path = new URL(req.url).pathname;
  if (req.method !== "GET" && req.method !== "HEAD") {
    return new Response("method not allowed\n", { status: 405 });
  }
  if (path === "/healthz") return new Response("ok\n");
  if (path !== "/" && path !== "/index.html") {
    return new Response("not found\n", { status: 404 });
  }
  try {
    const html = await Deno.readFile(
      `${dashboardDir(config)}/index.html`,
    );
    return new Response(req.method === "HEAD" ? null : html, {
      headers: {
        "content-type": "text/html; charset=utf-8",
        "cache-control": "no-cache",
        "x-content-type-options": "nosniff",
      },
    });
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    return new Response(
      "No dashboard yet: run `deno task dashboard` or the pipeline first.\n",
      { status: 503, headers: { "content-type": "text/plain; charset=utf-8" } },
    );
  }
}

/** CLI entry point: serves until interrupted. */
export function main(args: string[]): Promise<number> {
  return runCommand(command, args, async (ctx) => {
    const port = (ctx.values.port as number | undefined) ?? 8080;
    const hostname = (ctx.values.host as string | undefined) ?? "127.0.0.1";
    const server = Deno.serve({
      port,
      hostname,
      onListen: ({ hostname, port }) =>
        log("dashboard").info(
          "serving the dashboard on http://{hostname}:{port}/",
          {
            hostname,
            port,
          },
        ),
    }, (req) => handle(ctx.config, req));
    await server.finished;
    return 0;
  });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
