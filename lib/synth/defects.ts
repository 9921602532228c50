/**
 * Which rows get which injected defect, decided up front so generation can
 * stream. Every defect lands on a different row, so each one trips exactly
 * the quality check named after it, and the manifest
 * (`injected_defects.csv`) is the ground truth the quality tests use.
 *
 * @module
 */
import type { Rng } from "./rng.ts";
import { CsvWriter } from "./csv_writer.ts";

import type { Table } from "../contract.ts";

export type { Table };

/** Defect kinds per file; each maps to one quality check (see docs/data_quality.md). */
export const DEFECT_KINDS: Record<Table, readonly string[]> = {
  customers: [
    "missing_mandatory",
    "unparseable_date",
    "malformed_email",
    "duplicate_email",
    "unknown_category",
    "exact_duplicate",
    "conflicting_duplicate",
  ],
  products: [
    "missing_mandatory",
    "unparseable_number",
    "non_positive_price",
    "cost_above_price",
    "exact_duplicate",
    "conflicting_duplicate",
  ],
  transactions: [
    "missing_mandatory",
    "unparseable_date",
    "orphan_customer",
    "future_date",
    "before_registration",
    "total_mismatch",
    "exact_duplicate",
    "without_items",
  ],
  transaction_items: [
    "missing_mandatory",
    "unparseable_number",
    "orphan_transaction",
    "orphan_product",
    "non_positive_quantity",
    "discount_out_of_range",
    "line_total_mismatch",
    "exact_duplicate",
  ],
};

/** Harmless noise that cleansing must repair; recorded with a `noise_` kind. */
export const NOISE_KINDS: Record<Table, readonly string[]> = {
  customers: ["noise_whitespace", "noise_email_case", "noise_phone_format"],
  products: ["noise_whitespace"],
  transactions: ["noise_payment_spelling"],
  transaction_items: [],
};

/** How many rows of a `rows`-row table get each kind at `rate`. */
export function perKind(rate: number, rows: number, kinds: number): number {
  if (rate <= 0 || kinds === 0) return 0;
  return Math.max(1, Math.round((rate * rows) / kinds));
}

/**
 * Assigns defect and noise kinds to distinct row indices of one table.
 *
 * @returns row index -> kind
 */
export function planDefects(
  rng: Rng,
  table: Table,
  rows: number,
  rate: number,
): Map<number, string> {
  const kinds = [...DEFECT_KINDS[table], ...NOISE_KINDS[table]];
  const n = perKind(rate, rows, DEFECT_KINDS[table].length);
  const total = Math.min(rows, n * kinds.length);
  const targets = rng.sample(rows, total);
  const plan = new Map<number, string>();
  targets.forEach((row, i) => plan.set(row, kinds[i % kinds.length]));
  return plan;
}

/** One line of `injected_defects.csv`. */
export interface DefectRecord {
  file: string;
  record_id: string;
  /** 1-based data row in the file (header excluded) of the defective row. */
  source_row: number;
  defect_kind: string;
  column: string;
  detail: string;
}

export const MANIFEST_COLUMNS = [
  "file",
  "record_id",
  "source_row",
  "defect_kind",
  "column",
  "detail",
] as const;

/**
 * A function that records a defect of the row just written to `w` (a defect
 * that adds a row is that added row).
 */
export function recorder(manifest: DefectRecord[]) {
  return (
    w: CsvWriter,
    file: string,
    id: string,
    kind: string,
    column: string,
    detail: string,
  ) =>
    manifest.push({
      file,
      record_id: id,
      source_row: w.rows,
      defect_kind: kind,
      column,
      detail,
    });
}

/** Writes `injected_defects.csv`; returns its row count. */
export async function writeManifest(
  path: string,
  manifest: DefectRecord[],
): Promise<number> {
  const w = await CsvWriter.create(path, MANIFEST_COLUMNS);
  for (const d of manifest) {
    await w.write([
      d.file,
      d.record_id,
      String(d.source_row),
      d.defect_kind,
      d.column,
      d.detail,
    ]);
  }
  await w.close();
  return w.rows;
}
