/**
 * The names other people's files depend on (docs/contract.md): the four raw
 * files, their columns in order, and the tables they load into.
 *
 * @module
 */

/** The four raw tables, in load order (parents first). */
export const TABLES = [
  "customers",
  "products",
  "transactions",
  "transaction_items",
] as const;

export type Table = typeof TABLES[number];

/** The contract's columns per file, in order. */
export const CONTRACT_COLUMNS: Record<Table, readonly string[]> = {
  customers: [
    "customer_id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "registration_date",
    "city",
    "state",
    "country",
    "age_group",
  ],
  products: [
    "product_id",
    "product_name",
    "category",
    "sub_category",
    "price",
    "cost",
    "brand",
    "stock_quantity",
    "supplier_id",
  ],
  transactions: [
    "transaction_id",
    "customer_id",
    "transaction_date",
    "transaction_time",
    "payment_method",
    "shipping_address",
    "total_amount",
  ],
  transaction_items: [
    "item_id",
    "transaction_id",
    "product_id",
    "quantity",
    "unit_price",
    "discount_percentage",
    "line_total",
  ],
};

/** The raw file name of a table. */
export function fileOf(table: Table): string {
  return `${table}.csv`;
}
