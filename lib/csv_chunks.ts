/**
 * Splits a CSV byte stream into chunks that end on record boundaries, and
 * checks it on the way: UTF-8, field count per record, balanced quotes,
 * consistent line endings. Problems are reported with the file and line
 * before the database sees the bytes, the same way on both backends (and a
 * failed COPY on the server cannot report its own reason, see db_server.ts).
 *
 * Scanning bytes is safe for UTF-8 because `"`, `,`, `\r` and `\n` never
 * occur inside a multi-byte sequence. Quotes toggle the quoted state
 * wherever they appear, as PostgreSQL's CSV parser does.
 *
 * @module
 */
import { PipelineError } from "./errors.ts";

const QUOTE = 0x22;
const COMMA = 0x2c;
const CR = 0x0d;
const LF = 0x0a;

/** Running totals, complete once the generator returned. */
export interface ChunkStats {
  /** Records, including the header record. */
  records: number;
  /** Bytes read. */
  bytes: number;
  /** 1-based physical line at which each emitted chunk starts. */
  chunkFirstLine: number[];
}

/** Options for {@linkcode recordChunks}. */
export interface RecordChunkOptions {
  /** Target chunk size; larger only when one record is larger. */
  maxBytes: number;
  /** Every record must have this many fields (the header's count). */
  fields?: number;
  /** Named in error messages. */
  file: string;
}

/** Fresh, empty {@linkcode ChunkStats}. */
export function newChunkStats(): ChunkStats {
  return { records: 0, bytes: 0, chunkFirstLine: [] };
}

/**
 * Re-chunks `source` into pieces that each end after a complete record.
 *
 * @throws {PipelineError} `CSV_MALFORMED` naming the file and line.
 *
 * @example
 * ```ts
 * const stats = newChunkStats();
 * for await (const chunk of recordChunks(file.readable, { maxBytes: 1 << 20, file: path }, stats)) {
 *   await sink.write(chunk);
 * }
 * ```
 */
export async function* recordChunks(
  source: AsyncIterable<Uint8Array>,
  options: RecordChunkOptions,
  stats: ChunkStats,
): AsyncGenerator<Uint8Array> {
  const { maxBytes, fields, file } = options;
  const fail = (line: number, what: string): never => {
    throw new PipelineError("CSV_MALFORMED", `${file}: line ${line}: ${what}`);
  };
  let inQuote = false;
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let line = 1; // physical line of the current byte
  let recordLine = 1; // line where the current record started
  let nextChunkLine = 1;
  let fieldCount = 1;
  let recordEmpty = true;
  let crlf: boolean | undefined; // line-ending style, fixed by the first record
  let prevCR = false;
  let utf8Need = 0; // continuation bytes still expected
  let utf8Lo = 0x80; // allowed range of the next continuation byte
  let utf8Hi = 0xbf;

  for await (const piece of source) {
    stats.bytes += piece.length;
    let boundary = -1; // index after the last record end in `piece`
    let lineAtBoundary = line;
    for (let i = 0; i < piece.length; i++) {
      const b = piece[i];
      if (utf8Need > 0) {
        if (b < utf8Lo || b > utf8Hi) fail(line, invalidUtf8(b));
        utf8Need--;
        utf8Lo = 0x80;
        utf8Hi = 0xbf;
        continue;
      }
      if (b >= 0x80) {
        [utf8Need, utf8Lo, utf8Hi] = utf8Lead(b, line, fail);
        recordEmpty = false;
        prevCR = false;
        continue;
      }
      if (b === LF) {
        if (!inQuote) {
          if (crlf === undefined) crlf = prevCR;
          else if (crlf !== prevCR) {
            fail(
              line,
              `line ending differs from the first line's (${
                crlf ? "CRLF" : "LF"
              })`,
            );
          }
          if (fields !== undefined && fieldCount !== fields) {
            fail(
              recordLine,
              fieldError(fields, fieldCount, recordEmpty && !prevCR),
            );
          }
          stats.records++;
          boundary = i + 1;
          lineAtBoundary = line + 1;
          recordLine = line + 1;
          fieldCount = 1;
          recordEmpty = true;
        }
        line++;
        prevCR = false;
        continue;
      }
      if (prevCR && !inQuote) {
        fail(line, "carriage return inside an unquoted field");
      }
      prevCR = false;
      if (b === QUOTE) inQuote = !inQuote;
      else if (b === COMMA && !inQuote) fieldCount++;
      else if (b === CR && !inQuote) prevCR = true;
      else if (b === 0) {
        fail(line, 'invalid byte sequence for encoding "UTF8": 0x00');
      }
      recordEmpty = false;
    }
    if (boundary < 0 || pendingBytes + piece.length < maxBytes) {
      pending.push(piece);
      pendingBytes += piece.length;
      continue;
    }
    pending.push(piece.subarray(0, boundary));
    pendingBytes += boundary;
    stats.chunkFirstLine.push(nextChunkLine);
    yield concat(pending, pendingBytes);
    nextChunkLine = lineAtBoundary;
    const rest = piece.subarray(boundary);
    pending = rest.length ? [rest] : [];
    pendingBytes = rest.length;
  }
  if (utf8Need > 0) fail(line, "file ends inside a UTF-8 sequence");
  if (inQuote) {
    fail(
      recordLine,
      'unterminated quoted field (a " opened here is never closed)',
    );
  }
  if (!recordEmpty) {
    // The last record has no line ending.
    if (prevCR) fail(line, "carriage return inside an unquoted field");
    if (fields !== undefined && fieldCount !== fields) {
      fail(recordLine, fieldError(fields, fieldCount, false));
    }
    stats.records++;
  }
  if (pendingBytes > 0) {
    stats.chunkFirstLine.push(nextChunkLine);
    yield concat(pending, pendingBytes);
  }
}

function fieldError(want: number, got: number, empty: boolean): string {
  return empty
    ? `empty line (expected ${want} fields)`
    : `expected ${want} fields, found ${got}`;
}

/** Continuation count and the allowed range of the next byte for a lead byte. */
function utf8Lead(
  b: number,
  line: number,
  fail: (line: number, what: string) => never,
): [number, number, number] {
  if (b >= 0xc2 && b <= 0xdf) return [1, 0x80, 0xbf];
  if (b === 0xe0) return [2, 0xa0, 0xbf];
  if (b === 0xed) return [2, 0x80, 0x9f];
  if (b >= 0xe1 && b <= 0xef) return [2, 0x80, 0xbf];
  if (b === 0xf0) return [3, 0x90, 0xbf];
  if (b >= 0xf1 && b <= 0xf3) return [3, 0x80, 0xbf];
  if (b === 0xf4) return [3, 0x80, 0x8f];
  return fail(line, invalidUtf8(b));
}

function invalidUtf8(b: number): string {
  return `invalid byte sequence for encoding "UTF8": 0x${b.toString(16)}`;
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
