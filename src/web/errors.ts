// Ports tornado.web.HTTPError, MissingArgumentError and Finish.

import { STATUS_CODES } from "node:http";
import { TyphoonError } from "../util/errors.js";

/** Options of {@link HTTPError}. */
export interface HTTPErrorOptions {
  /** Reason phrase for the status line, instead of the standard one (e.g. for a non-standard code). */
  reason?: string;
}

/**
 * Thrown in a handler to answer with an HTTP error status. The client gets the error page
 * (see `RequestHandler.writeError`); `logMessage`, when given, is logged as a warning and is
 * never shown to the client. Tornado: `tornado.web.HTTPError`.
 *
 * @example throw new HTTPError(403, `user ${id} may not edit post ${postId}`);
 */
export class HTTPError extends TyphoonError {
  /** The HTTP status code. Tornado: `status_code`. */
  readonly statusCode: number;
  /** A message for the log only. Tornado: `log_message`. */
  readonly logMessage: string | undefined;
  /** A custom reason phrase, if any. */
  readonly reason: string | undefined;

  constructor(statusCode = 500, logMessage?: string, options: HTTPErrorOptions = {}, code = "TYPHOON_ERR_HTTP") {
    const reason = options.reason ?? STATUS_CODES[statusCode] ?? "Unknown";
    super(code, `HTTP ${statusCode}: ${reason}${logMessage ? ` (${logMessage})` : ""}`);
    this.statusCode = statusCode;
    this.logMessage = logMessage;
    this.reason = options.reason;
  }
}

/**
 * A required argument is missing: `getArgument(name)` without a default. Answers 400.
 * Tornado: `tornado.web.MissingArgumentError`.
 */
export class MissingArgumentError extends HTTPError {
  /** The name of the missing argument. Tornado: `arg_name`. */
  readonly argName: string;

  constructor(argName: string) {
    super(400, `Missing argument ${argName}`, {}, "TYPHOON_ERR_MISSING_ARGUMENT");
    this.argName = argName;
  }
}

/**
 * Thrown to end the request without an error: the response is finished (with `chunk`
 * written last, if given) and nothing is logged. Tornado: `tornado.web.Finish`.
 *
 * @example
 * if (!this.currentUser) { this.setStatus(401); throw new Finish("log in first"); }
 */
export class Finish extends Error {
  /** Written before finishing, when given. */
  readonly chunk: string | Buffer | object | undefined;

  constructor(chunk?: string | Buffer | object) {
    super("request finished early");
    this.chunk = chunk;
  }

  override get name(): string {
    return "Finish";
  }
}
