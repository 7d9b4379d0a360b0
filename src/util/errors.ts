// The base of every error Typhoon throws: a stable machine-readable `code` plus a message that says what to do.

/**
 * Base class of Typhoon's errors. Each subclass has a stable `code`
 * (`TYPHOON_ERR_*`, listed in docs/errors.md) to branch on instead of the message.
 */
export class TyphoonError extends Error {
  /** Stable identifier of the error kind, e.g. `TYPHOON_ERR_MISSING_ARGUMENT`. */
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }

  override get name(): string {
    return this.constructor.name;
  }
}

/** A call that is not valid in the object's current state, e.g. `write()` after `finish()`. */
export class InvalidStateError extends TyphoonError {
  constructor(message: string, code = "TYPHOON_ERR_INVALID_STATE") {
    super(code, message);
  }
}

/** A value passed to Typhoon that it cannot use, e.g. a header value containing CR/LF. */
export class InvalidArgumentError extends TyphoonError {
  constructor(message: string, code = "TYPHOON_ERR_INVALID_ARGUMENT") {
    super(code, message);
  }
}

/** Describes any thrown value for a log line: the stack of an Error, else its string form. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}
