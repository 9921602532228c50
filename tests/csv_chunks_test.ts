/** The record chunker: chunks end on record boundaries, counts are exact, bad bytes are located. */
import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import { newChunkStats, recordChunks } from "../lib/csv_chunks.ts";
import { Rng } from "../lib/synth/rng.ts";
import { PipelineError } from "../lib/errors.ts";

const enc = new TextEncoder();

async function* pieces(
  bytes: Uint8Array,
  rng: Rng,
): AsyncGenerator<Uint8Array> {
  let i = 0;
  while (i < bytes.length) {
    const n = 1 + rng.int(40);
    yield bytes.subarray(i, i + n);
    i += n;
  }
}

function randomCsv(rng: Rng, records: number): string {
  const fields = [
    "plain",
    'with "quote"',
    "comma, inside",
    "new\nline",
    "é ü 東京",
    "",
    "crlf\r\nin quotes",
  ];
  let out = "a,b,c\n";
  for (let r = 0; r < records; r++) {
    const row = [0, 1, 2].map(() => {
      const f = rng.pick(fields);
      return /[",\r\n]/.test(f) ? `"${f.replaceAll('"', '""')}"` : f;
    });
    out += row.join(",") + "\n";
  }
  return out;
}

Deno.test("chunks end on record boundaries and reassemble the input", async () => {
  for (let seed = 1; seed <= 20; seed++) {
    const rng = new Rng(seed, "chunks");
    const text = randomCsv(rng, 200);
    const bytes = enc.encode(text);
    const stats = newChunkStats();
    const chunks: Uint8Array[] = [];
    for await (
      const c of recordChunks(pieces(bytes, rng), {
        maxBytes: 64 + rng.int(200),
        fields: 3,
        file: "x.csv",
      }, stats)
    ) {
      chunks.push(c);
    }
    const joined = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
    let off = 0;
    for (const c of chunks) (joined.set(c, off), off += c.length);
    assert.deepEqual(joined, bytes);
    assert.equal(stats.records, 201);
    assert.equal(stats.bytes, bytes.length);
    assert.ok(chunks.length > 1);
    // Each chunk parses on its own into whole records of 3 fields.
    let records = 0;
    const dec = new TextDecoder();
    for (const [i, c] of chunks.entries()) {
      const rows = parse(dec.decode(c)) as string[][];
      assert.ok(rows.every((r) => r.length === 3));
      // Its first line number matches the newlines before it.
      const before = dec.decode(
        joined.subarray(
          0,
          chunks.slice(0, i).reduce((a, x) => a + x.length, 0),
        ),
      );
      assert.equal(stats.chunkFirstLine[i], before.split("\n").length);
      records += rows.length;
    }
    assert.equal(records, 201);
  }
});

async function failure(text: string | Uint8Array, fields = 3): Promise<string> {
  const bytes = typeof text === "string" ? enc.encode(text) : text;
  try {
    for await (
      const _ of recordChunks(pieces(bytes, new Rng(1)), {
        maxBytes: 16,
        fields,
        file: "f.csv",
      }, newChunkStats())
    ) {
      // drain
    }
  } catch (err) {
    assert.ok(err instanceof PipelineError);
    return err.message;
  }
  return "no error";
}

Deno.test("malformed input is reported with file and line", async () => {
  assert.equal(
    await failure('a,b,c\n1,2,3\n"x\ny",2\n'),
    "f.csv: line 3: expected 3 fields, found 2",
  );
  assert.equal(
    await failure("a,b,c\n1,2,3\n1,2,3,4"),
    "f.csv: line 3: expected 3 fields, found 4",
  );
  assert.equal(
    await failure('a,b,c\n1,2,3\n1,"2,3\n4,5,6\n'),
    'f.csv: line 3: unterminated quoted field (a " opened here is never closed)',
  );
  assert.equal(
    await failure("a,b,c\n\n1,2,3\n"),
    "f.csv: line 2: empty line (expected 3 fields)",
  );
  assert.equal(
    await failure("a,b,c\r\n1,2,3\n"),
    "f.csv: line 2: line ending differs from the first line's (CRLF)",
  );
  assert.equal(
    await failure("a,b,c\n1,2\r3,4\n"),
    "f.csv: line 2: carriage return inside an unquoted field",
  );
  const bad = enc.encode("a,b,c\n1,2,3\n1,x,3\n");
  bad[14] = 0xff;
  assert.equal(
    await failure(bad),
    'f.csv: line 3: invalid byte sequence for encoding "UTF8": 0xff',
  );
  const overlong = new Uint8Array([
    ...enc.encode("a,b,c\n1,"),
    0xe0,
    0x80,
    0x80,
    ...enc.encode(",3\n"),
  ]);
  assert.equal(
    await failure(overlong),
    'f.csv: line 2: invalid byte sequence for encoding "UTF8": 0x80',
  );
  assert.equal(await failure("a,b,c\r\n1,2,3\r\n"), "no error");
  assert.equal(await failure("a,b,c\n1,2,3"), "no error");
});
