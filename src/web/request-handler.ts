// Ports tornado.web.RequestHandler: one instance per request, verb methods, output and the error pipeline.

import { createHash, hash } from "node:crypto";
import { STATUS_CODES } from "node:http";
import type { OutgoingHttpHeaders } from "node:http";
import { HTTPInputError, StreamClosedError } from "../http/errors.js";
import { parseJsonBody } from "../http/body.js";
import { type CookieMap, type CookieOptions, formatSetCookie } from "../http/cookies.js";
import type { HTTPConnection } from "../http/connection.js";
import { type MultipartPart, readMultipartParts } from "../http/multipart.js";
import { canonicalHeaderName } from "../http/headers.js";
import type { HTTPServerRequest } from "../http/request.js";
import type { ArgumentMap } from "../http/urlencoded.js";
import { pythonStrip } from "../http/whitespace.js";
import type { TemplateLoaderLike } from "../template/index.js";
import { getLocale, type Locale } from "../locale/index.js";
import { jsonEncode, urlUnescapeToBuffer, xhtmlEscape } from "../util/escape.js";
import { InvalidArgumentError, InvalidStateError } from "../util/errors.js";
import { appLog, genLog } from "../util/log.js";
import { version } from "../util/version.js";
import type { Application } from "./application.js";
import {
  addVaryAcceptEncoding,
  compressAsync,
  compressesAsync,
  compressSync,
  type ContentCoding,
  isCompressibleType,
  MIN_COMPRESS_LENGTH,
  negotiateContentCoding,
  StreamingCompressor,
} from "./compression.js";
import { Finish, HTTPError, MissingArgumentError } from "./errors.js";
import { EventStream, type EventStreamOptions, formatServerSentEvent, stopEventStream } from "./event-stream.js";
import type { MatchResult } from "./routing.js";
import type { ApplicationSettings } from "./settings.js";
// ---- users, signed cookies and XSRF
import { isJsonMediaType } from "../http/body.js";
import {
  type CookieSecret,
  createSignedValue,
  decodeSignedValue,
  type GetSignedCookieOptions,
  getSignatureKeyVersion,
  type SignedCookieOptions,
} from "./signed-value.js";
import { cookieValues, decodeXsrfToken, encodeXsrfToken, generateRawXsrfToken, type RawXsrfToken, xsrfTokensEqual } from "./xsrf.js";
import {
  addModuleResources,
  boundMethod,
  cachedTemplateLoader,
  createUINamespace,
  defaultTemplateLoader,
  linkedCss,
  linkedJs,
  resetTemplateLoaders,
  resourceUrls,
  unwrapRenderError,
} from "./template-rendering.js";
import type { UIModule, UIModuleClass, UINamespace } from "./ui-modules.js";

/** A handler class as used in rules: constructed by the application for each request. */
export type HandlerClass<H extends RequestHandler = RequestHandler> = (new (
  application: Application,
  request: HTTPServerRequest,
) => H) & {
  readonly SUPPORTED_METHODS: readonly string[];
};

/** Options of {@link RequestHandler.sendError} and {@link RequestHandler.writeError}. */
export interface ErrorOptions {
  /** The error that caused the response, when there is one. Tornado: `exc_info`. */
  exc?: unknown;
  /** Reason phrase to use instead of the standard one. */
  reason?: string;
}

const SERVER_HEADER = `TyphoonServer/${version}`;
const HEADER_NAME_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const UNSAFE_HEADER_VALUE_RE = /[^\x20-\x7e\x80-\xff]/;
const REASON_PHRASE_RE = /^[\t\x20-\x3b\x3d-\x7e\x80-\xff]*$/;
const CONTROL_CHARS_RE = /[\x00-\x08\x0e-\x1f]/g;
const ETAG_RE = /\*|(?:W\/)?"[^"]*"/g;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Lower-case method name of each verb, for dispatch. */
const VERB_METHODS: Readonly<Record<string, string>> = {
  GET: "get",
  HEAD: "head",
  POST: "post",
  DELETE: "delete",
  PATCH: "patch",
  PUT: "put",
  OPTIONS: "options",
};

const UNRESOLVED = Symbol("unresolved");

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === "function";
}

function isJsonObject(value: object): boolean {
  if (Array.isArray(value)) return true;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null || typeof (value as { toJSON?: unknown }).toJSON === "function";
}

function byteLength(chunk: string | Buffer): number {
  return typeof chunk === "string" ? Buffer.byteLength(chunk) : chunk.length;
}

/** The verbs a handler class defines, for the `Allow` header of a 405. */
const allowedMethods = new WeakMap<Function, string>();

function allowHeader(handlerClass: HandlerClass): string {
  let allow = allowedMethods.get(handlerClass);
  if (allow === undefined) {
    const proto = handlerClass.prototype as unknown as Record<string, unknown>;
    allow = handlerClass.SUPPORTED_METHODS.filter((method) => {
      const name = VERB_METHODS[method] ?? method.toLowerCase();
      return typeof proto[name] === "function";
    }).join(", ");
    allowedMethods.set(handlerClass, allow);
  }
  return allow;
}

/**
 * Runs a constructed and initialized handler for the matched route; used by `Application`.
 * Not part of the public API.
 */
export let executeHandler: (handler: RequestHandler, match: MatchResult) => void;

/**
 * Answers a request that failed before its handler could run (body too large, malformed
 * body...) through the handler's own error pipeline. Not part of the public API.
 */
export let failHandler: (handler: RequestHandler, error: unknown) => void;

/**
 * Marks a handler's response as written by other code (Node's own `res`, as in
 * `FallbackHandler`): the handler finishes, and logs, when `res` does. Not part of the public API.
 */
export let handOverResponse: (handler: RequestHandler) => void;

/**
 * Base class of request handlers. The application creates one instance per request, calls
 * `initialize(initArgs)`, then `prepare()`, then the method named after the HTTP verb
 * (`get`, `post`, ...; sync or async) with the path groups as arguments, then finishes the
 * response if the method did not, and calls `onFinish()`.
 * Tornado: `tornado.web.RequestHandler`.
 *
 * `User` is the type of `currentUser` (see `getCurrentUser`).
 *
 * @example
 * class MainHandler extends RequestHandler {
 *   get() { this.write("Hello, world"); }
 * }
 */
export class RequestHandler<User = unknown> {
  /** HTTP methods this class accepts; others get 405. Tornado: `SUPPORTED_METHODS`. */
  static SUPPORTED_METHODS: readonly string[] = ["GET", "HEAD", "POST", "DELETE", "PATCH", "PUT", "OPTIONS"];

  static {
    executeHandler = (handler, match) => handler.#execute(match);
    failHandler = (handler, error) => handler.#handleRequestException(error);
    handOverResponse = (handler) => handler.#handOverResponse();
  }

  /** The application that routed the request here. */
  readonly application: Application;
  /** The request being answered. */
  readonly request: HTTPServerRequest;
  /** The unnamed path groups, percent-decoded. Tornado: `path_args`. */
  pathArgs: (string | undefined)[] = [];
  /** The named path groups, percent-decoded. Tornado: `path_kwargs`. */
  pathKwargs: Record<string, string | undefined> = {};

  #status = 200;
  #reason = "OK";
  #headers: OutgoingHttpHeaders = {};
  #chunks: (string | Buffer)[] = [];
  #headersWritten = false;
  #finished = false;
  #autoFinish = true;
  #currentUser: User | null | typeof UNRESOLVED = UNRESOLVED;
  #abortController: AbortController | undefined;
  #watchingClose = false;

  constructor(application: Application, request: HTTPServerRequest) {
    this.application = application;
    this.request = request;
    this.clear();
  }

  /** The application's settings. */
  get settings(): ApplicationSettings {
    return this.application.settings;
  }

  /**
   * Override this to receive the rule's `initArgs` (the third element of a rule). Called
   * once, right after construction. Tornado: `initialize(**kwargs)`.
   *
   * @example
   * class ProfileHandler extends RequestHandler {
   *   declare database: Database;
   *   override initialize({ database }: { database: Database }) { this.database = database; }
   * }
   */
  initialize(_initArgs?: unknown): void {}

  /**
   * Override this to run code before the verb method, e.g. to check permissions or load
   * data; may be async. Calling `finish()` (or `redirect`, `sendError`) here ends the request
   * without calling the verb method.
   */
  prepare(): void | Promise<void> {}

  /**
   * Override this to clean up after the response is sent (logging, releasing resources).
   * Tornado: `on_finish`.
   */
  onFinish(): void {}

  /**
   * Override this to react when the client closes the connection before the response is
   * finished (e.g. stop a long poll). `this.signal` is aborted at the same moment.
   * Tornado: `on_connection_close`.
   */
  onConnectionClose(): void {}

  /**
   * **Beyond** Tornado: an `AbortSignal` aborted when the client goes away before the
   * response finishes; pass it to `fetch`, timers or queries so their work stops too.
   */
  get signal(): AbortSignal {
    if (!this.#abortController) {
      this.#abortController = new AbortController();
      // Asked for after the client left: already aborted.
      if (this.request.connection?.closed) this.#abortController.abort(new StreamClosedError("the client closed the connection"));
      else this.#watchClose();
    }
    return this.#abortController.signal;
  }

  /**
   * Override this to identify the user of the request from a cookie, header or token; may
   * be async. Typhoon calls it (and awaits it) before `prepare()`, so `this.currentUser` is
   * ready in `prepare` and the verb method. Return `null` when nobody is logged in.
   * Tornado: `get_current_user`.
   */
  getCurrentUser(): User | null | Promise<User | null> {
    return null;
  }

  /**
   * The user of this request, as returned by `getCurrentUser()`; may be assigned (e.g. in
   * `prepare`) instead of overriding `getCurrentUser`. Tornado: `current_user`.
   */
  get currentUser(): User | null {
    if (this.#currentUser === UNRESOLVED) {
      const user = this.getCurrentUser();
      if (isPromiseLike(user)) {
        throw new InvalidStateError(
          "getCurrentUser() is async, so currentUser is only available once prepare() starts " +
            "(Typhoon awaits it then); in initialize() await this.getCurrentUser() instead",
          "TYPHOON_ERR_CURRENT_USER_PENDING",
        );
      }
      this.#currentUser = user;
    }
    return this.#currentUser;
  }

  set currentUser(user: User | null) {
    this.#currentUser = user;
  }

  // ---------------------------------------------------------------- locale

  #locale: Locale | undefined;

  /**
   * The locale of this request: `getUserLocale()`, else `getBrowserLocale()`, decided on
   * first use; may be assigned. In templates it is `locale`, with `_` and `pgettext` bound
   * to it. Tornado: `locale`.
   */
  get locale(): Locale {
    this.#locale ??= this.getUserLocale() ?? this.getBrowserLocale();
    return this.#locale;
  }

  set locale(locale: Locale) {
    this.#locale = locale;
  }

  /**
   * Override this to choose the locale from the user's saved preference (e.g. a field of
   * `this.currentUser`); return `null` to use the browser's `Accept-Language`.
   * Tornado: `get_user_locale`.
   */
  getUserLocale(): Locale | null {
    return null;
  }

  /**
   * The closest supported locale to the request's `Accept-Language` (by quality, highest
   * first; `q=0` and malformed qualities are skipped), else `defaultCode`.
   * Tornado: `get_browser_locale`.
   */
  getBrowserLocale(defaultCode = "en_US"): Locale {
    const header = this.request.headers.get("Accept-Language");
    if (header !== undefined) {
      const ranked: { code: string; score: number }[] = [];
      for (const language of header.split(",")) {
        const [code = "", quality] = language.trim().split(";").map((part) => part.trim());
        let score = 1;
        if (quality?.startsWith("q=")) {
          score = Number(quality.slice(2));
          if (!(score >= 0)) score = 0;
        }
        if (score > 0) ranked.push({ code, score });
      }
      if (ranked.length > 0) {
        ranked.sort((a, b) => b.score - a.score);
        return getLocale(...ranked.map((entry) => entry.code));
      }
    }
    return getLocale(defaultCode);
  }

  // ---------------------------------------------------------------- arguments

  /**
   * The last value of argument `name` from the query string or the body. Without a default,
   * a missing argument throws `MissingArgumentError` (400). Control characters are replaced
   * by spaces and, with `strip`, surrounding whitespace is removed. Tornado: `get_argument`.
   */
  getArgument(name: string): string;
  getArgument<D>(name: string, defaultValue: D, strip?: boolean): string | D;
  getArgument(name: string, ...rest: unknown[]): unknown {
    return this.#getArgument(name, this.request.arguments, rest);
  }

  /** Every value of argument `name` (query and body), empty when absent. Tornado: `get_arguments`. */
  getArguments(name: string, strip = true): string[] {
    return this.#getArguments(name, this.request.arguments, strip);
  }

  /** Like `getArgument`, from the query string only. Tornado: `get_query_argument`. */
  getQueryArgument(name: string): string;
  getQueryArgument<D>(name: string, defaultValue: D, strip?: boolean): string | D;
  getQueryArgument(name: string, ...rest: unknown[]): unknown {
    return this.#getArgument(name, this.request.queryArguments, rest);
  }

  /** Like `getArguments`, from the query string only. Tornado: `get_query_arguments`. */
  getQueryArguments(name: string, strip = true): string[] {
    return this.#getArguments(name, this.request.queryArguments, strip);
  }

  /** Like `getArgument`, from the body only. Tornado: `get_body_argument`. */
  getBodyArgument(name: string): string;
  getBodyArgument<D>(name: string, defaultValue: D, strip?: boolean): string | D;
  getBodyArgument(name: string, ...rest: unknown[]): unknown {
    return this.#getArgument(name, this.request.bodyArguments, rest);
  }

  /** Like `getArguments`, from the body only. Tornado: `get_body_arguments`. */
  getBodyArguments(name: string, strip = true): string[] {
    return this.#getArguments(name, this.request.bodyArguments, strip);
  }

  /**
   * Override this to transform every argument value (and path argument) before the handler
   * sees it; `name` is the argument name, or undefined for path arguments. The default
   * returns the value as decoded (UTF-8). Tornado: `decode_argument`.
   */
  decodeArgument(value: string, _name?: string): string {
    return value;
  }

  // ---- request body

  /**
   * Override this in a `streamRequestBody` handler to receive the request body piece by piece
   * as it arrives: it runs after `prepare()` and before the verb method, once per chunk. When
   * it returns a promise, the next chunk waits for it — the socket is not read meanwhile — so
   * a slow consumer (e.g. a disk write) slows the client down instead of filling memory.
   * A streaming handler that does not override it gets its verb method called right after
   * `prepare()`, with the body unread: read it there with `multipartParts()`.
   * Tornado: `data_received`.
   *
   * @example
   * class UploadHandler extends RequestHandler {
   *   static streamRequestBody = true;
   *   declare file: FileHandle;
   *   override async prepare() { this.file = await open("/tmp/upload", "w"); }
   *   override async dataReceived(chunk: Buffer) { await this.file.write(chunk); }
   *   async put() { await this.file.close(); this.write("stored"); }
   * }
   */
  dataReceived(_chunk: Buffer): void | Promise<void> {
    throw new InvalidStateError(
      "dataReceived() is not implemented: override it in a streamRequestBody handler",
      "TYPHOON_ERR_NOT_IMPLEMENTED",
    );
  }

  /**
   * **Beyond** Tornado: the parts of a `multipart/form-data` body one by one, each with its
   * name, filename, content type and a readable `stream`. In a `streamRequestBody` handler
   * (that does not override `dataReceived`) the parts are parsed as the body arrives, with
   * back-pressure, so uploads of any size go to disk or elsewhere without being buffered;
   * in other handlers the buffered body is parsed. The `bodyLimits` apply (413 when passed;
   * 400 for a malformed body, 415 when the body is not multipart).
   *
   * @example
   * class UploadHandler extends RequestHandler {
   *   static streamRequestBody = true;
   *   async post() {
   *     for await (const part of this.multipartParts()) {
   *       if (part.filename) await pipeline(part.stream, createWriteStream(`/uploads/${randomUUID()}`));
   *       else fields[part.name] = part.value;
   *     }
   *   }
   * }
   */
  multipartParts(): AsyncGenerator<MultipartPart, void, undefined> {
    return readMultipartParts(this.request);
  }

  #streamBody(): void {
    const connection = this.request.connection;
    if (connection === undefined || !connection.hasBody()) {
      this.#callVerb();
      return;
    }
    connection.readBodyStream((chunk) => (this.#finished ? undefined : this.dataReceived(chunk))).then(
      () => this.#callVerb(),
      (error: unknown) => this.#handleRequestException(error),
    );
  }

  /** The parsed JSON body, once `getJsonBody()` ran. */
  #jsonBody: unknown;

  /**
   * **Beyond** Tornado: the request body parsed as JSON, once (later calls return the same
   * value). The body must be `application/json` (or a `+json` type) in UTF-8, an object or an
   * array, at most `bodyLimits.maxJsonSize` bytes (default 1 MiB), with no `__proto__` keys.
   * `T` is not checked: validate what you read.
   * @throws HTTPInputError, answered as 415 (wrong content type), 413 (too large) or 400
   *   (invalid or non-object JSON) with a message saying which.
   *
   * @example
   * async post() {
   *   const { name } = this.getJsonBody<{ name?: string }>();
   *   if (typeof name !== "string") throw new HTTPError(400, "name must be a string");
   * }
   */
  getJsonBody<T = unknown>(): T {
    if (this.#jsonBody === undefined) {
      const request = this.request;
      const headers = request.headers;
      this.#jsonBody = parseJsonBody(request.body, request.contentType, {
        maxSize: request.bodyLimits.maxJsonSize,
        contentEncoding: headers.get("Content-Encoding"),
        rawContentType: headers.get("Content-Type"),
      });
    }
    return this.#jsonBody as T;
  }

  #getArgument(name: string, source: ArgumentMap, rest: unknown[]): unknown {
    const strip = rest.length > 1 ? Boolean(rest[1]) : true;
    const raw = source[name];
    if (raw === undefined || raw.length === 0) {
      if (rest.length === 0) throw new MissingArgumentError(name);
      return rest[0];
    }
    // One value (the usual case) is cleaned without building the array of all of them.
    if (raw.length === 1) return this.#cleanArgument(raw[0]!, name, strip);
    const values = this.#getArguments(name, source, strip);
    return values[values.length - 1];
  }

  #getArguments(name: string, source: ArgumentMap, strip: boolean): string[] {
    const raw = source[name];
    if (raw === undefined) return [];
    const values: string[] = new Array<string>(raw.length);
    for (let i = 0; i < raw.length; i++) values[i] = this.#cleanArgument(raw[i]!, name, strip);
    return values;
  }

  #cleanArgument(value: string, name: string, strip: boolean): string {
    const decoded = this.decodeArgument(value, name).replace(CONTROL_CHARS_RE, " ");
    return strip ? pythonStrip(decoded) : decoded;
  }

  // ---------------------------------------------------------------- output

  /**
   * Override this to set headers on every response of this class (it runs at construction
   * and again on `clear()`, e.g. before an error page). Tornado: `set_default_headers`.
   */
  setDefaultHeaders(): void {}

  /**
   * Resets the response: default headers (`Content-Type: text/html; charset=UTF-8`,
   * `Server`), then `setDefaultHeaders()`; empty body; status 200. Tornado: `clear`.
   */
  clear(): void {
    this.#headers = { "Content-Type": "text/html; charset=UTF-8", Server: SERVER_HEADER };
    this.setDefaultHeaders();
    this.#chunks = [];
    this.#status = 200;
    this.#reason = "OK";
  }

  /**
   * Sets the response status. Without `reason`, the standard phrase is used (`Unknown` for
   * a non-standard code); a reason with `<` or characters not allowed in a status line is
   * replaced by `Unknown`. Tornado: `set_status`.
   */
  setStatus(statusCode: number, reason?: string): void {
    if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 999) {
      throw new InvalidArgumentError(`status code must be an integer from 100 to 999, got ${statusCode}`, "TYPHOON_ERR_BAD_STATUS");
    }
    this.#status = statusCode;
    if (reason === undefined) this.#reason = STATUS_CODES[statusCode] ?? "Unknown";
    else this.#reason = REASON_PHRASE_RE.test(reason) ? reason : "Unknown";
  }

  /** The response status code. Tornado: `get_status`. */
  getStatus(): number {
    return this.#status;
  }

  /**
   * Sets a response header, replacing any value it had. Numbers are written in decimal and
   * Dates as HTTP dates. Tornado: `set_header`.
   * @throws InvalidArgumentError for a name that is not an HTTP token, or a value with
   *   CR, LF or other control characters (header injection).
   */
  setHeader(name: string, value: string | number | Date): void {
    this.#headers[checkHeaderName(name)] = convertHeaderValue(value);
  }

  /** Adds a value to a response header, keeping the values it has (e.g. `Link`). Tornado: `add_header`. */
  addHeader(name: string, value: string | number | Date): void {
    const key = checkHeaderName(name);
    const converted = convertHeaderValue(value);
    const existing = this.#headers[key];
    if (existing === undefined) this.#headers[key] = converted;
    else if (Array.isArray(existing)) existing.push(converted);
    else this.#headers[key] = [String(existing), converted];
  }

  /** Removes a response header (also one of the defaults). Tornado: `clear_header`. */
  clearHeader(name: string): void {
    delete this.#headers[canonicalHeaderName(name)];
  }

  /** **Beyond** Tornado: the current value of a response header, or `undefined`. */
  getHeader(name: string): string | string[] | undefined {
    const value = this.#headers[canonicalHeaderName(name)];
    return typeof value === "number" ? String(value) : value;
  }

  /**
   * Adds to the response body. A string is sent as UTF-8, a Buffer as is; a plain object
   * or (**beyond** Tornado) an array is sent as JSON with `Content-Type:
   * application/json; charset=UTF-8`. Tornado: `write`.
   * @throws InvalidStateError after `finish()`.
   */
  write(chunk: string | Buffer | Uint8Array | object): void {
    if (this.#finished) throw new InvalidStateError("Cannot write() after finish()", "TYPHOON_ERR_WRITE_AFTER_FINISH");
    if (typeof chunk === "string" || Buffer.isBuffer(chunk)) {
      this.#chunks.push(chunk);
    } else if (chunk instanceof Uint8Array) {
      this.#chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    } else if (typeof chunk === "object" && chunk !== null && isJsonObject(chunk)) {
      this.#chunks.push(jsonEncode(chunk));
      this.setHeader("Content-Type", "application/json; charset=UTF-8");
    } else {
      throw new TypeError(
        `write() accepts a string, a Buffer, a plain object or an array (sent as JSON); got ${typeof chunk}. ` +
          "Convert it with String() or wrap it in an object.",
      );
    }
  }

  /**
   * Sends the headers (the first time) and what has been written so far, with chunked
   * encoding; resolves when the data is handed to the socket. Tornado: `flush`.
   * @throws StreamClosedError (as a rejection) when the client has gone away.
   */
  flush(): Promise<void> {
    const connection = this.#connection();
    const body = this.#takeBody();
    if (!this.#headersWritten) {
      if (this.settings.compressResponse) this.#startStreamingCompression(connection);
      this.#writeHeaders();
    }
    if (body.length === 0 || this.request.method === "HEAD") {
      return connection.closed ? Promise.reject(new StreamClosedError()) : Promise.resolve();
    }
    if (this.#compressor !== undefined) {
      return this.#compressor.write(body).then(() => (connection.closed ? Promise.reject(new StreamClosedError()) : undefined));
    }
    return connection.write(body);
  }

  /**
   * Ends the response, writing `chunk` first if given. For a 200 GET/HEAD answer it sets an
   * `Etag` and answers 304 when the client already has that version; when nothing was
   * flushed it sets `Content-Length`. Resolves when the response is handed to the socket.
   * Tornado: `finish`.
   * @throws InvalidStateError when called twice.
   */
  finish(chunk?: string | Buffer | Uint8Array | object): Promise<void> {
    const res = this.#connection().res;
    this.#finishResponse(chunk);
    if (res.writableFinished || res.destroyed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      res.once("finish", resolve);
      res.once("close", resolve);
    });
  }

  /**
   * Redirects to `url` (as given: relative URLs stay relative) with 302, or 301 when
   * `permanent`, or `status` (300-399), and finishes. Tornado: `redirect`.
   * @throws InvalidStateError after headers were sent; InvalidArgumentError for a URL with CR/LF.
   */
  redirect(url: string, permanent = false, status?: number): void {
    if (this.#headersWritten) {
      throw new InvalidStateError("Cannot redirect after headers have been written", "TYPHOON_ERR_HEADERS_SENT");
    }
    const code = status ?? (permanent ? 301 : 302);
    if (!Number.isInteger(code) || code < 300 || code > 399) {
      throw new InvalidArgumentError(`redirect status must be from 300 to 399, got ${code}`, "TYPHOON_ERR_BAD_STATUS");
    }
    // Location first: a URL refused for CR/LF leaves the status as it was.
    this.setHeader("Location", url);
    this.setStatus(code);
    this.#finishResponse();
  }

  /**
   * Answers with an error page for `statusCode`, discarding what was written; the page
   * comes from `writeError`. When headers were already sent the connection is closed
   * instead (the client then sees an incomplete response). Tornado: `send_error`.
   */
  sendError(statusCode = 500, options: ErrorOptions = {}): void {
    if (this.#headersWritten) {
      genLog.error(`Cannot send error response after headers written: ${this.#requestSummary()}`);
      if (!this.#finished) {
        this.#finished = true;
        this.request.connection?.abort();
        this.#afterFinish();
      }
      return;
    }
    this.clear();
    const exc = options.exc;
    const reason = exc instanceof HTTPError && exc.reason !== undefined ? exc.reason : options.reason;
    this.setStatus(statusCode, reason);
    if (statusCode === 405) this.setHeader("Allow", allowHeader(this.constructor as HandlerClass));
    try {
      const written = this.writeError(statusCode, options) as unknown;
      if (isPromiseLike(written)) {
        written.then(
          () => this.#finishAfterError(),
          (error: unknown) => this.#writeErrorFailed(error),
        );
        return;
      }
    } catch (error) {
      this.#writeErrorFailed(error);
      return;
    }
    this.#finishAfterError();
  }

  #writeErrorFailed(error: unknown): void {
    appLog.error("Uncaught exception in writeError", error instanceof Error ? error : new Error(String(error)));
    this.#finishAfterError();
  }

  #finishAfterError(): void {
    if (!this.#finished) this.#finishResponse();
  }

  /**
   * Override this to render custom error pages (HTML, JSON...); `options.exc` is the error
   * when there is one. The default writes Tornado's page
   * (`<html><title>404: Not Found</title>...`; nothing for statuses that have no body, such as
   * 304), or the error's stack as plain text when the `serveTraceback` setting is on; errors
   * in the request's input (`HTTPInputError`) add their message. Tornado: `write_error`.
   */
  writeError(statusCode: number, options: ErrorOptions = {}): void | Promise<void> {
    const exc = options.exc;
    if (statusCode === 204 || statusCode === 304 || statusCode < 200) return;
    if (this.settings.serveTraceback && exc !== undefined) {
      this.setHeader("Content-Type", "text/plain; charset=UTF-8");
      this.write(formatTraceback(exc));
      return;
    }
    const title = `${statusCode}: ${xhtmlEscape(this.#reason)}`;
    const detail = exc instanceof HTTPInputError ? `<p>${xhtmlEscape(exc.message)}</p>` : "";
    this.write(`<html><title>${title}</title><body>${title}${detail}</body></html>`);
  }

  /**
   * Override this to change how errors of this handler are logged: by default an
   * `HTTPError` with a `logMessage` is a warning without stack, any other error is logged
   * with its stack. Tornado: `log_exception`.
   */
  logException(error: unknown): void {
    if (error instanceof HTTPError) {
      if (error.logMessage) genLog.warning(`${error.statusCode} ${this.#requestSummary()}: ${error.logMessage}`);
    } else if (error instanceof HTTPInputError) {
      genLog.warning(`${error.status} ${this.#requestSummary()}: ${error.message}`);
    } else {
      appLog.error(
        `Uncaught exception ${this.#requestSummary()}\n${String(this.request)}`,
        error instanceof Error ? error : new Error(`non-Error value thrown: ${String(error)}`),
      );
    }
  }

  /** The URL of the rule named `name`. Tornado: `reverse_url`. */
  reverseUrl(name: string, ...args: unknown[]): string {
    return this.application.reverseUrl(name, ...args);
  }

  /**
   * Set it to true in a subclass to make `staticUrl` return absolute URLs by default.
   * Tornado: the `include_host` attribute.
   */
  declare includeHost?: boolean;

  /**
   * The URL of static file `path` (relative to the `staticPath` setting), made by the
   * `staticHandlerClass`'s `makeStaticUrl`: by default `/static/<path>?v=<hash>`, whose
   * one-year cache lifetime the version makes safe (see `StaticFileHandler.getVersion` for
   * how the hash is computed and cached). With `includeHost` (default: `this.includeHost`) the
   * URL starts with `protocol://host`; `includeVersion: false` leaves out `?v=`. Also
   * `staticUrl(...)` in templates. Tornado: `static_url`.
   * @throws InvalidStateError when the `staticPath` setting is not set.
   *
   * @example
   * // in a template: <link rel="stylesheet" href="{{ staticUrl('site.css') }}">
   * this.write({ logo: this.staticUrl("logo.png", true) }); // http://example.com/static/logo.png?v=3f2a…
   */
  staticUrl(path: string, includeHost?: boolean, options: { includeVersion?: boolean } = {}): string {
    this.requireSetting("staticPath", "staticUrl");
    this.requireSetting("staticHandlerClass", "staticUrl");
    const url = this.settings.staticHandlerClass!.makeStaticUrl(this.settings, path, options.includeVersion ?? true);
    return (includeHost ?? this.includeHost) ? `${this.request.protocol}://${this.request.host}${url}` : url;
  }

  /**
   * Throws a clear error when setting `name` is not set; `feature` names what needs it.
   * Tornado: `require_setting`.
   */
  requireSetting(name: keyof ApplicationSettings, feature = "this feature"): void {
    if (!this.settings[name]) {
      throw new InvalidStateError(
        `You must define the '${name}' setting in your application to use ${feature}`,
        "TYPHOON_ERR_MISSING_SETTING",
      );
    }
  }

  // ---------------------------------------------------------------- ETags

  /**
   * Override this to compute the ETag of the response (or return `null` for none). The
   * default is a SHA-1 of the body, as Tornado. Tornado: `compute_etag`.
   */
  computeEtag(): string | null {
    const chunks = this.#chunks;
    if (chunks.length === 1) return `"${hash("sha1", chunks[0]!)}"`;
    const hasher = createHash("sha1");
    for (const chunk of chunks) hasher.update(chunk);
    return `"${hasher.digest("hex")}"`;
  }

  /** Sets the `Etag` header from `computeEtag()`. Tornado: `set_etag_header`. */
  setEtagHeader(): void {
    const etag = this.computeEtag();
    if (etag !== null) this.setHeader("Etag", etag);
  }

  /**
   * True when the request's `If-None-Match` matches the response's `Etag` (weak comparison,
   * lists and `*` accepted). Tornado: `check_etag_header`.
   */
  checkEtagHeader(): boolean {
    const computed = this.getHeader("Etag");
    const ifNoneMatch = this.request.connection?.req.headers["if-none-match"] ?? this.request.headers.get("If-None-Match");
    if (!computed || typeof computed !== "string" || !ifNoneMatch) return false;
    const etags = ifNoneMatch.match(ETAG_RE);
    if (!etags) return false;
    if (etags[0] === "*") return true;
    const weak = (tag: string): string => (tag.startsWith("W/") ? tag.slice(2) : tag);
    const target = weak(computed);
    return etags.some((tag) => weak(tag) === target);
  }

  // ---- cookies

  /** Cookies set during this request: name → `Set-Cookie` value; survives `clear()`, as Tornado. */
  #newCookies: Map<string, string> | undefined;

  /** The cookies of the request (a shortcut for `this.request.cookies`). */
  get cookies(): CookieMap {
    return this.request.cookies;
  }

  /**
   * The value of the request cookie `name`, or `defaultValue` (`undefined` unless given) when
   * the client did not send it. Tornado: `get_cookie`.
   */
  getCookie(name: string): string | undefined;
  getCookie<D>(name: string, defaultValue: D): string | D;
  getCookie(name: string, defaultValue?: unknown): unknown {
    const value = this.request.cookies[name];
    return value === undefined ? defaultValue : value;
  }

  /**
   * Sets a cookie in the response (`Set-Cookie`), with `Path=/` unless `options.path` says
   * otherwise. Setting the same name again replaces the earlier cookie (with its attributes).
   * The new value is not visible to `getCookie` until the next request. Values with
   * characters such as `;`, `"` or `,` are quoted as Python does, so Tornado reads them back.
   * Tornado: `set_cookie`.
   * @throws InvalidArgumentError (`TYPHOON_ERR_BAD_COOKIE`) for an illegal name or value, or an
   *   invalid attribute; InvalidStateError once the headers were sent.
   *
   * @example
   * this.setCookie("theme", "dark", { expiresDays: 365, sameSite: "Lax" });
   * this.setCookie("session", token, { httpOnly: true, secure: true, maxAge: 3600 });
   */
  setCookie(name: string, value: string | Buffer, options: CookieOptions = {}): void {
    if (this.#headersWritten) {
      throw new InvalidStateError(`Cannot set cookie ${name} after the headers were sent (flush() was called)`, "TYPHOON_ERR_HEADERS_SENT");
    }
    const header = formatSetCookie(name, typeof value === "string" ? value : value.toString("utf8"), options);
    this.#newCookies ??= new Map();
    this.#newCookies.delete(name);
    this.#newCookies.set(name, header);
  }

  /**
   * Deletes cookie `name` in the client: sets it empty, expired a year ago, with `Max-Age=0`.
   * Pass the same `path` and `domain` (and `secure`, `sameSite`, `partitioned`) the cookie
   * was set with; browsers keep a cookie whose attributes differ. Tornado: `clear_cookie`.
   */
  clearCookie(name: string, options: Omit<CookieOptions, "expires" | "expiresDays" | "maxAge"> = {}): void {
    this.setCookie(name, "", { ...options, expires: new Date(Date.now() - 365 * 86_400_000), maxAge: 0 });
  }

  /**
   * Deletes every cookie the client sent with this request (see `clearCookie` for the
   * options). Tornado: `clear_all_cookies`.
   */
  clearAllCookies(options: Omit<CookieOptions, "expires" | "expiresDays" | "maxAge"> = {}): void {
    for (const name in this.request.cookies) this.clearCookie(name, options);
  }

  #addCookieHeaders(): void {
    const cookies = [...this.#newCookies!.values()];
    const existing = this.#headers["Set-Cookie"];
    if (existing === undefined) this.#headers["Set-Cookie"] = cookies;
    else this.#headers["Set-Cookie"] = [...(Array.isArray(existing) ? existing : [String(existing)]), ...cookies];
  }

  // ---- users, signed cookies and XSRF

  /** The XSRF token sent to the client in this request, once `xsrfToken` was read. */
  #xsrfToken: string | undefined;
  /** The token of the `_xsrf` cookie (or a new one when it has none), once needed. */
  #rawXsrfToken: RawXsrfToken | undefined;

  /**
   * Override this to send users who are not logged in somewhere else (per language, per
   * site...); `authenticated` redirects there. The default is the `loginUrl` setting.
   * Tornado: `get_login_url`.
   * @throws InvalidStateError when the `loginUrl` setting is not set.
   */
  getLoginUrl(): string {
    this.requireSetting("loginUrl", "authenticated");
    return this.settings.loginUrl!;
  }

  #cookieSecret(): CookieSecret {
    this.requireSetting("cookieSecret", "signed cookies");
    return this.settings.cookieSecret!;
  }

  /**
   * Signs and timestamps `value` for `name` with the `cookieSecret` setting (and, when it is
   * a `{version: secret}` map, the `keyVersion` setting's key), as `setSignedCookie` does, for
   * values that are not cookies; read them back with `getSignedCookie(name, value)`.
   * Tornado: `create_signed_value`.
   * @throws InvalidStateError when `cookieSecret` is not set, or is a map and `keyVersion` is not.
   */
  createSignedValue(name: string, value: string | Buffer, options: { version?: 1 | 2 } = {}): string {
    const secret = this.#cookieSecret();
    if (typeof secret !== "object" || Buffer.isBuffer(secret)) return createSignedValue(secret, name, value, options);
    const keyVersion = this.settings.keyVersion;
    if (keyVersion === undefined) {
      throw new InvalidStateError(
        "cookieSecret is a {version: secret} map, so the keyVersion setting must say which key signs new values",
        "TYPHOON_ERR_MISSING_SETTING",
      );
    }
    return createSignedValue(secret, name, value, { ...options, keyVersion });
  }

  /**
   * Sets a cookie whose value is signed and timestamped, so the client can read it but not
   * change or forge it; read it with `getSignedCookie`. The value is not encrypted: do not
   * store secrets in it. The format is Tornado's (version 2 by default), so a Python Tornado
   * application with the same `cookieSecret` reads it too. Expires in 30 days unless
   * `expiresDays` (or `expires`) says otherwise. Tornado: `set_signed_cookie`.
   *
   * @example
   * this.setSignedCookie("user", String(user.id), { httpOnly: true, sameSite: "Lax" });
   */
  setSignedCookie(name: string, value: string | Buffer, options: SignedCookieOptions = {}): void {
    const { version, expiresDays = 30, ...cookieOptions } = options;
    const signed = this.createSignedValue(name, value, version === undefined ? {} : { version });
    this.setCookie(name, signed, expiresDays === null ? cookieOptions : { ...cookieOptions, expiresDays });
  }

  /**
   * The value of signed cookie `name` (or of the signed `value` given) if its signature is
   * valid, or `null` when it is missing, forged, tampered with, signed for another name or key,
   * older than `maxAgeDays` (31) or dated in the future. Like `getCookie`, it sees the cookies
   * of the request, not those set during it. Tornado: `get_signed_cookie`.
   *
   * @example
   * override getCurrentUser() {
   *   return this.getSignedCookie("user")?.toString("utf8") ?? null;
   * }
   */
  getSignedCookie(name: string, value?: string, options: GetSignedCookieOptions = {}): Buffer | null {
    const secret = this.#cookieSecret();
    return decodeSignedValue(secret, name, value ?? this.getCookie(name), options);
  }

  /**
   * The version of the `cookieSecret` key that signed cookie `name` (or `value`), or `null`
   * for none or a version-1 value; not verified, so use it to re-sign values made with an old
   * key, not to trust them. Tornado: `get_signed_cookie_key_version`.
   */
  getSignedCookieKeyVersion(name: string, value?: string): number | null {
    this.#cookieSecret();
    const signed = value ?? this.getCookie(name);
    return signed === undefined ? null : getSignatureKeyVersion(signed);
  }

  /** Old name of `setSignedCookie`. Tornado: `set_secure_cookie`. */
  setSecureCookie(name: string, value: string | Buffer, options: SignedCookieOptions = {}): void {
    this.setSignedCookie(name, value, options);
  }

  /** Old name of `getSignedCookie`. Tornado: `get_secure_cookie`. */
  getSecureCookie(name: string, value?: string, options: GetSignedCookieOptions = {}): Buffer | null {
    return this.getSignedCookie(name, value, options);
  }

  /** Old name of `getSignedCookieKeyVersion`. Tornado: `get_secure_cookie_key_version`. */
  getSecureCookieKeyVersion(name: string, value?: string): number | null {
    return this.getSignedCookieKeyVersion(name, value);
  }

  /**
   * The XSRF token of this request's user, to send back with forms (`xsrfFormHtml()`) and
   * AJAX requests (`X-Xsrftoken` header, or an `_xsrf` member of a JSON body). The first
   * use sets the `_xsrf` cookie when the client has none (attributes from the
   * `xsrfCookieKwargs` setting; 30 days when a user is logged in and no expiry is given).
   * Version 2 tokens (the `xsrfCookieVersion` default) are masked with fresh random bytes
   * each time, so the text differs on every page (BREACH-safe) while the secret stays the
   * same; the format is Tornado's. Tornado: `xsrf_token`.
   * @throws InvalidArgumentError for an `xsrfCookieVersion` other than 1 or 2.
   */
  get xsrfToken(): string {
    if (this.#xsrfToken === undefined) {
      const raw = this.#getRawXsrfToken();
      const token = encodeXsrfToken(raw, this.settings.xsrfCookieVersion ?? 2);
      this.#xsrfToken = token;
      if (raw.version === null) {
        const options: CookieOptions = { ...this.settings.xsrfCookieKwargs };
        if (options.expiresDays === undefined && options.expires === undefined && options.maxAge === undefined && this.currentUser) {
          options.expiresDays = 30;
        }
        this.setCookie("_xsrf", token, options);
      }
    }
    return this.#xsrfToken;
  }

  /**
   * An `<input type="hidden" name="_xsrf">` element with `xsrfToken`, to put in every form
   * that POSTs to an application with `xsrfCookies` on. In templates:
   * `{% raw xsrfFormHtml() %}`. Tornado: `xsrf_form_html`.
   */
  xsrfFormHtml(): string {
    return `<input type="hidden" name="_xsrf" value="${xhtmlEscape(this.xsrfToken)}"/>`;
  }

  /**
   * Checks that the request carries the XSRF token of its `_xsrf` cookie; with the
   * `xsrfCookies` setting, Typhoon calls it before `prepare()` for every method except GET,
   * HEAD and OPTIONS. The token is read from the `_xsrf` argument (form field or query), the
   * `X-Xsrftoken` or `X-Csrftoken` header, or — **beyond** Tornado — the `_xsrf` member of a
   * JSON body; a token sent JSON-encoded (in double quotes) is accepted too. Tokens compare in
   * constant time, versions 1 and 2 alike; when the client sent several `_xsrf` cookies the
   * token must match every one. Override this to exempt a handler (e.g. one authenticated by
   * an API key, not by cookies) with an empty method. Tornado: `check_xsrf_cookie`.
   * @throws HTTPError 403 ("'_xsrf' argument missing from POST", "'_xsrf' argument has
   *   invalid format" or "XSRF cookie does not match POST argument").
   */
  checkXsrfCookie(): void {
    const submitted = this.#submittedXsrfToken();
    if (!submitted) throw new HTTPError(403, "'_xsrf' argument missing from POST");
    const token = decodeXsrfToken(submitted)?.token;
    const expected = this.#getRawXsrfToken().token;
    if (token === undefined || token.length === 0) throw new HTTPError(403, "'_xsrf' argument has invalid format");
    if (!xsrfTokensEqual(token, expected) || !this.#everyXsrfCookieMatches(token)) {
      throw new HTTPError(403, "XSRF cookie does not match POST argument");
    }
  }

  /** The token of the `_xsrf` cookie, decoded; a new random one when the cookie is missing or malformed. */
  #getRawXsrfToken(): RawXsrfToken {
    if (this.#rawXsrfToken === undefined) {
      const cookie = this.getCookie("_xsrf");
      this.#rawXsrfToken = (cookie ? decodeXsrfToken(cookie) : null) ?? generateRawXsrfToken();
    }
    return this.#rawXsrfToken;
  }

  #submittedXsrfToken(): string | undefined {
    const request = this.request;
    // A streaming handler's body has not arrived yet: only the query and headers can carry it.
    const streaming = (this.constructor as { streamRequestBody?: boolean }).streamRequestBody === true;
    const headers = request.headers;
    let token: unknown =
      (streaming ? this.getQueryArgument("_xsrf", "") : this.getArgument("_xsrf", "")) ||
      headers.get("X-Xsrftoken") ||
      headers.get("X-Csrftoken");
    if (!token && !streaming && request.body.length > 0 && isJsonMediaType(request.contentType)) {
      const body = this.getJsonBody();
      if (typeof body === "object" && body !== null && Object.hasOwn(body, "_xsrf")) token = (body as Record<string, unknown>)["_xsrf"];
    }
    if (typeof token !== "string") return undefined;
    if (token.length > 1 && token.startsWith('"') && token.endsWith('"')) {
      try {
        const decoded: unknown = JSON.parse(token);
        if (typeof decoded === "string") return decoded;
      } catch {
        // Not JSON after all: checked as sent.
      }
    }
    return token;
  }

  /**
   * With several `_xsrf` cookies (one may have been planted for a parent domain by a sibling
   * subdomain), whichever one `getCookie` picks could be the attacker's: require them all to
   * hold the submitted token.
   */
  #everyXsrfCookieMatches(token: Buffer): boolean {
    const header = this.request.headers.getList("Cookie").join("; ");
    const first = header.indexOf("_xsrf");
    if (first < 0 || header.indexOf("_xsrf", first + 1) < 0) return true;
    for (const value of cookieValues(header, "_xsrf")) {
      const raw = value ? decodeXsrfToken(value) : null;
      if (raw === null || !xsrfTokensEqual(raw.token, token)) return false;
    }
    return true;
  }

  // ---- templates

  /** `this.ui`, built on first use. */
  #ui: UINamespace | undefined;
  /** The UI module instances used by this request's pages, by name. Tornado: `_active_modules`. */
  #activeModules: Map<string, UIModule> | undefined;
  /** Whether this request already reset the template loaders (`compiledTemplateCache: false`). */
  #templateCacheChecked = false;

  /**
   * The application's UI methods bound to this handler, and `modules`, the UI modules as
   * functions (`this.ui.modules.Entry(post)` renders like `{% module Entry(post) %}`).
   * Tornado: `ui`.
   */
  get ui(): UINamespace {
    return (this.#ui ??= createUINamespace(this, (name, moduleClass) => this.#activeModule(name, moduleClass)));
  }

  #activeModule(name: string, moduleClass: UIModuleClass): UIModule {
    this.#activeModules ??= new Map();
    let module = this.#activeModules.get(name);
    if (module === undefined) {
      // The module class was registered for the application's handlers; this is one of them.
      module = new moduleClass(this as never);
      this.#activeModules.set(name, module);
    }
    return module;
  }

  /**
   * Renders template `name` with `kwargs` as the response and finishes it; the CSS and
   * JavaScript that the page's UI modules ask for are added before `</head>` and `</body>`.
   * Resolves as `finish()` does (awaiting it is optional). A template that throws sends
   * nothing of the page: the error goes through the usual pipeline (a 500, or the status of
   * an `HTTPError` thrown inside the template). Tornado: `render(template_name, **kwargs)`.
   * @throws InvalidStateError after `finish()`; the rendering error, synchronously.
   *
   * @example
   * async get() {
   *   const entries = await this.db.entries();
   *   await this.render("home.html", { entries });
   * }
   */
  render(name: string, kwargs: Readonly<Record<string, unknown>> = {}): Promise<void> {
    if (this.#finished) throw new InvalidStateError("Cannot render() after finish()", "TYPHOON_ERR_RENDER_AFTER_FINISH");
    let html = this.renderString(name, kwargs);
    if (this.#activeModules !== undefined) html = addModuleResources(this, html, this.#activeModules.values(), name);
    return this.finish(html);
  }

  /**
   * Renders template `name` with the namespace of `getTemplateNamespace()` plus `kwargs`, and
   * returns the text without writing it. Loaders are created by `createTemplateLoader` once
   * per application and template path; with `compiledTemplateCache: false` (the default under
   * `debug`) they are reset once per request, so edited templates show up at once.
   * Tornado: `render_string`.
   */
  renderString(name: string, kwargs: Readonly<Record<string, unknown>> = {}): string {
    if (!this.#templateCacheChecked) {
      this.#templateCacheChecked = true;
      if (this.settings.compiledTemplateCache === false) resetTemplateLoaders(this.application);
    }
    const template = cachedTemplateLoader(this, this.getTemplatePath() ?? "").load(name);
    const namespace = this.getTemplateNamespace();
    for (const key in kwargs) namespace[key] = kwargs[key];
    try {
      return template.generate(namespace);
    } catch (error) {
      throw unwrapRenderError(error);
    }
  }

  /**
   * Override this to add values to the namespace of every template this handler renders.
   * The default has `handler`, `request`, `currentUser`, `locale`, `_`, `pgettext`,
   * `staticUrl` and `xsrfFormHtml` (when the handler has them), `reverseUrl`, the
   * application's UI methods bound to the handler, and `modules`. Return a new object each
   * call (`render()` adds its `kwargs` to it), with the same keys each time: templates compile
   * once per set of names. Tornado: `get_template_namespace`.
   *
   * @example
   * override getTemplateNamespace() {
   *   return { ...super.getTemplateNamespace(), siteName: "Typhoon" };
   * }
   */
  getTemplateNamespace(): Record<string, unknown> {
    const namespace: Record<string, unknown> = {
      handler: this,
      request: this.request,
      currentUser: this.currentUser,
    };
    const locale = this.locale;
    namespace["locale"] = locale;
    namespace["_"] = (message: string, pluralMessage?: string, count?: number) => locale.translate(message, pluralMessage, count);
    namespace["pgettext"] = (context: string, message: string, pluralMessage?: string, count?: number) =>
      locale.pgettext(context, message, pluralMessage, count);
    const staticUrl = boundMethod(this, "staticUrl");
    if (staticUrl !== undefined) namespace["staticUrl"] = staticUrl;
    const xsrfFormHtml = boundMethod(this, "xsrfFormHtml");
    if (xsrfFormHtml !== undefined) namespace["xsrfFormHtml"] = xsrfFormHtml;
    namespace["reverseUrl"] = (name: string, ...args: unknown[]) => this.reverseUrl(name, ...args);
    const ui = this.ui;
    for (const key in ui) namespace[key] = ui[key];
    return namespace;
  }

  /**
   * Override this to render templates from another directory for this handler. The default is
   * the `templatePath` setting. Tornado: `get_template_path`.
   */
  getTemplatePath(): string | undefined {
    return this.settings.templatePath;
  }

  /**
   * Override this to load templates differently for this handler (it is called once per
   * application and template path). The default returns the `templateLoader` setting when set,
   * else a `Loader` on `templatePath` with the `autoescape` and `templateWhitespace` settings.
   * Tornado: `create_template_loader`.
   *
   * @example
   * override createTemplateLoader() {
   *   return new DictLoader({ "page.html": "<p>{{ text }}</p>" });
   * }
   */
  createTemplateLoader(templatePath: string): TemplateLoaderLike {
    return defaultTemplateLoader(this.settings, templatePath);
  }

  /**
   * Override this to change the tags of the JavaScript files UI modules need; the default is
   * one `<script src>` per file, relative paths through `staticUrl`, each file once.
   * Tornado: `render_linked_js`.
   */
  renderLinkedJs(jsFiles: readonly string[]): string {
    return linkedJs(resourceUrls(this, jsFiles));
  }

  /**
   * Override this to change how the UI modules' JavaScript code is embedded; the default is
   * one `<script>` element. Tornado: `render_embed_js`.
   */
  renderEmbedJs(jsEmbed: readonly string[]): string {
    return `<script type="text/javascript">\n//<![CDATA[\n${jsEmbed.join("\n")}\n//]]>\n</script>`;
  }

  /**
   * Override this to change the tags of the CSS files UI modules need; the default is one
   * `<link rel="stylesheet">` per file, relative paths through `staticUrl`, each file once.
   * Tornado: `render_linked_css`.
   */
  renderLinkedCss(cssFiles: readonly string[]): string {
    return linkedCss(resourceUrls(this, cssFiles));
  }

  /**
   * Override this to change how the UI modules' CSS is embedded; the default is one `<style>`
   * element. Tornado: `render_embed_css`.
   */
  renderEmbedCss(cssEmbed: readonly string[]): string {
    return `<style type="text/css">\n${cssEmbed.join("\n")}\n</style>`;
  }

  // ---------------------------------------------------------------- lifecycle

  #execute(match: MatchResult): void {
    try {
      const handlerClass = this.constructor as HandlerClass;
      const method = this.request.method;
      if (!handlerClass.SUPPORTED_METHODS.includes(method)) throw new HTTPError(405);
      this.pathArgs = match.pathArgs.map((value) => decodePathArgument(this, value));
      const kwargs: Record<string, string | undefined> = {};
      for (const name in match.pathKwargs) kwargs[name] = decodePathArgument(this, match.pathKwargs[name]);
      this.pathKwargs = kwargs;
      if (this.onConnectionClose !== RequestHandler.prototype.onConnectionClose) this.#watchClose();
      if (this.#currentUser === UNRESOLVED && this.getCurrentUser !== RequestHandler.prototype.getCurrentUser) {
        const user = this.getCurrentUser();
        if (isPromiseLike(user)) {
          user.then(
            (resolved) => {
              if (this.#currentUser === UNRESOLVED) this.#currentUser = resolved;
              this.#prepare();
            },
            (error: unknown) => this.#handleRequestException(error),
          );
          return;
        }
        this.#currentUser = user;
      }
      this.#prepare();
    } catch (error) {
      this.#handleRequestException(error);
    }
  }

  #prepare(): void {
    try {
      // ---- XSRF: checked after currentUser is resolved (an override may use it), before prepare().
      const method = this.request.method;
      if (method !== "GET" && method !== "HEAD" && method !== "OPTIONS" && this.settings.xsrfCookies) this.checkXsrfCookie();
      const prepared = this.prepare();
      if (isPromiseLike(prepared)) {
        prepared.then(
          () => this.#afterPrepare(),
          (error: unknown) => this.#handleRequestException(error),
        );
        return;
      }
      this.#afterPrepare();
    } catch (error) {
      this.#handleRequestException(error);
    }
  }

  #afterPrepare(): void {
    if (
      !this.#finished &&
      this.dataReceived !== RequestHandler.prototype.dataReceived &&
      (this.constructor as { streamRequestBody?: boolean }).streamRequestBody === true
    ) {
      this.#streamBody();
      return;
    }
    this.#callVerb();
  }

  #callVerb(): void {
    try {
      if (this.#finished) return;
      const method = this.request.method;
      const verb = (this as unknown as Record<string, unknown>)[VERB_METHODS[method] ?? method.toLowerCase()];
      if (typeof verb !== "function") throw new HTTPError(405);
      const hasKwargs = this.pathArgs.length === 0 && Object.keys(this.pathKwargs).length > 0;
      const result: unknown = hasKwargs ? verb.call(this, this.pathKwargs) : verb.apply(this, this.pathArgs);
      if (isPromiseLike(result)) {
        result.then(
          () => this.#finishIfNeeded(),
          (error: unknown) => this.#handleRequestException(error),
        );
        return;
      }
      this.#finishIfNeeded();
    } catch (error) {
      this.#handleRequestException(error);
    }
  }

  #finishIfNeeded(): void {
    try {
      if (this.#autoFinish && !this.#finished) this.#finishResponse();
    } catch (error) {
      this.#handleRequestException(error);
    }
  }

  #handleRequestException(error: unknown): void {
    if (error instanceof Finish) {
      if (!this.#finished) {
        try {
          this.#finishResponse(error.chunk);
        } catch (finishError) {
          this.#handleRequestException(finishError);
        }
      }
      return;
    }
    if (error instanceof StreamClosedError && this.request.connection?.closed) return;
    try {
      this.logException(error);
    } catch (logError) {
      appLog.error("Exception in logException", logError instanceof Error ? logError : new Error(String(logError)));
    }
    if (this.#finished) return;
    if (error instanceof HTTPError) this.sendError(error.statusCode, { exc: error });
    else if (error instanceof HTTPInputError) this.sendError(error.status, { exc: error });
    else this.sendError(500, { exc: error });
  }

  #connection(): NonNullable<HTTPServerRequest["connection"]> {
    const connection = this.request.connection;
    if (!connection) {
      throw new InvalidStateError(
        "this request has no connection to write to; build requests with a server or app.inject()",
        "TYPHOON_ERR_NO_CONNECTION",
      );
    }
    return connection;
  }

  #takeBody(): string | Buffer {
    const chunks = this.#chunks;
    if (chunks.length === 0) return "";
    this.#chunks = [];
    if (chunks.length === 1) return chunks[0]!;
    if (chunks.every((chunk) => typeof chunk === "string")) return chunks.join("");
    return Buffer.concat(chunks.map((chunk) => (typeof chunk === "string" ? Buffer.from(chunk) : chunk)));
  }

  #writeHeaders(): void {
    this.#headersWritten = true;
    if (this.#newCookies !== undefined) this.#addCookieHeaders();
    this.#connection().writeHeaders(this.#status, this.#reason, this.#headers);
  }

  #finishResponse(chunk?: string | Buffer | Uint8Array | object): void {
    if (this.#finished) throw new InvalidStateError("finish() called twice", "TYPHOON_ERR_FINISH_TWICE");
    if (chunk !== undefined && chunk !== null) this.write(chunk);
    const connection = this.#connection();
    if (!this.#headersWritten) {
      const status = this.#status;
      const method = this.request.method;
      if (status === 200 && (method === "GET" || method === "HEAD") && this.#headers["Etag"] === undefined) {
        this.setEtagHeader();
        if (this.checkEtagHeader()) {
          this.#chunks = [];
          this.setStatus(304);
        }
      }
      const headers = this.#headers;
      if (this.#status === 204 || this.#status === 304 || this.#status < 200) {
        if (this.#chunks.some((part) => part.length > 0)) {
          throw new InvalidStateError(`Cannot send a body with status ${this.#status}`, "TYPHOON_ERR_BODY_NOT_ALLOWED");
        }
        delete headers["Content-Encoding"];
        delete headers["Content-Language"];
        delete headers["Content-Type"];
      } else if (headers["Content-Length"] === undefined) {
        let length = 0;
        for (const part of this.#chunks) length += byteLength(part);
        headers["Content-Length"] = length;
      }
      let body = this.#takeBody();
      if (this.settings.compressResponse) {
        const length = byteLength(body);
        const coding = this.#startCompression(true, length);
        if (coding !== null && compressesAsync(length)) {
          this.#finishCompressedLater(coding, body, connection);
          this.#finished = true;
          this.#afterFinish();
          return;
        }
        if (coding !== null) {
          body = compressSync(coding, body);
          headers["Content-Length"] = body.length;
        }
      }
      this.#writeHeaders();
      connection.finish(method === "HEAD" ? undefined : body);
    } else {
      const body = this.#takeBody();
      const last = this.request.method === "HEAD" ? undefined : body;
      if (this.#compressor !== undefined) this.#compressor.end(last);
      else connection.finish(last);
    }
    this.#finished = true;
    this.#afterFinish();
  }

  // ---- server-sent events

  /**
   * **Beyond** Tornado: turns the response into a server-sent event stream and returns it.
   * Sets `Content-Type: text/event-stream`, `Cache-Control: no-cache` and
   * `X-Accel-Buffering: no` (so nginx does not buffer it), turns compression off and sends
   * the headers at once. The stream stays open after the verb method returns, until
   * `events.close()` or until the client goes away (`this.signal` aborts and
   * `onConnectionClose()` runs). A heartbeat comment every `heartbeat` seconds (default 15)
   * keeps proxies from closing an idle stream. `events.lastEventId` is the client's
   * `Last-Event-ID`, for resuming after a reconnection.
   * @throws InvalidStateError when the headers were already sent.
   *
   * @example
   * class ClockHandler extends RequestHandler {
   *   async get() {
   *     const events = this.sse({ retry: 5000 });
   *     while (!events.closed) {
   *       await events.send({ event: "tick", data: new Date().toISOString() });
   *       await gen.sleep(1);
   *     }
   *   }
   * }
   */
  sse(options: EventStreamOptions = {}): EventStream {
    if (this.#headersWritten) {
      throw new InvalidStateError("sse() must be called before anything is flushed", "TYPHOON_ERR_HEADERS_SENT");
    }
    this.setHeader("Content-Type", "text/event-stream");
    this.setHeader("Cache-Control", "no-cache");
    this.setHeader("X-Accel-Buffering", "no");
    this.clearHeader("Content-Length");
    this.#compressionOff = true;
    this.setAutoFinish(false);
    const stream = new EventStream(this, this.request.headers.get("Last-Event-ID"), options.heartbeat ?? 15);
    this.request.connection?.onClose(() => stopEventStream(stream));
    if (options.retry !== undefined) this.write(formatServerSentEvent({ retry: options.retry }));
    this.flush().catch(() => undefined);
    return stream;
  }

  // ---- compression

  /** Compresses what `flush()` sends, once it decided to. */
  #compressor: StreamingCompressor | undefined;
  /** Set by `sse()`: event streams are never compressed. */
  #compressionOff = false;

  /**
   * Decides whether to compress the response (the `compressResponse` setting is on): adds
   * `Vary: Accept-Encoding` as Tornado does, and for a compressible type the client accepts
   * (at least 1 KiB when `finishing`) sets `Content-Encoding` and makes the ETag weak.
   */
  #startCompression(finishing: boolean, length: number): ContentCoding | null {
    const headers = this.#headers;
    addVaryAcceptEncoding(headers);
    const status = this.#status;
    if (this.#compressionOff || status < 200 || status === 204 || status === 206 || status === 304) return null;
    if (headers["Content-Encoding"] !== undefined || headers["Content-Range"] !== undefined) return null;
    if (!isCompressibleType(headers["Content-Type"])) return null;
    if (finishing && length < MIN_COMPRESS_LENGTH) return null;
    const connection = this.request.connection;
    const coding = negotiateContentCoding(connection ? connection.req.headers["accept-encoding"] : this.request.headers.get("Accept-Encoding"));
    if (coding === null) return null;
    headers["Content-Encoding"] = coding;
    // The compressed bytes differ from the identity ones, so a strong validator would be wrong
    // (RFC 9110 8.8.1); If-None-Match compares weakly, so 304s keep working.
    const etag = headers["Etag"];
    if (typeof etag === "string" && etag.startsWith('"')) headers["Etag"] = `W/${etag}`;
    return coding;
  }

  #startStreamingCompression(connection: HTTPConnection): void {
    const coding = this.#startCompression(false, 0);
    if (coding === null) return;
    delete this.#headers["Content-Length"];
    if (this.request.method === "HEAD") return;
    const compressor = new StreamingCompressor(
      coding,
      (chunk) => void connection.write(chunk).catch(() => undefined),
      () => connection.finish(),
      (error) => {
        appLog.error(`Response compression failed: ${this.#requestSummary()}`, error);
        connection.abort();
      },
    );
    connection.onClose(() => compressor.destroy());
    this.#compressor = compressor;
  }

  #finishCompressedLater(coding: ContentCoding, body: string | Buffer, connection: HTTPConnection): void {
    const head = this.request.method === "HEAD";
    compressAsync(coding, body, (error, compressed) => {
      if (error) {
        appLog.error(`Response compression failed: ${this.#requestSummary()}`, error);
        connection.abort();
        return;
      }
      this.#headers["Content-Length"] = compressed.length;
      this.#writeHeaders();
      connection.finish(head ? undefined : compressed);
    });
  }

  #afterFinish(): void {
    this.request.finishTime = performance.now();
    this.application.logRequest(this);
    try {
      this.onFinish();
    } catch (error) {
      appLog.error("Uncaught exception in onFinish", error instanceof Error ? error : new Error(String(error)));
    }
  }

  #handOverResponse(): void {
    this.#finished = true;
    this.#headersWritten = true;
    const res = this.#connection().res;
    if (res.writableFinished || res.destroyed) {
      this.#afterFinish();
      return;
    }
    let done = false;
    const finished = (): void => {
      if (done) return;
      done = true;
      this.#status = res.statusCode;
      this.#reason = res.statusMessage;
      this.#afterFinish();
    };
    res.once("finish", finished);
    res.once("close", finished);
  }

  #watchClose(): void {
    const connection = this.request.connection;
    if (this.#watchingClose || !connection) return;
    this.#watchingClose = true;
    connection.onClose(() => {
      this.#abortController?.abort(new StreamClosedError("the client closed the connection"));
      try {
        this.onConnectionClose();
      } catch (error) {
        appLog.error("Uncaught exception in onConnectionClose", error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  /** `GET /path (127.0.0.1)`, the summary used in log lines. Tornado: `_request_summary`. */
  #requestSummary(): string {
    return `${this.request.method} ${this.request.uri} (${this.request.remoteIp})`;
  }

  /** True once the response is finished. */
  get finished(): boolean {
    return this.#finished;
  }

  /** True once the status line and headers were sent. */
  get headersWritten(): boolean {
    return this.#headersWritten;
  }

  /**
   * Turns automatic finishing off (or on): when off, the response stays open after the verb
   * method returns until `finish()` is called. Used by long-lived handlers.
   */
  setAutoFinish(autoFinish: boolean): void {
    this.#autoFinish = autoFinish;
  }
}

function checkHeaderName(name: string): string {
  if (!HEADER_NAME_RE.test(name) || name === "__proto__") {
    throw new InvalidArgumentError(`invalid header name ${JSON.stringify(name)}: use letters, digits and -`, "TYPHOON_ERR_BAD_HEADER");
  }
  return canonicalHeaderName(name);
}

function convertHeaderValue(value: string | number | Date): string {
  let text: string;
  if (typeof value === "string") text = value;
  else if (typeof value === "number") text = String(value);
  else if (value instanceof Date) text = value.toUTCString();
  else throw new TypeError(`unsupported header value ${String(value)}: use a string, number or Date`);
  if (UNSAFE_HEADER_VALUE_RE.test(text)) {
    throw new InvalidArgumentError(
      `unsafe header value ${JSON.stringify(text.slice(0, 60))}: control characters (CR, LF...) and non-Latin-1 ` +
        "text are not allowed in headers; URL-encode the value",
      "TYPHOON_ERR_BAD_HEADER",
    );
  }
  return text;
}

function decodePathArgument(handler: RequestHandler, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!value.includes("%")) return handler.decodeArgument(value);
  let decoded: string;
  try {
    decoded = strictUtf8.decode(urlUnescapeToBuffer(value, false));
  } catch {
    throw new HTTPError(400, `Invalid unicode in path argument ${JSON.stringify(value.slice(0, 40))}`);
  }
  return handler.decodeArgument(decoded);
}

function formatTraceback(error: unknown): string {
  let text = error instanceof Error ? (error.stack ?? String(error)) : String(error);
  let cause = error instanceof Error ? error.cause : undefined;
  for (let depth = 0; cause !== undefined && depth < 5; depth++) {
    text += `\n\nCaused by: ${cause instanceof Error ? (cause.stack ?? String(cause)) : String(cause)}`;
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return `${text}\n`;
}
