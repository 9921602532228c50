/**
 * Buffered CSV output. Fields that need quoting (commas, quotes, newlines)
 * go through csv-stringify; plain fields take a fast path, because millions
 * of item rows hold only ids and numbers.
 *
 * @module
 */
import { stringify } from "csv-stringify/sync";
import { type AtomicFile, createAtomic } from "../atomic.ts";

const NEEDS_QUOTING = /[",\r\n]|^\s|\s$/;
const encoder = new TextEncoder();

/** One RFC 4180 record, with `\n` line ending. */
export function csvLine(fields: readonly string[]): string {
  for (const f of fields) {
    if (NEEDS_QUOTING.test(f)) return stringify([fields as string[]]);
  }
  return fields.join(",") + "\n";
}

/** Writes records to a file through a 1 MiB buffer. */
export class CsvWriter {
  readonly path: string;
  rows = 0;
  #out: AtomicFile;
  #parts: string[] = [];
  #size = 0;

  private constructor(path: string, out: AtomicFile) {
    this.path = path;
    this.#out = out;
  }

  /** Starts `path` (in place on close, complete) and writes the header. */
  static async create(path: string, header: readonly string[]) {
    const w = new CsvWriter(path, await createAtomic(path));
    w.#push(csvLine(header));
    return w;
  }

  /** Appends one data record. */
  async write(fields: readonly string[]): Promise<void> {
    this.rows++;
    this.#push(csvLine(fields));
    if (this.#size >= 1 << 20) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.#parts.length === 0) return;
    const bytes = encoder.encode(this.#parts.join(""));
    this.#parts = [];
    this.#size = 0;
    let off = 0;
    while (off < bytes.length) {
      off += await this.#out.file.write(bytes.subarray(off));
    }
  }

  async close(): Promise<void> {
    await this.flush();
    await this.#out.commit();
  }

  #push(line: string) {
    this.#parts.push(line);
    this.#size += line.length;
  }
}
