// Ports tornado.httputil.HTTPInputError: a malformed or over-limit request, answered with a 4xx status.

import { TyphoonError } from "../util/errors.js";

/**
 * The request cannot be processed as sent: malformed (400), too large (413), too slow (408)...
 * The web layer answers it with `status` and the message, and logs it once as a warning.
 * Tornado: `tornado.httputil.HTTPInputError`.
 */
export class HTTPInputError extends TyphoonError {
  /** The HTTP status the client gets. */
  readonly status: number;

  constructor(message: string, status = 400, code = "TYPHOON_ERR_BAD_REQUEST") {
    super(code, message);
    this.status = status;
  }
}

/** The connection closed before the data could be written. Tornado: `tornado.iostream.StreamClosedError`. */
export class StreamClosedError extends TyphoonError {
  constructor(message = "Stream is closed") {
    super("TYPHOON_ERR_STREAM_CLOSED", message);
  }
}
