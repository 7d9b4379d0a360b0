// Tests of the worker-thread pool behind runInWorker and IOLoop.runInExecutor (beyond Tornado,
// whose counterpart is run_in_executor with a ThreadPoolExecutor: tornado/test/ioloop_test.py::TestIOLoopFutures).
// The task module is TypeScript: the tests run under tsx, so this checks workers load .ts modules.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import {
  defaultExecutor,
  gen,
  InvalidArgumentError,
  IOLoop,
  InvalidStateError,
  runInWorker,
  TimeoutError,
  transferable,
  TyphoonError,
  WorkerCrashedError,
  WorkerPool,
} from "typhoon";

const tasks = new URL("./fixtures/worker-tasks.ts", import.meta.url);

void describe("runInWorker", () => {
  void test("the shared pool has one thread per core", () => {
    assert.equal(defaultExecutor().size, availableParallelism());
  });

  void test("runs an exported function of a TypeScript module on a worker thread", async () => {
    assert.equal(await runInWorker<number>(tasks, "fib", 20), 6765);
    assert.notEqual(await runInWorker<number>(tasks, "whichThread"), 0, "runs off the main thread");
  });

  void test("awaits an async task", async () => {
    assert.equal(await runInWorker<number>(tasks, "delayedDouble", 21), 42);
  });

  void test("accepts a module URL string or an absolute path", async () => {
    assert.equal(await runInWorker<number>(tasks.href, "fib", 10), 55);
    assert.equal(await runInWorker<number>(fileURLToPath(tasks), "fib", 10), 55);
  });

  void test("refuses a relative module path, which would depend on the working directory", async () => {
    await assert.rejects(runInWorker("./tasks.js", "fib", 1), (error: unknown) => {
      assert.ok(error instanceof InvalidArgumentError, "error instanceof InvalidArgumentError");
      assert.match(error.message, /import\.meta\.url/);
      return true;
    });
  });

  void test("a task's error rejects the call with its name, message and code", async () => {
    await assert.rejects(runInWorker(tasks, "fail", "bad input"), (error: unknown) => {
      assert.ok(error instanceof Error, "error instanceof Error");
      assert.equal(error.name, "RangeError");
      assert.equal(error.message, "bad input");
      assert.equal((error as Error & { code?: string }).code, "E_TASK_FAILED");
      assert.match(error.stack ?? "", /worker-tasks/);
      return true;
    });
  });

  void test("an unknown export or a non-function export is reported clearly", async () => {
    await assert.rejects(runInWorker(tasks, "missing"), /has no exported function named "missing"/);
    await assert.rejects(runInWorker(tasks, "notAFunction"), /has no exported function named "notAFunction"/);
  });

  void test("arguments that cannot be cloned are refused for that call only", async () => {
    await assert.rejects(runInWorker(tasks, "describe", () => undefined), (error: unknown) => {
      assert.ok(error instanceof InvalidArgumentError, "error instanceof InvalidArgumentError");
      assert.match(error.message, /cannot send the arguments of describe\(\)/);
      return true;
    });
    await assert.rejects(runInWorker(tasks, "returnFunction"), /cannot be sent back/);
    assert.equal(await runInWorker<number>(tasks, "fib", 5), 5);
  });

  void test("the event loop keeps running while a worker computes", async () => {
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 1);
    try {
      await runInWorker(tasks, "busy", 150);
    } finally {
      clearInterval(ticker);
    }
    assert.ok(ticks > 5, `the main thread kept serving timers (${ticks} ticks)`);
  });
});

// tornado/test/gen_test.py::WithTimeoutTest: a worker call is what Tornado calls a concurrent future.
void describe("gen.withTimeout on worker calls", () => {
  // tornado/test/gen_test.py::WithTimeoutTest::test_timeout_concurrent_future
  void test("a call that does not finish before the deadline times out", async () => {
    const call = runInWorker(tasks, "busy", 100);
    await assert.rejects(gen.withTimeout({ deadline: IOLoop.current().time() }, call), TimeoutError);
    await call;
  });

  // tornado/test/gen_test.py::WithTimeoutTest::test_completed_concurrent_future
  void test("a call that already finished passes through", async () => {
    const call = runInWorker<number>(tasks, "fib", 5);
    await call;
    assert.equal(await gen.withTimeout(3600, call), 5);
  });

  // tornado/test/gen_test.py::WithTimeoutTest::test_normal_concurrent_future
  void test("a call that finishes while waiting resolves", async () => {
    assert.ok((await gen.withTimeout(3600, runInWorker<number>(tasks, "busy", 10))) > 0, "busy() counts its spins");
  });
});

void describe("moving buffers", () => {
  void test("a Buffer argument arrives as a Buffer", async () => {
    const result = await runInWorker<{ isBuffer: boolean; text: string }>(tasks, "describe", Buffer.from("hello"));
    assert.deepEqual(result, { isBuffer: true, length: 5, text: "hello" });
  });

  void test("a transferable Buffer that owns its memory moves without a copy: the sender's is emptied", async () => {
    const buffer = Buffer.alloc(64 * 1024, 1);
    const result = await runInWorker<{ isBuffer: boolean; length: number }>(tasks, "describe", transferable(buffer));
    assert.equal(result.length, 64 * 1024);
    assert.equal(result.isBuffer, true);
    assert.equal(buffer.length, 0, "the memory moved to the worker");
  });

  void test("a transferable ArrayBuffer moves too", async () => {
    const memory = new ArrayBuffer(1024);
    await runInWorker(tasks, "describe", transferable(memory));
    assert.equal(memory.byteLength, 0);
  });

  void test("a small pooled Buffer is copied, so the Buffers sharing its memory stay intact", async () => {
    const neighbour = Buffer.from("neighbour");
    const small = Buffer.from("small");
    assert.equal(small.buffer, neighbour.buffer, "both come from Node's Buffer pool");
    const result = await runInWorker<{ text: string }>(tasks, "describe", transferable(small));
    assert.equal(result.text, "small");
    assert.equal(neighbour.toString(), "neighbour");
    assert.equal(small.toString(), "small");
  });

  void test("a Buffer result comes back as a Buffer, moved when the task marks it", async () => {
    const copied = await runInWorker<Buffer>(tasks, "makeBuffer", 1000, false);
    const moved = await runInWorker<Buffer>(tasks, "makeBuffer", 100_000, true);
    assert.ok(Buffer.isBuffer(copied), "Buffer.isBuffer(copied)");
    assert.ok(Buffer.isBuffer(moved), "Buffer.isBuffer(moved)");
    assert.equal(copied.length, 1000);
    assert.equal(moved.length, 100_000);
    assert.equal(moved[99_999], 7);
  });
});

void describe("WorkerPool", () => {
  const pool = new WorkerPool({ size: 1 });
  after(() => pool.close());

  void test("a crashing worker rejects its call only, and the pool recovers", async () => {
    await assert.rejects(pool.run(tasks, "exitThread", 3), (error: unknown) => {
      assert.ok(error instanceof WorkerCrashedError, "error instanceof WorkerCrashedError");
      assert.ok(error instanceof TyphoonError, "error instanceof TyphoonError");
      assert.equal(error.code, "TYPHOON_ERR_WORKER_CRASHED");
      assert.match(error.message, /exitThread\(\).*exited with code 3; the pool replaced it/);
      return true;
    });
    assert.equal(await pool.run<number>(tasks, "fib", 12), 144);
  });

  void test("an uncaught error inside a worker crashes only that call", async () => {
    const queued = pool.run<number>(tasks, "fib", 11);
    await assert.rejects(pool.run(tasks, "throwLater"), (error: unknown) => {
      assert.ok(error instanceof WorkerCrashedError, "error instanceof WorkerCrashedError");
      assert.match(error.message, /uncaught Error: thrown outside the task/);
      return true;
    });
    assert.equal(await queued, 89, "the task queued before the crash still ran");
    assert.equal(await pool.run<number>(tasks, "fib", 10), 55);
  });

  void test("tasks beyond the pool size wait their turn on the same thread", async () => {
    const threads = await Promise.all([1, 2, 3, 4].map(() => pool.run<number>(tasks, "whichThread")));
    assert.equal(new Set(threads).size, 1);
    assert.equal(pool.threadCount, 1);
    assert.equal(pool.size, 1);
  });

  void test("submit runs worker tasks on a thread and plain functions in a microtask", async () => {
    assert.equal(await pool.submit({ moduleUrl: tasks, exportName: "fib" }, 9), 34);
    let ranSynchronously = true;
    const result = pool.submit((n: number) => {
      assert.equal(ranSynchronously, false);
      return n + 1;
    }, 1);
    ranSynchronously = false;
    assert.equal(await result, 2);
    await assert.rejects(pool.submit({ wrong: true } as never), InvalidArgumentError);
  });

  void test("close rejects queued work and refuses new work", async () => {
    const closing = new WorkerPool({ size: 1 });
    const running = closing.run(tasks, "busy", 200);
    const queued = closing.run(tasks, "fib", 5);
    for (const call of [running, queued]) call.catch(() => undefined); // checked below
    await closing.close();
    await assert.rejects(running, InvalidStateError);
    await assert.rejects(queued, /closed before the task ran/);
    await assert.rejects(closing.run(tasks, "fib", 5), (error: unknown) => {
      assert.ok(error instanceof InvalidStateError, "error instanceof InvalidStateError");
      assert.equal(error.code, "TYPHOON_ERR_POOL_CLOSED");
      return true;
    });
  });

  void test("refuses a size that is not a positive integer", () => {
    assert.throws(() => new WorkerPool({ size: 0 }), InvalidArgumentError);
    assert.throws(() => new WorkerPool({ size: 1.5 }), InvalidArgumentError);
  });
});
