// Ports tornado.process: fork_processes and task_id, on node:cluster.

import cluster, { type Worker } from "node:cluster";
import { availableParallelism } from "node:os";
import { InvalidStateError } from "../util/errors.js";
import { genLog } from "../util/log.js";

const TASK_ID_ENV = "TYPHOON_TASK_ID";

/**
 * This worker's number (0 to n-1) when the process was started by {@link forkProcesses}
 * or `HTTPServer.start(n)`, else `null`. Tornado: `tornado.process.task_id`.
 */
export function taskId(): number | null {
  const value = cluster.isWorker ? process.env[TASK_ID_ENV] : undefined;
  return value === undefined ? null : Number(value);
}

let forked = false;

/**
 * Starts `numProcesses` worker processes (0 or less: one per core) running this same program;
 * in a worker the promise resolves at once with the worker's task id. The primary process
 * never resolves: it restarts a worker that crashes or is killed (at most `maxRestarts`
 * times in all, logging each restart), forwards SIGINT/SIGTERM to the workers, and exits
 * when every worker has exited. Workers that call `listen` on the same port share it.
 * Tornado: `tornado.process.fork_processes`.
 *
 * @example
 * const id = await forkProcesses(0);   // the code below runs in each worker
 * await app.listen(8888);
 */
export function forkProcesses(numProcesses: number, maxRestarts = 100): Promise<number> {
  if (cluster.isWorker) return Promise.resolve(taskId() ?? 0);
  if (forked) throw new InvalidStateError("forkProcesses() can only be called once");
  forked = true;
  const count = numProcesses > 0 ? numProcesses : availableParallelism();
  genLog.info(`Starting ${count} processes`);
  const workers = new Map<Worker, number>();
  let restarts = 0;
  let stopping = false;

  const fork = (id: number): void => {
    workers.set(cluster.fork({ [TASK_ID_ENV]: String(id) }), id);
  };

  cluster.on("exit", (worker, code, signal) => {
    const id = workers.get(worker);
    if (id === undefined) return;
    workers.delete(worker);
    const pid = worker.process.pid ?? "?";
    if (stopping || (code === 0 && !signal)) {
      genLog.info(`child ${id} (pid ${pid}) exited normally`);
    } else if (++restarts > maxRestarts) {
      genLog.error(`child ${id} (pid ${pid}) died and the restart limit (${maxRestarts}) is reached; giving up`);
      stopping = true;
      for (const other of workers.keys()) other.process.kill("SIGTERM");
      process.exitCode = 1;
    } else {
      const how = signal ? `killed by signal ${signal}` : `exited with status ${code}`;
      genLog.warning(`child ${id} (pid ${pid}) ${how}, restarting`);
      fork(id);
    }
    if (workers.size === 0) process.exit();
  });

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      stopping = true;
      for (const worker of workers.keys()) worker.process.kill(signal);
    });
  }
  for (let id = 0; id < count; id++) fork(id);
  return new Promise<number>(() => undefined);
}
