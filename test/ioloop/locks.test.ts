// Tests of Condition, Event, Semaphore, BoundedSemaphore and Lock; mirrors tornado/test/locks_test.py.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  BoundedSemaphore,
  Condition,
  Event,
  gen,
  InvalidArgumentError,
  InvalidStateError,
  IOLoop,
  Lock,
  Releaser,
  Semaphore,
  TimeoutError,
} from "typhoon";

/** Follows a promise so tests can ask whether it settled, as Tornado's `future.done()`. */
function track<T>(promise: Promise<T>): { done: boolean; value?: T; error?: unknown } {
  const state: { done: boolean; value?: T; error?: unknown } = { done: false };
  promise.then(
    (value) => {
      state.done = true;
      state.value = value;
    },
    (error: unknown) => {
      state.done = true;
      state.error = error;
    },
  );
  return state;
}

/** Lets every pending callback and promise reaction run. Tornado: `loop_briefly`. */
async function loopBriefly(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
}

void describe("Condition", () => {
  function recordDone(history: Array<string | number>, waiting: Promise<boolean>, key: string | number): void {
    void waiting.then((notified) => history.push(notified ? key : "timeout"));
  }

  // tornado/test/locks_test.py::ConditionTest::test_repr
  void test("toString shows the waiters", () => {
    const condition = new Condition();
    assert.equal(condition.toString(), "<Condition>");
    void condition.wait();
    assert.equal(condition.toString(), "<Condition waiters[1]>");
    condition.notifyAll();
  });

  // tornado/test/locks_test.py::ConditionTest::test_notify
  void test("wait resolves true when notified", async () => {
    const condition = new Condition();
    IOLoop.current().callLater(0.01, () => condition.notify());
    assert.equal(await condition.wait(), true);
  });

  // tornado/test/locks_test.py::ConditionTest::test_notify_1
  void test("notify(1) wakes one waiter at a time, oldest first", async () => {
    const condition = new Condition();
    const history: Array<string | number> = [];
    recordDone(history, condition.wait(), "wait1");
    recordDone(history, condition.wait(), "wait2");
    condition.notify(1);
    await loopBriefly();
    history.push("notify1");
    condition.notify(1);
    await loopBriefly();
    history.push("notify2");
    assert.deepEqual(history, ["wait1", "notify1", "wait2", "notify2"]);
  });

  // tornado/test/locks_test.py::ConditionTest::test_notify_n
  void test("notify(n) wakes n waiters in the order they waited", async () => {
    const condition = new Condition();
    const history: Array<string | number> = [];
    for (let i = 0; i < 6; i++) recordDone(history, condition.wait(), i);
    condition.notify(3);
    await loopBriefly();
    assert.deepEqual(history, [0, 1, 2]);
    condition.notify(1);
    await loopBriefly();
    assert.deepEqual(history, [0, 1, 2, 3]);
    condition.notify(2);
    await loopBriefly();
    assert.deepEqual(history, [0, 1, 2, 3, 4, 5]);
  });

  // tornado/test/locks_test.py::ConditionTest::test_notify_all
  void test("notifyAll wakes every waiter", async () => {
    const condition = new Condition();
    const history: Array<string | number> = [];
    for (let i = 0; i < 4; i++) recordDone(history, condition.wait(), i);
    condition.notifyAll();
    await loopBriefly();
    history.push("notifyAll");
    assert.deepEqual(history, [0, 1, 2, 3, "notifyAll"]);
  });

  // tornado/test/locks_test.py::ConditionTest::test_wait_timeout
  void test("wait resolves false when the timeout expires first", async () => {
    const condition = new Condition();
    const waiting = condition.wait(0.01);
    IOLoop.current().callLater(0.02, () => condition.notify());
    await gen.sleep(0.03);
    assert.equal(await waiting, false);
  });

  // tornado/test/locks_test.py::ConditionTest::test_wait_timeout_preempted
  void test("a notify before the timeout wins", async () => {
    const condition = new Condition();
    IOLoop.current().callLater(0.01, () => condition.notify());
    const waiting = condition.wait(0.05);
    await gen.sleep(0.02);
    assert.equal(await waiting, true);
  });

  void test("accepts a deadline on IOLoop.time()'s clock", async () => {
    const condition = new Condition();
    assert.equal(await condition.wait({ deadline: IOLoop.current().time() + 0.01 }), false);
  });

  // tornado/test/locks_test.py::ConditionTest::test_notify_n_with_timeout
  void test("a timed-out waiter does not count against notify(n)", async () => {
    const condition = new Condition();
    const history: Array<string | number> = [];
    recordDone(history, condition.wait(), 0);
    recordDone(history, condition.wait(0.01), 1);
    recordDone(history, condition.wait(), 2);
    recordDone(history, condition.wait(), 3);
    await gen.sleep(0.02);
    assert.deepEqual(history, ["timeout"]);
    condition.notify(2);
    await loopBriefly();
    assert.deepEqual(history, ["timeout", 0, 2]);
    condition.notify();
    await loopBriefly();
    assert.deepEqual(history, ["timeout", 0, 2, 3]);
  });

  // tornado/test/locks_test.py::ConditionTest::test_notify_all_with_timeout
  void test("notifyAll skips timed-out waiters", async () => {
    const condition = new Condition();
    const history: Array<string | number> = [];
    recordDone(history, condition.wait(), 0);
    recordDone(history, condition.wait(0.01), 1);
    recordDone(history, condition.wait(), 2);
    await gen.sleep(0.02);
    assert.deepEqual(history, ["timeout"]);
    condition.notifyAll();
    await loopBriefly();
    assert.deepEqual(history, ["timeout", 0, 2]);
  });

  // tornado/test/locks_test.py::ConditionTest::test_nested_notify
  void test("no notification is lost when a woken waiter notifies again", async () => {
    const condition = new Condition();
    const waits = [condition.wait(), condition.wait(), condition.wait()];
    const states = waits.map(track);
    void waits[1]!.then(() => condition.notify());
    condition.notify(2);
    await loopBriefly();
    assert.ok(states.every((state) => state.done), "states.every((state) => state.done)");
  });

  // tornado/test/locks_test.py::ConditionTest::test_garbage_collection
  void test("timed-out waiters leave the condition", async () => {
    const condition = new Condition();
    for (let i = 0; i < 101; i++) void condition.wait(0.01);
    const last = track(condition.wait());
    assert.equal(condition.toString(), "<Condition waiters[102]>");
    await gen.sleep(0.02);
    assert.equal(condition.toString(), "<Condition waiters[1]>");
    assert.equal(last.done, false);
    condition.notify();
    await loopBriefly();
    assert.equal(last.done, true);
  });
});

void describe("Event", () => {
  // tornado/test/locks_test.py::EventTest::test_repr
  void test("toString shows the state", () => {
    const event = new Event();
    assert.equal(event.toString(), "<Event clear>");
    event.set();
    assert.equal(event.toString(), "<Event set>");
  });

  // tornado/test/locks_test.py::EventTest::test_event
  void test("wait resolves once set, at once while set, and blocks again after clear", async () => {
    const event = new Event();
    const first = track(event.wait());
    event.set();
    const second = track(event.wait());
    event.clear();
    const third = track(event.wait());
    await loopBriefly();
    assert.equal(first.done, true);
    assert.equal(second.done, true);
    assert.equal(third.done, false);
    event.set();
  });

  // tornado/test/locks_test.py::EventTest::test_event_timeout
  void test("wait rejects with TimeoutError, and works normally afterwards", async () => {
    const event = new Event();
    await assert.rejects(event.wait(0.01), TimeoutError);
    IOLoop.current().callLater(0.01, () => event.set());
    await event.wait(1);
  });

  // tornado/test/locks_test.py::EventTest::test_event_set_multiple
  void test("set twice stays set", () => {
    const event = new Event();
    event.set();
    event.set();
    assert.equal(event.isSet(), true);
  });

  // tornado/test/locks_test.py::EventTest::test_event_wait_clear
  void test("clear does not affect waiters already waiting", async () => {
    const event = new Event();
    const first = track(event.wait());
    event.clear();
    const second = track(event.wait());
    event.set();
    await loopBriefly();
    assert.equal(first.done, true);
    assert.equal(second.done, true);
  });
});

void describe("Semaphore", () => {
  // tornado/test/locks_test.py::SemaphoreTest::test_negative_value
  void test("refuses a negative value", () => {
    assert.throws(() => new Semaphore(-1), InvalidArgumentError);
  });

  // tornado/test/locks_test.py::SemaphoreTest::test_repr
  void test("toString shows the state and the waiters", () => {
    const semaphore = new Semaphore();
    assert.equal(semaphore.toString(), "<Semaphore [unlocked,value:1]>");
    void semaphore.acquire();
    assert.equal(semaphore.toString(), "<Semaphore [locked]>");
    void semaphore.acquire();
    assert.equal(semaphore.toString(), "<Semaphore [locked,waiters:1]>");
    semaphore.release();
  });

  // tornado/test/locks_test.py::SemaphoreTest::test_acquire
  void test("acquire waits for release, first come first served", async () => {
    const semaphore = new Semaphore();
    const first = track(semaphore.acquire());
    const second = track(semaphore.acquire());
    const third = track(semaphore.acquire());
    await loopBriefly();
    assert.deepEqual([first.done, second.done, third.done], [true, false, false]);
    semaphore.release();
    await loopBriefly();
    assert.deepEqual([second.done, third.done], [true, false]);
    semaphore.release();
    await loopBriefly();
    assert.equal(third.done, true);
    semaphore.release();
    assert.equal(semaphore.value, 1);
    assert.ok(second.value instanceof Releaser, "second.value instanceof Releaser");
  });

  // tornado/test/locks_test.py::SemaphoreTest::test_acquire_timeout
  void test("acquire rejects with TimeoutError when no slot frees in time", async () => {
    const semaphore = new Semaphore(2);
    await semaphore.acquire();
    await semaphore.acquire();
    const acquiring = semaphore.acquire(0.01);
    acquiring.catch(() => undefined); // checked below, after the sleep
    IOLoop.current().callLater(0.02, () => semaphore.release());
    await gen.sleep(0.03);
    await assert.rejects(acquiring, TimeoutError);
    // The late release went to no one: one slot is free now.
    await semaphore.acquire();
    const next = track(semaphore.acquire());
    await loopBriefly();
    assert.equal(next.done, false);
    semaphore.release();
    await loopBriefly();
    assert.equal(next.done, true);
  });

  // tornado/test/locks_test.py::SemaphoreTest::test_acquire_timeout_preempted
  void test("a release before the timeout wins", async () => {
    const semaphore = new Semaphore(1);
    await semaphore.acquire();
    IOLoop.current().callLater(0.01, () => semaphore.release());
    const acquiring = semaphore.acquire(0.05);
    await gen.sleep(0.02);
    await acquiring;
  });

  // tornado/test/locks_test.py::SemaphoreTest::test_release_unacquired
  void test("an unbounded semaphore may be released more than acquired", async () => {
    const semaphore = new Semaphore();
    semaphore.release();
    semaphore.release();
    const acquired = [track(semaphore.acquire()), track(semaphore.acquire()), track(semaphore.acquire())];
    const blocked = track(semaphore.acquire());
    await loopBriefly();
    assert.ok(acquired.every((state) => state.done), "acquired.every((state) => state.done)");
    assert.equal(blocked.done, false);
    semaphore.release();
  });

  // tornado/test/locks_test.py::SemaphoreTest::test_garbage_collection
  void test("timed-out waiters leave the semaphore", async () => {
    const semaphore = new Semaphore(0);
    const timedOut = Array.from({ length: 101 }, () => semaphore.acquire(0.01));
    for (const waiting of timedOut) waiting.catch(() => undefined); // checked at the end
    const last = track(semaphore.acquire());
    assert.equal(semaphore.toString(), "<Semaphore [locked,waiters:102]>");
    await gen.sleep(0.02);
    assert.equal(semaphore.toString(), "<Semaphore [locked,waiters:1]>");
    semaphore.release();
    await loopBriefly();
    assert.equal(last.done, true);
    for (const waiting of timedOut) await assert.rejects(waiting, TimeoutError);
  });
});

// tornado/test/locks_test.py::SemaphoreContextManagerTest
void describe("Semaphore with using", () => {
  void test("the releaser releases at the end of a using block", async () => {
    const semaphore = new Semaphore();
    {
      using held = await semaphore.acquire();
      assert.ok(held instanceof Releaser, "held instanceof Releaser");
      assert.equal(semaphore.value, 0);
    }
    assert.equal(semaphore.value, 1);
  });

  // tornado/test/locks_test.py::SemaphoreContextManagerTest::test_context_manager_async_await
  void test("await using releases too", async () => {
    const semaphore = new Semaphore();
    {
      await using _held = await semaphore.acquire();
      assert.equal(semaphore.value, 0);
    }
    assert.equal(semaphore.value, 1);
  });

  // tornado/test/locks_test.py::SemaphoreContextManagerTest::test_context_manager_exception
  void test("an exception in the block still releases", async () => {
    const semaphore = new Semaphore();
    await assert.rejects(async () => {
      using _held = await semaphore.acquire();
      throw new RangeError("inside");
    }, RangeError);
    assert.equal(semaphore.value, 1);
  });

  // tornado/test/locks_test.py::SemaphoreContextManagerTest::test_context_manager_timeout_error
  void test("a timed-out acquire holds nothing", async () => {
    const semaphore = new Semaphore(0);
    await assert.rejects(async () => {
      using _held = await semaphore.acquire(0.01);
    }, TimeoutError);
    assert.equal(semaphore.value, 0);
  });

  // tornado/test/locks_test.py::SemaphoreContextManagerTest::test_context_manager_contended
  void test("contending coroutines run one after the other", async () => {
    const semaphore = new Semaphore();
    const history: string[] = [];
    async function worker(index: number): Promise<void> {
      using _held = await semaphore.acquire();
      history.push(`acquired ${index}`);
      await gen.sleep(0.005);
      history.push(`release ${index}`);
    }
    await gen.multi([worker(0), worker(1)]);
    assert.deepEqual(history, ["acquired 0", "release 0", "acquired 1", "release 1"]);
  });

  void test("releasing a releaser twice releases once", async () => {
    const semaphore = new Semaphore(1);
    const held = await semaphore.acquire();
    held.release();
    held.release();
    assert.equal(semaphore.value, 1);
  });

  // tornado/test/locks_test.py::SemaphoreContextManagerTest::test_context_manager_misuse
  void test("a semaphore itself is not disposable: acquire() first", () => {
    assert.throws(() => {
      // @ts-expect-error a Semaphore has no [Symbol.dispose]; write `using _ = await semaphore.acquire()`
      using _misused = new Semaphore();
    }, TypeError);
  });
});

void describe("BoundedSemaphore", () => {
  // tornado/test/locks_test.py::BoundedSemaphoreTest::test_release_unacquired
  void test("refuses to be released more than acquired", async () => {
    const semaphore = new BoundedSemaphore();
    assert.throws(() => semaphore.release(), (error: unknown) => {
      assert.ok(error instanceof InvalidStateError, "error instanceof InvalidStateError");
      assert.equal(error.code, "TYPHOON_ERR_SEMAPHORE_OVER_RELEASED");
      return true;
    });
    void semaphore.acquire();
    const waiting = track(semaphore.acquire());
    await loopBriefly();
    assert.equal(waiting.done, false);
    semaphore.release();
    await loopBriefly();
    assert.equal(waiting.done, true);
    semaphore.release();
    assert.throws(() => semaphore.release(), /released too many times/);
  });
});

void describe("Lock", () => {
  // tornado/test/locks_test.py::LockTests::test_repr
  void test("toString describes the lock", () => {
    const lock = new Lock();
    assert.equal(lock.toString(), "<Lock _block=<BoundedSemaphore [unlocked,value:1]>>");
    void lock.acquire();
    assert.equal(lock.toString(), "<Lock _block=<BoundedSemaphore [locked]>>");
    lock.release();
  });

  // tornado/test/locks_test.py::LockTests::test_acquire_release
  void test("acquire waits for release", async () => {
    const lock = new Lock();
    const first = track(lock.acquire());
    const second = track(lock.acquire());
    await loopBriefly();
    assert.deepEqual([first.done, second.done, lock.locked], [true, false, true]);
    lock.release();
    await loopBriefly();
    assert.equal(second.done, true);
    lock.release();
    assert.equal(lock.locked, false);
  });

  // tornado/test/locks_test.py::LockTests::test_acquire_fifo
  void test("waiters get the lock first come, first served", async () => {
    const lock = new Lock();
    await lock.acquire();
    const history: number[] = [];
    async function worker(index: number): Promise<void> {
      using _held = await lock.acquire();
      history.push(index);
      await gen.sleep(0);
    }
    const workers = Array.from({ length: 5 }, (_, index) => worker(index));
    lock.release();
    await gen.multi(workers);
    assert.deepEqual(history, [0, 1, 2, 3, 4]);
  });

  // tornado/test/locks_test.py::LockTests::test_acquire_fifo_async_with
  void test("waiters holding the lock with await using get it first come, first served", async () => {
    const lock = new Lock();
    const first = await lock.acquire();
    const history: number[] = [];
    async function worker(index: number): Promise<void> {
      await using _held = await lock.acquire();
      history.push(index);
      await gen.sleep(0);
    }
    const workers = Array.from({ length: 5 }, (_, index) => worker(index));
    first.release();
    await gen.multi(workers);
    assert.deepEqual(history, [0, 1, 2, 3, 4]);
    assert.equal(lock.locked, false);
  });

  // tornado/test/locks_test.py::LockTests::test_acquire_timeout
  void test("acquire rejects with TimeoutError and the lock stays locked", async () => {
    const lock = new Lock();
    await lock.acquire();
    await assert.rejects(lock.acquire(0.01), TimeoutError);
    assert.equal(lock.locked, true);
    const next = track(lock.acquire());
    await loopBriefly();
    assert.equal(next.done, false);
    lock.release();
  });

  // tornado/test/locks_test.py::LockTests::test_multi_release
  void test("releasing an unlocked lock is an error", async () => {
    const lock = new Lock();
    assert.throws(() => lock.release(), (error: unknown) => {
      assert.ok(error instanceof InvalidStateError, "error instanceof InvalidStateError");
      assert.equal(error.code, "TYPHOON_ERR_LOCK_NOT_HELD");
      return true;
    });
    await lock.acquire();
    lock.release();
    assert.throws(() => lock.release(), /release unlocked lock/);
  });

  // tornado/test/locks_test.py::LockTests::test_context_manager_misuse
  void test("a lock itself is not disposable: acquire() first", () => {
    assert.throws(() => {
      // @ts-expect-error a Lock has no [Symbol.dispose]; write `using _ = await lock.acquire()`
      using _misused = new Lock();
    }, TypeError);
  });
});
