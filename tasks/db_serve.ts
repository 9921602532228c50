#!/usr/bin/env -S deno run --allow-read=data,logs,/proc --allow-write=data,logs --allow-env --allow-net=127.0.0.1 --allow-sys=hostname
/**
 * Serves the embedded database over the PostgreSQL wire protocol, so psql,
 * Power BI Desktop or any PostgreSQL client can read the warehouse without a
 * PostgreSQL server. PGlite is one single-user backend: connections are
 * served one at a time (the next waits until the previous disconnects), and
 * the session is read-only by default. The pipeline lock is held while
 * serving, so no pipeline run opens the database at the same time.
 *
 * @module
 */
import { type Command, runCommand } from "../lib/cli.ts";
import type { Config } from "../lib/config.ts";
import { PipelineError } from "../lib/errors.ts";
import { acquireFileLock, pipelineLockPath } from "../lib/lock.ts";
import { log } from "../lib/log.ts";
import { embeddedDbDir } from "../lib/paths.ts";

export const command: Command = {
  name: "db:serve",
  summary: "serve the embedded database on a local port for psql and Power BI",
  flags: [
    {
      name: "port",
      type: "number",
      config: "bi.servePort",
      help: "TCP port",
      defaultText: "5433",
    },
    {
      name: "host",
      type: "string",
      arg: "ADDR",
      help:
        "address to listen on (other machines: 0.0.0.0, and grant --allow-net)",
      defaultText: "127.0.0.1",
    },
  ],
  details: [
    "Connect with: psql -h 127.0.0.1 -p 5433 -U postgres -d postgres",
    "One connection at a time (others wait), read-only sessions, no TLS, no",
    "password: for local use. Stop with Ctrl-C. Pipeline runs wait for it.",
  ].join("\n"),
};

const SSL_REQUEST = 80877103;
const GSS_REQUEST = 80877104;
const TERMINATE = 0x58; // 'X'

/** Splits a client's byte stream into whole protocol messages. */
export class MessageFramer {
  #buf = new Uint8Array(0);
  #started = false;

  /** Appends bytes; returns the complete messages now available. */
  push(
    bytes: Uint8Array,
  ): { kind: "startup" | "ssl" | "message"; data: Uint8Array }[] {
    const joined = new Uint8Array(this.#buf.length + bytes.length);
    joined.set(this.#buf);
    joined.set(bytes, this.#buf.length);
    this.#buf = joined;
    const out: { kind: "startup" | "ssl" | "message"; data: Uint8Array }[] = [];
    for (;;) {
      const view = new DataView(
        this.#buf.buffer,
        this.#buf.byteOffset,
        this.#buf.length,
      );
      // Before startup: int32 length, int32 code; afterwards: type byte, int32 length.
      const header = this.#started ? 5 : 8;
      if (this.#buf.length < header) break;
      const size = this.#started ? view.getInt32(1) + 1 : view.getInt32(0);
      if (this.#buf.length < size) break;
      const data = this.#buf.slice(0, size);
      this.#buf = this.#buf.slice(size);
      if (this.#started) {
        out.push({ kind: "message", data });
        continue;
      }
      const code = view.getInt32(4);
      if (code === SSL_REQUEST || code === GSS_REQUEST) {
        out.push({ kind: "ssl", data });
      } else {
        this.#started = true;
        out.push({ kind: "startup", data });
      }
    }
    return out;
  }
}

interface RawDb {
  execProtocolRaw(message: Uint8Array): Promise<Uint8Array>;
  exec(sql: string): Promise<unknown>;
  close(): Promise<void>;
}

/** Serves one client until it disconnects or sends Terminate. */
async function serveConnection(db: RawDb, conn: Deno.Conn): Promise<void> {
  const framer = new MessageFramer();
  const writer = conn.writable.getWriter();
  try {
    for await (const chunk of conn.readable) {
      for (const m of framer.push(chunk)) {
        if (m.kind === "ssl") {
          await writer.write(new Uint8Array([0x4e])); // 'N': no encryption
          continue;
        }
        if (m.kind === "message" && m.data[0] === TERMINATE) return;
        const reply = await db.execProtocolRaw(m.data);
        if (reply.length) await writer.write(reply);
      }
    }
  } finally {
    try {
      conn.close();
    } catch {
      // already closed by the client
    }
  }
}

/** Serves until `signal` aborts; resolves with the number of connections served. */
export async function serveEmbedded(
  config: Config,
  options: {
    port: number;
    host: string;
    signal?: AbortSignal;
    onListen?: (url: string) => void;
  },
): Promise<number> {
  if (config.databaseUrl) {
    throw new PipelineError(
      "USAGE",
      "db:serve serves the embedded database; with DATABASE_URL set, connect to that server directly",
    );
  }
  const logger = log("db:serve");
  await Deno.mkdir(config.dataDir, { recursive: true });
  const lock = await acquireFileLock(pipelineLockPath(config), "db:serve");
  const { PGlite } = await import("@electric-sql/pglite");
  const db = new PGlite(embeddedDbDir(config)) as unknown as RawDb & {
    waitReady: Promise<void>;
  };
  let served = 0;
  try {
    await db.waitReady;
    // Read use: the one backend session refuses writes unless a client
    // deliberately turns this off.
    await db.exec("SET default_transaction_read_only = on");
    const listener = Deno.listen({
      hostname: options.host,
      port: options.port,
    });
    options.signal?.addEventListener("abort", () => listener.close());
    const port = (listener.addr as Deno.NetAddr).port;
    const url = `postgres://postgres@${options.host}:${port}/postgres`;
    logger.info(
      "serving {dir} on {url} (read-only, one connection at a time); Ctrl-C to stop",
      { dir: embeddedDbDir(config), url },
    );
    options.onListen?.(url);
    // Connections queue: PGlite has a single backend, so one is served at a time.
    let queue = Promise.resolve();
    try {
      for await (const conn of listener) {
        served++;
        const remote = (conn.remoteAddr as Deno.NetAddr).hostname;
        queue = queue.then(() =>
          serveConnection(db, conn).catch((err) =>
            logger.warn("connection from {remote} ended: {message}", {
              remote,
              message: (err as Error).message,
            })
          )
        );
      }
    } catch (err) {
      if (!options.signal?.aborted) throw err;
    }
    await queue;
  } finally {
    await db.close().catch(() => {});
    await lock.release();
  }
  return served;
}

/** CLI entry point. */
export function main(args: string[]): Promise<number> {
  return runCommand(command, args, async (ctx) => {
    const stop = new AbortController();
    for (const sig of ["SIGINT", "SIGTERM"] as const) {
      Deno.addSignalListener(sig, () => stop.abort());
    }
    const served = await serveEmbedded(ctx.config, {
      port: ctx.config.bi.servePort,
      host: (ctx.values.host as string | undefined) ?? "127.0.0.1",
      signal: stop.signal,
    });
    log("db:serve").info("stopped after {served} connection(s)", { served });
    return 0;
  });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
