// Runs one scenario on one server: start it pinned, check its answer, warm it up, load it, and read
// its CPU time and peak RSS from /proc. Every process started here is stopped before returning.
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import WebSocket from "ws";
import type { LoadReport } from "../clients/load-report.js";
import { ROOT, compileEntry } from "./build.js";
import type { WrittenFixture } from "./fixture.js";
import { sendOnce, type HttpRequestSpec } from "./http-check.js";
import type { LoadTool } from "./load.js";
import { coreBusySeconds, cpuSeconds, launch, peakRss, runToEnd, type Launched, type Placement } from "./processes.js";
import type { Measurement } from "./results.js";
import type { ClientScenario, HttpScenario, Scenario, ServerId, WebSocketScenario } from "./scenarios.js";

/** Python with Tornado, or why it is absent. */
export interface PythonInfo {
  command: string;
  version?: string;
  missing?: string;
}

/** What every run needs. */
export interface RunContext {
  fixture: WrittenFixture;
  placement: Placement;
  tool: LoadTool;
  python: PythonInfo;
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
  /** Directory for `node --cpu-prof` profiles of the Node servers, or undefined. */
  cpuProfileDir?: string;
  /** Before each measured run, wait up to this long for other processes to leave the two cores. */
  quietTimeoutSeconds: number;
}

/** Busy share (%) of the two pinned cores over `ms` milliseconds. */
async function coresBusy(placement: Placement, ms: number): Promise<number[]> {
  const before = coreBusySeconds();
  await sleep(ms);
  const after = coreBusySeconds();
  if (before === null || after === null) return [];
  return [placement.serverCore, placement.loadCore]
    .filter((core): core is number => core !== null)
    .map((core) => (((after[core] ?? 0) - (before[core] ?? 0)) / (ms / 1000)) * 100);
}

/**
 * Waits (up to the context's timeout) until other processes use under 15% of each pinned core,
 * so a run does not start while someone else's job holds the machine. Returns the seconds waited
 * and whether the cores were quiet at the end.
 */
async function waitForQuietCores(context: RunContext): Promise<{ waited: number; quiet: boolean }> {
  if (context.quietTimeoutSeconds <= 0 || context.placement.serverCore === null) return { waited: 0, quiet: true };
  const started = performance.now();
  for (;;) {
    const busy = await coresBusy(context.placement, 500);
    const waited = (performance.now() - started) / 1000;
    if (busy.every((share) => share < 15)) return { waited, quiet: true };
    if (waited >= context.quietTimeoutSeconds) return { waited, quiet: false };
  }
}

const NODE_ENTRIES: Record<Exclude<ServerId, "tornado">, string> = {
  node: "servers/node-http.ts",
  fastify: "servers/fastify.ts",
  express: "servers/express.ts",
  hono: "servers/hono.ts",
  typhoon: "servers/typhoon-web.ts",
};

/** The display name of a server in a scenario. */
export function labelOf(scenario: Scenario, server: ServerId): string {
  return scenario.labels?.[server] ?? (server === "node" ? "node:http" : server);
}

type Started = { server: Launched; port: number } | { status: "skipped" | "broken"; reason: string };

/** Starts `server` serving `scenario` on `core`; resolves once it printed READY (or SKIP, or died). */
export async function startServer(
  context: RunContext,
  server: ServerId,
  scenario: string,
  core: number | null,
  fileLimit?: number,
): Promise<Started> {
  let command: string;
  let args: string[];
  if (server === "tornado") {
    if (context.python.missing !== undefined) return { status: "skipped", reason: context.python.missing };
    command = context.python.command;
    args = [join(ROOT, "bench", "servers", "tornado-server.py"), scenario];
  } else {
    const entry = server === "typhoon" && scenario === "websocket" ? "servers/typhoon-websocket.ts" : NODE_ENTRIES[server];
    try {
      const profile =
        context.cpuProfileDir === undefined || fileLimit !== undefined
          ? []
          : ["--cpu-prof", "--cpu-prof-dir", context.cpuProfileDir, "--cpu-prof-name", `${scenario}-${server}.cpuprofile`];
      args = [...profile, await compileEntry(entry), scenario];
    } catch (error) {
      return { status: "broken", reason: `does not compile: ${(error as Error).message}` };
    }
    command = process.execPath;
  }
  const launched = launch({
    command,
    args,
    core,
    env: { BENCH_FIXTURE: context.fixture.path },
    ...(fileLimit === undefined ? {} : { fileLimit }),
  });
  try {
    const match = await launched.waitForLine(/^(READY|SKIP) (.*)$/, 30_000);
    if (match[1] === "SKIP") {
      await launched.stop();
      return { status: "skipped", reason: match[2]! };
    }
    return { server: launched, port: Number(match[2]) };
  } catch (error) {
    await launched.stop();
    const lastLines = launched.stderr().trim().split("\n").filter(Boolean).slice(-3).join(" | ");
    return { status: "broken", reason: `${(error as Error).message}${lastLines ? `: ${lastLines}` : ""}` };
  }
}

function base(scenario: Scenario, server: ServerId): Pick<Measurement, "scenario" | "server" | "label" | "unit"> {
  return { scenario: scenario.id, server, label: labelOf(scenario, server), unit: scenario.unit };
}

interface Window {
  throughput: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  errorDetail: string;
  cpuPercent?: number;
  loadCpuPercent?: number;
  serverCoreBusyPercent?: number;
  loadCoreBusyPercent?: number;
  /** Other processes still held the cores when the run started. */
  startedBusy?: boolean;
}

/** Starts watching the two pinned cores; the returned function adds their busy share to a window. */
function watchCores(placement: Placement): (window: Window, seconds: number) => void {
  const before = coreBusySeconds();
  return (window, seconds) => {
    const after = coreBusySeconds();
    if (before === null || after === null || seconds <= 0) return;
    const share = (core: number | null): number | undefined =>
      core === null || before[core] === undefined || after[core] === undefined
        ? undefined
        : ((after[core] - before[core]) / seconds) * 100;
    const server = share(placement.serverCore);
    const load = share(placement.loadCore);
    if (server !== undefined) window.serverCoreBusyPercent = server;
    if (load !== undefined) window.loadCoreBusyPercent = load;
  };
}

function finish(
  measurement: Pick<Measurement, "scenario" | "server" | "label" | "unit">,
  window: Window,
  peak: number | null,
  died: string | null,
): Measurement {
  const result: Measurement = {
    ...measurement,
    status: died !== null || window.errors > 0 ? "invalid" : "ok",
    throughput: window.throughput,
    p50Ms: window.p50Ms,
    p99Ms: window.p99Ms,
    errors: window.errors,
  };
  if (died !== null) result.reason = died;
  else if (window.errors > 0) result.reason = `errors under load: ${window.errorDetail}`;
  if (window.cpuPercent !== undefined) result.cpuPercent = window.cpuPercent;
  if (window.loadCpuPercent !== undefined) result.loadCpuPercent = window.loadCpuPercent;
  if (window.serverCoreBusyPercent !== undefined) result.serverCoreBusyPercent = window.serverCoreBusyPercent;
  if (window.loadCoreBusyPercent !== undefined) result.loadCoreBusyPercent = window.loadCoreBusyPercent;
  if (window.startedBusy === true) result.startedBusy = true;
  if (peak !== null) result.peakRssBytes = peak;
  return result;
}

function cpuPercent(pid: number, before: number | null, seconds: number): number | undefined {
  const after = cpuSeconds(pid);
  return before === null || after === null || seconds <= 0 ? undefined : ((after - before) / seconds) * 100;
}

async function runHttp(context: RunContext, scenario: HttpScenario, server: ServerId): Promise<Measurement> {
  const head = base(scenario, server);
  const started = await startServer(context, server, scenario.id, context.placement.serverCore);
  if ("status" in started) return { ...head, status: started.status, reason: started.reason };
  const { server: process_, port } = started;
  try {
    let request: HttpRequestSpec = scenario.request(context.fixture);
    const send = (spec: HttpRequestSpec): ReturnType<typeof sendOnce> => sendOnce(port, spec);
    try {
      if (scenario.prepare) request = await scenario.prepare(send, request);
      const problem = scenario.check(await send(request), context.fixture);
      if (problem !== null) return { ...head, status: "broken", reason: `wrong answer: ${problem}` };
    } catch (error) {
      return { ...head, status: "broken", reason: (error as Error).message };
    }
    const load = {
      port,
      request,
      expectStatus: scenario.expectStatus,
      connections: context.connections,
      core: context.placement.loadCore,
    };
    if (context.warmupSeconds > 0) await context.tool.run({ ...load, seconds: context.warmupSeconds });
    const { quiet } = await waitForQuietCores(context);
    const cpuBefore = cpuSeconds(process_.pid);
    const cores = watchCores(context.placement);
    const result = await context.tool.run({ ...load, seconds: context.durationSeconds });
    const window: Window = {
      throughput: result.rps,
      p50Ms: result.p50Ms,
      p99Ms: result.p99Ms,
      errors: result.errors,
      errorDetail: result.errorDetail,
    };
    const cpu = cpuPercent(process_.pid, cpuBefore, result.seconds);
    if (cpu !== undefined) window.cpuPercent = cpu;
    cores(window, result.seconds);
    if (!quiet) window.startedBusy = true;
    let died: string | null = null;
    if (process_.child.exitCode !== null || process_.child.signalCode !== null) died = "the server exited during the run";
    else {
      const after = scenario.check(await send(request).catch((e: Error) => ({ status: 0, headers: {}, body: Buffer.from(e.message) })), context.fixture);
      if (after !== null) died = `wrong answer after the run: ${after}`;
    }
    return finish(head, window, peakRss(process_.pid), died);
  } finally {
    await process_.stop();
  }
}

function checkEcho(port: number, path: string, bytes: number): Promise<string | null> {
  return new Promise((resolve) => {
    const message = "c".repeat(bytes);
    const socket = new WebSocket(`ws://127.0.0.1:${port}${path}`, { perMessageDeflate: false });
    const timer = setTimeout(() => {
      socket.terminate();
      resolve("no echo within 5 s");
    }, 5000);
    const done = (problem: string | null): void => {
      clearTimeout(timer);
      socket.terminate();
      resolve(problem);
    };
    socket.once("open", () => socket.send(message));
    socket.once("message", (data, isBinary) => {
      const text = (data as Buffer).toString();
      done(!isBinary && text === message ? null : `echo ${JSON.stringify(text.slice(0, 40))} differs from the message sent`);
    });
    socket.once("unexpected-response", (_request, response) => done(`handshake answered ${response.statusCode}`));
    socket.once("error", (error) => done(`handshake failed: ${error.message}`));
  });
}

async function runLoadGenerator(
  entry: string,
  options: object,
  core: number | null,
  seconds: number,
): Promise<LoadReport | { skip: string } | { error: string }> {
  let compiled: string;
  try {
    compiled = await compileEntry(entry);
  } catch (error) {
    return { error: `does not compile: ${(error as Error).message}` };
  }
  const result = await runToEnd({ command: process.execPath, args: [compiled, JSON.stringify(options)], core }, (seconds + 60) * 1000);
  const skip = /^SKIP (.*)$/m.exec(result.stdout);
  if (skip) return { skip: skip[1]! };
  const line = /^BENCH (\{.*\})$/m.exec(result.stdout);
  if (!line) {
    const stderr = result.stderr.trim().split("\n").filter(Boolean).slice(-3).join(" | ");
    return { error: `load generator exited with code ${result.code ?? "?"} and no result${stderr ? `: ${stderr}` : ""}` };
  }
  return JSON.parse(line[1]!) as LoadReport;
}

async function runWebSocket(context: RunContext, scenario: WebSocketScenario, server: ServerId): Promise<Measurement> {
  const head = base(scenario, server);
  const started = await startServer(context, server, scenario.id, context.placement.serverCore);
  if ("status" in started) return { ...head, status: started.status, reason: started.reason };
  const { server: process_, port } = started;
  try {
    const problem = await checkEcho(port, scenario.path, scenario.messageBytes);
    if (problem !== null) return { ...head, status: "broken", reason: problem };
    const { quiet } = await waitForQuietCores(context);
    const cpuBefore = cpuSeconds(process_.pid);
    const cores = watchCores(context.placement);
    const started = performance.now();
    const report = await runLoadGenerator(
      "clients/ws-load.ts",
      {
        url: `ws://127.0.0.1:${port}${scenario.path}`,
        connections: context.connections,
        warmupSeconds: context.warmupSeconds,
        seconds: context.durationSeconds,
        messageBytes: scenario.messageBytes,
      },
      context.placement.loadCore,
      context.warmupSeconds + context.durationSeconds,
    );
    if ("skip" in report || "error" in report) {
      return { ...head, status: "invalid", reason: "skip" in report ? report.skip : report.error };
    }
    const window: Window = {
      throughput: report.seconds > 0 ? report.operations / report.seconds : 0,
      p50Ms: report.p50Ms,
      p99Ms: report.p99Ms,
      errors: report.errors,
      errorDetail: report.errorDetail,
    };
    // The load generator's warm-up is inside this window too: the CPU share covers both.
    const cpu = cpuPercent(process_.pid, cpuBefore, (performance.now() - started) / 1000);
    if (cpu !== undefined) window.cpuPercent = cpu;
    if (report.cpuPercent !== undefined) window.loadCpuPercent = report.cpuPercent;
    cores(window, (performance.now() - started) / 1000);
    if (!quiet) window.startedBusy = true;
    const died = process_.child.exitCode !== null ? "the server exited during the run" : null;
    return finish(head, window, peakRss(process_.pid), died);
  } finally {
    await process_.stop();
  }
}

async function runClient(context: RunContext, scenario: ClientScenario, server: ServerId): Promise<Measurement> {
  const head = base(scenario, server);
  // The client is what is measured: it gets the server core, the target server the other one.
  const target = await startServer(context, "node", "hello", context.placement.loadCore);
  if ("status" in target) return { ...head, status: "broken", reason: `the target node:http server: ${target.reason}` };
  try {
    const { quiet } = await waitForQuietCores(context);
    const started = performance.now();
    // The client under test runs on the server core here, the target server on the load core.
    const cores = watchCores(context.placement);
    const report = await runLoadGenerator(
      server === "typhoon" ? "clients/httpclient-typhoon.ts" : "clients/httpclient-undici.ts",
      {
        url: `http://127.0.0.1:${target.port}/hello`,
        concurrency: context.connections,
        warmupSeconds: context.warmupSeconds,
        seconds: context.durationSeconds,
        expectBody: context.fixture.fixture.hello,
      },
      context.placement.serverCore,
      context.warmupSeconds + context.durationSeconds,
    );
    if ("skip" in report) return { ...head, status: "skipped", reason: report.skip };
    if ("error" in report) return { ...head, status: "broken", reason: report.error };
    if (report.operations === 0 && report.errors > 0) return { ...head, status: "broken", reason: report.errorDetail };
    const window: Window = {
      throughput: report.seconds > 0 ? report.operations / report.seconds : 0,
      p50Ms: report.p50Ms,
      p99Ms: report.p99Ms,
      errors: report.errors,
      errorDetail: report.errorDetail,
    };
    if (report.cpuPercent !== undefined) window.cpuPercent = report.cpuPercent;
    cores(window, (performance.now() - started) / 1000);
    if (!quiet) window.startedBusy = true;
    return finish(head, window, report.peakRssBytes ?? null, null);
  } finally {
    await target.server.stop();
  }
}

/** Measures `scenario` on `server`. */
export function runScenario(context: RunContext, scenario: Scenario, server: ServerId): Promise<Measurement> {
  switch (scenario.kind) {
    case "http":
      return runHttp(context, scenario, server);
    case "websocket":
      return runWebSocket(context, scenario, server);
    case "client":
      return runClient(context, scenario, server);
  }
}

/**
 * Folds the rounds of one scenario on one server into one result: a broken, skipped or invalid
 * round decides the status; otherwise the best round's figures are kept, with every round's rate.
 */
export function mergeRounds(rounds: Measurement[]): Measurement {
  const failed = rounds.find((m) => m.status !== "ok");
  const kept = failed ?? rounds.reduce((a, b) => ((b.throughput ?? 0) > (a.throughput ?? 0) ? b : a));
  const rates = rounds.map((m) => m.throughput).filter((rate): rate is number => rate !== undefined);
  return rates.length > 0 ? { ...kept, runs: rounds.length, throughputs: rates } : kept;
}

/** Lets a just-stopped server release its port and memory before the next one starts. */
export function settle(): Promise<void> {
  return sleep(300);
}
