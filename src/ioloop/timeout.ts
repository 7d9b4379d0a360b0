// Ports tornado.util.TimeoutError and the timeout argument shared by gen, locks and queues.

import { TyphoonError } from "../util/errors.js";

/**
 * How long an operation may wait: a number of seconds from now, or `{ deadline }`, an
 * absolute time on {@link IOLoop.time}'s clock. `null`/`undefined` waits forever.
 * Tornado takes a `timedelta` (relative) or a number (a deadline); here a bare number is
 * relative, as every other duration in Typhoon.
 *
 * @example
 * await queue.get(5);                                    // five seconds from now
 * await queue.get({ deadline: IOLoop.current().time() + 5 }); // the same, as a deadline
 */
export type Timeout = number | { readonly deadline: number };

/**
 * An operation did not finish in time: `gen.withTimeout`, `IOLoop.runSync`, lock and
 * queue waits with a timeout. Code `TYPHOON_ERR_TIMEOUT`. Tornado: `tornado.util.TimeoutError`
 * (also `gen.TimeoutError`).
 */
export class TimeoutError extends TyphoonError {
  constructor(message = "Timeout") {
    super("TYPHOON_ERR_TIMEOUT", message);
  }
}
