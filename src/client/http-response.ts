// Ports tornado.httpclient.HTTPResponse and HTTPClientError (with HTTPTimeoutError and HTTPStreamClosedError).

import { STATUS_CODES } from "node:http";
import { HTTPHeaders } from "../http/headers.js";
import { TyphoonError } from "../util/errors.js";
import type { HTTPRequest } from "./http-request.js";

/** The reason phrase of a status code (`404` → `Not Found`), `Unknown` when there is none. */
export function statusReason(status: number): string {
  return STATUS_CODES[status] ?? "Unknown";
}

/** Options of {@link HTTPClientError} beyond Tornado's arguments. */
export interface HTTPClientErrorOptions {
  /** The stable error code (`TYPHOON_ERR_HTTP_*`); default from the status. */
  code?: string;
  /** The underlying error (a socket or TLS error...). */
  cause?: unknown;
}

/**
 * A request that did not succeed: a non-2xx status (with `raiseError`), or no response at all
 * (status 599: timeout, refused connection, reset, malformed response...).
 *
 * In Tornado `error.code` is the HTTP status; in Typhoon `code` is the stable error code every
 * Typhoon error has, and the HTTP status is {@link status}:
 *
 * | `code` | `status` | what happened |
 * |---|---|---|
 * | `TYPHOON_ERR_HTTP_STATUS` | the response's | the server answered with a non-2xx status |
 * | `TYPHOON_ERR_HTTP_TIMEOUT` | 599 | connect, request or queue timeout ({@link HTTPTimeoutError}) |
 * | `TYPHOON_ERR_HTTP_STREAM_CLOSED` | 599 | the connection closed before the response was complete ({@link HTTPStreamClosedError}) |
 * | `TYPHOON_ERR_HTTP_CONNECTION` | 599 | no connection: refused, unknown host, unreachable, TLS failure |
 * | `TYPHOON_ERR_HTTP_MALFORMED_RESPONSE` | 599 | the response was not valid HTTP, or its body could not be decompressed |
 * | `TYPHOON_ERR_HTTP_BODY_TOO_LARGE` | 599 | the body was larger than `maxBodySize` |
 *
 * Tornado: `tornado.httpclient.HTTPClientError` (alias `HTTPError`).
 *
 * @example
 * try {
 *   await client.fetch(url);
 * } catch (error) {
 *   if (error instanceof HTTPClientError && error.status === 404) return null;
 *   throw error;
 * }
 */
export class HTTPClientError extends TyphoonError {
  /** The HTTP status, or 599 when no response was received. Tornado: `code`. */
  readonly status: number;
  /** The response, when there is one (for 599 errors: a response with code 599 and the timing). */
  response: HTTPResponse | undefined;

  constructor(status: number, message?: string, response?: HTTPResponse, options: HTTPClientErrorOptions = {}) {
    super(
      options.code ?? (status === 599 ? "TYPHOON_ERR_HTTP_CONNECTION" : "TYPHOON_ERR_HTTP_STATUS"),
      `HTTP ${status}: ${message ?? statusReason(status)}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.status = status;
    this.response = response;
  }
}

/**
 * A timeout (status 599): `Timeout while connecting`, `Timeout during request` or
 * `Timeout in request queue`. Code `TYPHOON_ERR_HTTP_TIMEOUT`. Tornado: `HTTPTimeoutError`.
 */
export class HTTPTimeoutError extends HTTPClientError {
  constructor(message = "Timeout", options: Omit<HTTPClientErrorOptions, "code"> = {}) {
    super(599, message, undefined, { ...options, code: "TYPHOON_ERR_HTTP_TIMEOUT" });
    this.message = message;
  }
}

/**
 * The connection closed (or was reset) before the response was complete (status 599).
 * Code `TYPHOON_ERR_HTTP_STREAM_CLOSED`. Tornado: `HTTPStreamClosedError`.
 */
export class HTTPStreamClosedError extends HTTPClientError {
  constructor(message = "Stream closed", options: Omit<HTTPClientErrorOptions, "code"> = {}) {
    super(599, message, undefined, { ...options, code: "TYPHOON_ERR_HTTP_STREAM_CLOSED" });
    this.message = message;
  }
}

/** What {@link HTTPResponse} is built from besides the request and the status. */
export interface HTTPResponseInit {
  /** Default: the reason phrase of the status. */
  reason?: string;
  headers?: HTTPHeaders;
  body?: Buffer;
  /** The URL after redirects; default the request's URL. */
  effectiveUrl?: string;
  /** Default: an {@link HTTPClientError} when the status is not 2xx. */
  error?: Error;
  requestTime?: number;
  startTime?: number;
  timeInfo?: Record<string, number>;
}

/**
 * The response to a fetch. Tornado: `tornado.httpclient.HTTPResponse`.
 *
 * @example
 * const response = await client.fetch("https://api.example.com/items");
 * const items = response.json<Item[]>();
 * response.headers.get("Content-Type");
 */
export class HTTPResponse {
  /** The request as given to `fetch` (before redirects). */
  readonly request: HTTPRequest;
  /** The HTTP status, e.g. 200; 599 when no response was received. */
  readonly code: number;
  /** The reason phrase the server sent, or the standard one for the status. */
  readonly reason: string;
  /** The response headers. */
  readonly headers: HTTPHeaders;
  /** The body (empty with a `streamingCallback`). */
  readonly body: Buffer;
  /** The final URL, after redirects. Tornado: `effective_url`. */
  readonly effectiveUrl: string;
  /** The error of this response: an {@link HTTPClientError} for a non-2xx status, else undefined. */
  readonly error: Error | undefined;
  /** Seconds from the start of the fetch to its end (queueing and redirects included). Tornado: `request_time`. */
  readonly requestTime: number | undefined;
  /** When the fetch started, in seconds since the epoch (wall clock). Tornado: `start_time`. */
  readonly startTime: number | undefined;
  /**
   * Where the time went, in seconds: `queue` (waiting for a free `maxClients` slot), `connect`
   * (until a connection was ready), `starttransfer` (until the response headers), `total`,
   * and `redirect` (spent on redirects before the final request). Tornado: `time_info`.
   */
  readonly timeInfo: Readonly<Record<string, number>>;
  #text: string | undefined;

  constructor(request: HTTPRequest, code: number, init: HTTPResponseInit = {}) {
    this.request = request;
    this.code = code;
    this.reason = init.reason || statusReason(code);
    this.headers = init.headers ?? new HTTPHeaders();
    this.body = init.body ?? Buffer.alloc(0);
    this.effectiveUrl = init.effectiveUrl ?? request.url;
    this.requestTime = init.requestTime;
    this.startTime = init.startTime;
    this.timeInfo = init.timeInfo ?? {};
    if (init.error !== undefined) this.error = init.error;
    else if (code < 200 || code >= 300) this.error = new HTTPClientError(code, this.reason, this);
    else this.error = undefined;
  }

  /** The body decoded as UTF-8. **beyond** Tornado. */
  get text(): string {
    this.#text ??= this.body.toString("utf8");
    return this.#text;
  }

  /**
   * The body parsed as JSON. **beyond** Tornado.
   * @throws SyntaxError when the body is not JSON.
   */
  json<T = unknown>(): T {
    return JSON.parse(this.text) as T;
  }

  /** Throws {@link error} if there is one. */
  rethrow(): void {
    if (this.error !== undefined) throw this.error;
  }
}
