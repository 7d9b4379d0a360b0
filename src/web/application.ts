// Ports tornado.web.Application: routing rules, settings, the request entry point and the access log.

import { type IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { type BodyLimits, DEFAULT_BODY_LIMITS, mergeBodyLimits } from "../http/body.js";
import { type ConnectionSettings, defaultConnectionSettings, HTTPConnection } from "../http/connection.js";
import { HTTPServerRequest } from "../http/request.js";
import { HTTPServer, type HTTPServerOptions, type RequestCallback, type RequestDelegate } from "../http/server.js";
import * as autoreload from "../process/autoreload.js";
import { InvalidArgumentError, InvalidStateError } from "../util/errors.js";
import { accessLog, appLog, LogLevel } from "../util/log.js";
import { ErrorHandler } from "./handlers.js";
import { type InjectOptions, type InjectResponse, injectRequest } from "./inject.js";
import { executeHandler, failHandler, type HandlerClass, RequestHandler } from "./request-handler.js";
import {
  AnyMatches,
  HostMatches,
  type MatchResult,
  type ReversibleRouter,
  ReversibleRuleRouter,
  type RouteMatch,
  Rule,
  type RuleSpec,
} from "./routing.js";
import { type ApplicationSettings, resolveSettings } from "./settings.js";
import { StaticFileHandler } from "./static-file-handler.js";
import { templateLoaderResetter } from "./template-rendering.js";
import { loadUIMethods, loadUIModules, type UIMethod, type UIModuleMap } from "./ui-modules.js";

/**
 * A rule of an application: `[pattern, HandlerClass]`, `[pattern, HandlerClass, initArgs]`,
 * `[pattern, HandlerClass, initArgs, name]`, `url(...)`, or any `Rule`. A target may also be
 * a nested list of rules, a router, a request delegate or a function of the request.
 */
export type ApplicationRule = RuleSpec;

/** A handler class that streams its request body instead of having it read in advance. */
interface StreamingHandlerClass extends HandlerClass {
  readonly streamRequestBody?: boolean;
  readonly bodyLimits?: Partial<BodyLimits> | undefined;
}

function isHandlerClass(target: unknown): target is StreamingHandlerClass {
  return typeof target === "function" && (target === RequestHandler || target.prototype instanceof RequestHandler);
}

function isDelegate(target: unknown): target is RequestDelegate {
  return typeof (target as RequestDelegate | null)?.handleRequest === "function";
}

/**
 * A web application: the routing table and the settings, and the delegate an `HTTPServer`
 * hands requests to. Rules are matched in order against the request path; host-specific
 * rules added with `addHandlers` are checked first. Tornado: `tornado.web.Application`.
 *
 * @example
 * const app = new Application([
 *   ["/", MainHandler],
 *   ["/user/(\\d+)", UserHandler, { database }],
 * ], { cookieSecret: process.env.COOKIE_SECRET });
 * await app.listen(8888);
 */
export class Application implements ReversibleRouter, RequestDelegate {
  /** The settings given to the constructor, with `debug`'s implications applied. */
  readonly settings: ApplicationSettings;
  /** The rules for any host (those given to the constructor). Tornado: `wildcard_router`. */
  readonly wildcardRouter: ReversibleRuleRouter;
  /** Host rules, then the wildcard router. Tornado: `default_router`. */
  readonly defaultRouter: ReversibleRuleRouter;
  readonly #connectionSettings: ConnectionSettings = defaultConnectionSettings();
  // ---- templates
  /**
   * The UI modules templates can use, by name: the built-in `Template` and `linkify`, then
   * the `uiModules` setting's. Tornado: `ui_modules`.
   */
  readonly uiModules: UIModuleMap;
  /** The UI methods of the `uiMethods` setting, by name. Tornado: `ui_methods`. */
  readonly uiMethods: Readonly<Record<string, UIMethod>>;
  readonly #bodyLimits: BodyLimits;
  readonly #handlerBodyLimits = new WeakMap<StreamingHandlerClass, BodyLimits>();

  constructor(rules: readonly ApplicationRule[] = [], settings: ApplicationSettings = {}) {
    this.settings = resolveSettings(settings);
    this.uiModules = loadUIModules(this.settings.uiModules);
    this.uiMethods = loadUIMethods(this.settings.uiMethods);
    this.#bodyLimits = mergeBodyLimits(DEFAULT_BODY_LIMITS, this.settings.bodyLimits);
    this.wildcardRouter = new ReversibleRuleRouter(staticRules(this.settings).concat(rules));
    this.defaultRouter = new ReversibleRuleRouter([new Rule(new AnyMatches(), this.wildcardRouter)]);
    if (this.settings.autoreload) {
      // Edited templates are recompiled on their next render, and edited static files get new
      // versions in staticUrl, without a restart.
      if (this.settings.templatePath) autoreload.watchWithoutRestart(this.settings.templatePath, templateLoaderResetter(this));
      const staticHandlerClass = this.settings.staticHandlerClass;
      if (this.settings.staticPath && staticHandlerClass) autoreload.watchWithoutRestart(this.settings.staticPath, () => staticHandlerClass.reset());
      autoreload.start();
    }
  }

  /**
   * Adds rules that apply only to requests whose host name matches `hostPattern` (a regex,
   * anchored at both ends); host rules are checked in the order added, before the rules
   * given to the constructor. Tornado: `add_handlers`.
   */
  addHandlers(hostPattern: string | RegExp, rules: readonly ApplicationRule[]): void {
    const hostRule = new Rule(new HostMatches(hostPattern), new ReversibleRuleRouter(rules));
    this.defaultRouter.insertRule(this.defaultRouter.rules.length - 1, hostRule);
  }

  /**
   * The matching route for a request: host rules first, then the wildcard rules; with no
   * match, `defaultHandlerClass` or a 404 `ErrorHandler`. Tornado: `find_handler`.
   */
  findHandler(request: HTTPServerRequest): RouteMatch {
    const router = this.defaultRouter.rules.length === 1 ? this.wildcardRouter : this.defaultRouter;
    const found = router.findHandler(request);
    if (found) return found;
    const defaultClass = this.settings.defaultHandlerClass;
    if (defaultClass) {
      return { target: defaultClass, targetKwargs: this.settings.defaultHandlerArgs, pathArgs: [], pathKwargs: {} };
    }
    return { target: ErrorHandler, targetKwargs: NOT_FOUND, pathArgs: [], pathKwargs: {} };
  }

  /**
   * The URL path of the rule named `name`, with `args` URL-escaped into its groups.
   * Tornado: `reverse_url`.
   * @throws InvalidArgumentError when no rule has that name or the arguments do not fit.
   */
  reverseUrl(name: string, ...args: unknown[]): string {
    const reversed = this.defaultRouter.reverseUrl(name, ...args);
    if (reversed === null) {
      throw new InvalidArgumentError(
        `${name} not found in named urls: give the rule a name with url(pattern, Handler, initArgs, "${name}")`,
        "TYPHOON_ERR_UNKNOWN_URL_NAME",
      );
    }
    return reversed;
  }

  /**
   * Answers one request: finds the rule, reads the body (unless the handler streams it),
   * then runs the handler. This is the `HTTPServer` delegate entry point.
   */
  handleRequest(request: HTTPServerRequest): void | Promise<void> {
    const route = this.findHandler(request);
    const target = route.target;
    if (isHandlerClass(target)) return this.#runHandler(target, route.targetKwargs, route, request);
    if (typeof target === "function") return (target as RequestCallback)(request);
    if (isDelegate(target)) return target.handleRequest(request);
    throw new InvalidStateError(`cannot route to ${String(target)}: a target is a handler class, router, delegate or function`);
  }

  /**
   * A request delegate that runs `handlerClass` of this application, for custom routers that
   * send requests to handlers of several applications. Tornado: `get_handler_delegate`.
   *
   * @example
   * findHandler(request) {
   *   return { target: app.getHandlerDelegate(PageHandler), targetKwargs: undefined, pathArgs: [], pathKwargs: {} };
   * }
   */
  getHandlerDelegate(
    handlerClass: HandlerClass,
    initArgs?: unknown,
    pathArgs: readonly (string | undefined)[] = [],
    pathKwargs: Readonly<Record<string, string | undefined>> = {},
  ): RequestDelegate {
    const match: MatchResult = { pathArgs, pathKwargs };
    return { handleRequest: (request) => this.#runHandler(handlerClass, initArgs, match, request) };
  }

  #runHandler(handlerClass: StreamingHandlerClass, initArgs: unknown, match: MatchResult, request: HTTPServerRequest): void {
    const connection = request.connection;
    if (this.#bodyLimits !== DEFAULT_BODY_LIMITS || handlerClass.bodyLimits !== undefined) request.bodyLimits = this.#limitsFor(handlerClass);
    if (
      connection !== undefined &&
      !handlerClass.streamRequestBody &&
      request.body.length === 0 &&
      connection.hasBody() &&
      handlerClass.SUPPORTED_METHODS.includes(request.method)
    ) {
      connection.readBody().then(
        (body) => {
          request.body = body;
          this.#startHandler(handlerClass, initArgs, match, request);
        },
        (error: unknown) => {
          const handler = this.#createHandler(handlerClass, initArgs, request);
          if (handler) failHandler(handler, error);
        },
      );
      return;
    }
    this.#startHandler(handlerClass, initArgs, match, request);
  }

  // ---- request data

  /** The application's `bodyLimits` with the handler class's `static bodyLimits` over them. */
  #limitsFor(handlerClass: StreamingHandlerClass): BodyLimits {
    let limits = this.#handlerBodyLimits.get(handlerClass);
    if (limits === undefined) {
      limits = mergeBodyLimits(this.#bodyLimits, handlerClass.bodyLimits);
      this.#handlerBodyLimits.set(handlerClass, limits);
    }
    return limits;
  }

  #startHandler(handlerClass: HandlerClass, initArgs: unknown, match: MatchResult, request: HTTPServerRequest): void {
    const handler = this.#createHandler(handlerClass, initArgs, request);
    if (handler) executeHandler(handler, match);
  }

  #createHandler(handlerClass: HandlerClass, initArgs: unknown, request: HTTPServerRequest): RequestHandler | null {
    let handler: RequestHandler | undefined;
    try {
      handler = new handlerClass(this, request);
      handler.initialize(initArgs);
      return handler;
    } catch (error) {
      failHandler(handler ?? new RequestHandler(this, request), error);
      return null;
    }
  }

  /**
   * Writes the access-log line of a finished request — `200 GET /path (127.0.0.1) 1.23ms`,
   * info for 1xx-3xx, warning for 4xx, error for 5xx — or calls the `logFunction` setting.
   * Override this (or set `logFunction`) to log differently. Tornado: `log_request`.
   */
  logRequest(handler: RequestHandler): void {
    const logFunction = this.settings.logFunction;
    if (logFunction) {
      logFunction(handler);
      return;
    }
    const status = handler.getStatus();
    const level = status < 400 ? LogLevel.INFO : status < 500 ? LogLevel.WARNING : LogLevel.ERROR;
    if (!accessLog.isEnabledFor(level)) return;
    const request = handler.request;
    const milliseconds = (request.requestTime() * 1000).toFixed(2);
    accessLog.log(level, `${status} ${request.method} ${request.uri} (${request.remoteIp}) ${milliseconds}ms`);
  }

  /**
   * Starts an `HTTPServer` for this application on `port` (and `address`, default all
   * interfaces) and resolves with it once listening. Tornado: `listen`.
   */
  async listen(port: number, address?: string, serverOptions: HTTPServerOptions = {}): Promise<HTTPServer> {
    const server = new HTTPServer(this, serverOptions);
    await server.listen(port, address);
    if (this.settings.autoreload) autoreload.addReloadHook(() => void server.stop({ timeout: 0 }));
    return server;
  }

  /**
   * **Beyond** Tornado: answers a request in-process, with no socket — routing, handlers,
   * errors and logging run exactly as for a real request. For fast unit tests.
   *
   * @example
   * const response = await app.inject({ url: "/user/42" });
   * assert.equal(response.code, 200);
   */
  inject(options: InjectOptions): Promise<InjectResponse> {
    return injectRequest(this, this.#connectionSettings, options);
  }

  // ---- protocol upgrades (WebSocket)

  /**
   * Answers a request that asks to switch protocols (the server's `upgrade` event). It is
   * routed and handled like any other request — `initialize`, `getCurrentUser()`, `prepare()`
   * and `authenticated` run first, so a handler can still refuse with 401 or 403 — with the
   * raw socket on `request.connection.upgrade` for a handler such as `WebSocketHandler` to
   * take over. Any other handler answers with an ordinary response (a 404 for unknown paths),
   * after which the connection is closed.
   */
  handleUpgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    settings: ConnectionSettings = this.#connectionSettings,
  ): void {
    // Node removed its own listeners from the socket before the upgrade event: a reset
    // connection must not become an uncaught error.
    socket.on("error", destroyUpgradeSocket);
    const res = new ServerResponse(req);
    res.assignSocket(socket as Socket);
    res.once("finish", () => {
      socket.once("finish", destroyUpgradeSocket);
      socket.end();
    });
    const connection = new HTTPConnection(req, res, settings, { socket, head });
    connection.closeAfterResponse();
    const request = new HTTPServerRequest({ connection });
    try {
      const result = this.handleRequest(request);
      if (result instanceof Promise) result.catch((error: unknown) => failUpgrade(res, error));
    } catch (error) {
      failUpgrade(res, error);
    }
  }
}

/**
 * With the `staticPath` setting: the rules serving it under `staticUrlPrefix`, `/favicon.ico`
 * and `/robots.txt`, checked before the application's own, as Tornado. Fills in the default
 * `staticHandlerClass`, which `staticUrl` uses.
 */
function staticRules(settings: ApplicationSettings): ApplicationRule[] {
  const staticPath = settings.staticPath;
  if (!staticPath) return [];
  const handlerClass = (settings.staticHandlerClass ??= StaticFileHandler);
  const initArgs = { ...settings.staticHandlerArgs, path: staticPath };
  const prefix = (settings.staticUrlPrefix ?? "/static/").replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return [
    [String.raw`/(robots\.txt)`, handlerClass, initArgs],
    [String.raw`/(favicon\.ico)`, handlerClass, initArgs],
    [`${prefix}(.*)`, handlerClass, initArgs],
  ];
}

function destroyUpgradeSocket(this: Duplex): void {
  this.destroy();
}

function failUpgrade(res: ServerResponse, error: unknown): void {
  appLog.error("Uncaught exception in request delegate", error instanceof Error ? error : new Error(String(error)));
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = "<html><title>500: Internal Server Error</title><body>500: Internal Server Error</body></html>";
  res.writeHead(500, { "Content-Type": "text/html; charset=UTF-8", "Content-Length": Buffer.byteLength(body), Connection: "close" });
  res.end(body);
}

const NOT_FOUND = { statusCode: 404 };
