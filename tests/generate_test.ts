/**
 * Generation: reproducible bytes, the contract's headers, exact derived
 * fields, realistic shapes, and a defect manifest that matches the files.
 */
import assert from "node:assert/strict";
import { generateShop, type ShopMetadata } from "../lib/synth/shop.ts";
import { CONTRACT_COLUMNS, TABLES } from "../lib/contract.ts";
import { DEFECT_KINDS } from "../lib/synth/defects.ts";
import { readCsv, readCsvObjects, tempDir } from "./helpers.ts";

const FILES = [
  "customers.csv",
  "products.csv",
  "transactions.csv",
  "transaction_items.csv",
  "injected_defects.csv",
  "generation_metadata.json",
];

async function gen(
  dir: string,
  over: Partial<Parameters<typeof generateShop>[0]> = {},
): Promise<ShopMetadata> {
  return await generateShop({
    seed: 42,
    scale: 1,
    startDate: "2025-01-01",
    endDate: "2025-12-31",
    defectRate: 0.02,
    outDir: dir,
    ...over,
  });
}

/** Exact cents of quantity * unit_price * (1 - discount/100), half away from zero. */
function expectedCents(q: number, priceCents: number, disc: number): number {
  const num = q * priceCents * (100 - disc);
  const r = Math.floor((Math.abs(num) + 50) / 100);
  return num < 0 ? -r : r;
}
const cents = (s: string) => Math.round(Number(s) * 100);

Deno.test("same options give byte-identical files; another seed differs", async () => {
  const a = await tempDir();
  const b = await tempDir();
  const c = await tempDir();
  await gen(a, { scale: 0.3 });
  await gen(b, { scale: 0.3 });
  await gen(c, { scale: 0.3, seed: 43 });
  for (const f of FILES) {
    const x = await Deno.readFile(`${a}/${f}`);
    const y = await Deno.readFile(`${b}/${f}`);
    assert.deepEqual(x, y, `${f} differs between two runs`);
  }
  assert.notDeepEqual(
    await Deno.readFile(`${a}/transactions.csv`),
    await Deno.readFile(`${c}/transactions.csv`),
  );
});

Deno.test("files carry the contract's headers in order", async () => {
  const dir = await tempDir();
  await gen(dir, { scale: 0.1 });
  for (const t of TABLES) {
    const [header] = await readCsv(`${dir}/${t}.csv`);
    assert.deepEqual(header, [...CONTRACT_COLUMNS[t]]);
  }
});

Deno.test("clean data: derived fields exact, ids unique, dates consistent", async () => {
  const dir = await tempDir();
  const meta = await gen(dir, { defectRate: 0 });
  const customers = await readCsvObjects(`${dir}/customers.csv`);
  const products = await readCsvObjects(`${dir}/products.csv`);
  const txns = await readCsvObjects(`${dir}/transactions.csv`);
  const items = await readCsvObjects(`${dir}/transaction_items.csv`);
  assert.equal(customers.length, 1000);
  assert.equal(products.length, 500);
  assert.equal(txns.length, 10000);
  assert.ok(items.length >= 10000 && items.length <= 50000);
  assert.equal(meta.counts["transaction_items.csv"], items.length);
  assert.equal((await readCsv(`${dir}/injected_defects.csv`)).length, 1);

  for (
    const [rows, key] of [
      [customers, "customer_id"],
      [products, "product_id"],
      [txns, "transaction_id"],
      [items, "item_id"],
    ] as const
  ) {
    assert.equal(
      new Set(rows.map((r) => r[key])).size,
      rows.length,
      `${key} unique`,
    );
  }
  assert.equal(new Set(customers.map((c) => c.email.toLowerCase())).size, 1000);
  assert.equal(customers[0].customer_id, "CUST0001");
  assert.equal(txns[0].transaction_id, "TXN00001");

  const price = new Map(products.map((p) => [p.product_id, p]));
  for (const p of products) {
    assert.ok(
      cents(p.cost) < cents(p.price),
      `${p.product_id} cost below price`,
    );
    assert.match(p.price, /^\d+\.\d{2}$/);
  }
  const sums = new Map<string, number>();
  for (const it of items) {
    const p = price.get(it.product_id);
    assert.ok(p, `item ${it.item_id} references a product`);
    assert.equal(it.unit_price, p.price);
    const want = expectedCents(
      Number(it.quantity),
      cents(it.unit_price),
      Number(it.discount_percentage),
    );
    assert.equal(cents(it.line_total), want, `line_total of ${it.item_id}`);
    sums.set(it.transaction_id, (sums.get(it.transaction_id) ?? 0) + want);
  }
  const reg = new Map(
    customers.map((c) => [c.customer_id, c.registration_date]),
  );
  let ordered = "";
  for (const t of txns) {
    assert.equal(
      cents(t.total_amount),
      sums.get(t.transaction_id),
      t.transaction_id,
    );
    assert.ok(
      t.transaction_date >= "2025-01-01" && t.transaction_date <= "2025-12-31",
    );
    assert.ok(
      reg.get(t.customer_id)! <= t.transaction_date,
      `${t.transaction_id} after registration`,
    );
    assert.match(t.transaction_time, /^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/);
    assert.ok(t.transaction_date >= ordered, "ids follow date order");
    ordered = t.transaction_date;
  }
});

Deno.test("realistic shapes: long tails, repeat customers, seasonality", async () => {
  const dir = await tempDir();
  await gen(dir, { defectRate: 0 });
  const txns = await readCsvObjects(`${dir}/transactions.csv`);
  const items = await readCsvObjects(`${dir}/transaction_items.csv`);
  const products = await readCsvObjects(`${dir}/products.csv`);
  const share = (counts: Map<string, number>, n: number, top: number) => {
    const sorted = [...counts.values()].sort((a, b) => b - a);
    const total = sorted.reduce((a, b) => a + b, 0);
    return sorted.slice(0, Math.round(n * top)).reduce((a, b) => a + b, 0) /
      total;
  };
  const byProduct = new Map<string, number>();
  for (const it of items) {
    byProduct.set(it.product_id, (byProduct.get(it.product_id) ?? 0) + 1);
  }
  const byCustomer = new Map<string, number>();
  for (const t of txns) {
    byCustomer.set(t.customer_id, (byCustomer.get(t.customer_id) ?? 0) + 1);
  }
  assert.ok(
    share(byProduct, 500, 0.2) > 0.5,
    "top 20% of products sell most lines",
  );
  assert.ok(
    share(byCustomer, 1000, 0.2) > 0.5,
    "top 20% of customers place most orders",
  );
  // ... but no single product or customer dominates.
  assert.ok(
    share(byProduct, 500, 0.002) < 0.05,
    "best seller under 5 % of lines",
  );
  assert.ok(
    share(byCustomer, 1000, 0.001) < 0.03,
    "best customer under 3 % of orders",
  );

  const perDay = new Map<string, number>();
  for (const t of txns) {
    perDay.set(t.transaction_date, (perDay.get(t.transaction_date) ?? 0) + 1);
  }
  let weekend = 0, weekdays = 0, nWeekend = 0, nWeekdays = 0, dec = 0, feb = 0;
  for (const [d, count] of perDay) {
    const dow = new Date(`${d}T00:00:00Z`).getUTCDay();
    if (dow === 0 || dow === 6) (weekend += count, nWeekend++);
    else (weekdays += count, nWeekdays++);
    if (d.startsWith("2025-12")) dec += count;
    if (d.startsWith("2025-02")) feb += count;
  }
  assert.ok(
    weekend / nWeekend > 1.1 * (weekdays / nWeekdays),
    "weekends busier",
  );
  assert.ok(dec > 1.5 * feb, "December busier than February");
  const categories = new Set(products.map((p) => p.category));
  assert.ok(categories.size >= 6);
  const prices = products.map((p) => Number(p.price)).sort((a, b) => a - b);
  assert.ok(
    prices[Math.floor(prices.length / 2)] < 100 &&
      prices[prices.length - 1] > 500,
  );
});

Deno.test("every defect in the manifest is present in the files", async () => {
  const dir = await tempDir();
  const meta = await gen(dir);
  const manifest = await readCsvObjects(`${dir}/injected_defects.csv`);
  const files: Record<string, string[][]> = {};
  for (const t of TABLES) {
    files[`${t}.csv`] = (await readCsv(`${dir}/${t}.csv`)).slice(1);
  }
  const col = (file: string, name: string) =>
    CONTRACT_COLUMNS[file.replace(".csv", "") as keyof typeof CONTRACT_COLUMNS]
      .indexOf(name);
  const customerIds = new Set(files["customers.csv"].map((r) => r[0]));
  const productIds = new Set(files["products.csv"].map((r) => r[0]));
  const txnIds = new Set(files["transactions.csv"].map((r) => r[0]));
  const itemTxns = new Set(files["transaction_items.csv"].map((r) => r[1]));
  const regOf = new Map(files["customers.csv"].map((r) => [r[0], r[5]]));
  const validDate = (s: string) => {
    const d = new Date(`${s}T00:00:00Z`);
    return /^\d{4}-\d{2}-\d{2}$/.test(s) && !isNaN(d.getTime()) &&
      d.toISOString().slice(0, 10) === s;
  };

  // Each kind of each file appears; totals match the metadata.
  for (const t of TABLES) {
    for (const kind of DEFECT_KINDS[t]) {
      assert.ok(
        manifest.some((m) => m.file === `${t}.csv` && m.defect_kind === kind),
        `${t}.${kind} injected`,
      );
    }
  }
  assert.equal(manifest.length, meta.counts["injected_defects.csv"]);

  for (const m of manifest) {
    const rows = files[m.file];
    const row = rows[Number(m.source_row) - 1];
    const at = `${m.file} row ${m.source_row} (${m.defect_kind})`;
    assert.ok(row, at);
    assert.equal(row[0], m.record_id, at);
    const v = (name: string) => row[col(m.file, name)];
    switch (m.defect_kind) {
      case "missing_mandatory":
        assert.equal(v(m.column), "", at);
        break;
      case "unparseable_date":
        assert.ok(!validDate(v(m.column)), at);
        break;
      case "unparseable_number": // quantity must be an integer
        assert.ok(
          !(m.column === "quantity" ? /^-?\d+$/ : /^-?\d+(\.\d+)?$/).test(
            v(m.column),
          ),
          at,
        );
        break;
      case "malformed_email":
        assert.ok(!/^[^@\s]+@[^@\s]+\.[a-z]{2,}$/.test(v("email")), at);
        break;
      case "duplicate_email": {
        const email = v("email").trim().toLowerCase();
        const owners = rows.filter((r) => r[3].trim().toLowerCase() === email);
        assert.equal(new Set(owners.map((r) => r[0])).size, 2, at);
        break;
      }
      case "unknown_category":
        assert.ok(
          !["18-25", "26-35", "36-45", "46-60", "60+"].includes(v("age_group")),
          at,
        );
        break;
      case "exact_duplicate":
        assert.deepEqual(rows[Number(m.source_row) - 2], row, at);
        break;
      case "conflicting_duplicate": {
        const prev = rows[Number(m.source_row) - 2];
        assert.equal(prev[0], row[0], at);
        assert.notDeepEqual(prev, row, at);
        break;
      }
      case "non_positive_price":
        assert.ok(Number(v("price")) <= 0, at);
        break;
      case "cost_above_price":
        assert.ok(Number(v("cost")) > Number(v("price")), at);
        break;
      case "orphan_customer":
        assert.ok(!customerIds.has(v("customer_id")), at);
        break;
      case "orphan_transaction":
        assert.ok(!txnIds.has(v("transaction_id")), at);
        break;
      case "orphan_product":
        assert.ok(!productIds.has(v("product_id")), at);
        break;
      case "without_items":
        assert.ok(!itemTxns.has(m.record_id), at);
        break;
      case "future_date":
        assert.ok(v("transaction_date") > "2090-01-01", at);
        break;
      case "before_registration":
        assert.ok(v("transaction_date") < regOf.get(v("customer_id"))!, at);
        break;
      case "non_positive_quantity":
        assert.ok(Number(v("quantity")) <= 0, at);
        break;
      case "discount_out_of_range": {
        const d = Number(v("discount_percentage"));
        assert.ok(d < 0 || d > 100, at);
        break;
      }
      case "line_total_mismatch": {
        const want = expectedCents(
          Number(v("quantity")),
          cents(v("unit_price")),
          Number(v("discount_percentage")),
        );
        assert.ok(Math.abs(cents(v("line_total")) - want) > 1, at);
        break;
      }
      case "total_mismatch": {
        const sum = files["transaction_items.csv"].filter((r) =>
          r[1] === m.record_id
        )
          .reduce((a, r) => a + cents(r[6]), 0);
        assert.ok(Math.abs(cents(v("total_amount")) - sum) > 1, at);
        break;
      }
      case "noise_whitespace":
        assert.ok(row.some((f) => f !== f.trim()), at);
        break;
      case "noise_email_case":
        assert.notEqual(v("email"), v("email").toLowerCase(), at);
        break;
      case "noise_phone_format":
        assert.match(v("phone"), /^\(\d{3}\) \d{3}-\d{4}$/, at);
        break;
      case "noise_payment_spelling":
        assert.ok(
          ![
            "Credit Card",
            "Debit Card",
            "UPI",
            "PayPal",
            "Net Banking",
            "Cash on Delivery",
          ]
            .includes(v("payment_method")),
          at,
        );
        break;
      default:
        assert.fail(`unknown defect kind ${m.defect_kind}`);
    }
  }
});

Deno.test("names with commas and quotes are quoted so the CSV round-trips", async () => {
  const dir = await tempDir();
  await gen(dir, { scale: 0.5 });
  const products = await readCsv(`${dir}/products.csv`);
  assert.ok(
    products.some((r) => r[6].includes(",")),
    "some brands contain commas",
  );
  for (const r of products) assert.equal(r.length, 9);
  const txns = await readCsv(`${dir}/transactions.csv`);
  assert.ok(txns.slice(1).every((r) => r.length === 7 && r[5].includes(", ")));
});
