import { isoOf } from "./dates.ts";
import type { buildEntities } from "./entities.ts";

/**
 * The before-registration defect as real exports have it: a registration
 * date recorded after the customer's first order. Each such order goes to a
 * clean customer who has no other order, and that customer's registration
 * date becomes the day after it: the order keeps its day (so the data set's
 * trend starts where its data starts) and it is the one order that precedes
 * the registration. Without such a customer left, the defect is dropped.
 */
export function lateRegistrations(
  txDefect: Map<number, string>,
  order: Int32Array,
  txCust: Int32Array,
  txDay: Int32Array,
  ent: ReturnType<typeof buildEntities>,
): void {
  const orders = new Int32Array(ent.volumes.customers);
  for (const c of txCust) orders[c]++;
  const spare = ent.cleanCustomerIndex.filter((c) => orders[c] === 0);
  let next = 0;
  for (const [k, kind] of [...txDefect]) {
    if (kind !== "before_registration") continue;
    const c = spare[next++];
    if (c === undefined) {
      txDefect.delete(k);
      continue;
    }
    const t = order[k];
    txCust[t] = c;
    ent.regDay[c] = txDay[t] + 1;
    ent.customerRows[c].row[5] = isoOf(ent.regDay[c]);
  }
}
