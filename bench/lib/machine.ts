// The machine and software a run used, recorded with its numbers.
import { spawnSync } from "node:child_process";
import { cpus, loadavg, release, totalmem } from "node:os";
import { ROOT } from "./build.js";
import { packageVersion } from "./load.js";

/** Recorded in every report. */
export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  node: string;
  loadTool: string;
  python: string;
  packages: Record<string, string>;
  typhoonCommit: string;
  placement: string;
  loadAverageAtStart: number[];
}

/** `git describe`-like identification of the Typhoon source measured (with `+dirty` for local edits in src/). */
function typhoonCommit(): string {
  const head = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" });
  if (head.status !== 0) return "unknown (not a git checkout)";
  const dirty = spawnSync("git", ["status", "--porcelain", "--", "src"], { cwd: ROOT, encoding: "utf8" });
  return `${head.stdout.trim()}${dirty.stdout.trim() ? "+dirty" : ""}`;
}

/** Gathers the machine description. */
export function describeMachine(loadTool: string, python: string, placement: string): MachineInfo {
  const names = ["fastify", "express", "hono", "@hono/node-server", "ws", "undici", "autocannon", "esbuild"];
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? "unknown",
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    node: process.version,
    loadTool,
    python,
    packages: Object.fromEntries(names.map((name) => [name, packageVersion(name)])),
    typhoonCommit: typhoonCommit(),
    placement,
    loadAverageAtStart: loadavg().map((value) => Math.round(value * 100) / 100),
  };
}
