// Ports tornado.log: the access/application/general loggers and Tornado's pretty line format.

import { format as formatValues } from "node:util";
import { describeError } from "./errors.js";

/** Numeric log levels, as Python's `logging` module. */
export const LogLevel = {
  DEBUG: 10,
  INFO: 20,
  WARNING: 30,
  ERROR: 40,
  CRITICAL: 50,
} as const;

/** A level name (`"info"`) or number (`LogLevel.INFO`). */
export type LogLevelName = "debug" | "info" | "warning" | "error" | "critical";

/** One log event, as handed to handlers and to {@link Logger.intercept}. */
export interface LogRecord {
  /** Name of the logger, e.g. `typhoon.access`. */
  readonly logger: string;
  readonly level: number;
  /** `DEBUG`, `INFO`, `WARNING`, `ERROR` or `CRITICAL`. */
  readonly levelName: string;
  readonly message: string;
  /** The error passed along with the message, logged with its stack. */
  readonly error?: unknown;
  /** Milliseconds since the epoch. */
  readonly time: number;
  /** File name (without extension) and line of the code that logged. */
  readonly module: string;
  readonly line: number;
}

/** Receives every record that passes the level check. */
export type LogHandler = (record: LogRecord) => void;

const LEVEL_NAMES: Readonly<Record<number, string>> = {
  10: "DEBUG",
  20: "INFO",
  30: "WARNING",
  40: "ERROR",
  50: "CRITICAL",
};

function levelNumber(level: LogLevelName | number): number {
  return typeof level === "number" ? level : LogLevel[level.toUpperCase() as keyof typeof LogLevel];
}

const root = {
  level: LogLevel.WARNING as number,
  handlers: [] as LogHandler[],
};

const THIS_FILE = new URL(import.meta.url).pathname;

function callSite(): { module: string; line: number } {
  const holder: { stack?: string } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 6;
  Error.captureStackTrace(holder);
  Error.stackTraceLimit = limit;
  for (const frame of (holder.stack ?? "").split("\n").slice(1)) {
    const match = /\(?(?:file:\/\/)?([^\s()]+):(\d+):\d+\)?\s*$/.exec(frame);
    if (!match || match[1] === THIS_FILE || match[1]!.endsWith(THIS_FILE)) continue;
    const base = match[1]!.slice(match[1]!.lastIndexOf("/") + 1);
    const dot = base.lastIndexOf(".");
    return { module: dot > 0 ? base.slice(0, dot) : base, line: Number(match[2]) };
  }
  return { module: "?", line: 0 };
}

/**
 * A named logger with a level, as Python's `logging.Logger`. Records at or above the
 * effective level go to the root handlers (stderr by default, see {@link enablePrettyLogging}).
 * Until configured, only warnings and errors are shown, as Tornado with no logging set up.
 */
export class Logger {
  /** The logger's name, e.g. `typhoon.access`. */
  readonly name: string;
  #level: number | null = null;
  #interceptors: Array<(record: LogRecord) => boolean> = [];

  constructor(name: string) {
    this.name = name;
  }

  /** This logger's own level, or `null` to follow the root level. */
  get level(): number | null {
    return this.#level;
  }

  /** Sets this logger's level (`"info"`, `LogLevel.INFO`...), or `null` to follow the root. */
  setLevel(level: LogLevelName | number | null): void {
    this.#level = level === null ? null : levelNumber(level);
  }

  /**
   * True when a record at `level` would be emitted (or seen by an interceptor); check it
   * before building costly messages.
   */
  isEnabledFor(level: number): boolean {
    return level >= (this.#level ?? root.level) || this.#interceptors.length > 0;
  }

  debug(message: string, ...args: unknown[]): void {
    this.log(LogLevel.DEBUG, message, ...args);
  }

  info(message: string, ...args: unknown[]): void {
    this.log(LogLevel.INFO, message, ...args);
  }

  warning(message: string, ...args: unknown[]): void {
    this.log(LogLevel.WARNING, message, ...args);
  }

  /** Logs at ERROR; pass the caught error last to have its stack logged. */
  error(message: string, ...args: unknown[]): void {
    this.log(LogLevel.ERROR, message, ...args);
  }

  critical(message: string, ...args: unknown[]): void {
    this.log(LogLevel.CRITICAL, message, ...args);
  }

  /**
   * Logs `message` at `level`. Extra arguments are formatted into the message with
   * `util.format` placeholders (`%s`, `%d`, `%o`); an `Error` given as the last extra
   * argument is attached to the record instead and printed with its stack.
   */
  log(level: number, message: string, ...args: unknown[]): void {
    const enabled = level >= (this.#level ?? root.level);
    if (!enabled && this.#interceptors.length === 0) return;
    let error: unknown;
    if (args.length > 0 && args[args.length - 1] instanceof Error) error = args.pop();
    const site = callSite();
    const record: LogRecord = {
      logger: this.name,
      level,
      levelName: LEVEL_NAMES[level] ?? `LEVEL ${level}`,
      message: args.length > 0 ? formatValues(message, ...args) : message,
      ...(error === undefined ? {} : { error }),
      time: Date.now(),
      module: site.module,
      line: site.line,
    };
    for (let i = this.#interceptors.length - 1; i >= 0; i--) {
      if (this.#interceptors[i]!(record)) return;
    }
    if (!enabled) return;
    for (const handler of root.handlers.length > 0 ? root.handlers : [defaultHandler]) handler(record);
  }

  /**
   * Sees every record of this logger, whatever the level, before the handlers; returning
   * `true` swallows the record. Returns a function that removes the interceptor.
   * Used by `expectLog`.
   */
  intercept(interceptor: (record: LogRecord) => boolean): () => void {
    this.#interceptors.push(interceptor);
    return () => {
      const index = this.#interceptors.lastIndexOf(interceptor);
      if (index >= 0) this.#interceptors.splice(index, 1);
    };
  }
}

const loggers = new Map<string, Logger>();

/** The logger named `name`, created on first use (the same object on every call). */
export function getLogger(name: string): Logger {
  let logger = loggers.get(name);
  if (!logger) {
    logger = new Logger(name);
    loggers.set(name, logger);
  }
  return logger;
}

/** One line per finished request (`200 GET / (127.0.0.1) 0.42ms`). Tornado: `access_log`. */
export const accessLog = getLogger("typhoon.access");
/** Errors from application code: uncaught handler exceptions, failed callbacks. Tornado: `app_log`. */
export const appLog = getLogger("typhoon.application");
/** Everything else Typhoon reports: malformed requests, connection problems. Tornado: `gen_log`. */
export const genLog = getLogger("typhoon.general");

/** Sets the level every logger without its own level follows (default `warning`). */
export function setLogLevel(level: LogLevelName | number): void {
  root.level = levelNumber(level);
}

/** Adds a handler that receives every emitted record; the default stderr handler is used only while none is added. */
export function addLogHandler(handler: LogHandler): void {
  root.handlers.push(handler);
}

/** Removes a handler added with {@link addLogHandler}. */
export function removeLogHandler(handler: LogHandler): void {
  const index = root.handlers.indexOf(handler);
  if (index >= 0) root.handlers.splice(index, 1);
}

const COLORS: Readonly<Record<number, number>> = { 10: 4, 20: 2, 30: 3, 40: 1, 50: 5 };

function twoDigits(value: number): string {
  return value < 10 ? `0${value}` : String(value);
}

/**
 * Formats a record as Tornado's `LogFormatter`: `[I 250101 12:00:00 web:123] message`,
 * the bracket coloured by level when `color` is set, the error's stack on the following lines.
 */
export function formatLogRecord(record: LogRecord, color = false): string {
  const date = new Date(record.time);
  const stamp =
    twoDigits(date.getFullYear() % 100) +
    twoDigits(date.getMonth() + 1) +
    twoDigits(date.getDate()) +
    " " +
    twoDigits(date.getHours()) +
    ":" +
    twoDigits(date.getMinutes()) +
    ":" +
    twoDigits(date.getSeconds());
  const prefix = `[${record.levelName[0]} ${stamp} ${record.module}:${record.line}]`;
  const start = color ? `\x1b[3${COLORS[record.level] ?? 7}m${prefix}\x1b[39m` : prefix;
  const errorText = record.error === undefined ? "" : `\n${describeError(record.error)}`;
  return `${start} ${record.message}${errorText}`;
}

function defaultHandler(record: LogRecord): void {
  process.stderr.write(`${formatLogRecord(record)}\n`);
}

/** Options of {@link enablePrettyLogging}. */
export interface PrettyLoggingOptions {
  /** Lowest level shown; default `info`. */
  level?: LogLevelName | number;
  /** Colour the prefix by level; default: when the stream is a terminal. */
  color?: boolean;
  /** Where lines go; default `process.stderr`. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
}

let prettyHandler: LogHandler | null = null;

/**
 * Shows log lines in Tornado's format (`[I 250101 12:00:00 web:123] ...`), coloured on a
 * terminal, from `level` up (default `info`, so access lines appear). Calling it again
 * replaces the previous configuration. Tornado: `tornado.log.enable_pretty_logging`.
 */
export function enablePrettyLogging(options: PrettyLoggingOptions = {}): void {
  const stream = options.stream ?? process.stderr;
  const color = options.color ?? Boolean(stream.isTTY);
  if (prettyHandler) removeLogHandler(prettyHandler);
  prettyHandler = (record) => {
    stream.write(`${formatLogRecord(record, color)}\n`);
  };
  addLogHandler(prettyHandler);
  setLogLevel(options.level ?? "info");
}
