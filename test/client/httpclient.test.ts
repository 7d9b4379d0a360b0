// Tests of AsyncHTTPClient against a node:http upstream; mirrors tornado/test/httpclient_test.py
// (HTTPClientCommonTestCase, HTTPRequestTestCase, HTTPErrorTestCase) and the client-independent
// parts of simple_httpclient_test.py (SimpleHTTPClientTestMixin, MaxBodySizeTest).
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { gunzipSync } from "node:zlib";
import { HTTPHeaders, InvalidArgumentError, InvalidStateError, TyphoonError, version } from "typhoon";
import {
  AsyncHTTPClient,
  HTTPClientError,
  HTTPRequest,
  HTTPResponse,
  HTTPTimeoutError,
  REQUEST_DEFAULTS,
  type HTTPRequestOptions,
} from "typhoon/httpclient";
import { startRawServer, startUpstream, type Upstream } from "./upstream.js";

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

/** As AsyncHTTPTestCase.fetch: a path on the upstream, raiseError false unless given. */
function fetch(path: string, options: HTTPRequestOptions = {}): Promise<HTTPResponse> {
  return client.fetch(path.startsWith("http") ? path : upstream.url(path), { raiseError: false, ...options });
}

void describe("HTTPClientCommonTestCase", () => {
  // tornado/test/httpclient_test.py::HTTPClientCommonTestCase::test_hello_world
  void test("fetches a page: code, headers, body, timing", async () => {
    const response = await fetch("/hello");
    assert.equal(response.code, 200);
    assert.equal(response.reason, "OK");
    assert.equal(response.headers.get("Content-Type"), "text/plain");
    assert.deepEqual(response.body, Buffer.from("Hello world!"));
    assert.equal(response.text, "Hello world!");
    assert.ok(response.requestTime! >= 0, "response.requestTime! >= 0");
    assert.equal((await fetch("/hello?name=Ben")).text, "Hello Ben!");
  });

  // tornado/test/httpclient_test.py::HTTPClientCommonTestCase::test_patch_receives_payload
  void test("PATCH sends its body", async () => {
    const response = await fetch("/patch", { method: "PATCH", body: Buffer.from("some patch data") });
    assert.equal(response.code, 200);
    assert.equal(response.text, "some patch data");
  });

  // tornado/test/httpclient_test.py::HTTPClientCommonTestCase::test_streaming_callback
  void test("streamingCallback gets the body; response.body is then empty", async () => {
    const chunks: Buffer[] = [];
    const response = await fetch("/hello", { streamingCallback: (chunk) => chunks.push(chunk) });
    assert.deepEqual(Buffer.concat(chunks).toString(), "Hello world!");
    assert.equal(response.body.length, 0);
  });

  // tornado/test/httpclient_test.py::HTTPClientCommonTestCase::test_post
  void test("POST sends a form body", async () => {
    const response = await fetch("/post", { method: "POST", body: "arg1=foo&arg2=bar" });
    assert.equal(response.code, 200);
    assert.equal(response.text, "Post arg1: foo, arg2: bar");
    const sent = upstream.requests.at(-1)!;
    assert.equal(sent.headers["content-type"], "application/x-www-form-urlencoded");
  });

  // tornado/test/httpclient_test.py::HTTPClientCommonTestCase::test_chunked
  void test("a chunked body arrives whole, or chunk by chunk to streamingCallback", async () => {
    assert.equal((await fetch("/chunk")).text, "asdfqwer");
    const chunks: string[] = [];
    const response = await fetch("/chunk", { streamingCallback: (chunk) => chunks.push(chunk.toString()) });
    assert.deepEqual(chunks, ["asdf", "qwer"]);
    assert.equal(response.body.length, 0);
  });

  // tornado/test/httpclient_test.py::HTTPClientCommonTestCase::test_chunked_close
  void test("chunks and the connection close arriving at once", async () => {
    const raw = await startRawServer((socket) => {
      socket.end("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n1\r\n1\r\n2\r\n0\r\n\r\n");
    });
    try {
      const response = await fetch(raw.url());
      response.rethrow();
      assert.equal(response.text, "12");
    } finally {
      await raw.close();
    }
  });

  // tornado/test/httpclient_test.py::HTTPClientCommonTestCase::test_basic_auth, test_basic_auth_explicit_mode
  void test("basic auth", async () => {
    const expected = "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==";
    assert.equal((await fetch("/auth", { authUsername: "Aladdin", authPassword: "open sesame" })).text, expected);
    assert.equal(
      (await fetch("/auth", { authUsername: "Aladdin", authPassword: "open sesame", authMode: "basic" })).text,
      expected,
    );
  });

  // tornado/test/httpclient_test.py::HTTPClientCommonTestCase::test_basic_auth_unicode
  void test("basic auth encodes UTF-8 and normalizes to NFC", async () => {
    assert.equal((await fetch("/auth", { authUsername: "test", authPassword: "123£" })).text, "Basic dGVzdDoxMjPCow==");
    const decomposed = "josé".normalize("NFD");
    assert.equal((await fetch("/auth", { authUsername: decomposed, authPassword: "səcrət" })).text, "Basic am9zw6k6c8mZY3LJmXQ=");
  });

  // tornado/test/httpclient_test.py::HTTPClientCommonTestCase::test_unsupported_auth_mode
  void test("an unknown or digest authMode is refused, never downgraded to basic", async () => {
    const options = { authUsername: "Aladdin", authPassword: "open sesame" };
    await assert.rejects(fetch("/auth", { ...options, authMode: "asdf" as "basic" }), InvalidArgumentError);
    await assert.rejects(fetch("/auth", { ...options, authMode: "digest" }), (error: unknown) => {
      assert.ok(error instanceof InvalidArgumentError, "error instanceof InvalidArgumentError");
      assert.equal(error.code, "TYPHOON_ERR_UNSUPPORTED_AUTH_MODE");
      assert.match(error.message, /"digest" is not supported/);
      return true;
    });
  });

  // tornado/test/httpclient_test.py::HTTPClientCommonTestCase::test_follow_redirect
  void test("redirects are followed unless followRedirects is false", async () => {
    const unfollowed = await fetch("/countdown/2", { followRedirects: false });
    assert.equal(unfollowed.code, 302);
    assert.ok(unfollowed.headers.get("Location")!.endsWith("/countdown/1"), "unfollowed.headers.get(\"Location\")!.endsWith(\"/countdown/1\")");
    const followed = await fetch("/countdown/2");
    assert.equal(followed.code, 200);
    assert.ok(followed.effectiveUrl.endsWith("/countdown/0"), "followed.effectiveUrl.endsWith(\"/countdown/0\")");
    assert.equal(followed.text, "Zero");
  });

  // tornado/test/httpclient_test.py::HTTPClientCommonTestCase::test_redirect_without_location
  void test("a redirect without Location is returned as is", async () => {
    assert.equal((await fetch("/redirect_without_location")).code, 301);
  });

  // tornado/test/httpclient_test.py::HTTPClientCommonTestCase::test_redirect_put_with_body, test_put_307
  void test("a 307 redirect repeats a PUT with its body", async () => {
    const response = await fetch("/redirect?url=/put&status=307", { method: "PUT", body: "hello" });
    response.rethrow();
    assert.equal(response.text, "Put body: hello");
  });

  // tornado/test/httpclient_test.py::HTTPClientCommonTestCase::test_redirect_put_without_body
  void test("a 307 redirect repeats a PUT without body", async () => {
    const response = await fetch("/redirect?url=/put&status=307", { method: "PUT", allowNonstandardMethods: true });
    assert.equal(response.text, "Put body: ");
  });

  // tornado/test/httpclient_test.py::HTTPClientCommonTestCase::test_method_after_redirect
  void test("301 and 302 turn POST into GET, 303 turns everything but HEAD into GET, 307 and 308 keep the method", async () => {
    for (const status of [301, 302, 303]) {
      const url = `/redirect?url=/all_methods&status=${status}`;
      assert.equal((await fetch(url, { method: "POST", body: "" })).text, "GET");
      for (const method of ["GET", "OPTIONS", "PUT", "DELETE"]) {
        const response = await fetch(url, { method, allowNonstandardMethods: true });
        assert.equal(response.text, status === 303 ? "GET" : method, `${status} ${method}`);
      }
      const head = await fetch(url, { method: "HEAD" });
      assert.equal(head.code, 200);
      assert.equal(head.body.length, 0);
    }
    for (const status of [307, 308]) {
      const url = `/redirect?url=/all_methods&status=${status}`;
      for (const method of ["GET", "OPTIONS", "POST", "PUT", "DELETE"]) {
        assert.equal((await fetch(url, { method, allowNonstandardMethods: true })).text, method);
      }
      assert.equal((await fetch(url, { method: "HEAD" })).code, 200);
    }
  });

  // tornado/test/httpclient_test.py::HTTPClientCommonTestCase::test_credentials_in_url
  void test("credentials in the URL become basic auth", async () => {
    const url = upstream.url("/auth").replace("http://", "http://me:secret@");
    assert.equal((await fetch(url)).text, `Basic ${Buffer.from("me:secret").toString("base64")}`);
  });

  // tornado/test/httpclient_test.py::HTTPClientCommonTestCase::test_body_encoding
  void test("a string body is sent as UTF-8, a Buffer as is", async () => {
    const text = await fetch("/echopost", { method: "POST", body: "\u00e9", headers: { "Content-Type": "application/blah" } });
    assert.equal(text.headers.get("Content-Length"), "2");
    assert.deepEqual(text.body, Buffer.from("\u00e9", "utf8"));
    const bytes = await fetch("/echopost", {
      method: "POST",
      body: Buffer.from([0xe9]),
      headers: { "Content-Type": "application/blah" },
      userAgent: "foo",
    });
    assert.equal(bytes.headers.get("Content-Length"), "1");
    assert.deepEqual(bytes.body, Buffer.from([0xe9]));
  });

  // tornado/test/httpclient_test.py::HTTPClientCommonTestCase::test_types
  void test("response fields have the documented types", async () => {
    const response = await fetch("/hello");
    assert.ok(Buffer.isBuffer(response.body), "Buffer.isBuffer(response.body)");
    assert.equal(typeof response.headers.get("Content-Type"), "string");
    assert.equal(typeof response.code, "number");
    assert.equal(typeof response.effectiveUrl, "string");
    assert.ok(response.headers instanceof HTTPHeaders, "response.headers instanceof HTTPHeaders");
  });

  // tornado/test/httpclient_test.py::HTTPClientCommonTestCase::test_gzip
  void test("gzip: decompressed by default, raw with decompressResponse false", async () => {
    const decoded = await fetch("/gzip");
    assert.equal(decoded.text, "asdfqwer".repeat(100));
    assert.equal(decoded.headers.has("Content-Encoding"), false);
    assert.equal(decoded.headers.get("X-Consumed-Content-Encoding"), "gzip");
    assert.equal(upstream.requests.at(-1)!.headers["accept-encoding"], "gzip");

    const raw = await fetch("/gzip", { decompressResponse: false, headers: { "Accept-Encoding": "gzip" } });
    assert.equal(raw.headers.get("Content-Encoding"), "gzip");
    assert.notEqual(raw.text, "asdfqwer".repeat(100));
    assert.equal(gunzipSync(raw.body).toString(), "asdfqwer".repeat(100));

    await fetch("/hello", { decompressResponse: false });
    assert.equal(upstream.requests.at(-1)!.headers["accept-encoding"], undefined);
  });

  // tornado/test/httpclient_test.py::HTTPClientCommonTestCase::test_invalid_gzip
  void test("a gzip body with trailing garbage is decoded, without hanging", async () => {
    const response = await fetch("/invalid_gzip");
    assert.equal(response.code, 200);
    assert.equal(response.text.slice(0, 14), "Hello World 0\n");
    assert.equal(response.body.length, 149051);
  });

  void test("a body that is not the gzip it claims fails with 599", async () => {
    await assert.rejects(fetch("/corrupt_gzip"), (error: unknown) => {
      assert.ok(error instanceof HTTPClientError, "error instanceof HTTPClientError");
      assert.equal(error.status, 599);
      assert.equal(error.code, "TYPHOON_ERR_HTTP_MALFORMED_RESPONSE");
      assert.match(error.message, /Could not decompress the gzip response/);
      return true;
    });
  });

  // tornado/test/httpclient_test.py::HTTPClientCommonTestCase::test_header_callback
  void test("headerCallback gets the status line and each header before any body chunk", async () => {
    const firstLine: string[] = [];
    const headers: Record<string, string> = {};
    const chunks: string[] = [];
    let finalLine = false;
    await fetch("/chunk", {
      headerCallback: (line) => {
        if (line.startsWith("HTTP/")) firstLine.push(line);
        else if (line === "\r\n") finalLine = true;
        else {
          assert.ok(line.endsWith("\r\n"), "line.endsWith(\"\\r\\n\")");
          const colon = line.indexOf(":");
          headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
        }
      },
      streamingCallback: (chunk) => {
        assert.equal(headers["content-type"], "text/html; charset=UTF-8");
        assert.ok(finalLine, "finalLine");
        chunks.push(chunk.toString());
      },
    });
    assert.equal(firstLine.length, 1);
    assert.match(firstLine[0]!, /^HTTP\/[0-9]\.[0-9] 200.*\r\n$/);
    assert.deepEqual(chunks, ["asdf", "qwer"]);
  });

  // tornado/test/httpclient_test.py::HTTPClientCommonTestCase::test_configure_defaults
  void test("client defaults apply to its requests", async () => {
    const configured = new AsyncHTTPClient({ forceInstance: true, userAgent: "TestDefaultUserAgent" });
    try {
      assert.equal((await configured.fetch(upstream.url("/user_agent"))).text, "TestDefaultUserAgent");
      assert.equal(configured.defaults.userAgent, "TestDefaultUserAgent");
    } finally {
      await configured.close();
    }
  });

  void test("default headers apply below the request's own", async () => {
    const configured = new AsyncHTTPClient({ forceInstance: true, headers: { "X-Team": "core", "User-Agent": "Default" } });
    try {
      const echoed = (await configured.fetch(upstream.url("/headers"), { headers: { "User-Agent": "Mine" } })).json<
        Record<string, string>
      >();
      assert.equal(echoed["x-team"], "core");
      assert.equal(echoed["user-agent"], "Mine");
    } finally {
      await configured.close();
    }
  });

  // tornado/test/httpclient_test.py::HTTPClientCommonTestCase::test_header_types
  void test("headers may be a plain object or HTTPHeaders", async () => {
    for (const headers of [{ "User-Agent": "MyUserAgent" }, new HTTPHeaders({ "User-Agent": "MyUserAgent" })]) {
      assert.equal((await fetch("/user_agent", { headers })).text, "MyUserAgent");
    }
  });

  // tornado/test/httpclient_test.py::HTTPClientCommonTestCase::test_multi_line_headers
  void test("a folded (multi-line) response header is refused as malformed", async () => {
    // Tornado joins obsolete line folding; undici's parser (llhttp) rejects it, as RFC 9112 allows.
    const raw = await startRawServer((socket) => {
      socket.end("HTTP/1.1 200 OK\r\nX-XSS-Protection: 1;\r\n\tmode=block\r\nContent-Length: 0\r\n\r\n");
    });
    try {
      await assert.rejects(fetch(raw.url()), (error: unknown) => {
        assert.ok(error instanceof HTTPClientError, "error instanceof HTTPClientError");
        assert.equal(error.status, 599);
        assert.equal(error.code, "TYPHOON_ERR_HTTP_MALFORMED_RESPONSE");
        assert.match(error.message, /Malformed HTTP response from 127\.0\.0\.1:\d+/);
        return true;
      });
    } finally {
      await raw.close();
    }
  });

  // tornado/test/httpclient_test.py::HTTPClientCommonTestCase::test_header_encoding
  void test("non-ASCII request header values are sent as Latin-1", async () => {
    const echoed = (await fetch("/headers", { headers: { Foo: "b\u00e4r" } })).json<Record<string, string>>();
    assert.equal(echoed.foo, "b\u00e4r");
  });

  // tornado/test/httpclient_test.py::HTTPClientCommonTestCase::test_non_ascii_header
  void test("non-ASCII response header values are read as Latin-1", async () => {
    const response = await fetch("/set_header?k=foo&v=%E9");
    response.rethrow();
    assert.equal(response.headers.get("Foo"), "\u00e9");
  });

  // tornado/test/httpclient_test.py::HTTPClientCommonTestCase::test_304_with_content_length
  void test("a 304 with Content-Length", async () => {
    const response = await fetch("/304_with_content_length");
    assert.equal(response.code, 304);
    assert.equal(response.headers.get("Content-Length"), "42");
  });

  // tornado/test/httpclient_test.py::HTTPClientCommonTestCase::test_future_http_error
  void test("a 404 rejects with HTTPClientError carrying the status and the response", async () => {
    await assert.rejects(client.fetch(upstream.url("/notfound")), (error: unknown) => {
      assert.ok(error instanceof HTTPClientError, "error instanceof HTTPClientError");
      assert.ok(error instanceof TyphoonError, "error instanceof TyphoonError");
      assert.equal(error.status, 404);
      assert.equal(error.code, "TYPHOON_ERR_HTTP_STATUS");
      assert.equal(error.message, "HTTP 404: Not Found");
      assert.equal(error.response!.code, 404);
      assert.equal(error.response!.text, "not found");
      return true;
    });
  });

  // tornado/test/httpclient_test.py::HTTPClientCommonTestCase::test_future_http_error_no_raise
  void test("raiseError false returns the 404 response", async () => {
    const response = await client.fetch(upstream.url("/notfound"), { raiseError: false });
    assert.equal(response.code, 404);
    assert.ok(response.error instanceof HTTPClientError, "response.error instanceof HTTPClientError");
    assert.throws(() => response.rethrow(), HTTPClientError);
  });

  // tornado/test/httpclient_test.py::HTTPClientCommonTestCase::test_reuse_request_from_response
  void test("response.request is the HTTPRequest and can be fetched again", async () => {
    const url = upstream.url("/hello");
    const response = await client.fetch(url);
    assert.ok(response.request instanceof HTTPRequest, "response.request instanceof HTTPRequest");
    assert.equal(response.request.url, url);
    assert.equal((await client.fetch(response.request)).text, "Hello world!");
  });

  void test("an HTTPRequest takes no other options than raiseError", async () => {
    const request = new HTTPRequest(upstream.url("/notfound"));
    assert.equal((await client.fetch(request, { raiseError: false })).code, 404);
    await assert.rejects(client.fetch(request, { method: "POST" }), /can't be used if the request is an HTTPRequest/);
  });

  // tornado/test/httpclient_test.py::HTTPClientCommonTestCase::test_all_methods
  void test("every standard method, and others with allowNonstandardMethods", async () => {
    for (const method of ["GET", "DELETE", "OPTIONS"]) assert.equal((await fetch("/all_methods", { method })).text, method);
    for (const method of ["POST", "PUT", "PATCH"]) {
      assert.equal((await fetch("/all_methods", { method, body: "" })).text, method);
    }
    assert.equal((await fetch("/all_methods", { method: "HEAD" })).body.length, 0);
    // node:http only parses the methods it knows: PROPFIND stands for Tornado's "OTHER".
    assert.equal((await fetch("/all_methods", { method: "PROPFIND", allowNonstandardMethods: true })).text, "PROPFIND");
    await assert.rejects(fetch("/all_methods", { method: "PROPFIND" }), /unknown method PROPFIND/);
  });

  // tornado/test/httpclient_test.py::HTTPClientCommonTestCase::test_body_sanity_checks
  void test("a body is required for POST/PUT/PATCH and refused for the others, unless allowNonstandardMethods", async () => {
    for (const method of ["POST", "PUT", "PATCH"]) {
      await assert.rejects(fetch("/all_methods", { method, raiseError: true }), (error: unknown) => {
        assert.ok(error instanceof InvalidArgumentError, "error instanceof InvalidArgumentError");
        assert.match(error.message, /must not be undefined/);
        return true;
      });
      assert.equal((await fetch("/all_methods", { method, allowNonstandardMethods: true })).code, 200);
    }
    for (const method of ["GET", "DELETE", "OPTIONS"]) {
      await assert.rejects(fetch("/all_methods", { method, body: "asdf", raiseError: true }), /must be undefined/);
      const response = await fetch("/all_methods", { method, body: "asdf", allowNonstandardMethods: true, raiseError: true });
      assert.equal(response.code, 200);
    }
  });

  // tornado/test/httpclient_test.py::HTTPClientCommonTestCase::test_response_times
  void test("requestTime, startTime and timeInfo use the right clocks", async () => {
    const before = Date.now() / 1000;
    const response = await fetch("/hello");
    response.rethrow();
    assert.ok(response.requestTime! >= 0, "response.requestTime! >= 0");
    assert.ok(Math.abs(response.startTime! - before) < 5, "startTime is wall-clock seconds");
    for (const key of ["queue", "connect", "starttransfer", "total", "redirect"]) {
      const value = response.timeInfo[key];
      assert.ok(value !== undefined && value >= 0 && value < 60, `timeInfo.${key} = ${value}`);
    }
  });

  // tornado/test/httpclient_test.py::HTTPClientCommonTestCase::test_zero_timeout
  void test("a timeout of 0 means no limit", async () => {
    assert.equal((await fetch("/hello", { connectTimeout: 0 })).code, 200);
    assert.equal((await fetch("/hello", { requestTimeout: 0 })).code, 200);
    assert.equal((await fetch("/hello", { connectTimeout: 0, requestTimeout: 0 })).code, 200);
  });

  void test("text and json() decode the body", async () => {
    const response = await fetch("/headers");
    assert.equal(typeof response.json<Record<string, string>>().host, "string");
    assert.throws(() => new HTTPResponse(new HTTPRequest("http://x/"), 200, { body: Buffer.from("{") }).json(), SyntaxError);
  });

  // tornado/test/httpclient_test.py::HTTPClientCommonTestCase::test_future_interface
  void test("fetch returns a promise of the response", async () => {
    const pending = fetch("/hello");
    assert.ok(pending instanceof Promise, "fetch() returns a Promise (Tornado: a Future)");
    assert.equal((await pending).text, "Hello world!");
  });

  void test("a default ifModifiedSince is sent, unless the request has its own", async () => {
    const configured = new AsyncHTTPClient({ forceInstance: true, ifModifiedSince: new Date(Date.UTC(2013, 3, 1, 11, 22, 33)) });
    try {
      const sent = (await configured.fetch(upstream.url("/headers"))).json<Record<string, string>>();
      assert.equal(sent["if-modified-since"], "Mon, 01 Apr 2013 11:22:33 GMT");
      const own = (await configured.fetch(upstream.url("/headers"), { ifModifiedSince: 0 })).json<Record<string, string>>();
      assert.equal(own["if-modified-since"], "Thu, 01 Jan 1970 00:00:00 GMT");
    } finally {
      await configured.close();
    }
  });
});

// tornado/test/httpclient_test.py::RequestProxyTest: a request's option wins over the client's
// default, which wins over Tornado's default.
void describe("request options and client defaults", () => {
  let defaulted: AsyncHTTPClient;
  before(() => {
    defaulted = new AsyncHTTPClient({ forceInstance: true, userAgent: "Default", maxRedirects: 1 });
  });
  after(() => defaulted.close());

  // tornado/test/httpclient_test.py::RequestProxyTest::test_request_set
  void test("an option set on the request is used", async () => {
    assert.equal((await client.fetch(new HTTPRequest(upstream.url("/user_agent"), { userAgent: "Mine" }))).text, "Mine");
  });

  // tornado/test/httpclient_test.py::RequestProxyTest::test_default_set
  void test("an option left unset takes the client's default", async () => {
    assert.equal((await defaulted.fetch(upstream.url("/user_agent"))).text, "Default");
    const stopped = await defaulted.fetch(upstream.url("/countdown/2"), { raiseError: false });
    assert.equal(stopped.code, 302, "maxRedirects 1 from the client's defaults");
  });

  // tornado/test/httpclient_test.py::RequestProxyTest::test_both_set
  void test("the request's option wins over the client's default", async () => {
    assert.equal((await defaulted.fetch(upstream.url("/user_agent"), { userAgent: "Mine" })).text, "Mine");
    assert.equal((await defaulted.fetch(upstream.url("/countdown/2"), { maxRedirects: 2 })).text, "Zero");
  });

  // tornado/test/httpclient_test.py::RequestProxyTest::test_neither_set, test_defaults_none
  void test("with neither, Tornado's default applies", async () => {
    assert.equal(REQUEST_DEFAULTS.maxRedirects, 5);
    assert.equal((await client.fetch(upstream.url("/countdown/5"))).text, "Zero");
    assert.equal((await fetch("/countdown/6")).code, 302);
  });
});

// tornado/test/httpclient_test.py::HTTPRequestTestCase
void describe("HTTPRequest", () => {
  // tornado/test/httpclient_test.py::HTTPRequestTestCase::test_headers
  void test("headers become an HTTPHeaders copy", () => {
    const given = new HTTPHeaders({ Foo: "bar" });
    const request = new HTTPRequest("http://example.com", { headers: given });
    assert.ok(request.headers instanceof HTTPHeaders, "request.headers instanceof HTTPHeaders");
    assert.equal(request.headers.get("foo"), "bar");
    request.headers.set("Foo", "changed");
    assert.equal(given.get("Foo"), "bar");
    assert.equal(new HTTPRequest("http://example.com", { headers: { Foo: "bar" } }).headers.get("Foo"), "bar");
  });

  // tornado/test/httpclient_test.py::HTTPRequestTestCase::test_headers_setter, test_null_headers_setter
  void test("assigning headers stores an HTTPHeaders copy; null leaves none", () => {
    const request = new HTTPRequest("http://example.com", { headers: { Old: "1" } });
    const given = { bar: "baz" };
    request.headers = given;
    assert.ok(request.headers instanceof HTTPHeaders, "the setter converts a plain object");
    assert.deepEqual([...request.headers], [["Bar", "baz"]]);
    given.bar = "changed";
    assert.equal(request.headers.get("bar"), "baz", "the request keeps a copy");
    request.headers = null;
    assert.deepEqual([...request.headers], []);
  });

  // tornado/test/httpclient_test.py::HTTPRequestTestCase::test_body
  void test("a string body is stored as UTF-8 bytes", () => {
    assert.deepEqual(new HTTPRequest("http://example.com", { body: "foo" }).body, Buffer.from("foo"));
    assert.equal(new HTTPRequest("http://example.com").body, undefined);
  });

  // tornado/test/httpclient_test.py::HTTPRequestTestCase::test_body_setter
  void test("assigning a string body stores its UTF-8 bytes", () => {
    const request = new HTTPRequest("http://example.com");
    request.body = "f\u00f6o";
    assert.deepEqual(request.body, Buffer.from("f\u00f6o", "utf8"));
    request.body = undefined;
    assert.equal(request.body, undefined);
  });

  // tornado/test/httpclient_test.py::HTTPRequestTestCase::test_if_modified_since
  void test("ifModifiedSince sets the If-Modified-Since header", () => {
    const date = new Date(Date.UTC(2013, 3, 1, 11, 22, 33));
    assert.equal(
      new HTTPRequest("http://example.com", { ifModifiedSince: date }).headers.get("If-Modified-Since"),
      "Mon, 01 Apr 2013 11:22:33 GMT",
    );
    assert.equal(
      new HTTPRequest("http://example.com", { ifModifiedSince: date.getTime() / 1000 }).headers.get("If-Modified-Since"),
      "Mon, 01 Apr 2013 11:22:33 GMT",
    );
    assert.throws(() => new HTTPRequest("http://example.com", { ifModifiedSince: new Date("nope") }), InvalidArgumentError);
  });
});

// tornado/test/httpclient_test.py::HTTPErrorTestCase
void describe("HTTPClientError", () => {
  // tornado/test/httpclient_test.py::HTTPErrorTestCase::test_plain_error
  void test("a plain error says its status and reason", () => {
    const error = new HTTPClientError(403);
    assert.equal(error.message, "HTTP 403: Forbidden");
    assert.equal(error.status, 403);
    assert.equal(error.response, undefined);
    assert.equal(error.name, "HTTPClientError");
  });

  // tornado/test/httpclient_test.py::HTTPErrorTestCase::test_error_with_response
  void test("an error with a response", () => {
    const response = new HTTPResponse(new HTTPRequest("http://example.com/"), 403);
    const error = new HTTPClientError(403, "Forbidden", response);
    assert.equal(error.response, response);
    assert.ok(response.error instanceof HTTPClientError, "response.error instanceof HTTPClientError");
    assert.equal(response.reason, "Forbidden");
  });

  void test("HTTPTimeoutError is a 599 whose message is the bare description", () => {
    const error = new HTTPTimeoutError("Timeout while connecting");
    assert.equal(error.status, 599);
    assert.equal(error.code, "TYPHOON_ERR_HTTP_TIMEOUT");
    assert.equal(error.message, "Timeout while connecting");
  });
});

// tornado/test/simple_httpclient_test.py::SimpleHTTPClientTestMixin
void describe("SimpleHTTPClientTestMixin", () => {
  // tornado/test/simple_httpclient_test.py::SimpleHTTPClientTestMixin::test_singleton
  void test("clients share one pool per process unless forceInstance", async () => {
    const first = new AsyncHTTPClient();
    const second = new AsyncHTTPClient({ maxClients: 7 });
    const own = new AsyncHTTPClient({ forceInstance: true });
    try {
      assert.equal(first.maxClients, 7, "maxClients of a shared client sets the shared limit");
      assert.equal(own.maxClients, 10);
      assert.equal((await first.fetch(upstream.url("/hello"))).text, "Hello world!");
      assert.equal((await second.fetch(upstream.url("/hello"))).text, "Hello world!");
    } finally {
      new AsyncHTTPClient({ maxClients: 10 });
      await own.close();
    }
  });

  // tornado/test/simple_httpclient_test.py::CreateAsyncHTTPClientTestCase::test_max_clients
  void test("maxClients defaults to 10 and can be set", async () => {
    const defaulted = new AsyncHTTPClient({ forceInstance: true });
    const eleven = new AsyncHTTPClient({ forceInstance: true, maxClients: 11 });
    assert.equal(defaulted.maxClients, 10);
    assert.equal(eleven.maxClients, 11);
    await defaulted.close();
    await eleven.close();
    assert.throws(() => new AsyncHTTPClient({ forceInstance: true, maxClients: 0 }), InvalidArgumentError);
  });

  // tornado/test/simple_httpclient_test.py::SimpleHTTPClientTestMixin::test_connection_limit
  void test("requests beyond maxClients wait for a free slot", async () => {
    const limited = new AsyncHTTPClient({ forceInstance: true, maxClients: 2 });
    try {
      const seen: number[] = [];
      const fetches = [0, 1, 2, 3].map((i) =>
        limited.fetch(upstream.url("/trigger")).then(() => {
          seen.push(i);
        }),
      );
      await upstream.waitForTriggers(2);
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(upstream.triggers.length, 2, "only two requests reached the server");
      upstream.triggers.shift()!();
      upstream.triggers.shift()!();
      await upstream.waitForTriggers(2);
      assert.deepEqual(new Set(seen), new Set([0, 1]));
      upstream.triggers.shift()!();
      upstream.triggers.shift()!();
      await Promise.all(fetches);
      assert.deepEqual(new Set(seen), new Set([0, 1, 2, 3]));
    } finally {
      await limited.close();
    }
  });

  // tornado/test/simple_httpclient_test.py::SimpleHTTPClientTestMixin::test_redirect_connection_limit
  void test("following redirects does not hold extra slots", async () => {
    const single = new AsyncHTTPClient({ forceInstance: true, maxClients: 1 });
    try {
      (await single.fetch(upstream.url("/countdown/3"), { maxRedirects: 3 })).rethrow();
    } finally {
      await single.close();
    }
  });

  // tornado/test/simple_httpclient_test.py::SimpleHTTPClientTestMixin::test_max_redirects
  void test("maxRedirects stops following and returns the last redirect", async () => {
    const response = await fetch("/countdown/5", { maxRedirects: 3 });
    assert.equal(response.code, 302);
    assert.ok(response.request.url.endsWith("/countdown/5"), "response.request.url.endsWith(\"/countdown/5\")");
    assert.ok(response.effectiveUrl.endsWith("/countdown/2"), "response.effectiveUrl.endsWith(\"/countdown/2\")");
    assert.ok(response.headers.get("Location")!.endsWith("/countdown/1"), "response.headers.get(\"Location\")!.endsWith(\"/countdown/1\")");
  });

  // tornado/test/simple_httpclient_test.py::SimpleHTTPClientTestMixin::test_header_reuse
  void test("the caller's headers object is not modified", async () => {
    const headers = new HTTPHeaders({ "User-Agent": "Foo" });
    await fetch("/hello", { headers });
    assert.deepEqual([...headers], [["User-Agent", "Foo"]]);
  });

  // tornado/test/simple_httpclient_test.py::SimpleHTTPClientTestMixin::test_default_user_agent
  void test("the default User-Agent names Typhoon and its version", async () => {
    const response = await fetch("/user_agent");
    assert.equal(response.text, `Typhoon/${version}`);
  });

  // tornado/test/simple_httpclient_test.py::SimpleHTTPClientTestMixin::test_see_other_redirect
  void test("a 302 or 303 after a POST continues with a GET without body", async () => {
    for (const code of [302, 303]) {
      const response = await fetch("/see_other_post", { method: "POST", body: String(code) });
      assert.equal(response.code, 200);
      assert.ok(response.request.url.endsWith("/see_other_post"), "response.request.url.endsWith(\"/see_other_post\")");
      assert.ok(response.effectiveUrl.endsWith("/see_other_get"), "response.effectiveUrl.endsWith(\"/see_other_get\")");
      assert.equal(response.request.method, "POST");
      const followed = upstream.requests.at(-1)!;
      assert.equal(followed.headers["content-type"], undefined);
      assert.equal(followed.headers["content-length"], undefined);
    }
  });

  // tornado/test/simple_httpclient_test.py::SimpleHTTPClientTestMixin::test_head_request, test_options_request
  void test("HEAD and OPTIONS", async () => {
    const head = await fetch("/hello", { method: "HEAD" });
    assert.equal(head.code, 200);
    assert.equal(head.headers.get("Content-Type"), "text/plain");
    assert.equal(head.body.length, 0);
    assert.equal((await fetch("/all_methods", { method: "OPTIONS" })).text, "OPTIONS");
  });

  // tornado/test/simple_httpclient_test.py::SimpleHTTPClientTestMixin::test_no_content
  void test("204 has no Content-Length and no body", async () => {
    const response = await fetch("/no_content");
    assert.equal(response.code, 204);
    assert.equal(response.headers.has("Content-Length"), false);
    assert.equal(response.body.length, 0);
  });

  // tornado/test/simple_httpclient_test.py::SimpleHTTPClientTestMixin::test_host_header
  void test("the Host header is host:port, without credentials", async () => {
    assert.match((await fetch("/host_echo")).text, /^127\.0\.0\.1:\d+$/);
    const withCredentials = upstream.url("/host_echo").replace("http://", "http://me:secret@");
    assert.match((await fetch(withCredentials)).text, /^127\.0\.0\.1:\d+$/);
  });

  // tornado/test/simple_httpclient_test.py::SimpleHTTPClientTestMixin::test_queue_timeout
  void test("a request waiting too long for a slot times out in the queue", async () => {
    const single = new AsyncHTTPClient({ forceInstance: true, maxClients: 1 });
    try {
      const first = single.fetch(upstream.url("/trigger"), { requestTimeout: 10 });
      await upstream.waitForTriggers(1);
      await assert.rejects(single.fetch(upstream.url("/hello"), { connectTimeout: 0.1 }), (error: unknown) => {
        assert.ok(error instanceof HTTPTimeoutError, "error instanceof HTTPTimeoutError");
        assert.equal(error.message, "Timeout in request queue");
        assert.equal(error.response!.code, 599);
        return true;
      });
      upstream.triggers.shift()!();
      assert.equal((await first).text, "triggered");
    } finally {
      await single.close();
    }
  });

  // tornado/test/simple_httpclient_test.py::SimpleHTTPClientTestMixin::test_no_content_length
  void test("a body delimited by the connection closing", async () => {
    const raw = await startRawServer((socket) => socket.end("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhello"));
    try {
      assert.equal((await fetch(raw.url())).text, "hello");
    } finally {
      await raw.close();
    }
  });

  // tornado/test/simple_httpclient_test.py::SimpleHTTPClientTestMixin::test_streaming_follow_redirects
  void test("callbacks see only the final response of a redirect chain", async () => {
    const lines: string[] = [];
    const chunks: string[] = [];
    await fetch("/redirect?url=/hello", {
      headerCallback: (line) => lines.push(line),
      streamingCallback: (chunk) => chunks.push(chunk.toString()),
    });
    assert.deepEqual(chunks, ["Hello world!"]);
    assert.equal(lines.filter((line) => line.startsWith("HTTP/")).length, 1);
  });

  // tornado/test/simple_httpclient_test.py::SimpleHTTPClientTestMixin::test_ipv6
  void test("an IPv6 literal URL is fetched, with a bracketed Host header", async (t) => {
    const server = createServer((request, response) => response.end(`Hello ${request.headers.host}!`));
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "::1", () => resolve());
      });
    } catch (error) {
      t.skip(`no IPv6 loopback on this machine (${(error as NodeJS.ErrnoException).code})`);
      return;
    }
    try {
      const { port } = server.address() as AddressInfo;
      assert.equal((await client.fetch(`http://[::1]:${port}/hello`)).text, `Hello [::1]:${port}!`);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  void test("a closed client refuses to fetch", async () => {
    const closing = new AsyncHTTPClient({ forceInstance: true });
    await closing.close();
    await assert.rejects(closing.fetch(upstream.url("/hello")), (error: unknown) => {
      assert.ok(error instanceof InvalidStateError, "error instanceof InvalidStateError");
      assert.equal(error.code, "TYPHOON_ERR_CLIENT_CLOSED");
      return true;
    });
  });

  void test("close lets in-flight requests finish and rejects queued ones", async () => {
    const closing = new AsyncHTTPClient({ forceInstance: true, maxClients: 1 });
    const first = closing.fetch(upstream.url("/trigger"));
    await upstream.waitForTriggers(1);
    const queued = closing.fetch(upstream.url("/hello"));
    queued.catch(() => undefined); // checked below
    const closed = closing.close();
    await assert.rejects(queued, (error: unknown) => {
      assert.ok(error instanceof InvalidStateError, "error instanceof InvalidStateError");
      assert.equal(error.code, "TYPHOON_ERR_CLIENT_CLOSED");
      return true;
    });
    upstream.triggers.shift()!();
    assert.equal((await first).text, "triggered");
    await closed;
  });

  void test("closing a shared client closes the shared pool; other shared clients open a new one", async () => {
    const one = new AsyncHTTPClient();
    const other = new AsyncHTTPClient();
    await one.fetch(upstream.url("/hello"));
    await one.close();
    assert.equal((await other.fetch(upstream.url("/hello"))).code, 200);
    await other.close();
  });
});

// tornado/test/simple_httpclient_test.py::MaxBodySizeTest
void describe("maxBodySize", () => {
  // tornado/test/simple_httpclient_test.py::MaxBodySizeTest::test_small_body
  void test("a body up to maxBodySize is accepted", async () => {
    const response = await fetch("/large/65536", { maxBodySize: 64 * 1024 });
    response.rethrow();
    assert.equal(response.body.length, 64 * 1024);
  });

  for (const path of ["/large/102400", "/large_chunked/102400"]) {
    // tornado/test/simple_httpclient_test.py::MaxBodySizeTest::test_large_body
    void test(`a larger body fails with 599 (${path.includes("chunked") ? "chunked" : "Content-Length"})`, async () => {
      await assert.rejects(fetch(path, { maxBodySize: 64 * 1024 }), (error: unknown) => {
        assert.ok(error instanceof HTTPClientError, "error instanceof HTTPClientError");
        assert.equal(error.status, 599);
        assert.equal(error.code, "TYPHOON_ERR_HTTP_BODY_TOO_LARGE");
        assert.match(error.message, /larger than maxBodySize \(65536 bytes\)/);
        return true;
      });
    });
  }

  void test("the limit applies with a streamingCallback too, and to the decompressed size", async () => {
    await assert.rejects(
      fetch("/large_chunked/102400", { maxBodySize: 64 * 1024, streamingCallback: () => undefined }),
      /larger than maxBodySize/,
    );
    await assert.rejects(fetch("/gzip", { maxBodySize: 500 }), /larger than maxBodySize/);
  });

  void test("the limit defaults to Tornado's 100 MB", () => {
    assert.equal(REQUEST_DEFAULTS.maxBodySize, 100 * 1024 * 1024);
  });
});
