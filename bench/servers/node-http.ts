// The baseline: each scenario written directly on node:http, as a Node programmer would without a framework
// (a template literal for the page, fs.createReadStream().pipe(res) for the file, bare `ws` for WebSockets).
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import * as cookie from "cookie";
import {
  KEEP_ALIVE_TIMEOUT_MS,
  announceReady,
  announceSkip,
  loadFixture,
  ruleIndices,
  rulePrefix,
  scenarioArgument,
  type Row,
} from "./shared/fixture.js";
import { decodeSignedValueV2 } from "./shared/signed-value.js";

type Listener = (req: http.IncomingMessage, res: http.ServerResponse) => void;

const fixture = loadFixture();
const scenario = scenarioArgument();
const staticPath = `/static/${fixture.staticFile}`;
const staticFile = join(fixture.staticDir, fixture.staticFile);

function notFound(res: http.ServerResponse): void {
  res.writeHead(404, { "Content-Type": "text/plain" });
  res.end("Not Found");
}

function sendText(res: http.ServerResponse, text: string, type = "text/plain; charset=utf-8"): void {
  res.writeHead(200, { "Content-Type": type, "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function page(title: string, rows: Row[]): string {
  let html = `<!DOCTYPE html>\n<html>\n<head><title>${escapeHtml(title)}</title></head>\n<body>\n<h1>${escapeHtml(title)}</h1>\n<table>\n`;
  for (const row of rows) {
    html += `<tr><td>${escapeHtml(row.name)}</td><td>${escapeHtml(row.email)}</td><td>${escapeHtml(row.note)}</td></tr>\n`;
  }
  return `${html}</table>\n</body>\n</html>\n`;
}

function listenerFor(name: string): Listener {
  switch (name) {
    case "hello":
      return (req, res) => (req.url === "/hello" ? sendText(res, fixture.hello) : notFound(res));
    case "json":
      return (req, res) =>
        req.url === "/json" ? sendText(res, JSON.stringify(fixture.json), "application/json") : notFound(res);
    case "param": {
      const pattern = /^\/user\/(\d+)$/;
      return (req, res) => {
        const match = pattern.exec(req.url ?? "");
        if (match) sendText(res, `User ${match[1]}`);
        else notFound(res);
      };
    }
    case "rules1":
    case "rules500": {
      // A hand-rolled router: an ordered list of regular expressions, first match wins.
      const rules = ruleIndices(fixture, name).map(
        (i) => [new RegExp(`^${rulePrefix(i)}(\\d+)$`), `section ${i}`] as const,
      );
      return (req, res) => {
        const url = req.url ?? "";
        for (const [pattern, section] of rules) {
          const match = pattern.exec(url);
          if (match) return sendText(res, `${section} item ${match[1]}`);
        }
        notFound(res);
      };
    }
    case "form":
      return (req, res) => {
        if (req.method !== "POST" || req.url !== "/form") return notFound(res);
        const chunks: Buffer[] = [];
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        req.on("end", () => {
          const fields = new URLSearchParams(Buffer.concat(chunks).toString());
          const values: string[] = [];
          for (let i = 0; i < 10; i++) values.push(fields.get(`f${i}`) ?? "");
          sendText(res, values.join(","));
        });
      };
    case "cookie":
      return (req, res) => {
        if (req.url !== "/cookie") return notFound(res);
        const cookies = cookie.parse(req.headers.cookie ?? "");
        const user = decodeSignedValueV2(fixture.cookieSecret, fixture.cookieName, cookies[fixture.cookieName]);
        if (user === null) {
          res.writeHead(403);
          res.end();
        } else {
          sendText(res, `Hello, ${user}`);
        }
      };
    case "template":
      return (req, res) =>
        req.url === "/template" ? sendText(res, page(fixture.title, fixture.rows), "text/html; charset=utf-8") : notFound(res);
    case "static":
      return (req, res) => {
        if (req.url !== staticPath) return notFound(res);
        res.setHeader("Content-Type", "application/octet-stream");
        createReadStream(staticFile).pipe(res);
      };
    case "revalidate":
      // The usual hand-written revalidation: an ETag from size and mtime, 304 when If-None-Match matches.
      return (req, res) => {
        if (req.url !== staticPath) return notFound(res);
        stat(staticFile).then(
          (info) => {
            const etag = `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
            if (req.headers["if-none-match"] === etag) {
              res.writeHead(304, { ETag: etag });
              res.end();
              return;
            }
            res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": info.size, ETag: etag });
            createReadStream(staticFile).pipe(res);
          },
          () => notFound(res),
        );
      };
    case "websocket":
      return (_req, res) => notFound(res);
    default:
      announceSkip(`node:http has no "${name}" scenario`);
  }
}

const server = http.createServer(listenerFor(scenario));
server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
if (scenario === "websocket") {
  // Loaded only here, so the other scenarios (and the memory figures) carry no WebSocket code.
  const { WebSocketServer } = await import("ws");
  const wss = new WebSocketServer({ server, path: "/ws" });
  wss.on("connection", (socket) => {
    socket.on("message", (data, isBinary) => socket.send(data, { binary: isBinary }));
  });
}
server.listen(0, "127.0.0.1", () => announceReady((server.address() as AddressInfo).port));
