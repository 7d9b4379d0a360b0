// The scenarios on Express 5, written the usual Express way (express.urlencoded, express.static).
// cookie-parser is not installed, so the cookie header is parsed with `cookie`, as in the other Node peers.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import * as cookie from "cookie";
import express from "express";
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
const app = express();
const DIGITS = /^\d+$/;

switch (scenario) {
  case "hello":
    app.get("/hello", (_req, res) => {
      res.send(fixture.hello);
    });
    break;
  case "json":
    app.get("/json", (_req, res) => {
      res.json(fixture.json);
    });
    break;
  case "param":
    // Express 5 (path-to-regexp 8) has no inline parameter patterns: a RegExp route does it.
    app.get(/^\/user\/(\d+)$/, (req, res) => {
      res.send(`User ${(req.params as Record<string, string>)[0]}`);
    });
    break;
  case "rules1":
  case "rules500":
    for (const i of ruleIndices(fixture, scenario)) {
      app.get(`${rulePrefix(i)}:id`, (req, res, next) => {
        const id = req.params["id"] ?? "";
        if (!DIGITS.test(id)) return next();
        res.send(`section ${i} item ${id}`);
      });
    }
    break;
  case "form":
    app.post("/form", express.urlencoded({ extended: false }), (req, res) => {
      const body = req.body as Record<string, string>;
      const values: string[] = [];
      for (let i = 0; i < 10; i++) values.push(body[`f${i}`] ?? "");
      res.send(values.join(","));
    });
    break;
  case "cookie":
    app.get("/cookie", (req, res) => {
      const cookies = cookie.parse(req.get("cookie") ?? "");
      const user = decodeSignedValueV2(fixture.cookieSecret, fixture.cookieName, cookies[fixture.cookieName]);
      if (user === null) res.sendStatus(403);
      else res.send(`Hello, ${user}`);
    });
    break;
  case "static":
  case "revalidate":
    app.use("/static", express.static(fixture.staticDir));
    break;
  default:
    announceSkip(`Express has no "${scenario}" scenario`);
}

const server = createServer(app);
server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
server.listen(0, "127.0.0.1", () => announceReady((server.address() as AddressInfo).port));
