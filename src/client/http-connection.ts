// Ports tornado.simple_httpclient._HTTPConnection: one request/response exchange, over an undici dispatcher.

import { performance } from "node:perf_hooks";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import type { Transform } from "node:stream";
import type { Dispatcher } from "undici";
import { HTTPHeaders } from "../http/headers.js";
import { HTTPClientError, HTTPStreamClosedError, HTTPTimeoutError } from "./http-response.js";

/** Everything one exchange needs, resolved from the request, the client's defaults and Tornado's. */
export interface ExchangeRequest {
  url: URL;
  method: string;
  headers: Record<string, string | string[]>;
  body: Buffer | undefined;
  /** Seconds; 0 for no limit. */
  connectTimeout: number;
  /** Seconds; 0 for no limit. */
  requestTimeout: number;
  decompress: boolean;
  maxBodySize: number;
  /** Whether a 3xx with a Location header is followed: its body is then discarded and no callback runs. */
  followRedirect: boolean;
  streamingCallback: ((chunk: Buffer) => void) | undefined;
  headerCallback: ((line: string) => void) | undefined;
}

/** What one exchange produced. Times are `performance.now()` milliseconds (-1 when not reached). */
export interface ExchangeResult {
  code: number;
  reason: string;
  headers: HTTPHeaders;
  body: Buffer;
  /** The Location of a redirect to follow, else undefined. */
  location: string | undefined;
  connectedAt: number;
  headersAt: number;
}

/**
 * A timer that calls back once `performance.now()` has reached `deadline` (ms). Node arms
 * timers from the loop's cached clock, so they can fire a little early when the current
 * turn of the loop was long: this re-arms for the rest instead of timing out early.
 */
export class DeadlineTimer {
  #timer: NodeJS.Timeout | undefined;

  start(deadline: number, fn: () => void): void {
    this.clear();
    const wait = (): void => {
      const remaining = deadline - performance.now();
      if (remaining > 0) {
        this.#timer = setTimeout(wait, Math.ceil(remaining));
        return;
      }
      this.#timer = undefined;
      fn();
    };
    this.#timer = setTimeout(wait, Math.max(0, Math.ceil(deadline - performance.now())));
  }

  clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/** Response headers as undici parses them: lower-case names, repeated ones as arrays. */
type IncomingHttpHeaders = Record<string, string | string[] | undefined>;

const REDIRECT_CODES = new Set([301, 302, 303, 307, 308]);
const EMPTY = Buffer.alloc(0);

/** A redirect is followed only to an http or https URL. */
function isFollowable(location: string, base: URL): boolean {
  try {
    const target = new URL(location, base);
    return target.protocol === "http:" || target.protocol === "https:";
  } catch {
    return false;
  }
}

function createDecoder(encoding: string): Transform | undefined {
  switch (encoding) {
    case "gzip":
    case "x-gzip":
      return createGunzip();
    case "deflate":
      return createInflate();
    case "br":
      return createBrotliDecompress();
    default:
      return undefined;
  }
}

function headersFrom(raw: IncomingHttpHeaders): HTTPHeaders {
  const headers = new HTTPHeaders();
  for (const name in raw) {
    const value = raw[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) headers.add(name, item);
    else headers.add(name, value);
  }
  return headers;
}

function tooLarge(limit: number, url: URL): HTTPClientError {
  return new HTTPClientError(
    599,
    `Response body from ${url.host} is larger than maxBodySize (${limit} bytes); raise maxBodySize or use a streamingCallback`,
    undefined,
    { code: "TYPHOON_ERR_HTTP_BODY_TOO_LARGE" },
  );
}

const TLS_CODES =
  /^(ERR_TLS_|ERR_SSL_|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_|ERR_OSSL_|HOSTNAME_MISMATCH)/;

/**
 * Turns what undici or the socket reported into an error saying what happened, with code 599
 * as Tornado: the original error is kept as `cause`.
 */
export function describeFailure(error: unknown, url: URL, responseStarted: boolean): HTTPClientError {
  const cause = error;
  const detail = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  const errorCode = typeof code === "string" ? code : "";
  const where = url.host;
  const network = (message: string): HTTPClientError =>
    new HTTPClientError(599, message, undefined, { code: "TYPHOON_ERR_HTTP_CONNECTION", cause });
  const streamClosed = (): HTTPClientError =>
    new HTTPStreamClosedError(
      responseStarted
        ? `Connection closed by ${where} before the response body was complete`
        : `Connection closed by ${where} before a response was received`,
      { cause },
    );
  switch (errorCode) {
    case "ECONNREFUSED":
      return network(`Connection refused by ${where}`);
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EAI_NONAME":
    case "EAI_FAIL":
      return network(`Could not resolve host ${url.hostname} (${errorCode})`);
    case "EHOSTUNREACH":
    case "ENETUNREACH":
    case "EHOSTDOWN":
    case "ENETDOWN":
      return network(`No route to ${where} (${errorCode})`);
    case "ETIMEDOUT":
    case "UND_ERR_CONNECT_TIMEOUT":
      return new HTTPTimeoutError("Timeout while connecting", { cause });
    case "UND_ERR_HEADERS_TIMEOUT":
    case "UND_ERR_BODY_TIMEOUT":
      return new HTTPTimeoutError("Timeout during request", { cause });
    case "UND_ERR_SOCKET":
      // undici's "bad response" is a response it refuses to read: an unsolicited `100 Continue`
      // (Tornado skips it) or bytes arriving when no request is waiting for them.
      if (detail === "bad response") {
        return new HTTPClientError(
          599,
          `Unexpected response from ${where}: a 100 Continue that was not asked for, or a response to no request`,
          undefined,
          { code: "TYPHOON_ERR_HTTP_MALFORMED_RESPONSE", cause },
        );
      }
      return streamClosed();
    case "ECONNRESET":
    case "EPIPE":
      return streamClosed();
    case "UND_ERR_CLOSED":
    case "UND_ERR_DESTROYED":
      return new HTTPClientError(599, "The AsyncHTTPClient was closed before the request was sent", undefined, {
        code: "TYPHOON_ERR_CLIENT_CLOSED",
        cause,
      });
    case "UND_ERR_RES_CONTENT_LENGTH_MISMATCH":
      return new HTTPStreamClosedError(`Response body from ${where} does not match its Content-Length`, { cause });
    case "UND_ERR_HEADERS_OVERFLOW":
      return new HTTPClientError(599, `Response headers from ${where} are too large`, undefined, {
        code: "TYPHOON_ERR_HTTP_MALFORMED_RESPONSE",
        cause,
      });
    default:
      break;
  }
  if (errorCode.startsWith("HPE_") || (error instanceof Error && error.name === "HTTPParserError")) {
    return new HTTPClientError(599, `Malformed HTTP response from ${where}: ${detail}`, undefined, {
      code: "TYPHOON_ERR_HTTP_MALFORMED_RESPONSE",
      cause,
    });
  }
  if (TLS_CODES.test(errorCode) || /\b(SSL|TLS|certificate)\b/i.test(detail)) {
    return network(`TLS handshake with ${where} failed: ${detail}${errorCode ? ` (${errorCode})` : ""}`);
  }
  return network(`Request to ${where} failed: ${detail}${errorCode ? ` (${errorCode})` : ""}`);
}

/**
 * The undici handler of one exchange: enforces the timeouts and `maxBodySize`, decompresses,
 * runs the header and streaming callbacks, and settles once.
 */
class ExchangeHandler implements Dispatcher.DispatchHandler {
  readonly #request: ExchangeRequest;
  readonly #resolve: (result: ExchangeResult) => void;
  readonly #reject: (error: unknown) => void;
  readonly #start: number;
  #controller: Dispatcher.DispatchController | undefined;
  #failure: unknown;
  #settled = false;
  #timer = new DeadlineTimer();
  #connectedAt = -1;
  #headersAt = -1;
  #code = 0;
  #reason = "";
  #headers: HTTPHeaders | undefined;
  #location: string | undefined;
  #chunks: Buffer[] = [];
  #size = 0;
  #wireSize = 0;
  #decoder: Transform | undefined;

  constructor(request: ExchangeRequest, start: number, resolve: (result: ExchangeResult) => void, reject: (error: unknown) => void) {
    this.#request = request;
    this.#start = start;
    this.#resolve = resolve;
    this.#reject = reject;
    const { connectTimeout, requestTimeout } = request;
    // As Tornado: the connection must be ready within min(connect, request) timeout, zeros skipped.
    const connectLimit =
      connectTimeout > 0 && requestTimeout > 0 ? Math.min(connectTimeout, requestTimeout) : connectTimeout || requestTimeout;
    if (connectLimit > 0) this.#arm(connectLimit, "Timeout while connecting");
  }

  #arm(limitSeconds: number, message: string): void {
    this.#timer.start(this.#start + limitSeconds * 1000, () => this.#fail(new HTTPTimeoutError(message)));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    if (this.#settled) {
      controller.abort(this.#failure instanceof Error ? this.#failure : new Error("request abandoned"));
      return;
    }
    this.#controller = controller;
    if (this.#connectedAt < 0) this.#connectedAt = performance.now();
    this.#timer.clear();
    if (this.#request.requestTimeout > 0) this.#arm(this.#request.requestTimeout, "Timeout during request");
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    rawHeaders: IncomingHttpHeaders,
    statusMessage?: string,
  ): void {
    if (this.#settled || statusCode < 200) return;
    const request = this.#request;
    this.#headersAt = performance.now();
    this.#code = statusCode;
    this.#reason = statusMessage ?? "";
    const headers = headersFrom(rawHeaders);
    this.#headers = headers;
    if (request.followRedirect && REDIRECT_CODES.has(statusCode)) {
      const location = headers.get("Location");
      if (location !== undefined && isFollowable(location, request.url)) {
        this.#location = location;
        return;
      }
    }
    const length = headers.get("Content-Length");
    if (length !== undefined && Number(length) > request.maxBodySize) {
      this.#fail(tooLarge(request.maxBodySize, request.url));
      return;
    }
    if (request.decompress) {
      const encoding = headers.get("Content-Encoding");
      const decoder = encoding === undefined ? undefined : createDecoder(encoding.trim().toLowerCase());
      if (decoder !== undefined) {
        // Downstream sees decompressed data only, so the header is renamed (as Tornado).
        headers.add("X-Consumed-Content-Encoding", encoding!);
        headers.delete("Content-Encoding");
        this.#decoder = decoder;
        decoder.on("data", (chunk: Buffer) => this.#deliver(chunk));
        decoder.on("error", (error: Error) => {
          this.#fail(
            new HTTPClientError(599, `Could not decompress the ${encoding!} response from ${request.url.host}: ${error.message}`, undefined, {
              code: "TYPHOON_ERR_HTTP_MALFORMED_RESPONSE",
              cause: error,
            }),
          );
        });
        decoder.on("end", () => this.#complete());
      }
    }
    const callback = request.headerCallback;
    if (callback !== undefined) {
      try {
        callback(`HTTP/1.1 ${statusCode} ${this.#reason}\r\n`);
        for (const [name, value] of headers) callback(`${name}: ${value}\r\n`);
        callback("\r\n");
      } catch (error) {
        this.#fail(error);
      }
    }
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#settled || this.#location !== undefined) return;
    this.#wireSize += chunk.length;
    if (this.#wireSize > this.#request.maxBodySize) {
      this.#fail(tooLarge(this.#request.maxBodySize, this.#request.url));
      return;
    }
    if (this.#decoder !== undefined) this.#decoder.write(chunk);
    else this.#deliver(chunk);
  }

  #deliver(chunk: Buffer): void {
    if (this.#settled) return;
    this.#size += chunk.length;
    if (this.#size > this.#request.maxBodySize) {
      this.#fail(tooLarge(this.#request.maxBodySize, this.#request.url));
      return;
    }
    const callback = this.#request.streamingCallback;
    if (callback === undefined) {
      this.#chunks.push(chunk);
      return;
    }
    try {
      callback(chunk);
    } catch (error) {
      this.#fail(error);
    }
  }

  onResponseEnd(): void {
    if (this.#settled) return;
    // A body-less response (HEAD, 204, 304) announcing an encoding has nothing to decode.
    if (this.#decoder !== undefined && this.#location === undefined && this.#wireSize > 0) this.#decoder.end();
    else this.#complete();
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    if (this.#settled) return;
    this.#controller = undefined;
    // A 304 may carry the Content-Length of the representation (RFC 9110 §8.6) but never a
    // body; undici 7 reports that as a length mismatch after the headers. Tornado accepts it
    // (and refuses a 204 with a non-zero Content-Length, as this does).
    if (
      (error as { code?: unknown }).code === "UND_ERR_RES_CONTENT_LENGTH_MISMATCH" &&
      this.#code === 304 &&
      this.#wireSize === 0
    ) {
      this.#complete();
      return;
    }
    this.#fail(describeFailure(error, this.#request.url, this.#headers !== undefined));
  }

  #complete(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#timer.clear();
    const chunks = this.#chunks;
    this.#resolve({
      code: this.#code,
      reason: this.#reason,
      headers: this.#headers ?? new HTTPHeaders(),
      body: chunks.length === 0 ? EMPTY : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.#size),
      location: this.#location,
      connectedAt: this.#connectedAt,
      headersAt: this.#headersAt,
    });
  }

  #fail(error: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#failure = error;
    this.#timer.clear();
    this.#decoder?.destroy();
    const controller = this.#controller;
    this.#controller = undefined;
    if (controller !== undefined && !controller.aborted) {
      controller.abort(error instanceof Error ? error : new Error(String(error)));
    }
    this.#reject(error);
  }
}

/**
 * Sends one request through `dispatcher` and resolves with the response, or rejects with a
 * 599 {@link HTTPClientError} (or whatever a user callback threw). `start` is the
 * `performance.now()` the timeouts count from.
 */
export function exchange(dispatcher: Dispatcher, request: ExchangeRequest, start: number): Promise<ExchangeResult> {
  return new Promise<ExchangeResult>((resolve, reject) => {
    const handler = new ExchangeHandler(request, start, resolve, reject);
    const url = request.url;
    dispatcher.dispatch(
      {
        origin: url.origin,
        path: url.pathname + url.search,
        method: request.method,
        headers: request.headers,
        body: request.body ?? null,
      },
      handler,
    );
  });
}
