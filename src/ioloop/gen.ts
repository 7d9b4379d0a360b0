// Ports tornado.gen: sleep, with_timeout, multi and moment, for async/await code.

import { appLog } from "../util/log.js";
import { IOLoop, scheduleTimeout } from "./ioloop.js";
import { TimeoutError, type Timeout } from "./timeout.js";

export { TimeoutError, type Timeout } from "./timeout.js";

/** Error classes whose instances are not logged (Tornado's `quiet_exceptions`). */
export type QuietExceptions = ReadonlyArray<abstract new (...args: never[]) => unknown>;

/** Options of {@link withTimeout} and {@link multi}. */
export interface QuietExceptionsOptions {
  /**
   * Errors of these classes are not logged when they arrive too late to be reported
   * (after a timeout, or after another child of `multi` already failed).
   */
  quietExceptions?: QuietExceptions;
}

function isQuiet(error: unknown, quiet: QuietExceptions | undefined): boolean {
  return quiet !== undefined && quiet.some((kind) => error instanceof kind);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Resolves after `seconds`, without blocking: `await gen.sleep(0.5)`. Tornado: `gen.sleep`.
 */
export function sleep(seconds: number): Promise<void> {
  return new Promise<void>((resolve) => {
    IOLoop.current().callLater(seconds, resolve);
  });
}

/**
 * Waits for `awaitable` for at most `timeout` (seconds from now, or `{ deadline }` on
 * {@link IOLoop.time}'s clock) and rejects with {@link TimeoutError} after that. The work
 * itself is not cancelled (promises cannot be); if it fails after the timeout, its error
 * is logged unless it is one of `quietExceptions`. Tornado: `gen.with_timeout` (whose bare
 * number is a deadline; here it is seconds from now).
 *
 * @example
 * const response = await gen.withTimeout(2, client.fetch(url));
 */
export function withTimeout<T>(
  timeout: Timeout | null | undefined,
  awaitable: PromiseLike<T> | T,
  options: QuietExceptionsOptions = {},
): Promise<Awaited<T>> {
  const work = Promise.resolve(awaitable);
  return new Promise<Awaited<T>>((resolve, reject) => {
    let timedOut = false;
    const handle = scheduleTimeout(timeout, () => {
      timedOut = true;
      reject(new TimeoutError("Timeout"));
      work.catch((error: unknown) => {
        if (!isQuiet(error, options.quietExceptions)) {
          appLog.error("Exception in Future after timeout", asError(error));
        }
      });
    });
    work.then(
      (value) => {
        handle?.cancel();
        resolve(value);
      },
      (error: unknown) => {
        handle?.cancel();
        if (!timedOut) reject(error);
      },
    );
  });
}

/** The result of {@link multi}: the awaited value of each child, in the same shape. */
export type MultiResult<T> = { -readonly [K in keyof T]: Awaited<T[K]> };

/**
 * Waits for every child — an array (or tuple) or an object of promises or values — and
 * resolves with their results in the same shape. Like Tornado and unlike `Promise.all`,
 * it waits for all children to settle: then the first failing child (in order) rejects
 * the result and the errors of the other failing children are logged through `appLog`
 * (unless they are `quietExceptions`), so no failure goes unseen. Tornado: `gen.multi`.
 *
 * @example
 * const { user, posts } = await gen.multi({ user: loadUser(id), posts: loadPosts(id) });
 * const [a, b] = await gen.multi([client.fetch(urlA), client.fetch(urlB)]);
 */
export async function multi<const T extends readonly unknown[] | Readonly<Record<string, unknown>>>(
  children: T,
  options: QuietExceptionsOptions = {},
): Promise<MultiResult<T>> {
  const isArray = Array.isArray(children);
  const keys = isArray ? undefined : Object.keys(children);
  const values: readonly unknown[] = isArray
    ? (children as readonly unknown[])
    : keys!.map((key) => (children as Readonly<Record<string, unknown>>)[key]);
  const settled = await Promise.allSettled(values);
  let failure: { error: unknown } | undefined;
  const results: unknown[] = [];
  for (const outcome of settled) {
    if (outcome.status === "fulfilled") {
      results.push(outcome.value);
    } else if (failure === undefined) {
      failure = { error: outcome.reason };
    } else if (!isQuiet(outcome.reason, options.quietExceptions)) {
      appLog.error("Multiple exceptions in yield list", asError(outcome.reason));
    }
  }
  if (failure !== undefined) throw failure.error;
  if (isArray) return results as MultiResult<T>;
  const object: Record<string, unknown> = {};
  keys!.forEach((key, index) => {
    object[key] = results[index];
  });
  return object as MultiResult<T>;
}

/**
 * Awaiting it lets the event loop run one iteration (I/O and other callbacks) before
 * continuing: `await gen.moment`. Use it to stay responsive in a long loop of quick
 * steps. Tornado: `gen.moment`.
 */
export const moment: PromiseLike<void> = {
  then<R1 = void, R2 = never>(
    onfulfilled?: ((value: void) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): PromiseLike<R1 | R2> {
    return new Promise<void>((resolve) => setImmediate(resolve)).then(onfulfilled, onrejected);
  },
};
