// The scenarios of `npm run bench`: what is requested, from which servers, and what a correct answer is.
// A server whose answer fails `check` is reported broken and is not measured.
import { isDeepStrictEqual } from "node:util";
import { ruleTarget } from "../servers/shared/fixture.js";
import type { WrittenFixture } from "./fixture.js";
import { excerpt, type HttpAnswer, type HttpRequestSpec } from "./http-check.js";

/** The servers (peers) a scenario can be run on. */
export const SERVER_IDS = ["node", "fastify", "express", "hono", "tornado", "typhoon"] as const;
export type ServerId = (typeof SERVER_IDS)[number];

const WEB_PEERS: ServerId[] = ["node", "fastify", "express", "hono", "tornado", "typhoon"];

interface ScenarioBase {
  id: string;
  title: string;
  /** One sentence for the report and docs. */
  description: string;
  servers: ServerId[];
  /** Per-scenario names, e.g. the `node` peer is bare `ws` in the WebSocket scenario. */
  labels?: Partial<Record<ServerId, string>>;
  /** What the throughput counts. */
  unit: "req/s" | "msg/s";
}

/** Loaded with wrk/autocannon. */
export interface HttpScenario extends ScenarioBase {
  kind: "http";
  expectStatus: number;
  request(fixture: WrittenFixture): HttpRequestSpec;
  /** Runs once per server before the check, e.g. to learn the ETag to revalidate. */
  prepare?(send: (spec: HttpRequestSpec) => Promise<HttpAnswer>, request: HttpRequestSpec): Promise<HttpRequestSpec>;
  /** `null` when the answer is right, else what is wrong. */
  check(answer: HttpAnswer, fixture: WrittenFixture): string | null;
}

/** Loaded with bench/clients/ws-load.ts. */
export interface WebSocketScenario extends ScenarioBase {
  kind: "websocket";
  path: string;
  messageBytes: number;
}

/** The client under test runs pinned like a server, against a bare node:http server. */
export interface ClientScenario extends ScenarioBase {
  kind: "client";
}

export type Scenario = HttpScenario | WebSocketScenario | ClientScenario;

function get(path: string, headers: Record<string, string> = {}): HttpRequestSpec {
  return { method: "GET", path, headers };
}

function expectText(answer: HttpAnswer, text: string): string | null {
  if (answer.status !== 200) return `status ${answer.status}, body ${excerpt(answer.body)}`;
  const body = answer.body.toString("utf8");
  return body === text ? null : `body ${excerpt(body)}, expected ${excerpt(text)}`;
}

function countOf(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
function xhtmlEscape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function checkPage(answer: HttpAnswer, { fixture }: WrittenFixture): string | null {
  if (answer.status !== 200) return `status ${answer.status}, body ${excerpt(answer.body)}`;
  const html = answer.body.toString("utf8");
  const rows = countOf(html, "<tr>");
  if (rows !== fixture.rows.length) return `${rows} <tr> rows, expected ${fixture.rows.length}: ${excerpt(html)}`;
  for (const row of fixture.rows) {
    for (const field of [row.name, row.email, row.note]) {
      if (!html.includes(xhtmlEscape(field))) return `the page lacks the escaped field ${excerpt(xhtmlEscape(field))}`;
    }
  }
  if (html.includes("<b>")) return "a field was not escaped (raw <b> in the page)";
  if (!html.includes(`<title>${xhtmlEscape(fixture.title)}</title>`)) return "the escaped title is missing";
  return null;
}

/** Every scenario, in report order. */
export const SCENARIOS: Scenario[] = [
  {
    kind: "http",
    id: "hello",
    title: "hello world",
    description: 'GET /hello answered with the text "Hello, world!".',
    servers: WEB_PEERS,
    unit: "req/s",
    expectStatus: 200,
    request: () => get("/hello"),
    check: (answer, { fixture }) => expectText(answer, fixture.hello),
  },
  {
    kind: "http",
    id: "json",
    title: "small JSON",
    description: 'GET /json answered with {"message":"Hello, world!"} as application/json.',
    servers: WEB_PEERS,
    unit: "req/s",
    expectStatus: 200,
    request: () => get("/json"),
    check: (answer, { fixture }) => {
      if (answer.status !== 200) return `status ${answer.status}, body ${excerpt(answer.body)}`;
      if (!String(answer.headers["content-type"]).startsWith("application/json")) {
        return `Content-Type ${answer.headers["content-type"] ?? "missing"}`;
      }
      try {
        const value: unknown = JSON.parse(answer.body.toString("utf8"));
        return isDeepStrictEqual(value, fixture.json) ? null : `body ${excerpt(answer.body)}`;
      } catch {
        return `not JSON: ${excerpt(answer.body)}`;
      }
    },
  },
  {
    kind: "http",
    id: "param",
    title: "path parameter",
    description: "GET /user/12345 routed by /user/(\\d+) and answered with the captured id.",
    servers: WEB_PEERS,
    unit: "req/s",
    expectStatus: 200,
    request: () => get("/user/12345"),
    check: (answer) => expectText(answer, "User 12345"),
  },
  {
    kind: "http",
    id: "rules1",
    title: "1 rule",
    description: "The rule-table app with only its last rule /section499/item/(\\d+), requested at that rule.",
    servers: WEB_PEERS,
    unit: "req/s",
    expectStatus: 200,
    request: ({ fixture }) => get(ruleTarget(fixture)),
    check: (answer, { fixture }) => expectText(answer, `section ${fixture.ruleCount - 1} item 42`),
  },
  {
    kind: "http",
    id: "rules500",
    title: "500 rules, last one hit",
    description: "500 rules /section<i>/item/(\\d+), each with its own literal prefix; the request matches only the last.",
    servers: WEB_PEERS,
    unit: "req/s",
    expectStatus: 200,
    request: ({ fixture }) => get(ruleTarget(fixture)),
    check: (answer, { fixture }) => expectText(answer, `section ${fixture.ruleCount - 1} item 42`),
  },
  {
    kind: "http",
    id: "form",
    title: "urlencoded POST, 10 fields",
    description: "POST /form with 10 urlencoded fields; the answer joins the 10 decoded values.",
    servers: WEB_PEERS,
    unit: "req/s",
    expectStatus: 200,
    request: ({ formBody }) => ({
      method: "POST",
      path: "/form",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: formBody,
    }),
    check: (answer, { formAnswer }) => expectText(answer, formAnswer),
  },
  {
    kind: "http",
    id: "cookie",
    title: "signed-cookie read",
    description:
      "GET /cookie with a Tornado v2 signed cookie among three; Typhoon reads it with getSignedCookie, Tornado with get_secure_cookie (6.2's name for get_signed_cookie), the Node peers parse the header and check the HMAC-SHA256 by hand.",
    servers: WEB_PEERS,
    unit: "req/s",
    expectStatus: 200,
    request: ({ fixture }) =>
      get("/cookie", { Cookie: `theme=dark; ${fixture.cookieName}=${fixture.signedCookie}; lang=en` }),
    check: (answer, { fixture }) => expectText(answer, `Hello, ${fixture.cookieUser}`),
  },
  {
    kind: "http",
    id: "template",
    title: "rendered template page",
    description:
      "GET /template renders a page of 100 rows x 3 escaped fields (bench/servers/templates/page.html); node:http builds it with a template literal.",
    servers: ["node", "tornado", "typhoon"],
    labels: { node: "node:http + template literal" },
    unit: "req/s",
    expectStatus: 200,
    request: () => get("/template"),
    check: checkPage,
  },
  {
    kind: "http",
    id: "static",
    title: "64 KiB static file",
    description:
      "GET /static/data64k.bin (64 KiB); the baseline is node:http piping fs.createReadStream into the response.",
    servers: WEB_PEERS,
    labels: { node: "node:http + fs stream" },
    unit: "req/s",
    expectStatus: 200,
    request: ({ fixture }) => get(`/static/${fixture.staticFile}`),
    check: (answer, { staticBytes }) => {
      if (answer.status !== 200) return `status ${answer.status}, body ${excerpt(answer.body)}`;
      return answer.body.equals(staticBytes) ? null : `body of ${answer.body.length} bytes differs from the file`;
    },
  },
  {
    kind: "http",
    id: "revalidate",
    title: "304 revalidation",
    description:
      "GET of the static file with If-None-Match set to the ETag the server gave; the answer must be 304 with no body.",
    servers: WEB_PEERS,
    unit: "req/s",
    expectStatus: 304,
    request: ({ fixture }) => get(`/static/${fixture.staticFile}`),
    prepare: async (send, request) => {
      const first = await send(request);
      const etag = first.headers.etag;
      if (first.status !== 200) throw new Error(`the file answered ${first.status}`);
      if (typeof etag !== "string") throw new Error("no ETag on the file's 200 answer");
      return { ...request, headers: { ...request.headers, "If-None-Match": etag } };
    },
    check: (answer) =>
      answer.status === 304 && answer.body.length === 0
        ? null
        : `status ${answer.status} with ${answer.body.length} body bytes, expected 304 and none`,
  },
  {
    kind: "websocket",
    id: "websocket",
    title: "WebSocket echo, 64-byte messages",
    description: "50 connections (or --connections), each sending a 64-byte text message and awaiting its echo before the next.",
    servers: ["node", "tornado", "typhoon"],
    labels: { node: "ws (bare)" },
    unit: "msg/s",
    path: "/ws",
    messageBytes: 64,
  },
  {
    kind: "client",
    id: "httpclient",
    title: "HTTP client",
    description:
      "The client under test fetches GET /hello from a bare node:http server with 50 (or --connections) requests in flight; AsyncHTTPClient vs undici.request.",
    servers: ["node", "typhoon"],
    labels: { node: "undici.request", typhoon: "typhoon AsyncHTTPClient" },
    unit: "req/s",
  },
];

/** `--only` words that stand for several scenarios. */
export const SCENARIO_ALIASES: Record<string, string[]> = { rules: ["rules1", "rules500"] };
