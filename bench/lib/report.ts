// Turns a bench report into the terminal table, bench/results/latest.md and the SVG chart of ratios
// to the bare node:http peer.
import type { BenchReport, Measurement, MemoryMeasurement } from "./results.js";
import { SERVER_IDS, type ServerId } from "./scenarios.js";

const MB = 1024 * 1024;

function thousands(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

function ms(value: number | undefined): string {
  if (value === undefined) return "";
  return value >= 100 ? `${value.toFixed(0)} ms` : value >= 10 ? `${value.toFixed(1)} ms` : `${value.toFixed(2)} ms`;
}

function megabytes(bytes: number | undefined): string {
  return bytes === undefined ? "" : `${(bytes / MB).toFixed(1)} MB`;
}

function ratio(value: number | undefined): string {
  return value === undefined ? "" : `${value.toFixed(2)}×`;
}

/** The columns shared by the terminal table and the Markdown file. */
function cells(m: Measurement): string[] {
  if (m.status === "skipped" || m.status === "broken") return [m.label, `${m.status}: ${m.reason ?? ""}`];
  return [
    m.label,
    m.throughput === undefined ? "" : thousands(m.throughput),
    ms(m.p50Ms),
    ms(m.p99Ms),
    String(m.errors ?? ""),
    m.cpuPercent === undefined ? "" : `${Math.round(m.cpuPercent)}%`,
    megabytes(m.peakRssBytes),
    ratio(m.ratioToBase),
    ratio(m.ratioToFastify),
    m.status === "invalid" ? `INVALID: ${m.reason ?? ""}` : [spread(m), interference(m)].filter(Boolean).join("; "),
  ];
}

/** The range of the rounds' rates, when there were several. */
function spread(m: Measurement): string {
  const rates = m.throughputs ?? [];
  if (rates.length < 2) return "";
  return `rounds ${thousands(Math.min(...rates))}–${thousands(Math.max(...rates))}`;
}

/** Why a figure may not show the server's limit: other work on its core, or a saturated load side. */
export function interference(m: Measurement): string {
  const notes: string[] = [];
  if (m.startedBusy === true) notes.push("started while other processes held the cores");
  if (m.cpuPercent !== undefined && m.serverCoreBusyPercent !== undefined) {
    const others = m.serverCoreBusyPercent - m.cpuPercent;
    if (others >= 10) notes.push(`other processes took ${Math.round(others)}% of its core`);
  }
  if (m.loadCpuPercent !== undefined && m.loadCpuPercent >= 90) {
    notes.push(`load generator at ${Math.round(m.loadCpuPercent)}% CPU`);
  } else if (m.cpuPercent !== undefined && m.cpuPercent < 85 && m.loadCoreBusyPercent !== undefined && m.loadCoreBusyPercent >= 95) {
    notes.push(`load core saturated (${Math.round(m.loadCoreBusyPercent)}%)`);
  }
  return notes.length > 0 ? `${notes.join("; ")}: below its own limit` : "";
}

const HEAD = ["server", "rate", "p50", "p99", "errors", "CPU", "peak RSS", "× base", "× Fastify", ""];
const RIGHT = [false, true, true, true, true, true, true, true, true, false];

function pad(text: string, width: number, right: boolean): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

function textTable(rows: string[][], head: string[], right: boolean[]): string[] {
  const full = rows.filter((r) => r.length === head.length);
  const widths = head.map((h, i) => Math.max(h.length, ...full.map((r) => r[i]!.length)));
  widths[0] = Math.max(widths[0]!, ...rows.map((r) => r[0]!.length));
  const line = (r: string[]): string =>
    r.length === head.length
      ? r.map((c, i) => pad(c, widths[i]!, right[i]!)).join("  ").trimEnd()
      : `${pad(r[0]!, widths[0]!, false)}  ${r.slice(1).join("  ")}`;
  return [line(head), ...rows.map(line)];
}

function memoryRow(m: MemoryMeasurement): string[] {
  if (m.status === "skipped" || m.status === "broken") return [m.label, `${m.status}: ${m.reason ?? ""}`];
  const added = m.loadedRssBytes !== undefined && m.idleRssBytes !== undefined ? m.loadedRssBytes - m.idleRssBytes : undefined;
  return [
    m.label,
    megabytes(m.idleRssBytes),
    megabytes(m.loadedRssBytes),
    added === undefined ? "" : `+${megabytes(added)}`,
    m.connectionsAlive === undefined ? "" : thousands(m.connectionsAlive),
    added === undefined || !m.connectionsAlive ? "" : `${((added / m.connectionsAlive) / 1024).toFixed(1)} KiB`,
    m.status === "invalid" ? `INVALID: ${m.reason ?? ""}` : "",
  ];
}

const MEMORY_HEAD = ["server", "idle RSS", "RSS with conns", "added", "open", "per conn", ""];
const MEMORY_RIGHT = [false, true, true, true, true, true, false];

function rulesRatios(report: BenchReport): string[] {
  const lines: string[] = [];
  for (const server of SERVER_IDS) {
    const one = report.results.find((m) => m.scenario === "rules1" && m.server === server && m.status === "ok");
    const many = report.results.find((m) => m.scenario === "rules500" && m.server === server && m.status === "ok");
    if (one?.throughput && many?.throughput) lines.push(`${many.label} ${(many.throughput / one.throughput).toFixed(2)}`);
  }
  return lines;
}

function settingsLine(report: BenchReport): string {
  const s = report.settings;
  const rounds = s.runs === 1 ? "one run each" : `best of ${s.runs} rounds (a fresh process per round)`;
  return `${s.durationSeconds} s per run after ${s.warmupSeconds} s warm-up, ${s.connections} connections, ${rounds}`;
}

function machineLines(report: BenchReport): string[] {
  const m = report.machine;
  const packages = Object.entries(m.packages)
    .map(([name, version]) => `${name} ${version}`)
    .join(", ");
  return [
    `machine: ${m.cores} cores, ${m.cpuModel}, ${m.memoryGiB} GiB, Linux ${m.kernel}; load average at start ${m.loadAverageAtStart.join(" ")}`,
    `software: Node ${m.node}; load generator ${m.loadTool}; ${m.python}; ${packages}; Typhoon ${m.typhoonCommit}`,
    `placement: ${m.placement}`,
  ];
}

/** The report as printed in the terminal. */
export function renderTerminal(report: BenchReport): string {
  const out: string[] = ["", `Typhoon bench — ${report.date}${report.quick ? " (quick: smoke test, not for comparison)" : ""}`];
  out.push(...machineLines(report).map((l) => `  ${l}`), `  ${settingsLine(report)}`);
  for (const notice of report.notices) out.push(`  note: ${notice}`);
  for (const scenario of report.scenarios) {
    const rows = report.results.filter((m) => m.scenario === scenario.id);
    if (rows.length === 0) continue;
    out.push("", `${scenario.title} [${scenario.id}] — ${scenario.description}`);
    const head = [...HEAD];
    head[1] = scenario.unit;
    head[7] = `× ${rows.find((m) => m.server === "node")?.label ?? "base"}`;
    // Without a Fastify row the "× Fastify" column would stay empty: drop it.
    const keep = rows.some((m) => m.server === "fastify") ? () => true : (_: string, i: number) => i !== 8;
    const table = rows.map((r) => cells(r)).map((r) => (r.length === head.length ? r.filter(keep) : r));
    out.push(...textTable(table, head.filter(keep), RIGHT.filter((_, i) => keep("", i))).map((l) => `  ${l}`));
  }
  const ratios = rulesRatios(report);
  if (ratios.length > 0) out.push("", `500 rules ÷ 1 rule: ${ratios.join(", ")}`);
  if (report.memory.length > 0) {
    out.push("", `memory — hello-world server: RSS 1 s after start, then with ${thousands(report.settings.idleConnections)} idle keep-alive connections`);
    out.push(...textTable(report.memory.map(memoryRow), MEMORY_HEAD, MEMORY_RIGHT).map((l) => `  ${l}`));
  }
  out.push("", "budgets (DESIGN.md), Typhoon in this run:");
  for (const check of report.budgets) {
    const mark = check.pass === null ? "  -- " : check.pass ? "  ok " : "  MISS";
    out.push(`${mark} ${check.budget.padEnd(52)} ${check.measured}`);
  }
  out.push("");
  return out.join("\n");
}

function mdEscape(text: string): string {
  return text.replace(/\|/g, "\\|");
}

/** bench/results/latest.md. */
export function renderMarkdown(report: BenchReport, svgName: string): string {
  const out: string[] = [
    "# Typhoon benchmark results",
    "",
    `Run ${report.date} with \`${report.command}\`${report.quick ? " (quick: a smoke test, not for comparison)" : ""}; ${settingsLine(report)}.`,
    "",
    ...machineLines(report).map((l) => `- ${l}`),
    ...report.notices.map((n) => `- note: ${n}`),
    "",
    `![Throughput relative to the bare node:http peer](${svgName})`,
    "",
    "\"× base\" divides by the scenario's bare peer: node:http (the fs stream server for static files, the template-literal server for the page), bare `ws` for WebSockets, `undici.request` for the HTTP client. CPU is the process under test's share of its core during the measured window; peak RSS is its VmHWM.",
    "",
    "| scenario | server | rate | p50 | p99 | errors | CPU | peak RSS | × base | × Fastify | note |",
    "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|",
  ];
  for (const scenario of report.scenarios) {
    const rows = report.results.filter((m) => m.scenario === scenario.id);
    rows.forEach((m, i) => {
      const c = cells(m);
      const name = i === 0 ? `${scenario.title} (${scenario.unit})` : "";
      const line = c.length === 2 ? [name, c[0]!, "", "", "", "", "", "", "", "", c[1]!] : [name, ...c];
      out.push(`| ${line.map(mdEscape).join(" | ")} |`);
    });
  }
  const ratios = rulesRatios(report);
  if (ratios.length > 0) out.push("", `500 rules ÷ 1 rule (throughput kept when the table grows): ${ratios.join(", ")}.`);
  if (report.memory.length > 0) {
    out.push(
      "",
      `## Memory`,
      "",
      `Hello-world server: RSS 1 s after start, then with ${thousands(report.settings.idleConnections)} idle keep-alive connections opened by a bounded client on loopback.`,
      "",
      "| server | idle RSS | RSS with connections | added | open | per connection | note |",
      "|---|--:|--:|--:|--:|--:|---|",
    );
    for (const m of report.memory) {
      const c = memoryRow(m);
      const line = c.length === 2 ? [c[0]!, "", "", "", "", "", c[1]!] : c;
      out.push(`| ${line.map(mdEscape).join(" | ")} |`);
    }
  }
  out.push("", "## Budgets (DESIGN.md), Typhoon in this run", "", "| budget | measured | |", "|---|---|---|");
  for (const check of report.budgets) {
    out.push(`| ${mdEscape(check.budget)} | ${mdEscape(check.measured)} | ${check.pass === null ? "no number" : check.pass ? "met" : "**missed**"} |`);
  }
  out.push("");
  return out.join("\n");
}

const COLORS: Record<ServerId, string> = {
  node: "#6b7280",
  fastify: "#111827",
  express: "#a3a3a3",
  hono: "#f97316",
  tornado: "#2563eb",
  typhoon: "#16a34a",
};

function xml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** bench/results/latest.svg: per scenario, each server's throughput as a multiple of the bare peer. */
export function renderSvg(report: BenchReport): string {
  const groups = report.scenarios
    .map((s) => ({ scenario: s, bars: report.results.filter((m) => m.scenario === s.id && m.status === "ok" && m.ratioToBase !== undefined) }))
    .filter((g) => g.bars.length > 0);
  const servers = SERVER_IDS.filter((id) => report.results.some((m) => m.server === id));
  const bar = 16;
  const gap = 28;
  const left = 56;
  const top = 80;
  const plotHeight = 300;
  const groupWidth = (g: { bars: Measurement[] }): number => g.bars.length * bar + gap;
  const width = Math.max(640, left + groups.reduce((sum, g) => sum + groupWidth(g), 0) + 24);
  const height = top + plotHeight + 96;
  const maxRatio = Math.max(1.2, ...groups.flatMap((g) => g.bars.map((m) => m.ratioToBase!)));
  const step = maxRatio > 4 ? 1 : maxRatio > 2 ? 0.5 : 0.25;
  const ceiling = Math.ceil((maxRatio * 1.08) / step) * step;
  const y = (value: number): number => top + plotHeight - (value / ceiling) * plotHeight;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${left}" y="22" font-size="15" font-weight="600">Throughput relative to the bare peer (node:http; ws; undici) — ${xml(report.date)}</text>`,
    `<text x="${left}" y="40" fill="#4b5563">${xml(`${report.machine.cores} cores, ${report.machine.cpuModel}, Node ${report.machine.node}, ${report.machine.loadTool}; ${settingsLine(report)}.`)}</text>`,
    `<text x="${left}" y="56" fill="#4b5563">Missing bar: skipped, broken or invalid (see latest.md). Dashed line: as fast as the bare peer.</text>`,
  ];
  for (let v = 0; v <= ceiling + 1e-9; v += step) {
    parts.push(
      `<line x1="${left}" x2="${width - 16}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e5e7eb"/>`,
      `<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" fill="#4b5563">${v.toFixed(2)}×</text>`,
    );
  }
  parts.push(`<line x1="${left}" x2="${width - 16}" y1="${y(1).toFixed(1)}" y2="${y(1).toFixed(1)}" stroke="#111827" stroke-dasharray="4 3"/>`);
  let x = left + gap / 2;
  for (const group of groups) {
    for (const m of group.bars) {
      const value = m.ratioToBase!;
      parts.push(
        `<rect x="${x}" y="${y(value).toFixed(1)}" width="${bar - 2}" height="${(y(0) - y(value)).toFixed(1)}" fill="${COLORS[m.server]}"><title>${xml(`${group.scenario.title}: ${m.label} ${value.toFixed(2)}× (${thousands(m.throughput ?? 0)} ${m.unit})`)}</title></rect>`,
        `<text x="${x + (bar - 2) / 2}" y="${(y(value) - 4).toFixed(1)}" text-anchor="end" font-size="9" transform="rotate(-90 ${x + (bar - 2) / 2} ${(y(value) - 4).toFixed(1)})">${value.toFixed(2)}</text>`,
      );
      x += bar;
    }
    const middle = x - (group.bars.length * bar) / 2;
    parts.push(`<text x="${middle}" y="${top + plotHeight + 16}" text-anchor="middle">${xml(group.scenario.id)}</text>`);
    x += gap;
  }
  let legendX = left;
  for (const server of servers) {
    parts.push(
      `<rect x="${legendX}" y="${height - 30}" width="12" height="12" fill="${COLORS[server]}"/>`,
      `<text x="${legendX + 16}" y="${height - 20}">${server === "node" ? "bare peer (node:http / ws / undici)" : server}</text>`,
    );
    legendX += server === "node" ? 220 : 90;
  }
  parts.push("</svg>", "");
  return parts.join("\n");
}
