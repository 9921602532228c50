/**
 * db:serve: a PostgreSQL client reads the embedded warehouse over the wire
 * protocol, one connection after another; writes are refused; pipeline runs
 * are locked out while it serves.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { MessageFramer, serveEmbedded } from "../tasks/db_serve.ts";
import { runPipeline } from "../tasks/pipeline.ts";
import { openDb } from "../lib/db.ts";
import { acquireFileLock, LockedError, pipelineLockPath } from "../lib/lock.ts";
import { CORE_STEPS, tempDir, testConfig } from "./helpers.ts";

Deno.test("the framer splits a byte stream into whole messages", () => {
  const f = new MessageFramer();
  const ssl = new Uint8Array([0, 0, 0, 8, 4, 210, 22, 47]);
  const startup = new Uint8Array([0, 0, 0, 9, 0, 3, 0, 0, 0]);
  const query = new Uint8Array([0x51, 0, 0, 0, 6, 0x78, 0]); // Q "x"
  const all = new Uint8Array([...ssl, ...startup, ...query]);
  // Delivered in awkward pieces: 3 bytes, then the rest.
  assert.deepEqual(f.push(all.slice(0, 3)), []);
  const out = f.push(all.slice(3));
  assert.deepEqual(out.map((m) => m.kind), ["ssl", "startup", "message"]);
  assert.deepEqual([...out[2].data], [...query]);
});

Deno.test({
  name: "psql-style clients read the embedded warehouse through db:serve",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await tempDir();
    const config = testConfig(dir, { generate: { scale: 0.1 } });
    try {
      const r = await runPipeline(config, {
        steps: CORE_STEPS,
      });
      assert.equal(r.status, "success");
      const db = await openDb(config);
      const [{ n: expected }] = await db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM warehouse.fact_sales",
      );
      await db.close();

      const stop = new AbortController();
      const url = Promise.withResolvers<string>();
      const serving = serveEmbedded(config, {
        port: 0,
        host: "127.0.0.1",
        signal: stop.signal,
        onListen: url.resolve,
      });
      const address = await url.promise;

      const first = postgres(address, { max: 1, onnotice: () => {} });
      const [{ n }] =
        await first`SELECT count(*)::int AS n FROM bi.sales WHERE "Quantity" > ${0}`;
      assert.equal(n, expected);
      await assert.rejects(
        () => first.unsafe("DELETE FROM warehouse.fact_sales"),
        (e: { code?: string }) => e.code === "25006",
        "read-only session",
      );
      await first.end();

      // While serving, a pipeline run cannot take the database.
      await assert.rejects(
        () => acquireFileLock(pipelineLockPath(config), "pipeline"),
        (e) => e instanceof LockedError && e.holder?.purpose === "db:serve",
      );

      const second = postgres(address, { max: 1, onnotice: () => {} });
      const [{ s }] = await second.unsafe(
        `SELECT sum("Revenue")::text AS s FROM bi.sales`,
      );
      assert.match(s, /^\d+\.\d{2}$/);
      await second.end();

      stop.abort();
      assert.equal(await serving, 2);
      // The lock is released when serving stops.
      const lock = await acquireFileLock(pipelineLockPath(config), "after");
      await lock.release();
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
