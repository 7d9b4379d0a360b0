// Process management: multi-process servers (tornado.process) and autoreload (tornado.autoreload).
export { forkProcesses, taskId } from "./process.js";
export * as autoreload from "./autoreload.js";
