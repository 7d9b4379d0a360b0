// The scenarios on Hono 4 with @hono/node-server, written the Hono way (typed path patterns, parseBody,
// getCookie, serveStatic, the etag middleware for revalidation).
import { serve, type ServerType } from "@hono/node-server";
import { serveStatic } from "@hono/node-server/serve-static";
import { Hono } from "hono";
import { getCookie } from "hono/cookie";
import { etag } from "hono/etag";
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
const app = new Hono();

switch (scenario) {
  case "hello":
    app.get("/hello", (c) => c.text(fixture.hello));
    break;
  case "json":
    app.get("/json", (c) => c.json(fixture.json));
    break;
  case "param":
    app.get("/user/:id{[0-9]+}", (c) => c.text(`User ${c.req.param("id")}`));
    break;
  case "rules1":
  case "rules500":
    for (const i of ruleIndices(fixture, scenario)) {
      app.get(`${rulePrefix(i)}:id{[0-9]+}`, (c) => c.text(`section ${i} item ${c.req.param("id")}`));
    }
    break;
  case "form":
    app.post("/form", async (c) => {
      const body = await c.req.parseBody();
      const values: string[] = [];
      for (let i = 0; i < 10; i++) values.push(String(body[`f${i}`] ?? ""));
      return c.text(values.join(","));
    });
    break;
  case "cookie":
    app.get("/cookie", (c) => {
      const user = decodeSignedValueV2(fixture.cookieSecret, fixture.cookieName, getCookie(c, fixture.cookieName));
      return user === null ? c.body(null, 403) : c.text(`Hello, ${user}`);
    });
    break;
  case "static":
    app.use("/static/*", serveStatic({ root: fixture.dataDir }));
    break;
  case "revalidate":
    app.use("/static/*", etag(), serveStatic({ root: fixture.dataDir }));
    break;
  default:
    announceSkip(`Hono has no "${scenario}" scenario`);
}

const server: ServerType = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info) =>
  announceReady(info.port),
);
if ("keepAliveTimeout" in server) server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
