/**
 * Reading and checking a CSV file's header before anything is loaded, so a
 * wrong file fails with the file and column named and nothing changes.
 *
 * @module
 */
import { parse } from "csv-parse/sync";
import { PipelineError } from "./errors.ts";

/** A header checked against the expected columns. */
export interface HeaderCheck {
  /** Column names in file order. */
  columns: string[];
  /** Names not in the contract (ignored when loading). */
  extra: string[];
}

/**
 * Reads the first record of `path` and compares it with `expected`.
 *
 * @throws {PipelineError} `CSV_HEADER` when a contract column is missing, a
 *   name repeats, or the file is empty or not UTF-8.
 *
 * @example
 * ```ts
 * const { extra } = await checkHeader("data/raw/customers.csv", CONTRACT_COLUMNS.customers);
 * ```
 */
export async function checkHeader(
  path: string,
  expected: readonly string[],
): Promise<HeaderCheck> {
  const file = await Deno.open(path);
  let head: Uint8Array;
  try {
    const buf = new Uint8Array(64 * 1024);
    const n = await file.read(buf);
    head = buf.subarray(0, n ?? 0);
  } finally {
    file.close();
  }
  if (head.length === 0) {
    throw new PipelineError(
      "CSV_HEADER",
      `${path}: line 1: file is empty, expected a header row`,
    );
  }
  const end = firstRecordEnd(head);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(
      head.subarray(0, end),
    );
  } catch {
    throw new PipelineError(
      "CSV_MALFORMED",
      `${path}: line 1: header is not valid UTF-8`,
    );
  }
  let columns: string[];
  try {
    columns = (parse(text, {
      bom: true,
      to_line: 1,
      relax_column_count: true,
    }) as string[][])[0] ?? [];
  } catch (err) {
    throw new PipelineError(
      "CSV_MALFORMED",
      `${path}: line 1: ${(err as Error).message}`,
    );
  }
  columns = columns.map((c) => c.trim());
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c)) {
      throw new PipelineError(
        "CSV_HEADER",
        `${path}: line 1: column "${c}" appears twice in the header`,
      );
    }
    seen.add(c);
  }
  const missing = expected.filter((c) => !seen.has(c));
  if (missing.length) {
    throw new PipelineError(
      "CSV_HEADER",
      `${path}: line 1: missing column${missing.length > 1 ? "s" : ""} ${
        missing.map((c) => `"${c}"`).join(", ")
      } (header has: ${columns.join(", ")})`,
      { hint: `the contract's columns are: ${expected.join(", ")}` },
    );
  }
  return { columns, extra: columns.filter((c) => !expected.includes(c)) };
}

/** Index after the first record's newline (or the end), honouring quotes. */
function firstRecordEnd(bytes: Uint8Array): number {
  let inQuote = false;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x22) inQuote = !inQuote;
    else if (bytes[i] === 0x0a && !inQuote) return i + 1;
  }
  return bytes.length;
}
