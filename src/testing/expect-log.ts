// Ports tornado.testing.ExpectLog: swallow expected log lines in a test, and fail when they do not appear.

import { getLogger, type Logger, type LogLevelName, LogLevel } from "../util/log.js";
import { TyphoonError } from "../util/errors.js";

/** Options of {@link expectLog}. */
export interface ExpectLogOptions {
  /** Fail when no matching line was logged. Default true. */
  required?: boolean;
  /** Only lines at this level or above match. Default: any level. */
  level?: LogLevelName | number;
}

/** An expected log line was not logged. */
export class ExpectedLogMissingError extends TyphoonError {
  constructor(logger: string, pattern: RegExp) {
    super("TYPHOON_ERR_EXPECTED_LOG_MISSING", `did not get expected log message ${pattern} on logger ${logger}`);
  }
}

/**
 * Runs `fn` while lines of `logger` whose message matches `pattern` are swallowed instead of
 * printed; throws `ExpectedLogMissingError` afterwards when none matched (unless
 * `required: false`). A string pattern is a regular expression matched at the start of the
 * message, as Tornado. Tornado: `tornado.testing.ExpectLog`.
 *
 * @example
 * await expectLog(appLog, "Uncaught exception", () => server.fetch("/broken"));
 */
export async function expectLog<T>(
  logger: Logger | string,
  pattern: string | RegExp,
  fn: () => T | Promise<T>,
  options: ExpectLogOptions = {},
): Promise<T> {
  const target = typeof logger === "string" ? getLogger(logger) : logger;
  const regex = typeof pattern === "string" ? new RegExp(`^(?:${pattern})`, "s") : pattern;
  const minimum =
    options.level === undefined ? 0 : typeof options.level === "number" ? options.level : LogLevel[options.level.toUpperCase() as keyof typeof LogLevel];
  let matched = 0;
  const stop = target.intercept((record) => {
    if (record.level < minimum) return false;
    regex.lastIndex = 0;
    if (!regex.test(record.message)) return false;
    matched++;
    return true;
  });
  let result: T;
  try {
    result = await fn();
  } finally {
    stop();
  }
  if (matched === 0 && options.required !== false) throw new ExpectedLogMissingError(target.name, regex);
  return result;
}
