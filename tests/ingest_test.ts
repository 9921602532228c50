/**
 * Staging load on both backends: counts equal file records, loads are
 * atomic, header and row errors name the file and line, extra columns are
 * ignored, and quoted fields arrive exactly as written.
 */
import assert from "node:assert/strict";
import { generateShop } from "../lib/synth/shop.ts";
import { csvLine } from "../lib/synth/csv_writer.ts";
import { runIngest } from "../stages/ingest.ts";
import { CONTRACT_COLUMNS, TABLES } from "../lib/contract.ts";
import { type Db } from "../lib/db.ts";
import { PipelineError } from "../lib/errors.ts";
import { dbTest, readCsv } from "./helpers.ts";

async function generate(dir: string, scale = 0.2, seed = 42) {
  await generateShop({
    seed,
    scale,
    startDate: "2025-01-01",
    endDate: "2025-12-31",
    defectRate: 0.02,
    outDir: dir,
  });
}

async function counts(db: Db): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of TABLES) {
    const [r] = await db.query<{ c: number }>(
      `SELECT count(*)::int AS c FROM staging.${t}`,
    );
    out[t] = r.c;
  }
  return out;
}

/** A digest of a staging table's contents, to prove it did not change. */
async function digest(db: Db, table: string): Promise<string> {
  const [r] = await db.query<{ d: string }>(
    `SELECT md5(string_agg(t::text, '|' ORDER BY source_row)) AS d
       FROM (SELECT ${
      CONTRACT_COLUMNS[table as keyof typeof CONTRACT_COLUMNS].join(", ")
    }, source_row, source_file
               FROM staging.${table}) t`,
  );
  return r.d;
}

async function rejects(p: Promise<unknown>, pattern: RegExp): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert.ok(
      err instanceof PipelineError,
      `expected a PipelineError, got ${err}`,
    );
    assert.match(err.message, pattern);
    return err.message;
  }
  assert.fail(`expected a failure matching ${pattern}`);
}

dbTest(
  "staging row counts equal the records in each file",
  async ({ config, db }) => {
    const raw = `${config.dataDir}/raw`;
    await generate(raw);
    const result = await runIngest(config, db);
    const got = await counts(db);
    for (const t of TABLES) {
      const records = (await readCsv(`${raw}/${t}.csv`)).length - 1;
      assert.equal(got[t], records, t);
      assert.equal(result.tables[t].rows, records);
    }
    // source_row numbers the records 1..n in file order; source_file names the file.
    const [r] = await db.query<
      { min: number; max: number; n: number; files: string }
    >(
      `SELECT min(source_row)::int AS min, max(source_row)::int AS max, count(*)::int AS n,
            string_agg(DISTINCT source_file, ',') AS files FROM staging.transactions`,
    );
    assert.deepEqual(r, {
      min: 1,
      max: got.transactions,
      n: got.transactions,
      files: "transactions.csv",
    });
    const csv = await readCsv(`${raw}/transactions.csv`);
    const [row] = await db.query<Record<string, string>>(
      `SELECT * FROM staging.transactions WHERE source_row = 137`,
    );
    assert.deepEqual(
      CONTRACT_COLUMNS.transactions.map((c) => row[c] ?? ""),
      csv[137],
    );
    const summary = JSON.parse(
      await Deno.readTextFile(
        `${config.dataDir}/processed/ingestion_summary.json`,
      ),
    );
    assert.equal(
      summary.total_rows,
      Object.values(got).reduce((a, b) => a + b, 0),
    );
    assert.equal(summary.tables.transaction_items.rows, got.transaction_items);
  },
);

dbTest(
  "a malformed fourth file leaves all four tables at the previous load",
  async ({ config, db }) => {
    const raw = `${config.dataDir}/raw`;
    await generate(raw, 0.1, 1);
    await runIngest(config, db);
    const before = await counts(db);
    const digests = await Promise.all(TABLES.map((t) => digest(db, t)));

    // New files, with a broken row deep in transaction_items.csv.
    await generate(raw, 0.15, 2);
    const path = `${raw}/transaction_items.csv`;
    const lines = (await Deno.readTextFile(path)).split("\n");
    lines[700] = lines[700] + ",EXTRA";
    await Deno.writeTextFile(path, lines.join("\n"));

    await rejects(
      runIngest(config, db),
      /transaction_items\.csv: line 701: expected 7 fields, found 8/,
    );
    assert.deepEqual(await counts(db), before);
    assert.deepEqual(
      await Promise.all(TABLES.map((t) => digest(db, t))),
      digests,
    );
  },
);

dbTest(
  "errors name file and line across chunk boundaries",
  async ({ config, db }) => {
    const raw = `${config.dataDir}/raw`;
    await generate(raw, 1);
    const path = `${raw}/transaction_items.csv`;
    const lines = (await Deno.readTextFile(path)).split("\n");
    // Far past the first 64 KiB chunk of the embedded loader.
    lines[25000] = lines[25000].split(",").slice(0, 5).join(",");
    await Deno.writeTextFile(path, lines.join("\n"));
    const small = { ...config, ingest: { chunkBytes: 64 * 1024 } };
    await rejects(
      runIngest(small, db),
      /transaction_items\.csv: line 25001: expected 7 fields, found 5/,
    );
  },
  { configOverrides: {} },
);

dbTest(
  "unterminated quote and invalid UTF-8 are reported with file and line",
  async ({ config, db }) => {
    const raw = `${config.dataDir}/raw`;
    await generate(raw, 0.05);
    const path = `${raw}/customers.csv`;
    const good = await Deno.readFile(path);
    const text = new TextDecoder().decode(good).split("\n");
    text[10] = text[10].replace(",USA,", ',"USA,');
    await Deno.writeTextFile(path, text.join("\n"));
    await rejects(
      runIngest(config, db),
      /customers\.csv: line 11: unterminated quoted field/,
    );

    const bad = new TextDecoder().decode(good).split("\n");
    bad[5] = bad[5].replace("USA", "US\udc80A");
    const bytes = new TextEncoder().encode(bad.join("\n"));
    const at = bytes.indexOf(
      0x55,
      new TextEncoder().encode(bad.slice(0, 5).join("\n")).length + 1,
    );
    // Replace with a lone continuation byte: invalid UTF-8.
    const broken = new Uint8Array([
      ...bytes.subarray(0, at),
      0xff,
      ...bytes.subarray(at + 1),
    ]);
    await Deno.writeFile(path, broken);
    await rejects(
      runIngest(config, db),
      /customers\.csv: line 6: invalid byte sequence for encoding "UTF8": 0xff/,
    );
    const [r] = await db.query<{ c: number }>(
      `SELECT count(*)::int AS c FROM staging.customers`,
    );
    assert.equal(r.c, 0, "nothing was loaded");
  },
);

dbTest(
  "a missing column fails before loading; extra columns are ignored",
  async ({ config, db }) => {
    const raw = `${config.dataDir}/raw`;
    await generate(raw, 0.05);
    await runIngest(config, db);
    const before = await counts(db);

    const path = `${raw}/products.csv`;
    const original = await Deno.readTextFile(path);
    const rows = await readCsv(path);
    const dropped = rows.map((r) => r.filter((_, i) => i !== 4).join(",")).join(
      "\n",
    );
    await Deno.writeTextFile(path, dropped + "\n");
    await rejects(
      runIngest(config, db),
      /products\.csv: line 1: missing column "price"/,
    );
    assert.deepEqual(await counts(db), before);

    // An extra column, placed first, with columns in another order.
    const cust = `${raw}/customers.csv`;
    const crow = await readCsv(cust);
    const order = [3, 0, 1, 2, 4, 5, 6, 7, 8, 9];
    const reordered = crow.map((r, i) =>
      csvLine([
        i === 0 ? "loyalty_tier" : `tier${i % 3}`,
        ...order.map((j) => r[j]),
      ])
    ).join("");
    await Deno.writeTextFile(cust, reordered);
    await Deno.writeTextFile(path, original);
    const result = await runIngest(config, db);
    assert.deepEqual(result.tables.customers.extra_columns_ignored, [
      "loyalty_tier",
    ]);
    assert.ok(result.warnings?.some((w) => w.includes("loyalty_tier")));
    const loaded = await db.query<Record<string, string>>(
      `SELECT ${
        CONTRACT_COLUMNS.customers.join(", ")
      } FROM staging.customers ORDER BY source_row`,
    );
    assert.equal(loaded.length, crow.length - 1);
    for (let i = 0; i < loaded.length; i++) {
      assert.deepEqual(
        CONTRACT_COLUMNS.customers.map((c) => loaded[i][c] ?? ""),
        crow[i + 1],
      );
    }
  },
);

dbTest(
  "a hand-written CSV with quotes, commas and newlines loads faithfully",
  async ({ config, db }) => {
    const raw = `${config.dataDir}/raw`;
    await Deno.mkdir(raw, { recursive: true });
    const files: Record<string, string> = {
      "customers.csv":
        "\ufeffcustomer_id,first_name,last_name,email,phone,registration_date,city,state,country,age_group\r\n" +
        'C-1,"Anne, Marie","O\'Neil ""the great""",a@x.io,,2024-01-01,"New\nYork",NY,USA,26-35\r\n' +
        'C-2,Bob,"",b@x.io,"+1 (555) 010",2024-02-02,Austin,TX,USA,60+\r\n',
      "products.csv":
        "product_id,product_name,category,sub_category,price,cost,brand,stock_quantity,supplier_id\n" +
        'P-1,"Chair, ""deluxe""",Home,Furniture,62.0,30,"Smith, Jones",5,S1\n',
      "transactions.csv":
        "transaction_id,customer_id,transaction_date,transaction_time,payment_method,shipping_address,total_amount\n" +
        'T-1,C-1,2025-03-01,10:00:00.250,Credit Card,"1 Main St\nApt 2, Springfield",124.00\n',
      "transaction_items.csv":
        "item_id,transaction_id,product_id,quantity,unit_price,discount_percentage,line_total\n" +
        "I-1,T-1,P-1,2,62.0,,124.00",
    };
    for (const [f, text] of Object.entries(files)) {
      await Deno.writeTextFile(
        `${raw}/${f}`,
        text,
      );
    }
    const result = await runIngest(config, db);
    assert.equal(result.rows, 5);
    const c = await db.query(
      `SELECT customer_id, first_name, last_name, phone, city FROM staging.customers ORDER BY source_row`,
    );
    assert.deepEqual(c, [
      {
        customer_id: "C-1",
        first_name: "Anne, Marie",
        last_name: 'O\'Neil "the great"',
        phone: null,
        city: "New\nYork",
      },
      {
        customer_id: "C-2",
        first_name: "Bob",
        last_name: "",
        phone: "+1 (555) 010",
        city: "Austin",
      },
    ]);
    const [p] = await db.query(
      `SELECT product_name, price, brand FROM staging.products`,
    );
    assert.deepEqual(p, {
      product_name: 'Chair, "deluxe"',
      price: "62.0",
      brand: "Smith, Jones",
    });
    const [t] = await db.query(
      `SELECT transaction_time, shipping_address FROM staging.transactions`,
    );
    assert.deepEqual(t, {
      transaction_time: "10:00:00.250",
      shipping_address: "1 Main St\nApt 2, Springfield",
    });
    const [i] = await db.query(
      `SELECT discount_percentage, line_total, source_row::int AS r FROM staging.transaction_items`,
    );
    assert.deepEqual(i, {
      discount_percentage: null,
      line_total: "124.00",
      r: 1,
    });
  },
);

dbTest(
  "loading twice replaces the previous load (idempotent)",
  async ({ config, db }) => {
    const raw = `${config.dataDir}/raw`;
    await generate(raw, 0.05);
    await runIngest(config, db);
    const first = await counts(db);
    const d1 = await digest(db, "transactions");
    await runIngest(config, db);
    assert.deepEqual(await counts(db), first);
    assert.equal(await digest(db, "transactions"), d1);
  },
);
