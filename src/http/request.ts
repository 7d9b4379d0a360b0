// Ports tornado.httputil.HTTPServerRequest: one HTTP request as handlers see it.

import { isIP } from "node:net";
import { inspect } from "node:util";
import type { HTTPConnection } from "./connection.js";
import { type BodyLimits, type ContentType, DEFAULT_BODY_LIMITS, parseBodyArguments, parseContentType } from "./body.js";
import { type CookieMap, parseRequestCookies } from "./cookies.js";
import { HTTPInputError } from "./errors.js";
import { HTTPHeaders, type HeadersInit } from "./headers.js";
import { type ArgumentMap, createArgumentMap, parseUrlencoded } from "./urlencoded.js";

/** An uploaded file of a multipart request. Tornado: `HTTPFile`. */
export interface HTTPFile {
  filename: string;
  body: Buffer;
  contentType: string;
}

/** Field name → the files uploaded under it. */
export type FileMap = Record<string, HTTPFile[]>;

/** Fields for building a request without a server, e.g. in unit tests. */
export interface HTTPServerRequestInit {
  method?: string;
  uri?: string;
  version?: string;
  headers?: HeadersInit;
  body?: Buffer;
  host?: string;
  remoteIp?: string;
  protocol?: string;
  connection?: HTTPConnection;
}

const IPV4_MAPPED = "::ffff:";

/**
 * One HTTP request: method, URI, headers, body, client address and the arguments parsed
 * from the query string and body. Built by the server for every request; the parsed parts
 * (headers, arguments) are computed on first use.
 * Tornado: `tornado.httputil.HTTPServerRequest`.
 */
export class HTTPServerRequest {
  /** `GET`, `POST`, ... */
  method: string;
  /** The request target as sent: path and query string, still percent-encoded. */
  uri: string;
  /** The path part of `uri`, still percent-encoded. */
  path: string;
  /** The query string part of `uri`, without the `?`. */
  query: string;
  /** `HTTP/1.1` or `HTTP/1.0`. */
  version: string;
  /** The request body (empty until read; streaming handlers never get it here). */
  body: Buffer;
  /** The connection the request came on, or `undefined` for a request built by hand. */
  readonly connection: HTTPConnection | undefined;
  /** When the request started, as `performance.now()` milliseconds. */
  readonly startTime: number;
  /** When the response finished, as `performance.now()` milliseconds; set by the web layer. */
  finishTime: number | undefined;

  #headers: HTTPHeaders | undefined;
  #remoteIp: string | undefined;
  #protocol: string | undefined;
  #host: string | undefined;
  #hostName: string | undefined;
  #queryArguments: ArgumentMap | undefined;
  #bodyArguments: ArgumentMap | undefined;
  #files: FileMap | undefined;
  #arguments: ArgumentMap | undefined;
  #cookies: CookieMap | undefined;
  #contentType: ContentType | null | undefined;
  /**
   * Limits applied when the query string and the body are parsed (fields, parts, sizes).
   * The application sets it from its `bodyLimits` setting and the handler class's
   * `static bodyLimits` before the handler runs.
   */
  bodyLimits: BodyLimits = DEFAULT_BODY_LIMITS;

  constructor(init: HTTPServerRequestInit = {}) {
    const req = init.connection?.req;
    this.connection = init.connection;
    this.method = init.method ?? req?.method ?? "GET";
    this.uri = init.uri ?? req?.url ?? "/";
    this.version = init.version ?? (req ? `HTTP/${req.httpVersion}` : "HTTP/1.0");
    this.body = init.body ?? EMPTY_BODY;
    const question = this.uri.indexOf("?");
    this.path = question < 0 ? this.uri : this.uri.slice(0, question);
    this.query = question < 0 ? "" : this.uri.slice(question + 1);
    this.startTime = performance.now();
    this.finishTime = undefined;
    if (init.headers !== undefined) this.#headers = new HTTPHeaders(init.headers);
    if (init.host !== undefined) this.#host = init.host;
    if (init.remoteIp !== undefined) this.#remoteIp = init.remoteIp;
    if (init.protocol !== undefined) this.#protocol = init.protocol;
  }

  /** The request headers (case-insensitive, multi-valued). */
  get headers(): HTTPHeaders {
    if (this.#headers === undefined) {
      const raw = this.connection?.req.rawHeaders;
      this.#headers = raw ? HTTPHeaders.fromRawHeaders(raw) : new HTTPHeaders();
    }
    return this.#headers;
  }

  /**
   * The client's IP address. With the server's `xheaders` option, taken from `X-Real-Ip` or
   * the last untrusted `X-Forwarded-For` entry when valid, as Tornado.
   */
  get remoteIp(): string {
    if (this.#remoteIp === undefined) this.#applyConnectionInfo();
    return this.#remoteIp!;
  }

  set remoteIp(value: string) {
    this.#remoteIp = value;
  }

  /**
   * `http` or `https`. With the server's `xheaders` option, taken from `X-Scheme` or
   * `X-Forwarded-Proto` when it is one of those two.
   */
  get protocol(): string {
    if (this.#protocol === undefined) this.#applyConnectionInfo();
    return this.#protocol!;
  }

  set protocol(value: string) {
    this.#protocol = value;
  }

  /** The `Host` header (with port), or `127.0.0.1` when absent. */
  get host(): string {
    if (this.#host === undefined) {
      this.#host = this.connection?.req.headers.host ?? this.#headers?.get("Host") ?? "127.0.0.1";
    }
    return this.#host;
  }

  set host(value: string) {
    this.#host = value;
    this.#hostName = undefined;
  }

  /** `host` lower-cased, without the port. Tornado: `host_name`. */
  get hostName(): string {
    this.#hostName ??= splitHostAndPort(this.host.toLowerCase())[0];
    return this.#hostName;
  }

  /** Arguments of the query string: name → values, decoded as UTF-8. Tornado: `query_arguments`. */
  get queryArguments(): ArgumentMap {
    this.#queryArguments ??= this.query === "" ? createArgumentMap() : parseUrlencoded(this.query, { maxFields: this.bodyLimits.maxFields });
    return this.#queryArguments;
  }

  /**
   * Arguments of a form body (`application/x-www-form-urlencoded`, or the fields of
   * `multipart/form-data`): name → values, decoded as UTF-8. Parsed on first use, within
   * `bodyLimits`. Tornado: `body_arguments`.
   * @throws HTTPInputError (400/413) for a malformed or over-limit body.
   */
  get bodyArguments(): ArgumentMap {
    if (this.#bodyArguments === undefined) this.#parseBody();
    return this.#bodyArguments!;
  }

  set bodyArguments(value: ArgumentMap) {
    this.#bodyArguments = value;
    this.#arguments = undefined;
  }

  /**
   * Files uploaded in a `multipart/form-data` body: field name → files
   * (`{filename, body, contentType}`). Parsed on first use, with `bodyArguments`.
   * @throws HTTPInputError (400/413) for a malformed or over-limit body.
   */
  get files(): FileMap {
    if (this.#files === undefined) this.#parseBody();
    return this.#files!;
  }

  set files(value: FileMap) {
    this.#files = value;
  }

  /** Query and body arguments together, query values first. */
  get arguments(): ArgumentMap {
    if (this.#arguments === undefined) {
      const merged = createArgumentMap();
      for (const source of [this.queryArguments, this.bodyArguments]) {
        for (const name in source) (merged[name] ??= []).push(...source[name]!);
      }
      this.#arguments = merged;
    }
    return this.#arguments;
  }

  // ---- body

  /**
   * The parsed `Content-Type` header (media type and parameters), or `null` when the header
   * is absent or malformed. Parsed once, strictly; every body parser uses it.
   */
  get contentType(): ContentType | null {
    if (this.#contentType === undefined) {
      const header = this.#rawHeader("content-type");
      this.#contentType = header === undefined ? null : parseContentType(header);
    }
    return this.#contentType;
  }

  /**
   * One header's value (several values joined with `, `), read from Node's parsed headers
   * unless `headers` was already built or changed: cheaper than `headers.get` on a request
   * whose `headers` map is never needed. `name` is lower-case.
   */
  #rawHeader(name: string): string | undefined {
    if (this.#headers !== undefined) return this.#headers.getList(name).join(", ") || undefined;
    const value = this.connection?.req.headers[name];
    return Array.isArray(value) ? value.join(", ") : value;
  }

  // ---- cookies

  /**
   * The cookies the client sent: name → value, parsed on first use as Tornado's
   * `parse_cookie` (tolerant: a malformed cookie is skipped, never an error). Has no prototype.
   * Tornado: `cookies` (which holds `Morsel`s; here the values directly).
   */
  get cookies(): CookieMap {
    if (this.#cookies === undefined) {
      const header = this.#headers === undefined ? this.connection?.req.headers.cookie : this.#headers.getList("Cookie").join("; ");
      this.#cookies = header ? parseRequestCookies(header) : (Object.create(null) as CookieMap);
    }
    return this.#cookies;
  }

  /** The full URL: protocol, host and URI. Tornado: `full_url()`. */
  fullUrl(): string {
    return `${this.protocol}://${this.host}${this.uri}`;
  }

  /** Seconds the request has taken so far, or took in all once finished. Tornado: `request_time()`. */
  requestTime(): number {
    return ((this.finishTime ?? performance.now()) - this.startTime) / 1000;
  }

  toString(): string {
    return (
      `HTTPServerRequest(protocol=${JSON.stringify(this.protocol)}, host=${JSON.stringify(this.host)}, ` +
      `method=${JSON.stringify(this.method)}, uri=${JSON.stringify(this.uri)}, ` +
      `version=${JSON.stringify(this.version)}, remoteIp=${JSON.stringify(this.remoteIp)})`
    );
  }

  [inspect.custom](): string {
    return this.toString();
  }

  #parseBody(): void {
    const bodyArguments = createArgumentMap();
    const files = Object.create(null) as FileMap;
    if (this.body.length > 0) {
      parseBodyArguments(this.contentType, this.body, bodyArguments, files, this.#rawHeader("content-encoding"), this.bodyLimits);
      const sent = this.contentType === null ? this.#rawHeader("content-type") : undefined;
      if (sent !== undefined) {
        if (/^\s*(?:application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(sent)) {
          throw new HTTPInputError(`Malformed Content-Type header: ${JSON.stringify(sent.slice(0, 100))}`, 400, "TYPHOON_ERR_BAD_CONTENT_TYPE");
        }
      }
    }
    this.#bodyArguments = bodyArguments;
    this.#files = files;
  }

  #applyConnectionInfo(): void {
    const connection = this.connection;
    const socket = connection?.req.socket;
    let remoteIp = socket?.remoteAddress ?? "127.0.0.1";
    if (remoteIp.startsWith(IPV4_MAPPED) && isIP(remoteIp.slice(IPV4_MAPPED.length)) === 4) {
      remoteIp = remoteIp.slice(IPV4_MAPPED.length);
    }
    let protocol = socket && "encrypted" in socket && socket.encrypted ? "https" : "http";
    if (connection?.settings.xheaders) {
      [remoteIp, protocol] = applyXheaders(this.headers, remoteIp, protocol, connection.settings.trustedDownstream);
    }
    this.#remoteIp ??= remoteIp;
    this.#protocol ??= protocol;
  }
}

const EMPTY_BODY = Buffer.alloc(0);

/**
 * Client address and protocol as a trusted proxy reports them, as Tornado's
 * `_apply_xheaders`: `X-Real-Ip`, else the last `X-Forwarded-For` entry not in
 * `trustedDownstream` (kept only when it is a valid IP); `X-Scheme`, else the last
 * `X-Forwarded-Proto` entry (kept only when `http` or `https`).
 */
export function applyXheaders(
  headers: HTTPHeaders,
  remoteIp: string,
  protocol: string,
  trustedDownstream: ReadonlySet<string>,
): [string, string] {
  let ip = remoteIp;
  const forwarded = headers.get("X-Forwarded-For");
  if (forwarded !== undefined) {
    const candidates = forwarded.split(",");
    for (let i = candidates.length - 1; i >= 0; i--) {
      ip = candidates[i]!.trim();
      if (!trustedDownstream.has(ip)) break;
    }
  }
  ip = headers.get("X-Real-Ip") ?? ip;
  const resultIp = isIP(ip) !== 0 ? ip : remoteIp;
  let proto = headers.get("X-Scheme") ?? headers.get("X-Forwarded-Proto") ?? protocol;
  proto = proto.split(",").pop()!.trim();
  return [resultIp, proto === "http" || proto === "https" ? proto : protocol];
}

/**
 * Splits `host:port` (or `[v6]:port`) into the host and the port number (`undefined`
 * when absent). Tornado: `split_host_and_port`.
 */
export function splitHostAndPort(netloc: string): [string, number | undefined] {
  const match = /^(.+):(\d+)$/.exec(netloc);
  if (!match) return [netloc, undefined];
  const host = match[1]!;
  return [host, Number(match[2])];
}
