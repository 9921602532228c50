/**
 * The documented server roles: sql/admin/roles.sql creates a pipeline role
 * (owns what it creates, no superuser, no role or database creation) and the
 * reporting role; the whole pipeline runs as the former, and the latter reads
 * the bi views only.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { runPipeline } from "../tasks/pipeline.ts";
import {
  CORE_STEPS,
  createServerDb,
  ROOT,
  SERVER_URL,
  SKIP_SERVER,
  tempDir,
  testConfig,
} from "./helpers.ts";

Deno.test({
  name:
    "the pipeline runs as its own unprivileged role; the reader reads bi only",
  ignore: SKIP_SERVER,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    if (!SERVER_URL) throw new Error("ECOM_TEST_DATABASE_URL is not set");
    const server = await createServerDb();
    const id = crypto.randomUUID().slice(0, 8);
    const owner = `ecom_pipeline_t${id}`;
    const reader = `bi_reader_t${id}`;
    const dir = await tempDir();
    const admin = new URL(server.url);
    const roleUrl = (role: string, password: string) => {
      const u = new URL(server.url);
      u.username = role;
      u.password = password;
      return u.toString();
    };
    try {
      const psql = await new Deno.Command("psql", {
        args: [
          admin.toString(),
          "-q",
          "-v",
          `pipeline_role=${owner}`,
          "-v",
          "pipeline_password=pipeline-pass-1",
          "-v",
          `reader_role=${reader}`,
          "-v",
          "reader_password=reader-pass-1",
          "-f",
          `${ROOT}/sql/admin/roles.sql`,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(psql.code, 0, new TextDecoder().decode(psql.stderr));

      const config = testConfig(dir, {
        generate: { scale: 0.1 },
        databaseUrl: roleUrl(owner, "pipeline-pass-1"),
        bi: { readerRole: reader },
      });
      const r = await runPipeline(config, { steps: CORE_STEPS });
      assert.equal(r.status, "success", JSON.stringify(r.errors));

      const asOwner = postgres(config.databaseUrl!, {
        max: 1,
        onnotice: () => {},
      });
      const [me] =
        await asOwner`SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles
        WHERE rolname = current_user`;
      assert.deepEqual(me, {
        rolsuper: false,
        rolcreaterole: false,
        rolcreatedb: false,
      });
      const owned = await asOwner`SELECT nspname FROM pg_namespace
        WHERE pg_get_userbyid(nspowner) = current_user ORDER BY 1`;
      assert.deepEqual(owned.map((o) => o.nspname), [
        "bi",
        "ops",
        "production",
        "staging",
        "util",
        "warehouse",
        "work",
      ]);
      await asOwner.end();

      const asReader = postgres(roleUrl(reader, "reader-pass-1"), {
        max: 1,
        onnotice: () => {},
      });
      try {
        const [{ n }] = await asReader`SELECT count(*)::int AS n FROM bi.sales`;
        assert.ok(n > 0);
        await assert.rejects(
          () => asReader`SELECT 1 FROM warehouse.fact_sales LIMIT 1`,
          (e: { code?: string }) => e.code === "42501",
        );
      } finally {
        await asReader.end();
      }
    } finally {
      await server.drop();
      const a = postgres(SERVER_URL, { max: 1, onnotice: () => {} });
      for (const role of [owner, reader]) {
        await a.unsafe(`DROP ROLE IF EXISTS ${role}`).catch(() => {});
      }
      await a.end();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
