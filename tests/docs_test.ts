/**
 * The documentation cannot go stale: every `deno task` command in README.md
 * and docs/ names a task that exists and only flags its command accepts;
 * every configuration key and environment variable is in the README.
 */
import assert from "node:assert/strict";
import { ConfigSchema, flatten } from "../lib/config.ts";
import { ENV_VARS } from "../lib/env.ts";
import { GLOBAL_FLAGS } from "../lib/cli.ts";
import { SUBCOMMANDS } from "../main.ts";
import { ROOT } from "./helpers.ts";

const tasks = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`))
  .tasks as Record<
    string,
    string
  >;

async function docs(): Promise<Record<string, string>> {
  const out: Record<string, string> = {
    "README.md": await Deno.readTextFile(`${ROOT}/README.md`),
  };
  for await (const e of Deno.readDir(`${ROOT}/docs`)) {
    if (e.name.endsWith(".md")) {
      out[`docs/${e.name}`] = await Deno.readTextFile(`${ROOT}/docs/${e.name}`);
    }
  }
  return out;
}

/** `deno task ...` commands in code blocks and inline code. */
function commands(text: string): string[] {
  const found: string[] = [];
  for (const [, block] of text.matchAll(/```(?:sh|bash)?\n([\s\S]*?)```/g)) {
    for (const line of block.replaceAll("\\\n", " ").split("\n")) {
      const m = line.match(/(?:npx -y deno@[\d.]+|deno) (task [^#;&|]+)/);
      if (m) found.push(m[1].trim());
    }
  }
  for (
    const [, inline] of text.matchAll(
      /`((?:npx -y deno@[\d.]+ |deno )task [^`]+)`/g,
    )
  ) {
    found.push(inline.replace(/^(npx -y deno@[\d.]+|deno) /, "").trim());
  }
  return found;
}

Deno.test("every deno task command in the docs exists and uses real flags", async () => {
  let checked = 0;
  for (const [file, text] of Object.entries(await docs())) {
    for (const cmd of commands(text)) {
      const words = cmd.split(/\s+/).slice(1);
      let [task, ...rest] = words;
      assert.ok(tasks[task], `${file}: "deno ${cmd}": no task ${task}`);
      if (task === "ecom" && rest[0] && !rest[0].startsWith("-")) {
        [task, ...rest] = rest;
      }
      const sub = SUBCOMMANDS[task];
      if (!sub) continue; // bundle, compile, test, check, bench: no stage flags
      const known = new Set(
        [...sub.command.flags, ...GLOBAL_FLAGS].map((f) => f.name),
      );
      for (const w of rest) {
        const flag = w.match(/^--([a-z-]+)/)?.[1];
        if (flag) {
          assert.ok(
            known.has(flag),
            `${file}: "deno ${cmd}": ${task} has no --${flag}`,
          );
        }
      }
      checked++;
    }
  }
  assert.ok(checked >= 25, `${checked} commands checked`);
});

Deno.test("the README documents every configuration key and environment variable", async () => {
  const readme = await Deno.readTextFile(`${ROOT}/README.md`);
  const lines = readme.split("\n");
  const keys = Object.keys(flatten(ConfigSchema.parse({}))).filter((k) =>
    !k.startsWith("warehouse.holidays") && !k.startsWith("quality.checks")
  );
  for (const key of keys) {
    const parts = key.split(".");
    const parent = parts.slice(0, -1).join(".");
    const documented = readme.includes(key) ||
      parts.some((_, i) =>
        i > 0 && readme.includes(`${parts.slice(0, i).join(".")}.*`)
      ) ||
      (parent !== "" &&
        lines.some((l) =>
          l.includes(`${parent}.`) && l.includes(parts.at(-1)!)
        ));
    assert.ok(documented, `README: configuration key ${key}`);
  }
  for (const name of ENV_VARS) {
    assert.ok(readme.includes(name), `README: ${name}`);
  }
});

Deno.test("every error code is documented, and the docs name no code that does not exist", async () => {
  const { ERROR_CODES } = await import("../lib/errors.ts");
  const doc = await Deno.readTextFile(`${ROOT}/docs/errors.md`);
  const documented = [...doc.matchAll(/^\| ([A-Z0-9_]+) +\|/gm)].map((m) =>
    m[1]
  );
  assert.deepEqual(documented.sort(), Object.keys(ERROR_CODES).sort());
});

Deno.test("every declared quality check is documented in docs/data_quality.md", async () => {
  const { CHECKS } = await import("../lib/quality_checks.ts");
  const doc = await Deno.readTextFile(`${ROOT}/docs/data_quality.md`);
  const missing = CHECKS.map((c) => c.name).filter((name) =>
    !doc.includes(`\`${name}\``) &&
    !doc.includes(`\`*.${name.split(".")[1]}\``)
  );
  assert.deepEqual(missing, []);
});
