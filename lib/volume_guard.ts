/**
 * Guards against truncated exports. A full load replaces the snapshot: ids
 * missing from it are marked inactive and their dimension rows expired. So a
 * header-only or cut-off `customers.csv` would quietly wipe the customer
 * dimension. A full load is refused instead when a file is empty, or when
 * customers or products hold fewer than `quality.minVolumeShare` (half, by
 * default) of the active rows production holds; `--allow-purge`
 * (`quality.allowPurge`) lets a real purge through. Daily increments are
 * small by nature and are not judged.
 *
 * @module
 */
import type { Config } from "./config.ts";
import type { Db } from "./db.ts";
import { TABLES } from "./contract.ts";
import { n } from "./stage.ts";

/** Tables whose full loads deactivate what they do not contain. */
const SNAPSHOT_TABLES = new Set(["customers", "products"]);

/**
 * The reasons this staging load may not replace production, one line each;
 * empty when it may.
 *
 * @example
 * ```ts
 * const problems = await volumeProblems(db, config);
 * if (problems.length) throw new Error(problems.join("; "));
 * ```
 */
export async function volumeProblems(
  db: Db,
  config: Config,
): Promise<string[]> {
  if (config.quality.allowPurge) return [];
  // Customers and products are counted (they are compared with production);
  // for the big tables only emptiness matters, which needs one row, not a
  // count of millions.
  const [counts] = await db.query<Record<string, number>>(
    `SELECT ${
      TABLES.map((t) =>
        SNAPSHOT_TABLES.has(t)
          ? `(SELECT count(*)::int FROM staging.${t}) AS ${t}`
          : `(SELECT count(*)::int FROM (SELECT 1 FROM staging.${t} LIMIT 1) x) AS ${t}`
      ).join(", ")
    },
      (SELECT count(*)::int FROM production.customers WHERE is_active) AS p_customers,
      (SELECT count(*)::int FROM production.products WHERE is_active) AS p_products`,
  );
  if (TABLES.every((t) => counts[t] === 0)) {
    return [
      "staging is empty: nothing has been loaded (run ingest first; header-only files load no rows)",
    ];
  }
  const problems: string[] = [];
  const share = config.quality.minVolumeShare;
  for (const t of TABLES) {
    const staged = counts[t];
    const held = SNAPSHOT_TABLES.has(t) ? counts[`p_${t}`] : 0;
    if (staged === 0) {
      problems.push(
        `${t}.csv is empty (0 rows)${
          held ? `, while production holds ${n(held)} active ${t}` : ""
        }: a truncated export? Nothing was deactivated`,
      );
    } else if (held > 0 && staged < share * held) {
      problems.push(
        `${t}.csv has ${n(staged)} rows, fewer than ${
          Math.round(share * 100)
        } % of the ${
          n(held)
        } active ${t} in production: a truncated export? Nothing was deactivated`,
      );
    }
  }
  return problems;
}

/** The hint that goes with a refused load. */
export const PURGE_HINT =
  "check the export; if the source really shrank, run again with --allow-purge (quality.allowPurge)";
