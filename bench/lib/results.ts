// The shape of a bench report (bench/results/<date>.json) and the budget checks of DESIGN.md.
import type { MachineInfo } from "./machine.js";
import type { ServerId } from "./scenarios.js";

/** ok: measured; skipped: not run (feature missing, peer absent); broken: wrong answer; invalid: errors under load. */
export type RunStatus = "ok" | "skipped" | "broken" | "invalid";

/** One scenario on one server. */
export interface Measurement {
  scenario: string;
  server: ServerId;
  label: string;
  status: RunStatus;
  reason?: string;
  unit: "req/s" | "msg/s";
  throughput?: number;
  p50Ms?: number;
  p99Ms?: number;
  errors?: number;
  /** CPU used by the process under test during the measured window, in % of one core. */
  cpuPercent?: number;
  /** CPU used by the load generator (when it can tell), to spot runs it capped. */
  loadCpuPercent?: number;
  /** How busy each pinned core was during the window (all processes), in %. */
  serverCoreBusyPercent?: number;
  loadCoreBusyPercent?: number;
  /** Other processes still held the cores when the kept run started (--quiet-timeout ran out). */
  startedBusy?: boolean;
  /** VmHWM of the process under test (for the HTTP client scenario: the client's). */
  peakRssBytes?: number;
  /** Throughput divided by the scenario's `node` peer (bare node:http, bare ws, undici). */
  ratioToBase?: number;
  ratioToFastify?: number;
  /** Best of how many measured runs (each in a fresh process, servers taking turns). */
  runs?: number;
  /** Every measured run's rate, in order (the best is `throughput`). */
  throughputs?: number[];
}

/** Idle memory and memory with many idle keep-alive connections, per server. */
export interface MemoryMeasurement {
  server: ServerId;
  label: string;
  status: RunStatus;
  reason?: string;
  idleRssBytes?: number;
  loadedRssBytes?: number;
  connectionsRequested: number;
  connectionsOpened?: number;
  /** Still open when the RSS was read (the server had not closed them). */
  connectionsAlive?: number;
}

/** One DESIGN.md budget, evaluated on this run's Typhoon numbers. */
export interface BudgetCheck {
  budget: string;
  measured: string;
  /** null when the run has no number for it (skipped, broken, not selected). */
  pass: boolean | null;
}

/** A scenario as listed in the report. */
export interface ScenarioInfo {
  id: string;
  title: string;
  description: string;
  unit: "req/s" | "msg/s";
}

/** Everything a run writes to bench/results/<date>.json. */
export interface BenchReport {
  date: string;
  command: string;
  quick: boolean;
  settings: { durationSeconds: number; warmupSeconds: number; connections: number; runs: number; idleConnections: number };
  machine: MachineInfo;
  notices: string[];
  scenarios: ScenarioInfo[];
  results: Measurement[];
  memory: MemoryMeasurement[];
  budgets: BudgetCheck[];
}

const MB = 1024 * 1024;

function find(results: Measurement[], scenario: string, server: ServerId): Measurement | undefined {
  const found = results.find((m) => m.scenario === scenario && m.server === server);
  return found?.status === "ok" ? found : undefined;
}

function ratioCheck(
  results: Measurement[],
  budget: string,
  scenario: string,
  numerator: [string, ServerId],
  denominator: [string, ServerId],
  target: number,
  what: string,
): BudgetCheck {
  const top = find(results, numerator[0], numerator[1]);
  const bottom = find(results, denominator[0], denominator[1]);
  if (!top?.throughput || !bottom?.throughput) {
    const missing = !top ? `${numerator[1]} ${numerator[0]}` : `${denominator[1]} ${denominator[0]}`;
    return { budget, measured: `no number (${missing}: ${describeMissing(results, ...(!top ? numerator : denominator))})`, pass: null };
  }
  const ratio = top.throughput / bottom.throughput;
  return { budget, measured: `${ratio.toFixed(2)}× ${what} (${scenario})`, pass: ratio >= target };
}

function describeMissing(results: Measurement[], scenario: string, server: ServerId): string {
  const found = results.find((m) => m.scenario === scenario && m.server === server);
  return found ? `${found.status}${found.reason ? `, ${found.reason}` : ""}` : "not run";
}

/** The DESIGN.md budgets, checked against Typhoon's figures in this run. */
export function checkBudgets(results: Measurement[], memory: MemoryMeasurement[]): BudgetCheck[] {
  const checks = [
    ratioCheck(results, "hello world ≥ 0.95× node:http", "hello", ["hello", "typhoon"], ["hello", "node"], 0.95, "node:http"),
    ratioCheck(results, "hello world ≥ Fastify", "hello", ["hello", "typhoon"], ["hello", "fastify"], 1, "Fastify"),
    ratioCheck(results, "small JSON ≥ 0.95× node:http", "json", ["json", "typhoon"], ["json", "node"], 0.95, "node:http"),
    ratioCheck(results, "small JSON ≥ Fastify", "json", ["json", "typhoon"], ["json", "fastify"], 1, "Fastify"),
    ratioCheck(results, "500 rules ≥ 0.9× 1 rule", "rules500/rules1", ["rules500", "typhoon"], ["rules1", "typhoon"], 0.9, "1 rule"),
    ratioCheck(results, "template page ≥ 10× Tornado", "template", ["template", "typhoon"], ["template", "tornado"], 10, "Tornado"),
    ratioCheck(results, "64 KiB static ≥ 0.9× fs stream", "static", ["static", "typhoon"], ["static", "node"], 0.9, "fs.createReadStream().pipe(res)"),
    ratioCheck(results, "WebSocket echo ≥ 0.9× bare ws", "websocket", ["websocket", "typhoon"], ["websocket", "node"], 0.9, "ws"),
  ];
  const typhoon = memory.find((m) => m.server === "typhoon");
  if (typhoon?.status === "ok" && typhoon.idleRssBytes !== undefined && typhoon.loadedRssBytes !== undefined) {
    const idle = typhoon.idleRssBytes / MB;
    const added = (typhoon.loadedRssBytes - typhoon.idleRssBytes) / MB;
    checks.push({ budget: "idle server < 60 MB RSS", measured: `${idle.toFixed(1)} MB`, pass: idle < 60 });
    checks.push({
      budget: `${typhoon.connectionsRequested.toLocaleString("en-US")} idle keep-alive connections add < 100 MB`,
      measured: `+${added.toFixed(1)} MB with ${typhoon.connectionsAlive ?? "?"} connections open`,
      pass: added < 100 && typhoon.connectionsAlive === typhoon.connectionsRequested,
    });
  } else {
    const why = typhoon ? `${typhoon.status}${typhoon.reason ? `, ${typhoon.reason}` : ""}` : "not run";
    checks.push({ budget: "idle server < 60 MB RSS", measured: `no number (${why})`, pass: null });
    checks.push({ budget: "10,000 idle keep-alive connections add < 100 MB", measured: `no number (${why})`, pass: null });
  }
  return checks;
}
