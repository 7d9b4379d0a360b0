// Ports tornado.locks: Condition, Event, Semaphore, BoundedSemaphore and Lock for coroutines.

import { InvalidArgumentError, InvalidStateError } from "../util/errors.js";
import { scheduleTimeout, type TimeoutHandle } from "./ioloop.js";
import { TimeoutError, type Timeout } from "./timeout.js";

/** One pending `wait`/`acquire`: settled once, by a wake-up or by its timeout. */
interface Waiter<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
  timer: TimeoutHandle | undefined;
}

/**
 * Adds a waiter to `waiters` (a Set keeps FIFO order and removes in O(1)) and returns its
 * promise. When `timeout` expires first, the waiter leaves the set and `onTimeout` settles it.
 */
function addWaiter<T>(
  waiters: Set<Waiter<T>>,
  timeout: Timeout | null | undefined,
  onTimeout: (waiter: Waiter<T>) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const waiter: Waiter<T> = { resolve, reject, timer: undefined };
    waiters.add(waiter);
    waiter.timer = scheduleTimeout(timeout, () => {
      if (waiters.delete(waiter)) onTimeout(waiter);
    });
  });
}

/** Removes and wakes the first waiter of `waiters` with `value`; false when there is none. */
function wakeFirst<T>(waiters: Set<Waiter<T>>, value: T): boolean {
  for (const waiter of waiters) {
    waiters.delete(waiter);
    waiter.timer?.cancel();
    waiter.resolve(value);
    return true;
  }
  return false;
}

/**
 * Lets coroutines wait until another one notifies them. Tornado: `tornado.locks.Condition`.
 *
 * @example
 * const condition = new Condition();
 * async function waiter() { await condition.wait(); appLog.info("woken"); }
 * async function notifier() { condition.notify(); }
 */
export class Condition {
  #waiters = new Set<Waiter<boolean>>();

  /**
   * Waits for {@link notify}. Resolves `true` when notified, `false` when `timeout`
   * (seconds, or `{ deadline }`) expired first.
   */
  wait(timeout?: Timeout | null): Promise<boolean> {
    return addWaiter(this.#waiters, timeout, (waiter) => waiter.resolve(false));
  }

  /** Wakes up to `n` waiters, oldest first. */
  notify(n = 1): void {
    const woken: Array<Waiter<boolean>> = [];
    for (const waiter of this.#waiters) {
      if (woken.length >= n) break;
      woken.push(waiter);
    }
    for (const waiter of woken) {
      this.#waiters.delete(waiter);
      waiter.timer?.cancel();
      waiter.resolve(true);
    }
  }

  /** Wakes every waiter. Tornado: `notify_all`. */
  notifyAll(): void {
    this.notify(this.#waiters.size);
  }

  /** `<Condition>` or `<Condition waiters[n]>`, as Tornado's repr. */
  toString(): string {
    return this.#waiters.size > 0 ? `<Condition waiters[${this.#waiters.size}]>` : "<Condition>";
  }
}

/**
 * A flag coroutines can wait for: {@link wait} blocks until {@link set} is called, and
 * returns at once while the flag is set. Tornado: `tornado.locks.Event`.
 */
export class Event {
  #value = false;
  #waiters = new Set<Waiter<void>>();

  /** True while the flag is set. Tornado: `is_set`. */
  isSet(): boolean {
    return this.#value;
  }

  /** Sets the flag and wakes every waiter; later {@link wait} calls return at once. */
  set(): void {
    if (this.#value) return;
    this.#value = true;
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const waiter of waiters) {
      waiter.timer?.cancel();
      waiter.resolve();
    }
  }

  /** Clears the flag: later {@link wait} calls block until {@link set}. */
  clear(): void {
    this.#value = false;
  }

  /**
   * Resolves when the flag is set (at once if it already is). Rejects with
   * {@link TimeoutError} when `timeout` (seconds, or `{ deadline }`) expires first.
   */
  wait(timeout?: Timeout | null): Promise<void> {
    if (this.#value) return Promise.resolve();
    return addWaiter(this.#waiters, timeout, (waiter) => waiter.reject(new TimeoutError()));
  }

  /** `<Event set>` or `<Event clear>`, as Tornado's repr. */
  toString(): string {
    return `<Event ${this.#value ? "set" : "clear"}>`;
  }
}

/**
 * What {@link Semaphore.acquire} and {@link Lock.acquire} resolve with: releases what was
 * acquired, once. Use it with `using` so the release happens however the block exits
 * (Tornado: `with (yield sem.acquire()):` / `async with sem:`).
 *
 * @example
 * {
 *   using _held = await lock.acquire();
 *   await doCriticalWork();
 * } // released here, even if doCriticalWork() threw
 */
export class Releaser implements Disposable, AsyncDisposable {
  #release: (() => void) | undefined;

  /** @internal Created by Semaphore and Lock. */
  constructor(release: () => void) {
    this.#release = release;
  }

  /** Releases what was acquired; calling it again does nothing. */
  release(): void {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }

  /** Releases on leaving a `using` block. */
  [Symbol.dispose](): void {
    this.release();
  }

  /** Releases on leaving an `await using` block. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.release();
  }
}

/**
 * A counter of available slots: {@link acquire} takes one (waiting while there is none),
 * {@link release} gives one back. Limits how many coroutines use a resource at once.
 * Tornado: `tornado.locks.Semaphore`.
 *
 * @example
 * const slots = new Semaphore(2);
 * async function worker() {
 *   using _slot = await slots.acquire();
 *   await useResource();
 * }
 */
export class Semaphore {
  #value: number;
  #waiters = new Set<Waiter<Releaser>>();

  constructor(value = 1) {
    if (!Number.isInteger(value) || value < 0) {
      throw new InvalidArgumentError(`semaphore initial value must be an integer >= 0, got ${String(value)}`);
    }
    this.#value = value;
  }

  /** Slots currently free. */
  get value(): number {
    return this.#value;
  }

  /** Gives a slot back and wakes the oldest waiter, if any. */
  release(): void {
    this.#value += 1;
    if (this.#waiters.size > 0) {
      this.#value -= 1;
      wakeFirst(this.#waiters, this.#releaser());
    }
  }

  /**
   * Takes a slot, waiting for one if needed. Resolves with a {@link Releaser} (use it
   * with `using`, or call {@link release}); rejects with {@link TimeoutError} when
   * `timeout` (seconds, or `{ deadline }`) expires first.
   */
  acquire(timeout?: Timeout | null): Promise<Releaser> {
    if (this.#value > 0) {
      this.#value -= 1;
      return Promise.resolve(this.#releaser());
    }
    return addWaiter(this.#waiters, timeout, (waiter) => waiter.reject(new TimeoutError()));
  }

  #releaser(): Releaser {
    return new Releaser(() => this.release());
  }

  /** `<Semaphore [unlocked,value:n]>` or `<Semaphore [locked,waiters:n]>`, as Tornado's repr. */
  toString(): string {
    const state =
      this.#value === 0 ? "locked" : `unlocked,value:${this.#value}`;
    const waiters = this.#waiters.size > 0 ? `,waiters:${this.#waiters.size}` : "";
    return `<${this.constructor.name} [${state}${waiters}]>`;
  }
}

/**
 * A {@link Semaphore} that refuses to be released more often than it was acquired
 * (a sign of a bug). Tornado: `tornado.locks.BoundedSemaphore`.
 */
export class BoundedSemaphore extends Semaphore {
  readonly #initialValue: number;

  constructor(value = 1) {
    super(value);
    this.#initialValue = value;
  }

  /**
   * Gives a slot back.
   * @throws InvalidStateError (`TYPHOON_ERR_SEMAPHORE_OVER_RELEASED`) when more slots would
   * be free than the initial value.
   */
  override release(): void {
    if (this.value >= this.#initialValue) {
      throw new InvalidStateError(
        "Semaphore released too many times: release() must match a prior acquire()",
        "TYPHOON_ERR_SEMAPHORE_OVER_RELEASED",
      );
    }
    super.release();
  }
}

/**
 * A lock for coroutines: {@link acquire} locks it, waiting (first come, first served)
 * while another holder has it. Tornado: `tornado.locks.Lock`.
 *
 * @example
 * const lock = new Lock();
 * async function update() {
 *   using _held = await lock.acquire();
 *   await readModifyWrite();
 * }
 */
export class Lock {
  #block = new BoundedSemaphore(1);

  /** True while someone holds the lock. */
  get locked(): boolean {
    return this.#block.value === 0;
  }

  /**
   * Locks, waiting while another holder has the lock. Resolves with a {@link Releaser}
   * (use it with `using`, or call {@link release}); rejects with {@link TimeoutError}
   * when `timeout` (seconds, or `{ deadline }`) expires first.
   */
  async acquire(timeout?: Timeout | null): Promise<Releaser> {
    await this.#block.acquire(timeout);
    return new Releaser(() => this.release());
  }

  /**
   * Unlocks; the oldest waiter gets the lock.
   * @throws InvalidStateError (`TYPHOON_ERR_LOCK_NOT_HELD`) when the lock is not locked.
   */
  release(): void {
    if (!this.locked) {
      throw new InvalidStateError("release unlocked lock", "TYPHOON_ERR_LOCK_NOT_HELD");
    }
    this.#block.release();
  }

  /** `<Lock _block=<BoundedSemaphore [...]>>`, as Tornado's repr. */
  toString(): string {
    return `<Lock _block=${this.#block.toString()}>`;
  }
}
