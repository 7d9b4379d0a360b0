// Tests of Queue, PriorityQueue and LifoQueue; mirrors tornado/test/queues_test.py.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  gen,
  InvalidArgumentError,
  InvalidStateError,
  IOLoop,
  LifoQueue,
  PriorityQueue,
  Queue,
  QueueEmpty,
  QueueFull,
  TimeoutError,
  TyphoonError,
} from "typhoon";

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

async function loopBriefly(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
}

void describe("Queue basics", () => {
  // tornado/test/queues_test.py::QueueBasicTest::test_repr_and_str
  void test("toString shows maxsize, getters, putters and unfinished tasks", () => {
    const queue = new Queue<null>(1);
    void queue.get();
    assert.equal(queue.toString(), "<Queue maxsize=1 getters[1]>");
    void queue.put(null);
    void queue.put(null);
    void queue.put(null);
    assert.equal(queue.toString(), "<Queue maxsize=1 putters[1] tasks=2>");
  });

  // tornado/test/queues_test.py::QueueBasicTest::test_order
  void test("items come out first in, first out", () => {
    const queue = new Queue<number>();
    for (const item of [1, 3, 2]) queue.putNowait(item);
    assert.deepEqual([queue.getNowait(), queue.getNowait(), queue.getNowait()], [1, 3, 2]);
  });

  // tornado/test/queues_test.py::QueueBasicTest::test_maxsize
  void test("maxsize limits the items held; put waits for room", async () => {
    assert.throws(() => new Queue(-1), InvalidArgumentError);
    assert.throws(() => new Queue(Number.NaN), InvalidArgumentError);
    const queue = new Queue<number>(2);
    assert.equal(queue.empty(), true);
    assert.equal(queue.full(), false);
    assert.equal(queue.maxsize, 2);
    const put0 = track(queue.put(0));
    const put1 = track(queue.put(1));
    assert.equal(queue.full(), true);
    const put2 = track(queue.put(2));
    await loopBriefly();
    assert.deepEqual([put0.done, put1.done, put2.done], [true, true, false]);
    assert.equal(await queue.get(), 0);
    await loopBriefly();
    assert.equal(put2.done, true);
    assert.equal(queue.full(), true);
  });

  // tornado/test/queues_test.py::QueuePutTest::test_float_maxsize
  void test("a fractional maxsize is a real limit, rounded up", async () => {
    const queue = new Queue<number>(1.3);
    queue.putNowait(0);
    queue.putNowait(1);
    assert.equal(queue.full(), true);
    assert.throws(() => queue.putNowait(2), QueueFull);
    assert.equal(queue.getNowait(), 0);
    assert.equal(queue.full(), false);
    await queue.put(2);
    const put = track(queue.put(3));
    await loopBriefly();
    assert.equal(put.done, false);
    assert.equal(await queue.get(), 1);
    await loopBriefly();
    assert.equal(put.done, true);
    assert.equal(queue.full(), true);
  });
});

void describe("Queue.get", () => {
  // tornado/test/queues_test.py::QueueGetTest::test_blocking_get, test_nonblocking_get
  void test("get and getNowait return a waiting item", async () => {
    const queue = new Queue<number>();
    queue.putNowait(0);
    assert.equal(await queue.get(), 0);
    queue.putNowait(1);
    assert.equal(queue.getNowait(), 1);
  });

  // tornado/test/queues_test.py::QueueGetTest::test_nonblocking_get_exception
  void test("getNowait on an empty queue throws QueueEmpty", () => {
    assert.throws(() => new Queue().getNowait(), (error: unknown) => {
      assert.ok(error instanceof QueueEmpty, "error instanceof QueueEmpty");
      assert.ok(error instanceof TyphoonError, "error instanceof TyphoonError");
      assert.equal(error.code, "TYPHOON_ERR_QUEUE_EMPTY");
      return true;
    });
  });

  // tornado/test/queues_test.py::QueueGetTest::test_get_with_putters
  void test("get takes an item and lets a waiting putter in", async () => {
    const queue = new Queue<number>(1);
    queue.putNowait(0);
    const put = queue.put(1);
    assert.equal(await queue.get(), 0);
    assert.equal(await put, undefined);
    assert.equal(queue.getNowait(), 1);
  });

  // tornado/test/queues_test.py::QueueGetTest::test_blocking_get_wait
  void test("get waits for a put", async () => {
    const queue = new Queue<number>();
    void queue.put(0);
    IOLoop.current().callLater(0.01, () => queue.putNowait(1));
    IOLoop.current().callLater(0.02, () => queue.putNowait(2));
    assert.equal(await queue.get(1), 0);
    assert.equal(await queue.get(1), 1);
    assert.equal(await queue.get(1), 2);
  });

  // tornado/test/queues_test.py::QueueGetTest::test_get_timeout
  void test("get rejects with TimeoutError; other getters are unaffected", async () => {
    const queue = new Queue<number>();
    const timingOut = queue.get(0.01);
    const waiting = queue.get();
    await assert.rejects(timingOut, TimeoutError);
    queue.putNowait(0);
    assert.equal(await waiting, 0);
  });

  void test("get accepts a deadline on IOLoop.time()'s clock", async () => {
    const queue = new Queue<number>();
    await assert.rejects(queue.get({ deadline: IOLoop.current().time() + 0.01 }), TimeoutError);
  });

  // tornado/test/queues_test.py::QueueGetTest::test_get_timeout_preempted
  void test("an item before the timeout wins", async () => {
    const queue = new Queue<number>();
    const getting = queue.get(0.01);
    void queue.put(0);
    await gen.sleep(0.02);
    assert.equal(await getting, 0);
  });

  // tornado/test/queues_test.py::QueueGetTest::test_get_clears_timed_out_putters
  void test("timed-out putters leave the queue and their items are never put", async () => {
    const queue = new Queue<number>(1);
    const putters = Array.from({ length: 10 }, (_, i) => queue.put(i, 0.01));
    for (const putter of putters) putter.catch(() => undefined); // checked below
    const put = track(queue.put(10));
    assert.equal(queue.toString(), "<Queue maxsize=1 putters[10] tasks=1>");
    await gen.sleep(0.02);
    assert.equal(queue.toString(), "<Queue maxsize=1 putters[1] tasks=1>");
    assert.equal(put.done, false);
    void queue.put(11);
    assert.equal(await queue.get(), 0);
    assert.equal(await queue.get(), 10);
    assert.equal(await queue.get(), 11);
    for (const putter of putters.slice(1)) await assert.rejects(putter, TimeoutError);
  });

  // tornado/test/queues_test.py::QueueGetTest::test_get_clears_timed_out_getters
  void test("timed-out getters leave the queue", async () => {
    const queue = new Queue<number>();
    const getters = Array.from({ length: 10 }, () => queue.get(0.01));
    for (const getter of getters) getter.catch(() => undefined); // checked below
    const getting = track(queue.get());
    assert.equal(queue.toString(), "<Queue maxsize=0 getters[11]>");
    await gen.sleep(0.02);
    assert.equal(queue.toString(), "<Queue maxsize=0 getters[1]>");
    assert.equal(getting.done, false);
    queue.putNowait(5);
    await loopBriefly();
    assert.equal(getting.value, 5);
    for (const getter of getters) await assert.rejects(getter, TimeoutError);
  });

  // tornado/test/queues_test.py::QueueGetTest::test_async_for
  void test("for await takes items as they come", async () => {
    const queue = new Queue<number>();
    for (let i = 0; i < 5; i++) void queue.put(i);
    const results: number[] = [];
    for await (const item of queue) {
      results.push(item);
      if (item === 4) break;
    }
    assert.deepEqual(results, [0, 1, 2, 3, 4]);
  });
});

void describe("Queue.put", () => {
  // tornado/test/queues_test.py::QueuePutTest::test_blocking_put
  void test("put on a queue with room resolves at once", async () => {
    const queue = new Queue<number>();
    await queue.put(0);
    assert.equal(queue.getNowait(), 0);
  });

  // tornado/test/queues_test.py::QueuePutTest::test_nonblocking_put_exception
  void test("putNowait on a full queue throws QueueFull", () => {
    const queue = new Queue<number>(1);
    void queue.put(0);
    assert.throws(() => queue.putNowait(1), (error: unknown) => {
      assert.ok(error instanceof QueueFull, "error instanceof QueueFull");
      assert.equal(error.code, "TYPHOON_ERR_QUEUE_FULL");
      return true;
    });
  });

  // tornado/test/queues_test.py::QueuePutTest::test_put_with_getters
  void test("put hands the item to the oldest waiting getter", async () => {
    const queue = new Queue<number>();
    const get0 = queue.get();
    const get1 = queue.get();
    await queue.put(0);
    assert.equal(await get0, 0);
    await queue.put(1);
    assert.equal(await get1, 1);
  });

  // tornado/test/queues_test.py::QueuePutTest::test_nonblocking_put_with_getters
  void test("putNowait wakes a waiting getter", async () => {
    const queue = new Queue<number>();
    const get0 = queue.get();
    const get1 = queue.get();
    queue.putNowait(0);
    await gen.moment;
    assert.equal(await get0, 0);
    queue.putNowait(1);
    assert.equal(await get1, 1);
  });

  // tornado/test/queues_test.py::QueuePutTest::test_blocking_put_wait
  void test("put waits for room, one get at a time", async () => {
    const queue = new Queue<number>(1);
    queue.putNowait(0);
    const puts = [track(queue.put(0)), track(queue.put(1))];
    await loopBriefly();
    assert.deepEqual(puts.map((put) => put.done), [false, false]);
    assert.equal(await queue.get(), 0);
    await loopBriefly();
    assert.deepEqual(puts.map((put) => put.done), [true, false]);
    assert.equal(await queue.get(), 0);
    await loopBriefly();
    assert.deepEqual(puts.map((put) => put.done), [true, true]);
    assert.equal(queue.getNowait(), 1);
  });

  // tornado/test/queues_test.py::QueuePutTest::test_put_timeout
  void test("put rejects with TimeoutError and the item is never put", async () => {
    const queue = new Queue<number>(1);
    queue.putNowait(0);
    const timingOut = queue.put(1, 0.01);
    const put = queue.put(2);
    await assert.rejects(timingOut, TimeoutError);
    assert.equal(queue.getNowait(), 0);
    assert.equal(await queue.get(), 2);
    await put;
  });

  // tornado/test/queues_test.py::QueuePutTest::test_put_timeout_preempted
  void test("room before the timeout wins", async () => {
    const queue = new Queue<number>(1);
    queue.putNowait(0);
    const put = queue.put(1, 0.01);
    void queue.get();
    await gen.sleep(0.02);
    await put;
  });

  // tornado/test/queues_test.py::QueuePutTest::test_put_clears_timed_out_putters
  void test("timed-out putters leave the queue; the waiting one stays", async () => {
    const queue = new Queue<number>(1);
    const putters = Array.from({ length: 10 }, (_, i) => queue.put(i, 0.01));
    for (const putter of putters) putter.catch(() => undefined); // checked below
    const put = track(queue.put(10));
    assert.equal(queue.toString(), "<Queue maxsize=1 putters[10] tasks=1>");
    await gen.sleep(0.02);
    assert.equal(put.done, false, "the last putter is still waiting");
    void queue.put(11);
    assert.equal(queue.toString(), "<Queue maxsize=1 putters[2] tasks=1>");
    for (const putter of putters.slice(1)) await assert.rejects(putter, TimeoutError);
    assert.deepEqual([queue.getNowait(), queue.getNowait(), queue.getNowait()], [0, 10, 11]);
  });

  // tornado/test/queues_test.py::QueuePutTest::test_put_clears_timed_out_getters
  void test("timed-out getters never receive an item", async () => {
    const queue = new Queue<number>();
    const getters = Array.from({ length: 10 }, () => queue.get(0.01));
    for (const getter of getters) getter.catch(() => undefined); // checked below
    const getting = queue.get();
    await gen.sleep(0.02);
    void queue.put(0);
    assert.equal(await getting, 0);
    for (const getter of getters) await assert.rejects(getter, TimeoutError);
  });
});

void describe("Queue.join and taskDone", () => {
  for (const QueueClass of [Queue, PriorityQueue, LifoQueue]) {
    // tornado/test/queues_test.py::QueueJoinTest::test_task_done_underflow
    void test(`${QueueClass.name}: taskDone without an item is an error`, () => {
      assert.throws(() => new QueueClass().taskDone(), (error: unknown) => {
        assert.ok(error instanceof InvalidStateError, "error instanceof InvalidStateError");
        assert.equal(error.code, "TYPHOON_ERR_TASK_DONE_TOO_MANY");
        return true;
      });
    });

    // tornado/test/queues_test.py::QueueJoinTest::test_task_done
    void test(`${QueueClass.name}: join waits until every item is done`, async () => {
      const queue = new QueueClass<number>();
      for (let i = 0; i < 100; i++) queue.putNowait(i);
      let accumulator = 0;
      async function worker(): Promise<void> {
        while (true) {
          const item = await queue.get();
          accumulator += item;
          queue.taskDone();
          await gen.sleep(Math.random() * 0.001);
        }
      }
      void worker();
      void worker();
      await queue.join();
      assert.equal(accumulator, (99 * 100) / 2);
    });

    // tornado/test/queues_test.py::QueueJoinTest::test_task_done_delay
    void test(`${QueueClass.name}: taskDone, not get, unblocks join`, async () => {
      const queue = new QueueClass<number>();
      queue.putNowait(0);
      const joined = track(queue.join());
      await queue.get();
      await gen.moment;
      assert.equal(joined.done, false);
      queue.taskDone();
      await loopBriefly();
      assert.equal(joined.done, true);
    });

    // tornado/test/queues_test.py::QueueJoinTest::test_join_empty_queue
    void test(`${QueueClass.name}: join on an empty queue resolves at once`, async () => {
      const queue = new QueueClass();
      await queue.join();
      await queue.join();
    });

    // tornado/test/queues_test.py::QueueJoinTest::test_join_timeout
    void test(`${QueueClass.name}: join rejects with TimeoutError`, async () => {
      const queue = new QueueClass<number>();
      void queue.put(0);
      await assert.rejects(queue.join(0.01), TimeoutError);
    });
  }
});

void describe("PriorityQueue and LifoQueue", () => {
  // tornado/test/queues_test.py::PriorityQueueJoinTest::test_order
  void test("PriorityQueue returns the smallest [priority, item] first", async () => {
    const queue = new PriorityQueue<[number, string]>(2);
    queue.putNowait([1, "a"]);
    queue.putNowait([0, "b"]);
    assert.equal(queue.full(), true);
    void queue.put([3, "c"]);
    void queue.put([2, "d"]);
    assert.deepEqual(queue.getNowait(), [0, "b"]);
    assert.deepEqual(await queue.get(), [1, "a"]);
    assert.deepEqual(queue.getNowait(), [2, "d"]);
    assert.deepEqual(await queue.get(), [3, "c"]);
    assert.equal(queue.empty(), true);
  });

  void test("PriorityQueue takes a comparator and keeps heap order over many items", () => {
    const queue = new PriorityQueue<{ due: number }>(0, (a, b) => b.due - a.due);
    const dues = Array.from({ length: 200 }, (_, i) => (i * 7919) % 211);
    for (const due of dues) queue.putNowait({ due });
    const out: number[] = [];
    while (!queue.empty()) out.push(queue.getNowait().due);
    assert.deepEqual(out, [...dues].sort((a, b) => b - a));
  });

  // tornado/test/queues_test.py::LifoQueueJoinTest::test_order
  void test("LifoQueue returns the most recent item first", async () => {
    const queue = new LifoQueue<number>(2);
    queue.putNowait(1);
    queue.putNowait(0);
    assert.equal(queue.full(), true);
    void queue.put(3);
    void queue.put(2);
    assert.equal(queue.getNowait(), 3);
    assert.equal(await queue.get(), 2);
    assert.equal(queue.getNowait(), 0);
    assert.equal(await queue.get(), 1);
    assert.equal(queue.empty(), true);
  });
});

// tornado/test/queues_test.py::ProducerConsumerTest::test_producer_consumer
void test("a producer and a consumer pass every item through a bounded queue", async () => {
  const queue = new Queue<number>(3);
  const history: number[] = [];
  async function consumer(): Promise<void> {
    while (true) {
      history.push(await queue.get());
      queue.taskDone();
    }
  }
  async function producer(): Promise<void> {
    for (let item = 0; item < 10; item++) await queue.put(item);
  }
  void consumer();
  await producer();
  await queue.join();
  assert.deepEqual(history, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

void test("a long-lived queue keeps FIFO order across its internal compaction", () => {
  const queue = new Queue<number>();
  let next = 0;
  let expected = 0;
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 100; i++) queue.putNowait(next++);
    for (let i = 0; i < 90; i++) assert.equal(queue.getNowait(), expected++);
  }
  while (!queue.empty()) assert.equal(queue.getNowait(), expected++);
  assert.equal(expected, next);
});
