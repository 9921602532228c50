/**
 * Buffered CSV output. A field is quoted only when it holds a comma, a quote
 * or a line break, as csv-stringify does by default (tests/csv_safe_test.ts
 * compares the two), without building a stringifier per record: every
 * transaction row has a quoted address, and millions of rows are written.
 *
 * @module
 */
import { type AtomicFile, createAtomic } from "../atomic.ts";

const NEEDS_QUOTING = /[",\r\n]/;
const encoder = new TextEncoder();

/** One RFC 4180 record, with `\n` line ending. */
export function csvLine(fields: readonly string[]): string {
  let line = "";
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    if (i > 0) line += ",";
    line += NEEDS_QUOTING.test(f) ? `"${f.replaceAll('"', '""')}"` : f;
  }
  return line + "\n";
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
