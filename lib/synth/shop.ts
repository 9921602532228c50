/**
 * The synthetic shop: customers, products, transactions and their items,
 * written as the contract's four CSV files with injected defects and a
 * manifest of them. Output depends only on the options (Faker's seed and
 * reference date are fixed), so the same options give identical bytes.
 *
 * @module
 */
import { en, en_US, Faker } from "@faker-js/faker";
import { cumulative, Rng, zipfCumulative } from "./rng.ts";
import { dayOf, isoOf, SeasonalDays } from "./dates.ts";
import {
  AGE_GROUPS,
  CATEGORIES,
  CITIES,
  EMAIL_DOMAINS,
  PAYMENT_METHODS,
  PAYMENT_MISSPELLINGS,
} from "./catalog.ts";
import { CsvWriter } from "./csv_writer.ts";
import { type DefectRecord, MANIFEST_COLUMNS, planDefects } from "./defects.ts";
import { money, roundCents } from "./money.ts";
import { CONTRACT_COLUMNS } from "../contract.ts";

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

const BASE = { customers: 1000, products: 500, transactions: 10000 };
const UNPARSEABLE_DATES = (iso: string) => [
  `${iso.slice(5, 7)}/${iso.slice(8, 10)}/${iso.slice(0, 4)}`,
  `${iso.slice(0, 4)}-02-30`,
  `${iso.slice(0, 4)}-13-${iso.slice(8, 10)}`,
  "unknown",
];
const BAD_PRICES = ["12,99", "$45.00", "n/a"];
const BAD_QUANTITIES = ["two", "3 pcs", "1.5"];
const HOUR_WEIGHTS = cumulative([
  1,
  1,
  0.5,
  0.3,
  0.3,
  0.5,
  1,
  2,
  3,
  4,
  5,
  6,
  7,
  7,
  6,
  5,
  5,
  6,
  7,
  8,
  9,
  8,
  5,
  2,
]);
const ITEM_COUNT_WEIGHTS = cumulative([20, 20, 20, 20, 20]);
const QUANTITY_WEIGHTS = cumulative([60, 25, 9, 4, 2]);
const DISCOUNTS = [0, 5, 10, 15, 20, 25, 30, 50];
const DISCOUNT_WEIGHTS = cumulative([64, 8, 9, 6, 5, 3, 3, 2]);

/** Zero-padded id: the assignment's CUST0001 style, wider when needed. */
function idMaker(prefix: string, count: number, minWidth: number) {
  const width = Math.max(minWidth, String(count).length);
  return (n: number) => `${prefix}${String(n).padStart(width, "0")}`;
}

/**
 * Writes customers.csv, products.csv, transactions.csv,
 * transaction_items.csv, injected_defects.csv and generation_metadata.json
 * into `options.outDir`.
 */
export async function generateShop(
  options: ShopOptions,
): Promise<ShopMetadata> {
  const { seed, scale, defectRate: rate, outDir } = options;
  const first = dayOf(options.startDate);
  const last = dayOf(options.endDate);
  const volumes = {
    customers: Math.max(1, Math.round(BASE.customers * scale)),
    products: Math.max(1, Math.round(BASE.products * scale)),
    transactions: Math.max(1, Math.round(BASE.transactions * scale)),
  };
  await Deno.mkdir(outDir, { recursive: true });
  const faker = new Faker({ locale: [en_US, en], seed });
  faker.setDefaultRefDate("2025-01-01T00:00:00.000Z");
  const manifest: DefectRecord[] = [];
  const seasonal = new SeasonalDays(first, last);

  // ---- customers -------------------------------------------------------
  const rng = new Rng(seed, "customers");
  const firstNames = pool(800, () => faker.person.firstName());
  const lastNames = pool(1200, () => faker.person.lastName());
  const streets = pool(5000, () => faker.location.streetAddress());
  const cityCum = cumulative(CITIES.map((c) => c[2]));
  const ageCum = cumulative(AGE_GROUPS.map((a) => a[1]));
  const custId = idMaker("CUST", volumes.customers, 4);
  const nc = volumes.customers;
  const regDay = new Int32Array(nc);
  const homeAddress: string[] = new Array(nc);
  const custDefect = planDefects(rng, "customers", nc, rate);
  const customers = await CsvWriter.create(
    `${outDir}/customers.csv`,
    CONTRACT_COLUMNS.customers,
  );
  const emails: string[] = new Array(nc);
  const record = (
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
      // Recorded right after writing: a defect that adds a row is that row.
      source_row: w.rows,
      defect_kind: kind,
      column,
      detail,
    });
  // Two passes: a duplicate_email defect copies another customer's email,
  // which must exist (and be clean) whichever comes first in the file.
  const base: string[][] = new Array(nc);
  for (let i = 0; i < nc; i++) {
    const fn = rng.pick(firstNames);
    const ln = rng.pick(lastNames);
    const [city, state] = CITIES[rng.weighted(cityCum)];
    regDay[i] = rng.chance(0.65)
      ? first - 1 - rng.int(730)
      : first + rng.int(Math.max(1, last - first));
    emails[i] = `${slug(fn)}.${slug(ln)}${i + 1}@${rng.pick(EMAIL_DOMAINS)}`;
    homeAddress[i] = `${rng.pick(streets)}, ${city}, ${state} ${
      String(rng.range(10000, 99999))
    }`;
    base[i] = [
      custId(i + 1),
      fn,
      ln,
      emails[i],
      phone(rng),
      isoOf(regDay[i]),
      city,
      state,
      "USA",
      AGE_GROUPS[rng.weighted(ageCum)][0],
    ];
  }
  const cleanCustomers = [...Array(nc).keys()].filter((c) =>
    !custDefect.has(c)
  );
  for (let i = 0; i < nc; i++) {
    const row = base[i];
    const [id, fn, , email, , , city] = row;
    let kind = custDefect.get(i);
    let extra: string[] | undefined;
    let column = "";
    let detail = "";
    switch (kind) {
      case "missing_mandatory":
        column = "registration_date";
        row[5] = "";
        break;
      case "unparseable_date":
        column = "registration_date";
        row[5] = rng.pick(UNPARSEABLE_DATES(row[5]));
        detail = row[5];
        break;
      case "malformed_email":
        column = "email";
        row[3] = rng.chance(0.5)
          ? email.replace("@", ".")
          : email.split("@")[0] + "@";
        detail = row[3];
        break;
      case "duplicate_email": {
        column = "email";
        // The later row of the pair is the duplicate: copy an earlier one.
        const earlier = cleanCustomers.filter((c) => c < i);
        if (earlier.length === 0) {
          kind = undefined;
          break;
        }
        const other = rng.pick(earlier);
        row[3] = ` ${emails[other].toUpperCase()}`;
        detail = `same as ${custId(other + 1)}`;
        break;
      }
      case "unknown_category":
        column = "age_group";
        row[9] = rng.pick(["36-50", "under 18", "65+"]);
        detail = row[9];
        break;
      case "exact_duplicate":
        extra = [...row];
        break;
      case "conflicting_duplicate": {
        column = "city";
        const [c2, s2] = CITIES[
          (CITIES.findIndex((c) => c[0] === city) + 7) %
          CITIES.length
        ];
        extra = [...row];
        extra[6] = c2;
        extra[7] = s2;
        detail = `${city} vs ${c2}`;
        break;
      }
      case "noise_whitespace":
        row[1] = `  ${fn} `;
        row[6] = ` ${city}`;
        break;
      case "noise_email_case":
        row[3] = email.toUpperCase();
        break;
      case "noise_phone_format":
        row[4] = row[4].replace(/^\+1-(\d{3})-(\d{3})-(\d{4})$/, "($1) $2-$3");
        break;
    }
    await customers.write(row);
    if (extra) await customers.write(extra);
    if (kind) record(customers, "customers.csv", id, kind, column, detail);
  }
  await customers.close();

  // ---- products ----------------------------------------------------------
  const prng = new Rng(seed, "products");
  const np = volumes.products;
  const adjectives = pool(120, () => faker.commerce.productAdjective());
  const materials = pool(60, () => faker.commerce.productMaterial());
  const brands = pool(
    Math.max(40, Math.round(np / 25)),
    () => faker.company.name(),
  );
  const prodId = idMaker("PROD", np, 4);
  const supplierCount = Math.max(20, Math.round(50 * scale));
  const supplierId = idMaker("SUP", supplierCount, 3);
  const catCum = cumulative(CATEGORIES.map((c) => c.weight));
  const priceCents = new Int32Array(np);
  const prodDefect = planDefects(prng, "products", np, rate);
  const products = await CsvWriter.create(
    `${outDir}/products.csv`,
    CONTRACT_COLUMNS.products,
  );
  for (let i = 0; i < np; i++) {
    const id = prodId(i + 1);
    const cat = CATEGORIES[prng.weighted(catCum)];
    // Log-uniform prices: many cheap items, a few expensive ones.
    const price = Math.round(
      100 * Math.exp(
        Math.log(cat.minPrice) +
          prng.next() * (Math.log(cat.maxPrice) - Math.log(cat.minPrice)),
      ),
    ) - (prng.chance(0.6) ? 1 : 0); // .99 endings are common
    priceCents[i] = Math.max(100, price);
    let cost = Math.round(priceCents[i] * (0.45 + prng.next() * 0.35));
    const name = `${prng.pick(adjectives)} ${prng.pick(materials)} ${
      prng.pick(cat.nouns)
    }`;
    const row = [
      id,
      name,
      cat.name,
      prng.pick(cat.subCategories),
      money(priceCents[i]),
      money(cost),
      prng.pick(brands),
      String(prng.int(1001)),
      supplierId(1 + prng.int(supplierCount)),
    ];
    const kind = prodDefect.get(i);
    let extra: string[] | undefined;
    let column = "";
    let detail = "";
    switch (kind) {
      case "missing_mandatory":
        column = "price";
        row[4] = "";
        break;
      case "unparseable_number":
        column = "price";
        row[4] = prng.pick(BAD_PRICES);
        detail = row[4];
        break;
      case "non_positive_price":
        column = "price";
        row[4] = money(-priceCents[i]);
        detail = row[4];
        break;
      case "cost_above_price":
        column = "cost";
        cost = Math.round(priceCents[i] * (1.15 + prng.next() * 0.35));
        row[5] = money(cost);
        detail = `${row[5]} > ${row[4]}`;
        break;
      case "exact_duplicate":
        extra = [...row];
        break;
      case "conflicting_duplicate":
        column = "price";
        extra = [...row];
        extra[4] = money(Math.round(priceCents[i] * 1.1));
        detail = `${row[4]} vs ${extra[4]}`;
        break;
      case "noise_whitespace":
        row[1] = ` ${name}  `;
        break;
    }
    await products.write(row);
    if (extra) await products.write(extra);
    if (kind) record(products, "products.csv", id, kind, column, detail);
  }
  await products.close();

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
  for (let t = 0; t < nt; t++) {
    const c = custOrder[trng.weighted(custRank)];
    txCust[t] = c;
    txDay[t] = seasonal.draw(trng.next(), regDay[c]);
    nItems[t] = Math.min(np, 1 + trng.weighted(ITEM_COUNT_WEIGHTS));
    totalItems += nItems[t];
    perDay[txDay[t] - first + 1]++;
  }
  // Chronological ids: counting sort of transactions by day.
  for (let d = 1; d < perDay.length; d++) perDay[d] += perDay[d - 1];
  const order = new Int32Array(nt);
  for (let t = 0; t < nt; t++) order[perDay[txDay[t] - first]++] = t;

  const txDefect = planDefects(trng, "transactions", nt, rate);
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
    let c = txCust[t];
    let day = txDay[t];
    if (kind === "before_registration" && cleanCustomers.length) {
      c = trng.pick(cleanCustomers);
      day = regDay[c] - trng.range(1, 90);
    }
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
  const defects = await CsvWriter.create(
    `${outDir}/injected_defects.csv`,
    MANIFEST_COLUMNS,
  );
  const byKind: Record<string, number> = {};
  for (const d of manifest) {
    await defects.write([
      d.file,
      d.record_id,
      String(d.source_row),
      d.defect_kind,
      d.column,
      d.detail,
    ]);
    const key = `${d.file.replace(".csv", "")}.${d.defect_kind}`;
    byKind[key] = (byKind[key] ?? 0) + 1;
  }
  await defects.close();
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
      "injected_defects.csv": defects.rows,
    },
    defects: Object.fromEntries(Object.entries(byKind).sort()),
  };
  await Deno.writeTextFile(
    `${outDir}/generation_metadata.json`,
    JSON.stringify(metadata, null, 2) + "\n",
  );
  return metadata;
}

function pool<T>(n: number, make: () => T): T[] {
  return Array.from({ length: n }, make);
}

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z]/g, "");
}

function phone(rng: Rng): string {
  return `+1-${rng.range(201, 989)}-${rng.range(200, 999)}-${
    String(rng.int(10000)).padStart(4, "0")
  }`;
}

function clock(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${pad2(h)}:${pad2(m)}:${pad2(s)}`;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
