/**
 * Exports that a spreadsheet opens safely. A cell that starts with `=`, `+`,
 * `-`, `@`, a tab or a carriage return is a formula to Excel, LibreOffice and
 * Google Sheets: a product named `=HYPERLINK(...)` would run when an analyst
 * opens the export. As OWASP recommends ("CSV Injection"), such text cells
 * are prefixed with `'`, which spreadsheets show as text; numbers such as
 * `-12.50` are left alone. `analytics.rawText: true` in the configuration
 * turns this off for consumers that are programs, not spreadsheets.
 *
 * @module
 */
import { parse } from "csv-parse";
import { csvLine } from "./synth/csv_writer.ts";

const TRIGGER = /^[=+\-@\t\r]/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * The cell as a spreadsheet should see it.
 *
 * @example
 * ```ts
 * neutraliseCell('=HYPERLINK("http://x","y")'); // `'=HYPERLINK("http://x","y")`
 * neutraliseCell("-12.50"); // "-12.50"
 * ```
 */
export function neutraliseCell(cell: string): string {
  return TRIGGER.test(cell) && !NUMBER.test(cell) ? `'${cell}` : cell;
}

/**
 * A stream that re-writes CSV with every text cell neutralised. Records are
 * parsed incrementally (csv-parse), so memory stays bounded by a record.
 * `counter.records` counts the records written, header included, so the
 * caller need not read the file again to count them.
 */
export function neutralisingStream(
  counter: { records: number } = { records: 0 },
): TransformStream<Uint8Array, Uint8Array> {
  const encoder = new TextEncoder();
  const parser = parse({ relax_column_count: true });
  let push: (chunk: Uint8Array) => void = () => {};
  let failed: Error | undefined;
  parser.on("readable", () => {
    let out = "";
    for (let record; (record = parser.read()) !== null;) {
      // csvLine quotes only the cells that need it (RFC 4180), as
      // csv-stringify would, without a stringifier per record.
      out += csvLine((record as string[]).map(neutraliseCell));
      counter.records++;
    }
    if (out) push(encoder.encode(out));
  });
  parser.on("error", (err: Error) => failed = err);
  const ended = new Promise<void>((resolve) => parser.on("end", resolve));
  return new TransformStream({
    transform(chunk, controller) {
      push = (c) => controller.enqueue(c);
      if (failed) throw failed;
      parser.write(chunk);
    },
    async flush(controller) {
      push = (c) => controller.enqueue(c);
      parser.end();
      await ended;
      if (failed) throw failed;
    },
  });
}
