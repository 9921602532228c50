/** Configuration layers, validation messages and secret masking. */
import assert from "node:assert/strict";
import { loadConfig } from "../lib/config.ts";
import { maskSecrets } from "../lib/mask.ts";
import { PipelineError } from "../lib/errors.ts";
import { tempDir } from "./helpers.ts";

Deno.test("defaults, then config file, then environment, then flags", async () => {
  const dir = await tempDir();
  const file = `${dir}/ecom.config.json`;
  await Deno.writeTextFile(
    file,
    JSON.stringify({ dataDir: "from-file", generate: { seed: 7, scale: 2 } }),
  );
  const saved = Deno.env.get("ECOM_DATA_DIR");
  Deno.env.set("ECOM_DATA_DIR", "from-env");
  try {
    const c = await loadConfig({
      configFile: file,
      flags: { "generate.scale": 3 },
    });
    assert.equal(c.dataDir, "from-env");
    assert.equal(c.generate.seed, 7);
    assert.equal(c.generate.scale, 3);
    assert.equal(c.generate.defectRate, 0.02);
    assert.equal(c.logDir, "logs");
  } finally {
    if (saved === undefined) Deno.env.delete("ECOM_DATA_DIR");
    else Deno.env.set("ECOM_DATA_DIR", saved);
  }
});

Deno.test("an invalid value names the key, the value and its source", async () => {
  await assert.rejects(
    loadConfig({ flags: { "generate.scale": -1 } }),
    (err: Error) => {
      assert.ok(err instanceof PipelineError);
      assert.match(err.message, /generate\.scale = -1 \(from command line\)/);
      return true;
    },
  );
  const dir = await tempDir();
  await Deno.writeTextFile(
    `${dir}/c.json`,
    JSON.stringify({ generate: { startDate: "2025-13-01" } }),
  );
  await assert.rejects(
    loadConfig({ configFile: `${dir}/c.json` }),
    /generate\.startDate = "2025-13-01" \(from .*c\.json\): expected a date YYYY-MM-DD/,
  );
  await assert.rejects(
    loadConfig({ flags: { databaseUrl: "mysql://x" } }),
    /databaseUrl = "mysql:\/\/x" \(from command line\)/,
  );
});

Deno.test("passwords in connection strings are masked", () => {
  assert.equal(
    maskSecrets(
      "connecting to postgres://app:s3cr%40t@db:5432/shop and postgresql://u:p@h/d",
    ),
    "connecting to postgres://app:****@db:5432/shop and postgresql://u:****@h/d",
  );
  assert.equal(maskSecrets("postgres://nopass@db/x"), "postgres://nopass@db/x");
});
