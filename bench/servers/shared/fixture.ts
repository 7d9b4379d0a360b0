// The data every bench server answers with, written once per run by the harness (bench/lib/fixture.ts)
// and read by each server at start, so Node and Python servers serve byte-identical content.
import { readFileSync } from "node:fs";

/** One row of the rendered template page. */
export interface Row {
  id: number;
  name: string;
  email: string;
  note: string;
}

/** What `BENCH_FIXTURE` points at. */
export interface Fixture {
  hello: string;
  json: { message: string };
  /** Row count of the rule table in the `rules500` scenario; `rules1` keeps only its last rule. */
  ruleCount: number;
  formFields: [string, string][];
  cookieSecret: string;
  cookieName: string;
  /** A Tornado v2 signed value of `cookieUser`, fresh for this run. */
  signedCookie: string;
  cookieUser: string;
  title: string;
  rows: Row[];
  /** Directory holding `static/<staticFile>`. */
  dataDir: string;
  staticDir: string;
  staticFile: string;
  templateDir: string;
  templateName: string;
}

/** Reads the fixture named by the `BENCH_FIXTURE` environment variable. */
export function loadFixture(): Fixture {
  const path = process.env["BENCH_FIXTURE"];
  if (path === undefined) throw new Error("BENCH_FIXTURE is not set: bench servers are started by bench/run.ts");
  return JSON.parse(readFileSync(path, "utf8")) as Fixture;
}

/** The scenario a server process is asked to serve (its first argument). */
export function scenarioArgument(): string {
  const scenario = process.argv[2];
  if (scenario === undefined) throw new Error("usage: <server> <scenario>");
  return scenario;
}

/** Tells the harness the server is listening; from then on SIGTERM exits normally (so --cpu-prof writes). */
export function announceReady(port: number): void {
  process.once("SIGTERM", () => process.exit(0));
  process.stdout.write(`READY ${port}\n`);
}

/** Tells the harness this server does not implement the scenario, and why; then exits. */
export function announceSkip(reason: string): never {
  process.stdout.write(`SKIP ${reason}\n`);
  process.exit(3);
}

/** Node's default keep-alive timeout (5 s) would drop the idle connections of the memory test. */
export const KEEP_ALIVE_TIMEOUT_MS = 120_000;

/** Rule `i` of the rule-table scenarios, as a path with one numeric group (each with its own literal prefix). */
export function rulePrefix(i: number): string {
  return `/section${i}/item/`;
}

/** The request path of the rule-table scenarios: it matches only the last rule. */
export function ruleTarget(fixture: Fixture): string {
  return `${rulePrefix(fixture.ruleCount - 1)}42`;
}

/** The indices of the rules a rule-table scenario declares. */
export function ruleIndices(fixture: Fixture, scenario: string): number[] {
  const count = fixture.ruleCount;
  return scenario === "rules1" ? [count - 1] : Array.from({ length: count }, (_, i) => i);
}
