// Ports tornado.autoreload: restart the process when a source file changes (development mode).

import { spawnSync } from "node:child_process";
import { type FSWatcher, readdirSync, statSync, watch as watchPath } from "node:fs";
import { dirname, extname, join, resolve, sep } from "node:path";
import { genLog } from "../util/log.js";

/** Exit status by which a restarted child asks its supervisor for a fresh start. */
const RELOAD_EXIT_CODE = 75;
const CHILD_ENV = "TYPHOON_AUTORELOAD_CHILD";
const SOURCE_EXTENSIONS = new Set([".ts", ".tsx", ".mts", ".cts", ".js", ".mjs", ".cjs", ".json"]);
const SKIPPED_DIRECTORIES = new Set(["node_modules", ".git", "dist", "coverage"]);

const reloadHooks: Array<() => void> = [];
const watchedPaths = new Set<string>();
const cacheDirectories = new Map<string, Array<() => void>>();
const watchers: FSWatcher[] = [];
let started = false;
let reloading = false;
let debounce: NodeJS.Timeout | undefined;

/** True in a process that autoreload started as a restart of the original one. */
function isSupervisedChild(): boolean {
  return process.env[CHILD_ENV] === "1";
}

function mainDirectory(): string {
  return dirname(resolve(process.argv[1] ?? "."));
}

/**
 * Watches the main module's directory tree (and paths given to {@link watch}) and restarts
 * the process when a source file changes. The first restart turns the original process into
 * a small supervisor that runs the program as a child and starts a fresh child on every later
 * change; when a change leaves the program unable to start (a syntax error), the supervisor
 * keeps watching and starts it again after the next change. Files under directories given
 * to {@link watchWithoutRestart} (templates, static files) do not restart.
 * Called by `Application` when the `autoreload` (or `debug`) setting is on.
 * Tornado: `tornado.autoreload.start`.
 */
export function start(): void {
  if (started) return;
  started = true;
  const main = mainDirectory();
  watchTree(main);
  for (const path of watchedPaths) watchTree(path);
  for (const directory of cacheDirectories.keys()) if (!isInside(directory, main)) watchTree(directory);
  if (isSupervisedChild()) exitWithParent();
}

/**
 * Adds a file or directory whose changes restart the process (any file type).
 * Tornado: `tornado.autoreload.watch`.
 */
export function watch(path: string): void {
  const absolute = resolve(path);
  if (watchedPaths.has(absolute)) return;
  watchedPaths.add(absolute);
  if (started) watchTree(absolute);
}

/**
 * Adds a function called just before a restart (e.g. to flush logs or close connections).
 * Tornado: `tornado.autoreload.add_reload_hook`.
 */
export function addReloadHook(hook: () => void): void {
  reloadHooks.push(hook);
}

/**
 * Changes under `path` call `onChange` instead of restarting the process; used for the
 * template and static directories, whose caches are simply cleared.
 */
export function watchWithoutRestart(path: string, onChange: () => void): void {
  const absolute = resolve(path);
  const callbacks = cacheDirectories.get(absolute);
  if (callbacks) callbacks.push(onChange);
  else cacheDirectories.set(absolute, [onChange]);
  if (started && !isInside(absolute, mainDirectory())) watchTree(absolute);
}

function isInside(path: string, directory: string): boolean {
  return path === directory || path.startsWith(directory + sep);
}

function watchTree(root: string): void {
  try {
    const watcher = watchPath(root, { recursive: true, persistent: false }, (_event, filename) => {
      if (filename) onFileEvent(join(statSync(root).isDirectory() ? root : dirname(root), filename.toString()));
    });
    watcher.on("error", () => undefined);
    watchers.push(watcher);
  } catch (error) {
    genLog.warning(`autoreload cannot watch ${root}: ${(error as Error).message}`);
  }
}

function onFileEvent(path: string): void {
  for (const [directory, callbacks] of cacheDirectories) {
    if (isInside(path, directory)) {
      for (const callback of callbacks) callback();
      return;
    }
  }
  const explicit = [...watchedPaths].some((watched) => isInside(path, watched));
  if (!explicit) {
    if (!SOURCE_EXTENSIONS.has(extname(path))) return;
    if (path.split(sep).some((part) => SKIPPED_DIRECTORIES.has(part) || part.startsWith("."))) return;
  }
  if (debounce) clearTimeout(debounce);
  debounce = setTimeout(() => reload(path), 100);
}

function reload(changed: string): void {
  if (reloading) return;
  reloading = true;
  genLog.info(`${changed} modified; restarting server`);
  for (const hook of reloadHooks) {
    try {
      hook();
    } catch (error) {
      genLog.error("Error in reload hook", error instanceof Error ? error : new Error(String(error)));
    }
  }
  for (const watcher of watchers) watcher.close();
  if (isSupervisedChild()) process.exit(RELOAD_EXIT_CODE);
  // Give the reload hooks (which close listening sockets) a moment to complete, then
  // supervise: this process never runs application code again.
  setTimeout(supervise, 50);
}

function supervise(): never {
  // The terminal's Ctrl-C must end this supervisor too, whatever handlers the app installed.
  process.removeAllListeners("SIGINT");
  process.removeAllListeners("SIGTERM");
  const roots = [mainDirectory(), ...watchedPaths];
  for (;;) {
    const result = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
      stdio: "inherit",
      env: { ...process.env, [CHILD_ENV]: "1" },
    });
    if (result.signal) process.exit(128 + (signalNumber(result.signal) ?? 1));
    if (result.status === RELOAD_EXIT_CODE) continue;
    if (result.status === 0) process.exit(0);
    genLog.warning(`program exited with status ${result.status}; waiting for a change to restart it`);
    waitForChange(roots);
  }
}

function signalNumber(signal: NodeJS.Signals): number | undefined {
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  return numbers[signal];
}

/** Blocks until a source file under `roots` changes (the supervisor has nothing else to do). */
function waitForChange(roots: readonly string[]): void {
  const before = snapshot(roots);
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    Atomics.wait(sleeper, 0, 0, 500);
    const now = snapshot(roots);
    if (now.size !== before.size) return;
    for (const [path, mtime] of now) if (before.get(path) !== mtime) return;
  }
}

function snapshot(roots: readonly string[]): Map<string, number> {
  const times = new Map<string, number>();
  const visit = (path: string, depth: number): void => {
    let stats;
    try {
      stats = statSync(path);
    } catch {
      return;
    }
    if (stats.isDirectory()) {
      if (depth > 20) return;
      for (const entry of readdirSync(path)) {
        if (SKIPPED_DIRECTORIES.has(entry) || entry.startsWith(".")) continue;
        const child = join(path, entry);
        if ([...cacheDirectories.keys()].some((directory) => isInside(child, directory))) continue;
        visit(child, depth + 1);
      }
    } else if (SOURCE_EXTENSIONS.has(extname(path)) || watchedPaths.has(path)) {
      times.set(path, stats.mtimeMs);
    }
  };
  for (const root of roots) visit(root, 0);
  return times;
}

/** A restarted child exits when its supervisor is gone, so it never outlives a closed terminal. */
function exitWithParent(): void {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.exit(0);
  }, 1000).unref();
}
