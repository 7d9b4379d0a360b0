// Ports tornado.httpclient.AsyncHTTPClient (with simple_httpclient's max_clients queue and redirects) on undici.

import { readFile } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import { Agent, EnvHttpProxyAgent, ProxyAgent, type Dispatcher } from "undici";
import { HTTPHeaders } from "../http/headers.js";
import { InvalidArgumentError, InvalidStateError } from "../util/errors.js";
import { genLog } from "../util/log.js";
import { version } from "../util/version.js";
import { DeadlineTimer, exchange, type ExchangeRequest, type ExchangeResult } from "./http-connection.js";
import { formatHttpDate, HTTPRequest, REQUEST_DEFAULTS, type HTTPRequestOptions } from "./http-request.js";
import { HTTPClientError, HTTPResponse, HTTPTimeoutError } from "./http-response.js";

/** Options of {@link AsyncHTTPClient}: defaults for every request, plus the client's own settings. */
export interface AsyncHTTPClientOptions extends HTTPRequestOptions {
  /**
   * Give this client its own connection pool and `maxClients` queue instead of the process-wide
   * shared one; then call {@link AsyncHTTPClient.close} when done. Default false.
   */
  forceInstance?: boolean;
  /**
   * Most requests in flight at once; more wait in a queue, each at most
   * min(`connectTimeout`, `requestTimeout`) before failing with `Timeout in request queue`.
   * Default 10, as Tornado's `max_clients`. Without `forceInstance` this sets the limit of
   * the shared pool, for every client sharing it.
   */
  maxClients?: number;
}

const SUPPORTED_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]);
const BODY_METHODS = new Set(["POST", "PATCH", "PUT"]);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const INJECTION = /[\r\n\0]/;
/** What a header value may hold on the wire: tab, visible ASCII, space, and Latin-1 bytes 0x80–0xFF. */
const UNSENDABLE_HEADER_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
const UNSAFE_URL = /[\x00-\x1f\x7f]/;
const DEFAULT_USER_AGENT = `Typhoon/${version}`;

/** The options that stay the same across the redirects of one fetch. */
interface Settings {
  connectTimeout: number;
  requestTimeout: number;
  followRedirects: boolean;
  decompress: boolean;
  maxBodySize: number;
  userAgent: string | undefined;
  authUsername: string | undefined;
  authPassword: string;
  proxy: ProxySettings | undefined;
  tls: TlsSettings | undefined;
  streamingCallback: ((chunk: Buffer) => void) | undefined;
  headerCallback: ((line: string) => void) | undefined;
}

interface ProxySettings {
  host: string;
  port: number;
  username: string | undefined;
  password: string;
}

interface TlsSettings {
  validateCert: boolean;
  caCerts: string | Buffer | undefined;
  clientKey: string | Buffer | undefined;
  clientCert: string | Buffer | undefined;
}

/** One request of a fetch: the first one, then one per redirect followed. */
interface Hop {
  /** The URL as given for the first request (Tornado's `effective_url`), resolved for redirects. */
  href: string;
  url: URL;
  method: string;
  headers: HTTPHeaders;
  body: Buffer | undefined;
  /** False after a cross-origin redirect: `authUsername`/`authPassword` are not sent there. */
  credentials: boolean;
  maxRedirects: number;
}

function refuse(message: string, code?: string): never {
  throw new InvalidArgumentError(message, code);
}

function parseUrl(href: string): URL {
  if (UNSAFE_URL.test(href)) {
    refuse(`refusing to fetch a URL containing CR, LF or another control character: ${JSON.stringify(href)}`, "TYPHOON_ERR_BAD_URL");
  }
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return refuse(`invalid URL: ${JSON.stringify(href)}; give an absolute http:// or https:// URL`, "TYPHOON_ERR_BAD_URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    refuse(`Unsupported url scheme: ${href} (only http and https can be fetched)`, "TYPHOON_ERR_BAD_URL");
  }
  return url;
}

function checkHeader(name: string, value: string): void {
  if (!TOKEN.test(name)) refuse(`invalid header name ${JSON.stringify(name)}`, "TYPHOON_ERR_BAD_HEADER");
  if (!UNSENDABLE_HEADER_VALUE.test(value)) return;
  if (INJECTION.test(value)) {
    refuse(`header ${name} contains CR, LF or NUL; refused to prevent header injection`, "TYPHOON_ERR_BAD_HEADER");
  }
  // Header values go out as Latin-1 bytes (as Tornado's): anything else cannot be sent as is.
  refuse(
    `header ${name} contains a control character or a character outside Latin-1 (${JSON.stringify(value)}); ` +
      "percent-encode it, or use RFC 8187 encoding (name*=UTF-8''...)",
    "TYPHOON_ERR_BAD_HEADER",
  );
}

/** `user:password` in base64 for basic auth, both NFC-normalized as RFC 7617 asks (and Tornado does). */
function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username.normalize("NFC")}:${password.normalize("NFC")}`, "utf8").toString("base64")}`;
}

function positiveSeconds(value: number, name: string): number {
  if (typeof value !== "number" || Number.isNaN(value) || value < 0) {
    refuse(`${name} must be a number of seconds >= 0 (0 for no limit), got ${String(value)}`);
  }
  return value;
}

/** min(connectTimeout, requestTimeout), zeros skipped: how long a request may wait for a slot. */
function queueTimeout(settings: Settings): number {
  const { connectTimeout, requestTimeout } = settings;
  return connectTimeout > 0 && requestTimeout > 0 ? Math.min(connectTimeout, requestTimeout) : connectTimeout || requestTimeout;
}

function isPemText(value: string): boolean {
  return value.trimStart().startsWith("-----BEGIN");
}

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
  timer: DeadlineTimer | undefined;
}

/**
 * A connection pool with its `maxClients` limit and queue: one shared per process, or one per
 * client created with `forceInstance`. Tornado: the state of `SimpleAsyncHTTPClient`.
 */
class ClientCore {
  maxClients: number;
  #active = 0;
  #queue = new Set<Waiter>();
  #dispatchers = new Map<string, Dispatcher>();
  #pem = new Map<string, Promise<Buffer>>();
  readonly #environmentProxy: boolean;

  constructor(maxClients: number) {
    this.maxClients = maxClients;
    const env = process.env;
    this.#environmentProxy = Boolean(env.http_proxy || env.HTTP_PROXY || env.https_proxy || env.HTTPS_PROXY);
  }

  /** Takes a slot: undefined when one was free, else a promise resolved when one frees. */
  acquire(timeoutSeconds: number): Promise<void> | undefined {
    if (this.#active < this.maxClients && this.#queue.size === 0) {
      this.#active += 1;
      return undefined;
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: undefined };
      this.#queue.add(waiter);
      if (timeoutSeconds > 0) {
        waiter.timer = new DeadlineTimer();
        waiter.timer.start(performance.now() + timeoutSeconds * 1000, () => {
          if (this.#queue.delete(waiter)) reject(new HTTPTimeoutError("Timeout in request queue"));
        });
      }
      genLog.debug(
        "max_clients limit reached, request queued. %d active, %d queued requests.",
        this.#active,
        this.#queue.size,
      );
    });
  }

  release(): void {
    this.#active -= 1;
    for (const waiter of this.#queue) {
      if (this.#active >= this.maxClients) break;
      this.#queue.delete(waiter);
      waiter.timer?.clear();
      this.#active += 1;
      waiter.resolve();
    }
  }

  /** The dispatcher for a URL with these settings: sync for the common cases, async when PEM files must be read. */
  dispatcherFor(url: URL, settings: Settings): Dispatcher | Promise<Dispatcher> {
    const proxy = settings.proxy;
    const proxyKey = proxy ? `proxy ${proxy.host}:${proxy.port} ${proxy.username ?? ""}:${proxy.password}` : "";
    const tls = url.protocol === "https:" ? settings.tls : undefined;
    if (tls === undefined) return this.#dispatcher(proxyKey, proxy, undefined);
    return this.#loadTls(tls).then((options) => {
      const tlsKey = JSON.stringify([tls.validateCert, ...[tls.caCerts, tls.clientKey, tls.clientCert].map((value) => value?.toString())]);
      return this.#dispatcher(`${proxyKey} tls ${tlsKey}`, proxy, options);
    });
  }

  async #loadTls(tls: TlsSettings): Promise<Record<string, unknown>> {
    const options: Record<string, unknown> = { rejectUnauthorized: tls.validateCert };
    const [ca, key, cert] = await Promise.all([tls.caCerts, tls.clientKey, tls.clientCert].map((value) => this.#readPem(value)));
    if (ca !== undefined) options.ca = ca;
    if (key !== undefined) options.key = key;
    if (cert !== undefined) options.cert = cert;
    return options;
  }

  #readPem(value: string | Buffer | undefined): Promise<Buffer | string | undefined> {
    if (value === undefined || Buffer.isBuffer(value) || isPemText(value)) return Promise.resolve(value);
    let loading = this.#pem.get(value);
    if (loading === undefined) {
      loading = readFile(value);
      this.#pem.set(value, loading);
      loading.catch(() => this.#pem.delete(value));
    }
    return loading;
  }

  #dispatcher(key: string, proxy: ProxySettings | undefined, tls: Record<string, unknown> | undefined): Dispatcher {
    let dispatcher = this.#dispatchers.get(key);
    if (dispatcher !== undefined) return dispatcher;
    // Timeouts are Typhoon's (connectTimeout, requestTimeout), so undici's own are off.
    const base = { headersTimeout: 0, bodyTimeout: 0 };
    const connect = { ...tls, timeout: 0 };
    if (proxy !== undefined) {
      const host = proxy.host.includes(":") && !proxy.host.startsWith("[") ? `[${proxy.host}]` : proxy.host;
      dispatcher = new ProxyAgent({
        ...base,
        uri: `http://${host}:${proxy.port}`,
        ...(proxy.username === undefined ? {} : { token: basicAuthorization(proxy.username, proxy.password) }),
        // http:// targets go through the proxy as absolute-form requests, https:// ones through a CONNECT tunnel.
        proxyTunnel: false,
        requestTls: connect,
        proxyTls: { timeout: 0 },
      });
    } else if (this.#environmentProxy) {
      dispatcher = new EnvHttpProxyAgent({ ...base, proxyTunnel: false, connect, requestTls: connect, proxyTls: { timeout: 0 } });
    } else {
      dispatcher = new Agent({ ...base, connect });
    }
    this.#dispatchers.set(key, dispatcher);
    return dispatcher;
  }

  async close(): Promise<void> {
    const closed = new InvalidStateError("the AsyncHTTPClient was closed while the request waited", "TYPHOON_ERR_CLIENT_CLOSED");
    for (const waiter of this.#queue) {
      waiter.timer?.clear();
      waiter.reject(closed);
    }
    this.#queue.clear();
    const dispatchers = [...this.#dispatchers.values()];
    this.#dispatchers.clear();
    await Promise.all(dispatchers.map((dispatcher) => dispatcher.close()));
  }
}

function checkMaxClients(value: number): number {
  if (!Number.isInteger(value) || value < 1) refuse(`maxClients must be a positive integer, got ${String(value)}`);
  return value;
}

/**
 * A non-blocking HTTP client on undici: keep-alive connection pools, at most `maxClients`
 * requests in flight (more wait in order), Tornado's options, redirects and errors.
 * Clients share one pool per process unless created with `forceInstance`.
 * Tornado: `tornado.httpclient.AsyncHTTPClient`.
 *
 * Redirects (301, 302, 303, 307, 308) are followed up to `maxRedirects`, each through the
 * queue like a new request; 303 (and 301/302 after a POST) become GET without a body, as in
 * Tornado. **beyond** Tornado: on a redirect to another origin — including https → http —
 * the `Authorization` and `Cookie` headers and the `authUsername` credentials are not sent
 * along. A redirect to another scheme than http/https is not followed.
 *
 * @example
 * const client = new AsyncHTTPClient();
 * const response = await client.fetch("https://example.com/", { requestTimeout: 5 });
 * appLog.info("%d %s", response.code, response.text);
 */
export class AsyncHTTPClient {
  static #shared: ClientCore | undefined;
  readonly #own: ClientCore | undefined;
  readonly #defaults: HTTPRequestOptions;
  readonly #defaultHeaders: HTTPHeaders | undefined;
  #closed = false;

  constructor(options: AsyncHTTPClientOptions = {}) {
    const { forceInstance = false, maxClients, ...defaults } = options;
    if (maxClients !== undefined) checkMaxClients(maxClients);
    this.#defaults = defaults;
    let defaultHeaders = defaults.headers === undefined ? undefined : new HTTPHeaders(defaults.headers);
    // A default ifModifiedSince is a default header: requests with their own keep theirs.
    if (defaults.ifModifiedSince !== undefined) {
      defaultHeaders ??= new HTTPHeaders();
      defaultHeaders.set("If-Modified-Since", formatHttpDate(defaults.ifModifiedSince));
    }
    this.#defaultHeaders = defaultHeaders;
    if (forceInstance) {
      this.#own = new ClientCore(maxClients ?? 10);
    } else {
      this.#own = undefined;
      if (maxClients !== undefined) AsyncHTTPClient.#sharedCore().maxClients = maxClients;
    }
  }

  static #sharedCore(): ClientCore {
    AsyncHTTPClient.#shared ??= new ClientCore(10);
    return AsyncHTTPClient.#shared;
  }

  #core(): ClientCore {
    return this.#own ?? AsyncHTTPClient.#sharedCore();
  }

  /** Most requests in flight at once through this client's pool. Tornado: `max_clients`. */
  get maxClients(): number {
    return this.#core().maxClients;
  }

  /** The defaults this client applies to requests that leave an option unset. */
  get defaults(): Readonly<HTTPRequestOptions> {
    return this.#defaults;
  }

  /**
   * Fetches `urlOrRequest` and resolves with the {@link HTTPResponse}. With a URL, `options`
   * builds the {@link HTTPRequest}; with an `HTTPRequest`, only `raiseError` may be given.
   *
   * Rejects with {@link HTTPClientError} for a non-2xx status (unless `raiseError: false`),
   * and always for failures without a response (status 599): {@link HTTPTimeoutError},
   * {@link HTTPStreamClosedError}, refused connections, malformed responses, bodies over
   * `maxBodySize`. Invalid requests (CR/LF in the URL or a header, a bad method or body,
   * `authMode: "digest"`) are refused before anything is sent, with `InvalidArgumentError`.
   */
  async fetch(urlOrRequest: string | URL | HTTPRequest, options?: HTTPRequestOptions): Promise<HTTPResponse> {
    if (this.#closed) {
      throw new InvalidStateError("fetch() called on a closed AsyncHTTPClient: create a new one", "TYPHOON_ERR_CLIENT_CLOSED");
    }
    let request: HTTPRequest;
    let raiseErrorOption: boolean | undefined;
    if (urlOrRequest instanceof HTTPRequest) {
      if (options !== undefined) {
        const { raiseError, ...rest } = options;
        if (Object.keys(rest).length > 0) {
          refuse("options can't be used if the request is an HTTPRequest object (except raiseError): set them on the HTTPRequest");
        }
        raiseErrorOption = raiseError;
      }
      request = urlOrRequest;
    } else {
      request = new HTTPRequest(urlOrRequest, options);
    }
    const defaults = this.#defaults;
    const raiseError = raiseErrorOption ?? request.raiseError ?? defaults.raiseError ?? REQUEST_DEFAULTS.raiseError;
    const settings = this.#settings(request);
    let hop = this.#firstHop(request);

    const startedAt = performance.now();
    const startTime = Date.now() / 1000;
    const core = this.#core();
    while (true) {
      const hopStart = performance.now();
      let result: ExchangeResult;
      let exchangeStart: number;
      try {
        const waiting = core.acquire(queueTimeout(settings));
        if (waiting !== undefined) await waiting;
      } catch (error) {
        throw withResponse(error, request, hop.href, startedAt, startTime);
      }
      try {
        const found = core.dispatcherFor(hop.url, settings);
        const dispatcher = found instanceof Promise ? await found : found;
        exchangeStart = performance.now();
        result = await exchange(dispatcher, this.#exchangeRequest(hop, settings), exchangeStart);
      } catch (error) {
        throw withResponse(error, request, hop.href, startedAt, startTime);
      } finally {
        core.release();
      }
      if (result.location !== undefined) {
        hop = nextHop(hop, result.code, result.location);
        continue;
      }
      const end = performance.now();
      const timeInfo: Record<string, number> = {
        queue: (exchangeStart - hopStart) / 1000,
        total: (end - startedAt) / 1000,
        redirect: (hopStart - startedAt) / 1000,
      };
      if (result.connectedAt >= 0) timeInfo.connect = (result.connectedAt - exchangeStart) / 1000;
      if (result.headersAt >= 0) timeInfo.starttransfer = (result.headersAt - exchangeStart) / 1000;
      const response = new HTTPResponse(request, result.code, {
        reason: result.reason,
        headers: result.headers,
        body: result.body,
        effectiveUrl: hop.href,
        requestTime: (end - startedAt) / 1000,
        startTime,
        timeInfo,
      });
      if (raiseError && response.error !== undefined) throw response.error;
      return response;
    }
  }

  /**
   * Frees this client. With `forceInstance`, closes its connections (in-flight requests
   * finish, queued ones are rejected). On a shared client it closes the shared pool, as
   * Tornado does: the next fetch through any shared client opens a new one. Calling
   * `fetch` on a closed client is an error. Tornado: `close()`.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#own !== undefined) {
      await this.#own.close();
      return;
    }
    const shared = AsyncHTTPClient.#shared;
    AsyncHTTPClient.#shared = undefined;
    await shared?.close();
  }

  #settings(request: HTTPRequest): Settings {
    const d = this.#defaults;
    const authMode = request.authMode ?? d.authMode;
    if (authMode !== undefined && authMode !== "basic") {
      refuse(
        authMode === "digest"
          ? 'authMode "digest" is not supported (as in Tornado\'s simple client): use "basic", or set the Authorization header yourself'
          : `unsupported authMode ${JSON.stringify(authMode)}: use "basic"`,
        "TYPHOON_ERR_UNSUPPORTED_AUTH_MODE",
      );
    }
    const proxyHost = request.proxyHost ?? d.proxyHost;
    const proxyPort = request.proxyPort ?? d.proxyPort ?? 80;
    if (proxyHost !== undefined && proxyHost !== "") {
      if (!/^(\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*|[A-Za-z0-9.\-_]+)$/.test(proxyHost)) {
        refuse(`invalid proxyHost ${JSON.stringify(proxyHost)}: give a host name or an IP address, without scheme or port`);
      }
      if (!Number.isInteger(proxyPort) || proxyPort < 1 || proxyPort > 65535) {
        refuse(`invalid proxyPort ${String(proxyPort)}: give a port number from 1 to 65535`);
      }
    }
    const maxBodySize = request.maxBodySize ?? d.maxBodySize ?? REQUEST_DEFAULTS.maxBodySize;
    if (!(maxBodySize >= 0)) refuse(`maxBodySize must be a number of bytes >= 0, got ${String(maxBodySize)}`);
    const userAgent = request.userAgent ?? d.userAgent;
    if (userAgent !== undefined) checkHeader("User-Agent", userAgent);
    return {
      connectTimeout: positiveSeconds(request.connectTimeout ?? d.connectTimeout ?? REQUEST_DEFAULTS.connectTimeout, "connectTimeout"),
      requestTimeout: positiveSeconds(request.requestTimeout ?? d.requestTimeout ?? REQUEST_DEFAULTS.requestTimeout, "requestTimeout"),
      followRedirects: request.followRedirects ?? d.followRedirects ?? REQUEST_DEFAULTS.followRedirects,
      decompress: request.decompressResponse ?? d.decompressResponse ?? REQUEST_DEFAULTS.decompressResponse,
      maxBodySize,
      userAgent,
      authUsername: request.authUsername ?? d.authUsername,
      authPassword: request.authPassword ?? d.authPassword ?? "",
      proxy:
        proxyHost === undefined || proxyHost === ""
          ? undefined
          : {
              host: proxyHost,
              port: proxyPort,
              username: request.proxyUsername ?? d.proxyUsername,
              password: request.proxyPassword ?? d.proxyPassword ?? REQUEST_DEFAULTS.proxyPassword,
            },
      tls: (() => {
        const tls: TlsSettings = {
          validateCert: request.validateCert ?? d.validateCert ?? REQUEST_DEFAULTS.validateCert,
          caCerts: request.caCerts ?? d.caCerts,
          clientKey: request.clientKey ?? d.clientKey,
          clientCert: request.clientCert ?? d.clientCert,
        };
        const custom = !tls.validateCert || tls.caCerts !== undefined || tls.clientKey !== undefined || tls.clientCert !== undefined;
        return custom ? tls : undefined;
      })(),
      streamingCallback: request.streamingCallback ?? d.streamingCallback,
      headerCallback: request.headerCallback ?? d.headerCallback,
    };
  }

  #firstHop(request: HTTPRequest): Hop {
    const url = parseUrl(request.url);
    const method = request.method;
    if (!TOKEN.test(method)) refuse(`invalid HTTP method ${JSON.stringify(method)}`);
    const allowNonstandard = request.allowNonstandardMethods ?? this.#defaults.allowNonstandardMethods ?? false;
    if (!allowNonstandard) {
      if (!SUPPORTED_METHODS.has(method)) {
        refuse(`unknown method ${method}: set allowNonstandardMethods to send it`);
      }
      // As Tornado: some methods nearly always have bodies, others almost never do.
      const bodyExpected = BODY_METHODS.has(method);
      const bodyPresent = request.body !== undefined;
      if (bodyExpected !== bodyPresent) {
        refuse(
          bodyExpected
            ? `Body must not be undefined for method ${method} (pass body: "" for an empty one, or set allowNonstandardMethods)`
            : `Body must be undefined for method ${method} (unless allowNonstandardMethods is true)`,
        );
      }
    }
    const headers = request.headers.copy();
    if (this.#defaultHeaders !== undefined) {
      for (const name of this.#defaultHeaders.keys()) {
        if (!headers.has(name)) for (const value of this.#defaultHeaders.getList(name)) headers.add(name, value);
      }
    }
    for (const [name, value] of headers) checkHeader(name, value);
    return {
      href: request.url,
      url,
      method,
      headers,
      body: request.body,
      credentials: true,
      maxRedirects: request.maxRedirects ?? this.#defaults.maxRedirects ?? REQUEST_DEFAULTS.maxRedirects,
    };
  }

  #exchangeRequest(hop: Hop, settings: Settings): ExchangeRequest {
    const headers: Record<string, string | string[]> = {};
    const source = hop.headers;
    for (const name of source.keys()) {
      const values = source.getList(name);
      headers[name] = values.length === 1 ? values[0]! : values;
    }
    const url = hop.url;
    if (url.username !== "") {
      headers.Authorization = basicAuthorization(decodeURIComponent(url.username), decodeURIComponent(url.password));
    } else if (hop.credentials && settings.authUsername !== undefined) {
      headers.Authorization = basicAuthorization(settings.authUsername, settings.authPassword);
    }
    if (settings.userAgent !== undefined) headers["User-Agent"] = settings.userAgent;
    else if (!source.has("User-Agent")) headers["User-Agent"] = DEFAULT_USER_AGENT;
    if (hop.method === "POST" && !source.has("Content-Type")) headers["Content-Type"] = "application/x-www-form-urlencoded";
    if (settings.decompress && !source.has("Accept-Encoding")) headers["Accept-Encoding"] = "gzip";
    return {
      url,
      method: hop.method,
      headers,
      body: hop.body,
      connectTimeout: settings.connectTimeout,
      requestTimeout: settings.requestTimeout,
      decompress: settings.decompress,
      maxBodySize: settings.maxBodySize,
      followRedirect: settings.followRedirects && hop.maxRedirects > 0,
      streamingCallback: settings.streamingCallback,
      headerCallback: settings.headerCallback,
    };
  }
}

/** The request after a redirect, as Tornado's `_HTTPConnection.finish` builds it. */
function nextHop(hop: Hop, code: number, location: string): Hop {
  const url = new URL(location, hop.url);
  const headers = hop.headers.copy();
  headers.delete("Host");
  let method = hop.method;
  let body = hop.body;
  if ((code === 303 && method !== "HEAD") || ((code === 301 || code === 302) && method === "POST")) {
    method = "GET";
    body = undefined;
    for (const name of ["Content-Length", "Content-Type", "Content-Encoding", "Transfer-Encoding"]) headers.delete(name);
  }
  const sameOrigin = url.origin === hop.url.origin;
  if (!sameOrigin) {
    // Credentials are for the origin they were given to (an https → http redirect is another origin too).
    headers.delete("Authorization");
    headers.delete("Cookie");
  }
  return {
    href: url.href,
    url,
    method,
    headers,
    body,
    credentials: hop.credentials && sameOrigin,
    maxRedirects: hop.maxRedirects - 1,
  };
}

/** Attaches a 599 response (with the timing) to a client error that has none, as Tornado's `_handle_exception`. */
function withResponse(error: unknown, request: HTTPRequest, href: string, startedAt: number, startTime: number): unknown {
  if (error instanceof HTTPClientError && error.response === undefined) {
    error.response = new HTTPResponse(request, error.status, {
      error,
      effectiveUrl: href,
      requestTime: (performance.now() - startedAt) / 1000,
      startTime,
    });
  }
  return error;
}
