/**
 * Files that are complete or absent. Every file the toolkit writes goes to a
 * temporary file in the same directory first and is renamed over the target
 * when complete: rename within a directory is atomic, so a reader (or a
 * process killed half-way) never leaves or sees half a report, export or
 * dashboard. A killed writer leaves only a `.tmp-` file, which the next
 * write of the same target replaces and cleanup removes.
 *
 * @module
 */

/** The temporary sibling `path` is written through. */
export function tempPathFor(path: string): string {
  const slash = path.lastIndexOf("/");
  const dir = slash >= 0 ? path.slice(0, slash + 1) : "";
  return `${dir}.${path.slice(slash + 1)}.tmp-${Deno.pid}`;
}

/**
 * Writes `data` to `path` atomically.
 *
 * @example
 * ```ts
 * await writeFileAtomic("data/processed/report.json", "{}\n");
 * ```
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
): Promise<void> {
  const tmp = tempPathFor(path);
  try {
    if (typeof data === "string") await Deno.writeTextFile(tmp, data);
    else await Deno.writeFile(tmp, data);
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
}

/** Copies `from` to `to` atomically. */
export async function copyFileAtomic(from: string, to: string): Promise<void> {
  const tmp = tempPathFor(to);
  try {
    await Deno.copyFile(from, tmp);
    await Deno.rename(tmp, to);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
}

/** A file being written: `commit` puts it in place, `abort` drops it. */
export interface AtomicFile {
  file: Deno.FsFile;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** Opens a temporary file that becomes `path` on commit. */
export async function createAtomic(path: string): Promise<AtomicFile> {
  const tmp = tempPathFor(path);
  const file = await Deno.open(tmp, {
    write: true,
    create: true,
    truncate: true,
  });
  let done = false;
  const closeQuietly = () => {
    try {
      file.close();
    } catch { /* a consumed writable stream closes the file itself */ }
  };
  return {
    file,
    async commit() {
      if (done) return;
      done = true;
      closeQuietly();
      await Deno.rename(tmp, path);
    },
    async abort() {
      if (done) return;
      done = true;
      closeQuietly();
      await Deno.remove(tmp).catch(() => {});
    },
  };
}

/** Runs `fn` on a temporary file and puts it in place when `fn` resolves. */
export async function withAtomicFile<T>(
  path: string,
  fn: (file: Deno.FsFile) => Promise<T>,
): Promise<T> {
  const out = await createAtomic(path);
  try {
    const value = await fn(out.file);
    await out.commit();
    return value;
  } catch (err) {
    await out.abort();
    throw err;
  }
}
