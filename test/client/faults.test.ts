// Bad upstreams and bad requests: every failure is a clear error, nothing hangs, nothing unsafe
// is sent. Mirrors the 599 cases of tornado/test/simple_httpclient_test.py (test_connection_refused,
// test_request_timeout, test_connect_timeout, MaxBodySizeTest, the framing cases) and other bad upstreams.
import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import { InvalidArgumentError } from "typhoon";
import {
  AsyncHTTPClient,
  HTTPClientError,
  HTTPStreamClosedError,
  HTTPTimeoutError,
  type HTTPRequestOptions,
} from "typhoon/httpclient";
import { refusingPort, startRawServer, startUpstream, type RawServer, type Upstream } from "./upstream.js";

let upstream: Upstream;
let client: AsyncHTTPClient;

before(async () => {
  upstream = await startUpstream();
  client = new AsyncHTTPClient({ forceInstance: true });
});

after(async () => {
  await client.close();
  await upstream.close();
});

async function withRawServer(
  onRequest: Parameters<typeof startRawServer>[0],
  run: (raw: RawServer) => Promise<void>,
): Promise<void> {
  const raw = await startRawServer(onRequest);
  try {
    await run(raw);
  } finally {
    await raw.close();
  }
}

function isClientError(status: number, code: string, message: RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof HTTPClientError, `expected an HTTPClientError, got ${String(error)}`);
    assert.equal(error.status, status);
    assert.equal(error.code, code);
    assert.match(error.message, message);
    assert.equal(error.response?.code, status, "a 599 error carries a 599 response, as Tornado's");
    return true;
  };
}

void describe("the upstream fails", () => {
  // tornado/test/simple_httpclient_test.py::SimpleHTTPClientTestMixin::test_connection_refused
  void test("a refused connection is a 599 saying so, with the socket error as cause", async () => {
    const port = await refusingPort();
    await assert.rejects(
      client.fetch(`http://127.0.0.1:${port}/`),
      isClientError(599, "TYPHOON_ERR_HTTP_CONNECTION", /^HTTP 599: Connection refused by 127\.0\.0\.1:\d+$/),
    );
    // raiseError false only covers HTTP statuses: a refused connection still rejects (Tornado 6).
    await assert.rejects(client.fetch(`http://127.0.0.1:${port}/`, { raiseError: false }), (error: unknown) => {
      assert.equal(((error as Error).cause as NodeJS.ErrnoException).code, "ECONNREFUSED");
      return true;
    });
  });

  void test("a connection reset before any response is a stream-closed 599", async () => {
    await withRawServer(
      (socket) => socket.resetAndDestroy(),
      async (raw) => {
        await assert.rejects(
          client.fetch(raw.url()),
          (error: unknown) =>
            error instanceof HTTPStreamClosedError &&
            error.status === 599 &&
            error.code === "TYPHOON_ERR_HTTP_STREAM_CLOSED" &&
            /before a response was received/.test(error.message),
        );
      },
    );
  });

  void test("a connection reset in the middle of the body is a stream-closed 599", async () => {
    await withRawServer(
      (socket) => {
        socket.write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + "x".repeat(100), () => {
          setTimeout(() => socket.resetAndDestroy(), 10);
        });
      },
      async (raw) => {
        await assert.rejects(client.fetch(raw.url()), (error: unknown) => {
          assert.ok(error instanceof HTTPStreamClosedError, "error instanceof HTTPStreamClosedError");
          assert.match(error.message, /^Connection closed by 127\.0\.0\.1:\d+ before the response body was complete$/);
          return true;
        });
      },
    );
  });

  void test("a connection closed early in the middle of the body is a 599 too", async () => {
    await withRawServer(
      (socket) => socket.end("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly a little"),
      async (raw) => {
        await assert.rejects(client.fetch(raw.url()), (error: unknown) => {
          assert.ok(error instanceof HTTPStreamClosedError, "error instanceof HTTPStreamClosedError");
          assert.equal(error.status, 599);
          return true;
        });
      },
    );
  });

  for (const [name, statusLine] of [
    ["a non-numeric status", "HTTP/1.1 abc OK"],
    ["a garbled protocol", "HTTX/1.1 200 OK"],
    ["a missing status", "HTTP/1.1"],
  ]) {
    void test(`a malformed status line (${name}) is a malformed-response 599`, async () => {
      await withRawServer(
        (socket) => socket.end(`${statusLine}\r\nContent-Length: 2\r\n\r\nhi`),
        async (raw) => {
          await assert.rejects(
            client.fetch(raw.url()),
            isClientError(599, "TYPHOON_ERR_HTTP_MALFORMED_RESPONSE", /Malformed HTTP response from 127\.0\.0\.1:\d+/),
          );
        },
      );
    });
  }

  void test("a body larger than maxBodySize is refused from its Content-Length, before reading it", async () => {
    await withRawServer(
      (socket) => socket.write("HTTP/1.1 200 OK\r\nContent-Length: 200000000\r\n\r\nxxxx"),
      async (raw) => {
        await assert.rejects(
          client.fetch(raw.url()),
          isClientError(599, "TYPHOON_ERR_HTTP_BODY_TOO_LARGE", /larger than maxBodySize \(104857600 bytes\)/),
        );
      },
    );
  });

  // tornado/test/simple_httpclient_test.py::SimpleHTTPClientTestMixin::test_request_timeout
  void test("an upstream that never answers times out with 599 after requestTimeout, within ±10%", async () => {
    const timeout = 1;
    const started = performance.now();
    await assert.rejects(client.fetch(upstream.url("/hang"), { requestTimeout: timeout }), (error: unknown) => {
      assert.ok(error instanceof HTTPTimeoutError, "error instanceof HTTPTimeoutError");
      assert.equal(error.status, 599);
      assert.equal(error.message, "Timeout during request");
      assert.equal(error.response!.code, 599);
      return true;
    });
    const elapsed = (performance.now() - started) / 1000;
    // The timer never fires early (it checks the monotonic clock), and not much later.
    assert.ok(elapsed >= timeout, `timed out after ${elapsed}s, before the ${timeout}s requestTimeout`);
    assert.ok(elapsed <= timeout * 1.1, `timed out only after ${elapsed}s, more than 10% past ${timeout}s`);
  });

  void test("an upstream that stops in the middle of the body times out too", async () => {
    await withRawServer(
      (socket) => socket.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhalf"),
      async (raw) => {
        await assert.rejects(client.fetch(raw.url(), { requestTimeout: 0.2 }), HTTPTimeoutError);
      },
    );
  });

  // tornado/test/simple_httpclient_test.py::SimpleHTTPClientTestMixin::test_connect_timeout
  void test("a connection that never becomes ready times out with 'Timeout while connecting'", async () => {
    // A TLS handshake with a server that never answers it: the connection is never ready.
    await withRawServer(
      () => undefined,
      async (raw) => {
        await assert.rejects(
          client.fetch(`https://127.0.0.1:${raw.port}/`, { connectTimeout: 0.2, requestTimeout: 3600 }),
          (error: unknown) => {
            assert.ok(error instanceof HTTPTimeoutError, "error instanceof HTTPTimeoutError");
            assert.equal(error.message, "Timeout while connecting");
            return true;
          },
        );
      },
    );
  });

  void test("an unknown host is a 599 saying it could not be resolved", async () => {
    // .invalid never resolves (RFC 6761); a resolver that cannot answer at all times out instead.
    await assert.rejects(client.fetch("http://no-such-host.invalid/", { connectTimeout: 5 }), (error: unknown) => {
      assert.ok(error instanceof HTTPClientError, `expected an HTTPClientError, got ${String(error)}`);
      assert.equal(error.status, 599);
      assert.match(error.message, /Could not resolve host no-such-host\.invalid|Timeout while connecting/);
      return true;
    });
  });

  void test("after a timeout the client keeps working", async () => {
    await assert.rejects(client.fetch(upstream.url("/hang"), { requestTimeout: 0.05 }), HTTPTimeoutError);
    assert.equal((await client.fetch(upstream.url("/hello"))).text, "Hello world!");
  });

  void test("a redirect loop stops after maxRedirects with the last redirect", async () => {
    let requests = 0;
    await withRawServer(
      (socket, head) => {
        requests += 1;
        const path = head.split(" ")[1]!;
        socket.write(`HTTP/1.1 302 Found\r\nLocation: ${path}\r\nContent-Length: 0\r\n\r\n`);
      },
      async (raw) => {
        await assert.rejects(client.fetch(raw.url("/loop")), (error: unknown) => {
          assert.ok(error instanceof HTTPClientError, "error instanceof HTTPClientError");
          assert.equal(error.status, 302);
          assert.equal(error.code, "TYPHOON_ERR_HTTP_STATUS");
          return true;
        });
        const response = await client.fetch(raw.url("/loop"), { raiseError: false, maxRedirects: 2 });
        assert.equal(response.code, 302);
        assert.ok(response.effectiveUrl.endsWith("/loop"), "response.effectiveUrl.endsWith(\"/loop\")");
        // 1 + 5 (default maxRedirects) requests, then 1 + 2.
        assert.equal(requests, 9);
      },
    );
  });
});

// How the response is framed: Tornado's simple client and undici's parser agree on most cases.
void describe("response framing", () => {
  // tornado/test/simple_httpclient_test.py::HTTP204NoContentTestCase::test_204_no_content
  void test("a 204 with Content-Length: 0 on a connection left open has no body", async () => {
    await withRawServer(
      (socket) => socket.write("HTTP/1.1 204 No content\r\nContent-Length: 0\r\n\r\n"),
      async (raw) => {
        const response = await client.fetch(raw.url());
        assert.equal(response.code, 204);
        assert.equal(response.body.length, 0);
      },
    );
  });

  // tornado/test/simple_httpclient_test.py::HTTP204NoContentTestCase::test_204_invalid_content_length
  void test("a 204 announcing a body is refused as a stream-closed 599", async () => {
    await withRawServer(
      (socket) => socket.end("HTTP/1.1 204 No content\r\nContent-Length: 5\r\n\r\n"),
      async (raw) => {
        await assert.rejects(client.fetch(raw.url()), (error: unknown) => {
          assert.ok(error instanceof HTTPStreamClosedError, `expected HTTPStreamClosedError, got ${String(error)}`);
          assert.match(error.message, /does not match its Content-Length/);
          return true;
        });
      },
    );
  });

  // tornado/test/simple_httpclient_test.py::ChunkedWithContentLengthTest::test_chunked_with_content_length
  void test("a response with both Transfer-Encoding: chunked and Content-Length is refused (599)", async () => {
    await withRawServer(
      (socket) =>
        socket.end("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"),
      async (raw) => {
        await assert.rejects(client.fetch(raw.url()), (error: unknown) => {
          assert.ok(error instanceof HTTPClientError, `expected an HTTPClientError, got ${String(error)}`);
          assert.equal(error.status, 599);
          return true;
        });
      },
    );
  });

  // tornado/test/simple_httpclient_test.py::SimpleHTTPClientTestMixin::test_multiple_content_length_accepted
  void test("repeated Content-Length values are refused, equal or not (Tornado accepts equal ones)", async () => {
    for (const lengths of ["Content-Length: 2,2", "Content-Length: 2\r\nContent-Length: 2", "Content-Length: 2,4"]) {
      await withRawServer(
        (socket) => socket.end(`HTTP/1.1 200 OK\r\n${lengths}\r\n\r\nok`),
        async (raw) => {
          await assert.rejects(client.fetch(raw.url()), (error: unknown) => {
            assert.ok(error instanceof HTTPStreamClosedError, `${JSON.stringify(lengths)}: got ${String(error)}`);
            return true;
          });
        },
      );
    }
  });

  // tornado/test/simple_httpclient_test.py::HTTP100ContinueTestCase::test_100_continue
  void test("an unsolicited 100 Continue before the response is a clear 599 (Tornado skips it)", async () => {
    await withRawServer(
      (socket) => socket.end("HTTP/1.1 100 CONTINUE\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA"),
      async (raw) => {
        await assert.rejects(
          client.fetch(raw.url()),
          isClientError(599, "TYPHOON_ERR_HTTP_MALFORMED_RESPONSE", /Unexpected response from 127\.0\.0\.1:\d+: a 100 Continue/),
        );
      },
    );
  });

  void test("other 1xx responses before the final one are skipped", async () => {
    await withRawServer(
      (socket) =>
        socket.end("HTTP/1.1 103 Early Hints\r\nLink: </style.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA"),
      async (raw) => {
        const response = await client.fetch(raw.url());
        assert.equal(response.code, 200);
        assert.equal(response.text, "A");
        assert.equal(response.headers.has("Link"), false, "the 103's headers are not the response's");
      },
    );
  });

  // tornado/test/simple_httpclient_test.py::MaxHeaderSizeTest::test_small_headers, test_large_headers
  void test("response headers beyond Node's header size limit (16 KiB) are a malformed-response 599", async () => {
    const respond = (size: number) => (socket: Socket) =>
      socket.end(`HTTP/1.1 200 OK\r\nX-Filler: ${"a".repeat(size)}\r\nContent-Length: 2\r\n\r\nok`);
    await withRawServer(respond(100), async (raw) => {
      assert.equal((await client.fetch(raw.url())).headers.get("X-Filler")!.length, 100);
    });
    await withRawServer(respond(20_000), async (raw) => {
      await assert.rejects(
        client.fetch(raw.url()),
        isClientError(599, "TYPHOON_ERR_HTTP_MALFORMED_RESPONSE", /Response headers from 127\.0\.0\.1:\d+ are too large/),
      );
    });
  });
});

void describe("unsafe or invalid requests are refused before anything is sent", () => {
  let raw: RawServer;
  before(async () => {
    raw = await startRawServer((socket) => socket.end("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
  });
  after(() => raw.close());

  const refusals: Array<[string, () => Promise<unknown>, RegExp]> = [
    ["CR/LF in the URL", () => client.fetch(`${raw.url("/a")}\r\nX-Injected: 1`), /CR, LF or another control character/],
    ["a bare LF in the URL", () => client.fetch(`${raw.url("/a")}\nHost: evil`), /CR, LF/],
    ["CR/LF in a header value", () => client.fetch(raw.url(), { headers: { "X-Test": "a\r\nX-Injected: 1" } }), /X-Test contains CR, LF or NUL/],
    ["NUL in a header value", () => client.fetch(raw.url(), { headers: { "X-Test": "a\0b" } }), /contains CR, LF or NUL/],
    [
      "another control character in a header value",
      () => client.fetch(raw.url(), { headers: { "X-Test": "a\x7fb" } }),
      /X-Test contains a control character or a character outside Latin-1/,
    ],
    [
      "a header value outside Latin-1",
      () => client.fetch(raw.url(), { headers: { "X-Test": "snow \u2603" } }),
      /outside Latin-1.*RFC 8187/,
    ],
    ["CR/LF in a header name", () => client.fetch(raw.url(), { headers: { "X-Te\r\nst": "a" } }), /invalid header name/],
    ["CR/LF in the userAgent", () => client.fetch(raw.url(), { userAgent: "ua\r\nX-Injected: 1" }), /User-Agent contains CR, LF/],
    ["an unsupported scheme", () => client.fetch("ftp://127.0.0.1/file"), /Unsupported url scheme/],
    ["a relative URL", () => client.fetch("/just/a/path"), /invalid URL/],
    ["a method that is not a token", () => client.fetch(raw.url(), { method: "GET /x HTTP/1.1\r\n" }), /invalid HTTP method/],
    ["a negative timeout", () => client.fetch(raw.url(), { requestTimeout: -1 }), /requestTimeout must be/],
    ["a proxy host with a scheme", () => client.fetch(raw.url(), { proxyHost: "http://proxy" }), /invalid proxyHost/],
    ["a proxy host with CR/LF", () => client.fetch(raw.url(), { proxyHost: "proxy\r\nX: 1" }), /invalid proxyHost/],
    ["a proxy port out of range", () => client.fetch(raw.url(), { proxyHost: "127.0.0.1", proxyPort: 70000 }), /invalid proxyPort/],
  ];
  for (const [name, run, message] of refusals) {
    void test(name, async () => {
      const connections = raw.connections;
      await assert.rejects(run(), (error: unknown) => {
        assert.ok(error instanceof InvalidArgumentError, `expected InvalidArgumentError, got ${String(error)}`);
        assert.match(error.message, message);
        return true;
      });
      assert.equal(raw.connections, connections, "nothing reached the server");
    });
  }

  void test("error codes name the kind of refusal", async () => {
    await assert.rejects(client.fetch(`${raw.url()}\r\n`), { code: "TYPHOON_ERR_BAD_URL" });
    await assert.rejects(client.fetch(raw.url(), { headers: { X: "\n" } }), { code: "TYPHOON_ERR_BAD_HEADER" });
  });
});

void describe("callbacks and redirects", () => {
  void test("an exception in streamingCallback fails the fetch with it", async () => {
    const failure = new RangeError("stop streaming");
    const options: HTTPRequestOptions = {
      streamingCallback: () => {
        throw failure;
      },
    };
    await assert.rejects(client.fetch(upstream.url("/chunk"), options), (error: unknown) => error === failure);
    assert.equal((await client.fetch(upstream.url("/hello"))).code, 200);
  });

  void test("an exception in headerCallback fails the fetch with it", async () => {
    await assert.rejects(
      client.fetch(upstream.url("/hello"), {
        headerCallback: () => {
          throw new TypeError("bad header callback");
        },
      }),
      /bad header callback/,
    );
  });

  void test("a redirect to another origin drops Authorization, Cookie and the basic-auth credentials", async () => {
    const other = await startUpstream();
    try {
      const target = encodeURIComponent(other.url("/headers"));
      const options: HTTPRequestOptions = {
        authUsername: "user",
        authPassword: "secret",
        headers: { Cookie: "session=abc", "X-Kept": "yes" },
      };
      const crossOrigin = (await client.fetch(upstream.url(`/redirect?url=${target}`), options)).json<Record<string, string>>();
      assert.equal(crossOrigin.authorization, undefined);
      assert.equal(crossOrigin.cookie, undefined);
      assert.equal(crossOrigin["x-kept"], "yes");

      const sameOrigin = (await client.fetch(upstream.url("/redirect?url=/headers"), options)).json<Record<string, string>>();
      assert.equal(sameOrigin.authorization, `Basic ${Buffer.from("user:secret").toString("base64")}`);
      assert.equal(sameOrigin.cookie, "session=abc");
    } finally {
      await other.close();
    }
  });

  void test("a redirect to a scheme other than http(s) is not followed", async () => {
    const response = await client.fetch(upstream.url("/redirect?url=ftp://example.com/file"), { raiseError: false });
    assert.equal(response.code, 302);
    assert.equal(response.headers.get("Location"), "ftp://example.com/file");
  });
});
