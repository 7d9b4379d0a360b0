// Tests of XSRF protection. Mirrors tornado/test/web_test.py::XSRFTest (every case) and
// XSRFCookieKwargsTest, plus Typhoon's JSON and AJAX cases (the seed article's pitfall) and bad input.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  Application,
  DictLoader,
  ErrorHandler,
  expectLog,
  genLog,
  RequestHandler,
  streamRequestBody,
  type ApplicationSettings,
  type HandlerClass,
  type InjectResponse,
} from "typhoon";
import { serve } from "../helpers.js";

class XSRFHandler extends RequestHandler {
  get() {
    const version = Number(this.getArgument("version", "2"));
    // As in Tornado's test: a bad idea in a real app, fine here.
    this.settings.xsrfCookieVersion = version as 1 | 2;
    this.write(this.xsrfToken);
  }
  post() {
    this.write("ok");
  }
}

function xsrfApp(settings: ApplicationSettings = {}, handler: HandlerClass = XSRFHandler): Application {
  return new Application([["/", handler]], { xsrfCookies: true, ...settings });
}

const FORM = { "Content-Type": "application/x-www-form-urlencoded" };

function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

describe("XSRFTest (web_test.py)", () => {
  const app = xsrfApp();

  async function getToken(oldToken?: string, version?: number): Promise<string> {
    const response = await app.inject({
      url: version === undefined ? "/" : `/?version=${version}`,
      headers: oldToken === undefined ? {} : cookieHeaders(oldToken),
    });
    assert.equal(response.code, 200);
    return response.text;
  }

  function cookieHeaders(token: string): Record<string, string> {
    return { Cookie: `_xsrf=${token}` };
  }

  function post(options: { body?: string; headers?: Record<string, string>; url?: string }): Promise<InjectResponse> {
    return app.inject({ method: "POST", url: options.url ?? "/", body: options.body ?? "", headers: { ...FORM, ...options.headers } });
  }

  const xsrfToken = getToken();

  test("test_xsrf_fail_no_token", async () => {
    const response = await expectLog(genLog, ".*'_xsrf' argument missing", () => post({}));
    assert.equal(response.code, 403);
  });

  test("test_xsrf_fail_body_no_cookie", async () => {
    const response = await expectLog(genLog, ".*XSRF cookie does not match POST", async () => post({ body: form({ _xsrf: await xsrfToken }) }));
    assert.equal(response.code, 403);
  });

  test("test_xsrf_fail_argument_invalid_format", async () => {
    const token = await xsrfToken;
    const response = await expectLog(genLog, ".*'_xsrf' argument has invalid format", () =>
      post({ headers: cookieHeaders(token), body: form({ _xsrf: "3|" }) }),
    );
    assert.equal(response.code, 403);
  });

  test("test_xsrf_fail_cookie_invalid_format", async () => {
    const token = await xsrfToken;
    const response = await expectLog(genLog, ".*XSRF cookie does not match POST", () =>
      post({ headers: cookieHeaders("3|"), body: form({ _xsrf: token }) }),
    );
    assert.equal(response.code, 403);
  });

  test("test_xsrf_fail_cookie_no_body", async () => {
    const token = await xsrfToken;
    const response = await expectLog(genLog, ".*'_xsrf' argument missing", () => post({ headers: cookieHeaders(token) }));
    assert.equal(response.code, 403);
  });

  test("test_xsrf_success_short_token", async () => {
    const response = await post({ body: form({ _xsrf: "deadbeef" }), headers: cookieHeaders("deadbeef") });
    assert.equal(response.code, 200);
  });

  test("test_xsrf_success_non_hex_token", async () => {
    const response = await post({ body: form({ _xsrf: "xoxo" }), headers: cookieHeaders("xoxo") });
    assert.equal(response.code, 200);
  });

  test("test_xsrf_success_post_body", async () => {
    const token = await xsrfToken;
    const response = await post({ body: form({ _xsrf: token }), headers: cookieHeaders(token) });
    assert.equal(response.code, 200);
    assert.equal(response.text, "ok");
  });

  test("test_xsrf_success_query_string", async () => {
    const token = await xsrfToken;
    const response = await post({ url: `/?${form({ _xsrf: token })}`, headers: cookieHeaders(token) });
    assert.equal(response.code, 200);
  });

  test("test_xsrf_success_header", async () => {
    const token = await xsrfToken;
    const response = await post({ headers: { "X-Xsrftoken": token, ...cookieHeaders(token) } });
    assert.equal(response.code, 200);
  });

  test("test_distinct_tokens: every request gets a distinct token", async () => {
    const tokens = new Set<string>();
    for (let i = 0; i < 10; i++) tokens.add(await getToken());
    assert.equal(tokens.size, 10);
  });

  test("test_cross_user: a token only works with its own cookie", async () => {
    const token1 = await xsrfToken;
    const token2 = await getToken();
    for (const token of [token1, token2]) {
      assert.equal((await post({ body: form({ _xsrf: token }), headers: cookieHeaders(token) })).code, 200);
    }
    for (const [cookieToken, bodyToken] of [
      [token1, token2],
      [token2, token1],
    ] as const) {
      const response = await expectLog(genLog, ".*XSRF cookie does not match POST", () =>
        post({ body: form({ _xsrf: bodyToken }), headers: cookieHeaders(cookieToken) }),
      );
      assert.equal(response.code, 403);
    }
  });

  test("test_refresh_token: a user's token is stable while its encoding changes", async () => {
    const first = await xsrfToken;
    let token = first;
    const seen = new Set([token]);
    for (let i = 0; i < 5; i++) {
      token = await getToken(token);
      seen.add(token);
      const response = await post({ body: form({ _xsrf: first }), headers: cookieHeaders(token) });
      assert.equal(response.code, 200);
    }
    assert.equal(seen.size, 6);
  });

  test("test_versioning: v1 tokens stay v1, upgrade to v2, and the versions are cross-compatible", async () => {
    assert.notEqual(await getToken(undefined, 1), await getToken(undefined, 1));
    const v1Token = await getToken(undefined, 1);
    for (let i = 0; i < 5; i++) assert.equal(await getToken(v1Token, 1), v1Token);
    const v2Token = await getToken(v1Token);
    assert.notEqual(v1Token, v2Token);
    assert.notEqual(v2Token, await getToken(v1Token));
    for (const [cookieToken, bodyToken] of [
      [v1Token, v2Token],
      [v2Token, v1Token],
    ] as const) {
      assert.equal((await post({ body: form({ _xsrf: bodyToken }), headers: cookieHeaders(cookieToken) })).code, 200);
    }
  });
});

describe("XSRFCookieKwargsTest (web_test.py)", () => {
  test("test_xsrf_httponly: xsrfCookieKwargs become the cookie's attributes", async () => {
    class Handler extends RequestHandler {
      get() {
        this.write(this.xsrfToken);
      }
    }
    const response = await xsrfApp({ xsrfCookieKwargs: { httpOnly: true, expiresDays: 2 } }, Handler).inject({ url: "/" });
    const header = response.headers.get("Set-Cookie")!;
    assert.match(header.toLowerCase(), /httponly/);
    const expires = /expires=([^;]+)/i.exec(header);
    assert.ok(expires, header);
    const days = (Date.parse(expires[1]!) - Date.now()) / 86_400_000;
    assert.ok(Math.abs(days - 2) < 10 / 86_400, `expires in 2 days: ${header}`);
  });
});

describe("XSRF tokens and cookies", () => {
  test("the _xsrf cookie is set on first use only, with the token's text; a valid cookie is kept", async () => {
    const app = xsrfApp();
    const first = await app.inject({ url: "/" });
    assert.equal(first.headers.get("Set-Cookie"), `_xsrf=${first.text}; Path=/`);
    assert.match(first.text, /^2\|[0-9a-f]{8}\|[0-9a-f]{32}\|\d+$/);
    const again = await app.inject({ url: "/", headers: { Cookie: `_xsrf=${first.text}` } });
    assert.equal(again.headers.has("Set-Cookie"), false);
    const v1 = await app.inject({ url: "/?version=1" });
    assert.match(v1.text, /^[0-9a-f]{32}$/);
    assert.equal(v1.headers.get("Set-Cookie"), `_xsrf=${v1.text}; Path=/`);
    const malformed = await app.inject({ url: "/", headers: { Cookie: "_xsrf=2|zz|zz|1" } });
    assert.match(malformed.headers.get("Set-Cookie") ?? "", /^_xsrf=2\|/, "a malformed cookie is replaced");
  });

  test("a logged-in user's _xsrf cookie lasts 30 days unless xsrfCookieKwargs set an expiry", async () => {
    class UserHandler extends RequestHandler<string> {
      override getCurrentUser() {
        return "ann";
      }
      get() {
        this.write(this.xsrfToken);
      }
    }
    const days = (response: InjectResponse): number => {
      const expires = /expires=([^;]+)/i.exec(response.headers.get("Set-Cookie") ?? "");
      return expires ? Math.round((Date.parse(expires[1]!) - Date.now()) / 86_400_000) : 0;
    };
    assert.equal(days(await xsrfApp({}, UserHandler).inject({ url: "/" })), 30);
    assert.equal(days(await xsrfApp({ xsrfCookieKwargs: { maxAge: 60 } }, UserHandler).inject({ url: "/" })), 0);
    assert.equal(days(await xsrfApp({ xsrfCookieKwargs: { expiresDays: 3, secure: true, sameSite: "Strict" } }, UserHandler).inject({ url: "/" })), 3);
  });

  test("xsrfFormHtml: a hidden input, escaped, in handlers and templates", async () => {
    class FormHandler extends RequestHandler {
      get() {
        return this.render("form.html");
      }
      post() {
        this.write(`posted ${this.getBodyArgument("name")}`);
      }
    }
    const app = xsrfApp({ templateLoader: new DictLoader({ "form.html": '<form method="post">{% raw xsrfFormHtml() %}</form>' }) }, FormHandler);
    const page = await app.inject({ url: "/" });
    const input = /<input type="hidden" name="_xsrf" value="([^"]+)"\/>/.exec(page.text);
    assert.ok(input, page.text);
    assert.equal(input[1], page.headers.get("Set-Cookie")!.split(";")[0]!.slice("_xsrf=".length));
    const posted = await app.inject({
      method: "POST",
      url: "/",
      headers: { ...FORM, Cookie: page.headers.get("Set-Cookie")!.split(";")[0]! },
      body: form({ _xsrf: input[1], name: "ann" }),
    });
    assert.equal(posted.text, "posted ann");
  });

  test("an unknown xsrfCookieVersion is a clear error", async () => {
    class Handler extends RequestHandler {
      get() {
        try {
          this.write(this.xsrfToken);
        } catch (error) {
          this.write((error as { code: string }).code);
        }
      }
    }
    const response = await xsrfApp({ xsrfCookieVersion: 3 as 2 }, Handler).inject({ url: "/" });
    assert.equal(response.text, "TYPHOON_ERR_XSRF_VERSION");
  });
});

describe("XSRF check: where the token comes from (forms, AJAX, JSON)", () => {
  const app = xsrfApp();
  const token = app.inject({ url: "/" }).then((response) => response.text);

  test("X-Csrftoken header (Django's name) is accepted like X-Xsrftoken", async () => {
    const t = await token;
    const response = await app.inject({ method: "POST", url: "/", headers: { "X-Csrftoken": t, Cookie: `_xsrf=${t}` } });
    assert.equal(response.code, 200);
  });

  test("a JSON body's _xsrf member (beyond Tornado: no override needed for JSON clients)", async () => {
    const t = await token;
    const response = await app.inject({ method: "POST", url: "/", headers: { Cookie: `_xsrf=${t}` }, body: { _xsrf: t, name: "ann" } });
    assert.equal(response.code, 200);
    const typed = await app.inject({
      method: "POST",
      url: "/",
      headers: { Cookie: `_xsrf=${t}`, "Content-Type": "application/vnd.api+json; charset=utf-8" },
      body: JSON.stringify({ _xsrf: t }),
    });
    assert.equal(typed.code, 200);
  });

  test("the JSON body stays readable by the handler after the check (parsed once)", async () => {
    class JsonHandler extends RequestHandler {
      post() {
        this.write({ name: this.getJsonBody<{ name: string }>().name });
      }
    }
    const jsonApp = xsrfApp({}, JsonHandler);
    const t = await token;
    const response = await jsonApp.inject({ method: "POST", url: "/", headers: { Cookie: `_xsrf=${t}` }, body: { _xsrf: t, name: "ann" } });
    assert.deepEqual(response.json(), { name: "ann" });
  });

  test("a JSON-encoded token (in double quotes, as the seed article's client sent it) is accepted", async () => {
    const t = await token;
    const response = await app.inject({ method: "POST", url: "/", headers: { "X-Xsrftoken": JSON.stringify(t), Cookie: `_xsrf=${t}` } });
    assert.equal(response.code, 200);
  });

  test("PUT, PATCH and DELETE are checked; GET, HEAD and OPTIONS are not", async () => {
    class AllVerbs extends RequestHandler {
      get() {
        this.write("get");
      }
      head() {}
      options() {
        this.setStatus(204);
      }
      put() {
        this.write("put");
      }
      patch() {
        this.write("patch");
      }
      delete() {
        this.write("delete");
      }
    }
    const verbs = xsrfApp({}, AllVerbs);
    const t = await token;
    for (const method of ["PUT", "PATCH", "DELETE"]) {
      const refused = await expectLog(genLog, ".*'_xsrf' argument missing", () => verbs.inject({ method, url: "/" }));
      assert.equal(refused.code, 403, method);
      const allowed = await verbs.inject({ method, url: "/", headers: { "X-Xsrftoken": t, Cookie: `_xsrf=${t}` } });
      assert.equal(allowed.text, method.toLowerCase());
    }
    assert.equal((await verbs.inject({ url: "/" })).code, 200);
    assert.equal((await verbs.inject({ method: "HEAD", url: "/" })).code, 200);
    assert.equal((await verbs.inject({ method: "OPTIONS", url: "/" })).code, 204);
  });

  test("the check runs before prepare(), after currentUser is resolved; failure skips prepare", async () => {
    const calls: string[] = [];
    class Ordered extends RequestHandler<string> {
      override async getCurrentUser() {
        calls.push("getCurrentUser");
        return "ann";
      }
      override checkXsrfCookie() {
        calls.push(`check:${this.currentUser}`);
        super.checkXsrfCookie();
      }
      override prepare() {
        calls.push("prepare");
      }
      post() {
        calls.push("post");
      }
    }
    const ordered = xsrfApp({}, Ordered);
    const t = await token;
    await ordered.inject({ method: "POST", url: "/", headers: { "X-Xsrftoken": t, Cookie: `_xsrf=${t}` } });
    assert.deepEqual(calls, ["getCurrentUser", "check:ann", "prepare", "post"]);
    calls.length = 0;
    await expectLog(genLog, ".*'_xsrf' argument missing", () => ordered.inject({ method: "POST", url: "/" }));
    assert.deepEqual(calls, ["getCurrentUser", "check:ann"]);
  });

  test("xsrfCookies off: no check at all", async () => {
    const response = await new Application([["/", XSRFHandler]]).inject({ method: "POST", url: "/" });
    assert.equal(response.text, "ok");
  });

  test("an override of checkXsrfCookie exempts a handler; ErrorHandler answers 404 to a POST, not 403", async () => {
    class ApiHandler extends XSRFHandler {
      override checkXsrfCookie() {}
    }
    assert.equal((await xsrfApp({}, ApiHandler).inject({ method: "POST", url: "/" })).text, "ok");
    const missing = await xsrfApp().inject({ method: "POST", url: "/nowhere" });
    assert.equal(missing.code, 404);
    const error = new Application([["/gone", ErrorHandler, { statusCode: 410 }]], { xsrfCookies: true });
    assert.equal((await error.inject({ method: "POST", url: "/gone" })).code, 410);
  });

  test("a streaming handler takes the token from the header or the query (its body has not arrived)", async () => {
    @streamRequestBody
    class Upload extends RequestHandler {
      bytes = 0;
      override dataReceived(chunk: Buffer) {
        this.bytes += chunk.length;
      }
      put() {
        this.write(`stored ${this.bytes}`);
      }
    }
    const served = await serve(xsrfApp({}, Upload));
    try {
      const t = await token;
      const viaHeader = await fetch(served.url("/"), { method: "PUT", headers: { "X-Xsrftoken": t, Cookie: `_xsrf=${t}` }, body: "x".repeat(1000) });
      assert.equal(await viaHeader.text(), "stored 1000");
      const viaQuery = await fetch(served.url(`/?_xsrf=${encodeURIComponent(t)}`), { method: "PUT", headers: { Cookie: `_xsrf=${t}` }, body: "abc" });
      assert.equal(await viaQuery.text(), "stored 3");
      const refused = await expectLog(genLog, ".*'_xsrf' argument missing", () =>
        fetch(served.url("/"), { method: "PUT", headers: { ...FORM, Cookie: `_xsrf=${t}` }, body: form({ _xsrf: t }) }),
      );
      assert.equal(refused.status, 403);
      await refused.arrayBuffer();
    } finally {
      await served.close();
    }
  });
});

describe("XSRF bad input: 403 (or 400 for a malformed body), never a 500, never accepted", () => {
  const app = xsrfApp();
  const token = app.inject({ url: "/" }).then((response) => response.text);

  async function refused(pattern: string, request: Parameters<Application["inject"]>[0], status = 403): Promise<void> {
    const response = await expectLog(genLog, pattern, () => app.inject({ method: "POST", ...request }));
    assert.equal(response.code, status, `${JSON.stringify(request)} → ${response.code}`);
  }

  test("missing: no field, empty field, empty headers, a JSON body without _xsrf or with a non-string one", async () => {
    const t = await token;
    const cookie = { Cookie: `_xsrf=${t}` };
    const missing = ".*'_xsrf' argument missing";
    await refused(missing, { url: "/", headers: { ...FORM, ...cookie }, body: form({ _xsrf: "" }) });
    await refused(missing, { url: "/", headers: { ...FORM, ...cookie }, body: form({ _xsrf: "   " }) });
    await refused(missing, { url: "/", headers: { ...cookie, "X-Xsrftoken": "" } });
    await refused(missing, { url: "/", headers: cookie, body: { name: "ann" } });
    await refused(missing, { url: "/", headers: cookie, body: { _xsrf: 12 } });
    await refused(missing, { url: "/", headers: cookie, body: { _xsrf: [t] } });
    await refused(missing, { url: "/", headers: cookie, body: [t] });
    await refused(missing, { url: "/", headers: { ...cookie, "Content-Type": "text/plain" }, body: JSON.stringify({ _xsrf: t }) });
  });

  test("a malformed JSON body is a 400 with the parser's message", async () => {
    const t = await token;
    await refused(".*Invalid JSON body", { url: "/", headers: { Cookie: `_xsrf=${t}`, "Content-Type": "application/json" }, body: '{"_xsrf": ' }, 400);
  });

  test("malformed tokens: bad hex, unknown versions, short mask, extra fields", async () => {
    const t = await token;
    const cookie = { Cookie: `_xsrf=${t}` };
    const [, mask, masked, timestamp] = t.split("|");
    for (const bad of [
      "3|",
      "2|zzzzzzzz|" + masked + "|" + timestamp,
      `2|${mask}|${masked!.slice(1)}|${timestamp}`,
      `2|${mask!.slice(2)}|${masked}|${timestamp}`,
      `2|${mask}|${masked}|${timestamp}|extra`,
      `2|${mask}|${masked}|soon`,
      `2|${mask}||${timestamp}`,
      "2|||",
      "999|x",
    ]) {
      await refused(".*'_xsrf' argument has invalid format", { url: "/", headers: { ...cookie, "X-Xsrftoken": bad } });
    }
  });

  test("mismatched tokens: wrong length, another user's cookie, a v1 token of another secret, base64 text", async () => {
    const t = await token;
    const other = (await app.inject({ url: "/" })).text;
    const [, mask, masked, timestamp] = t.split("|");
    const mismatch = ".*XSRF cookie does not match POST";
    for (const [cookieToken, sent] of [
      [t, `2|${mask}|${masked!.slice(0, 16)}|${timestamp}`],
      [t, `2|${mask}|${masked}00|${timestamp}`],
      [t, other],
      [other, t],
      [t, "deadbeef"],
      [t, Buffer.from(t).toString("base64")],
      ["deadbeef", "deadbee"],
    ] as const) {
      await refused(mismatch, { url: "/", headers: { Cookie: `_xsrf=${cookieToken}`, "X-Xsrftoken": sent } });
    }
  });

  test("no cookie, an empty cookie or a malformed cookie: the token cannot match", async () => {
    const t = await token;
    const mismatch = ".*XSRF cookie does not match POST";
    await refused(mismatch, { url: "/", headers: { "X-Xsrftoken": t } });
    await refused(mismatch, { url: "/", headers: { Cookie: "_xsrf=", "X-Xsrftoken": t } });
    await refused(mismatch, { url: "/", headers: { Cookie: "_xsrf=2|zz", "X-Xsrftoken": t } });
  });

  test("two _xsrf cookies: accepted only when both hold the submitted token", async () => {
    const t = await token;
    const attacker = (await app.inject({ url: "/" })).text;
    const mismatch = ".*XSRF cookie does not match POST";
    // Whichever of the two the parser keeps, the other one must not be ignored.
    await refused(mismatch, { url: "/", headers: { Cookie: `_xsrf=${t}; _xsrf=${attacker}`, "X-Xsrftoken": attacker } });
    await refused(mismatch, { url: "/", headers: { Cookie: `_xsrf=${attacker}; _xsrf=${t}`, "X-Xsrftoken": attacker } });
    await refused(mismatch, { url: "/", headers: { Cookie: `_xsrf=${attacker}; _xsrf=${t}`, "X-Xsrftoken": t } });
    await refused(mismatch, { url: "/", headers: { Cookie: `_xsrf=${t}; _xsrf=`, "X-Xsrftoken": t } });
    // The same secret twice (two masks of one token) is fine.
    const remasked = (await app.inject({ url: "/", headers: { Cookie: `_xsrf=${t}` } })).text;
    const ok = await app.inject({ method: "POST", url: "/", headers: { Cookie: `_xsrf=${t}; other=1; _xsrf=${remasked}`, "X-Xsrftoken": t } });
    assert.equal(ok.code, 200);
    // Two Cookie header lines (as HTTP/2 sends them) are one cookie list.
    await refused(mismatch, { url: "/", headers: { Cookie: [`_xsrf=${attacker}`, `_xsrf=${t}`], "X-Xsrftoken": t } });
  });

  test("bounded fuzz: random tokens never give a 500 and are never accepted", async () => {
    const t = await token;
    let seed = 7;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const alphabet = "0123456789abcdef|2 ";
    await expectLog(
      genLog,
      ".*(XSRF cookie does not match|'_xsrf' argument)",
      async () => {
        for (let i = 0; i < 200; i++) {
          let sent = random() < 0.5 ? "2|" : "";
          const length = 1 + Math.floor(random() * 50);
          for (let j = 0; j < length; j++) sent += alphabet[Math.floor(random() * alphabet.length)];
          const response = await app.inject({ method: "POST", url: "/", headers: { Cookie: `_xsrf=${t}`, "X-Xsrftoken": sent.trim() || "x" } });
          assert.equal(response.code, 403, sent);
        }
      },
    );
  });
});
