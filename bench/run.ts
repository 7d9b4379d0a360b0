// `npm run bench`: measures Typhoon against bare node:http, Fastify, Express, Hono and Python Tornado
// on the scenarios of bench/lib/scenarios.ts, then writes bench/results/. See docs/benchmarks.md.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ROOT } from "./lib/build.js";
import { writeFixture } from "./lib/fixture.js";
import { chooseLoadTool } from "./lib/load.js";
import { describeMachine } from "./lib/machine.js";
import { connectionBudget, measureMemory } from "./lib/memory.js";
import { choosePlacement, installCleanup, procAvailable } from "./lib/processes.js";
import { renderMarkdown, renderSvg, renderTerminal } from "./lib/report.js";
import { checkBudgets, type BenchReport, type Measurement, type MemoryMeasurement } from "./lib/results.js";
import { labelOf, mergeRounds, runScenario, settle, type PythonInfo, type RunContext } from "./lib/runner.js";
import { SCENARIOS, SCENARIO_ALIASES, SERVER_IDS, type ServerId } from "./lib/scenarios.js";

const HELP = `Usage: npm run bench -- [options]

  --only <ids>            scenarios to run, comma-separated (default: all):
                          ${[...SCENARIOS.map((s) => s.id), "memory"].join(", ")}; "rules" = rules1,rules500
  --servers <ids>         servers to run, comma-separated (default: all): ${SERVER_IDS.join(", ")}
                          ("node" is the bare peer: node:http, bare ws, undici.request; aliases ws, undici)
  --duration <s>          seconds per measured run (default 10)
  --warmup <s>            seconds of warm-up load before measuring (default 3)
  --connections <n>       concurrent connections / in-flight requests (default 50)
  --runs <n>              rounds per scenario, each server in a fresh process per round,
                          servers taking turns; the best round is kept (default 1)
  --idle-connections <n>  idle keep-alive connections of the memory test (default 10000)
  --quiet-timeout <s>     before each measured run, wait up to this long for other processes
                          to leave the two cores (default 20; 0 with --quick)
  --load <tool>           wrk or autocannon (default: wrk when installed)
  --cpu-prof              write a V8 CPU profile of every Node server to
                          bench/results/profiles/<scenario>-<server>.cpuprofile
  --quick                 1 s per run, no warm-up: a smoke test that every scenario and peer
                          starts and answers correctly (results are not written to latest.*)
  -h, --help              this text

Exit status: 0 when every selected server answered correctly and ran without errors
(skipped ones included), 1 when one was broken or invalid, 2 on a usage error.`;

function usage(message: string): never {
  process.stderr.write(`bench: ${message}\n\n${HELP}\n`);
  process.exit(2);
}

function positive(name: string, raw: string | undefined, fallback: number, allowZero = false): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) usage(`--${name} takes a ${allowZero ? "non-negative" : "positive"} number, got "${raw}"`);
  return value;
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        only: { type: "string" },
        servers: { type: "string" },
        duration: { type: "string" },
        warmup: { type: "string" },
        connections: { type: "string" },
        runs: { type: "string" },
        "idle-connections": { type: "string" },
        "quiet-timeout": { type: "string" },
        load: { type: "string" },
        quick: { type: "boolean", default: false },
        "cpu-prof": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (error) {
    usage((error as Error).message);
  }
})();
if (values.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}

const quick = values.quick;
const durationSeconds = positive("duration", values.duration, quick ? 1 : 10);
const warmupSeconds = positive("warmup", values.warmup, quick ? 0 : 3, true);
const connections = Math.round(positive("connections", values.connections, 50));
const runs = Math.round(positive("runs", values.runs, 1));
const quietTimeoutSeconds = positive("quiet-timeout", values["quiet-timeout"], quick ? 0 : 20, true);
const idleConnectionsRequested = Math.round(positive("idle-connections", values["idle-connections"], 10_000, true));
if (values.load !== undefined && values.load !== "wrk" && values.load !== "autocannon") usage(`--load takes wrk or autocannon, got "${values.load}"`);

const knownScenarios = new Set([...SCENARIOS.map((s) => s.id), "memory"]);
const selectedScenarios = new Set<string>();
for (const word of (values.only ?? [...knownScenarios].join(",")).split(",").map((w) => w.trim()).filter(Boolean)) {
  const ids = SCENARIO_ALIASES[word] ?? [word];
  for (const id of ids) {
    if (!knownScenarios.has(id)) usage(`unknown scenario "${word}"`);
    selectedScenarios.add(id);
  }
}
const serverAliases: Record<string, ServerId> = { ws: "node", undici: "node", "node:http": "node" };
const selectedServers = new Set<ServerId>();
for (const word of (values.servers ?? SERVER_IDS.join(",")).split(",").map((w) => w.trim()).filter(Boolean)) {
  const id = serverAliases[word] ?? word;
  if (!(SERVER_IDS as readonly string[]).includes(id)) usage(`unknown server "${word}"`);
  selectedServers.add(id as ServerId);
}

installCleanup();
const notices: string[] = [];
const placement = choosePlacement();
if (placement.serverCore === null) notices.push(`servers and load generators share the cores (${placement.description}): ratios are rough`);
const { tool, notice } = chooseLoadTool(values.load);
if (notice !== undefined) notices.push(notice);
if (!procAvailable) notices.push("/proc is not available: no RSS or CPU figures");

const pythonCommand = process.env["BENCH_PYTHON"] ?? "/usr/bin/python3";
const probe = spawnSync(pythonCommand, ["-c", "import sys, tornado; print('Python %d.%d.%d' % sys.version_info[:3], 'Tornado', tornado.version)"], {
  encoding: "utf8",
});
const python: PythonInfo =
  probe.status === 0
    ? { command: pythonCommand, version: probe.stdout.trim() }
    : {
        command: pythonCommand,
        missing: `${pythonCommand} cannot import tornado (${probe.error ? "not found" : (probe.stderr.trim().split("\n").pop() ?? "error")}); install it with \`apt-get install python3-tornado\` or set BENCH_PYTHON`,
      };
if (python.missing !== undefined && selectedServers.has("tornado")) notices.push(`Tornado peer skipped: ${python.missing}`);

const idle = connectionBudget(idleConnectionsRequested);
if (idle.notice !== undefined && selectedScenarios.has("memory")) notices.push(idle.notice);

const fixture = writeFixture();
const context: RunContext = {
  fixture,
  placement,
  tool,
  python,
  durationSeconds,
  warmupSeconds,
  connections,
  quietTimeoutSeconds,
};
if (values["cpu-prof"]) {
  context.cpuProfileDir = join(ROOT, "bench", "results", "profiles");
  mkdirSync(context.cpuProfileDir, { recursive: true });
  notices.push("servers ran under --cpu-prof (slower): profiles in bench/results/profiles/");
}
const machine = describeMachine(`${tool.name} ${tool.version}`, python.version ?? "Python Tornado: absent", placement.description);
const date = new Date().toISOString().replace(/\.\d+Z$/, "Z");

process.stdout.write(
  `Typhoon bench: ${durationSeconds} s runs, ${warmupSeconds} s warm-up, ${connections} connections, ${tool.name}; ${placement.description}\n`,
);
for (const line of notices) process.stdout.write(`note: ${line}\n`);

function describe(m: Measurement): string {
  if (m.status === "skipped" || m.status === "broken") return `${m.status}: ${m.reason ?? ""}`;
  const rate = `${Math.round(m.throughput ?? 0).toLocaleString("en-US")} ${m.unit}, p99 ${(m.p99Ms ?? 0).toFixed(2)} ms`;
  return m.status === "invalid" ? `INVALID (${rate}): ${m.reason ?? ""}` : rate;
}

const results: Measurement[] = [];
for (const scenario of SCENARIOS) {
  if (!selectedScenarios.has(scenario.id)) continue;
  const servers = scenario.servers.filter((s) => selectedServers.has(s));
  if (servers.length === 0) continue;
  process.stdout.write(`\n${scenario.title} [${scenario.id}]\n`);
  // Rounds, not back-to-back repeats: a slow spell of the machine then hits every server alike.
  const rounds = new Map<ServerId, Measurement[]>(servers.map((server) => [server, []]));
  for (let round = 1; round <= runs; round++) {
    for (const server of servers) {
      const previous = rounds.get(server)!;
      if (previous.some((m) => m.status !== "ok")) continue;
      const measurement = await runScenario(context, scenario, server).catch(
        (error: unknown): Measurement => ({
          scenario: scenario.id,
          server,
          label: labelOf(scenario, server),
          unit: scenario.unit,
          status: "broken",
          reason: `the harness failed: ${(error as Error).message}`,
        }),
      );
      previous.push(measurement);
      const tag = runs > 1 ? ` (round ${round}/${runs})` : "";
      process.stdout.write(`  ${`${measurement.label}${tag}`.padEnd(30)} ${describe(measurement)}\n`);
      await settle();
    }
  }
  const rows = servers.map((server) => mergeRounds(rounds.get(server)!));
  const rateOf = (server: ServerId): number | undefined => rows.find((m) => m.server === server && m.status === "ok")?.throughput;
  const baseRate = rateOf("node");
  const fastifyRate = rateOf("fastify");
  for (const m of rows) {
    if (m.status !== "ok" || m.throughput === undefined) continue;
    if (baseRate) m.ratioToBase = m.throughput / baseRate;
    if (fastifyRate) m.ratioToFastify = m.throughput / fastifyRate;
  }
  results.push(...rows);
}

const memory: MemoryMeasurement[] = [];
if (selectedScenarios.has("memory")) {
  process.stdout.write(`\nmemory: idle RSS, then ${idle.count.toLocaleString("en-US")} idle keep-alive connections\n`);
  const hello = SCENARIOS.find((s) => s.id === "hello")!;
  for (const server of hello.servers.filter((s) => selectedServers.has(s))) {
    const m = await measureMemory(context, server, labelOf(hello, server), idle.count);
    memory.push(m);
    const summary =
      m.status === "skipped" || m.status === "broken"
        ? `${m.status}: ${m.reason ?? ""}`
        : `idle ${((m.idleRssBytes ?? 0) / 2 ** 20).toFixed(1)} MB, with connections ${((m.loadedRssBytes ?? 0) / 2 ** 20).toFixed(1)} MB (${m.connectionsAlive ?? 0} open)${m.status === "invalid" ? ` INVALID: ${m.reason ?? ""}` : ""}`;
    process.stdout.write(`  ${m.label.padEnd(30)} ${summary}\n`);
    await settle();
  }
}

const report: BenchReport = {
  date,
  command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`,
  quick,
  settings: { durationSeconds, warmupSeconds, connections, runs, idleConnections: idle.count },
  machine,
  notices,
  scenarios: SCENARIOS.filter((s) => selectedScenarios.has(s.id)).map(({ id, title, description, unit }) => ({ id, title, description, unit })),
  results,
  memory,
  budgets: checkBudgets(results, memory),
};

const resultsDir = join(ROOT, "bench", "results");
mkdirSync(resultsDir, { recursive: true });
const dated = join(resultsDir, `${date.replace(/:/g, "-")}${quick ? "-quick" : ""}.json`);
writeFileSync(dated, `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(renderTerminal(report));
if (quick) {
  process.stdout.write(`\nwrote ${dated} (quick run: latest.md, latest.svg and latest.json left as they were)\n`);
} else {
  writeFileSync(join(resultsDir, "latest.json"), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(resultsDir, "latest.md"), renderMarkdown(report, "latest.svg"));
  writeFileSync(join(resultsDir, "latest.svg"), renderSvg(report));
  process.stdout.write(`\nwrote ${dated}, bench/results/latest.md, latest.svg and latest.json\n`);
}

const failed = [...results, ...memory].filter((m) => m.status === "broken" || m.status === "invalid");
process.exit(failed.length > 0 ? 1 : 0);
