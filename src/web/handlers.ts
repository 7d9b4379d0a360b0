// Ports tornado.web's built-in handlers: ErrorHandler, RedirectHandler, FallbackHandler.

import type { IncomingMessage, ServerResponse } from "node:http";
import { urlEscape } from "../util/escape.js";
import { HTTPError } from "./errors.js";
import { handOverResponse, RequestHandler } from "./request-handler.js";

/** `initialize` arguments of {@link ErrorHandler}. */
export interface ErrorHandlerArgs {
  statusCode: number;
}

/**
 * Answers every request with an error status (404 for unmatched paths by default).
 * POSTs are not XSRF-checked, so a POST to a wrong URL gets 404, not 403.
 * Tornado: `tornado.web.ErrorHandler`.
 */
export class ErrorHandler extends RequestHandler {
  #statusCode = 404;

  override initialize({ statusCode }: ErrorHandlerArgs): void {
    this.#statusCode = statusCode;
    this.setStatus(statusCode);
  }

  override prepare(): void {
    throw new HTTPError(this.#statusCode);
  }

  /** An error page has no side effects, so no XSRF token is needed. */
  override checkXsrfCookie(): void {}
}

/** `initialize` arguments of {@link RedirectHandler}. */
export interface RedirectHandlerArgs {
  /**
   * Where to redirect; `{0}`, `{1}`... are replaced by the path groups and `{name}` by named
   * groups, as Python's `str.format`.
   */
  url: string;
  /** 301 when true (the default), 302 otherwise. */
  permanent?: boolean;
}

/**
 * Redirects every GET to a fixed or pattern-built URL, keeping the query arguments.
 * Tornado: `tornado.web.RedirectHandler`.
 *
 * @example ["/photos/(.*)", RedirectHandler, { url: "/pictures/{0}" }]
 */
export class RedirectHandler extends RequestHandler {
  #url = "";
  #permanent = true;

  override initialize({ url, permanent = true }: RedirectHandlerArgs): void {
    this.#url = url;
    this.#permanent = permanent;
  }

  get(...args: unknown[]): void {
    const named = args.length === 1 && typeof args[0] === "object" && args[0] !== null ? (args[0] as Record<string, unknown>) : {};
    let target = this.#url.replace(/\{(\w*)\}/g, (whole, key: string) => {
      const value = /^\d+$/.test(key) ? args[Number(key)] : named[key];
      return value === undefined ? whole : String(value);
    });
    const query = this.request.queryArguments;
    const pairs: string[] = [];
    for (const name in query) for (const value of query[name]!) pairs.push(`${urlEscape(name)}=${urlEscape(value)}`);
    if (pairs.length > 0) target += (target.includes("?") ? "&" : "?") + pairs.join("&");
    this.redirect(target, this.#permanent);
  }
}

/** `initialize` arguments of {@link FallbackHandler}. */
export interface FallbackHandlerArgs {
  /** A Node request listener: an Express or Koa app's callback, a `connect` middleware stack... */
  fallback: (req: IncomingMessage, res: ServerResponse) => void;
}

/**
 * **Beyond** Tornado (whose FallbackHandler wraps WSGI apps): hands the request to any
 * Node `(req, res)` listener, e.g. an Express app mounted under a path. The body is left
 * unread for it, and the request appears in Typhoon's access log when it finishes.
 * Tornado: `tornado.web.FallbackHandler`.
 *
 * @example [String.raw`/legacy/.*`, FallbackHandler, { fallback: expressApp }]
 */
export class FallbackHandler extends RequestHandler {
  /** The body is the fallback's to read. */
  static readonly streamRequestBody = true;
  #fallback: FallbackHandlerArgs["fallback"] | undefined;

  override initialize({ fallback }: FallbackHandlerArgs): void {
    this.#fallback = fallback;
  }

  override prepare(): void {
    const connection = this.request.connection!;
    handOverResponse(this);
    this.#fallback!(connection.req, connection.res);
  }
}
