// Ports tornado.httpserver.HTTPServer on node:http (llhttp), node:https and node:http2.

import http, { type IncomingMessage, type ServerResponse } from "node:http";
import http2 from "node:http2";
import https from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { SecureContextOptions, TlsOptions } from "node:tls";
import { InvalidStateError } from "../util/errors.js";
import { appLog, genLog } from "../util/log.js";
import { forkProcesses } from "../process/process.js";
import { type ConnectionSettings, decodableEncoding, HTTPConnection } from "./connection.js";
import { HTTPServerRequest } from "./request.js";

/**
 * Receives every request of a server. `Application` is one; any object with
 * `handleRequest` can be. Tornado: `HTTPServerConnectionDelegate`.
 */
export interface RequestDelegate {
  /** Answers one request through `request.connection`. */
  handleRequest(request: HTTPServerRequest): void | Promise<void>;
  /**
   * Takes over a connection that asks for a protocol upgrade (WebSocket); without it upgrades
   * are refused. `settings` are the server's connection settings (xheaders, limits...).
   */
  handleUpgrade?(req: IncomingMessage, socket: Duplex, head: Buffer, settings?: ConnectionSettings): void;
}

/** A plain function answering requests, as Tornado's callable `request_callback`. */
export type RequestCallback = (request: HTTPServerRequest) => void | Promise<void>;

/** Options of {@link HTTPServer}, named and defaulted as Tornado's. */
export interface HTTPServerOptions {
  /** Trust `X-Real-Ip`/`X-Forwarded-For` and `X-Scheme`/`X-Forwarded-Proto` from a reverse proxy. Default false. */
  xheaders?: boolean;
  /** Proxy addresses skipped when reading `X-Forwarded-For` from the right. */
  trustedDownstream?: Iterable<string>;
  /** TLS options (key, cert, ...): serve HTTPS. */
  ssl?: TlsOptions & SecureContextOptions;
  /** **Beyond** Tornado: serve HTTP/2 (over TLS, with `ssl`; HTTP/1.1 clients still accepted). */
  http2?: boolean;
  /**
   * Accept compressed request bodies (`Content-Encoding: gzip`, and **beyond** Tornado
   * `deflate` and `br`): handlers see the decoded body, and `maxBodySize`/`maxBufferSize`
   * apply to the decoded size, so a small "zip bomb" cannot fill memory. Default false.
   */
  decompressRequest?: boolean;
  /** Largest request head in bytes; larger gets 431. Default 64 KiB, as Tornado's `max_header_size`. */
  maxHeaderSize?: number;
  /**
   * Largest request body in bytes; larger gets 413. Default `maxBufferSize`. A streaming
   * handler may raise it for its request in `prepare()` with
   * `this.request.connection.setMaxBodySize(bytes)`.
   */
  maxBodySize?: number;
  /**
   * Largest body held in memory, in bytes: the limit for handlers that do not stream their
   * body, whatever `maxBodySize` says. Default 100 MB.
   */
  maxBufferSize?: number;
  /** Seconds allowed to receive a request body; 0 (default) for no limit. */
  bodyTimeout?: number;
  /** Seconds allowed to receive a request head. Default 60. */
  headerTimeout?: number;
  /** Seconds an idle keep-alive connection stays open. Default 3600, as Tornado. */
  idleConnectionTimeout?: number;
  /** Close the connection after every response. Default false. */
  noKeepAlive?: boolean;
  /** Most automatic restarts of crashed workers with `start(n)`. Default 100. */
  maxRestarts?: number;
}

/** Options of {@link HTTPServer.stop}. */
export interface StopOptions {
  /** Seconds to let in-flight requests finish before their connections are closed. Default 30. */
  timeout?: number;
}

type NodeServer = http.Server | https.Server | http2.Http2SecureServer;

let rejectionLoggerInstalled = false;

function installRejectionLogger(): void {
  if (rejectionLoggerInstalled) return;
  rejectionLoggerInstalled = true;
  process.on("unhandledRejection", (reason) => {
    appLog.error("Unhandled promise rejection", reason instanceof Error ? reason : new Error(String(reason)));
  });
}

const CLIENT_ERROR_STATUS: Readonly<Record<string, [number, string]>> = {
  HPE_HEADER_OVERFLOW: [431, "Request Header Fields Too Large"],
  ERR_HTTP_REQUEST_TIMEOUT: [408, "Request Timeout"],
};

/**
 * A non-blocking HTTP server: parses requests with Node's llhttp and hands each one, as an
 * {@link HTTPServerRequest}, to its delegate (usually an `Application`).
 * Tornado: `tornado.httpserver.HTTPServer`.
 *
 * @example
 * const server = new HTTPServer(app, { xheaders: true });
 * await server.listen(8888);
 * process.on("SIGTERM", () => void server.stop({ timeout: 10 }));
 */
export class HTTPServer {
  readonly #delegate: RequestDelegate;
  readonly #options: HTTPServerOptions;
  readonly #settings: ConnectionSettings;
  readonly #server: NodeServer;
  #bound: [number, string | undefined] | undefined;
  #stopped: Promise<void> | undefined;
  /** Connections taken over by an upgrade (WebSockets), which Node no longer tracks; closed by closeAllConnections(). */
  readonly #upgradedSockets = new Set<Duplex>();

  constructor(delegate: RequestDelegate | RequestCallback, options: HTTPServerOptions = {}) {
    this.#delegate = typeof delegate === "function" ? { handleRequest: delegate } : delegate;
    this.#options = options;
    const maxBufferSize = options.maxBufferSize ?? 100 * 1024 * 1024;
    this.#settings = {
      xheaders: options.xheaders ?? false,
      trustedDownstream: new Set(options.trustedDownstream ?? []),
      maxBodySize: options.maxBodySize ?? maxBufferSize,
      maxBufferSize,
      decompressRequest: options.decompressRequest ?? false,
      bodyTimeout: options.bodyTimeout ?? 0,
      noKeepAlive: options.noKeepAlive ?? false,
      draining: false,
    };
    this.#server = this.#createNodeServer();
  }

  #createNodeServer(): NodeServer {
    const options = this.#options;
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => this.#onRequest(req, res);
    const nodeOptions = {
      maxHeaderSize: options.maxHeaderSize ?? 65536,
      // How often Node checks header and request timeouts (its default, 30 s, lets a slow
      // client hold a connection for long past the limit).
      connectionsCheckingInterval: 2000,
    };
    let server: NodeServer;
    if (options.http2) {
      if (!options.ssl) throw new InvalidStateError("http2: true needs the ssl option (browsers speak HTTP/2 over TLS only)");
      server = http2.createSecureServer({ ...options.ssl, allowHTTP1: true, maxSessionMemory: 64 });
      server.on("request", onRequest as unknown as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void);
    } else if (options.ssl) {
      server = https.createServer({ ...nodeOptions, ...options.ssl }, onRequest);
    } else {
      server = http.createServer(nodeOptions, onRequest);
    }
    if (server instanceof http.Server) {
      server.keepAliveTimeout = (options.idleConnectionTimeout ?? 3600) * 1000;
      server.headersTimeout = (options.headerTimeout ?? 60) * 1000;
      // Body reading is timed by bodyTimeout instead, so long uploads are not cut off.
      server.requestTimeout = options.bodyTimeout ? 0 : 300_000;
      server.on("clientError", (error: NodeJS.ErrnoException, socket: Duplex) => onClientError(error, socket));
    }
    const delegate = this.#delegate;
    if (delegate.handleUpgrade) {
      const settings = this.#settings;
      const upgraded = this.#upgradedSockets;
      server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        upgraded.add(socket);
        socket.once("close", () => upgraded.delete(socket));
        delegate.handleUpgrade!(req, socket, head, settings);
      });
    }
    return server;
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const request = new HTTPServerRequest({ connection: new HTTPConnection(req, res, this.#settings) });
    if (this.#settings.decompressRequest && req.headers["content-encoding"] !== undefined) consumeContentEncoding(request);
    try {
      const result = this.#delegate.handleRequest(request);
      if (result instanceof Promise) result.catch((error: unknown) => failRequest(res, error));
    } catch (error) {
      failRequest(res, error);
    }
  }

  /** Node's server object, for options Typhoon does not wrap. */
  get nodeServer(): NodeServer {
    return this.#server;
  }

  /** The address the server listens on (`{address, family, port}`), once listening. */
  address(): AddressInfo {
    const address = this.#server.address();
    if (address === null || typeof address === "string") {
      throw new InvalidStateError("the server is not listening on a TCP port; call listen() first");
    }
    return address;
  }

  /** The port the server listens on (useful after `listen(0)`). */
  get port(): number {
    return this.address().port;
  }

  /**
   * Starts accepting connections on `port` (0 picks a free one) and `address` (default: all
   * interfaces). Resolves once listening. Tornado: `listen`.
   */
  listen(port: number, address?: string): Promise<void> {
    installRejectionLogger();
    return new Promise<void>((resolve, reject) => {
      const server = this.#server;
      const onError = (error: Error): void => reject(error);
      server.once("error", onError);
      server.listen(port, address, () => {
        server.off("error", onError);
        resolve();
      });
    });
  }

  /** Records the port and address for a later {@link start}. Tornado: `bind`. */
  bind(port: number, address?: string): void {
    this.#bound = [port, address];
  }

  /**
   * Starts the server on the address given to {@link bind}. With `numProcesses` other than
   * 1 (0: one per core) it first forks worker processes that share the port (see
   * `forkProcesses`); the primary process then supervises them and never resolves.
   * Tornado: `start(num_processes)`.
   */
  async start(numProcesses = 1): Promise<void> {
    if (!this.#bound) throw new InvalidStateError("call bind(port) before start()");
    if (numProcesses !== 1) await forkProcesses(numProcesses, this.#options.maxRestarts ?? 100);
    await this.listen(...this.#bound);
  }

  /**
   * Stops the server gracefully: new connections are refused at once, idle keep-alive
   * connections are closed, in-flight requests finish and answer with `Connection: close`;
   * connections still open after `timeout` seconds are closed. Resolves when every
   * connection is gone. Tornado: `stop()` (which only stops accepting).
   */
  stop(options: StopOptions = {}): Promise<void> {
    if (this.#stopped) return this.#stopped;
    const server = this.#server;
    this.#settings.draining = true;
    this.#stopped = new Promise<void>((resolve) => {
      if (!server.listening) {
        resolve();
        return;
      }
      const timer = setTimeout(() => this.closeAllConnections(), (options.timeout ?? 30) * 1000);
      timer.unref();
      server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      if (server instanceof http.Server) server.closeIdleConnections();
    });
    return this.#stopped;
  }

  /** Closes every connection now, in-flight requests and upgraded (WebSocket) connections included. */
  closeAllConnections(): void {
    const server = this.#server;
    if (server instanceof http.Server) server.closeAllConnections();
    for (const socket of this.#upgradedSockets) socket.destroy();
  }
}

// ---- request decompression

/**
 * For a body the connection will decode (`decompressRequest`): handlers see the decoded body,
 * so `Content-Encoding` moves to `X-Consumed-Content-Encoding`, as Tornado's `_GzipMessageDelegate`.
 */
function consumeContentEncoding(request: HTTPServerRequest): void {
  const encoding = request.connection!.req.headers["content-encoding"];
  if (decodableEncoding(encoding) === undefined) return;
  request.headers.delete("Content-Encoding");
  request.headers.add("X-Consumed-Content-Encoding", encoding!);
}

function onClientError(error: NodeJS.ErrnoException & { reason?: string }, socket: Duplex): void {
  const code = error.code ?? "";
  if (code === "ECONNRESET" || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason] = CLIENT_ERROR_STATUS[code] ?? [400, "Bad Request"];
  const remote = (socket as Socket).remoteAddress ?? "unknown";
  const detail = error.reason ?? error.message;
  genLog.info(`Malformed HTTP message from ${remote}: ${detail} (${code})`);
  const body = `${status}: ${reason} (${detail})\n`;
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=UTF-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function failRequest(res: ServerResponse, error: unknown): void {
  appLog.error("Uncaught exception in request delegate", error instanceof Error ? error : new Error(String(error)));
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = "<html><title>500: Internal Server Error</title><body>500: Internal Server Error</body></html>";
  res.writeHead(500, { "Content-Type": "text/html; charset=UTF-8", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}
