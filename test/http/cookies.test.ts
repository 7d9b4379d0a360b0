// Tests of Cookie header parsing and Set-Cookie formatting. Mirrors tornado/test/httputil_test.py::ParseCookieTest.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { formatSetCookie, HTTPServerRequest, parseCookie } from "typhoon";

function plain(map: Record<string, string>): Record<string, string> {
  return { ...map };
}

describe("ParseCookieTest (httputil_test.py)", () => {
  test("test_python_cookies: cases from Python's test_http_cookies", () => {
    assert.deepEqual(plain(parseCookie("chips=ahoy; vienna=finger")), { chips: "ahoy", vienna: "finger" });
    // Every semicolon is a delimiter, even within quotes.
    assert.deepEqual(plain(parseCookie('keebler="E=mc2; L=\\"Loves\\"; fudge=\\012;"')), {
      keebler: '"E=mc2',
      L: '\\"Loves\\"',
      fudge: "\\012",
      "": '"',
    });
    assert.deepEqual(plain(parseCookie("keebler=E=mc2")), { keebler: "E=mc2" });
    assert.deepEqual(plain(parseCookie("key:term=value:term")), { "key:term": "value:term" });
    assert.deepEqual(plain(parseCookie("a=b; c=[; d=r; f=h")), { a: "b", c: "[", d: "r", f: "h" });
  });

  test("test_cookie_edgecases: attribute-like names are cookies; the last duplicate wins", () => {
    assert.deepEqual(plain(parseCookie("a=b; Domain=example.com")), { a: "b", Domain: "example.com" });
    assert.deepEqual(plain(parseCookie("a=b; h=i; a=c")), { a: "c", h: "i" });
  });

  test("test_invalid_cookies: what browsers send via document.cookie", () => {
    assert.ok("django_language" in parseCookie("abc=def; unnamed; django_language=en"), "django_language");
    assert.deepEqual(plain(parseCookie('a=b; "; c=d')), { a: "b", "": '"', c: "d" });
    assert.deepEqual(plain(parseCookie("a b c=d e = f; gh=i")), { "a b c": "d e = f", gh: "i" });
    assert.deepEqual(plain(parseCookie('a   b,c<>@:/[]?{}=d  "  =e,f g')), { "a   b,c<>@:/[]?{}": 'd  "  =e,f g' });
    assert.deepEqual(plain(parseCookie("saint=André Bessette")), { saint: "André Bessette" });
    assert.deepEqual(plain(parseCookie("  =  b  ;  ;  =  ;   c  =  ;  ")), { "": "b", c: "" });
  });

  test("test_unquote: backslash and octal escapes inside quotes", () => {
    const cases: [string, string][] = [
      [String.raw`a="b=\""`, 'b="'],
      [String.raw`a="b=\\"`, "b=\\"],
      [String.raw`a="b=\="`, "b=="],
      [String.raw`a="b=\n"`, "b=n"],
      [String.raw`a="b=\042"`, 'b="'],
      [String.raw`a="b=\134"`, "b=\\"],
      [String.raw`a="b=\377"`, "b=\xff"],
      [String.raw`a="b=\400"`, "b=400"],
      [String.raw`a="b=\42"`, "b=42"],
      [String.raw`a="b=\\042"`, "b=\\042"],
      [String.raw`a="b=\\134"`, "b=\\134"],
      [String.raw`a="b=\\\""`, 'b=\\"'],
      [String.raw`a="b=\\\042"`, 'b=\\"'],
      [String.raw`a="b=\134\""`, 'b=\\"'],
      [String.raw`a="b=\134\042"`, 'b=\\"'],
    ];
    for (const [encoded, decoded] of cases) assert.equal(parseCookie(encoded)["a"], decoded, encoded);
  });

  test("test_unquote_large: 100,000 escapes decode in one pass", () => {
    const n = 100_000;
    for (const encoded of [String.raw`\\`, String.raw`\134`]) {
      const value = parseCookie(`a="b=${encoded.repeat(n)}"`)["a"]!;
      assert.equal(value.slice(0, 3), "b=\\");
      assert.equal(value.slice(-3), "\\\\\\");
      assert.equal(value.length, n + 2);
    }
  });

  test("Python's whitespace is stripped (U+0085 included, U+FEFF kept)", () => {
    assert.deepEqual(plain(parseCookie("\x85a=b\xa0; c=\ufeffd")), { a: "b", c: "\ufeffd" });
  });

  test("__proto__ and constructor are ordinary names; the map has no prototype", () => {
    const cookies = parseCookie("__proto__=x; constructor=y; toString=z");
    assert.equal(Object.getPrototypeOf(cookies), null);
    assert.deepEqual(Object.entries(cookies), [["__proto__", "x"], ["constructor", "y"], ["toString", "z"]]);
    assert.equal(({} as Record<string, unknown>)["x"], undefined);
  });

  test("8 KB of ';' and '=' parses quickly to nothing or to empty-named values", () => {
    assert.deepEqual(plain(parseCookie(";".repeat(8192))), {});
    assert.deepEqual(plain(parseCookie("=".repeat(8192))), { "": "=".repeat(8191) });
    assert.deepEqual(plain(parseCookie(";=".repeat(4096))), {});
    const mixed = parseCookie("a=;=b;".repeat(1365));
    assert.deepEqual(plain(mixed), { a: "", "": "b" });
  });
});

describe("HTTPServerRequest.cookies", () => {
  test("names Python's cookie library refuses are dropped, as Tornado's request.cookies", () => {
    const request = new HTTPServerRequest({ headers: { Cookie: '/=exception; path=x; ok=1; Domain=y; =z; q="a\\"b"' } });
    assert.deepEqual(plain(request.cookies), { ok: "1", q: 'a"b' });
  });

  test("several Cookie headers (as HTTP/2 sends them) are read together", () => {
    const request = new HTTPServerRequest({ headers: [["Cookie", "a=1"], ["Cookie", "b=2"]] });
    assert.deepEqual(plain(request.cookies), { a: "1", b: "2" });
  });

  test("no Cookie header: an empty map", () => {
    assert.deepEqual(plain(new HTTPServerRequest().cookies), {});
  });
});

describe("formatSetCookie", () => {
  test("plain values as they are; special characters quoted as Python's http.cookies", () => {
    assert.equal(formatSetCookie("str", "asdf"), "str=asdf; Path=/");
    assert.equal(formatSetCookie("equals", "a=b"), 'equals="a=b"; Path=/');
    assert.equal(formatSetCookie("semicolon", "a;b"), 'semicolon="a\\073b"; Path=/');
    assert.equal(formatSetCookie("quote", 'a"b'), 'quote="a\\"b"; Path=/');
    assert.equal(formatSetCookie("latin", "é,\\\x7f"), 'latin="\\351\\054\\\\\\177"; Path=/');
  });

  test("quoted values read back to the original", () => {
    for (const value of ["a=b", "a;b", 'a"b', "x\\y", "é,ü", "2|1:0|10:1700000000|4:name|8:dmFsdWU=|abc"]) {
      const header = formatSetCookie("c", value);
      const pair = header.slice(0, header.indexOf("; Path=/"));
      assert.equal(parseCookie(pair)["c"], value, header);
    }
  });

  test("every attribute", () => {
    const expires = new Date(Date.UTC(2030, 0, 2, 3, 4, 5));
    assert.equal(
      formatSetCookie("a", "b", {
        domain: "example.com",
        path: "/p",
        expires,
        maxAge: 10.7,
        httpOnly: true,
        secure: true,
        sameSite: "None",
        partitioned: true,
        priority: "High",
      }),
      "a=b; Max-Age=10; Domain=example.com; Path=/p; Expires=Wed, 02 Jan 2030 03:04:05 GMT; HttpOnly; Secure; Partitioned; Priority=High; SameSite=None",
    );
    assert.equal(formatSetCookie("a", "b", { path: "" }), "a=b");
    assert.equal(formatSetCookie("a", "b", { expires: "Wed, 02 Jan 2030 03:04:05 GMT" }), "a=b; Path=/; Expires=Wed, 02 Jan 2030 03:04:05 GMT");
    assert.equal(formatSetCookie("a", "b", { expires: 1893553445 }), "a=b; Path=/; Expires=Wed, 02 Jan 2030 03:04:05 GMT");
    assert.equal(formatSetCookie("a", "b", { sameSite: "lax", secure: false, httpOnly: false }), "a=b; Path=/; SameSite=Lax");
  });

  test("illegal names, values and attributes are refused with TYPHOON_ERR_BAD_COOKIE", () => {
    const refused = (fn: () => unknown) => assert.throws(fn, { code: "TYPHOON_ERR_BAD_COOKIE" });
    refused(() => formatSetCookie("", "x"));
    refused(() => formatSetCookie("a b", "x"));
    refused(() => formatSetCookie("a=b", "x"));
    refused(() => formatSetCookie("a;b", "x"));
    refused(() => formatSetCookie("path", "x"));
    refused(() => formatSetCookie("Max-Age", "x"));
    refused(() => formatSetCookie("a", "x y"));
    refused(() => formatSetCookie("a", "x\r\nSet-Cookie: evil=1"));
    refused(() => formatSetCookie("a", "x\x00"));
    refused(() => formatSetCookie("a", "日本"));
    refused(() => formatSetCookie("a", "b", { domain: "exa mple.com" }));
    refused(() => formatSetCookie("a", "b", { path: "/;x" }));
    refused(() => formatSetCookie("a", "b", { expires: "not a date" }));
    refused(() => formatSetCookie("a", "b", { sameSite: "Sometimes" as "Lax" }));
  });
});
