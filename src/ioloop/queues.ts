// Ports tornado.queues: Queue, PriorityQueue and LifoQueue for coordinating coroutines.

import { InvalidArgumentError, InvalidStateError, TyphoonError } from "../util/errors.js";
import { scheduleTimeout, type TimeoutHandle } from "./ioloop.js";
import { Event } from "./locks.js";
import { TimeoutError, type Timeout } from "./timeout.js";

/** {@link Queue.getNowait} on an empty queue. Code `TYPHOON_ERR_QUEUE_EMPTY`. Tornado: `QueueEmpty`. */
export class QueueEmpty extends TyphoonError {
  constructor(message = "the queue is empty: use get() to wait for an item") {
    super("TYPHOON_ERR_QUEUE_EMPTY", message);
  }
}

/** {@link Queue.putNowait} on a full queue. Code `TYPHOON_ERR_QUEUE_FULL`. Tornado: `QueueFull`. */
export class QueueFull extends TyphoonError {
  constructor(message = "the queue is full: use put() to wait for a free slot") {
    super("TYPHOON_ERR_QUEUE_FULL", message);
  }
}

interface Getter<T> {
  resolve(item: T): void;
  reject(error: unknown): void;
  timer: TimeoutHandle | undefined;
}

interface Putter<T> {
  item: T;
  resolve(): void;
  reject(error: unknown): void;
  timer: TimeoutHandle | undefined;
}

function first<T>(set: Set<T>): T | undefined {
  for (const value of set) return value;
  return undefined;
}

/**
 * A first-in first-out queue for coroutines. {@link get} waits while the queue is empty;
 * with a `maxsize`, {@link put} waits while it is full. {@link join} waits until every
 * item put has been marked done with {@link taskDone}. A queue is an async iterable:
 * `for await (const item of queue)` takes items forever. Tornado: `tornado.queues.Queue`.
 *
 * Override {@link _put}, {@link _get} and {@link _size} to change the order (as
 * {@link PriorityQueue} and {@link LifoQueue} do; Tornado's `_init` is a field initializer
 * of the subclass here).
 *
 * @example
 * const queue = new Queue<string>(100);
 * async function consumer() {
 *   for await (const url of queue) {
 *     try { await crawl(url); } finally { queue.taskDone(); }
 *   }
 * }
 * await queue.put("http://example.com/");
 * await queue.join();
 */
export class Queue<T> implements AsyncIterable<T> {
  readonly #maxsize: number;
  #getters = new Set<Getter<T>>();
  #putters = new Set<Putter<T>>();
  #unfinishedTasks = 0;
  #finished = new Event();

  /** @param maxsize largest number of items held; 0 (default) for no limit. */
  constructor(maxsize = 0) {
    if (typeof maxsize !== "number" || Number.isNaN(maxsize)) {
      throw new InvalidArgumentError(`maxsize must be a number, got ${String(maxsize)}`);
    }
    if (maxsize < 0) throw new InvalidArgumentError("maxsize can't be negative");
    this.#maxsize = maxsize;
    this.#finished.set();
  }

  /** Largest number of items held; 0 means no limit. */
  get maxsize(): number {
    return this.#maxsize;
  }

  /** Number of items in the queue. */
  qsize(): number {
    return this._size();
  }

  /** True when the queue holds no item. */
  empty(): boolean {
    return this._size() === 0;
  }

  /** True when the queue holds `maxsize` items (never, without a `maxsize`). */
  full(): boolean {
    return this.#maxsize !== 0 && this._size() >= this.#maxsize;
  }

  /**
   * Puts an item, waiting for a free slot while the queue is full. Rejects with
   * {@link TimeoutError} when `timeout` (seconds, or `{ deadline }`) expires first.
   */
  put(item: T, timeout?: Timeout | null): Promise<void> {
    try {
      this.putNowait(item);
      return Promise.resolve();
    } catch (error) {
      if (!(error instanceof QueueFull)) return Promise.reject(error);
    }
    return new Promise<void>((resolve, reject) => {
      const putter: Putter<T> = { item, resolve, reject, timer: undefined };
      this.#putters.add(putter);
      putter.timer = scheduleTimeout(timeout, () => {
        if (this.#putters.delete(putter)) reject(new TimeoutError());
      });
    });
  }

  /**
   * Puts an item without waiting.
   * @throws QueueFull when the queue is full.
   */
  putNowait(item: T): void {
    const getter = first(this.#getters);
    if (getter !== undefined) {
      this.#getters.delete(getter);
      getter.timer?.cancel();
      this.#putInternal(item);
      getter.resolve(this._get());
    } else if (this.full()) {
      throw new QueueFull();
    } else {
      this.#putInternal(item);
    }
  }

  /**
   * Removes and returns an item, waiting while the queue is empty. Rejects with
   * {@link TimeoutError} when `timeout` (seconds, or `{ deadline }`) expires first.
   */
  get(timeout?: Timeout | null): Promise<T> {
    if (this.#putters.size > 0 || this._size() > 0) return Promise.resolve(this.getNowait());
    return new Promise<T>((resolve, reject) => {
      const getter: Getter<T> = { resolve, reject, timer: undefined };
      this.#getters.add(getter);
      getter.timer = scheduleTimeout(timeout, () => {
        if (this.#getters.delete(getter)) reject(new TimeoutError());
      });
    });
  }

  /**
   * Removes and returns an item without waiting.
   * @throws QueueEmpty when the queue is empty.
   */
  getNowait(): T {
    const putter = first(this.#putters);
    if (putter !== undefined) {
      this.#putters.delete(putter);
      putter.timer?.cancel();
      this.#putInternal(putter.item);
      putter.resolve();
      return this._get();
    }
    if (this._size() > 0) return this._get();
    throw new QueueEmpty();
  }

  /**
   * Marks one item taken with {@link get} as processed; when every item put has been
   * marked, {@link join} resolves. Tornado: `task_done`.
   * @throws InvalidStateError (`TYPHOON_ERR_TASK_DONE_TOO_MANY`) when called more often
   * than items were put.
   */
  taskDone(): void {
    if (this.#unfinishedTasks <= 0) {
      throw new InvalidStateError("taskDone() called too many times", "TYPHOON_ERR_TASK_DONE_TOO_MANY");
    }
    this.#unfinishedTasks -= 1;
    if (this.#unfinishedTasks === 0) this.#finished.set();
  }

  /**
   * Resolves when every item put has been processed ({@link taskDone}). Rejects with
   * {@link TimeoutError} when `timeout` (seconds, or `{ deadline }`) expires first.
   */
  join(timeout?: Timeout | null): Promise<void> {
    return this.#finished.wait(timeout);
  }

  /** Takes items forever, waiting for each: `for await (const item of queue)`. */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, never, undefined> {
    while (true) yield await this.get();
  }

  #putInternal(item: T): void {
    this.#unfinishedTasks += 1;
    this.#finished.clear();
    this._put(item);
  }

  #items: T[] = [];
  #head = 0;

  /** Override this to count the items of a subclass's storage. */
  protected _size(): number {
    return this.#items.length - this.#head;
  }

  /** Override this to store an item in a subclass's order. */
  protected _put(item: T): void {
    this.#items.push(item);
  }

  /** Override this to take the next item in a subclass's order. */
  protected _get(): T {
    const item = this.#items[this.#head]!;
    this.#items[this.#head] = undefined as T;
    this.#head += 1;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Tornado's `str()` form, e.g. `<Queue maxsize=0 getters[1] tasks=2>`. */
  toString(): string {
    let result = `<${this.constructor.name} maxsize=${this.#maxsize}`;
    if (this.#getters.size > 0) result += ` getters[${this.#getters.size}]`;
    if (this.#putters.size > 0) result += ` putters[${this.#putters.size}]`;
    if (this.#unfinishedTasks > 0) result += ` tasks=${this.#unfinishedTasks}`;
    return `${result}>`;
  }
}

/**
 * Orders two items as Python compares them: numbers and strings naturally, arrays
 * element by element (so `[priority, item]` pairs work as in Tornado's examples).
 */
export function naturalCompare(a: unknown, b: unknown): number {
  if (Array.isArray(a) && Array.isArray(b)) {
    const length = Math.min(a.length, b.length);
    for (let i = 0; i < length; i++) {
      const order = naturalCompare(a[i], b[i]);
      if (order !== 0) return order;
    }
    return a.length - b.length;
  }
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "bigint" && typeof b === "bigint") return a < b ? -1 : a > b ? 1 : 0;
  const left = String(a);
  const right = String(b);
  return left < right ? -1 : left > right ? 1 : 0;
}

/**
 * A {@link Queue} that returns the smallest item first. Items are compared with
 * `compare` (default {@link naturalCompare}: numbers, strings, and `[priority, value]`
 * arrays element by element). Equal items come out in no guaranteed order, as Tornado's.
 * Tornado: `tornado.queues.PriorityQueue`.
 *
 * @example
 * const queue = new PriorityQueue<[number, string]>();
 * queue.putNowait([1, "medium"]);
 * queue.putNowait([0, "high"]);
 * queue.getNowait(); // [0, "high"]
 */
export class PriorityQueue<T> extends Queue<T> {
  #heap: T[] = [];
  readonly #compare: (a: T, b: T) => number;

  constructor(maxsize = 0, compare: (a: T, b: T) => number = naturalCompare) {
    super(maxsize);
    this.#compare = compare;
  }

  protected override _size(): number {
    return this.#heap.length;
  }

  protected override _put(item: T): void {
    const heap = this.#heap;
    heap.push(item);
    let index = heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (this.#compare(heap[index]!, heap[parent]!) >= 0) break;
      [heap[index], heap[parent]] = [heap[parent]!, heap[index]!];
      index = parent;
    }
  }

  protected override _get(): T {
    const heap = this.#heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let index = 0;
      while (true) {
        const left = index * 2 + 1;
        const right = left + 1;
        let smallest = index;
        if (left < heap.length && this.#compare(heap[left]!, heap[smallest]!) < 0) smallest = left;
        if (right < heap.length && this.#compare(heap[right]!, heap[smallest]!) < 0) smallest = right;
        if (smallest === index) break;
        [heap[index], heap[smallest]] = [heap[smallest]!, heap[index]!];
        index = smallest;
      }
    }
    return top;
  }
}

/** A {@link Queue} that returns the most recently put item first. Tornado: `tornado.queues.LifoQueue`. */
export class LifoQueue<T> extends Queue<T> {
  #stack: T[] = [];

  protected override _size(): number {
    return this.#stack.length;
  }

  protected override _put(item: T): void {
    this.#stack.push(item);
  }

  protected override _get(): T {
    return this.#stack.pop()!;
  }
}
