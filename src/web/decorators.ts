// Ports tornado.web's method decorators: authenticated, addslash, removeslash.

import { urlEscape } from "../util/escape.js";
import { Finish, HTTPError } from "./errors.js";
import type { RequestHandler } from "./request-handler.js";

/** A handler method (verb method or `prepare`) as the decorators take and return it. */
export type HandlerMethod<This extends RequestHandler, Args extends unknown[], R> = (this: This, ...args: Args) => R;

// Python's urlsplit: a scheme is a letter, then letters, digits, `+`, `-` or `.`, then `:`.
const SCHEME_RE = /^[A-Za-z][A-Za-z0-9+.-]*:/;
// Browsers read `\` as `/` and drop tabs and newlines, so any mix of these at the start of a
// Location would make it a protocol-relative URL (`//evil.example/`): an open redirect.
const LEADING_SLASHES_RE = /^[/\\\t\r\n]+/;

// An absolute-form request target (`GET http://host/path HTTP/1.1`) starts with these.
const ORIGIN_RE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/;

/**
 * Makes a request path (or URI) safe to redirect to on this site: an absolute-form target
 * loses its scheme and host, and leading slashes (and backslashes) are collapsed into one, so
 * `//evil.example/` stays a path instead of naming another host.
 */
function localPath(path: string): string {
  const origin = ORIGIN_RE.exec(path);
  const local = origin === null ? path : path.slice(origin[0].length);
  return `/${local}`.replace(LEADING_SLASHES_RE, "/");
}

function isGetOrHead(handler: RequestHandler): boolean {
  const method = handler.request.method;
  return method === "GET" || method === "HEAD";
}

function named<F extends Function>(wrapper: F, method: Function): F {
  Object.defineProperty(wrapper, "name", { value: method.name, configurable: true });
  return wrapper;
}

/**
 * Requires a logged-in user (a truthy `currentUser`, as Tornado) for a handler method. Without
 * one, GET and HEAD are redirected (302) to `getLoginUrl()` with `next=` set to where the user
 * was going — the request's URI, or its full URL when the login URL is absolute (has a scheme);
 * a login URL that already has a query is used as it is. Other methods get 403.
 * Works as a TypeScript method decorator and as a plain wrapper; applying it to a method of a
 * class that is not a `RequestHandler` is a compile error. Tornado: `@tornado.web.authenticated`.
 *
 * @example
 * class ProfileHandler extends RequestHandler<User> {
 *   @authenticated
 *   get() { this.write(`Hello, ${this.currentUser!.name}`); }
 *   // without decorator syntax:
 *   post = authenticated(async function (this: ProfileHandler) { ... });
 * }
 */
export function authenticated<This extends RequestHandler, Args extends unknown[], R>(
  method: HandlerMethod<This, Args, R>,
  _context?: ClassMethodDecoratorContext<This, HandlerMethod<This, Args, R>>,
): HandlerMethod<This, Args, R> {
  return named(function (this: This, ...args: Args): R {
    if (!this.currentUser) {
      if (!isGetOrHead(this)) throw new HTTPError(403);
      let url = this.getLoginUrl();
      if (!url.includes("?")) {
        const next = SCHEME_RE.test(url) ? this.request.fullUrl() : localPath(this.request.uri);
        url += `?next=${urlEscape(next)}`;
      }
      this.redirect(url);
      throw new Finish();
    }
    return method.apply(this, args);
  }, method);
}

/**
 * Redirects (301) GET and HEAD requests whose path ends in `/` to the path without it (query
 * kept); other methods get 404. `/` itself is left alone. Use it with a rule such as `/foo/*`.
 * A path like `//evil.example/` is redirected to `/evil.example`, never to another host.
 * Works as a method decorator and as a plain wrapper. Tornado: `@tornado.web.removeslash`.
 *
 * @example
 * class PageHandler extends RequestHandler {
 *   @removeslash
 *   get() { this.write("page"); }
 * }
 */
export function removeslash<This extends RequestHandler, Args extends unknown[], R>(
  method: HandlerMethod<This, Args, R>,
  _context?: ClassMethodDecoratorContext<This, HandlerMethod<This, Args, R>>,
): HandlerMethod<This, Args, R> {
  return named(function (this: This, ...args: Args): R {
    const { path, query } = this.request;
    if (path.endsWith("/")) {
      if (!isGetOrHead(this)) throw new HTTPError(404);
      let uri = path.replace(/\/+$/, "");
      if (uri) {
        uri = localPath(uri);
        if (query) uri += `?${query}`;
        this.redirect(uri, true);
        throw new Finish();
      }
    }
    return method.apply(this, args);
  }, method);
}

/**
 * Redirects (301) GET and HEAD requests whose path does not end in `/` to the path with it
 * (query kept); other methods get 404. Use it with a rule such as `/foo/?`. A path like
 * `//evil.example` is redirected to `/evil.example/`, never to another host.
 * Works as a method decorator and as a plain wrapper. Tornado: `@tornado.web.addslash`.
 *
 * @example
 * class DirectoryHandler extends RequestHandler {
 *   @addslash
 *   get() { this.write("listing"); }
 * }
 */
export function addslash<This extends RequestHandler, Args extends unknown[], R>(
  method: HandlerMethod<This, Args, R>,
  _context?: ClassMethodDecoratorContext<This, HandlerMethod<This, Args, R>>,
): HandlerMethod<This, Args, R> {
  return named(function (this: This, ...args: Args): R {
    const { path, query } = this.request;
    if (!path.endsWith("/")) {
      if (!isGetOrHead(this)) throw new HTTPError(404);
      let uri = localPath(`${path}/`);
      if (query) uri += `?${query}`;
      this.redirect(uri, true);
      throw new Finish();
    }
    return method.apply(this, args);
  }, method);
}
