// Tests of HTTPServer over real and raw sockets: malformed input, limits, xheaders, keep-alive,
// graceful stop, TLS and HTTP/2. Mirrors tornado/test/httpserver_test.py.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import http2 from "node:http2";
import { connect } from "node:net";
import { after, before, describe, test } from "node:test";
import { Application, expectLog, genLog, HTTPServer, LogLevel, RequestHandler } from "typhoon";
import { rawRequest, serve, statusOf, type Served } from "../helpers.js";

class EchoHandler extends RequestHandler {
  get() {
    this.write({ args: this.request.arguments });
  }
  post() {
    this.write({ args: this.request.arguments, length: this.request.body.length });
  }
}

class HelloHandler extends RequestHandler {
  get() {
    this.write("Hello world");
  }
}

function makeApp() {
  return new Application([
    ["/echo", EchoHandler],
    ["/", HelloHandler],
  ]);
}

/** A normal request on a new connection still succeeds. */
async function assertStillServing(port: number): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${port}/`);
  assert.equal(await response.text(), "Hello world");
}

const malformed = (pattern: string) => (fn: () => Promise<unknown>) =>
  expectLog(genLog, `Malformed HTTP message.*${pattern}`, fn, { level: LogLevel.INFO });

describe("HTTPServerRawTest: malformed requests over raw sockets", () => {
  let served: Served;
  before(async () => {
    served = await serve(makeApp(), { maxHeaderSize: 1024, maxBodySize: 1000 });
  });
  after(() => served.close());

  test("test_malformed_first_line_response: 400 Bad Request, logged once at info", async () => {
    const raw = await malformed("")(() => rawRequest(served.port, "asdf\r\n\r\n"));
    assert.match(raw as string, /^HTTP\/1\.1 400 Bad Request\r\n/);
    await assertStillServing(served.port);
  });

  test("test_malformed_headers: a header line without a colon", async () => {
    const raw = await malformed("")(() => rawRequest(served.port, "GET / HTTP/1.0\r\nasdf\r\n\r\n"));
    assert.equal(statusOf(raw as string), 400);
    await assertStillServing(served.port);
  });

  test("invalid bytes in a header value or name", async () => {
    for (const request of ["GET / HTTP/1.1\r\nX-Bad: a\x00b\r\n\r\n", "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n"]) {
      const raw = await malformed("")(() => rawRequest(served.port, request));
      assert.equal(statusOf(raw as string), 400, JSON.stringify(request));
    }
    await assertStillServing(served.port);
  });

  test("MaxHeaderSizeTest: headers over maxHeaderSize get 431", async () => {
    const small = await rawRequest(served.port, `GET / HTTP/1.1\r\nHost: x\r\nX-Filler: ${"a".repeat(100)}\r\nConnection: close\r\n\r\n`);
    assert.equal(statusOf(small), 200);
    const raw = await malformed("")(() => rawRequest(served.port, `GET / HTTP/1.1\r\nX-Filler: ${"a".repeat(2000)}\r\n\r\n`));
    assert.match(raw as string, /^HTTP\/1\.1 431 Request Header Fields Too Large/);
    await assertStillServing(served.port);
  });

  test("an unknown method token is a 400 from the parser; a known one the handler lacks is a 405", async () => {
    const unknown = await malformed("")(() => rawRequest(served.port, "FOO / HTTP/1.1\r\nHost: x\r\n\r\n"));
    assert.equal(statusOf(unknown as string), 400);
    const propfind = await rawRequest(served.port, "PROPFIND / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert.equal(statusOf(propfind), 405);
    await assertStillServing(served.port);
  });

  test("request smuggling shapes: Transfer-Encoding with Content-Length, duplicate Content-Length", async () => {
    const both = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n";
    assert.equal(statusOf((await malformed("")(() => rawRequest(served.port, both))) as string), 400);
    const duplicate = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab";
    assert.equal(statusOf((await malformed("")(() => rawRequest(served.port, duplicate))) as string), 400);
    const badChunked = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n";
    assert.equal(statusOf((await malformed("")(() => rawRequest(served.port, badChunked))) as string), 400);
    await assertStillServing(served.port);
  });

  test("test_invalid_content_length: a non-integer Content-Length", async () => {
    const raw = await malformed("")(() => rawRequest(served.port, "POST /echo HTTP/1.1\r\nContent-Length: foo\r\n\r\nbar\r\n\r\n"));
    assert.equal(statusOf(raw as string), 400);
    await assertStillServing(served.port);
  });

  test("test_chunked_request_body and test_chunked_request_uppercase", async () => {
    for (const encoding of ["chunked", "Chunked"]) {
      const raw = await rawRequest(
        served.port,
        `POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: ${encoding}\r\n` +
          "Content-Type: application/x-www-form-urlencoded\r\n\r\n4\r\nfoo=\r\n3\r\nbar\r\n0\r\n\r\n",
      );
      assert.equal(statusOf(raw), 200);
      assert.deepEqual(JSON.parse(raw.slice(raw.indexOf("\r\n\r\n") + 4)).args, { foo: ["bar"] });
    }
  });

  test("BodyLimitsTest: a declared body over maxBodySize is a 413 and the connection closes", async () => {
    const raw = await expectLog(genLog, "413 POST /echo .*maxBodySize", () =>
      rawRequest(served.port, `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n${"a".repeat(5000)}`),
    );
    assert.equal(statusOf(raw), 413);
    assert.match(raw, /Connection: close/);
    assert.match(raw, /Request body is larger than maxBodySize \(1000 bytes\)/);
    await assertStillServing(served.port);
  });

  test("test_large_body_buffered_chunked: a chunked body growing over the limit is a 413", async () => {
    const chunk = `3e8\r\n${"a".repeat(1000)}\r\n`;
    const raw = await expectLog(genLog, "413 POST /echo", () =>
      rawRequest(served.port, `POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${chunk}${chunk}0\r\n\r\n`),
    );
    assert.equal(statusOf(raw), 413);
    await assertStillServing(served.port);
  });

  test("test_small_body: a body within the limit is read whole", async () => {
    const response = await fetch(`http://127.0.0.1:${served.port}/echo`, { method: "POST", body: "x".repeat(999) });
    assert.deepEqual(await response.json(), { args: {}, length: 999 });
  });
});

describe("limits and timeouts", () => {
  test("BodyLimitsTest.test_timeout: a body slower than bodyTimeout is a 408", async () => {
    const served = await serve(makeApp(), { bodyTimeout: 0.1 });
    try {
      const raw = await expectLog(genLog, "408 POST /echo", () =>
        rawRequest(served.port, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc", 3000),
      );
      assert.equal(statusOf(raw), 408);
      await assertStillServing(served.port);
    } finally {
      await served.close();
    }
  });

  test("IdleTimeoutTest.test_idle_after_use: an idle keep-alive connection is closed", async () => {
    const served = await serve(makeApp(), { idleConnectionTimeout: 0.1 });
    try {
      const socket = connect(served.port, "127.0.0.1");
      let received = "";
      socket.on("data", (chunk) => (received += chunk.toString()));
      const closed = new Promise((resolve) => socket.on("close", resolve));
      socket.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      await new Promise((resolve) => setTimeout(resolve, 30));
      socket.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      await closed;
      assert.equal(received.split("Hello world").length - 1, 2);
    } finally {
      await served.close();
    }
  });
});

describe("XHeaderTest", () => {
  class IpHandler extends RequestHandler {
    get() {
      this.write({ remoteIp: this.request.remoteIp, protocol: this.request.protocol });
    }
  }
  let served: Served;
  before(async () => {
    served = await serve(new Application([["/", IpHandler]]), { xheaders: true, trustedDownstream: ["5.5.5.5"] });
  });
  after(() => served.close());
  const fetchJson = async (headers: Record<string, string> = {}) =>
    (await (await fetch(served.url("/"), { headers })).json()) as { remoteIp: string; protocol: string };

  test("test_ip_headers: X-Real-Ip and X-Forwarded-For, invalid values ignored", async () => {
    assert.equal((await fetchJson()).remoteIp, "127.0.0.1");
    assert.equal((await fetchJson({ "X-Real-IP": "4.4.4.4" })).remoteIp, "4.4.4.4");
    assert.equal((await fetchJson({ "X-Forwarded-For": "127.0.0.1, 4.4.4.4" })).remoteIp, "4.4.4.4");
    assert.equal((await fetchJson({ "X-Real-IP": "2620:0:1cfe:face:b00c::3" })).remoteIp, "2620:0:1cfe:face:b00c::3");
    assert.equal((await fetchJson({ "X-Forwarded-For": "::1, 2620:0:1cfe:face:b00c::3" })).remoteIp, "2620:0:1cfe:face:b00c::3");
    assert.equal((await fetchJson({ "X-Real-IP": "4.4.4.4<script>" })).remoteIp, "127.0.0.1");
    assert.equal((await fetchJson({ "X-Forwarded-For": "4.4.4.4, 5.5.5.5<script>" })).remoteIp, "127.0.0.1");
    assert.equal((await fetchJson({ "X-Real-IP": "www.google.com" })).remoteIp, "127.0.0.1");
  });

  test("test_trusted_downstream: trusted proxies are skipped from the right", async () => {
    assert.equal((await fetchJson({ "X-Forwarded-For": "127.0.0.1, 4.4.4.4, 5.5.5.5" })).remoteIp, "4.4.4.4");
  });

  test("test_scheme_headers: X-Scheme and X-Forwarded-Proto, last entry, http/https only", async () => {
    assert.equal((await fetchJson()).protocol, "http");
    assert.equal((await fetchJson({ "X-Scheme": "https" })).protocol, "https");
    assert.equal((await fetchJson({ "X-Forwarded-Proto": "https" })).protocol, "https");
    assert.equal((await fetchJson({ "X-Forwarded-Proto": "https , http" })).protocol, "http");
    assert.equal((await fetchJson({ "X-Forwarded-Proto": "http,https" })).protocol, "https");
    assert.equal((await fetchJson({ "X-Forwarded-Proto": "unknown" })).protocol, "http");
  });

  test("without xheaders the proxy headers are ignored", async () => {
    const plain = await serve(new Application([["/", IpHandler]]));
    try {
      const body = (await (await fetch(plain.url("/"), { headers: { "X-Real-IP": "4.4.4.4", "X-Scheme": "https" } })).json()) as {
        remoteIp: string;
        protocol: string;
      };
      assert.deepEqual(body, { remoteIp: "127.0.0.1", protocol: "http" });
    } finally {
      await plain.close();
    }
  });
});

describe("KeepAliveTest", () => {
  test("test_two_requests and test_http10: keep-alive for HTTP/1.1, close for HTTP/1.0", async () => {
    const served = await serve(makeApp());
    try {
      const twice = await rawRequest(served.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assert.equal(twice.split("Hello world").length - 1, 2);
      const http10 = await rawRequest(served.port, "GET / HTTP/1.0\r\n\r\n");
      assert.match(http10, /^HTTP\/1\.1 200 OK/);
      assert.match(http10, /Hello world$/);
    } finally {
      await served.close();
    }
  });

  test("noKeepAlive closes the connection after every response", async () => {
    const served = await serve(makeApp(), { noKeepAlive: true });
    try {
      const raw = await rawRequest(served.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
      assert.match(raw, /Connection: close/);
      assert.equal(raw.split("Hello world").length - 1, 1);
    } finally {
      await served.close();
    }
  });
});

describe("stop() drains", () => {
  test("in-flight requests finish with Connection: close; idle connections close; new ones are refused", async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const startedPromise = new Promise<void>((resolve) => (started = resolve));
    class SlowHandler extends RequestHandler {
      async get() {
        started();
        await released;
        this.write("slow done");
      }
    }
    const app = new Application([
      ["/slow", SlowHandler],
      ["/", HelloHandler],
    ]);
    const server = await app.listen(0, "127.0.0.1");
    const port = server.port;
    const idle = connect(port, "127.0.0.1");
    const idleClosed = new Promise((resolve) => idle.on("close", resolve));
    idle.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    await new Promise((resolve) => idle.once("data", resolve));

    const slow = rawRequest(port, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n", 5000);
    await startedPromise;
    const stopped = server.stop({ timeout: 5 });
    await idleClosed;
    await assert.rejects(fetch(`http://127.0.0.1:${port}/`));
    release();
    const raw = await slow;
    assert.match(raw, /Connection: close/);
    assert.match(raw, /slow done$/);
    await stopped;
  });

  test("connections still busy after the timeout are closed", async () => {
    class HangingHandler extends RequestHandler {
      async get() {
        await new Promise((resolve) => setTimeout(resolve, 10_000).unref());
      }
    }
    const server = await new Application([["/", HangingHandler]]).listen(0, "127.0.0.1");
    const hanging = rawRequest(server.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 5000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const start = Date.now();
    await server.stop({ timeout: 0.1 });
    assert.equal(await hanging, "");
    assert.ok(Date.now() - start < 3000, "Date.now() - start < 3000");
  });
});

describe("TLS and HTTP/2", () => {
  const ssl = {
    key: readFileSync(new URL("../fixtures/test.key", import.meta.url)),
    cert: readFileSync(new URL("../fixtures/test.crt", import.meta.url)),
  };

  test("SSLTestMixin.test_ssl: HTTPS with the ssl option; protocol is https", async () => {
    class ProtocolHandler extends RequestHandler {
      get() {
        this.write(this.request.protocol);
      }
    }
    const server = new HTTPServer(new Application([["/", ProtocolHandler]]), { ssl });
    await server.listen(0, "127.0.0.1");
    try {
      const { Agent, request } = await import("undici");
      const response = await request(`https://127.0.0.1:${server.port}/`, { dispatcher: new Agent({ connect: { ca: ssl.cert } }) });
      assert.equal(await response.body.text(), "https");
    } finally {
      await server.stop({ timeout: 0 });
    }
  });

  test("http2: HTTP/2 over TLS, HTTP/1.1 still accepted", async () => {
    const server = new HTTPServer(makeApp(), { ssl, http2: true });
    await server.listen(0, "127.0.0.1");
    try {
      const session = http2.connect(`https://127.0.0.1:${server.port}`, { ca: ssl.cert });
      const stream = session.request({ ":path": "/" });
      let body = "";
      stream.on("data", (chunk: Buffer) => (body += chunk.toString()));
      const headers = await new Promise<http2.IncomingHttpHeaders>((resolve) => stream.on("response", resolve));
      await new Promise((resolve) => stream.on("end", resolve));
      session.close();
      assert.equal(headers[":status"], 200);
      assert.equal(body, "Hello world");
      const { Agent, request } = await import("undici");
      const http1 = await request(`https://127.0.0.1:${server.port}/`, { dispatcher: new Agent({ connect: { ca: ssl.cert } }) });
      assert.equal(await http1.body.text(), "Hello world");
    } finally {
      await server.stop({ timeout: 0 });
    }
  });

  test("http2 without ssl is refused with an explanation", () => {
    assert.throws(() => new HTTPServer(makeApp(), { http2: true }), /http2: true needs the ssl option/);
  });
});

describe("bind and start", () => {
  test("bind + start(1) listens in this process; start without bind is a clear error", async () => {
    const server = new HTTPServer(makeApp());
    await assert.rejects(server.start(), /call bind\(port\) before start\(\)/);
    server.bind(0, "127.0.0.1");
    await server.start(1);
    try {
      await assertStillServing(server.port);
    } finally {
      await server.stop({ timeout: 0 });
    }
  });

  test("a plain function can be the server's delegate (Tornado's request_callback)", async () => {
    const server = new HTTPServer((request) => {
      request.connection!.writeHeaders(200, "OK", { "Content-Length": 2 });
      request.connection!.finish("hi");
    });
    await server.listen(0, "127.0.0.1");
    try {
      assert.equal(await (await fetch(`http://127.0.0.1:${server.port}/`)).text(), "hi");
    } finally {
      await server.stop({ timeout: 0 });
    }
  });
});
