/**
 * The synthetic shop: customers, products, transactions and their items,
 * written as the contract's four CSV files with injected defects and a
 * manifest of them. Output depends only on the options (Faker's seed and
 * reference date are fixed), so the same options give identical bytes.
 *
 * @module
 */
import { cumulative, Rng, zipfCumulative } from "./rng.ts";
import { dayOf, isoOf, SeasonalDays } from "./dates.ts";
import { PAYMENT_METHODS, PAYMENT_MISSPELLINGS } from "./catalog.ts";
import {
  BAD_PRICES,
  buildEntities,
  idMaker,
  type OutRow,
  UNPARSEABLE_DATES,
} from "./entities.ts";
import {
  clock,
  DISCOUNT_WEIGHTS,
  DISCOUNTS,
  HOUR_WEIGHTS,
  ITEM_COUNT_WEIGHTS,
  QUANTITY_WEIGHTS,
} from "./shapes.ts";
import { CsvWriter } from "./csv_writer.ts";
import {
  type DefectRecord,
  planDefects,
  recorder,
  writeManifest,
} from "./defects.ts";
import { money, roundCents } from "./money.ts";
import { CONTRACT_COLUMNS } from "../contract.ts";
import { writeFileAtomic } from "../atomic.ts";
import { lateRegistrations } from "./late_registration.ts";

/** Options for {@linkcode generateShop}. */
export interface ShopOptions {
  seed: number;
  scale: number;
  startDate: string;
  endDate: string;
  defectRate: number;
  outDir: string;
  /** Called with transactions done and total. */
  onProgress?: (done: number, total: number) => void;
}

/** What `generation_metadata.json` holds. */
export interface ShopMetadata {
  generator: string;
  seed: number;
  scale: number;
  start_date: string;
  end_date: string;
  defect_rate: number;
  volumes: { customers: number; products: number; transactions: number };
  counts: Record<string, number>;
  defects: Record<string, number>;
}

const BAD_QUANTITIES = ["two", "3 pcs", "1.5"];

/**
 * Writes customers.csv, products.csv, transactions.csv,
 * transaction_items.csv, injected_defects.csv and generation_metadata.json
 * into `options.outDir`.
 *
 * @example
 * ```ts
 * await generateShop({ seed: 42, scale: 1, startDate: "2025-01-01", endDate: "2025-12-31", defectRate: 0.02, outDir: "data/raw" });
 * ```
 */
export async function generateShop(
  options: ShopOptions,
): Promise<ShopMetadata> {
  const { seed, scale, defectRate: rate, outDir } = options;
  const first = dayOf(options.startDate);
  const last = dayOf(options.endDate);
  await Deno.mkdir(outDir, { recursive: true });
  const ent = buildEntities(options);
  const { volumes, regDay, homeAddress, priceCents, custId, prodId } = ent;
  const nc = volumes.customers;
  const np = volumes.products;
  const manifest: DefectRecord[] = [];
  const seasonal = new SeasonalDays(first, last);
  const record = recorder(manifest);
  const writeTable = async (
    table: "customers" | "products",
    rows: OutRow[],
  ) => {
    const w = await CsvWriter.create(
      `${outDir}/${table}.csv`,
      CONTRACT_COLUMNS[table],
    );
    for (const r of rows) {
      await w.write(r.row);
      if (r.extra) await w.write(r.extra);
      if (r.kind) record(w, `${table}.csv`, r.id, r.kind, r.column, r.detail);
    }
    await w.close();
    return w;
  };
  // ---- transactions and items -------------------------------------------
  const trng = new Rng(seed, "transactions");
  const nt = volumes.transactions;
  // Repeat customers and best sellers: skewed draws over shuffled orders.
  const custOrder = trng.shuffle([...Array(nc).keys()]);
  const prodOrder = trng.shuffle([...Array(np).keys()]);
  const custRank = zipfCumulative(nc, 1.0, 0.02);
  const prodRank = zipfCumulative(np, 1.1, 0.02);
  const txCust = new Int32Array(nt);
  const txDay = new Int32Array(nt);
  const nItems = new Uint8Array(nt);
  const perDay = new Int32Array(last - first + 2);
  let totalItems = 0;
  // The day first, with the season's weights, then a customer already
  // registered on it: drawing the customer first and clamping the day to
  // the registration piled late registrants' orders onto the last days of
  // the data set (a spike on its last day that no shop has).
  let earliest = 0;
  for (let c = 1; c < nc; c++) if (regDay[c] < regDay[earliest]) earliest = c;
  for (let t = 0; t < nt; t++) {
    const day = seasonal.draw(trng.next(), first);
    let c = custOrder[trng.weighted(custRank)];
    for (let tries = 0; regDay[c] > day && tries < 50; tries++) {
      c = custOrder[trng.weighted(custRank)];
    }
    if (regDay[c] > day) c = earliest;
    txCust[t] = c;
    txDay[t] = day;
    nItems[t] = Math.min(np, 1 + trng.weighted(ITEM_COUNT_WEIGHTS));
    totalItems += nItems[t];
    perDay[txDay[t] - first + 1]++;
  }
  // Chronological ids: counting sort of transactions by day.
  for (let d = 1; d < perDay.length; d++) perDay[d] += perDay[d - 1];
  const order = new Int32Array(nt);
  for (let t = 0; t < nt; t++) order[perDay[txDay[t] - first]++] = t;

  const txDefect = planDefects(trng, "transactions", nt, rate);
  lateRegistrations(txDefect, order, txCust, txDay, ent);
  const customers = await writeTable("customers", ent.customerRows);
  const products = await writeTable("products", ent.productRows);
  const irng = new Rng(seed, "items");
  const itemDefect = planDefects(irng, "transaction_items", totalItems, rate);
  const txId = idMaker("TXN", nt, 5);
  const itemId = idMaker("ITEM", totalItems, 5);
  const payCum = cumulative(PAYMENT_METHODS.map((p) => p[1]));
  const transactions = await CsvWriter.create(
    `${outDir}/transactions.csv`,
    CONTRACT_COLUMNS.transactions,
  );
  const items = await CsvWriter.create(
    `${outDir}/transaction_items.csv`,
    CONTRACT_COLUMNS.transaction_items,
  );
  let item = 0;
  let orphanSeq = 0;
  const chosen = new Set<number>();
  for (let k = 0; k < nt; k++) {
    if (k % 10000 === 0) options.onProgress?.(k, nt);
    const t = order[k];
    const id = txId(k + 1);
    const kind = txDefect.get(k);
    const c = txCust[t];
    const day = txDay[t];
    // Items first: the stated total is the sum of the stated line totals.
    let total = 0;
    chosen.clear();
    for (let j = 0; j < nItems[t]; j++) {
      let p = prodOrder[trng.weighted(prodRank)];
      for (let tries = 0; chosen.has(p) && tries < 20; tries++) {
        p = prodOrder[trng.weighted(prodRank)];
      }
      chosen.add(p);
      let qty = 1 + trng.weighted(QUANTITY_WEIGHTS);
      let disc = DISCOUNTS[trng.weighted(DISCOUNT_WEIGHTS)];
      const price = priceCents[p];
      const ikind = itemDefect.get(item);
      item++;
      const iid = itemId(item);
      if (ikind === "non_positive_quantity") qty = -trng.int(3);
      if (ikind === "discount_out_of_range") disc = trng.pick([-10, 105, 150]);
      const exact = roundCents(qty * price * (100 - disc), 100);
      const line = ikind === "line_total_mismatch"
        ? exact + trng.range(100, 5000)
        : exact;
      total += line;
      const row = [
        iid,
        id,
        prodId(p + 1),
        String(qty),
        money(price),
        String(disc),
        money(line),
      ];
      let column = "";
      let detail = "";
      let extra: string[] | undefined;
      switch (ikind) {
        case "missing_mandatory":
          column = trng.chance(0.5) ? "quantity" : "unit_price";
          row[column === "quantity" ? 3 : 4] = "";
          break;
        case "unparseable_number":
          if (trng.chance(0.5)) {
            column = "quantity";
            row[3] = trng.pick(BAD_QUANTITIES);
            detail = row[3];
          } else {
            column = "unit_price";
            row[4] = trng.pick(BAD_PRICES);
            detail = row[4];
          }
          break;
        case "orphan_product":
          column = "product_id";
          row[2] = `PROD-X${++orphanSeq}`;
          detail = row[2];
          break;
        case "non_positive_quantity":
          column = "quantity";
          detail = row[3];
          break;
        case "discount_out_of_range":
          column = "discount_percentage";
          detail = row[5];
          break;
        case "line_total_mismatch":
          column = "line_total";
          detail = `expected ${money(exact)}`;
          break;
        case "exact_duplicate":
          extra = [...row];
          break;
        case "orphan_transaction": {
          // An extra line for a transaction that does not exist.
          const q = 1 + trng.int(3);
          extra = [
            `${iid}-X`,
            `TXN-X${++orphanSeq}`,
            row[2],
            String(q),
            row[4],
            "0",
            money(q * price),
          ];
          column = "transaction_id";
          detail = extra[1];
          break;
        }
      }
      await items.write(row);
      if (extra) await items.write(extra);
      if (ikind) {
        const rid = ikind === "orphan_transaction" ? extra![0] : iid;
        record(items, "transaction_items.csv", rid, ikind, column, detail);
      }
    }
    const seconds = trng.weighted(HOUR_WEIGHTS) * 3600 + trng.int(3600);
    let payment = PAYMENT_METHODS[trng.weighted(payCum)][0];
    const row = [
      id,
      custId(c + 1),
      seasonal.iso(day),
      clock(seconds),
      payment,
      trng.chance(0.9) ? homeAddress[c] : homeAddress[trng.int(nc)],
      money(total),
    ];
    let column = "";
    let detail = "";
    let extra: string[] | undefined;
    switch (kind) {
      case "missing_mandatory":
        column = trng.chance(0.5) ? "transaction_date" : "customer_id";
        row[column === "customer_id" ? 1 : 2] = "";
        break;
      case "unparseable_date":
        column = "transaction_date";
        row[2] = trng.pick(UNPARSEABLE_DATES(row[2]));
        detail = row[2];
        break;
      case "orphan_customer":
        column = "customer_id";
        row[1] = `CUST-X${++orphanSeq}`;
        detail = row[1];
        break;
      case "future_date":
        column = "transaction_date";
        row[2] = `2099-${row[2].slice(5, 8)}${
          String(Math.min(28, Number(row[2].slice(8)))).padStart(2, "0")
        }`;
        detail = row[2];
        break;
      case "before_registration":
        column = "transaction_date";
        detail = `registered ${isoOf(regDay[c])}`;
        break;
      case "total_mismatch": {
        column = "total_amount";
        const delta = trng.range(100, 5000) * (trng.chance(0.5) ? 1 : -1);
        row[6] = money(total + delta);
        detail = `items sum to ${money(total)}`;
        break;
      }
      case "exact_duplicate":
        extra = [...row];
        break;
      case "without_items":
        extra = [
          `${id}-E`,
          row[1],
          row[2],
          row[3],
          row[4],
          row[5],
          money(total),
        ];
        column = "transaction_id";
        break;
      case "noise_payment_spelling":
        payment = trng.pick(PAYMENT_MISSPELLINGS[payment]);
        row[4] = payment;
        break;
    }
    await transactions.write(row);
    if (extra) await transactions.write(extra);
    if (kind) {
      const rid = kind === "without_items" ? extra![0] : id;
      record(transactions, "transactions.csv", rid, kind, column, detail);
    }
  }
  options.onProgress?.(nt, nt);
  await transactions.close();
  await items.close();

  // ---- manifest and metadata ---------------------------------------------
  const manifestRows = await writeManifest(
    `${outDir}/injected_defects.csv`,
    manifest,
  );
  const byKind: Record<string, number> = {};
  for (const d of manifest) {
    const key = `${d.file.replace(".csv", "")}.${d.defect_kind}`;
    byKind[key] = (byKind[key] ?? 0) + 1;
  }
  const metadata: ShopMetadata = {
    generator: "ecom-pipeline generate 1",
    seed,
    scale,
    start_date: options.startDate,
    end_date: options.endDate,
    defect_rate: rate,
    volumes,
    counts: {
      "customers.csv": customers.rows,
      "products.csv": products.rows,
      "transactions.csv": transactions.rows,
      "transaction_items.csv": items.rows,
      "injected_defects.csv": manifestRows,
    },
    defects: Object.fromEntries(Object.entries(byKind).sort()),
  };
  await writeFileAtomic(
    `${outDir}/generation_metadata.json`,
    JSON.stringify(metadata, null, 2) + "\n",
  );
  return metadata;
}
