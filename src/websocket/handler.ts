// Ports tornado.websocket.WebSocketHandler: a request handler whose GET switches the connection to the WebSocket protocol.

import type { Socket } from "node:net";
import { WebSocketServer } from "ws";
import type { UpgradeStream } from "../http/connection.js";
import { type CookieOptions, formatSetCookie } from "../http/cookies.js";
import { StreamClosedError } from "../http/errors.js";
import { canonicalHeaderName } from "../http/headers.js";
import { InvalidStateError } from "../util/errors.js";
import { jsonEncode } from "../util/escape.js";
import { appLog, genLog } from "../util/log.js";
import { type ErrorOptions, handOverResponse, RequestHandler } from "../web/request-handler.js";
import { WebSocketClosedError } from "./errors.js";
import {
  checkCloseFrame,
  DEFAULT_MAX_MESSAGE_SIZE,
  perMessageDeflateOption,
  type ProtocolDelegate,
  ReasonedWebSocket,
  type WebSocketCompressionOptions,
  WebSocketProtocol,
} from "./protocol.js";

/** RFC 6455: the key is 16 random bytes in base64. */
const KEY_RE = /^[+/0-9A-Za-z]{22}==$/;

/** Response headers that never go into the 101 response (ws writes its own handshake headers). */
const NOT_IN_HANDSHAKE = new Set([
  "content-type",
  "content-length",
  "content-encoding",
  "content-language",
  "transfer-encoding",
  "etag",
  "connection",
  "keep-alive",
  "upgrade",
  "sec-websocket-accept",
  "sec-websocket-protocol",
  "sec-websocket-extensions",
]);

/** What a handler set for its response before the switch, to be sent with the 101. */
interface HandshakeExtras {
  /** Canonical names of the headers set (values are read back with `getHeader`). */
  readonly names: Set<string>;
  /** Cookie name → `Set-Cookie` value. */
  readonly cookies: Map<string, string>;
}

/**
 * Each handler's {@link HandshakeExtras}. Kept outside the instance because
 * `setDefaultHeaders()` runs in the base constructor, before the subclass's own fields exist.
 */
const handshakeExtras = new WeakMap<object, HandshakeExtras>();

function extrasOf(handler: object): HandshakeExtras {
  let extras = handshakeExtras.get(handler);
  if (extras === undefined) {
    extras = { names: new Set(["Server"]), cookies: new Map() };
    handshakeExtras.set(handler, extras);
  }
  return extras;
}

/** Friend access for {@link HandlerDelegate}: the connection of `handler` closed. */
let reportClosed: (handler: WebSocketHandler<unknown>) => void;

/** Hands a connection's events to its handler's hooks (one object per connection, no closures). */
class HandlerDelegate implements ProtocolDelegate {
  readonly #handler: WebSocketHandler<unknown>;

  constructor(handler: WebSocketHandler<unknown>) {
    this.#handler = handler;
  }

  deliverMessage(message: string | Buffer): unknown {
    return this.#handler.onMessage(message);
  }

  deliverPing(data: Buffer): unknown {
    return this.#handler.onPing(data);
  }

  deliverPong(data: Buffer): unknown {
    return this.#handler.onPong(data);
  }

  callbackFailed(error: unknown): void {
    this.#handler.logException(error);
  }

  connectionClosed(): void {
    reportClosed(this.#handler);
  }

  describe(): string {
    const request = this.#handler.request;
    return `${request.method} ${request.uri} (${request.remoteIp})`;
  }
}

/** The host part of an origin URL, as Python's `urlparse(origin).netloc`; "" for anything else. */
function originHost(origin: string): string {
  return /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(origin)?.[1] ?? "";
}

/**
 * A handler whose GET switches the connection to the WebSocket protocol (RFC 6455): override
 * {@link open}, {@link onMessage} and {@link onClose}, and send with {@link writeMessage}.
 * Routing, `initialize`, `getCurrentUser()`, `prepare()` and decorators such as
 * `authenticated` run before the switch, so a handler can still refuse with any HTTP status
 * (401, 403...); response headers set by then (`setDefaultHeaders`, `prepare`) are sent with
 * the 101 response. After the switch only `writeMessage`, `ping` and `close` talk to the
 * client: the HTTP output methods (`write`, `setHeader`, `finish`...) throw.
 *
 * Browsers let any page open a WebSocket to any site, so by default a request whose `Origin`
 * is not this host is refused with 403 (see {@link checkOrigin}).
 *
 * Application settings: `websocketPingInterval`, `websocketPingTimeout`,
 * `websocketMaxMessageSize`. Tornado: `tornado.websocket.WebSocketHandler`.
 *
 * @example
 * class EchoWebSocket extends WebSocketHandler {
 *   override open() { appLog.info("WebSocket opened"); }
 *   override onMessage(message: string | Buffer) { void this.writeMessage(`You said: ${message}`); }
 *   override onClose() { appLog.info("WebSocket closed"); }
 * }
 * new Application([["/websocket", EchoWebSocket]]);
 */
export class WebSocketHandler<User = unknown> extends RequestHandler<User> {
  /** The handshake has no body; none is read before `get()`. */
  static readonly streamRequestBody: boolean = true;

  static {
    reportClosed = (handler) => handler.#connectionClosed();
  }

  #protocol: WebSocketProtocol | undefined;
  #selectedSubprotocol: string | null = null;
  #abortController: AbortController | undefined;
  #closed = false;

  // ---------------------------------------------------------------- hooks

  /**
   * Override this to set up the connection once it is open; it gets the path groups, as
   * `get` would. It may be async: messages that arrive meanwhile wait, in order, until it
   * is done. An exception is logged and closes the connection (1011).
   */
  open(..._args: unknown[]): void | Promise<void> {}

  /**
   * Override this to handle each message: a `string` for a text message, a `Buffer` for a
   * binary one. It may be async: the next message is handed over only once the promise
   * settles, so messages are handled one at a time, in order. An exception is logged and
   * closes the connection (1011); the server keeps serving others. Tornado: `on_message`.
   */
  onMessage(_message: string | Buffer): void | Promise<void> {
    throw new InvalidStateError(
      `${this.constructor.name} received a message but does not override onMessage()`,
      "TYPHOON_ERR_NOT_IMPLEMENTED",
    );
  }

  /**
   * Override this to clean up when the connection is closed, whichever side closed it; called
   * once, after the messages received before were handled. `closeCode` and `closeReason`
   * hold what the client sent. Tornado: `on_close`.
   */
  onClose(): void {}

  /** Override this to see the pings the client sends (they are answered already). Tornado: `on_ping`. */
  onPing(_data: Buffer): void {}

  /** Override this to see the answers to pings. Tornado: `on_pong`. */
  onPong(_data: Buffer): void {}

  /**
   * Override this to accept cross-origin WebSockets: return true to accept a request whose
   * `Origin` header is `origin` (requests without one, from non-browser clients, are always
   * accepted). The default accepts only an origin whose host (and port) equals the `Host`
   * header, as Tornado; other origins get 403.
   *
   * This is a protection against cross-site WebSocket hijacking: if authentication relies on
   * cookies, only allow origins you trust. Tornado: `check_origin`.
   *
   * @example
   * override checkOrigin(origin: string) {
   *   return new URL(origin).hostname.endsWith(".example.com");
   * }
   */
  checkOrigin(origin: string): boolean {
    return originHost(origin).toLowerCase() === this.#requestHeader("Host");
  }

  /**
   * Override this to choose a subprotocol among those the client proposes
   * (`Sec-WebSocket-Protocol`, possibly none): return one of them, or null for none. Called
   * exactly once per handshake. Tornado: `select_subprotocol`.
   */
  selectSubprotocol(_subprotocols: readonly string[]): string | null {
    return null;
  }

  /**
   * Override this to enable permessage-deflate compression: return an object (`{}` for the
   * defaults) to accept it when the client offers it, or null (the default) for none. The
   * decompressed size of a message is bounded by `maxMessageSize` too.
   * Tornado: `get_compression_options`.
   */
  getCompressionOptions(): WebSocketCompressionOptions | null {
    return null;
  }

  /**
   * Seconds between keep-alive pings; the `websocketPingInterval` setting, or null for none.
   * Override the getter for a per-handler value. Tornado: `ping_interval`.
   */
  get pingInterval(): number | null {
    return this.settings.websocketPingInterval ?? null;
  }

  /**
   * Seconds without a pong after which the connection is considered dead and closed; the
   * `websocketPingTimeout` setting, or null for the default (3 ping intervals, at least 30).
   * Tornado: `ping_timeout`.
   */
  get pingTimeout(): number | null {
    return this.settings.websocketPingTimeout ?? null;
  }

  /**
   * Largest message accepted, in bytes (after decompression): the `websocketMaxMessageSize`
   * setting, default 10 MiB. A larger message closes the connection with 1009. Tornado:
   * `max_message_size`.
   */
  get maxMessageSize(): number {
    return this.settings.websocketMaxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  }

  // ---------------------------------------------------------------- the connection

  /**
   * Sends a message: a text message, or a binary one when `binary` is true. As in Tornado the
   * flag decides, not the type: a string, Buffer or Uint8Array goes as text unless `binary`
   * (a Buffer's bytes must then be UTF-8), and a plain object as JSON text. The promise resolves once the socket takes more data: at once, unless its
   * buffer is full (a client that does not read), then when it drains — await it to respect
   * back-pressure. It rejects with `WebSocketClosedError` when the connection is not open, is
   * closing or closed; that rejection never counts as unhandled, so a fire-and-forget broadcast
   * to a client that just left logs nothing. Tornado: `write_message`.
   */
  writeMessage(message: string | Buffer | Uint8Array | object, binary = false): Promise<void> {
    const protocol = this.#protocol;
    if (protocol === undefined) {
      const rejected = Promise.reject(new WebSocketClosedError("the WebSocket is not open yet: write from open() on"));
      rejected.catch(() => undefined);
      return rejected;
    }
    if (typeof message === "string" || Buffer.isBuffer(message)) return protocol.write(message, binary);
    if (message instanceof Uint8Array) return protocol.write(Buffer.from(message.buffer, message.byteOffset, message.byteLength), binary);
    return protocol.write(jsonEncode(message), binary);
  }

  /**
   * Starts closing the connection: sends a close frame with `code` (RFC 6455 section 7.4.1;
   * 1000 when only a `reason` is given) and `reason`, then closes the socket when the client
   * answers, or after 5 seconds. Does nothing when not open or already closing.
   * Tornado: `close`.
   * @throws InvalidArgumentError (`TYPHOON_ERR_WEBSOCKET_CLOSE_CODE`, `TYPHOON_ERR_WEBSOCKET_CLOSE_REASON`)
   * for a code a close frame may not carry (1004-1006, 1015, others under 3000 that RFC 6455 does
   * not define, 5000 and over) or a reason over 123 bytes.
   */
  close(code?: number, reason?: string): void {
    checkCloseFrame(code, reason);
    this.#protocol?.close(code, reason);
  }

  /**
   * Sends a ping frame carrying up to 125 bytes. The `websocketPingInterval` setting pings
   * automatically. Tornado: `ping`.
   * @throws WebSocketClosedError when the connection is not open; InvalidArgumentError over 125 bytes.
   */
  ping(data: string | Buffer = ""): void {
    if (this.#protocol === undefined) throw new WebSocketClosedError("the WebSocket is not open yet");
    this.#protocol.ping(data);
  }

  /** The status code of the client's close frame, or null. Tornado: `close_code`. */
  get closeCode(): number | null {
    return this.#protocol?.closeCode ?? null;
  }

  /** The reason of the client's close frame, or null. Tornado: `close_reason`. */
  get closeReason(): string | null {
    return this.#protocol?.closeReason ?? null;
  }

  /** The subprotocol `selectSubprotocol` chose, or null. Tornado: `selected_subprotocol`. */
  get selectedSubprotocol(): string | null {
    return this.#selectedSubprotocol;
  }

  /**
   * Turns Nagle's algorithm off (true, the default here) or on (false) for this connection.
   * Tornado: `set_nodelay` (where the default is off).
   * @throws InvalidStateError before the connection is open.
   */
  setNodelay(value: boolean): void {
    if (this.#protocol === undefined) {
      throw new InvalidStateError("setNodelay() needs an open WebSocket: call it from open() on", "TYPHOON_ERR_WEBSOCKET_NOT_OPEN");
    }
    this.#protocol.setNodelay(value);
  }

  /** **Beyond** Tornado: aborted when the connection closes, also after the switch to WebSocket. */
  override get signal(): AbortSignal {
    const socket = this.request.connection?.upgrade?.socket;
    if (socket === undefined) return super.signal;
    if (this.#abortController === undefined) {
      const controller = new AbortController();
      this.#abortController = controller;
      const abort = (): void => controller.abort(new WebSocketClosedError("the WebSocket connection closed"));
      if (socket.destroyed) abort();
      else socket.once("close", abort);
    }
    return this.#abortController.signal;
  }

  // ---------------------------------------------------------------- the handshake

  /**
   * Checks the handshake and switches the connection to the WebSocket protocol, then calls
   * `open()` with the path groups. A plain GET gets 400, a cross-origin request 403 and an
   * unsupported protocol version 426. Override it only to decorate it (e.g. with
   * `authenticated`), calling `super.get(...args)`.
   */
  get(...args: unknown[]): void {
    const header = (name: string): string | undefined => this.#requestHeader(name);
    if ((header("Upgrade") ?? "").toLowerCase() !== "websocket") {
      this.#refuse(400, 'Can "Upgrade" only to "WebSocket".');
      return;
    }
    const connectionTokens = (header("Connection") ?? "").split(",").map((token) => token.trim().toLowerCase());
    if (!connectionTokens.includes("upgrade")) {
      this.#refuse(400, '"Connection" must be "Upgrade".');
      return;
    }
    // Version 8 clients send Sec-Websocket-Origin instead of Origin.
    const origin = header("Origin") ?? header("Sec-Websocket-Origin");
    if (origin !== undefined && !this.checkOrigin(origin)) {
      this.#refuse(403, "Cross origin websockets not allowed");
      return;
    }
    const version = header("Sec-WebSocket-Version");
    if (version !== "13" && version !== "8") {
      super.setStatus(426, "Upgrade Required");
      super.setHeader("Sec-WebSocket-Version", "13, 8");
      return;
    }
    if (!header("Host") || !KEY_RE.test(header("Sec-WebSocket-Key") ?? "")) {
      this.#refuse(400, "Missing/Invalid WebSocket headers");
      return;
    }
    const upgrade = this.request.connection?.upgrade;
    if (upgrade === undefined) {
      this.#refuse(400, "A WebSocket needs an HTTP/1.1 connection that can switch protocols");
      return;
    }
    const protocolHeader = header("Sec-WebSocket-Protocol");
    const offered = protocolHeader ? protocolHeader.split(",").map((name) => name.trim()) : [];
    const selected = this.selectSubprotocol(offered);
    if (selected !== null && !offered.includes(selected)) {
      throw new InvalidStateError(
        `selectSubprotocol() returned ${JSON.stringify(selected)}, which the client did not offer (${offered.join(", ") || "none"})`,
        "TYPHOON_ERR_WEBSOCKET_SUBPROTOCOL",
      );
    }
    this.#selectedSubprotocol = selected;
    this.#accept(upgrade, args);
  }

  /**
   * A request header, read from Node's parsed headers when there is a connection, so that the
   * handshake does not build an `HTTPHeaders` map per connection.
   */
  #requestHeader(name: string): string | undefined {
    const req = this.request.connection?.req;
    if (req === undefined) return this.request.headers.get(name);
    const value = req.headers[name.toLowerCase()];
    return Array.isArray(value) ? value.join(",") : value;
  }

  #refuse(status: number, message: string): void {
    super.setStatus(status);
    genLog.debug(message);
    void super.finish(message);
  }

  #accept(upgrade: UpgradeStream, args: unknown[]): void {
    const connection = this.request.connection!;
    const selected = this.#selectedSubprotocol;
    const server = new WebSocketServer<typeof ReasonedWebSocket>({
      noServer: true,
      clientTracking: false,
      maxPayload: this.maxMessageSize,
      perMessageDeflate: perMessageDeflateOption(this.getCompressionOptions()),
      handleProtocols: () => selected ?? false,
      WebSocket: ReasonedWebSocket,
    });
    let refusal: Error | undefined;
    server.on("wsClientError", (error: Error) => {
      refusal = error;
    });
    const extraLines = this.#handshakeHeaderLines();
    if (extraLines.length > 0) server.on("headers", (lines: string[]) => lines.push(...extraLines));
    let accepted: ReasonedWebSocket | undefined;
    server.handleUpgrade(connection.req, upgrade.socket, upgrade.head, (ws) => {
      accepted = ws;
    });
    if (refusal !== undefined) {
      this.#refuse(400, refusal.message);
      return;
    }
    const res = connection.res;
    if (accepted === undefined) {
      // The client went away during the handshake; ws destroyed the socket.
      res.destroy();
      throw new StreamClosedError("the client closed the connection during the WebSocket handshake");
    }
    // The socket now belongs to the WebSocket: the HTTP response is over (and logged as 101).
    res.detachSocket(upgrade.socket as Socket);
    res.destroy();
    const protocol = new WebSocketProtocol(accepted, upgrade.socket, new HandlerDelegate(this));
    this.#protocol = protocol;
    super.setStatus(101);
    try {
      handOverResponse(this);
    } catch (error) {
      // A failing logFunction must not leave the connection without its open().
      this.logException(error);
    }
    protocol.startPinging(this.pingInterval, this.pingTimeout);
    protocol.run(() => this.open(...args));
  }

  /** The header lines the handler set (defaults, `prepare`, cookies...) that go into the 101 response. */
  #handshakeHeaderLines(): string[] {
    const lines: string[] = [];
    const extras = handshakeExtras.get(this) ?? { names: ["Server"], cookies: new Map<string, string>() };
    for (const name of extras.names) {
      if (NOT_IN_HANDSHAKE.has(name.toLowerCase())) continue;
      const value = this.getHeader(name);
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const item of value) lines.push(`${name}: ${item}`);
      else lines.push(`${name}: ${value}`);
    }
    for (const cookie of extras.cookies.values()) lines.push(`Set-Cookie: ${cookie}`);
    return lines;
  }

  #connectionClosed(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.onClose();
    } catch (error) {
      appLog.error("Uncaught exception in onClose", error instanceof Error ? error : new Error(String(error)));
    }
  }

  // ---------------------------------------------------------------- HTTP output, refused once open

  /** Static so that it also works from the base constructor (setDefaultHeaders), before the instance's private members exist. */
  static #refuseOnceOpen(handler: object, method: string): void {
    if (#protocol in handler && handler.#protocol !== undefined) {
      throw new InvalidStateError(
        `${method}() is not supported on an open WebSocket: use writeMessage(), ping() or close()`,
        "TYPHOON_ERR_WEBSOCKET_HTTP_METHOD",
      );
    }
  }

  override write(chunk: string | Buffer | Uint8Array | object): void {
    WebSocketHandler.#refuseOnceOpen(this, "write");
    super.write(chunk);
  }

  override redirect(url: string, permanent = false, status?: number): void {
    WebSocketHandler.#refuseOnceOpen(this, "redirect");
    super.redirect(url, permanent, status);
  }

  override setHeader(name: string, value: string | number | Date): void {
    WebSocketHandler.#refuseOnceOpen(this, "setHeader");
    super.setHeader(name, value);
    extrasOf(this).names.add(canonicalHeaderName(name));
  }

  override addHeader(name: string, value: string | number | Date): void {
    WebSocketHandler.#refuseOnceOpen(this, "addHeader");
    super.addHeader(name, value);
    extrasOf(this).names.add(canonicalHeaderName(name));
  }

  override setCookie(name: string, value: string | Buffer, options: CookieOptions = {}): void {
    WebSocketHandler.#refuseOnceOpen(this, "setCookie");
    super.setCookie(name, value, options);
    const cookies = extrasOf(this).cookies;
    cookies.delete(name);
    cookies.set(name, formatSetCookie(name, typeof value === "string" ? value : value.toString("utf8"), options));
  }

  override clearHeader(name: string): void {
    WebSocketHandler.#refuseOnceOpen(this, "clearHeader");
    super.clearHeader(name);
  }

  override setStatus(statusCode: number, reason?: string): void {
    WebSocketHandler.#refuseOnceOpen(this, "setStatus");
    super.setStatus(statusCode, reason);
  }

  override flush(): Promise<void> {
    WebSocketHandler.#refuseOnceOpen(this, "flush");
    return super.flush();
  }

  override finish(chunk?: string | Buffer | Uint8Array | object): Promise<void> {
    WebSocketHandler.#refuseOnceOpen(this, "finish");
    return super.finish(chunk);
  }

  /** Before the switch, an ordinary error response; once open, the connection is closed (1011). */
  override sendError(statusCode = 500, options: ErrorOptions = {}): void {
    if (this.#protocol !== undefined) {
      this.#protocol.close(1011);
      return;
    }
    super.sendError(statusCode, options);
  }
}
