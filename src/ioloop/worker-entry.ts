// The script each worker thread of a WorkerPool runs: imports task modules and calls their exports.

import { parentPort } from "node:worker_threads";
import { prepareValue, restoreValue, type ResultMessage, type SerializedError, type TaskMessage } from "./executor.js";

const modules = new Map<string, Promise<Record<string, unknown>>>();

function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) {
    return { name: "Error", message: `non-Error value thrown: ${String(error)}`, stack: undefined, props: {} };
  }
  const props: SerializedError["props"] = {};
  for (const [key, value] of Object.entries(error)) {
    if (value === null || ["string", "number", "boolean"].includes(typeof value)) {
      props[key] = value as string | number | boolean | null;
    }
  }
  return { name: error.name, message: error.message, stack: error.stack, props };
}

async function runTask(message: TaskMessage): Promise<unknown> {
  let loading = modules.get(message.moduleUrl);
  if (loading === undefined) {
    loading = import(message.moduleUrl) as Promise<Record<string, unknown>>;
    modules.set(message.moduleUrl, loading);
    loading.catch(() => modules.delete(message.moduleUrl));
  }
  const module = await loading;
  const fn = module[message.exportName];
  if (typeof fn !== "function") {
    throw new TypeError(`${message.moduleUrl} has no exported function named ${JSON.stringify(message.exportName)}`);
  }
  const args = message.args.map((arg, index) => restoreValue(arg, message.bufferArgs.includes(index)));
  return await (fn as (...values: unknown[]) => unknown)(...args);
}

const port = parentPort!;
port.on("message", (message: TaskMessage) => {
  runTask(message).then(
    (value) => {
      const prepared = prepareValue(value);
      const reply: ResultMessage = { id: message.id, ok: true, value: prepared.value, isBuffer: prepared.isBuffer };
      try {
        port.postMessage(reply, prepared.transfer === undefined ? [] : [prepared.transfer]);
      } catch (error) {
        const failure: ResultMessage = {
          id: message.id,
          ok: false,
          error: serializeError(
            new TypeError(
              `the result of ${message.exportName}() cannot be sent back from the worker thread: ${error instanceof Error ? error.message : String(error)}`,
            ),
          ),
        };
        port.postMessage(failure);
      }
    },
    (error: unknown) => {
      const failure: ResultMessage = { id: message.id, ok: false, error: serializeError(error) };
      port.postMessage(failure);
    },
  );
});
