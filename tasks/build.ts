#!/usr/bin/env -S deno run --allow-run=deno --allow-env=DENORT_BIN
/**
 * One-file builds of the CLI for servers:
 * - `bundle`: `dist/ecom-pipeline.js` with `deno bundle` (offline-capable),
 *   run with `deno run <permissions> dist/ecom-pipeline.js <stage>`;
 * - `compile`: `dist/ecom-pipeline`, a standalone binary with the `ecom`
 *   task's permissions baked in. `deno compile` downloads Deno's runtime
 *   (denort) unless DENORT_BIN points at one; without network that fails, and
 *   this says so in one line instead of a stack trace.
 *
 * @module
 */
import { launchArgs, permissionFlags } from "../lib/launch_plan.ts";

/**
 * The permissions baked into the binary: those of the CLI on the embedded
 * database, plus the network (a binary cannot narrow it per run the way the
 * launcher does, so it gets the database and webhook hosts unrestricted).
 */
export function compilePermissions(): string[] {
  return [
    ...permissionFlags(launchArgs("main.ts", [], {})),
    "--allow-net",
  ];
}

async function deno(args: string[]): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command("deno", {
    args,
    stdout: "inherit",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

/** Runs one build; returns the exit code. */
export async function build(kind: string): Promise<number> {
  if (kind === "bundle") {
    const r = await deno([
      "bundle",
      "--quiet",
      "-o",
      "dist/ecom-pipeline.js",
      "main.ts",
    ]);
    if (r.code !== 0) {
      console.error(`bundle: failed:\n${r.stderr.trim()}`);
      return 1;
    }
    console.log(
      "bundle: dist/ecom-pipeline.js (run: deno run <permissions> dist/ecom-pipeline.js --help)",
    );
    return 0;
  }
  if (kind === "compile") {
    const r = await deno([
      "compile",
      ...compilePermissions(),
      "-o",
      "dist/ecom-pipeline",
      "main.ts",
    ]);
    if (r.code === 0) {
      console.log("compile: dist/ecom-pipeline");
      return 0;
    }
    const download = r.stderr.match(
      /error sending request for url \((https:[^)]+)\)/,
    );
    if (download) {
      console.error(
        `compile: deno compile must download Deno's runtime from ${
          download[1]
        }, ` +
          "which this machine cannot reach.\n" +
          "  hint: set DENORT_BIN to a denort binary of the same version, or use " +
          "`deno task bundle` and run dist/ecom-pipeline.js with deno",
      );
    } else {
      console.error(
        `compile: failed: ${
          r.stderr.trim().split("\n").slice(0, 6).join("\n")
        }`,
      );
    }
    return 1;
  }
  console.error(`usage: build.ts bundle|compile (got "${kind ?? ""}")`);
  return 2;
}

if (import.meta.main) Deno.exit(await build(Deno.args[0]));
