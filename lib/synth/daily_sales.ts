/**
 * The orders of one day of the synthetic shop (see daily.ts): seasonal
 * volume with noise, skewed customers and products, injected defects.
 *
 * @module
 */
import { cumulative, Rng, zipfCumulative } from "./rng.ts";
import { isoOf, MONTH_FACTOR, WEEKDAY_FACTOR, weekdayOf } from "./dates.ts";
import { PAYMENT_METHODS, PAYMENT_MISSPELLINGS } from "./catalog.ts";
import {
  clock,
  DISCOUNT_WEIGHTS,
  DISCOUNTS,
  HOUR_WEIGHTS,
  ITEM_COUNT_WEIGHTS,
  QUANTITY_WEIGHTS,
} from "./shapes.ts";
import { CsvWriter } from "./csv_writer.ts";
import { type DefectRecord, recorder } from "./defects.ts";
import { cents, money, roundCents } from "./money.ts";
import { CONTRACT_COLUMNS } from "../contract.ts";
import type { DayOptions } from "./daily.ts";

/** Share of a day's orders placed by customers who registered after the base history. */
const NEWCOMER_ORDER_SHARE = 0.12;

/** What a day's generation knows of the shop on that day. */
export interface ShopState {
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

/** The day being written, and what its rows refer to. */
export interface SalesContext {
  day: number;
  baseFirst: number;
  baseLast: number;
  transactionsPerBaseDay: number;
  custId: (n: number) => string;
  prodId: (n: number) => string;
  manifest: DefectRecord[];
}

/** The day's orders: seasonal volume with noise, skewed customers and products. */
export async function writeSales(
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
