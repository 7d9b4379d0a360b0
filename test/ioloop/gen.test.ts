// Tests of gen.sleep, gen.withTimeout, gen.multi and gen.moment; mirrors tornado/test/gen_test.py.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { appLog, gen, IOLoop, TimeoutError, TyphoonError } from "typhoon";
import { expectLog } from "./expect-log.js";

function delayed<T>(value: T, seconds = 0.005): Promise<T> {
  return gen.sleep(seconds).then(() => value);
}

function failsLater(message: string, seconds = 0.005): Promise<never> {
  return gen.sleep(seconds).then(() => {
    throw new Error(message);
  });
}

class QuietError extends Error {}

void describe("gen.multi", () => {
  // tornado/test/gen_test.py::GenBasicTest::test_multi, test_multi_delayed, test_multi_future
  void test("an array resolves to the array of results, in order", async () => {
    assert.deepEqual(await gen.multi([delayed(1, 0.01), delayed(2, 0.001), 3]), [1, 2, 3]);
  });

  // tornado/test/gen_test.py::GenBasicTest::test_multi_dict, test_multi_dict_delayed, test_multi_dict_future
  void test("an object resolves to an object of results with the same keys", async () => {
    const result = await gen.multi({ foo: delayed(42, 0.015), bar: delayed("x", 0.001), baz: true });
    assert.deepEqual(result, { foo: 42, bar: "x", baz: true });
    const typed: { foo: number; bar: string; baz: boolean } = result;
    assert.equal(typed.foo, 42);
  });

  // tornado/test/gen_test.py::GenBasicTest::test_multi_empty
  void test("empty children give empty results", async () => {
    assert.deepEqual(await gen.multi([]), []);
    assert.deepEqual(await gen.multi({}), {});
  });

  // tornado/test/gen_test.py::GenBasicTest::test_multi_future_duplicate
  void test("the same promise may appear twice", async () => {
    const shared = delayed("same");
    assert.deepEqual(await gen.multi([shared, delayed("other"), shared]), ["same", "other", "same"]);
  });

  // tornado/test/gen_test.py::GenBasicTest::test_multi_exceptions
  void test("the first failing child rejects, after all children settled; later failures are logged", async () => {
    let slowFinished = false;
    const slow = delayed("slow", 0.02).then((value) => {
      slowFinished = true;
      return value;
    });
    const { records } = await expectLog(appLog, /Multiple exceptions in yield list/, async () => {
      await assert.rejects(gen.multi([failsLater("error 1"), slow, failsLater("error 2", 0.001)]), /error 1/);
    });
    assert.equal(slowFinished, true, "multi waits for every child, as Tornado's");
    assert.equal(records.length, 1);
    assert.match(String(records[0]!.error), /error 2/);
  });

  // tornado/test/gen_test.py::GenBasicTest::test_multi_exceptions (quiet_exceptions)
  void test("quietExceptions are not logged", async () => {
    await assert.rejects(
      gen.multi([failsLater("first"), Promise.reject(new QuietError("quiet"))], { quietExceptions: [QuietError] }),
      /first/,
    );
  });

  // tornado/test/gen_test.py::GenBasicTest::test_multi_future_exceptions
  void test("a single failure rejects without logging anything", async () => {
    // Nothing is expected in the log: test/setup.ts fails the test on an unexpected error line.
    await assert.rejects(gen.multi([failsLater("error 1"), delayed(2)]), /error 1/);
    await assert.rejects(gen.multi({ a: delayed(1), b: failsLater("error b") }), /error b/);
  });

  // tornado/test/gen_test.py::RunnerGCTest::test_multi_moment
  void test("gen.moment can be a child", async () => {
    assert.deepEqual(await gen.multi([gen.moment, gen.moment]), [undefined, undefined]);
  });

  // tornado/test/gen_test.py::GenBasicTest::test_multi_performance
  void test("a long list of children is not quadratic", async () => {
    const started = performance.now();
    await gen.multi(Array.from({ length: 2000 }, () => gen.moment));
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 1000, `2000 moments took ${elapsed.toFixed(0)} ms (Tornado's bound: 1 s)`);
  });
});

void describe("gen.withTimeout", () => {
  // tornado/test/gen_test.py::WithTimeoutTest::test_timeout
  void test("rejects with TimeoutError when the work takes longer", async () => {
    await assert.rejects(gen.withTimeout(0.01, gen.sleep(1)), (error: unknown) => {
      assert.ok(error instanceof TimeoutError, "error instanceof TimeoutError");
      assert.ok(error instanceof TyphoonError, "error instanceof TyphoonError");
      assert.equal(error.code, "TYPHOON_ERR_TIMEOUT");
      return true;
    });
  });

  // tornado/test/gen_test.py::WithTimeoutTest::test_completes_before_timeout
  void test("resolves with the result when the work finishes in time", async () => {
    assert.equal(await gen.withTimeout(1, delayed("done")), "done");
  });

  // tornado/test/gen_test.py::WithTimeoutTest::test_fails_before_timeout
  void test("rejects with the work's own error when it fails in time", async () => {
    await assert.rejects(gen.withTimeout(1, failsLater("own failure")), /own failure/);
  });

  // tornado/test/gen_test.py::GenCoroutineTest::test_async_with_timeout
  void test("takes the promise of an async function", async () => {
    async function f1(): Promise<number> {
      return 42;
    }
    assert.equal(await gen.withTimeout(3600, f1()), 42);
  });

  // tornado/test/gen_test.py::WithTimeoutTest::test_already_resolved
  void test("an already settled promise or a plain value passes through", async () => {
    assert.equal(await gen.withTimeout(1, Promise.resolve(5)), 5);
    assert.equal(await gen.withTimeout(1, "value"), "value");
  });

  void test("accepts a deadline on IOLoop.time()'s clock", async () => {
    const deadline = IOLoop.current().time() + 0.01;
    await assert.rejects(gen.withTimeout({ deadline }, gen.sleep(1)), TimeoutError);
    assert.equal(await gen.withTimeout({ deadline: IOLoop.current().time() + 1 }, delayed(1)), 1);
  });

  void test("a failure after the timeout is logged, unless quiet", async () => {
    await expectLog(
      appLog,
      /Exception in Future after timeout/,
      async () => {
        await assert.rejects(gen.withTimeout(0.001, failsLater("late failure", 0.02)), TimeoutError);
        await gen.sleep(0.03);
      },
      { settle: 1 },
    );
    await assert.rejects(
      gen.withTimeout(0.001, gen.sleep(0.02).then(() => Promise.reject(new QuietError("quiet"))), {
        quietExceptions: [QuietError],
      }),
      TimeoutError,
    );
    await gen.sleep(0.03);
  });

  void test("gen.TimeoutError is the exported TimeoutError", () => {
    assert.equal(gen.TimeoutError, TimeoutError);
  });
});

void describe("gen.sleep and gen.moment", () => {
  // tornado/test/gen_test.py::GenCoroutineTest::test_sleep, test_asyncio_sleep_zero
  void test("sleep resolves after the delay, letting timers due earlier run first", async () => {
    await gen.sleep(0);
    const order: string[] = [];
    const sleeping = gen.sleep(0.02).then(() => order.push("sleep"));
    IOLoop.current().callLater(0.005, () => order.push("timer"));
    await sleeping;
    assert.deepEqual(order, ["timer", "sleep"]);
  });

  // tornado/test/gen_test.py::GenCoroutineTest::test_moment
  void test("awaiting moment lets the event loop run one iteration", async () => {
    let ran = false;
    setImmediate(() => (ran = true));
    for (let i = 0; i < 5; i++) await Promise.resolve();
    assert.equal(ran, false, "awaiting resolved promises does not yield to the event loop");
    await gen.moment;
    assert.equal(ran, true);
  });

  void test("two loops taking turns with moment interleave with other events", async () => {
    const calls: string[] = [];
    async function worker(name: string): Promise<void> {
      for (let i = 0; i < 3; i++) {
        calls.push(name);
        await gen.moment;
      }
    }
    setImmediate(() => calls.push("io"));
    await gen.multi([worker("a"), worker("b")]);
    assert.equal(calls.filter((call) => call !== "io").join(""), "ababab", "the two loops take turns");
    assert.ok(calls.indexOf("io") < calls.lastIndexOf("a"), "other events run between the steps");
  });
});
