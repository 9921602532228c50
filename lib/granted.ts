/**
 * Links must not widen what a task may read. Deno checks a path as written,
 * so `data/link -> /tmp/x` would let a task granted `data/` read `/tmp/x`.
 * Input files are therefore resolved (realpath) and the resolved path must
 * itself be granted; otherwise the file is refused, and nothing of its
 * content is read or printed.
 *
 * @module
 */
import { PipelineError } from "./errors.ts";

/**
 * Returns the real path of `path` after checking that this process may read
 * it as resolved.
 *
 * @throws {PipelineError} `PERMISSION` when a link leads outside the grant.
 */
export async function resolveGranted(
  path: string,
  hint: string,
): Promise<string> {
  const real = await Deno.realPath(path);
  const { state } = await Deno.permissions.query({ name: "read", path: real });
  if (state !== "granted") {
    throw new PipelineError(
      "PERMISSION",
      `${path} is a link to ${real}, outside the directories this task may read; it was not read`,
      { hint },
    );
  }
  return real;
}
