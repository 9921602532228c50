/**
 * One day's increment of the synthetic shop, for daily operation: that day's
 * transactions and items, the customers who registered that day, and the
 * customers and products that changed that day (moves, new emails, price
 * changes), so SCD Type 2 is exercised by normal operation.
 *
 * Deterministic from the base options and the date alone: the base
 * customers and products are rebuilt in memory (see entities.ts), then every
 * day's changes from the day after the base history up to the date are
 * replayed, so a day's rows always carry the attributes current that day,
 * whichever days were generated before.
 *
 * @module
 */
import { cumulative, Rng } from "./rng.ts";
import { dayOf, isoOf } from "./dates.ts";
import { AGE_GROUPS, CITIES, EMAIL_DOMAINS } from "./catalog.ts";
import {
  buildEntities,
  emailOf,
  type EntityOptions,
  phone,
} from "./entities.ts";
import { CsvWriter } from "./csv_writer.ts";
import { type DefectRecord, writeManifest } from "./defects.ts";
import { cents, money } from "./money.ts";
import { CONTRACT_COLUMNS } from "../contract.ts";
import { writeFileAtomic } from "../atomic.ts";
import { type ShopState, writeSales } from "./daily_sales.ts";

/** Options of one day's increment. */
export interface DayOptions extends EntityOptions {
  /** The business day, `YYYY-MM-DD`, after the base history's end date. */
  date: string;
  outDir: string;
}

/** What the day's `generation_metadata.json` holds. */
export interface DayMetadata {
  generator: string;
  kind: "daily";
  date: string;
  seed: number;
  scale: number;
  base_end_date: string;
  defect_rate: number;
  counts: Record<string, number>;
  changes: {
    new_customers: number;
    moved_customers: number;
    email_changes: number;
    price_changes: number;
  };
}

// Daily rates of change, as shares of the base volumes.
const NEW_CUSTOMER_SHARE = 0.001;
const MOVE_SHARE = 0.0005;
const EMAIL_SHARE = 0.0003;
const PRICE_SHARE = 0.002;

/** Mutable state of the shop, replayed day by day. */
/** A count with expectation `mean`, varying ±50 %, at least sometimes 1. */
function jitteredCount(rng: Rng, mean: number): number {
  return Math.floor(mean * (0.5 + rng.next()) + rng.next());
}

/** Writes one day's increment into `options.outDir`. */
export async function generateDay(options: DayOptions): Promise<DayMetadata> {
  const { seed, date, outDir } = options;
  const day = dayOf(date);
  const baseFirst = dayOf(options.startDate);
  const baseLast = dayOf(options.endDate);
  const ent = buildEntities(options);
  const { volumes, custId, prodId, pools } = ent;
  const state: ShopState = {
    customers: ent.cleanCustomers,
    active: [...ent.cleanCustomerIndex],
    base: ent.cleanCustomerIndex,
    newcomers: [],
    address: ent.homeAddress,
    products: ent.cleanProducts,
    price: Int32Array.from(ent.cleanProducts, (r) => cents(r[4])),
    cost: Int32Array.from(ent.cleanProducts, (r) => cents(r[5])),
    sellable: ent.productRows.flatMap((r, i) => r.kind ? [] : [i]),
  };
  const cityCum = cumulative(CITIES.map((c) => c[2]));
  const ageCum = cumulative(AGE_GROUPS.map((a) => a[1]));
  const changes = {
    new_customers: 0,
    moved_customers: 0,
    email_changes: 0,
    price_changes: 0,
  };
  const changedCustomers = new Set<number>();
  const changedProducts = new Set<number>();

  for (let d = baseLast + 1; d <= day; d++) {
    const today = d === day;
    const rng = new Rng(seed, `entities ${isoOf(d)}`);
    const newCount = jitteredCount(
      rng,
      volumes.customers * NEW_CUSTOMER_SHARE,
    );
    for (let k = 0; k < newCount; k++) {
      const i = state.customers.length;
      const fn = rng.pick(pools.firstNames);
      const ln = rng.pick(pools.lastNames);
      const [city, st] = CITIES[rng.weighted(cityCum)];
      state.customers.push([
        custId(i + 1),
        fn,
        ln,
        emailOf(fn, ln, i + 1, rng.pick(EMAIL_DOMAINS)),
        phone(rng),
        isoOf(d),
        city,
        st,
        "USA",
        AGE_GROUPS[rng.weighted(ageCum)][0],
      ]);
      state.address.push(address(rng, pools.streets, city, st));
      state.active.push(i);
      state.newcomers.push(i);
      if (today) changedCustomers.add(i), changes.new_customers++;
    }
    for (
      let k = jitteredCount(rng, volumes.customers * MOVE_SHARE);
      k > 0;
      k--
    ) {
      const i = rng.pick(state.active);
      const [city, st] = CITIES[rng.weighted(cityCum)];
      const row = state.customers[i];
      row[6] = city;
      row[7] = st;
      state.address[i] = address(rng, pools.streets, city, st);
      if (today) changedCustomers.add(i), changes.moved_customers++;
    }
    for (
      let k = jitteredCount(rng, volumes.customers * EMAIL_SHARE);
      k > 0;
      k--
    ) {
      const i = rng.pick(state.active);
      const row = state.customers[i];
      const domain = row[3].slice(row[3].indexOf("@") + 1);
      const others = EMAIL_DOMAINS.filter((x) => x !== domain);
      row[3] = emailOf(row[1], row[2], i + 1, rng.pick(others));
      if (today) changedCustomers.add(i), changes.email_changes++;
    }
    for (
      let k = jitteredCount(rng, volumes.products * PRICE_SHARE);
      k > 0;
      k--
    ) {
      const p = rng.pick(state.sellable);
      // A -10 % .. +15 % change that keeps the .99 ending and the margin.
      const price = Math.max(
        100,
        Math.round(state.price[p] * (0.9 + rng.next() * 0.25) / 100) * 100 - 1,
      );
      state.price[p] = price;
      state.cost[p] = Math.min(state.cost[p], Math.round(price * 0.9));
      state.products[p][4] = money(price);
      state.products[p][5] = money(state.cost[p]);
      if (today) changedProducts.add(p), changes.price_changes++;
    }
  }

  await Deno.mkdir(outDir, { recursive: true });
  const customers = await CsvWriter.create(
    `${outDir}/customers.csv`,
    CONTRACT_COLUMNS.customers,
  );
  for (const i of [...changedCustomers].sort((a, b) => a - b)) {
    await customers.write(state.customers[i]);
  }
  await customers.close();
  const products = await CsvWriter.create(
    `${outDir}/products.csv`,
    CONTRACT_COLUMNS.products,
  );
  for (const p of [...changedProducts].sort((a, b) => a - b)) {
    await products.write(state.products[p]);
  }
  await products.close();

  const manifest: DefectRecord[] = [];
  const sales = await writeSales(options, state, {
    day,
    baseFirst,
    baseLast,
    transactionsPerBaseDay: volumes.transactions / (baseLast - baseFirst + 1),
    custId,
    prodId,
    manifest,
  });

  const manifestRows = await writeManifest(
    `${outDir}/injected_defects.csv`,
    manifest,
  );
  const metadata: DayMetadata = {
    generator: "ecom-pipeline generate 1",
    kind: "daily",
    date,
    seed,
    scale: options.scale,
    base_end_date: options.endDate,
    defect_rate: options.defectRate,
    counts: {
      "customers.csv": customers.rows,
      "products.csv": products.rows,
      "transactions.csv": sales.transactions,
      "transaction_items.csv": sales.items,
      "injected_defects.csv": manifestRows,
    },
    changes,
  };
  await writeFileAtomic(
    `${outDir}/generation_metadata.json`,
    JSON.stringify(metadata, null, 2) + "\n",
  );
  return metadata;
}

function address(
  rng: Rng,
  streets: readonly string[],
  city: string,
  state: string,
): string {
  return `${rng.pick(streets)}, ${city}, ${state} ${
    String(rng.range(10000, 99999))
  }`;
}
