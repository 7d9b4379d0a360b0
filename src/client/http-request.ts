// Ports tornado.httpclient.HTTPRequest: one request for AsyncHTTPClient, with Tornado's options and defaults.

import { HTTPHeaders, type HeadersInit } from "../http/headers.js";
import { InvalidArgumentError } from "../util/errors.js";

/**
 * The options of a request, camelCase of Tornado's `HTTPRequest` arguments. Every option
 * left out falls back to the client's defaults, then to Tornado's (see {@link REQUEST_DEFAULTS}).
 * Durations are in seconds, as in Tornado.
 */
export interface HTTPRequestOptions {
  /** HTTP method; default `GET`. */
  method?: string;
  /** Extra request headers (a plain object, pairs, or {@link HTTPHeaders}). */
  headers?: HeadersInit;
  /**
   * The request body; a string is sent as UTF-8. Required for POST, PUT and PATCH and refused
   * for the other methods, unless {@link allowNonstandardMethods} (as Tornado): pass `""` for an
   * empty body.
   */
  body?: string | Buffer | Uint8Array;
  /** User name for HTTP basic authentication (credentials in the URL work too). */
  authUsername?: string;
  /** Password for HTTP basic authentication; default empty. */
  authPassword?: string;
  /** `"basic"` (default). `"digest"` is refused, as by Tornado's simple client. */
  authMode?: "basic" | "digest";
  /** Seconds allowed to get a connection; default 20. 0 means no limit. */
  connectTimeout?: number;
  /** Seconds allowed for the whole exchange, connecting included; default 20. 0 means no limit. */
  requestTimeout?: number;
  /** Sends `If-Modified-Since` with this time (a Date, or seconds since the epoch). */
  ifModifiedSince?: Date | number;
  /** Follow 301, 302, 303, 307 and 308 redirects; default true. */
  followRedirects?: boolean;
  /** Most redirects followed; default 5. */
  maxRedirects?: number;
  /** The `User-Agent` header; default the one in `headers`, else `Typhoon/<version>`. */
  userAgent?: string;
  /** Ask for a gzip response and decompress it (gzip, deflate and br are decoded); default true. */
  decompressResponse?: boolean;
  /**
   * HTTP proxy host. Without it, the `HTTP_PROXY`, `HTTPS_PROXY` and `NO_PROXY` environment
   * variables are honoured (**beyond** Tornado's simple client, which has no proxy support).
   */
  proxyHost?: string;
  /** HTTP proxy port; default 80. */
  proxyPort?: number;
  /** User name for the proxy (basic authentication). */
  proxyUsername?: string;
  /** Password for the proxy; default empty. */
  proxyPassword?: string;
  /** Allow any method, and bodies where Tornado's sanity checks would refuse them; default false. */
  allowNonstandardMethods?: boolean;
  /** Verify the server's TLS certificate; default true. */
  validateCert?: boolean;
  /** CA certificates to trust instead of the system's: a PEM file path (as Tornado), or PEM text. */
  caCerts?: string | Buffer;
  /** Client certificate's private key: a PEM file path, or PEM text. */
  clientKey?: string | Buffer;
  /** Client certificate: a PEM file path, or PEM text. */
  clientCert?: string | Buffer;
  /**
   * Called with each chunk of the (decompressed) body as it arrives; the response's `body` is then
   * empty. Runs after {@link headerCallback} is done. An exception it throws fails the fetch with it.
   */
  streamingCallback?: (chunk: Buffer) => void;
  /**
   * Called with the status line (`HTTP/1.1 200 OK\r\n`), each header line (`Name: value\r\n`)
   * and a final `\r\n`, as Tornado. Not called for redirects that are followed.
   */
  headerCallback?: (line: string) => void;
  /**
   * Reject with {@link HTTPClientError} when the status is not 2xx; default true. Network errors
   * and timeouts reject whatever this says, as in Tornado 6.
   */
  raiseError?: boolean;
  /**
   * Largest response body accepted, in bytes (after decompression, and with a `streamingCallback`
   * too); default 100 MB, as Tornado's `max_body_size`. A larger body fails with code 599.
   */
  maxBodySize?: number;
}

/** The defaults Tornado applies to options left unset (`HTTPRequest._DEFAULTS`), plus Typhoon's. */
export const REQUEST_DEFAULTS = {
  connectTimeout: 20,
  requestTimeout: 20,
  followRedirects: true,
  maxRedirects: 5,
  decompressResponse: true,
  proxyPassword: "",
  allowNonstandardMethods: false,
  validateCert: true,
  raiseError: true,
  maxBodySize: 100 * 1024 * 1024,
} as const;

/** The options that are carried on the request object (all but the method, headers, body and URL). */
type CarriedOption = Exclude<keyof HTTPRequestOptions, "method" | "headers" | "body">;

/** Every carried option, to copy them between a request, its options and the client's defaults. */
export const CARRIED_OPTIONS: readonly CarriedOption[] = [
  "authUsername",
  "authPassword",
  "authMode",
  "connectTimeout",
  "requestTimeout",
  "ifModifiedSince",
  "followRedirects",
  "maxRedirects",
  "userAgent",
  "decompressResponse",
  "proxyHost",
  "proxyPort",
  "proxyUsername",
  "proxyPassword",
  "allowNonstandardMethods",
  "validateCert",
  "caCerts",
  "clientKey",
  "clientCert",
  "streamingCallback",
  "headerCallback",
  "raiseError",
  "maxBodySize",
];

/** Formats a time for an HTTP date header: `Thu, 01 Jan 1970 00:00:00 GMT`. Tornado: `httputil.format_timestamp`. */
export function formatHttpDate(value: Date | number): string {
  const date = typeof value === "number" ? new Date(value * 1000) : value;
  if (Number.isNaN(date.getTime())) throw new InvalidArgumentError(`ifModifiedSince is not a valid time: ${String(value)}`);
  return date.toUTCString();
}

/**
 * One HTTP request for {@link AsyncHTTPClient.fetch}. Options it does not set come from the
 * client's defaults at fetch time. `headers` is always an {@link HTTPHeaders} (a copy of what
 * was given) and `body` a Buffer. Tornado: `tornado.httpclient.HTTPRequest`.
 *
 * @example
 * const request = new HTTPRequest("https://example.com/api", {
 *   method: "POST", body: JSON.stringify({ a: 1 }), headers: { "Content-Type": "application/json" },
 * });
 * const response = await new AsyncHTTPClient().fetch(request);
 */
export class HTTPRequest {
  /** The URL to fetch. */
  url: string;
  /** The HTTP method, e.g. `GET`. */
  method: string;
  authUsername: string | undefined;
  authPassword: string | undefined;
  authMode: "basic" | "digest" | undefined;
  connectTimeout: number | undefined;
  requestTimeout: number | undefined;
  ifModifiedSince: Date | number | undefined;
  followRedirects: boolean | undefined;
  maxRedirects: number | undefined;
  userAgent: string | undefined;
  decompressResponse: boolean | undefined;
  proxyHost: string | undefined;
  proxyPort: number | undefined;
  proxyUsername: string | undefined;
  proxyPassword: string | undefined;
  allowNonstandardMethods: boolean | undefined;
  validateCert: boolean | undefined;
  caCerts: string | Buffer | undefined;
  clientKey: string | Buffer | undefined;
  clientCert: string | Buffer | undefined;
  streamingCallback: ((chunk: Buffer) => void) | undefined;
  headerCallback: ((line: string) => void) | undefined;
  raiseError: boolean | undefined;
  maxBodySize: number | undefined;
  #headers: HTTPHeaders;
  #body: Buffer | undefined;

  constructor(url: string | URL, options: HTTPRequestOptions = {}) {
    this.url = typeof url === "string" ? url : url.href;
    this.method = options.method ?? "GET";
    this.#headers = new HTTPHeaders(options.headers);
    this.#body = options.body === undefined ? undefined : toBuffer(options.body);
    this.authUsername = options.authUsername;
    this.authPassword = options.authPassword;
    this.authMode = options.authMode;
    this.connectTimeout = options.connectTimeout;
    this.requestTimeout = options.requestTimeout;
    this.ifModifiedSince = options.ifModifiedSince;
    this.followRedirects = options.followRedirects;
    this.maxRedirects = options.maxRedirects;
    this.userAgent = options.userAgent;
    this.decompressResponse = options.decompressResponse;
    this.proxyHost = options.proxyHost;
    this.proxyPort = options.proxyPort;
    this.proxyUsername = options.proxyUsername;
    this.proxyPassword = options.proxyPassword;
    this.allowNonstandardMethods = options.allowNonstandardMethods;
    this.validateCert = options.validateCert;
    this.caCerts = options.caCerts;
    this.clientKey = options.clientKey;
    this.clientCert = options.clientCert;
    this.streamingCallback = options.streamingCallback;
    this.headerCallback = options.headerCallback;
    this.raiseError = options.raiseError;
    this.maxBodySize = options.maxBodySize;
    if (options.ifModifiedSince !== undefined) {
      this.#headers.set("If-Modified-Since", formatHttpDate(options.ifModifiedSince));
    }
  }

  /** The request headers: always an {@link HTTPHeaders}, a copy of those given. */
  get headers(): HTTPHeaders {
    return this.#headers;
  }

  /** Replaces the headers with a copy of `value`; `null` or `undefined` leaves none (as Tornado's setter). */
  set headers(value: HeadersInit | null | undefined) {
    this.#headers = new HTTPHeaders(value ?? undefined);
  }

  /** The body as bytes, or undefined for none. */
  get body(): Buffer | undefined {
    return this.#body;
  }

  /** Replaces the body; a string is stored as UTF-8 bytes (as Tornado's setter). */
  set body(value: string | Buffer | Uint8Array | undefined) {
    this.#body = value === undefined ? undefined : toBuffer(value);
  }
}

/** A body as bytes: strings in UTF-8, typed arrays viewed without copying. */
export function toBuffer(body: string | Buffer | Uint8Array): Buffer {
  if (typeof body === "string") return Buffer.from(body, "utf8");
  if (Buffer.isBuffer(body)) return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  throw new InvalidArgumentError("body must be a string, a Buffer or a Uint8Array");
}
