// typhoon/ioloop: the IOLoop facade and the coroutine toolkit (gen, locks, queues, worker threads).
export { IOLoop, PeriodicCallback, TimeoutHandle } from "./ioloop.js";
export { TimeoutError, type Timeout } from "./timeout.js";
export * as gen from "./gen.js";
export { Condition, Event, Semaphore, BoundedSemaphore, Lock, Releaser } from "./locks.js";
export { Queue, PriorityQueue, LifoQueue, QueueEmpty, QueueFull, naturalCompare } from "./queues.js";
export {
  WorkerPool,
  WorkerCrashedError,
  runInWorker,
  transferable,
  defaultExecutor,
  type Executor,
  type WorkerTask,
  type WorkerPoolOptions,
  type AnyFunction,
} from "./executor.js";
