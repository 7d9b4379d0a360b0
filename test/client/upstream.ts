// Upstream servers for the client tests: a node:http app with the handlers of Tornado's
// httpclient_test.py / simple_httpclient_test.py, and raw TCP servers for malformed bytes.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer, type ServerOptions as HttpsOptions } from "node:https";
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from "node:net";
import { gzipSync } from "node:zlib";

export interface Upstream {
  port: number;
  url(path: string): string;
  /** Requests received, in order (method and URL). */
  requests: Array<{ method: string; url: string; headers: IncomingMessage["headers"] }>;
  /** Pending /trigger responses: call one to answer it. */
  triggers: Array<() => void>;
  /** Resolves when `count` triggers are pending. */
  waitForTriggers(count: number): Promise<void>;
  close(): Promise<void>;
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

type Handler = (request: IncomingMessage, response: ServerResponse, body: Buffer, upstream: Upstream) => void;

const routes: Array<[RegExp, Handler]> = [
  [
    /^\/hello$/,
    (request, response) => {
      const name = new URL(request.url!, "http://x").searchParams.get("name") ?? "world";
      response.writeHead(200, { "Content-Type": "text/plain" });
      response.end(`Hello ${name}!`);
    },
  ],
  [
    /^\/post$/,
    (_request, response, body) => {
      const args = new URLSearchParams(body.toString());
      response.end(`Post arg1: ${args.get("arg1")}, arg2: ${args.get("arg2")}`);
    },
  ],
  [/^\/put$/, (_request, response, body) => response.end(`Put body: ${body.toString()}`)],
  [
    /^\/redirect$/,
    (request, response) => {
      const query = new URL(request.url!, "http://x").searchParams;
      response.writeHead(Number(query.get("status") ?? 302), { Location: query.get("url")! });
      response.end();
    },
  ],
  [
    /^\/redirect_without_location$/,
    (_request, response) => {
      response.writeHead(301);
      response.end();
    },
  ],
  [
    /^\/chunk$/,
    (_request, response) => {
      response.writeHead(200, { "Content-Type": "text/html; charset=UTF-8" });
      response.write("asdf");
      setTimeout(() => response.end("qwer"), 20);
    },
  ],
  [/^\/auth$/, (request, response) => response.end(request.headers.authorization ?? "")],
  [
    /^\/countdown\/(\d+)$/,
    (request, response) => {
      const count = Number(/(\d+)$/.exec(request.url!)![1]);
      if (count > 0) {
        response.writeHead(302, { Location: `/countdown/${count - 1}` });
        response.end();
      } else {
        response.end("Zero");
      }
    },
  ],
  [
    /^\/echopost$/,
    (request, response, body) => {
      response.writeHead(200, {
        "Content-Type": request.headers["content-type"] ?? "application/octet-stream",
        "Content-Length": String(body.length),
      });
      response.end(body);
    },
  ],
  [/^\/user_agent$/, (request, response) => response.end(request.headers["user-agent"] ?? "")],
  [/^\/host_echo$/, (request, response) => response.end(request.headers.host ?? "")],
  [
    /^\/headers$/,
    (request, response) => {
      response.writeHead(200, { "Content-Type": "application/json" });
      response.end(JSON.stringify(request.headers));
    },
  ],
  [
    /^\/304_with_content_length$/,
    (_request, response) => {
      response.writeHead(304, { "Content-Length": "42" });
      response.end();
    },
  ],
  [
    /^\/all_methods$/,
    (request, response) => {
      response.end(request.method === "HEAD" ? undefined : request.method);
    },
  ],
  [/^\/patch$/, (_request, response, body) => response.end(body)],
  [
    /^\/set_header$/,
    (request, response) => {
      const query = new URL(request.url!, "http://x").searchParams;
      // The value's %XX escapes are bytes (Latin-1), as in Tornado's SetHeaderHandler.
      const escaped = /[?&]v=([^&]*)/.exec(request.url!)![1]!;
      const value = escaped.replace(/%([0-9A-Fa-f]{2})/g, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)));
      response.setHeader(query.get("k")!, value);
      response.end();
    },
  ],
  [
    /^\/gzip$/,
    (_request, response) => {
      const body = gzipSync(Buffer.from("asdfqwer".repeat(100)));
      response.writeHead(200, { "Content-Encoding": "gzip", "Content-Length": String(body.length) });
      response.end(body);
    },
  ],
  [
    /^\/invalid_gzip$/,
    (_request, response) => {
      // tornado/test/httpclient_test.py::InvalidGzipHandler: valid gzip followed by a stray byte.
      let text = "";
      for (let i = 0; i < 9000; i++) text += `Hello World ${i}\n`;
      const body = Buffer.concat([gzipSync(Buffer.from(text.slice(0, 149051)), { level: 6 }), Buffer.from([0])]);
      response.writeHead(200, { "Content-Type": "text/plain", "Content-Encoding": "gzip" });
      response.end(body);
    },
  ],
  [
    /^\/corrupt_gzip$/,
    (_request, response) => {
      response.writeHead(200, { "Content-Encoding": "gzip" });
      response.end(Buffer.from("this is not gzip at all"));
    },
  ],
  [
    /^\/trigger$/,
    (_request, response, _body, upstream) => {
      upstream.triggers.push(() => response.end("triggered"));
    },
  ],
  [/^\/hang$/, () => undefined],
  [
    /^\/see_other_post$/,
    (request, response, body) => {
      if (request.method !== "POST") throw new Error(`unexpected method ${request.method}`);
      response.writeHead(Number(body.toString()), { Location: "/see_other_get" });
      response.end();
    },
  ],
  [
    /^\/see_other_get$/,
    (request, response, body) => {
      if (request.method !== "GET" || body.length > 0) throw new Error("unexpected body or method");
      response.end("ok");
    },
  ],
  [
    /^\/no_content$/,
    (_request, response) => {
      response.writeHead(204);
      response.end();
    },
  ],
  [
    /^\/large\/(\d+)$/,
    (request, response) => {
      const size = Number(/(\d+)$/.exec(request.url!)![1]);
      response.writeHead(200, { "Content-Type": "text/plain", "Content-Length": String(size) });
      response.end(Buffer.alloc(size, "a"));
    },
  ],
  [
    /^\/large_chunked\/(\d+)$/,
    (request, response) => {
      const size = Number(/(\d+)$/.exec(request.url!)![1]);
      response.writeHead(200, { "Content-Type": "text/plain" });
      for (let sent = 0; sent < size; sent += 16384) response.write(Buffer.alloc(Math.min(16384, size - sent), "a"));
      response.end();
    },
  ],
];

function listen(server: Server | NetServer): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}

function handle(upstream: Upstream): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    upstream.requests.push({ method: request.method!, url: request.url!, headers: request.headers });
    void readBody(request).then((body) => {
      const path = new URL(request.url!, "http://x").pathname;
      const route = routes.find(([pattern]) => pattern.test(path));
      if (route === undefined) {
        response.writeHead(404, { "Content-Type": "text/plain" });
        response.end("not found");
        return;
      }
      try {
        route[1](request, response, body, upstream);
      } catch (error) {
        response.writeHead(500);
        response.end(String(error));
      }
    });
  };
}

function makeUpstream(port: number, scheme: string, server: Server, sockets: Set<Socket>): Upstream {
  const upstream: Upstream = {
    port,
    url: (path) => `${scheme}://127.0.0.1:${port}${path}`,
    requests: [],
    triggers: [],
    async waitForTriggers(count) {
      while (upstream.triggers.length < count) await new Promise((resolve) => setTimeout(resolve, 2));
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const trigger of upstream.triggers.splice(0)) trigger();
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  return upstream;
}

function trackSockets(server: Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  return sockets;
}

/** Starts the app on 127.0.0.1 with a free port. */
export async function startUpstream(): Promise<Upstream> {
  const server = createHttpServer();
  const sockets = trackSockets(server);
  const port = await listen(server);
  const upstream = makeUpstream(port, "http", server, sockets);
  server.on("request", handle(upstream));
  return upstream;
}

/** Starts the app over TLS with the given key and certificate. */
export async function startHttpsUpstream(options: HttpsOptions): Promise<Upstream> {
  const server = createHttpsServer(options);
  const sockets = trackSockets(server);
  server.on("secureConnection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  const port = await listen(server);
  const upstream = makeUpstream(port, "https", server, sockets);
  server.on("request", handle(upstream));
  return upstream;
}

export interface RawServer {
  port: number;
  url(path?: string): string;
  /** Connections accepted so far. */
  connections: number;
  close(): Promise<void>;
}

/**
 * A TCP server that reads each request's head and calls `onRequest(socket, head)`, for
 * malformed or misbehaving responses written byte by byte.
 */
export async function startRawServer(onRequest: (socket: Socket, head: string) => void): Promise<RawServer> {
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    raw.connections += 1;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    let buffered = "";
    socket.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("latin1");
      const end = buffered.indexOf("\r\n\r\n");
      if (end < 0) return;
      const head = buffered.slice(0, end);
      buffered = buffered.slice(end + 4);
      onRequest(socket, head);
    });
  });
  const port = await listen(server);
  const raw: RawServer = {
    port,
    url: (path = "/") => `http://127.0.0.1:${port}${path}`,
    connections: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  return raw;
}

/** A port on 127.0.0.1 where nothing listens (connections are refused). */
export async function refusingPort(): Promise<number> {
  const server = createNetServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
