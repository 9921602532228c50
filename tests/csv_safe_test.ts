/**
 * Exports a spreadsheet opens safely (lib/csv_safe.ts): formula text gets a
 * leading `'`, numbers and plain text pass unchanged, quoting survives, and
 * the stream counts the records it wrote.
 */
import assert from "node:assert/strict";
import { stringify } from "csv-stringify/sync";
import { neutraliseCell, neutralisingStream } from "../lib/csv_safe.ts";
import { csvLine } from "../lib/synth/csv_writer.ts";

async function through(text: string, chunk: number) {
  const counter = { records: 0 };
  const bytes = new TextEncoder().encode(text);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += chunk) {
    parts.push(bytes.subarray(i, i + chunk));
  }
  const out = await new Response(
    ReadableStream.from(parts).pipeThrough(neutralisingStream(counter)),
  ).text();
  return { out, records: counter.records };
}

Deno.test("cells: formula text is neutralised, numbers are not", () => {
  assert.equal(neutraliseCell("=1+2"), "'=1+2");
  assert.equal(neutraliseCell("@SUM(A1)"), "'@SUM(A1)");
  assert.equal(neutraliseCell("+cmd"), "'+cmd");
  assert.equal(neutraliseCell("-x"), "'-x");
  assert.equal(neutraliseCell("\tx"), "'\tx");
  assert.equal(neutraliseCell("-12.50"), "-12.50");
  assert.equal(neutraliseCell("+3e5"), "+3e5");
  assert.equal(neutraliseCell("Shoes"), "Shoes");
});

Deno.test("stream: rewrites records in any chunking, quoting kept, records counted", async () => {
  const input = [
    "name,revenue,note",
    'Shoes,-12.50,"a, b"',
    '"=HYPERLINK(""http://evil.example/x"",""click"")",3.00,plain',
    '"two\nlines",0,@x',
    "",
  ].join("\n");
  const expected = [
    "name,revenue,note",
    'Shoes,-12.50,"a, b"',
    '"\'=HYPERLINK(""http://evil.example/x"",""click"")",3.00,plain',
    '"two\nlines",0,\'@x',
    "",
  ].join("\n");
  for (const chunk of [1, 7, 1 << 16]) {
    const { out, records } = await through(input, chunk);
    assert.equal(out, expected, `chunks of ${chunk} bytes`);
    assert.equal(records, 4);
  }
});

Deno.test("csvLine writes what csv-stringify writes, byte for byte", () => {
  const fields = [
    "plain",
    " lead",
    "trail ",
    "\ttab",
    "a,b",
    'say "hi"',
    "two\nlines",
    "cr\rhere",
    "",
    " ",
    "=1+2",
    "12 Main St, Springfield, IL",
  ];
  for (const f of fields) {
    assert.equal(csvLine([f, "x"]), stringify([[f, "x"]]), JSON.stringify(f));
  }
  assert.equal(csvLine(fields), stringify([fields]));
});
