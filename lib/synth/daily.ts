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
import { cumulative, Rng, zipfCumulative } from "./rng.ts";
import {
  dayOf,
  isoOf,
  MONTH_FACTOR,
  WEEKDAY_FACTOR,
  weekdayOf,
} from "./dates.ts";
import {
  AGE_GROUPS,
  CITIES,
  EMAIL_DOMAINS,
  PAYMENT_METHODS,
  PAYMENT_MISSPELLINGS,
} from "./catalog.ts";
import {
  buildEntities,
  emailOf,
  type EntityOptions,
  phone,
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
import { type DefectRecord, recorder, writeManifest } from "./defects.ts";
import { money, roundCents } from "./money.ts";
import { CONTRACT_COLUMNS } from "../contract.ts";
import { writeFileAtomic } from "../atomic.ts";

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
/** Share of a day's orders placed by customers who registered after the base history. */
const NEWCOMER_ORDER_SHARE = 0.12;

/** Mutable state of the shop, replayed day by day. */
interface ShopState {
  customers: string[][];
  /** Customers that can order: clean base rows and every newcomer. */
  active: number[];
  /** The clean base customers. */
  base: readonly number[];
  newcomers: number[];
  address: string[];
  products: string[][];
  price: Int32Array;
  cost: Int32Array;
  sellable: number[];
}

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

interface SalesContext {
  day: number;
  baseFirst: number;
  baseLast: number;
  transactionsPerBaseDay: number;
  custId: (n: number) => string;
  prodId: (n: number) => string;
  manifest: DefectRecord[];
}

/** The day's orders: seasonal volume with noise, skewed customers and products. */
async function writeSales(
  options: DayOptions,
  state: ShopState,
  ctx: SalesContext,
): Promise<{ transactions: number; items: number }> {
  const { seed, outDir, defectRate: rate } = options;
  const { day } = ctx;
  const iso = isoOf(day);
  const rng = new Rng(seed, `sales ${iso}`);
  // The popularity order is fixed for the shop, not redrawn every day.
  const order = new Rng(seed, "daily popularity");
  const custOrder = order.shuffle([...state.base]);
  const prodOrder = order.shuffle([...state.sellable]);
  const custRank = zipfCumulative(custOrder.length, 1.0, 0.02);
  const prodRank = zipfCumulative(prodOrder.length, 1.1, 0.02);

  const seasonal = (d: number) =>
    WEEKDAY_FACTOR[weekdayOf(d)] *
    MONTH_FACTOR[new Date(d * 86_400_000).getUTCMonth()];
  let mean = 0;
  for (let d = ctx.baseFirst; d <= ctx.baseLast; d++) mean += seasonal(d);
  mean /= ctx.baseLast - ctx.baseFirst + 1;
  // Log-normal day-to-day noise of about 10 %.
  const gauss = Math.sqrt(-2 * Math.log(1 - rng.next())) *
    Math.cos(2 * Math.PI * rng.next());
  const count = Math.max(
    1,
    Math.round(
      ctx.transactionsPerBaseDay * seasonal(day) / mean *
        Math.exp(0.1 * gauss),
    ),
  );

  const stamp = iso.replaceAll("-", "");
  const payCum = cumulative(PAYMENT_METHODS.map((p) => p[1]));
  const transactions = await CsvWriter.create(
    `${outDir}/transactions.csv`,
    CONTRACT_COLUMNS.transactions,
  );
  const items = await CsvWriter.create(
    `${outDir}/transaction_items.csv`,
    CONTRACT_COLUMNS.transaction_items,
  );
  const record = recorder(ctx.manifest);
  let item = 0;
  const chosen = new Set<number>();
  for (let k = 1; k <= count; k++) {
    const id = `TXN${stamp}-${String(k).padStart(4, "0")}`;
    const c = state.newcomers.length && rng.chance(NEWCOMER_ORDER_SHARE)
      ? rng.pick(state.newcomers)
      : custOrder[rng.weighted(custRank)];
    const lines = Math.min(
      prodOrder.length,
      1 + rng.weighted(ITEM_COUNT_WEIGHTS),
    );
    let total = 0;
    chosen.clear();
    for (let j = 0; j < lines; j++) {
      let p = prodOrder[rng.weighted(prodRank)];
      for (let tries = 0; chosen.has(p) && tries < 20; tries++) {
        p = prodOrder[rng.weighted(prodRank)];
      }
      chosen.add(p);
      const qty = 1 + rng.weighted(QUANTITY_WEIGHTS);
      const disc = DISCOUNTS[rng.weighted(DISCOUNT_WEIGHTS)];
      const price = state.price[p];
      const exact = roundCents(qty * price * (100 - disc), 100);
      const iid = `ITEM${stamp}-${String(++item).padStart(5, "0")}`;
      const row = [
        iid,
        id,
        ctx.prodId(p + 1),
        String(qty),
        money(price),
        String(disc),
        money(exact),
      ];
      // A few realistic faults, rare enough that a normal day passes the gate.
      let kind: string | undefined;
      if (rng.chance(rate / 2)) {
        kind = "line_total_mismatch";
        row[6] = money(exact + rng.range(100, 5000));
      } else if (rng.chance(rate / 4)) {
        kind = "orphan_product";
        row[2] = `PROD-X${stamp}-${item}`;
      }
      total += kind === "line_total_mismatch" ? cents(row[6]) : exact;
      await items.write(row);
      if (kind) {
        record(
          items,
          "transaction_items.csv",
          iid,
          kind,
          kind === "orphan_product" ? "product_id" : "line_total",
          kind === "orphan_product" ? row[2] : `expected ${money(exact)}`,
        );
      }
    }
    const seconds = rng.weighted(HOUR_WEIGHTS) * 3600 + rng.int(3600);
    const payment = PAYMENT_METHODS[rng.weighted(payCum)][0];
    const row = [
      id,
      ctx.custId(c + 1),
      iso,
      clock(seconds),
      payment,
      rng.chance(0.9) ? state.address[c] : rng.pick(state.address),
      money(total),
    ];
    let kind: string | undefined;
    const u = rng.next();
    if (u < rate / 4) {
      kind = "noise_payment_spelling";
      row[4] = rng.pick(PAYMENT_MISSPELLINGS[payment]);
    } else if (u < rate / 2) {
      // An export that repeats a row: collapsed by the transform.
      kind = "exact_duplicate";
    }
    await transactions.write(row);
    if (kind === "exact_duplicate") await transactions.write(row);
    if (kind) {
      const column = kind === "exact_duplicate" ? "" : "payment_method";
      record(transactions, "transactions.csv", id, kind, column, row[4]);
    }
  }
  await transactions.close();
  await items.close();
  return { transactions: transactions.rows, items: items.rows };
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

function cents(money: string): number {
  return Math.round(Number(money) * 100);
}
