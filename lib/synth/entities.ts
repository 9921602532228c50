/**
 * The shop's customers and products, built in memory: the rows of the base
 * files (defects applied, with what was injected) and the clean truth behind
 * them. The full generator writes the rows; the daily increment generator
 * rebuilds the same truth from the same options to know the shop's state.
 *
 * @module
 */
import { en, en_US, Faker } from "@faker-js/faker";
import { cumulative, Rng } from "./rng.ts";
import { dayOf, isoOf } from "./dates.ts";
import { AGE_GROUPS, CATEGORIES, CITIES, EMAIL_DOMAINS } from "./catalog.ts";
import { planDefects } from "./defects.ts";
import { money } from "./money.ts";

/** Options that decide the base shop. */
export interface EntityOptions {
  seed: number;
  scale: number;
  startDate: string;
  endDate: string;
  defectRate: number;
}

/** One output row, with the extra row a duplicate defect adds. */
export interface OutRow {
  id: string;
  row: string[];
  extra?: string[];
  kind?: string;
  column: string;
  detail: string;
}

/** Base customers and products. */
export interface Entities {
  volumes: { customers: number; products: number; transactions: number };
  customerRows: OutRow[];
  productRows: OutRow[];
  /** Customer rows without defects or noise, by index. */
  cleanCustomers: string[][];
  /** Indices of customers whose row carries no defect or noise. */
  cleanCustomerIndex: number[];
  cleanProducts: string[][];
  regDay: Int32Array;
  homeAddress: string[];
  priceCents: Int32Array;
  custId: (n: number) => string;
  prodId: (n: number) => string;
  pools: { firstNames: string[]; lastNames: string[]; streets: string[] };
}

export const BASE = { customers: 1000, products: 500, transactions: 10000 };
export const UNPARSEABLE_DATES = (iso: string) => [
  `${iso.slice(5, 7)}/${iso.slice(8, 10)}/${iso.slice(0, 4)}`,
  `${iso.slice(0, 4)}-02-30`,
  `${iso.slice(0, 4)}-13-${iso.slice(8, 10)}`,
  "unknown",
];
export const BAD_PRICES = ["12,99", "$45.00", "n/a"];

/** Zero-padded id: the assignment's CUST0001 style, wider when needed. */
export function idMaker(prefix: string, count: number, minWidth: number) {
  const width = Math.max(minWidth, String(count).length);
  return (n: number) => `${prefix}${String(n).padStart(width, "0")}`;
}

/** Builds the base customers and products; same options, same result. */
export function buildEntities(options: EntityOptions): Entities {
  const { seed, scale, defectRate: rate } = options;
  const first = dayOf(options.startDate);
  const last = dayOf(options.endDate);
  const volumes = {
    customers: Math.max(1, Math.round(BASE.customers * scale)),
    products: Math.max(1, Math.round(BASE.products * scale)),
    transactions: Math.max(1, Math.round(BASE.transactions * scale)),
  };
  const faker = new Faker({ locale: [en_US, en], seed });
  faker.setDefaultRefDate("2025-01-01T00:00:00.000Z");
  const customerRows: OutRow[] = [];
  const productRows: OutRow[] = [];

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
  const emails: string[] = new Array(nc);
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
    emails[i] = emailOf(fn, ln, i + 1, rng.pick(EMAIL_DOMAINS));
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
    const row = [...base[i]];
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
    customerRows.push({ id, row, extra, kind, column, detail });
  }

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
  const cleanProducts: string[][] = new Array(np);
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
    cleanProducts[i] = [...row];
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
    productRows.push({ id, row, extra, kind, column, detail });
  }
  return {
    volumes,
    customerRows,
    productRows,
    cleanCustomers: base,
    cleanCustomerIndex: cleanCustomers,
    cleanProducts,
    regDay,
    homeAddress,
    priceCents,
    custId,
    prodId,
    pools: { firstNames, lastNames, streets },
  };
}

function pool<T>(n: number, make: () => T): T[] {
  return Array.from({ length: n }, make);
}

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z]/g, "");
}

/** A US phone number in the generator's canonical format. */
export function phone(rng: Rng): string {
  return `+1-${rng.range(201, 989)}-${rng.range(200, 999)}-${
    String(rng.int(10000)).padStart(4, "0")
  }`;
}

/** The generated email of a customer with this name and number. */
export function emailOf(
  first: string,
  last: string,
  n: number,
  domain: string,
): string {
  return `${slug(first)}.${slug(last)}${n}@${domain}`;
}
