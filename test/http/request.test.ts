// Tests of HTTPServerRequest and query parsing. Mirrors tornado/test/httputil_test.py
// (HTTPServerRequestTest, ParseQSTest) and httpserver_test.py::HTTPServerTest.
import assert from "node:assert/strict";
import { test } from "node:test";
import { HTTPServerRequest, parseUrlencoded, splitHostAndPort } from "typhoon";

test("test_default_constructor and uri parts: path and query split at the first ?", () => {
  const request = new HTTPServerRequest({ uri: "/a%20b/c?x=1&y=%3F?z" });
  assert.equal(request.method, "GET");
  assert.equal(request.path, "/a%20b/c");
  assert.equal(request.query, "x=1&y=%3F?z");
  assert.deepEqual({ ...request.queryArguments }, { x: ["1"], y: ["??z"] });
  assert.equal(request.body.length, 0);
});

test("test_empty_query_string and blank values: kept, fields without = are blank", () => {
  assert.deepEqual({ ...new HTTPServerRequest({ uri: "/?foo=&bar" }).queryArguments }, { foo: [""], bar: [""] });
  assert.deepEqual({ ...new HTTPServerRequest({ uri: "/?" }).queryArguments }, {});
  assert.deepEqual({ ...parseUrlencoded("a=1&&b=2&") }, { a: ["1"], b: ["2"] });
});

test("test_query_string_encoding: + is a space, %XX is UTF-8", () => {
  assert.deepEqual({ ...parseUrlencoded("q=caf%C3%A9+au+lait&%E2%9C%93=1") }, { q: ["café au lait"], "✓": ["1"] });
});

test("invalid UTF-8 and too many fields are 400 errors with clear messages", () => {
  assert.throws(() => parseUrlencoded("a=%ff"), (error: Error & { status?: number }) => error.status === 400 && /Invalid unicode in query string/.test(error.message));
  const many = "a=1&".repeat(1001);
  assert.throws(() => parseUrlencoded(many), (error: Error & { status?: number; code?: string }) => error.status === 400 && error.code === "TYPHOON_ERR_TOO_MANY_FIELDS");
  assert.equal(parseUrlencoded("a=1&".repeat(5), { maxFields: 5 })["a"]!.length, 5);
});

test("a huge query of separators fails fast instead of splitting first", () => {
  assert.throws(() => parseUrlencoded("x&".repeat(2_000_000)), /more than 1000/);
});

test("arguments merge query then body; urlencoded body parsed lazily from the Content-Type", () => {
  const request = new HTTPServerRequest({
    method: "POST",
    uri: "/?a=q",
    headers: { "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8" },
    body: Buffer.from("a=b&c=d"),
  });
  assert.deepEqual({ ...request.bodyArguments }, { a: ["b"], c: ["d"] });
  assert.deepEqual({ ...request.arguments }, { a: ["q", "b"], c: ["d"] });
  const json = new HTTPServerRequest({ method: "POST", headers: { "Content-Type": "application/json" }, body: Buffer.from("a=b") });
  assert.deepEqual({ ...json.bodyArguments }, {});
});

test("host and hostName: Host header, lower-cased, without port; 127.0.0.1 by default", () => {
  const request = new HTTPServerRequest({ headers: { Host: "Example.COM:8080" } });
  assert.equal(request.host, "Example.COM:8080");
  assert.equal(request.hostName, "example.com");
  assert.equal(new HTTPServerRequest().host, "127.0.0.1");
  assert.deepEqual(splitHostAndPort("[::1]:80"), ["[::1]", 80]);
  assert.deepEqual(splitHostAndPort("example.com"), ["example.com", undefined]);
});

test("fullUrl, requestTime and the string form (Tornado's repr)", () => {
  const request = new HTTPServerRequest({ uri: "/x?y=1", host: "h:1", protocol: "https", remoteIp: "1.2.3.4" });
  assert.equal(request.fullUrl(), "https://h:1/x?y=1");
  assert.ok(request.requestTime() >= 0, "request.requestTime() >= 0");
  assert.equal(
    String(request),
    'HTTPServerRequest(protocol="https", host="h:1", method="GET", uri="/x?y=1", version="HTTP/1.0", remoteIp="1.2.3.4")',
  );
});
