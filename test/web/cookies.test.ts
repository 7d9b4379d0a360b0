// Tests of RequestHandler's cookie methods. Mirrors tornado/test/web_test.py::CookieTest and ClearAllCookiesTest.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Application, appLog, expectLog, RequestHandler } from "typhoon";
import { rawRequest, serve, statusOf } from "../helpers.js";

describe("CookieTest (web_test.py)", () => {
  class SetCookieHandler extends RequestHandler {
    get() {
      this.setCookie("str", "asdf");
      this.setCookie("unicode", "qwer");
      this.setCookie("bytes", Buffer.from("zxcv"));
    }
  }
  class GetCookieHandler extends RequestHandler {
    get() {
      this.write(this.getCookie("foo", "default"));
    }
  }
  class SetCookieDomainHandler extends RequestHandler {
    get() {
      this.setCookie("unicode_args", "blah", { domain: "foo.com", path: "/foo" });
    }
  }
  class SetCookieSpecialCharHandler extends RequestHandler {
    get() {
      this.setCookie("equals", "a=b");
      this.setCookie("semicolon", "a;b");
      this.setCookie("quote", 'a"b');
    }
  }
  class SetCookieOverwriteHandler extends RequestHandler {
    get() {
      this.setCookie("a", "b", { domain: "example.com" });
      this.setCookie("c", "d", { domain: "example.com" });
      // A second call with the same name replaces the first, attributes included.
      this.setCookie("a", "e");
    }
  }
  class SetCookieMaxAgeHandler extends RequestHandler {
    get() {
      this.setCookie("foo", "bar", { maxAge: 10 });
    }
  }
  class SetCookieExpiresDaysHandler extends RequestHandler {
    get() {
      this.setCookie("foo", "bar", { expiresDays: 10 });
    }
  }
  class SetCookieFalsyFlags extends RequestHandler {
    get() {
      this.setCookie("a", "1", { secure: true });
      this.setCookie("b", "1", { secure: false });
      this.setCookie("c", "1", { httpOnly: true });
      this.setCookie("d", "1", { httpOnly: false });
    }
  }
  const app = new Application([
    ["/set", SetCookieHandler],
    ["/get", GetCookieHandler],
    ["/set_domain", SetCookieDomainHandler],
    ["/special_char", SetCookieSpecialCharHandler],
    ["/set_overwrite", SetCookieOverwriteHandler],
    ["/set_max_age", SetCookieMaxAgeHandler],
    ["/set_expires_days", SetCookieExpiresDaysHandler],
    ["/set_falsy_flags", SetCookieFalsyFlags],
  ]);
  const setCookies = async (url: string) => (await app.inject({ url })).headers.getList("Set-Cookie");
  const getCookie = async (cookie: string) => (await app.inject({ url: "/get", headers: { Cookie: cookie } })).text;

  test("test_set_cookie: one Set-Cookie header per cookie", async () => {
    assert.deepEqual((await setCookies("/set")).sort(), ["bytes=zxcv; Path=/", "str=asdf; Path=/", "unicode=qwer; Path=/"]);
  });

  test("test_get_cookie: plain, quoted, and a name Python refuses", async () => {
    assert.equal(await getCookie("foo=bar"), "bar");
    assert.equal(await getCookie('foo="bar"'), "bar");
    assert.equal(await getCookie("/=exception;"), "default");
  });

  test("test_set_cookie_domain", async () => {
    assert.deepEqual(await setCookies("/set_domain"), ["unicode_args=blah; Domain=foo.com; Path=/foo"]);
  });

  test("test_cookie_special_char: quoting on the way out, unquoting on the way in", async () => {
    assert.deepEqual((await setCookies("/special_char")).sort(), ['equals="a=b"; Path=/', 'quote="a\\"b"; Path=/', 'semicolon="a\\073b"; Path=/']);
    const data: [string, string][] = [
      ["foo=a=b", "a=b"],
      ['foo="a=b"', "a=b"],
      ['foo="a;b"', '"a'], // even quoted, ";" is a delimiter
      ["foo=a\\073b", "a\\073b"], // escapes only decoded in quotes
      ['foo="a\\073b"', "a;b"],
      ['foo="a\\"b"', 'a"b'],
    ];
    for (const [header, expected] of data) assert.equal(await getCookie(header), expected, header);
  });

  test("test_set_cookie_overwrite", async () => {
    assert.deepEqual((await setCookies("/set_overwrite")).sort(), ["a=e; Path=/", "c=d; Domain=example.com; Path=/"]);
  });

  test("test_set_cookie_max_age", async () => {
    assert.deepEqual(await setCookies("/set_max_age"), ["foo=bar; Max-Age=10; Path=/"]);
  });

  test("test_set_cookie_expires_days", async () => {
    const [header] = await setCookies("/set_expires_days");
    const match = /^foo=bar; Path=\/; Expires=(.+)$/.exec(header!);
    assert.ok(match, header);
    const expected = Date.now() + 10 * 86_400_000;
    assert.ok(Math.abs(Date.parse(match[1]!) - expected) < 10_000, header);
  });

  test("test_set_cookie_false_flags", async () => {
    assert.deepEqual((await setCookies("/set_falsy_flags")).sort(), ["a=1; Path=/; Secure", "b=1; Path=/", "c=1; Path=/; HttpOnly", "d=1; Path=/"]);
  });
});

describe("ClearAllCookiesTest (web_test.py) and clearCookie", () => {
  class ClearAllHandler extends RequestHandler {
    get() {
      this.clearAllCookies();
      this.write("ok");
    }
  }
  class ClearOneHandler extends RequestHandler {
    get() {
      this.clearCookie("sid", { path: "/app", domain: "example.com", secure: true, sameSite: "None", partitioned: true });
    }
  }
  const app = new Application([
    ["/", ClearAllHandler],
    ["/one", ClearOneHandler],
  ]);

  test("test_clear_all_cookies: every cookie the client sent is expired", async () => {
    const response = await app.inject({ url: "/", headers: { Cookie: "foo=bar; baz=xyzzy" } });
    const cookies = response.headers.getList("Set-Cookie").sort();
    assert.equal(cookies.length, 2);
    assert.match(cookies[0]!, /^baz=; Max-Age=0; Path=\/; Expires=/);
    assert.match(cookies[1]!, /^foo=; Max-Age=0; Path=\/; Expires=/);
    const expires = Date.parse(/Expires=([^;]+)/.exec(cookies[0]!)![1]!);
    assert.ok(expires < Date.now() - 300 * 86_400_000, cookies[0]);
  });

  test("clearCookie keeps the attributes that identify the cookie", async () => {
    const [header] = (await app.inject({ url: "/one" })).headers.getList("Set-Cookie");
    assert.match(header!, /^sid=; Max-Age=0; Domain=example\.com; Path=\/app; Expires=[^;]+; Secure; Partitioned; SameSite=None$/);
  });
});

describe("setCookie and the response", () => {
  class ErrorAfterCookieHandler extends RequestHandler {
    get() {
      this.setCookie("seen", "1");
      throw new Error("boom");
    }
  }
  class AddHeaderAndCookieHandler extends RequestHandler {
    get() {
      this.addHeader("Set-Cookie", "manual=1");
      this.setCookie("auto", "2");
    }
  }
  class AfterFlushHandler extends RequestHandler {
    async get() {
      await this.flush();
      try {
        this.setCookie("late", "1");
      } catch (error) {
        this.write((error as { code: string }).code);
      }
    }
  }
  class BadCookieHandler extends RequestHandler {
    get() {
      this.setCookie("a", this.getArgument("v"));
    }
  }
  class ConditionalHandler extends RequestHandler {
    get() {
      this.setCookie("visit", "1");
      this.write("same body");
    }
  }
  const app = new Application([
    ["/error", ErrorAfterCookieHandler],
    ["/both", AddHeaderAndCookieHandler],
    ["/late", AfterFlushHandler],
    ["/bad", BadCookieHandler],
    ["/conditional", ConditionalHandler],
  ]);

  test("cookies set before an error survive on the error page, as Tornado (clear() keeps them)", async () => {
    const response = await expectLog(appLog, "Uncaught exception", () => app.inject({ url: "/error" }));
    assert.equal(response.code, 500);
    assert.deepEqual(response.headers.getList("Set-Cookie"), ["seen=1; Path=/"]);
  });

  test("addHeader('Set-Cookie') and setCookie together", async () => {
    assert.deepEqual((await app.inject({ url: "/both" })).headers.getList("Set-Cookie"), ["manual=1", "auto=2; Path=/"]);
  });

  test("setCookie after flush() is an error instead of a silently lost cookie", async () => {
    const response = await app.inject({ url: "/late" });
    assert.equal(response.text, "TYPHOON_ERR_HEADERS_SENT");
  });

  test("a value with CR/LF never reaches the headers: 500, logged once", async () => {
    const response = await expectLog(appLog, "Uncaught exception", () => app.inject({ url: "/bad?v=x%0d%0aSet-Cookie:%20evil=1" }));
    assert.equal(response.code, 500);
    assert.equal(response.headers.get("Set-Cookie"), undefined);
  });

  test("Set-Cookie is kept on a 304", async () => {
    const first = await app.inject({ url: "/conditional" });
    const second = await app.inject({ url: "/conditional", headers: { "If-None-Match": first.headers.get("Etag")! } });
    assert.equal(second.code, 304);
    assert.deepEqual(second.headers.getList("Set-Cookie"), ["visit=1; Path=/"]);
  });

  test("an 8 KB Cookie header of ';' and '=' over a raw socket: 200, the server keeps serving", async () => {
    class EchoCookies extends RequestHandler {
      get() {
        this.write({ cookies: { ...this.cookies }, foo: this.getCookie("foo") ?? null });
      }
    }
    const served = await serve(new Application([["/", EchoCookies]]));
    try {
      for (const junk of [";".repeat(8000), "=".repeat(8000), ";=".repeat(4000), "a=\"\\".repeat(2000)]) {
        const raw = await rawRequest(served.port, `GET / HTTP/1.1\r\nHost: x\r\nCookie: ${junk}; foo=bar\r\nConnection: close\r\n\r\n`);
        assert.equal(statusOf(raw), 200);
        assert.match(raw, /"foo":"bar"/);
      }
      const raw = await rawRequest(served.port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assert.equal(statusOf(raw), 200);
    } finally {
      await served.close();
    }
  });
});
