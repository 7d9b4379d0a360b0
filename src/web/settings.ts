// Ports the settings dictionary of tornado.web.Application as a typed interface.

import type { BodyLimits } from "../http/body.js";
import type { CookieOptions } from "../http/cookies.js";
import type { TemplateLoaderLike } from "../template/index.js";
import type { RequestHandler, HandlerClass } from "./request-handler.js";
import type { CookieSecret } from "./signed-value.js";
import type { StaticFileHandlerClass } from "./static-file-handler.js";
import type { UIMethodMap, UIModuleMap } from "./ui-modules.js";

/**
 * Application settings: Tornado's settings with camelCase names. Unknown keys are kept and
 * reach handlers through `this.settings`; to have your own keys typed, add them by
 * declaration merging:
 *
 * @example
 * declare module "typhoon" {
 *   interface ApplicationSettings { databaseUrl?: string }
 * }
 */
export interface ApplicationSettings {
  /** Restart the process when a source file changes (see `autoreload`). Implied by `debug`. */
  autoreload?: boolean;
  /**
   * Development mode: turns on `autoreload` and `serveTraceback`, turns off
   * `compiledTemplateCache` and `staticHashCache` (each unless set explicitly).
   */
  debug?: boolean;
  /** Compress responses (gzip, or brotli when the client prefers it). Tornado: `compress_response`. */
  compressResponse?: boolean;
  /** Old name of `compressResponse`. */
  gzip?: boolean;
  /** Error pages show the JavaScript stack of the error. Implied by `debug`. */
  serveTraceback?: boolean;
  /** Replaces the access log: called with every finished handler. Tornado: `log_function`. */
  logFunction?: (handler: RequestHandler) => void;
  /** Handler for requests no rule matches (instead of a 404). */
  defaultHandlerClass?: HandlerClass;
  /** `initialize` arguments for `defaultHandlerClass`. */
  defaultHandlerArgs?: unknown;
  /**
   * Secret that signs cookies (`setSignedCookie`) and other signed values: a long random
   * string, the same in every process (and in a Python Tornado service that shares the
   * cookies). For key rotation, a map `{version: secret}` with `keyVersion` naming the key
   * that signs new values; values signed with the other keys still read. Tornado: `cookie_secret`.
   *
   * @example
   * { cookieSecret: { 1: process.env.OLD_SECRET!, 2: process.env.NEW_SECRET! }, keyVersion: 2 }
   */
  cookieSecret?: CookieSecret;
  /** The key of a `{version: secret}` `cookieSecret` that signs new values. Tornado: `key_version`. */
  keyVersion?: number;
  /** Where `authenticated` sends users who are not logged in (see `getLoginUrl`). Tornado: `login_url`. */
  loginUrl?: string;
  /**
   * Check an XSRF token (`checkXsrfCookie`) on every request except GET, HEAD and OPTIONS:
   * forms carry `xsrfFormHtml()`, scripts the `X-Xsrftoken` header or a JSON `_xsrf` member.
   * Tornado: `xsrf_cookies`.
   */
  xsrfCookies?: boolean;
  /** Format of new XSRF tokens: 2 (masked, default) or 1. Tornado: `xsrf_cookie_version`. */
  xsrfCookieVersion?: 1 | 2;
  /**
   * Attributes of the `_xsrf` cookie, e.g. `{secure: true, sameSite: "Strict"}` (keep it
   * readable by scripts: no `httpOnly` if AJAX code copies it into a header).
   * Tornado: `xsrf_cookie_kwargs`.
   */
  xsrfCookieKwargs?: CookieOptions;
  /** Name of the default escaping function of templates, or `null` for none. Default `xhtmlEscape`. */
  autoescape?: string | null;
  /** Keep compiled templates between requests. Default true; false with `debug`. */
  compiledTemplateCache?: boolean;
  /** Directory of template files. */
  templatePath?: string;
  /** A loader to use instead of one built from `templatePath`. */
  templateLoader?: TemplateLoaderLike;
  /** Whitespace mode of templates: `all`, `single` or `oneline`. */
  templateWhitespace?: "all" | "single" | "oneline";
  /** Cache the content hashes of static files. Default true; false with `debug`. */
  staticHashCache?: boolean;
  /** Directory served under `staticUrlPrefix`. */
  staticPath?: string;
  /** URL prefix of static files. Default `/static/`. */
  staticUrlPrefix?: string;
  /**
   * Handler class serving static files (a `StaticFileHandler` subclass); its `makeStaticUrl`
   * makes `staticUrl`'s URLs. Default `StaticFileHandler` (filled in by `Application` when
   * `staticPath` is set).
   */
  staticHandlerClass?: StaticFileHandlerClass;
  /** Extra `initialize` arguments of the static handler, e.g. `{ defaultFilename: "index.html" }`. */
  staticHandlerArgs?: Readonly<Record<string, unknown>>;
  /**
   * UI modules usable as `{% module Name(...) %}`: name → `UIModule` subclass, or an array of
   * such maps (e.g. `import * as uiModules from "./ui-modules.js"`). Tornado: `ui_modules`.
   */
  uiModules?: UIModuleMap | readonly UIModuleMap[];
  /**
   * Functions usable in templates by name, called with the handler first
   * (`{{ formatPrice(9.5) }}` calls `formatPrice(handler, 9.5)`): a map or an array of maps;
   * names starting with `_` or an upper-case letter are skipped. Tornado: `ui_methods`.
   */
  uiMethods?: UIMethodMap | readonly UIMethodMap[];
  /** Seconds between WebSocket pings; 0 or unset for none. */
  websocketPingInterval?: number;
  /** Seconds without a pong after which a WebSocket is closed. */
  websocketPingTimeout?: number;
  /** Largest incoming WebSocket message, in bytes. Default 10 MiB. */
  websocketMaxMessageSize?: number;
  // ---- request data
  /**
   * **Beyond** Tornado: limits on parsing request data — fields of query strings and form
   * bodies, multipart parts and their sizes, JSON size (see `BodyLimits` for each and its
   * default). A handler class can override them with `static bodyLimits`. Over a limit the
   * client gets 400 or 413.
   *
   * @example
   * new Application(rules, { bodyLimits: { maxParts: 500, maxFileSize: 20 * 1024 * 1024 } });
   */
  bodyLimits?: Partial<BodyLimits>;
}

/** Applies the settings implied by others: `debug` → development defaults, `gzip` → `compressResponse`. */
export function resolveSettings(settings: ApplicationSettings): ApplicationSettings {
  const resolved: ApplicationSettings = { ...settings };
  if (resolved.debug) {
    resolved.autoreload ??= true;
    resolved.compiledTemplateCache ??= false;
    resolved.staticHashCache ??= false;
    resolved.serveTraceback ??= true;
  }
  if (resolved.gzip) resolved.compressResponse ??= true;
  return resolved;
}
