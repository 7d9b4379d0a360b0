// Ports tornado.websocket.websocket_connect and WebSocketClientConnection on the `ws` client.

import { readFile } from "node:fs/promises";
import type { ClientRequest, IncomingMessage } from "node:http";
import type { ClientOptions } from "ws";
import { HTTPRequest, REQUEST_DEFAULTS } from "../client/http-request.js";
import { HTTPClientError, HTTPResponse, HTTPTimeoutError } from "../client/http-response.js";
import { HTTPHeaders, type HeadersInit } from "../http/headers.js";
import { InvalidArgumentError, InvalidStateError } from "../util/errors.js";
import { jsonEncode } from "../util/escape.js";
import { appLog } from "../util/log.js";
import { WebSocketError } from "./errors.js";
import {
  DEFAULT_MAX_MESSAGE_SIZE,
  perMessageDeflateOption,
  ReasonedWebSocket,
  type WebSocketCompressionOptions,
  WebSocketProtocol,
} from "./protocol.js";

/** Options of {@link websocketConnect}, camelCase of Tornado's `websocket_connect` arguments. */
export interface WebSocketConnectOptions {
  /**
   * Called with every message, then with `null` once the connection is closed; `readMessage()`
   * is then unavailable. Tornado: `on_message_callback`.
   */
  onMessageCallback?: (message: string | Buffer | null) => void;
  /** Offer permessage-deflate compression (`{}` for the defaults); null or absent: no compression. */
  compressionOptions?: WebSocketCompressionOptions | null;
  /** Seconds between keep-alive pings; absent or 0: none. */
  pingInterval?: number | null;
  /** Seconds without a pong after which the connection is closed; default 3 ping intervals, at least 30. */
  pingTimeout?: number | null;
  /** Largest message accepted from the server, in bytes; default 10 MiB. A larger one closes with 1009. */
  maxMessageSize?: number;
  /** Subprotocols to propose, in order of preference (`Sec-WebSocket-Protocol`). */
  subprotocols?: readonly string[];
  /** Extra handshake headers, added to those of an `HTTPRequest` (e.g. `Origin`, `Cookie`). */
  headers?: HeadersInit;
  /** Seconds allowed for the connection and handshake when a URL is given; default 20. */
  connectTimeout?: number;
}

/** Messages a client buffers before it stops reading from the socket until `readMessage()` is called. */
const READ_BUFFER_HIGH_WATER = 8;

/** Most bytes of a refused handshake's body kept for the error. */
const MAX_ERROR_BODY = 64 * 1024;

type Message = string | Buffer;

function isPemText(value: string): boolean {
  return value.trimStart().startsWith("-----BEGIN");
}

async function readPem(value: string | Buffer | undefined): Promise<string | Buffer | undefined> {
  if (value === undefined || Buffer.isBuffer(value) || isPemText(value)) return value;
  return readFile(value);
}

/**
 * The client side of a WebSocket, from {@link websocketConnect}: read with `readMessage()` or
 * `for await`, send with `writeMessage()`. Tornado: `tornado.websocket.WebSocketClientConnection`.
 *
 * @example
 * const conn = await websocketConnect("ws://localhost:8888/chat");
 * await conn.writeMessage("hello");
 * for await (const message of conn) console.log(message);
 * console.log("closed", conn.closeCode, conn.closeReason);
 */
export class WebSocketClientConnection implements AsyncIterable<Message> {
  /** The headers of the server's 101 response. */
  readonly headers: HTTPHeaders;
  readonly #protocol: WebSocketProtocol;
  readonly #url: string;
  readonly #onMessageCallback: ((message: Message | null) => void) | undefined;
  #buffered: Message[] = [];
  #readers: ((message: Message | null) => void)[] = [];
  #bufferDrained: (() => void) | undefined;
  #closed = false;

  /** Built by {@link websocketConnect} once the handshake succeeded. */
  constructor(ws: ReasonedWebSocket, response: IncomingMessage, url: string, options: WebSocketConnectOptions) {
    this.headers = HTTPHeaders.fromRawHeaders(response.rawHeaders);
    this.#url = url;
    this.#onMessageCallback = options.onMessageCallback;
    this.#protocol = new WebSocketProtocol(ws, response.socket, {
      deliverMessage: (message) => this.#deliver(message),
      deliverPing: () => undefined,
      deliverPong: () => undefined,
      callbackFailed: (error) => appLog.error(`Uncaught exception in onMessageCallback of ${this.#url}`, error instanceof Error ? error : new Error(String(error))),
      connectionClosed: () => this.#connectionClosed(),
      describe: () => `WebSocket client of ${this.#url}`,
    });
    this.#protocol.startPinging(options.pingInterval, options.pingTimeout);
  }

  /**
   * The next message (a `string` for text, a `Buffer` for binary), or `null` once the
   * connection is closed (and every message before was read). Unread messages are buffered up
   * to a few; then the socket is not read until they are. Tornado: `read_message`.
   * @throws InvalidStateError (as a rejection) when the connection has an `onMessageCallback`.
   */
  readMessage(): Promise<Message | null> {
    if (this.#onMessageCallback !== undefined) {
      return Promise.reject(
        new InvalidStateError("readMessage() is not available: this connection delivers messages to its onMessageCallback"),
      );
    }
    const message = this.#buffered.shift();
    if (message !== undefined) {
      if (this.#bufferDrained !== undefined && this.#buffered.length < READ_BUFFER_HIGH_WATER) {
        const drained = this.#bufferDrained;
        this.#bufferDrained = undefined;
        drained();
      }
      return Promise.resolve(message);
    }
    if (this.#closed) return Promise.resolve(null);
    return new Promise((resolve) => this.#readers.push(resolve));
  }

  /** Reads messages until the connection closes. Leaving the loop early keeps the connection open. */
  async *[Symbol.asyncIterator](): AsyncIterator<Message> {
    while (true) {
      const message = await this.readMessage();
      if (message === null) return;
      yield message;
    }
  }

  /**
   * Sends a message: a text message, or a binary one when `binary` is true (as Tornado, the
   * flag decides: a Buffer without it goes as text, its bytes taken as UTF-8); a plain object
   * as JSON text. Resolves once the socket takes more
   * data (at once, unless its buffer is full: then when it drains); rejects with
   * `WebSocketClosedError` when the connection is closing or closed. Tornado: `write_message`.
   */
  writeMessage(message: string | Buffer | Uint8Array | object, binary = false): Promise<void> {
    if (typeof message === "string" || Buffer.isBuffer(message)) return this.#protocol.write(message, binary);
    if (message instanceof Uint8Array) return this.#protocol.write(Buffer.from(message.buffer, message.byteOffset, message.byteLength), binary);
    return this.#protocol.write(jsonEncode(message), binary);
  }

  /**
   * Starts closing: sends a close frame with `code` and `reason` and closes the socket when
   * the server answers, or after 5 seconds. Tornado: `close`.
   * @throws InvalidArgumentError for a code a close frame may not carry or a reason over 123 bytes.
   */
  close(code?: number, reason?: string): void {
    this.#protocol.close(code, reason);
  }

  /**
   * Sends a ping frame with up to 125 bytes of data. Tornado: `ping`.
   * @throws WebSocketClosedError when closing or closed; InvalidArgumentError over 125 bytes.
   */
  ping(data: string | Buffer = ""): void {
    this.#protocol.ping(data);
  }

  /** The subprotocol the server selected, or null. Tornado: `selected_subprotocol`. */
  get selectedSubprotocol(): string | null {
    return this.#protocol.protocol;
  }

  /** The status code of the server's close frame, or null. Tornado: `close_code`. */
  get closeCode(): number | null {
    return this.#protocol.closeCode;
  }

  /** The reason of the server's close frame, or null. Tornado: `close_reason`. */
  get closeReason(): string | null {
    return this.#protocol.closeReason;
  }

  #deliver(message: Message): Promise<void> | undefined {
    const callback = this.#onMessageCallback;
    if (callback !== undefined) {
      callback(message);
      return undefined;
    }
    const reader = this.#readers.shift();
    if (reader !== undefined) {
      reader(message);
      return undefined;
    }
    this.#buffered.push(message);
    if (this.#buffered.length < READ_BUFFER_HIGH_WATER) return undefined;
    return new Promise<void>((resolve) => {
      this.#bufferDrained = resolve;
    });
  }

  #connectionClosed(): void {
    this.#closed = true;
    for (const reader of this.#readers.splice(0)) reader(null);
    try {
      this.#onMessageCallback?.(null);
    } catch (error) {
      appLog.error(`Uncaught exception in onMessageCallback of ${this.#url}`, error instanceof Error ? error : new Error(String(error)));
    }
  }
}

/**
 * Opens a WebSocket connection to `urlOrRequest` (`ws://` or `wss://`; `http(s)://` works
 * too): a URL, or an `HTTPRequest` whose headers, `connectTimeout`/`requestTimeout`,
 * `userAgent`, `authUsername`/`authPassword` and TLS options (`validateCert`, `caCerts`,
 * `clientKey`, `clientCert`) are used. Redirects are not followed. Tornado: `websocket_connect`.
 *
 * Rejects with `HTTPClientError` (its `status` the HTTP status) when the server answers with
 * an error instead of switching protocols, `WebSocketError` (`TYPHOON_ERR_WEBSOCKET_NOT_UPGRADED`)
 * when it answers 2xx, `HTTPTimeoutError` when the handshake takes longer than the timeout,
 * and `HTTPClientError` with status 599 (`TYPHOON_ERR_HTTP_CONNECTION`) when no connection
 * could be made.
 *
 * @example
 * const conn = await websocketConnect(new HTTPRequest("wss://example.com/feed", {
 *   headers: { Authorization: `Bearer ${token}` }, connectTimeout: 5,
 * }), { pingInterval: 20, subprotocols: ["v2.feed"] });
 */
export async function websocketConnect(
  urlOrRequest: string | URL | HTTPRequest,
  options: WebSocketConnectOptions = {},
): Promise<WebSocketClientConnection> {
  let request: HTTPRequest;
  if (urlOrRequest instanceof HTTPRequest) request = urlOrRequest;
  else {
    request = new HTTPRequest(urlOrRequest);
    if (options.connectTimeout !== undefined) request.connectTimeout = options.connectTimeout;
  }
  const headers = new HTTPHeaders(request.headers);
  if (options.headers !== undefined) for (const [name, value] of new HTTPHeaders(options.headers)) headers.add(name, value);
  if (request.userAgent !== undefined && !headers.has("User-Agent")) headers.set("User-Agent", request.userAgent);
  if (request.authUsername !== undefined && !headers.has("Authorization")) {
    const credentials = `${request.authUsername}:${request.authPassword ?? ""}`;
    headers.set("Authorization", `Basic ${Buffer.from(credentials).toString("base64")}`);
  }
  const plainHeaders: Record<string, string> = {};
  for (const name of headers.keys()) plainHeaders[name] = headers.getList(name).join(", ");
  const timeouts = [request.connectTimeout ?? REQUEST_DEFAULTS.connectTimeout, request.requestTimeout ?? REQUEST_DEFAULTS.requestTimeout];
  const timeout = Math.min(...timeouts.map((seconds) => (seconds > 0 ? seconds : Infinity)));
  const [ca, key, cert] = await Promise.all([request.caCerts, request.clientKey, request.clientCert].map(readPem));
  const clientOptions: ClientOptions = {
    headers: plainHeaders,
    followRedirects: false,
    maxPayload: options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE,
    perMessageDeflate: perMessageDeflateOption(options.compressionOptions),
    rejectUnauthorized: request.validateCert ?? REQUEST_DEFAULTS.validateCert,
  };
  if (Number.isFinite(timeout)) clientOptions.handshakeTimeout = timeout * 1000;
  if (ca !== undefined) clientOptions.ca = ca;
  if (key !== undefined) clientOptions.key = key;
  if (cert !== undefined) clientOptions.cert = cert;
  let ws: ReasonedWebSocket;
  try {
    ws = new ReasonedWebSocket(request.url, [...(options.subprotocols ?? [])], clientOptions);
  } catch (error) {
    throw new InvalidArgumentError(`cannot open a WebSocket to ${request.url}: ${(error as Error).message}`, "TYPHOON_ERR_WEBSOCKET_URL");
  }
  return new Promise<WebSocketClientConnection>((resolve, reject) => {
    let settled = false;
    let response: IncomingMessage | undefined;
    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      ws.off("error", onError);
      ws.on("error", () => undefined);
      reject(error);
    };
    const onError = (error: NodeJS.ErrnoException): void => {
      if (error.message === "Opening handshake has timed out") fail(new HTTPTimeoutError("Timeout while connecting", { cause: error }));
      else if (error.code !== undefined && error.syscall !== undefined) {
        fail(new HTTPClientError(599, error.message, undefined, { code: "TYPHOON_ERR_HTTP_CONNECTION", cause: error }));
      } else if (error.code !== undefined && /CERT|SSL|TLS/.test(error.code)) {
        fail(new HTTPClientError(599, error.message, undefined, { code: "TYPHOON_ERR_HTTP_CONNECTION", cause: error }));
      } else fail(new WebSocketError(`WebSocket handshake with ${request.url} failed: ${error.message}`, "TYPHOON_ERR_WEBSOCKET", { cause: error }));
    };
    ws.on("error", onError);
    ws.once("upgrade", (res: IncomingMessage) => {
      response = res;
    });
    ws.on("unexpected-response", (req: ClientRequest, res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const refused = (): void => {
        req.destroy();
        const body = Buffer.concat(chunks);
        const status = res.statusCode ?? 599;
        if (status >= 200 && status < 300) {
          fail(new WebSocketError(`${request.url} answered ${status} instead of switching to WebSocket (Non-websocket response)`, "TYPHOON_ERR_WEBSOCKET_NOT_UPGRADED"));
          return;
        }
        const httpResponse = new HTTPResponse(request, status, {
          headers: HTTPHeaders.fromRawHeaders(res.rawHeaders),
          body,
          ...(res.statusMessage ? { reason: res.statusMessage } : {}),
        });
        fail(httpResponse.error ?? new HTTPClientError(status, res.statusMessage, httpResponse));
      };
      res.on("data", (chunk: Buffer) => {
        if (size < MAX_ERROR_BODY) chunks.push(chunk);
        size += chunk.length;
      });
      res.once("end", refused);
      res.once("error", refused);
      res.once("aborted", refused);
    });
    const onClose = (): void => fail(new WebSocketError(`the WebSocket to ${request.url} closed during the handshake`));
    ws.once("close", onClose);
    ws.once("open", () => {
      if (settled || response === undefined) return;
      settled = true;
      ws.off("error", onError);
      ws.off("close", onClose);
      resolve(new WebSocketClientConnection(ws, response, request.url, options));
    });
  });
}
