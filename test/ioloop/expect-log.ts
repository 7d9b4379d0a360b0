// Test helper: swallows and counts the log records matching a pattern while `fn` runs, as
// Tornado's ExpectLog; fails when none was logged (unless `required` is false).
import assert from "node:assert/strict";
import type { Logger, LogRecord } from "typhoon";

export async function expectLog<T>(
  logger: Logger,
  pattern: RegExp,
  fn: () => T | Promise<T>,
  { required = true, settle = 0, count = 0 }: { required?: boolean; settle?: number; count?: number } = {},
): Promise<{ result: T; records: LogRecord[] }> {
  const records: LogRecord[] = [];
  const remove = logger.intercept((record) => {
    if (!pattern.test(record.message)) return false;
    records.push(record);
    return true;
  });
  try {
    const result = await fn();
    // Let callbacks that log on a later turn of the loop run before checking.
    for (let i = 0; i <= settle; i++) await new Promise((resolve) => setImmediate(resolve));
    // Or until `count` records arrived, whatever the machine's load (5 s at most).
    for (let waited = 0; records.length < count && waited < 5000; waited += 5) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    if (required) assert.ok(records.length > 0, `expected a log line matching ${pattern}`);
    return { result, records };
  } finally {
    remove();
  }
}
