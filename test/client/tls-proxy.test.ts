// TLS options (validateCert, caCerts, clientKey/clientCert), proxies (proxyHost... and the
// HTTP_PROXY/HTTPS_PROXY/NO_PROXY environment) and the https → http redirect.
// Mirrors tornado/test/simple_httpclient_test.py::SimpleHTTPSClientTestCase; proxies are beyond
// Tornado's simple client. The certificates under fixtures/ were made with
// `openssl req -x509 -newkey rsa:2048 -nodes -days 36500` (server: CN=localhost, SAN
// DNS:localhost,IP:127.0.0.1; client: CN=typhoon-test-client).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { AsyncHTTPClient, HTTPClientError } from "typhoon/httpclient";
import { startHttpsUpstream, startUpstream, type Upstream } from "./upstream.js";

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const serverCert = readFileSync(fixture("server.crt"));
const serverKey = readFileSync(fixture("server.key"));
const clientCert = readFileSync(fixture("client.crt"));

let https: Upstream;
let mutualTls: Upstream;
let plain: Upstream;
let client: AsyncHTTPClient;

before(async () => {
  https = await startHttpsUpstream({ key: serverKey, cert: serverCert });
  mutualTls = await startHttpsUpstream({ key: serverKey, cert: serverCert, requestCert: true, rejectUnauthorized: true, ca: clientCert });
  plain = await startUpstream();
  client = new AsyncHTTPClient({ forceInstance: true });
});

after(async () => {
  await client.close();
  await Promise.all([https.close(), mutualTls.close(), plain.close()]);
});

void describe("TLS", () => {
  // tornado/test/simple_httpclient_test.py::SimpleHTTPSClientTestCase::test_ssl_context_handshake_fail,
  // test_error_logging (nothing is logged: test/setup.ts fails the test on any warning or error line)
  void test("an untrusted certificate is refused by default with a clear 599", async () => {
    await assert.rejects(client.fetch(https.url("/hello")), (error: unknown) => {
      assert.ok(error instanceof HTTPClientError, "error instanceof HTTPClientError");
      assert.equal(error.status, 599);
      assert.equal(error.code, "TYPHOON_ERR_HTTP_CONNECTION");
      assert.match(error.message, /TLS handshake with 127\.0\.0\.1:\d+ failed: .*certificate/);
      return true;
    });
  });

  // tornado/test/simple_httpclient_test.py::SimpleHTTPSClientTestCase::test_ssl_options, test_ssl_context
  void test("validateCert false accepts it", async () => {
    assert.equal((await client.fetch(https.url("/hello"), { validateCert: false })).text, "Hello world!");
  });

  void test("caCerts trusts a CA given as a file path or as PEM text", async () => {
    assert.equal((await client.fetch(https.url("/hello"), { caCerts: fixture("server.crt") })).text, "Hello world!");
    assert.equal((await client.fetch(https.url("/hello"), { caCerts: serverCert.toString() })).text, "Hello world!");
  });

  void test("a missing caCerts file fails the fetch, naming the file", async () => {
    await assert.rejects(client.fetch(https.url("/hello"), { caCerts: "/nonexistent/ca.pem" }), /nonexistent\/ca\.pem/);
  });

  void test("clientKey and clientCert present a client certificate", async () => {
    await assert.rejects(client.fetch(mutualTls.url("/hello"), { caCerts: fixture("server.crt") }), HTTPClientError);
    const response = await client.fetch(mutualTls.url("/hello"), {
      caCerts: fixture("server.crt"),
      clientKey: fixture("client.key"),
      clientCert: fixture("client.crt"),
    });
    assert.equal(response.text, "Hello world!");
  });

  void test("an https → http redirect is followed without Authorization, Cookie or credentials", async () => {
    const target = encodeURIComponent(plain.url("/headers"));
    const response = await client.fetch(https.url(`/redirect?url=${target}`), {
      validateCert: false,
      authUsername: "user",
      authPassword: "secret",
      headers: { Cookie: "session=abc" },
    });
    assert.ok(response.effectiveUrl.startsWith("http://"), "response.effectiveUrl.startsWith(\"http://\")");
    const received = response.json<Record<string, string>>();
    assert.equal(received.authorization, undefined);
    assert.equal(received.cookie, undefined);
    const first = https.requests.at(-1)!;
    assert.equal(first.headers.authorization, `Basic ${Buffer.from("user:secret").toString("base64")}`);
  });
});

interface Proxy {
  url: string;
  port: number;
  /** What the proxy saw: `GET http://...` for forwarded requests, `CONNECT host:port` for tunnels. */
  seen: string[];
  authorizations: Array<string | undefined>;
  close(): Promise<void>;
}

/** A small HTTP proxy: forwards absolute-form requests and opens CONNECT tunnels. */
async function startProxy(): Promise<Proxy> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((request: IncomingMessage, response) => {
    proxy.seen.push(`${request.method} ${request.url}`);
    proxy.authorizations.push(request.headers["proxy-authorization"]);
    const target = new URL(request.url!);
    const headers = { ...request.headers };
    delete headers["proxy-authorization"];
    const upstreamRequest = httpRequest(
      { host: target.hostname, port: target.port, path: target.pathname + target.search, method: request.method, headers },
      (upstreamResponse) => {
        response.writeHead(upstreamResponse.statusCode!, upstreamResponse.headers);
        upstreamResponse.pipe(response);
      },
    );
    request.pipe(upstreamRequest);
  });
  server.on("connect", (request: IncomingMessage, clientSocket: Socket, head: Buffer) => {
    proxy.seen.push(`CONNECT ${request.url}`);
    proxy.authorizations.push(request.headers["proxy-authorization"]);
    const [host, port] = request.url!.split(":");
    const upstreamSocket = connect(Number(port), host ?? "127.0.0.1", () => {
      clientSocket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstreamSocket.write(head);
      upstreamSocket.pipe(clientSocket);
      clientSocket.pipe(upstreamSocket);
    });
    for (const socket of [clientSocket, upstreamSocket]) {
      sockets.add(socket);
      socket.on("error", () => undefined);
      socket.on("close", () => sockets.delete(socket));
    }
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const proxy: Proxy = {
    url: `http://127.0.0.1:${port}`,
    port,
    seen: [],
    authorizations: [],
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  return proxy;
}

void describe("proxies", () => {
  let proxy: Proxy;
  before(async () => {
    proxy = await startProxy();
  });
  after(() => proxy.close());

  void test("proxyHost/proxyPort forward an http request, with proxy basic auth", async () => {
    const response = await client.fetch(plain.url("/hello"), {
      proxyHost: "127.0.0.1",
      proxyPort: proxy.port,
      proxyUsername: "proxyuser",
      proxyPassword: "proxypass",
    });
    assert.equal(response.text, "Hello world!");
    assert.equal(proxy.seen.at(-1), `GET ${plain.url("/hello")}`);
    assert.equal(proxy.authorizations.at(-1), `Basic ${Buffer.from("proxyuser:proxypass").toString("base64")}`);
  });

  void test("an https request goes through a CONNECT tunnel", async () => {
    const response = await client.fetch(https.url("/hello"), { proxyHost: "127.0.0.1", proxyPort: proxy.port, validateCert: false });
    assert.equal(response.text, "Hello world!");
    assert.equal(proxy.seen.at(-1), `CONNECT 127.0.0.1:${https.port}`);
  });

  void test("without proxy options, HTTP_PROXY / HTTPS_PROXY / NO_PROXY are honoured", async () => {
    const saved = { ...process.env };
    try {
      process.env.HTTP_PROXY = proxy.url;
      process.env.HTTPS_PROXY = proxy.url;
      delete process.env.NO_PROXY;
      delete process.env.no_proxy;
      const viaEnvironment = new AsyncHTTPClient({ forceInstance: true });
      try {
        const seen = proxy.seen.length;
        assert.equal((await viaEnvironment.fetch(plain.url("/hello"))).text, "Hello world!");
        assert.equal(proxy.seen.at(-1), `GET ${plain.url("/hello")}`);
        assert.equal((await viaEnvironment.fetch(https.url("/hello"), { validateCert: false })).text, "Hello world!");
        assert.equal(proxy.seen.at(-1), `CONNECT 127.0.0.1:${https.port}`);
        assert.equal(proxy.seen.length, seen + 2);
      } finally {
        await viaEnvironment.close();
      }

      process.env.NO_PROXY = "127.0.0.1";
      const bypassing = new AsyncHTTPClient({ forceInstance: true });
      try {
        const seen = proxy.seen.length;
        assert.equal((await bypassing.fetch(plain.url("/hello"))).text, "Hello world!");
        assert.equal(proxy.seen.length, seen, "NO_PROXY hosts are fetched directly");
      } finally {
        await bypassing.close();
      }
    } finally {
      for (const key of ["HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"]) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    }
  });

  void test("explicit proxy options win over the environment", async () => {
    const saved = process.env.HTTP_PROXY;
    process.env.HTTP_PROXY = "http://127.0.0.1:1";
    const configured = new AsyncHTTPClient({ forceInstance: true });
    try {
      const response = await configured.fetch(plain.url("/hello"), { proxyHost: "127.0.0.1", proxyPort: proxy.port });
      assert.equal(response.text, "Hello world!");
      assert.equal(proxy.seen.at(-1), `GET ${plain.url("/hello")}`);
    } finally {
      await configured.close();
      if (saved === undefined) delete process.env.HTTP_PROXY;
      else process.env.HTTP_PROXY = saved;
    }
  });

  void test("with no proxy option nor proxy environment, the connection is direct", async () => {
    const seen = proxy.seen.length;
    assert.equal((await client.fetch(plain.url("/hello"))).text, "Hello world!");
    assert.equal(proxy.seen.length, seen);
  });

  void test("a proxy that refuses connections is a 599", async () => {
    await assert.rejects(client.fetch(plain.url("/hello"), { proxyHost: "127.0.0.1", proxyPort: 1 }), (error: unknown) => {
      assert.ok(error instanceof HTTPClientError, "error instanceof HTTPClientError");
      assert.equal(error.status, 599);
      return true;
    });
  });
});
