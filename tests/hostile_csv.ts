/**
 * A generated set of hostile CSV inputs for the reliability suite: each case
 * is one contract file set with one file damaged or odd in one way, and the
 * outcome a demanding user expects of the loader.
 */
import { generateShop } from "../lib/synth/shop.ts";

/** One hostile input and what ingest must do with it. */
export interface HostileCase {
  name: string;
  /** The file that carries the damage. */
  file: string;
  /** Rewrites that file's bytes. */
  damage(bytes: Uint8Array): Uint8Array;
  /** 0: loads; 1: refused, with this text and the file and line named. */
  expect: { code: 0 } | { code: 1; line: number; message: RegExp };
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Replaces the first field of physical line `line` (1-based) with `value`. */
function setFirstField(bytes: Uint8Array, line: number, value: Uint8Array) {
  const lines = dec.decode(bytes).split("\n");
  const rest = lines[line - 1].slice(lines[line - 1].indexOf(","));
  const before = enc.encode(lines.slice(0, line - 1).join("\n") + "\n");
  const after = enc.encode(rest + "\n" + lines.slice(line).join("\n"));
  return concat(before, value, after);
}

/** Replaces field `index` (0-based) of line `line` with `value` (text). */
function setField(text: string, line: number, index: number, value: string) {
  const lines = text.split("\n");
  const cells = lines[line - 1].split(",");
  cells[index] = value;
  lines[line - 1] = cells.join(",");
  return lines.join("\n");
}

export const HOSTILE_CASES: HostileCase[] = [
  {
    name: "UTF-8 byte order mark",
    file: "customers.csv",
    damage: (b) => concat(new Uint8Array([0xef, 0xbb, 0xbf]), b),
    expect: { code: 0 },
  },
  {
    name: "CRLF line endings",
    file: "products.csv",
    damage: (b) => enc.encode(dec.decode(b).replaceAll("\n", "\r\n")),
    expect: { code: 0 },
  },
  {
    name: "mixed line endings",
    file: "customers.csv",
    damage: (b) => {
      const lines = dec.decode(b).split("\n");
      lines[4] += "\r";
      return enc.encode(lines.join("\n"));
    },
    expect: { code: 1, line: 5, message: /line ending/i },
  },
  {
    name: "NUL byte",
    file: "customers.csv",
    damage: (b) => setFirstField(b, 7, enc.encode("CUST\u0000X")),
    expect: { code: 1, line: 7, message: /NUL|0x00/i },
  },
  {
    name: "invalid UTF-8",
    file: "products.csv",
    damage: (b) => setFirstField(b, 9, new Uint8Array([0x50, 0xff, 0xfe])),
    expect: { code: 1, line: 9, message: /UTF-?8/i },
  },
  {
    name: "unterminated quote",
    file: "transactions.csv",
    damage: (b) => setFirstField(b, 11, enc.encode('"TXN-open')),
    expect: { code: 1, line: 11, message: /quote/i },
  },
  {
    name: "a 1 MB field",
    file: "customers.csv",
    damage: (b) =>
      enc.encode(setField(dec.decode(b), 3, 1, "N".repeat(1 << 20))),
    expect: { code: 0 },
  },
  {
    name: "a 40 MB line without a newline",
    file: "customers.csv",
    damage: (b) => concat(b, enc.encode("CUST-BIG," + "x".repeat(40 << 20))),
    // The line after the last complete one; its field count gives it away.
    expect: { code: 1, line: -1, message: /expected 10 fields, found 2/ },
  },
  {
    name: "formula text",
    file: "products.csv",
    damage: (b) =>
      enc.encode(
        setField(
          dec.decode(b),
          2,
          1,
          '"=HYPERLINK(""http://evil.example/x"",""click"")"',
        ),
      ),
    expect: { code: 0 },
  },
  {
    name: "script text",
    file: "products.csv",
    damage: (b) =>
      enc.encode(setField(dec.decode(b), 3, 1, "<script>alert(1)</script>")),
    expect: { code: 0 },
  },
];

/** Writes a clean generated set to `dir`; returns its file names. */
export async function cleanSet(dir: string): Promise<void> {
  await generateShop({
    seed: 5,
    scale: 0.05,
    startDate: "2025-01-01",
    endDate: "2025-12-31",
    defectRate: 0,
    outDir: dir,
  });
}

/** Copies the clean set in `from` to `to` with the case's damage applied. */
export async function damagedSet(
  c: HostileCase,
  from: string,
  to: string,
): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for (
    const f of [
      "customers.csv",
      "products.csv",
      "transactions.csv",
      "transaction_items.csv",
    ]
  ) {
    const bytes = await Deno.readFile(`${from}/${f}`);
    await Deno.writeFile(`${to}/${f}`, f === c.file ? c.damage(bytes) : bytes);
  }
}
