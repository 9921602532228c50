/**
 * The ten analytics queries the contract names, by export name (the CSV file
 * is `<name>.csv`): the analytics stage exports them and the dashboard reads
 * what they produce. Adding a query takes its `.sql` file and one line here.
 *
 * @example
 * ```ts
 * Object.keys(QUERIES).length; // 10
 * ```
 *
 * @module
 */
import topProducts from "../sql/analytics/top_products_by_revenue.sql" with {
  type: "text",
};
import monthly from "../sql/analytics/monthly_sales_trend.sql" with {
  type: "text",
};
import spend from "../sql/analytics/customer_spend_segmentation.sql" with {
  type: "text",
};
import category from "../sql/analytics/category_performance.sql" with {
  type: "text",
};
import payment from "../sql/analytics/payment_method_distribution.sql" with {
  type: "text",
};
import geography from "../sql/analytics/geographic_analysis.sql" with {
  type: "text",
};
import clv from "../sql/analytics/customer_lifetime_value.sql" with {
  type: "text",
};
import profitability from "../sql/analytics/product_profitability.sql" with {
  type: "text",
};
import weekday from "../sql/analytics/day_of_week_pattern.sql" with {
  type: "text",
};
import discount from "../sql/analytics/discount_impact.sql" with {
  type: "text",
};

/** The ten queries, by export name (the CSV file is `<name>.csv`). */
export const QUERIES: Record<string, string> = {
  top_products_by_revenue: topProducts,
  monthly_sales_trend: monthly,
  customer_spend_segmentation: spend,
  category_performance: category,
  payment_method_distribution: payment,
  geographic_analysis: geography,
  customer_lifetime_value: clv,
  product_profitability: profitability,
  day_of_week_pattern: weekday,
  discount_impact: discount,
};
