// Ports tornado.http1connection.HTTP1Connection's request side: body reading with limits, and response writing.

import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { Duplex, Readable } from "node:stream";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import { InvalidStateError } from "../util/errors.js";
import { HTTPInputError, StreamClosedError } from "./errors.js";

/** Settings shared by every connection of one server (see {@link HTTPServerOptions}). */
export interface ConnectionSettings {
  readonly xheaders: boolean;
  readonly trustedDownstream: ReadonlySet<string>;
  /** Largest request body accepted, in bytes (after decompression). */
  readonly maxBodySize: number;
  /** Largest request body held in memory for a handler that does not stream its body, in bytes. */
  readonly maxBufferSize: number;
  /** Decode `gzip`, `deflate` and `br` request bodies (the server's `decompressRequest` option). */
  readonly decompressRequest: boolean;
  /** Seconds allowed for reading a request body; 0 for no limit. */
  readonly bodyTimeout: number;
  readonly noKeepAlive: boolean;
  /** Set while the server drains: every response then closes its connection. */
  draining: boolean;
}

/** Connection settings with Tornado's defaults, for requests built without a server (e.g. `app.inject`). */
export function defaultConnectionSettings(): ConnectionSettings {
  return {
    xheaders: false,
    trustedDownstream: new Set(),
    maxBodySize: 100 * 1024 * 1024,
    maxBufferSize: 100 * 1024 * 1024,
    decompressRequest: false,
    bodyTimeout: 0,
    noKeepAlive: false,
    draining: false,
  };
}

// ---- protocol upgrades (WebSocket)

/**
 * The connection of a request that asked to switch protocols (`Connection: Upgrade`), as Node
 * hands it over on the server's `upgrade` event: the raw socket, and the bytes that arrived
 * after the request head (the start of the new protocol's stream).
 */
export interface UpgradeStream {
  readonly socket: Duplex;
  readonly head: Buffer;
}

/**
 * One request's side of an HTTP connection: reads the body within the limits and writes
 * the response. Wraps Node's `IncomingMessage` and `ServerResponse`, which stay reachable
 * as `req` and `res` for code that needs Node's own API (e.g. `FallbackHandler`).
 * Tornado: the `request.connection` object (`HTTP1Connection`).
 */
export class HTTPConnection {
  /** Node's request object. */
  readonly req: IncomingMessage;
  /** Node's response object. */
  readonly res: ServerResponse;
  readonly #settings: ConnectionSettings;
  #maxBodySize: number;
  #bodyTimeout: number;
  #closeAfterResponse = false;
  #bodyReadStarted = false;
  /**
   * For a request that asked to switch protocols: its socket and first bytes, which a handler
   * may take over (`WebSocketHandler` does); `res` then writes to that socket when the handler
   * answers with an ordinary HTTP response instead. Undefined for ordinary requests.
   */
  readonly upgrade: UpgradeStream | undefined;

  constructor(req: IncomingMessage, res: ServerResponse, settings: ConnectionSettings, upgrade?: UpgradeStream) {
    this.req = req;
    this.res = res;
    this.#settings = settings;
    this.#maxBodySize = settings.maxBodySize;
    this.#bodyTimeout = settings.bodyTimeout;
    this.upgrade = upgrade;
  }

  /** The server's connection settings. */
  get settings(): ConnectionSettings {
    return this.#settings;
  }

  /** Largest body this request may have, in bytes. */
  get maxBodySize(): number {
    return this.#maxBodySize;
  }

  /**
   * Changes the body size limit for this request only, e.g. in `prepare()` of a streaming
   * upload handler. Tornado: `set_max_body_size`.
   */
  setMaxBodySize(bytes: number): void {
    this.#maxBodySize = bytes;
  }

  /** Changes the body timeout (seconds, 0 for none) for this request only. Tornado: `set_body_timeout`. */
  setBodyTimeout(seconds: number): void {
    this.#bodyTimeout = seconds;
  }

  /** True when the request announces a body (a non-zero `Content-Length` or a `Transfer-Encoding`). */
  hasBody(): boolean {
    const headers = this.req.headers;
    const length = headers["content-length"];
    return (length !== undefined && length !== "0") || headers["transfer-encoding"] !== undefined;
  }

  /**
   * Reads the whole request body, within the smaller of the body size limit and the server's
   * `maxBufferSize`; with the server's `decompressRequest` option a gzip/deflate/br body is
   * decoded and the limit applies to the decoded size.
   * @throws HTTPInputError 413 when it exceeds the size limit, 408 when it does not arrive
   *   within the body timeout, 400 when the encoding is corrupt (the connection is then
   *   closed after the error response); StreamClosedError when the client goes away.
   */
  readBody(): Promise<Buffer> {
    const bufferLimited = this.#settings.maxBufferSize < this.#maxBodySize;
    const limit = bufferLimited ? this.#settings.maxBufferSize : this.#maxBodySize;
    const setting = bufferLimited ? "maxBufferSize" : "maxBodySize";
    return new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      this.#pump(
        limit,
        setting,
        (chunk) => {
          chunks.push(chunk);
          size += chunk.length;
        },
        () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)),
        reject,
      );
    });
  }

  // ---- streaming bodies

  /**
   * Reads the request body as it arrives, calling `onChunk` with each piece (decoded when the
   * server decompresses requests). When `onChunk` returns a promise, reading pauses — the
   * socket stops being read, so the client is slowed down — until it settles: memory stays
   * flat however large the body. Resolves once the whole body was handed to `onChunk`.
   * The limit is the body size limit (see `setMaxBodySize`), checked against the declared
   * `Content-Length` first and then against the bytes received.
   * @throws HTTPInputError 413 / 408 / 400 as {@link readBody}; a rejection of `onChunk` is
   *   passed on as it is.
   */
  readBodyStream(onChunk: (chunk: Buffer) => void | PromiseLike<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => this.#pump(this.#maxBodySize, "maxBodySize", onChunk, resolve, reject));
  }

  /** The decoder for the request's `Content-Encoding`, when the server decompresses requests and knows it. */
  #createDecoder(): Readable | undefined {
    if (!this.#settings.decompressRequest) return undefined;
    const encoding = decodableEncoding(this.req.headers["content-encoding"]);
    if (encoding === "gzip") return createGunzip();
    if (encoding === "deflate") return createInflate();
    if (encoding === "br") return createBrotliDecompress();
    return undefined;
  }

  /** True once `readBody` or `readBodyStream` started reading the body (it can be read once). */
  get bodyReadStarted(): boolean {
    return this.#bodyReadStarted;
  }

  #pump(limit: number, setting: string, onChunk: (chunk: Buffer) => unknown, onEnd: () => void, onError: (error: unknown) => void): void {
    const req = this.req;
    if (this.#bodyReadStarted) {
      onError(new InvalidStateError("the request body was already read; it can be read once", "TYPHOON_ERR_BODY_CONSUMED"));
      return;
    }
    this.#bodyReadStarted = true;
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > limit) {
      this.#closeAfterResponse = true;
      onError(tooLarge(limit, setting));
      return;
    }
    const decoder = this.#createDecoder();
    const source: Readable = decoder ?? req;
    let size = 0;
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const cleanup = (): void => {
      if (timer) clearTimeout(timer);
      source.off("data", onData);
      source.off("end", onSourceEnd);
      req.off("error", onAborted);
      req.off("aborted", onAborted);
      if (decoder) {
        decoder.off("error", onDecodeError);
        req.unpipe(decoder as unknown as NodeJS.WritableStream);
        decoder.destroy();
      }
    };
    const finish = (error?: unknown): void => {
      if (done) return;
      done = true;
      cleanup();
      if (error === undefined) {
        onEnd();
      } else {
        this.#closeAfterResponse = true;
        onError(error);
      }
    };
    const onData = (chunk: Buffer): void => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        finish(tooLarge(limit, setting, decoder !== undefined));
        return;
      }
      let result: unknown;
      try {
        result = onChunk(chunk);
      } catch (error) {
        finish(error);
        return;
      }
      if (isPromiseLike(result)) {
        source.pause();
        result.then(
          () => {
            if (!done) source.resume();
          },
          (error: unknown) => finish(error ?? new Error("onChunk rejected")),
        );
      }
    };
    const onSourceEnd = (): void => finish();
    const onAborted = (): void => finish(new StreamClosedError("the client closed the connection before sending the whole body"));
    const onDecodeError = (error: Error): void =>
      finish(new HTTPInputError(`Request body could not be decompressed: ${error.message}`, 400, "TYPHOON_ERR_BAD_ENCODING"));
    if (this.#bodyTimeout > 0) {
      timer = setTimeout(
        () => finish(new HTTPInputError(`Request body not received within ${this.#bodyTimeout}s`, 408, "TYPHOON_ERR_BODY_TIMEOUT")),
        this.#bodyTimeout * 1000,
      );
    }
    req.on("error", onAborted);
    req.on("aborted", onAborted);
    if (decoder) {
      decoder.on("error", onDecodeError);
      req.pipe(decoder as unknown as NodeJS.WritableStream);
    }
    source.on("data", onData);
    source.on("end", onSourceEnd);
  }

  /** Asks for the connection to be closed once this response is sent. */
  closeAfterResponse(): void {
    this.#closeAfterResponse = true;
  }

  /**
   * Sends the status line and headers. Adds `Connection: close` when keep-alive is off,
   * the server is draining, or the request could not be read completely.
   */
  writeHeaders(status: number, reason: string, headers: OutgoingHttpHeaders): void {
    if (this.#closeAfterResponse || this.#settings.noKeepAlive || this.#settings.draining) {
      headers["Connection"] = "close";
    }
    this.res.writeHead(status, reason, headers);
  }

  /**
   * Writes part of the body; resolves once Node has handed it to the socket.
   * @throws StreamClosedError (as a rejection) when the client has gone away.
   */
  write(chunk: string | Buffer): Promise<void> {
    if (this.closed) return Promise.reject(new StreamClosedError());
    return new Promise<void>((resolve, reject) => {
      this.res.write(chunk, (error) => (error ? reject(new StreamClosedError(error.message)) : resolve()));
    });
  }

  /** Ends the response, with a last chunk of body. */
  finish(chunk?: string | Buffer): void {
    if (chunk === undefined || chunk.length === 0) this.res.end();
    else this.res.end(chunk);
  }

  /** Ends the connection at once; used when an error occurs after the headers were sent. */
  abort(): void {
    this.res.destroy();
  }

  /** True once the client went away before the response finished. */
  get closed(): boolean {
    return this.res.destroyed && !this.res.writableFinished;
  }

  /** Calls `callback` once if the client goes away before the response finishes. Tornado: `set_close_callback`. */
  onClose(callback: () => void): void {
    const res = this.res;
    if (this.closed) {
      queueMicrotask(callback);
      return;
    }
    res.once("close", () => {
      if (!res.writableFinished) callback();
    });
  }
}

function tooLarge(limit: number, setting: string, decoded = false): HTTPInputError {
  return new HTTPInputError(
    `Request body is larger than ${setting} (${limit} bytes)${decoded ? " once decompressed" : ""}; ` +
      "raise it, or stream the body in a streamRequestBody handler that calls setMaxBodySize",
    413,
    "TYPHOON_ERR_BODY_TOO_LARGE",
  );
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === "function";
}

/**
 * The content coding `decompressRequest` decodes for a `Content-Encoding` value: `gzip`
 * (also `x-gzip`), `deflate` or `br`, case-insensitive; `undefined` for anything else,
 * including several codings.
 */
export function decodableEncoding(header: string | string[] | undefined): "gzip" | "deflate" | "br" | undefined {
  if (typeof header !== "string") return undefined;
  const coding = header.trim().toLowerCase();
  if (coding === "gzip" || coding === "x-gzip") return "gzip";
  if (coding === "deflate" || coding === "br") return coding;
  return undefined;
}
