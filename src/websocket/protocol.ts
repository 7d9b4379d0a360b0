// Ports tornado.websocket.WebSocketProtocol13's connection logic (ordering, keep-alive pings,
// closing handshake) on top of the `ws` framing, for both WebSocketHandler and the client.

import type { Duplex } from "node:stream";
import { WebSocket, type PerMessageDeflateOptions, type RawData } from "ws";
import { InvalidArgumentError } from "../util/errors.js";
import { genLog } from "../util/log.js";
import { WebSocketClosedError } from "./errors.js";

/**
 * permessage-deflate settings (RFC 7692), as returned by `getCompressionOptions()` or given
 * to `websocketConnect`. An empty object turns compression on with the defaults; the
 * extension is used only when both sides ask for it. Tornado: `compression_options`.
 */
export interface WebSocketCompressionOptions {
  /** zlib compression level, 0-9. Default 6, as Tornado. Tornado: `compression_level`. */
  compressionLevel?: number;
  /** zlib memory level, 1-9. Default 8, as Tornado. Tornado: `mem_level`. */
  memLevel?: number;
  /**
   * **Beyond** Tornado: messages shorter than this many bytes are sent uncompressed, which
   * saves CPU where compression gains little. Default 0: every message is compressed, as Tornado.
   */
  threshold?: number;
}

/** Tornado's default largest message: 10 MiB. */
export const DEFAULT_MAX_MESSAGE_SIZE = 10 * 1024 * 1024;

/** Seconds the peer has to answer our close frame before the socket is closed anyway (Tornado's). */
const CLOSE_HANDSHAKE_TIMEOUT = 5;

/** Reasons sent with the close frames `ws` sends on its own when the peer breaks a rule. */
const CLOSE_REASONS: Readonly<Record<number, string>> = {
  1002: "protocol error",
  1007: "invalid UTF-8 in a text message",
  1009: "message too big",
};

/**
 * `ws`'s WebSocket, sending a reason with the close frames it sends when the peer breaks a
 * rule (a 1009 says "message too big", as Tornado's).
 */
export class ReasonedWebSocket extends WebSocket {
  /** The connection this socket belongs to, where the shared event listeners find it. */
  connection: WebSocketProtocol | undefined = undefined;

  override close(code?: number, data?: string | Buffer): void {
    super.close(code, data ?? (code === undefined ? undefined : CLOSE_REASONS[code]));
  }
}

/** The `ws` permessage-deflate option for Typhoon's compression options (`false`: off). */
export function perMessageDeflateOption(options: WebSocketCompressionOptions | null | undefined): PerMessageDeflateOptions | false {
  if (options === null || options === undefined) return false;
  const zlib: { level: number; memLevel: number } = { level: options.compressionLevel ?? 6, memLevel: options.memLevel ?? 8 };
  return { zlibDeflateOptions: zlib, threshold: options.threshold ?? 0 };
}

/** What a {@link WebSocketProtocol} reports to the handler or client connection that owns it. */
export interface ProtocolDelegate {
  /** A complete message. A returned promise holds back the next message until it settles. */
  deliverMessage(message: string | Buffer): unknown;
  /** A ping frame arrived (it has been answered already). */
  deliverPing(data: Buffer): unknown;
  /** A pong frame arrived. */
  deliverPong(data: Buffer): unknown;
  /** A delegate callback threw or rejected; the connection is being closed with 1011. */
  callbackFailed(error: unknown): void;
  /** The connection is closed; called once, after every message received before was handled. */
  connectionClosed(): void;
  /** Who is on the other end, for log lines. */
  describe(): string;
}

type Message = string | Buffer;

const TEXT = { binary: false } as const;
const BINARY = { binary: true } as const;

function noop(): void {}

/** What an uncompressed write returns while the socket takes more: one shared resolved promise. */
const WRITTEN: Promise<void> = Promise.resolve();

/**
 * The last text message received (by any connection) and its bytes: writing that same text
 * again — an echo, or a message relayed to every client of a room — reuses the bytes instead
 * of encoding the string once per write. One entry for the process, so at most one message is kept.
 */
let lastText = "";
let lastTextBytes: Buffer = Buffer.alloc(0);

function textBytes(text: string): Buffer {
  return text === lastText ? lastTextBytes : Buffer.from(text);
}

/**
 * Refuses what a close frame cannot carry (RFC 6455 section 7.4): codes 1004-1006 and 1015 are
 * reserved, and other codes under 3000 are the protocol's own; a reason has at most 123 bytes.
 */
export function checkCloseFrame(code: number | undefined, reason: string | undefined): void {
  if (code !== undefined && !(Number.isInteger(code) && ((code >= 1000 && code <= 1014 && (code < 1004 || code > 1006)) || (code >= 3000 && code <= 4999)))) {
    throw new InvalidArgumentError(
      `${code} is not a close code a WebSocket may send: use 1000 (normal), 1001 (going away), 1008 (policy violation), 1011 (server error) or an application code in 3000-4999`,
      "TYPHOON_ERR_WEBSOCKET_CLOSE_CODE",
    );
  }
  if (reason !== undefined && Buffer.byteLength(reason) > 123) {
    throw new InvalidArgumentError(
      `a close reason carries at most 123 bytes (UTF-8), got ${Buffer.byteLength(reason)}: shorten it`,
      "TYPHOON_ERR_WEBSOCKET_CLOSE_REASON",
    );
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === "function";
}

function now(): number {
  return performance.now() / 1000;
}

/**
 * The listeners of the socket events, one set shared by every connection (each finds its
 * {@link WebSocketProtocol} on the socket): per-connection listener closures would cost about
 * 1.5 KB of heap for every idle connection. Made in the class's static block, which can reach
 * its private members.
 */
let socketListeners: {
  message: (this: WebSocket, data: RawData, isBinary: boolean) => void;
  ping: (this: WebSocket, data: Buffer) => void;
  pong: (this: WebSocket, data: Buffer) => void;
  error: (this: WebSocket, error: Error) => void;
  close: (this: WebSocket, code: number, reason: Buffer) => void;
};

/**
 * One open WebSocket connection: hands messages to its delegate one at a time and in order
 * (pausing the socket while an async callback runs), sends keep-alive pings and closes peers
 * that stop answering them, and runs the closing handshake with a timeout.
 */
export class WebSocketProtocol {
  static {
    // `this` is the socket: a ReasonedWebSocket (the server and the client both create that class).
    const connectionOf = (ws: WebSocket): WebSocketProtocol => (ws as ReasonedWebSocket).connection!;
    socketListeners = {
      message(data, isBinary) {
        connectionOf(this).#receiveMessage(data, isBinary);
      },
      ping(data) {
        connectionOf(this).#callHook("ping", data);
      },
      pong(data) {
        const connection = connectionOf(this);
        connection.#lastPong = now();
        connection.#callHook("pong", data);
      },
      error(error) {
        // The peer broke the protocol (bad frame, invalid UTF-8, message too big...): ws has
        // already sent the matching close frame; the 'close' event follows.
        genLog.info(`WebSocket closed: ${error.message} (${connectionOf(this).#delegate.describe()})`);
      },
      close(code, reason) {
        connectionOf(this).#receiveClose(code, reason);
      },
    };
  }

  readonly #ws: ReasonedWebSocket;
  readonly #socket: Duplex;
  readonly #delegate: ProtocolDelegate;
  #queue: Message[] | undefined;
  #busy = false;
  #failed = false;
  #closing = false;
  #closed = false;
  #closeReported = false;
  #closeTimer: NodeJS.Timeout | undefined;
  #pingTimer: NodeJS.Timeout | undefined;
  #pingInterval = 0;
  #pingTimeout = 0;
  #lastPing = 0;
  #lastPong = 0;
  /** permessage-deflate was negotiated: ws compresses (asynchronously) before writing. */
  readonly #compressed: boolean;
  /** Callbacks of holdUntil, made on first use (most connections never wait for a callback). */
  #onSettled: (() => void) | undefined;
  #onFailed: ((error: unknown) => void) | undefined;
  /** Settles when the socket's full buffer drains (or the socket closes); shared by the writes meanwhile. */
  #drain: Promise<void> | undefined;
  /** The status code of the peer's close frame, or null (none received, or it had none). */
  closeCode: number | null = null;
  /** The reason of the peer's close frame, or null. */
  closeReason: string | null = null;

  constructor(ws: ReasonedWebSocket, socket: Duplex, delegate: ProtocolDelegate) {
    this.#ws = ws;
    ws.connection = this;
    this.#socket = socket;
    this.#delegate = delegate;
    this.#compressed = ws.extensions !== "";
    ws.on("message", socketListeners.message);
    ws.on("ping", socketListeners.ping);
    ws.on("pong", socketListeners.pong);
    ws.on("error", socketListeners.error);
    ws.on("close", socketListeners.close);
  }

  /** The subprotocol the server selected, or null. */
  get protocol(): string | null {
    return this.#ws.protocol === "" ? null : this.#ws.protocol;
  }

  /** True once either side started closing, or the connection is gone. Tornado: `is_closing`. */
  isClosing(): boolean {
    return this.#closing || this.#ws.readyState !== WebSocket.OPEN;
  }

  /**
   * Holds back incoming messages until `pending` settles (an async `open()`); a rejection is
   * reported as a failed callback.
   */
  holdUntil(pending: PromiseLike<unknown>): void {
    // `return this.writeMessage(...)` of a write the socket took at once: nothing to wait for.
    if (pending === WRITTEN) return;
    this.#busy = true;
    pending.then((this.#onSettled ??= () => this.#resume()), (this.#onFailed ??= (error: unknown) => this.#fail(error)));
  }

  /**
   * Calls a delegate callback (such as `open()`): a throw or rejection is reported as a failed
   * callback and closes the connection with 1011; a returned promise holds back incoming
   * messages until it settles.
   */
  run(callback: () => unknown): void {
    let result: unknown;
    try {
      result = callback();
    } catch (error) {
      this.#fail(error);
      return;
    }
    if (isPromiseLike(result)) this.holdUntil(result);
  }

  /**
   * Sends a message. The promise resolves once the socket takes more data — at once, unless its
   * buffer is full (a client that does not read): then when it drains — so awaiting each write
   * applies back-pressure. It rejects with `WebSocketClosedError` when the connection is closing
   * or closed, or closes before a full buffer drains; that rejection is marked handled, so a
   * fire-and-forget write (a broadcast) to a connection that just went away does not become an
   * unhandled rejection.
   */
  write(message: Message, binary: boolean): Promise<void> {
    const ws = this.#ws;
    if (this.#closing || ws.readyState !== WebSocket.OPEN) {
      const rejected = Promise.reject(new WebSocketClosedError());
      rejected.catch(noop);
      return rejected;
    }
    // A Buffer goes out in one writev with the frame header; a string would be encoded there, slower.
    const data = typeof message === "string" ? textBytes(message) : message;
    if (this.#compressed) return this.#writeCompressed(data, binary);
    ws.send(data, binary ? BINARY : TEXT);
    return (this.#socket as Duplex & { writableNeedDrain?: boolean }).writableNeedDrain ? this.#drained() : WRITTEN;
  }

  /** Compressed messages are written after an asynchronous deflate: wait for ws's callback. */
  #writeCompressed(data: Buffer, binary: boolean): Promise<void> {
    const written: Promise<void> = new Promise<void>((resolve, reject) => {
      this.#ws.send(data, binary ? BINARY : TEXT, (error) => {
        if (error === undefined || error === null) {
          resolve();
          return;
        }
        written.catch(noop);
        reject(new WebSocketClosedError(`the WebSocket closed before the message was sent: ${error.message}`));
      });
    });
    return written;
  }

  #drained(): Promise<void> {
    if (this.#drain === undefined) {
      const socket = this.#socket;
      if (socket.destroyed) {
        const rejected = Promise.reject(new WebSocketClosedError());
        rejected.catch(noop);
        return rejected;
      }
      const drain = new Promise<void>((resolve, reject) => {
        const settle = (error?: Error): void => {
          socket.off("drain", onDrain);
          socket.off("close", onClose);
          this.#drain = undefined;
          if (error === undefined) resolve();
          else reject(error);
        };
        const onDrain = (): void => settle();
        const onClose = (): void => settle(new WebSocketClosedError("the WebSocket closed before its full send buffer drained"));
        socket.on("drain", onDrain);
        socket.on("close", onClose);
      });
      drain.catch(noop);
      this.#drain = drain;
    }
    return this.#drain;
  }

  /**
   * Sends a ping frame with up to 125 bytes of data. Tornado: `write_ping` / `ping`.
   * @throws WebSocketClosedError when closing or closed; InvalidArgumentError for more than 125 bytes.
   */
  ping(data: string | Buffer): void {
    const payload = typeof data === "string" ? Buffer.from(data) : data;
    if (payload.length > 125) {
      throw new InvalidArgumentError(
        `a ping carries at most 125 bytes of data, got ${payload.length}`,
        "TYPHOON_ERR_WEBSOCKET_PING_TOO_LARGE",
      );
    }
    if (this.isClosing()) throw new WebSocketClosedError();
    this.#ws.ping(payload);
  }

  /**
   * Starts the closing handshake: sends a close frame (`code`, default none, 1000 when only a
   * `reason` is given) and closes the socket when the peer answers, or after 5 seconds.
   * Does nothing when already closing. Tornado: `close`.
   * @throws InvalidArgumentError for a code a close frame may not carry, or a reason over 123 bytes.
   */
  close(code?: number, reason?: string): void {
    checkCloseFrame(code, reason);
    if (this.#closing || this.#closed) return;
    if (code === undefined && reason !== undefined) code = 1000;
    this.#ws.close(code, reason);
    this.#closing = true;
    this.#stopPinging();
    this.#closeTimer = setTimeout(() => this.#ws.terminate(), CLOSE_HANDSHAKE_TIMEOUT * 1000);
    this.#closeTimer.unref();
  }

  /** Closes the socket at once, without a closing handshake. Tornado: `_abort`. */
  abort(): void {
    this.#closing = true;
    this.#stopPinging();
    this.#ws.terminate();
  }

  /**
   * Pings every `interval` seconds and closes the connection when no pong came for `timeout`
   * seconds (default: 3 intervals, at least 30 s). Tornado: `start_pinging`.
   */
  startPinging(interval: number | null | undefined, timeout: number | null | undefined): void {
    if (!interval || interval <= 0) return;
    this.#pingInterval = interval;
    this.#pingTimeout = timeout ?? Math.max(3 * interval, 30);
    this.#lastPing = this.#lastPong = now();
    this.#pingTimer = setInterval(() => this.#periodicPing(), interval * 1000);
  }

  /** Changes TCP_NODELAY on the socket (on by default). */
  setNodelay(value: boolean): void {
    const socket = this.#socket as Duplex & { setNoDelay?(noDelay: boolean): unknown };
    socket.setNoDelay?.(value);
  }

  #stopPinging(): void {
    if (this.#pingTimer !== undefined) {
      clearInterval(this.#pingTimer);
      this.#pingTimer = undefined;
    }
  }

  #periodicPing(): void {
    if (this.isClosing()) {
      this.#stopPinging();
      return;
    }
    const time = now();
    // A ping sent recently and no pong for pingTimeout: the peer is gone (checking the ping
    // time too avoids closing everything after the machine was suspended).
    if (time - this.#lastPing < 2 * this.#pingInterval && time - this.#lastPong > this.#pingTimeout) {
      genLog.info(`WebSocket closed: no pong within ${this.#pingTimeout}s (${this.#delegate.describe()})`);
      this.abort();
      return;
    }
    this.#ws.ping();
    this.#lastPing = time;
  }

  #receiveMessage(data: RawData, isBinary: boolean): void {
    // With the default binaryType ("nodebuffer") every message is one Buffer.
    let message: Message;
    if (isBinary) message = data as Buffer;
    else {
      message = (data as Buffer).toString();
      lastText = message;
      lastTextBytes = data as Buffer;
    }
    if (this.#failed) return;
    if (this.#busy || this.#queue !== undefined) {
      (this.#queue ??= []).push(message);
      this.#ws.pause();
      return;
    }
    this.#dispatch(message);
  }

  #dispatch(message: Message): void {
    let result: unknown;
    try {
      result = this.#delegate.deliverMessage(message);
    } catch (error) {
      this.#fail(error);
      return;
    }
    if (isPromiseLike(result)) this.holdUntil(result);
  }

  #resume(): void {
    this.#busy = false;
    const queue = this.#queue;
    if (queue !== undefined) {
      while (queue.length > 0 && !this.#busy && !this.#failed) this.#dispatch(queue.shift()!);
      if (this.#busy || this.#failed) return;
      this.#queue = undefined;
      this.#ws.resume();
    }
    if (this.#closed) this.#reportClose();
  }

  #fail(error: unknown): void {
    this.#busy = false;
    this.#failed = true;
    this.#queue = undefined;
    try {
      this.#delegate.callbackFailed(error);
    } finally {
      if (this.#closed) this.#reportClose();
      else this.close(1011);
    }
  }

  #callHook(kind: "ping" | "pong", data: Buffer): void {
    if (this.#failed) return;
    let result: unknown;
    try {
      result = kind === "ping" ? this.#delegate.deliverPing(data) : this.#delegate.deliverPong(data);
    } catch (error) {
      this.#fail(error);
      return;
    }
    if (isPromiseLike(result)) result.then(undefined, (error: unknown) => this.#fail(error));
  }

  #receiveClose(code: number, reason: Buffer): void {
    this.#closed = true;
    this.#closing = true;
    this.#stopPinging();
    if (this.#closeTimer !== undefined) clearTimeout(this.#closeTimer);
    // 1005: a close frame without a code; 1006: no close frame at all (Tornado: None).
    this.closeCode = code === 1005 || code === 1006 ? null : code;
    this.closeReason = reason.length > 0 ? reason.toString() : null;
    // Messages received before the close are still handed over, in order, first.
    if (!this.#busy || this.#failed) this.#reportClose();
  }

  #reportClose(): void {
    if (this.#closeReported) return;
    this.#closeReported = true;
    this.#queue = undefined;
    this.#delegate.connectionClosed();
  }
}
