/**
 * The shape of an order: hour of day, number of lines, quantities and
 * discounts. Shared by the full history and the daily increments so both
 * look like the same shop.
 *
 * @module
 */
import { cumulative } from "./rng.ts";

// deno-fmt-ignore
export const HOUR_WEIGHTS = cumulative([
  1, 1, 0.5, 0.3, 0.3, 0.5, 1, 2, 3, 4, 5, 6, 7, 7, 6, 5, 5, 6, 7, 8, 9, 8, 5, 2,
]);
export const ITEM_COUNT_WEIGHTS = cumulative([20, 20, 20, 20, 20]);
export const QUANTITY_WEIGHTS = cumulative([60, 25, 9, 4, 2]);
export const DISCOUNTS = [0, 5, 10, 15, 20, 25, 30, 50];
export const DISCOUNT_WEIGHTS = cumulative([64, 8, 9, 6, 5, 3, 3, 2]);

/** `HH:MM:SS` of a second of the day. */
export function clock(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${pad2(h)}:${pad2(m)}:${pad2(s)}`;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
