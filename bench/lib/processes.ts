// Child processes of a bench run: started pinned to a core, watched for their READY line, measured
// through /proc, and always killed — on normal exit, Ctrl-C, SIGTERM or a crash of the harness.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { cpus } from "node:os";
import { createInterface } from "node:readline";

const children = new Set<ChildProcess>();
let cleanupInstalled = false;

function killAll(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
  children.clear();
}

/** Kills every child on exit, Ctrl-C, SIGTERM/SIGHUP and uncaught errors. Idempotent. */
export function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on("exit", killAll);
  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]] as const) {
    process.on(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping every server and load generator\n`);
      killAll();
      process.exit(code);
    });
  }
  const crash = (error: unknown): void => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    killAll();
    process.exit(1);
  };
  process.on("uncaughtException", crash);
  process.on("unhandledRejection", crash);
}

function commandExists(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

/** Where servers and load generators run: two different cores when the machine and `taskset` allow. */
export interface Placement {
  taskset: boolean;
  serverCore: number | null;
  loadCore: number | null;
  description: string;
}

/** Server on core 1, load on core 0 when there are two cores and taskset; otherwise unpinned. */
export function choosePlacement(): Placement {
  const cores = cpus().length;
  const taskset = commandExists("taskset");
  if (taskset && cores >= 2) {
    return { taskset, serverCore: 1, loadCore: 0, description: "server pinned to core 1, load generator to core 0 (taskset)" };
  }
  const why = taskset ? "only one core" : "taskset not found (Debian: apt-get install util-linux)";
  return { taskset, serverCore: null, loadCore: null, description: `not pinned: ${why}` };
}

/** The soft and hard limits on open files of processes started from here. */
export function fileLimits(): { soft: number; hard: number } {
  const read = (flag: string): number => {
    const out = spawnSync("sh", ["-c", `ulimit ${flag}`], { encoding: "utf8" }).stdout.trim();
    return out === "unlimited" ? Number.MAX_SAFE_INTEGER : Number(out);
  };
  return { soft: read("-Sn"), hard: read("-Hn") };
}

/** How to start one child. */
export interface LaunchOptions {
  command: string;
  args: string[];
  /** Core to pin to, or null for no pinning. */
  core: number | null;
  env?: Record<string, string>;
  /** Raise the soft open-files limit to this (up to the hard limit) before exec. */
  fileLimit?: number;
  cwd?: string;
}

/** A started child, with its stdout split in lines. */
export interface Launched {
  child: ChildProcess;
  pid: number;
  /** Every stdout line so far. */
  lines: string[];
  /** The last 4 KiB of stderr, for error reports. */
  stderr(): string;
  exited: Promise<number | null>;
  /** Resolves with the first stdout line matching, or rejects on exit/timeout. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  stop(): Promise<void>;
}

/** Spawns a child (through taskset and a ulimit shell when asked); it is killed when the harness exits. */
export function launch(options: LaunchOptions): Launched {
  let argv = [options.command, ...options.args];
  if (options.core !== null) argv = ["taskset", "-c", String(options.core), ...argv];
  if (options.fileLimit !== undefined) {
    argv = ["sh", "-c", `ulimit -n ${options.fileLimit} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"`, "sh", ...argv];
  }
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  children.add(child);
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  let stderrTail = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-4096);
  });
  createInterface({ input: child.stdout }).on("line", (line) => {
    lines.push(line);
    for (let i = waiters.length - 1; i >= 0; i--) {
      const match = waiters[i]!.pattern.exec(line);
      if (match) {
        waiters[i]!.resolve(match);
        waiters.splice(i, 1);
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code, signal) => {
      children.delete(child);
      resolve(code ?? (signal === null ? null : 128));
    });
    child.once("error", () => {
      children.delete(child);
      resolve(null);
    });
  });
  const launched: Launched = {
    child,
    pid: child.pid ?? -1,
    lines,
    stderr: () => stderrTail,
    exited,
    waitForLine(pattern, timeoutMs) {
      for (const line of lines) {
        const match = pattern.exec(line);
        if (match) return Promise.resolve(match);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({
          pattern,
          resolve: (match) => {
            clearTimeout(timer);
            resolve(match);
          },
        });
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`exited with code ${code ?? "?"} before printing a line matching ${pattern}`));
        });
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 2000);
      await exited;
      clearTimeout(timer);
    },
  };
  return launched;
}

/** Runs a child to completion and returns its stdout (the child is tracked like the others). */
export async function runToEnd(options: LaunchOptions, timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const launched = launch(options);
  const timer = setTimeout(() => launched.child.kill("SIGKILL"), timeoutMs);
  const code = await launched.exited;
  clearTimeout(timer);
  // Let readline deliver the last lines.
  await new Promise((resolve) => setImmediate(resolve));
  return { code, stdout: launched.lines.join("\n"), stderr: launched.stderr() };
}

function statusField(pid: number, field: string): number | null {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Current resident set size in bytes (VmRSS), or null when /proc is unavailable. */
export function currentRss(pid: number): number | null {
  return statusField(pid, "VmRSS");
}

/** Peak resident set size in bytes since start (VmHWM). */
export function peakRss(pid: number): number | null {
  return statusField(pid, "VmHWM");
}

const CLOCK_TICKS = (() => {
  const out = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
  const ticks = Number(out.stdout?.trim());
  return Number.isFinite(ticks) && ticks > 0 ? ticks : 100;
})();

/** CPU time (user + system) the process has used, in seconds, or null without /proc. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 14 and 15 of proc(5), counted after the command name: utime and stime.
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/** True when /proc gives per-process memory and CPU figures. */
export const procAvailable = existsSync("/proc/self/status");

/** Busy CPU seconds per core since boot (user, nice, system, irq, softirq, steal), from /proc/stat. */
export function coreBusySeconds(): number[] | null {
  try {
    const lines = readFileSync("/proc/stat", "utf8").split("\n");
    const busy: number[] = [];
    for (const line of lines) {
      const match = /^cpu(\d+) (.*)$/.exec(line);
      if (!match) continue;
      const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = match[2]!.trim().split(/\s+/).map(Number);
      busy[Number(match[1])] = (user + nice + system + irq + softirq + steal) / CLOCK_TICKS;
    }
    return busy;
  } catch {
    return null;
  }
}
