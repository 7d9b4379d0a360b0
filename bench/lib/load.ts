// The HTTP load generators: wrk when installed (one thread, pinned to the load core), otherwise
// autocannon from devDependencies. Both report requests/s, p50/p99 latency and every error,
// including answers whose status is not the one the scenario expects.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./build.js";
import type { HttpRequestSpec } from "./http-check.js";
import { runToEnd } from "./processes.js";

/** One measured load run. */
export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Connection, read, write and timeout errors plus answers with an unexpected status. */
  errors: number;
  errorDetail: string;
}

/** How hard and how long to push. */
export interface LoadOptions {
  port: number;
  request: HttpRequestSpec;
  expectStatus: number;
  connections: number;
  seconds: number;
  core: number | null;
}

/** A load generator. */
export interface LoadTool {
  name: "wrk" | "autocannon";
  version: string;
  run(options: LoadOptions): Promise<LoadResult>;
}

const WRK_INSTALL_HINT = "wrk is not installed: using autocannon (slower; install wrk with `apt-get install wrk` for figures comparable to published ones)";

function luaString(value: string): string {
  if (!/^[\x20-\x7e]*$/.test(value)) throw new Error(`wrk scripts here take printable ASCII only: ${JSON.stringify(value)}`);
  return JSON.stringify(value);
}

function wrkScript(request: HttpRequestSpec, expectStatus: number): string {
  const lines = [`wrk.method = ${luaString(request.method)}`];
  for (const [name, value] of Object.entries(request.headers)) lines.push(`wrk.headers[${luaString(name)}] = ${luaString(value)}`);
  if (request.body !== undefined) lines.push(`wrk.body = ${luaString(request.body)}`);
  lines.push(
    "local threads = {}",
    "function setup(thread) table.insert(threads, thread) end",
    "unexpected = 0",
    `function response(status, headers, body) if status ~= ${expectStatus} then unexpected = unexpected + 1 end end`,
    "function done(summary, latency, requests)",
    "  local bad = 0",
    "  for _, t in ipairs(threads) do bad = bad + t:get(\"unexpected\") end",
    "  local e = summary.errors",
    "  io.write(string.format('BENCH {\"requests\":%d,\"micros\":%d,\"connect\":%d,\"read\":%d,\"write\":%d,\"status\":%d,\"timeout\":%d,\"unexpected\":%d,\"p50\":%d,\"p99\":%d}\\n',",
    "    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout, bad,",
    "    latency:percentile(50), latency:percentile(99)))",
    "end",
  );
  return `${lines.join("\n")}\n`;
}

interface WrkReport {
  requests: number;
  micros: number;
  connect: number;
  read: number;
  write: number;
  status: number;
  timeout: number;
  unexpected: number;
  p50: number;
  p99: number;
}

function describeErrors(parts: Record<string, number>): string {
  return Object.entries(parts)
    .filter(([, count]) => count > 0)
    .map(([what, count]) => `${count} ${what}`)
    .join(", ");
}

let scriptDir: string | undefined;

/** A directory for wrk scripts, removed when the harness exits (also on Ctrl-C). */
function scratchDir(): string {
  if (scriptDir === undefined) {
    const dir = mkdtempSync(join(tmpdir(), "typhoon-bench-wrk-"));
    process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
    scriptDir = dir;
  }
  return scriptDir;
}

function wrkTool(version: string): LoadTool {
  let runs = 0;
  return {
    name: "wrk",
    version,
    async run(options) {
      const script = join(scratchDir(), `load-${++runs}.lua`);
      try {
        writeFileSync(script, wrkScript(options.request, options.expectStatus));
        const seconds = Math.max(1, Math.round(options.seconds));
        const result = await runToEnd(
          {
            command: "wrk",
            args: [
              "-t1",
              `-c${options.connections}`,
              `-d${seconds}s`,
              "--timeout",
              "10s",
              "-s",
              script,
              `http://127.0.0.1:${options.port}${options.request.path}`,
            ],
            core: options.core,
          },
          (seconds + 30) * 1000,
        );
        const line = /^BENCH (\{.*\})$/m.exec(result.stdout);
        if (!line) throw new Error(`wrk printed no result (exit ${result.code ?? "?"}): ${result.stderr.trim() || result.stdout.trim()}`);
        const report = JSON.parse(line[1]!) as WrkReport;
        // wrk counts status >= 400 both as a status error and in `unexpected`; count it once.
        const errors = report.connect + report.read + report.write + report.timeout + report.unexpected;
        const secondsMeasured = report.micros / 1e6;
        return {
          requests: report.requests,
          seconds: secondsMeasured,
          rps: report.requests / secondsMeasured,
          p50Ms: report.p50 / 1000,
          p99Ms: report.p99 / 1000,
          errors,
          errorDetail: describeErrors({
            "connect errors": report.connect,
            "read errors": report.read,
            "write errors": report.write,
            timeouts: report.timeout,
            [`answers other than ${options.expectStatus}`]: report.unexpected,
          }),
        };
      } finally {
        rmSync(script, { force: true });
      }
    },
  };
}

interface AutocannonReport {
  requests: { total: number };
  latency: { p50: number; p99: number };
  duration: number;
  errors: number;
  timeouts: number;
  statusCodeStats?: Record<string, { count: number }>;
}

function autocannonTool(version: string): LoadTool {
  const bin = join(ROOT, "node_modules", "autocannon", "autocannon.js");
  return {
    name: "autocannon",
    version,
    async run(options) {
      const seconds = Math.max(1, Math.round(options.seconds));
      const args = [bin, "--json", "-c", String(options.connections), "-d", String(seconds), "-m", options.request.method];
      for (const [name, value] of Object.entries(options.request.headers)) args.push("-H", `${name}=${value}`);
      if (options.request.body !== undefined) args.push("-b", options.request.body);
      args.push(`http://127.0.0.1:${options.port}${options.request.path}`);
      const result = await runToEnd({ command: process.execPath, args, core: options.core }, (seconds + 30) * 1000);
      const start = result.stdout.indexOf("{");
      if (start < 0) throw new Error(`autocannon printed no result (exit ${result.code ?? "?"}): ${result.stderr.trim()}`);
      const report = JSON.parse(result.stdout.slice(start)) as AutocannonReport;
      const total = report.requests.total;
      const expected = report.statusCodeStats?.[String(options.expectStatus)]?.count ?? 0;
      const unexpected = Math.max(0, total - expected);
      return {
        requests: total,
        seconds: report.duration,
        rps: total / report.duration,
        p50Ms: report.latency.p50,
        p99Ms: report.latency.p99,
        errors: report.errors + unexpected,
        errorDetail: describeErrors({
          "errors (incl. timeouts)": report.errors,
          [`answers other than ${options.expectStatus}`]: unexpected,
        }),
      };
    },
  };
}

/** The installed version of a package in node_modules, or "?". */
export function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "?";
  }
}

/** wrk when on PATH (unless `prefer` says autocannon), else autocannon; `notice` says why when it matters. */
export function chooseLoadTool(prefer: "wrk" | "autocannon" | undefined): { tool: LoadTool; notice?: string } {
  const wrk = spawnSync("wrk", ["--version"], { encoding: "utf8" });
  const wrkVersion = /wrk (\S+)/.exec(`${wrk.stdout}${wrk.stderr}`)?.[1];
  if (prefer !== "autocannon" && wrk.error === undefined && wrkVersion !== undefined) return { tool: wrkTool(wrkVersion) };
  const tool = autocannonTool(packageVersion("autocannon"));
  return prefer === "autocannon" ? { tool } : { tool, notice: WRK_INSTALL_HINT };
}
