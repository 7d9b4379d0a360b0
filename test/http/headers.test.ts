// Tests of HTTPHeaders. Mirrors tornado/test/httputil_test.py::HTTPHeadersTest.
import assert from "node:assert/strict";
import { test } from "node:test";
import { HTTPHeaders } from "typhoon";

test("test_multi_line: parse() joins continuation lines, keeps repeated headers", () => {
  const headers = HTTPHeaders.parse("Foo: bar\r\n baz\r\nAsdf: qwer\r\n\tzxcv\r\nFoo: even\r\n     more\r\n     lines\r\n");
  assert.equal(headers.get("asdf"), "qwer zxcv");
  assert.deepEqual(headers.getList("asdf"), ["qwer zxcv"]);
  assert.equal(headers.get("Foo"), "bar baz,even more lines");
  assert.deepEqual(headers.getList("foo"), ["bar baz", "even more lines"]);
  assert.deepEqual(
    [...headers.entries()].sort(),
    [
      ["Asdf", "qwer zxcv"],
      ["Foo", "bar baz"],
      ["Foo", "even more lines"],
    ],
  );
});

test("test_malformed_continuation and a line without a colon are refused", () => {
  assert.throws(() => HTTPHeaders.parse(" Foo: bar"), /first header line cannot start with whitespace/);
  assert.throws(() => HTTPHeaders.parse("Foo bar"), /malformed HTTP header line/);
});

test("case-insensitive names, canonical spelling, set replaces, delete removes", () => {
  const headers = new HTTPHeaders({ "content-TYPE": "text/html", "X-Multi": ["a", "b"] });
  assert.equal(headers.get("Content-Type"), "text/html");
  assert.deepEqual(headers.keys(), ["Content-Type", "X-Multi"]);
  headers.set("x-multi", "c");
  assert.deepEqual(headers.getList("X-MULTI"), ["c"]);
  assert.equal(headers.has("x-multi"), true);
  headers.delete("X-Multi");
  assert.equal(headers.has("x-multi"), false);
  assert.equal(headers.get("missing"), undefined);
  assert.equal(headers.get("missing", "default"), "default");
});

test("test_copy: a copy is independent", () => {
  const headers = new HTTPHeaders([["A", "1"]]);
  const copy = headers.copy();
  copy.add("A", "2");
  assert.deepEqual(headers.getList("a"), ["1"]);
  assert.deepEqual(copy.getList("a"), ["1", "2"]);
});

test("fromRawHeaders keeps Node's repeated raw headers; toJSON keeps Set-Cookie as a list", () => {
  const headers = HTTPHeaders.fromRawHeaders(["Set-Cookie", "a=1", "set-cookie", "b=2", "Accept", "x", "accept", "y"]);
  assert.deepEqual(headers.toJSON(), { "Set-Cookie": ["a=1", "b=2"], Accept: "x,y" });
  assert.equal(headers.size, 2);
});
