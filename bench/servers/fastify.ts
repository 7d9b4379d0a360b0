// The scenarios on Fastify 5, written as its documentation suggests (response schemas, the router's
// regex parameters, a content-type parser for forms). @fastify/static and @fastify/cookie are not
// installed, so the file and the cookie are read by hand, as on node:http.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { parse as parseQuery } from "node:querystring";
import * as cookie from "cookie";
import Fastify from "fastify";
import {
  KEEP_ALIVE_TIMEOUT_MS,
  announceReady,
  announceSkip,
  loadFixture,
  ruleIndices,
  rulePrefix,
  scenarioArgument,
} from "./shared/fixture.js";
import { decodeSignedValueV2 } from "./shared/signed-value.js";

const fixture = loadFixture();
const scenario = scenarioArgument();
const staticFile = join(fixture.staticDir, fixture.staticFile);
const app = Fastify({ logger: false, keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS });

switch (scenario) {
  case "hello":
    app.get("/hello", async () => fixture.hello);
    break;
  case "json":
    app.get(
      "/json",
      { schema: { response: { 200: { type: "object", properties: { message: { type: "string" } } } } } },
      async () => fixture.json,
    );
    break;
  case "param":
    app.get<{ Params: { id: string } }>("/user/:id(^\\d+$)", async (request) => `User ${request.params.id}`);
    break;
  case "rules1":
  case "rules500":
    for (const i of ruleIndices(fixture, scenario)) {
      app.get<{ Params: { id: string } }>(
        `${rulePrefix(i)}:id(^\\d+$)`,
        async (request) => `section ${i} item ${request.params.id}`,
      );
    }
    break;
  case "form":
    app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_request, body, done) => {
      done(null, parseQuery(body as string));
    });
    app.post<{ Body: Record<string, string> }>("/form", async (request) => {
      const values: string[] = [];
      for (let i = 0; i < 10; i++) values.push(request.body[`f${i}`] ?? "");
      return values.join(",");
    });
    break;
  case "cookie":
    app.get("/cookie", async (request, reply) => {
      const cookies = cookie.parse(request.headers.cookie ?? "");
      const user = decodeSignedValueV2(fixture.cookieSecret, fixture.cookieName, cookies[fixture.cookieName]);
      if (user === null) return reply.code(403).send();
      return `Hello, ${user}`;
    });
    break;
  case "static":
    app.get(`/static/${fixture.staticFile}`, async (_request, reply) =>
      reply.type("application/octet-stream").send(createReadStream(staticFile)),
    );
    break;
  case "revalidate":
    app.get(`/static/${fixture.staticFile}`, async (request, reply) => {
      const info = await stat(staticFile);
      const etag = `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
      reply.header("ETag", etag);
      if (request.headers["if-none-match"] === etag) return reply.code(304).send();
      return reply.type("application/octet-stream").header("Content-Length", info.size).send(createReadStream(staticFile));
    });
    break;
  default:
    announceSkip(`Fastify has no "${scenario}" scenario`);
}

await app.listen({ port: 0, host: "127.0.0.1" });
const address = app.server.address();
announceReady(typeof address === "object" && address !== null ? address.port : 0);
