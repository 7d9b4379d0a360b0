// app.inject(): answers a request in-process, without a socket (as Fastify's inject, on light-my-request).

import type { IncomingMessage, ServerResponse } from "node:http";
import lightMyRequest from "light-my-request";
import { type ConnectionSettings, HTTPConnection } from "../http/connection.js";
import { HTTPHeaders } from "../http/headers.js";
import { HTTPServerRequest } from "../http/request.js";
import type { RequestDelegate } from "../http/server.js";

/** A request for {@link injectRequest}. */
export interface InjectOptions {
  /** HTTP method; default `GET`. */
  method?: string;
  /** Path and query string, e.g. `/search?q=typhoon`. */
  url: string;
  headers?: Record<string, string | string[]>;
  /** Request body; a plain object is sent as JSON. */
  body?: string | Buffer | object;
  /** The client address the handler sees; default `127.0.0.1`. */
  remoteAddress?: string;
}

/** The answer to an injected request; fields named as `HTTPResponse` of the HTTP client. */
export interface InjectResponse {
  /** The status code. */
  readonly code: number;
  /** The reason phrase. */
  readonly reason: string;
  readonly headers: HTTPHeaders;
  readonly body: Buffer;
  /** The body decoded as UTF-8. */
  readonly text: string;
  /** The body parsed as JSON. */
  json(): unknown;
}

/**
 * Runs one request through `delegate` with mock Node request/response objects: everything
 * from the delegate on (routing, handlers, errors, logging) is the code path of a real request.
 */
export async function injectRequest(
  delegate: RequestDelegate,
  settings: ConnectionSettings,
  options: InjectOptions,
): Promise<InjectResponse> {
  const dispatch = (req: IncomingMessage, res: ServerResponse): void => {
    const request = new HTTPServerRequest({ connection: new HTTPConnection(req, res, settings) });
    void delegate.handleRequest(request);
  };
  const body = options.body;
  const isJson = body !== undefined && typeof body === "object" && !Buffer.isBuffer(body);
  const headers: Record<string, string | string[]> = { ...options.headers };
  if (isJson && !Object.keys(headers).some((name) => name.toLowerCase() === "content-type")) {
    headers["content-type"] = "application/json";
  }
  const response = await lightMyRequest(dispatch, {
    method: (options.method ?? "GET") as "GET",
    url: options.url,
    headers,
    remoteAddress: options.remoteAddress ?? "127.0.0.1",
    validate: false,
    ...(body === undefined ? {} : { payload: isJson ? JSON.stringify(body) : body }),
  });
  const responseHeaders = new HTTPHeaders();
  for (const [name, value] of Object.entries(response.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) responseHeaders.add(name, item);
    else responseHeaders.add(name, String(value));
  }
  const raw = response.rawPayload;
  return {
    code: response.statusCode,
    reason: response.statusMessage,
    headers: responseHeaders,
    body: raw,
    text: raw.toString("utf8"),
    json: () => JSON.parse(raw.toString("utf8")) as unknown,
  };
}
