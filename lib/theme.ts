/**
 * The palette shared by the Power BI theme and the HTML dashboard, so both
 * look like one product.
 *
 * @module
 */
export const PALETTE = [
  "#1F5A96",
  "#E07B39",
  "#3A9D6E",
  "#C8473F",
  "#7A5BA6",
  "#D4A72C",
  "#4BA3C3",
  "#8C6D52",
];
export const INK = "#1D2733";
export const MUTED = "#5B6B7C";
export const GOOD = "#3A9D6E";
export const BAD = "#C8473F";
