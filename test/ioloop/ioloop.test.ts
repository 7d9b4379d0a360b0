// Tests of IOLoop and PeriodicCallback; mirrors tornado/test/ioloop_test.py.
import assert from "node:assert/strict";
import { describe, test, type TestContext } from "node:test";
import {
  appLog,
  gen,
  InvalidArgumentError,
  InvalidStateError,
  IOLoop,
  PeriodicCallback,
  TimeoutError,
  WorkerPool,
  type Executor,
  type TimeoutHandle,
} from "typhoon";
import { expectLog } from "./expect-log.js";

const tasks = new URL("./fixtures/worker-tasks.ts", import.meta.url);

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

void describe("IOLoop", () => {
  // tornado/test/ioloop_test.py::TestIOLoopCurrent::test_default_current
  void test("current() returns one loop per thread", () => {
    assert.equal(IOLoop.current(), IOLoop.current());
  });

  void test("addCallback runs callbacks later, in the order added, with their arguments", async () => {
    const loop = IOLoop.current();
    const calls: string[] = [];
    loop.addCallback((name: string) => calls.push(name), "a");
    loop.spawnCallback((name: string, n: number) => calls.push(`${name}${n}`), "b", 2);
    loop.addCallback(() => calls.push("c"));
    calls.push("sync");
    await nextTurn();
    assert.deepEqual(calls, ["sync", "a", "b2", "c"]);
  });

  // tornado/test/ioloop_test.py::TestIOLoop::test_add_callback_return_sequence
  void test("a callback returning {} or [] is run once, not rescheduled", async (t) => {
    const loop = IOLoop.current();
    const added = t.mock.method(loop, "addCallback");
    let runs = 0;
    loop.addCallback(() => {
      runs++;
      return {};
    });
    loop.addCallback(() => {
      runs++;
      return [];
    });
    await gen.sleep(0.05);
    assert.equal(runs, 2);
    assert.equal(added.mock.callCount(), 2, "nothing re-added a callback");
  });

  // tornado/test/ioloop_test.py::TestIOLoop::test_timeout_with_arguments
  void test("callLater, callAt and addTimeout pass their arguments", async () => {
    const loop = IOLoop.current();
    const results: number[] = [];
    await new Promise<void>((resolve) => {
      loop.addTimeout(loop.time(), (n: number) => results.push(n), 1);
      loop.callLater(0, (n: number) => results.push(n), 2);
      loop.callAt(loop.time(), (n: number) => results.push(n), 3);
      loop.callLater(0.01, resolve);
    });
    assert.deepEqual(results.sort(), [1, 2, 3]);
  });

  void test("timeouts fire in deadline order", async () => {
    const loop = IOLoop.current();
    const order: string[] = [];
    await new Promise<void>((resolve) => {
      loop.callLater(0.03, () => {
        order.push("late");
        resolve();
      });
      loop.callLater(0.01, () => order.push("early"));
    });
    assert.deepEqual(order, ["early", "late"]);
  });

  // tornado/test/ioloop_test.py::TestIOLoop::test_add_timeout_return, test_call_at_return, test_call_later_return
  void test("the handles of callLater, callAt and addTimeout cancel the call", async () => {
    const loop = IOLoop.current();
    let called = false;
    const handles = [
      loop.callLater(0, () => (called = true)),
      loop.callAt(loop.time(), () => (called = true)),
      loop.addTimeout(loop.time(), () => (called = true)),
    ];
    for (const handle of handles) loop.removeTimeout(handle);
    assert.ok(handles.every((handle) => handle.cancelled), "handles.every((handle) => handle.cancelled)");
    await gen.sleep(0.02);
    assert.equal(called, false);
  });

  // tornado/test/ioloop_test.py::TestIOLoop::test_remove_timeout_after_fire
  void test("removeTimeout after the call ran, or twice, is harmless", async () => {
    const loop = IOLoop.current();
    let handle: TimeoutHandle | undefined;
    await new Promise<void>((resolve) => {
      handle = loop.callLater(0, resolve);
    });
    loop.removeTimeout(handle);
    loop.removeTimeout(handle);
    loop.removeTimeout(undefined);
  });

  // tornado/test/ioloop_test.py::TestIOLoop::test_remove_timeout_from_timeout
  void test("a timeout can cancel another one due at the same time", async () => {
    const loop = IOLoop.current();
    let secondRan = false;
    const deadline = loop.time() + 0.01;
    const handles: TimeoutHandle[] = [];
    loop.addTimeout(deadline, () => loop.removeTimeout(handles[0]));
    handles.push(loop.addTimeout(deadline, () => (secondRan = true)));
    await gen.sleep(0.03);
    assert.equal(secondRan, false);
  });

  // tornado/test/ioloop_test.py::TestIOLoop::test_remove_timeout_cleanup
  void test("many timeouts can be added and removed", async () => {
    const loop = IOLoop.current();
    let ran = 0;
    for (let i = 0; i < 2000; i++) loop.removeTimeout(loop.callLater(3600, () => ran++));
    await gen.sleep(0);
    assert.equal(ran, 0);
  });

  void test("a deadline beyond Node's 24.8-day timer limit waits instead of firing at once", async () => {
    const loop = IOLoop.current();
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning);
    };
    process.on("warning", onWarning);
    let ran = false;
    const handle = loop.callLater(30 * 24 * 3600, () => (ran = true));
    await gen.sleep(0.02);
    loop.removeTimeout(handle);
    process.off("warning", onWarning);
    assert.equal(ran, false);
    assert.deepEqual(
      warnings.filter((warning) => warning.name === "TimeoutOverflowWarning"),
      [],
    );
  });

  void test("time() is in seconds on a monotonic clock", async () => {
    const loop = IOLoop.current();
    const before = loop.time();
    await gen.sleep(0.01);
    const after = loop.time();
    assert.ok(after > before, "after > before");
    assert.ok(after - before < 60, "time() must count seconds, not milliseconds");
  });

  void test("a non-numeric delay or deadline is refused", () => {
    const loop = IOLoop.current();
    assert.throws(() => loop.callLater(Number.NaN, () => undefined), InvalidArgumentError);
    assert.throws(() => loop.addTimeout("soon" as unknown as number, () => undefined), /IOLoop\.time/);
  });

  // tornado/test/ioloop_test.py::TestIOLoop::test_exception_logging
  void test("an exception in a callback is logged through appLog, not thrown", async () => {
    const loop = IOLoop.current();
    const { records } = await expectLog(appLog, /Exception in callback/, async () => {
      loop.addCallback(function failing() {
        throw new Error("boom");
      });
      await nextTurn();
    });
    assert.match(records[0]!.message, /failing/);
    assert.match(String(records[0]!.error), /boom/);
  });

  // tornado/test/ioloop_test.py::TestIOLoop::test_exception_logging_future, test_exception_logging_native_coro
  void test("a rejection of an async callback is logged through appLog", async () => {
    const loop = IOLoop.current();
    await expectLog(
      appLog,
      /Exception in callback/,
      async () => {
        loop.addCallback(async () => {
          await gen.sleep(0);
          throw new Error("async boom");
        });
        loop.callLater(0, async () => Promise.reject(new Error("timer boom")));
      },
      { count: 2 },
    );
  });

  // tornado/test/ioloop_test.py::TestIOLoop::test_spawn_callback
  void test("spawnCallback runs a coroutine detached and logs its failure", async () => {
    const loop = IOLoop.current();
    const { records } = await expectLog(appLog, /Exception in callback/, async () => {
      loop.spawnCallback(async () => {
        throw new Error("spawned");
      });
      await nextTurn();
    });
    assert.equal(records.length, 1);
  });

  void test("addFuture calls back once the promise settles, either way", async () => {
    const loop = IOLoop.current();
    const settled = await new Promise<{ promise: Promise<number> }>((resolve) =>
      loop.addFuture(Promise.resolve(7), (promise) => resolve({ promise })),
    );
    assert.equal(await settled.promise, 7);
    const failed = await new Promise<{ promise: Promise<number> }>((resolve) =>
      loop.addFuture(Promise.reject(new Error("no")), (promise) => resolve({ promise })),
    );
    await assert.rejects(failed.promise, /no/);
  });

  // tornado/test/ioloop_test.py::TestIOLoop::test_reentrant (Tornado raises on a second start(); here
  // it returns the same promise, so nothing deadlocks either)
  void test("start() resolves when stop() is called", async () => {
    const loop = IOLoop.current();
    const started = loop.start();
    assert.equal(loop.running, true);
    assert.equal(loop.start(), started);
    loop.callLater(0, () => loop.stop());
    await started;
    assert.equal(loop.running, false);
  });
});

// tornado/test/ioloop_test.py::TestIOLoopRunSync
void describe("IOLoop.runSync", () => {
  // tornado/test/ioloop_test.py::TestIOLoopRunSync::test_sync_result
  void test("returns the result of a sync function", async () => {
    assert.equal(await IOLoop.current().runSync(() => 42), 42);
  });

  // tornado/test/ioloop_test.py::TestIOLoopRunSync::test_sync_exception
  void test("rejects with the exception of a sync function", async () => {
    await assert.rejects(
      IOLoop.current().runSync(() => {
        throw new RangeError("sync");
      }),
      RangeError,
    );
  });

  // tornado/test/ioloop_test.py::TestIOLoopRunSync::test_async_result, test_native_coroutine
  void test("returns the result of an async function", async () => {
    const result = await IOLoop.current().runSync(async () => {
      await gen.sleep(0);
      return "async";
    });
    assert.equal(result, "async");
  });

  // tornado/test/ioloop_test.py::TestIOLoopRunSync::test_async_exception
  void test("rejects with the exception of an async function", async () => {
    await assert.rejects(
      IOLoop.current().runSync(async () => {
        await gen.sleep(0);
        throw new Error("async failure");
      }),
      /async failure/,
    );
  });

  // tornado/test/ioloop_test.py::TestIOLoopRunSync::test_current
  void test("the loop runs (and is current) while the function runs, and stops afterwards", async () => {
    const loop = IOLoop.current();
    const seen = await loop.runSync(() => IOLoop.current() === loop && loop.running);
    assert.equal(seen, true);
    assert.equal(loop.running, false);
  });

  // tornado/test/ioloop_test.py::TestIOLoopRunSync::test_timeout
  void test("rejects with TimeoutError after timeoutSeconds", async () => {
    await assert.rejects(IOLoop.current().runSync(() => gen.sleep(1), 0.01), (error: unknown) => {
      assert.ok(error instanceof TimeoutError, "error instanceof TimeoutError");
      assert.equal(error.code, "TYPHOON_ERR_TIMEOUT");
      assert.match(error.message, /timed out after 0.01 seconds/);
      return true;
    });
  });

  void test("refuses to run while the loop is already running", async () => {
    const loop = IOLoop.current();
    const started = loop.start();
    try {
      await assert.rejects(loop.runSync(() => 1), InvalidStateError);
    } finally {
      loop.stop();
      await started;
    }
  });
});

// tornado/test/ioloop_test.py::TestIOLoopFutures
void describe("IOLoop.runInExecutor", () => {
  void test("a plain function runs on the loop in a microtask with the default executor", async () => {
    let ranSynchronously = true;
    const result = IOLoop.current().runInExecutor(null, (a: number, b: number) => {
      assert.equal(ranSynchronously, false);
      return a + b;
    }, 2, 3);
    ranSynchronously = false;
    assert.equal(await result, 5);
  });

  void test("a worker task runs on the worker-thread pool", async () => {
    const result = await IOLoop.current().runInExecutor<number>(null, { moduleUrl: tasks, exportName: "fib" }, 15);
    assert.equal(result, 610);
  });

  // tornado/test/ioloop_test.py::TestIOLoopFutures::test_run_in_executor_native
  void test("two tasks run at the same time on the executor's threads", async () => {
    // Each task signals its own slot, then blocks until the other's is set: run one after the
    // other on a single thread, the first would wait in vain (and report it).
    const pool = new WorkerPool({ size: 2 });
    try {
      const flags = new Int32Array(new SharedArrayBuffer(8));
      const rendezvous = { moduleUrl: tasks, exportName: "rendezvous" };
      const loop = IOLoop.current();
      const results = await gen.multi([
        loop.runInExecutor<string>(pool, rendezvous, flags, 0, 1),
        loop.runInExecutor<string>(pool, rendezvous, flags, 1, 0),
      ]);
      assert.deepEqual(results, ["met", "met"]);
    } finally {
      await pool.close();
    }
  });

  // tornado/test/ioloop_test.py::TestIOLoopFutures::test_set_default_executor
  void test("a given executor, and setDefaultExecutor, are used", async () => {
    const submitted: unknown[][] = [];
    const executor: Executor = {
      submit(fn, ...args) {
        submitted.push(args);
        return Promise.resolve((fn as (...values: unknown[]) => unknown)(...args));
      },
    };
    const loop = IOLoop.current();
    assert.equal(await loop.runInExecutor(executor, (n: number) => n * 2, 21), 42);
    loop.setDefaultExecutor(executor);
    try {
      assert.equal(await loop.runInExecutor(undefined, (s: string) => s.toUpperCase(), "x"), "X");
    } finally {
      loop.setDefaultExecutor(null);
    }
    assert.deepEqual(submitted, [[21], ["x"]]);
  });
});

// tornado/test/ioloop_test.py::TestPeriodicCallbackMath
void describe("PeriodicCallback schedule", () => {
  /**
   * Runs a PeriodicCallback on a fake clock: each run takes `durations[i]` seconds of
   * that clock. Returns the deadlines the callback was scheduled at, as Tornado's
   * simulate_calls does.
   */
  async function simulate(
    t: TestContext,
    durations: number[],
    jitter = 0,
  ): Promise<number[]> {
    const loop = IOLoop.current();
    let now = 1000;
    const deadlines: number[] = [];
    let scheduled: (() => Promise<void>) | undefined;
    const timeMock = t.mock.method(loop, "time", () => now);
    const addTimeoutMock = t.mock.method(loop, "addTimeout", (deadline: number, fn: () => Promise<void>) => {
      deadlines.push(deadline);
      scheduled = fn;
      return { cancel() {} };
    });
    let index = 0;
    const pc = new PeriodicCallback(() => {
      now = deadlines[deadlines.length - 1]! + durations[index++]!;
    }, 10_000, jitter);
    pc.start();
    while (deadlines.length < durations.length) {
      now = deadlines[deadlines.length - 1]!;
      await scheduled!();
    }
    pc.stop();
    // Restore now: a second simulate() in the same test mocks the same methods again.
    addTimeoutMock.mock.restore();
    timeMock.mock.restore();
    return deadlines;
  }

  // tornado/test/ioloop_test.py::TestPeriodicCallbackMath::test_basic
  void test("runs every period", async (t) => {
    assert.deepEqual(await simulate(t, [0, 0, 0, 0, 0]), [1010, 1020, 1030, 1040, 1050]);
  });

  // tornado/test/ioloop_test.py::TestPeriodicCallbackMath::test_overrun
  void test("skips missed runs to get back on schedule after an overrun", async (t) => {
    const durations = [9, 9, 10, 11, 20, 20, 35, 35, 0, 0, 0];
    const expected = [1010, 1020, 1030, 1050, 1070, 1100, 1130, 1170, 1210, 1220, 1230];
    assert.deepEqual(await simulate(t, durations), expected);
  });

  // tornado/test/ioloop_test.py::TestPeriodicCallbackMath::test_clock_backwards
  void test("ignores a clock that goes backwards", async (t) => {
    assert.deepEqual(await simulate(t, [-2, -1, -3, -2, 0]), [1010, 1020, 1030, 1040, 1050]);
    assert.deepEqual(await simulate(t, [-100, 0, 0]), [1010, 1020, 1030]);
  });

  // tornado/test/ioloop_test.py::TestPeriodicCallbackMath::test_jitter
  void test("spreads runs by the jitter fraction", async (t) => {
    const randoms = [0.5, 1, 0, 0.75];
    t.mock.method(Math, "random", () => randoms.shift()!);
    assert.deepEqual(await simulate(t, [0, 0, 0, 0], 0.5), [1010, 1022.5, 1030, 1041.25]);
  });

  void test("refuses a period that is not positive", () => {
    assert.throws(() => new PeriodicCallback(() => undefined, 0), InvalidArgumentError);
    assert.throws(() => new PeriodicCallback(() => undefined, -5), /positive callbackTimeMs/);
  });
});

// tornado/test/ioloop_test.py::TestPeriodicCallbackAsync
void describe("PeriodicCallback", () => {
  // tornado/test/ioloop_test.py::TestPeriodicCallbackAsync::test_periodic_plain
  void test("calls a plain function until stopped", async () => {
    let count = 0;
    await new Promise<void>((resolve) => {
      const pc = new PeriodicCallback(() => {
        count += 1;
        if (count === 3) {
          pc.stop();
          resolve();
        }
      }, 5);
      assert.equal(pc.isRunning(), false);
      pc.start();
      assert.equal(pc.isRunning(), true);
    });
    await gen.sleep(0.02);
    assert.equal(count, 3);
  });

  // tornado/test/ioloop_test.py::TestPeriodicCallbackAsync::test_periodic_coro, test_periodic_async
  void test("awaits an async callback before scheduling the next run", async () => {
    const counts = [0, 0];
    await new Promise<void>((resolve) => {
      const pc = new PeriodicCallback(async () => {
        counts[0]! += 1;
        assert.equal(counts[0], counts[1]! + 1, "runs must not overlap");
        await gen.sleep(0.015);
        counts[1]! += 1;
        if (counts[1] === 3) {
          pc.stop();
          resolve();
        }
      }, 5);
      pc.start();
    });
    assert.deepEqual(counts, [3, 3]);
  });

  void test("keeps running after a callback throws, logging the error", async () => {
    let count = 0;
    const { records } = await expectLog(appLog, /Exception in callback/, () =>
      new Promise<void>((resolve) => {
        const pc = new PeriodicCallback(function flaky() {
          count += 1;
          if (count === 3) {
            pc.stop();
            resolve();
          }
          throw new Error(`failure ${count}`);
        }, 5);
        pc.start();
      }),
    );
    assert.equal(records.length, 3);
    assert.match(records[0]!.message, /flaky/);
  });
});
