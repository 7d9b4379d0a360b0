// Ports the executor side of tornado.ioloop (run_in_executor's default pool) as a worker-thread pool, with runInWorker.

import { isAbsolute } from "node:path";
import { availableParallelism } from "node:os";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker, type ResourceLimits } from "node:worker_threads";
import { InvalidArgumentError, InvalidStateError, TyphoonError } from "../util/errors.js";

/**
 * A function for another thread, named by where it lives: the URL of an ES module
 * (`new URL("./tasks.js", import.meta.url)`, or an absolute path) and the name of one of
 * its exports. Functions cannot be sent to a thread, module names can.
 */
export interface WorkerTask {
  readonly moduleUrl: string | URL;
  readonly exportName: string;
}

/** Any function: the type `submit` accepts. */
export type AnyFunction = (...args: never) => unknown;

/**
 * Something that runs functions and gives their results back as promises, as Python's
 * `concurrent.futures.Executor`. {@link IOLoop.runInExecutor} takes one; implement it to
 * plug in another pool.
 */
export interface Executor {
  /** Runs `fn(...args)` (a function, or a {@link WorkerTask}) and resolves with its result. */
  submit(fn: AnyFunction | WorkerTask, ...args: unknown[]): Promise<unknown>;
}

/** A worker thread died (an uncaught error, `process.exit`, out of memory) while running a task. Code `TYPHOON_ERR_WORKER_CRASHED`. */
export class WorkerCrashedError extends TyphoonError {
  constructor(message: string, options?: ErrorOptions) {
    super("TYPHOON_ERR_WORKER_CRASHED", message, options);
  }
}

const marked = new WeakSet<object>();

/**
 * Marks an `ArrayBuffer`, `Buffer` or typed array to be moved to (or back from) a worker
 * thread instead of copied; returns the same value. After the call the sender's copy is
 * detached (empty), so mark only data you are done with. A Buffer that shares its memory
 * with others (Node pools Buffers under 4 KiB) is copied into its own memory first, as
 * moving the shared memory would empty the other Buffers. Only arguments themselves (and a
 * task's return value) are looked at, not values nested inside them.
 *
 * @example
 * const digest = await runInWorker(tasksUrl, "sha256", transferable(largeBuffer));
 * // in the task module: return transferable(result);
 */
export function transferable<T extends ArrayBuffer | ArrayBufferView>(value: T): T {
  marked.add(value);
  return value;
}

/** One value ready for `postMessage`: the value to send, what to transfer, and whether it was a Buffer. */
interface Prepared {
  value: unknown;
  transfer: ArrayBuffer | undefined;
  isBuffer: boolean;
}

/** @internal Shared with the worker entry: prepares an argument or result for postMessage. */
export function prepareValue(value: unknown): Prepared {
  const isBuffer = Buffer.isBuffer(value);
  if (value === null || typeof value !== "object" || !marked.has(value)) return { value, transfer: undefined, isBuffer };
  if (value instanceof ArrayBuffer) return { value, transfer: value, isBuffer };
  if (ArrayBuffer.isView(value) && value.buffer instanceof ArrayBuffer) {
    if (value.byteOffset === 0 && value.byteLength === value.buffer.byteLength) {
      return { value, transfer: value.buffer, isBuffer };
    }
    const own = new Uint8Array(value.byteLength);
    own.set(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    return { value: own, transfer: own.buffer, isBuffer };
  }
  return { value, transfer: undefined, isBuffer };
}

/** @internal Shared with the worker entry: turns a received Uint8Array back into the Buffer it was sent as. */
export function restoreValue(value: unknown, isBuffer: boolean): unknown {
  if (isBuffer && value instanceof Uint8Array && !Buffer.isBuffer(value)) {
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  }
  return value;
}

/** @internal The description of an error thrown in a worker, sent back to the caller. */
export interface SerializedError {
  name: string;
  message: string;
  stack: string | undefined;
  props: Record<string, string | number | boolean | null>;
}

/** @internal Rebuilds a worker's error on the calling side, keeping its name, message, stack and simple properties (`code`...). */
export function deserializeError(serialized: SerializedError): Error {
  const error = new Error(serialized.message);
  Object.defineProperty(error, "name", { value: serialized.name, configurable: true, writable: true });
  if (serialized.stack !== undefined) error.stack = serialized.stack;
  Object.assign(error, serialized.props);
  return error;
}

interface Job {
  id: number;
  moduleUrl: string;
  exportName: string;
  args: unknown[];
  bufferArgs: number[];
  transfer: ArrayBuffer[];
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

interface PoolWorker {
  worker: Worker;
  job: Job | undefined;
  exited: boolean;
}

/** @internal The messages between the pool and its workers. */
export interface TaskMessage {
  id: number;
  moduleUrl: string;
  exportName: string;
  args: unknown[];
  bufferArgs: number[];
}

/** @internal */
export type ResultMessage =
  | { id: number; ok: true; value: unknown; isBuffer: boolean }
  | { id: number; ok: false; error: SerializedError };

const RUNNING_FROM_TYPESCRIPT = import.meta.url.endsWith(".ts");
const ENTRY_URL = new URL(`./worker-entry${RUNNING_FROM_TYPESCRIPT ? ".ts" : ".js"}`, import.meta.url).href;

/**
 * The script a worker thread starts with. Node 20 does not apply `--import` loader hooks
 * (tsx) to worker threads, so when the process runs TypeScript the bootstrap registers
 * tsx through its API before importing the entry and the task modules.
 */
const BOOTSTRAP = `const { workerData } = require("node:worker_threads");
(async () => {
  if (workerData.tsxApi) (await import(workerData.tsxApi)).register();
  await import(workerData.entryUrl);
})().catch((error) => setImmediate(() => { throw error; }));`;

const PRELOAD_FLAGS = new Set(["--import", "--require", "-r", "--loader", "--experimental-loader"]);
const SCRIPT_FLAGS = new Set(["-e", "--eval", "-p", "--print"]);
const TYPESCRIPT_PRELOAD = /(^|[/\\@])tsx([/\\]|$)|\.[cm]?tsx?$/;
const MAIN_THREAD_ONLY = /^(-c|--check|-i|--interactive|--test|--test-.*|--watch|--watch-.*|--input-type(=.*)?)$/;

/**
 * The process's Node flags a worker thread can use: loaders for TypeScript (tsx, `.ts`
 * preloads) are left out (the bootstrap registers tsx instead), as are flags that only
 * make sense for the main script (`-e`, `--test`, `--watch`...).
 */
function workerExecArgv(execArgv: readonly string[]): { execArgv: string[]; usesTypeScript: boolean } {
  const kept: string[] = [];
  let usesTypeScript = false;
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    const equals = arg.indexOf("=");
    const name = arg.startsWith("--") && equals > 0 ? arg.slice(0, equals) : arg;
    if (PRELOAD_FLAGS.has(name) || SCRIPT_FLAGS.has(name)) {
      const value = name === arg ? execArgv[++i] ?? "" : arg.slice(equals + 1);
      if (SCRIPT_FLAGS.has(name)) continue;
      if (TYPESCRIPT_PRELOAD.test(value)) {
        usesTypeScript = true;
        continue;
      }
      kept.push(name, value);
      continue;
    }
    if (MAIN_THREAD_ONLY.test(arg)) continue;
    kept.push(arg);
  }
  return { execArgv: kept, usesTypeScript };
}

/** The URL of tsx's registration API, or undefined when tsx cannot be found. */
function findTsxApi(): string | undefined {
  try {
    return import.meta.resolve("tsx/esm/api");
  } catch {
    try {
      return pathToFileURL(createRequire(pathToFileURL(`${process.cwd()}/`)).resolve("tsx/esm/api")).href;
    } catch {
      return undefined;
    }
  }
}

function moduleHref(moduleUrl: string | URL): string {
  if (moduleUrl instanceof URL) return moduleUrl.href;
  if (typeof moduleUrl !== "string" || moduleUrl === "") {
    throw new InvalidArgumentError("moduleUrl must be a URL or an absolute path, e.g. new URL('./tasks.js', import.meta.url)");
  }
  if (/^[a-zA-Z][a-zA-Z\d+.-]+:/.test(moduleUrl)) return moduleUrl;
  if (isAbsolute(moduleUrl)) return pathToFileURL(moduleUrl).href;
  throw new InvalidArgumentError(
    `moduleUrl ${JSON.stringify(moduleUrl)} is relative; pass new URL(${JSON.stringify(moduleUrl)}, import.meta.url) so it does not depend on the working directory`,
  );
}

/** Options of {@link WorkerPool}. */
export interface WorkerPoolOptions {
  /** Number of worker threads at most; default: the number of cores (`os.availableParallelism()`). */
  size?: number;
  /**
   * Node flags of the worker threads; default: the process's own (`process.execArgv`), so
   * `--conditions` and preloads carry over. TypeScript loaders (tsx) are not passed as
   * flags (Node 20 ignores them in worker threads): when the process runs TypeScript,
   * each worker registers tsx itself, so task modules may be `.ts` files.
   */
  execArgv?: string[];
  /** Memory limits of each worker thread (Node's `resourceLimits`). */
  resourceLimits?: ResourceLimits;
}

/**
 * A pool of worker threads running exported functions of ES modules, so CPU-heavy work
 * never blocks the event loop. Threads start on demand up to {@link size}; extra tasks
 * wait in order. Arguments and results are copied with the structured-clone algorithm
 * (mark large buffers with {@link transferable} to move them instead); Buffers arrive as
 * Buffers. An error thrown by a task rejects that call with the same name, message,
 * stack and `code`. A thread that dies (uncaught error, `process.exit`, out of memory)
 * rejects only the call it was running, with {@link WorkerCrashedError}, and is replaced.
 * Idle threads do not keep the process alive.
 *
 * Used as an {@link Executor}, it runs a {@link WorkerTask} on a thread; a plain function
 * runs on the calling thread in a microtask (a closure cannot move to another thread).
 *
 * @example
 * const pool = new WorkerPool({ size: 2 });
 * const n = await pool.run<number>(new URL("./tasks.js", import.meta.url), "fib", 30);
 * await pool.close();
 */
export class WorkerPool implements Executor {
  readonly #size: number;
  readonly #execArgv: string[] | undefined;
  readonly #resourceLimits: ResourceLimits | undefined;
  #workers = new Set<PoolWorker>();
  #idle: PoolWorker[] = [];
  #queue: Job[] = [];
  #nextId = 1;
  #closed = false;

  constructor(options: WorkerPoolOptions = {}) {
    const size = options.size ?? availableParallelism();
    if (!Number.isInteger(size) || size < 1) {
      throw new InvalidArgumentError(`WorkerPool size must be a positive integer, got ${String(options.size)}`);
    }
    this.#size = size;
    this.#execArgv = options.execArgv;
    this.#resourceLimits = options.resourceLimits;
  }

  /** Largest number of threads. */
  get size(): number {
    return this.#size;
  }

  /** Threads currently started (busy or idle). */
  get threadCount(): number {
    return this.#workers.size;
  }

  /**
   * Runs the export `exportName` of the module at `moduleUrl` on a worker thread with
   * `args` and resolves with its (awaited) result.
   */
  run<R = unknown>(moduleUrl: string | URL, exportName: string, ...args: unknown[]): Promise<R> {
    if (this.#closed) {
      return Promise.reject(new InvalidStateError("this WorkerPool was closed: create a new one", "TYPHOON_ERR_POOL_CLOSED"));
    }
    let href: string;
    try {
      href = moduleHref(moduleUrl);
    } catch (error) {
      return Promise.reject(error);
    }
    if (typeof exportName !== "string" || exportName === "") {
      return Promise.reject(new InvalidArgumentError("exportName must name an exported function of the module"));
    }
    const values: unknown[] = [];
    const bufferArgs: number[] = [];
    const transfer: ArrayBuffer[] = [];
    args.forEach((arg, index) => {
      const prepared = prepareValue(arg);
      values.push(prepared.value);
      if (prepared.isBuffer) bufferArgs.push(index);
      if (prepared.transfer !== undefined) transfer.push(prepared.transfer);
    });
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({
        id: this.#nextId++,
        moduleUrl: href,
        exportName,
        args: values,
        bufferArgs,
        transfer,
        resolve: resolve as (value: unknown) => void,
        reject,
      });
      this.#dispatch();
    });
  }

  /**
   * Runs a {@link WorkerTask} on a worker thread; a plain function runs on the calling
   * thread in a microtask. Implements {@link Executor}.
   */
  submit(fn: AnyFunction | WorkerTask, ...args: unknown[]): Promise<unknown> {
    if (typeof fn === "function") {
      return Promise.resolve().then(() => (fn as (...values: unknown[]) => unknown)(...args));
    }
    if (fn === null || typeof fn !== "object" || !("moduleUrl" in fn) || !("exportName" in fn)) {
      return Promise.reject(
        new InvalidArgumentError("submit() takes a function or a { moduleUrl, exportName } worker task"),
      );
    }
    return this.run(fn.moduleUrl, fn.exportName, ...args);
  }

  /**
   * Stops every thread. Tasks still queued or running are rejected; later calls are
   * refused. Python: `Executor.shutdown`.
   */
  async close(): Promise<void> {
    this.#closed = true;
    const closed = new InvalidStateError("the WorkerPool was closed before the task ran", "TYPHOON_ERR_POOL_CLOSED");
    for (const job of this.#queue.splice(0)) job.reject(closed);
    const workers = [...this.#workers];
    this.#workers.clear();
    this.#idle = [];
    await Promise.all(
      workers.map(async (entry) => {
        entry.exited = true;
        entry.job?.reject(new InvalidStateError("the WorkerPool was closed while the task ran", "TYPHOON_ERR_POOL_CLOSED"));
        entry.job = undefined;
        await entry.worker.terminate();
      }),
    );
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      let entry = this.#idle.pop();
      if (entry === undefined) {
        if (this.#workers.size >= this.#size) return;
        try {
          entry = this.#spawn();
        } catch (error) {
          const job = this.#queue.shift()!;
          job.reject(
            new WorkerCrashedError(
              `could not start a worker thread for ${job.exportName}(): ${error instanceof Error ? error.message : String(error)}`,
              { cause: error },
            ),
          );
          continue;
        }
      }
      this.#start(entry, this.#queue.shift()!);
    }
  }

  #start(entry: PoolWorker, job: Job): void {
    entry.job = job;
    entry.worker.ref();
    const message: TaskMessage = {
      id: job.id,
      moduleUrl: job.moduleUrl,
      exportName: job.exportName,
      args: job.args,
      bufferArgs: job.bufferArgs,
    };
    try {
      entry.worker.postMessage(message, job.transfer);
    } catch (error) {
      // An argument that cannot be cloned (a function, a socket...): refuse this call only.
      entry.job = undefined;
      this.#release(entry);
      job.reject(
        new InvalidArgumentError(
          `cannot send the arguments of ${job.exportName}() to a worker thread: ${error instanceof Error ? error.message : String(error)}`,
        ),
      );
    }
  }

  #release(entry: PoolWorker): void {
    if (entry.exited) return;
    entry.worker.unref();
    this.#idle.push(entry);
    this.#dispatch();
  }

  #spawn(): PoolWorker {
    const flags = workerExecArgv(this.#execArgv ?? process.execArgv);
    const tsxApi = RUNNING_FROM_TYPESCRIPT || flags.usesTypeScript ? findTsxApi() : undefined;
    const worker = new Worker(BOOTSTRAP, {
      eval: true,
      execArgv: flags.execArgv,
      workerData: { entryUrl: ENTRY_URL, tsxApi },
      ...(this.#resourceLimits === undefined ? {} : { resourceLimits: this.#resourceLimits }),
    });
    const entry: PoolWorker = { worker, job: undefined, exited: false };
    this.#workers.add(entry);
    worker.on("message", (message: ResultMessage) => {
      const job = entry.job;
      if (job === undefined || job.id !== message.id) return;
      entry.job = undefined;
      if (message.ok) job.resolve(restoreValue(message.value, message.isBuffer));
      else job.reject(deserializeError(message.error));
      this.#release(entry);
    });
    worker.on("messageerror", (error: Error) => {
      const job = entry.job;
      entry.job = undefined;
      job?.reject(new WorkerCrashedError(`the result of ${job.exportName}() could not be received: ${error.message}`, { cause: error }));
      this.#release(entry);
    });
    worker.on("error", (error: Error) => this.#crashed(entry, `threw an uncaught ${error.name}: ${error.message}`, error));
    worker.on("exit", (code: number) => this.#crashed(entry, `exited with code ${code}`, undefined));
    return entry;
  }

  #crashed(entry: PoolWorker, what: string, cause: Error | undefined): void {
    if (entry.exited) return;
    entry.exited = true;
    this.#workers.delete(entry);
    const index = this.#idle.indexOf(entry);
    if (index >= 0) this.#idle.splice(index, 1);
    const job = entry.job;
    entry.job = undefined;
    if (job !== undefined) {
      job.reject(
        new WorkerCrashedError(
          `the worker thread running ${job.exportName}() from ${job.moduleUrl} ${what}; the pool replaced it`,
          cause === undefined ? undefined : { cause },
        ),
      );
    }
    if (cause === undefined) void entry.worker.terminate();
    this.#dispatch();
  }
}

let sharedPool: WorkerPool | undefined;

/**
 * The process-wide pool behind {@link runInWorker} and the default executor of
 * {@link IOLoop.runInExecutor}, created on first use with one thread per core.
 */
export function defaultExecutor(): WorkerPool {
  sharedPool ??= new WorkerPool();
  return sharedPool;
}

/**
 * Runs the export `exportName` of the ES module at `moduleUrl` on the shared worker-thread
 * pool (one thread per core) and resolves with its result, so CPU-heavy work never
 * blocks the event loop. **beyond** Tornado (whose answer is `run_in_executor` with threads).
 * See {@link WorkerPool} for how arguments, results, errors and crashes behave. Task
 * modules may be TypeScript when the process runs under `tsx`.
 *
 * @example
 * // tasks.ts
 * export function fib(n: number): number { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
 * // handler
 * const value = await runInWorker<number>(new URL("./tasks.js", import.meta.url), "fib", 35);
 */
export function runInWorker<R = unknown>(moduleUrl: string | URL, exportName: string, ...args: unknown[]): Promise<R> {
  return defaultExecutor().run<R>(moduleUrl, exportName, ...args);
}
