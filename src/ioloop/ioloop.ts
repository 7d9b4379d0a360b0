// Ports tornado.ioloop: the IOLoop facade over Node's event loop, and PeriodicCallback.

import { performance } from "node:perf_hooks";
import { InvalidArgumentError, InvalidStateError } from "../util/errors.js";
import { appLog } from "../util/log.js";
import { defaultExecutor, type Executor, type WorkerTask } from "./executor.js";
import { TimeoutError, type Timeout } from "./timeout.js";

/** Longest delay a Node timer accepts (2^31 - 1 ms, about 24.8 days); longer ones are chained. */
const MAX_TIMER_MS = 0x7fffffff;

/** Any callback the loop runs. */
type Callback = (...args: never) => unknown;

/** A short description of a callback for log lines: its name, or `<anonymous>`. */
function callbackName(fn: Callback): string {
  return fn.name ? fn.name : "<anonymous>";
}

/**
 * Calls `fn(...args)`, logging anything it throws or any rejection of the promise it
 * returns through `appLog`: a failing callback never reaches Node's uncaught-error
 * handlers, so it never crashes the process. Tornado: `IOLoop._run_callback`.
 */
function runCallback(fn: Callback, args: readonly unknown[]): void {
  try {
    const result = (fn as (...values: readonly unknown[]) => unknown)(...args);
    if (result !== null && typeof result === "object" && typeof (result as PromiseLike<unknown>).then === "function") {
      Promise.resolve(result as PromiseLike<unknown>).catch((error: unknown) => {
        appLog.error("Exception in callback %s", callbackName(fn), error instanceof Error ? error : new Error(String(error)));
      });
    }
  } catch (error) {
    appLog.error("Exception in callback %s", callbackName(fn), error instanceof Error ? error : new Error(String(error)));
  }
}

/** Marks a handle as run; false when it was cancelled (or already ran). Set by TimeoutHandle. */
let markDone: (handle: TimeoutHandle) => boolean;

/**
 * The opaque handle {@link IOLoop.callLater}, {@link IOLoop.callAt} and {@link IOLoop.addTimeout}
 * return; pass it to {@link IOLoop.removeTimeout} to cancel the call.
 */
export class TimeoutHandle {
  /** When the call is due, in {@link IOLoop.time} seconds. */
  readonly deadline: number;
  #state: "pending" | "cancelled" | "done" = "pending";
  readonly #onCancel: () => void;

  static {
    markDone = (handle) => {
      if (handle.#state !== "pending") return false;
      handle.#state = "done";
      return true;
    };
  }

  /** @internal Created by the IOLoop; user code never constructs one. */
  constructor(deadline: number, onCancel: () => void) {
    this.deadline = deadline;
    this.#onCancel = onCancel;
  }

  /** True once the call was cancelled with {@link IOLoop.removeTimeout}. */
  get cancelled(): boolean {
    return this.#state === "cancelled";
  }

  /** True while the call is still to run. */
  get pending(): boolean {
    return this.#state === "pending";
  }

  /** Cancels the call (what {@link IOLoop.removeTimeout} does); harmless after it ran. */
  cancel(): void {
    if (this.#state !== "pending") return;
    this.#state = "cancelled";
    this.#onCancel();
  }
}

/** One scheduled call in the loop's heap. */
interface Entry {
  readonly deadline: number;
  /** Orders entries with equal deadlines: first scheduled, first run. */
  readonly sequence: number;
  readonly fn: Callback;
  readonly args: readonly unknown[];
  readonly handle: TimeoutHandle;
}

function before(a: Entry, b: Entry): boolean {
  return a.deadline < b.deadline || (a.deadline === b.deadline && a.sequence < b.sequence);
}

/**
 * The loop's timeouts: a binary heap ordered by (deadline, scheduling order) behind one
 * Node timer armed for the earliest, so calls due at the same deadline run in the order
 * they were scheduled, as Tornado's. Cancelled entries are dropped lazily (and swept when
 * they outnumber the live ones), as Tornado's.
 */
class TimeoutQueue {
  #heap: Entry[] = [];
  #sequence = 0;
  #cancelled = 0;
  #timer: NodeJS.Timeout | undefined;
  #armedFor = Number.POSITIVE_INFINITY;
  readonly #loop: IOLoop;

  constructor(loop: IOLoop) {
    this.#loop = loop;
  }

  #onCancel(entry: Entry): void {
    this.#cancelled += 1;
    if (this.#heap[0] === entry) this.#arm();
    else if (this.#cancelled > 512 && this.#cancelled * 2 > this.#heap.length) this.#sweep();
  }

  add(deadline: number, fn: Callback, args: readonly unknown[]): TimeoutHandle {
    const handle = new TimeoutHandle(deadline, () => this.#onCancel(entry));
    const entry: Entry = { deadline, sequence: this.#sequence++, fn, args, handle };
    const heap = this.#heap;
    heap.push(entry);
    let index = heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!before(entry, heap[parent]!)) break;
      heap[index] = heap[parent]!;
      index = parent;
    }
    heap[index] = entry;
    if (index === 0) this.#arm();
    return handle;
  }

  #pop(): Entry {
    const heap = this.#heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let index = 0;
      while (true) {
        const left = index * 2 + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child = right < heap.length && before(heap[right]!, heap[left]!) ? right : left;
        if (!before(heap[child]!, last)) break;
        heap[index] = heap[child]!;
        index = child;
      }
      heap[index] = last;
    }
    if (top.handle.cancelled) this.#cancelled -= 1;
    return top;
  }

  #sweep(): void {
    const live = this.#heap.filter((entry) => entry.handle.pending);
    live.sort((a, b) => (before(a, b) ? -1 : 1));
    this.#heap = live;
    this.#cancelled = 0;
  }

  /** Points the Node timer at the earliest live deadline (or stops it when none is left). */
  #arm(): void {
    while (this.#heap.length > 0 && !this.#heap[0]!.handle.pending) this.#pop();
    const top = this.#heap[0];
    if (top === undefined) {
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#armedFor = Number.POSITIVE_INFINITY;
      return;
    }
    if (this.#timer !== undefined && this.#armedFor === top.deadline) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    // Node clamps delays above 2^31 - 1 ms to 1 ms: wait in steps instead.
    const delayMs = Math.min(MAX_TIMER_MS, Math.max(0, (top.deadline - this.#loop.time()) * 1000));
    this.#armedFor = top.deadline;
    this.#timer = setTimeout(this.#fire, delayMs);
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    this.#armedFor = Number.POSITIVE_INFINITY;
    // Node timers can fire a little early (they count from the loop's cached clock): what
    // is not due yet is re-armed below.
    const now = this.#loop.time();
    const due: Entry[] = [];
    while (this.#heap.length > 0 && (!this.#heap[0]!.handle.pending || this.#heap[0]!.deadline <= now)) {
      const entry = this.#pop();
      if (entry.handle.pending) due.push(entry);
    }
    // A call may cancel another one due now: markDone() then refuses it.
    for (const entry of due) if (markDone(entry.handle)) runCallback(entry.fn, entry.args);
    this.#arm();
  };
}

/**
 * The event loop, as Tornado's `IOLoop`. Node runs its loop by itself, so this is a
 * facade: {@link start} keeps the process alive until {@link stop} is called, and the
 * scheduling methods map to Node timers with Tornado's units (seconds). Every callback is
 * wrapped so an exception it throws (or a rejection of the promise it returns) is logged
 * through `appLog` and never crashes the process.
 *
 * Pending timers keep the process alive, as any Node timer does; remove them with
 * {@link removeTimeout} when they are no longer wanted.
 *
 * @example
 * const loop = IOLoop.current();
 * const handle = loop.callLater(1.5, () => appLog.info("later"));
 * loop.removeTimeout(handle);
 */
export class IOLoop {
  static #current: IOLoop | undefined;

  #keepAlive: NodeJS.Timeout | undefined;
  #resolveStart: (() => void) | undefined;
  #started: Promise<void> | undefined;
  #executor: Executor | undefined;
  #timeouts = new TimeoutQueue(this);

  /** The loop of this thread, created on first use. Tornado: `IOLoop.current()`. */
  static current(): IOLoop {
    IOLoop.#current ??= new IOLoop();
    return IOLoop.#current;
  }

  /**
   * Runs until {@link stop} is called: keeps the process alive and resolves then.
   * Calling it while already started returns the same promise.
   */
  start(): Promise<void> {
    this.#started ??= new Promise<void>((resolve) => {
      this.#resolveStart = resolve;
      this.#keepAlive = setInterval(() => undefined, 1 << 30);
    });
    return this.#started;
  }

  /** Ends {@link start}: its promise resolves and the loop no longer keeps the process alive. */
  stop(): void {
    if (this.#keepAlive) clearInterval(this.#keepAlive);
    this.#keepAlive = undefined;
    this.#started = undefined;
    const resolve = this.#resolveStart;
    this.#resolveStart = undefined;
    resolve?.();
  }

  /** True between {@link start} and {@link stop}. */
  get running(): boolean {
    return this.#started !== undefined;
  }

  /**
   * The loop's clock: seconds from a fixed point, monotonic (never jumps with the wall
   * clock), with sub-millisecond precision. Deadlines given to {@link callAt} and
   * {@link addTimeout} are on this clock. Tornado: `IOLoop.time()` (`time.monotonic()`).
   * Override this to run the loop's timers on another clock.
   */
  time(): number {
    return performance.now() / 1000;
  }

  /**
   * Calls `fn(...args)` on the next iteration of the event loop, after the current
   * callbacks (callbacks run in the order they were added). Tornado: `add_callback`.
   */
  addCallback<A extends unknown[]>(fn: (...args: A) => unknown, ...args: A): void {
    setImmediate(runCallback, fn, args);
  }

  /**
   * Like {@link addCallback}: runs `fn` on the next iteration, detached from the caller;
   * a failure is logged, never propagated. Tornado: `spawn_callback`.
   */
  spawnCallback<A extends unknown[]>(fn: (...args: A) => unknown, ...args: A): void {
    setImmediate(runCallback, fn, args);
  }

  /**
   * Calls `callback(promise)` on the loop once `promise` settles, whichever way; the
   * callback inspects the promise itself. Tornado: `add_future`.
   */
  addFuture<T>(promise: PromiseLike<T>, callback: (promise: Promise<T>) => unknown): void {
    const settled = Promise.resolve(promise);
    settled.then(
      () => this.addCallback(callback, settled),
      () => this.addCallback(callback, settled),
    );
  }

  /**
   * Calls `fn(...args)` `delaySeconds` from now. Returns a handle for {@link removeTimeout}.
   * Tornado: `call_later`.
   */
  callLater<A extends unknown[]>(delaySeconds: number, fn: (...args: A) => unknown, ...args: A): TimeoutHandle {
    return this.#timeouts.add(this.time() + checkSeconds(delaySeconds, "delaySeconds"), fn, args);
  }

  /**
   * Calls `fn(...args)` at `when`, a deadline on the {@link time} clock (seconds).
   * Tornado: `call_at`.
   */
  callAt<A extends unknown[]>(when: number, fn: (...args: A) => unknown, ...args: A): TimeoutHandle {
    return this.#timeouts.add(checkDeadline(when), fn, args);
  }

  /**
   * Calls `fn(...args)` at `deadline`, seconds on the {@link time} clock
   * (`loop.time() + 5` is five seconds from now). Tornado: `add_timeout` with a number;
   * for a relative delay use {@link callLater}.
   */
  addTimeout<A extends unknown[]>(deadline: number, fn: (...args: A) => unknown, ...args: A): TimeoutHandle {
    return this.#timeouts.add(checkDeadline(deadline), fn, args);
  }

  /**
   * Cancels a call scheduled with {@link callLater}, {@link callAt} or {@link addTimeout}.
   * Safe to call after the call ran or was already removed. Tornado: `remove_timeout`.
   */
  removeTimeout(handle: TimeoutHandle | null | undefined): void {
    handle?.cancel();
  }

  /**
   * Starts the loop, runs `fn` (sync or async) and stops the loop when it finishes,
   * resolving with its result. With `timeoutSeconds`, rejects with {@link TimeoutError}
   * if `fn` has not finished by then (the work itself keeps running: promises cannot be
   * cancelled). Meant as the entry point of a script: `await IOLoop.current().runSync(main)`.
   * Tornado: `run_sync` (which blocks; here the promise is what you wait on).
   * @throws InvalidStateError when the loop is already running.
   */
  async runSync<T>(fn: () => T | PromiseLike<T>, timeoutSeconds?: number): Promise<Awaited<T>> {
    if (this.running) {
      throw new InvalidStateError("IOLoop is already running: await the function directly instead of runSync()");
    }
    void this.start();
    let timer: TimeoutHandle | undefined;
    try {
      const work = Promise.resolve().then(fn);
      if (timeoutSeconds === undefined) return await work;
      const timeout = new Promise<never>((_, reject) => {
        timer = this.callLater(timeoutSeconds, () =>
          reject(new TimeoutError(`Operation timed out after ${timeoutSeconds} seconds`)),
        );
      });
      work.catch(() => undefined);
      return await Promise.race([work, timeout]);
    } finally {
      this.removeTimeout(timer);
      this.stop();
    }
  }

  /**
   * Runs `fn(...args)` on `executor` (the default executor when `null`/`undefined`,
   * see {@link setDefaultExecutor}) and resolves with its result. Tornado: `run_in_executor`.
   *
   * The default executor is Typhoon's worker-thread pool: give it a {@link WorkerTask}
   * (`{ moduleUrl, exportName }`) to run CPU-heavy work off the event loop. A plain
   * function cannot move to another thread (its closure stays here), so the default
   * executor runs it on this loop in a microtask — use it for code that must look like
   * Tornado's, not for blocking work; for that, use a `WorkerTask` or {@link runInWorker}.
   *
   * @example
   * const digest = await IOLoop.current().runInExecutor(null,
   *   { moduleUrl: new URL("./hash.js", import.meta.url), exportName: "sha256" }, data);
   */
  runInExecutor<A extends unknown[], R>(
    executor: Executor | null | undefined,
    fn: (...args: A) => R,
    ...args: A
  ): Promise<Awaited<R>>;
  runInExecutor<R = unknown>(executor: Executor | null | undefined, task: WorkerTask, ...args: unknown[]): Promise<R>;
  runInExecutor(
    executor: Executor | null | undefined,
    fn: ((...args: unknown[]) => unknown) | WorkerTask,
    ...args: unknown[]
  ): Promise<unknown> {
    const target = executor ?? this.#executor ?? defaultExecutor();
    return target.submit(fn, ...args);
  }

  /**
   * Replaces the executor {@link runInExecutor} uses when given `null`; `null` restores
   * the worker-thread pool. Tornado: `set_default_executor`.
   */
  setDefaultExecutor(executor: Executor | null): void {
    this.#executor = executor ?? undefined;
  }
}

function checkSeconds(value: number, name: string): number {
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new InvalidArgumentError(`${name} must be a number of seconds, got ${String(value)}`);
  }
  return value;
}

function checkDeadline(value: number): number {
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new InvalidArgumentError(
      `deadline must be a number of seconds on IOLoop.time()'s clock (e.g. loop.time() + 5), got ${String(value)}`,
    );
  }
  return value;
}

/**
 * Schedules `fn` when `timeout` (seconds from now, or `{ deadline }` on the loop's clock)
 * expires; `null`/`undefined` schedules nothing. Shared by gen, locks and queues.
 */
export function scheduleTimeout(timeout: Timeout | null | undefined, fn: () => void): TimeoutHandle | undefined {
  if (timeout === null || timeout === undefined) return undefined;
  const loop = IOLoop.current();
  if (typeof timeout === "number") return loop.callLater(timeout, fn);
  if (typeof timeout === "object" && typeof timeout.deadline === "number") return loop.addTimeout(timeout.deadline, fn);
  throw new InvalidArgumentError(
    `a timeout is a number of seconds or { deadline } on IOLoop.time()'s clock, got ${String(timeout)}`,
  );
}

/**
 * Calls `callback` every `callbackTimeMs` milliseconds while started. Unlike Tornado's
 * other APIs the period is in milliseconds, as in Tornado. The period is measured from
 * the start of one call to the start of the next; when a call (or the process) overruns,
 * the missed runs are skipped to get back on the original schedule, never run in a burst.
 * An async callback is awaited before the next run is scheduled. Exceptions are logged
 * through `appLog` and do not stop the timer.
 *
 * `jitter` (0–1) spreads runs randomly by ±`jitter / 2` of the period, so many
 * processes polling the same thing do not fire in step.
 *
 * @example
 * const poller = new PeriodicCallback(async () => { await refreshCache(); }, 30_000, 0.1);
 * poller.start();
 */
export class PeriodicCallback {
  /** The function called on each run. */
  readonly callback: () => unknown;
  /** The period, in milliseconds. */
  readonly callbackTime: number;
  /** Fraction of the period by which runs are randomly spread. */
  readonly jitter: number;
  #running = false;
  #loop: IOLoop | undefined;
  #timeout: TimeoutHandle | undefined;
  #nextTimeout = 0;

  constructor(callback: () => unknown, callbackTimeMs: number, jitter = 0) {
    if (!(callbackTimeMs > 0) || !Number.isFinite(callbackTimeMs)) {
      throw new InvalidArgumentError(
        `PeriodicCallback needs a positive callbackTimeMs (milliseconds), got ${String(callbackTimeMs)}`,
      );
    }
    this.callback = callback;
    this.callbackTime = callbackTimeMs;
    this.jitter = jitter;
  }

  /** Starts the timer: the first run is one period from now. */
  start(): void {
    this.#loop = IOLoop.current();
    this.#running = true;
    this.#nextTimeout = this.#loop.time();
    this.#scheduleNext();
  }

  /** Stops the timer; a run in progress finishes but no further run is scheduled. */
  stop(): void {
    this.#running = false;
    if (this.#timeout !== undefined) {
      this.#loop?.removeTimeout(this.#timeout);
      this.#timeout = undefined;
    }
  }

  /** True between {@link start} and {@link stop}. Tornado: `is_running`. */
  isRunning(): boolean {
    return this.#running;
  }

  #run = async (): Promise<void> => {
    if (!this.#running) return;
    try {
      await this.callback();
    } catch (error) {
      appLog.error(
        "Exception in callback %s",
        callbackName(this.callback),
        error instanceof Error ? error : new Error(String(error)),
      );
    } finally {
      this.#scheduleNext();
    }
  };

  #scheduleNext(): void {
    if (!this.#running || this.#loop === undefined) return;
    this.#updateNext(this.#loop.time());
    this.#timeout = this.#loop.addTimeout(this.#nextTimeout, this.#run);
  }

  #updateNext(currentTime: number): void {
    let period = this.callbackTime / 1000;
    if (this.jitter) period *= 1 + this.jitter * (Math.random() - 0.5);
    if (this.#nextTimeout <= currentTime) {
      // Skip whole periods to get back to a multiple of the original schedule.
      this.#nextTimeout += (Math.floor((currentTime - this.#nextTimeout) / period) + 1) * period;
    } else {
      // The clock moved backwards: still advance, never recompute the same deadline.
      this.#nextTimeout += period;
    }
  }
}
