/**
 * Fault points for the reliability suite (tests/reliability_test.ts): with
 * `ECOM_FAULT_PAUSE=<point>` a process stops at that point, inside the
 * step's open transaction, until it is killed; `<point>:<ms>` pauses that
 * long and goes on (time for the suite to restart the server under it).
 * The variable is not among the ones the tasks are granted, so it has no
 * effect outside a test that runs with --allow-env.
 *
 * @module
 */
import { readEnv } from "./env.ts";

/** Pauses here when the fault variable names this point. */
export async function faultPoint(point: string): Promise<void> {
  const spec = readEnv("ECOM_FAULT_PAUSE");
  if (!spec) return;
  const [name, ms] = spec.split(":");
  if (name !== point) return;
  console.error(`fault point ${point} reached`);
  if (ms) {
    await new Promise((r) => setTimeout(r, Number(ms)));
    return;
  }
  await new Promise(() => setInterval(() => {}, 60_000)); // until killed
}
