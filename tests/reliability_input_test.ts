/**
 * Hostile CSV files, for real, in subprocesses, on both backends: odd but
 * valid ones load; damaged ones are refused with the file and line, and
 * staging keeps its previous load.
 */
import assert from "node:assert/strict";
import { openDb } from "../lib/db.ts";
import { tempDir } from "./helpers.ts";
import { cleanSet, damagedSet, HOSTILE_CASES } from "./hostile_csv.ts";
import { backendTest, freshTarget, spawn } from "./reliability_helpers.ts";

backendTest(
  "hostile CSV files: odd but valid ones load, damaged ones are refused with file and line and staging keeps its previous load",
  async (backend) => {
    const t = await freshTarget(backend);
    const base = await tempDir("ecom-hostile-");
    try {
      await cleanSet(`${base}/clean`);
      const first = await spawn([
        "ingest",
        "--input",
        `${base}/clean`,
        ...t.flags,
      ]).done();
      assert.equal(first.code, 0, first.output);
      const staged = async () => {
        const db = await openDb(t.config);
        try {
          return await db.query(
            `SELECT (SELECT count(*)::int FROM staging.customers) AS customers,
               (SELECT count(*)::int FROM staging.products) AS products,
               (SELECT count(*)::int FROM staging.transactions) AS transactions,
               (SELECT max(loaded_at)::text FROM staging.customers) AS loaded_at`,
          );
        } finally {
          await db.close();
        }
      };
      let before = await staged();
      const cleanLines =
        (await Deno.readTextFile(`${base}/clean/customers.csv`))
          .split("\n").length;
      for (const [i, c] of HOSTILE_CASES.entries()) {
        const dir = `${base}/case${i}`;
        await damagedSet(c, `${base}/clean`, dir);
        const r = await spawn(["ingest", "--input", dir, ...t.flags]).done();
        assert.equal(r.code, c.expect.code, `${c.name}: ${r.output}`);
        assert.doesNotMatch(r.output, /\n\s+at /, c.name);
        if (c.expect.code === 1) {
          const line = c.expect.line === -1 ? cleanLines : c.expect.line;
          assert.match(
            r.output,
            new RegExp(`${dir}/${c.file.replace(".", "\\.")}: line ${line}: `),
            c.name,
          );
          assert.match(r.output, c.expect.message, c.name);
          assert.deepEqual(
            await staged(),
            before,
            `${c.name}: staging changed`,
          );
        } else {
          before = await staged();
        }
      }
    } finally {
      await t.drop();
      await Deno.remove(base, { recursive: true }).catch(() => {});
    }
  },
);
