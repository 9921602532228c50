/**
 * Environment access that respects `--allow-env=NAME,...`: reading a variable
 * the task was not granted yields `undefined` instead of throwing, so a narrow
 * grant never crashes a stage.
 *
 * @module
 */

/** Every environment variable the toolkit reads. Tasks grant exactly these. */
export const ENV_VARS = [
  "DATABASE_URL",
  "PGHOST",
  "PGPORT",
  "PGUSER",
  "PGPASSWORD",
  "PGDATABASE",
  "ECOM_CONFIG",
  "ECOM_DATA_DIR",
  "ECOM_LOG_DIR",
  "ECOM_LOG_LEVEL",
  "NO_COLOR",
  "ALERT_WEBHOOK_URL",
  "BI_READER_PASSWORD",
  // Read by postgres.js itself when the URL does not say (see db_server.ts).
  "PGSSL",
  "PGAPPNAME",
  "PGTARGETSESSIONATTRS",
  // The reliability suite's fault points (lib/fault.ts); unset in real use.
  "ECOM_FAULT_PAUSE",
] as const;

/** Returns the variable's value, or `undefined` when unset or not granted. */
export function readEnv(name: string): string | undefined {
  try {
    const value = Deno.env.get(name);
    return value === "" ? undefined : value;
  } catch {
    return undefined;
  }
}
