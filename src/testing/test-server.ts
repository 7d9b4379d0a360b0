// Ports tornado.testing.AsyncHTTPTestCase: an application on a free local port plus a client for it.

import { AsyncHTTPClient } from "../client/httpclient.js";
import type { HTTPRequestOptions } from "../client/http-request.js";
import type { HTTPResponse } from "../client/http-response.js";
import { HTTPServer, type HTTPServerOptions, type RequestCallback, type RequestDelegate } from "../http/server.js";

/** A running test server, as returned by {@link createTestServer}. */
export interface TestServer {
  /** The server under test. */
  readonly server: HTTPServer;
  /** The port it listens on (on 127.0.0.1). */
  readonly port: number;
  /** `http://127.0.0.1:<port><path>`. Tornado: `get_url`. */
  url(path: string): string;
  /**
   * Fetches `path` (or a full URL) from the server. Unlike `AsyncHTTPClient.fetch`, an error
   * status does not throw (`raiseError: false`), as Tornado's `AsyncHTTPTestCase.fetch`.
   */
  fetch(path: string, options?: HTTPRequestOptions): Promise<HTTPResponse>;
  /** Stops the server (closing every connection) and the client. */
  close(): Promise<void>;
}

/**
 * Starts `app` (an `Application` or any request delegate) on 127.0.0.1 with a free port, with
 * its own HTTP client. Tornado: `AsyncHTTPTestCase`.
 *
 * @example
 * const server = await createTestServer(app);
 * try {
 *   const response = await server.fetch("/");
 *   assert.equal(response.code, 200);
 * } finally {
 *   await server.close();
 * }
 */
export async function createTestServer(
  app: RequestDelegate | RequestCallback,
  options: HTTPServerOptions = {},
): Promise<TestServer> {
  const server = new HTTPServer(app, options);
  await server.listen(0, "127.0.0.1");
  const port = server.port;
  const client = new AsyncHTTPClient({ forceInstance: true });
  const url = (path: string): string => (/^https?:\/\//.test(path) ? path : `http://127.0.0.1:${port}${path}`);
  return {
    server,
    port,
    url,
    fetch: (path, fetchOptions) => client.fetch(url(path), { raiseError: false, ...fetchOptions }),
    close: async () => {
      await client.close();
      await server.stop({ timeout: 0 });
    },
  };
}
