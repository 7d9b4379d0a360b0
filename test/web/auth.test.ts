// Tests of users and `authenticated`. Mirrors tornado/test/web_test.py::AuthRedirectTest and
// GetCurrentUserTest-style cases (currentUser resolved once, sync or async, settable in prepare).
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { appLog, Application, authenticated, createSignedValue, expectLog, genLog, HTTPError, RequestHandler } from "typhoon";
import { rawRequest, serve, statusOf } from "../helpers.js";

class AuthRedirectRequestHandler extends RequestHandler {
  #loginUrl = "";
  override initialize({ loginUrl }: { loginUrl: string }) {
    this.#loginUrl = loginUrl;
  }
  override getLoginUrl() {
    return this.#loginUrl;
  }
  @authenticated
  get() {
    // Never reached: nobody is logged in.
    this.sendError(500);
  }
  @authenticated
  head() {
    this.sendError(500);
  }
}

describe("AuthRedirectTest (web_test.py)", () => {
  const app = new Application([
    ["/relative", AuthRedirectRequestHandler, { loginUrl: "/login" }],
    ["/absolute", AuthRedirectRequestHandler, { loginUrl: "http://example.com/login" }],
    ["/with-query", AuthRedirectRequestHandler, { loginUrl: "/login?from=app" }],
  ]);
  const served = serve(app);
  after(async () => (await served).close());

  test("test_relative_auth_redirect: next= is the request URI", async () => {
    const { url } = await served;
    const response = await fetch(url("/relative"), { redirect: "manual" });
    assert.equal(response.status, 302);
    assert.equal(response.headers.get("Location"), "/login?next=%2Frelative");
  });

  test("test_absolute_auth_redirect: next= is the full URL when the login URL is absolute", async () => {
    const { url } = await served;
    const response = await fetch(url("/absolute"), { redirect: "manual" });
    assert.equal(response.status, 302);
    assert.match(response.headers.get("Location") ?? "", /^http:\/\/example\.com\/login\?next=http%3A%2F%2F127\.0\.0\.1%3A[0-9]+%2Fabsolute$/);
  });

  test("the query of the request is kept in next=, encoded as Python's urlencode", async () => {
    const response = await app.inject({ url: "/relative?a=1&b=x+y" });
    assert.equal(response.headers.get("Location"), "/login?next=%2Frelative%3Fa%3D1%26b%3Dx%2By");
  });

  test("a login URL with a query is used as it is (no next=)", async () => {
    const response = await app.inject({ url: "/with-query" });
    assert.equal(response.code, 302);
    assert.equal(response.headers.get("Location"), "/login?from=app");
  });

  test("HEAD is redirected like GET", async () => {
    const response = await app.inject({ method: "HEAD", url: "/relative" });
    assert.equal(response.code, 302);
    assert.equal(response.headers.get("Location"), "/login?next=%2Frelative");
  });

  test("next= never names another host: //evil.example paths are collapsed", async () => {
    class CatchAll extends AuthRedirectRequestHandler {}
    const catchAll = new Application([[".*", CatchAll, { loginUrl: "/login" }]]);
    const response = await catchAll.inject({ url: "//evil.example/x?y=1" });
    assert.equal(response.headers.get("Location"), "/login?next=%2Fevil.example%2Fx%3Fy%3D1");
    // Raw sockets: a backslash path, and an absolute-form request target (GET http://host/path).
    const server = await serve(catchAll);
    try {
      const backslash = await rawRequest(server.port, "GET /\\evil.example/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
      assert.match(backslash, /\r\nLocation: \/login\?next=%2Fevil\.example%2F\r\n/);
      const raw = await rawRequest(server.port, "GET http://evil.example/x HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
      assert.equal(statusOf(raw), 302);
      assert.match(raw, /\r\nLocation: \/login\?next=%2Fx\r\n/);
    } finally {
      await server.close();
    }
  });
});

describe("authenticated", () => {
  class Protected extends RequestHandler<{ name: string }> {
    override getCurrentUser() {
      const name = this.getSignedCookie("user")?.toString("utf8");
      return name ? { name } : null;
    }
    @authenticated
    get() {
      this.write(`hello ${this.currentUser!.name}`);
    }
    @authenticated
    post() {
      this.write(`posted by ${this.currentUser!.name}`);
    }
  }
  const app = new Application([["/", Protected]], { loginUrl: "/login", cookieSecret: "secret" });
  const userCookie = `user="${createSignedValue("secret", "user", "ann")}"`;

  test("a logged-in user reaches the method", async () => {
    assert.equal((await app.inject({ url: "/", headers: { Cookie: userCookie } })).text, "hello ann");
    assert.equal((await app.inject({ method: "POST", url: "/", headers: { Cookie: userCookie } })).text, "posted by ann");
  });

  test("not logged in: GET redirects to loginUrl, POST (and other methods) get 403", async () => {
    const get = await app.inject({ url: "/" });
    assert.equal(get.code, 302);
    assert.equal(get.headers.get("Location"), "/login?next=%2F");
    const post = await app.inject({ method: "POST", url: "/" });
    assert.equal(post.code, 403);
    assert.match(post.text, /403: Forbidden/);
  });

  test("bad cookies read as not logged in: tampered, other name, other secret, expired, garbage", async () => {
    const good = createSignedValue("secret", "user", "ann");
    for (const value of [
      good.slice(0, -2) + (good.endsWith("00") ? "11" : "00"),
      createSignedValue("secret", "session", "ann"),
      createSignedValue("another secret", "user", "ann"),
      createSignedValue("secret", "user", "ann", { clock: () => Date.now() / 1000 - 32 * 86400 }),
      createSignedValue("secret", "user", "ann", { clock: () => Date.now() / 1000 + 40 * 86400 }),
      "2|1:0|",
      "%%%",
    ]) {
      const get = await app.inject({ url: "/", headers: { Cookie: `user="${value}"` } });
      assert.equal(get.code, 302, value);
      const post = await app.inject({ method: "POST", url: "/", headers: { Cookie: `user="${value}"` } });
      assert.equal(post.code, 403, value);
    }
  });

  test("a version-1 cookie reads as not logged in when getSignedCookie asks minVersion 2", async () => {
    class Strict extends RequestHandler<string> {
      override getCurrentUser() {
        return this.getSignedCookie("user", undefined, { minVersion: 2 })?.toString() ?? null;
      }
      @authenticated
      get() {
        this.write(this.currentUser!);
      }
    }
    const strict = new Application([["/", Strict]], { loginUrl: "/login", cookieSecret: "secret" });
    const v1 = createSignedValue("secret", "user", "ann", { version: 1 });
    assert.equal((await strict.inject({ url: "/", headers: { Cookie: `user="${v1}"` } })).code, 302);
    const v2 = createSignedValue("secret", "user", "ann");
    assert.equal((await strict.inject({ url: "/", headers: { Cookie: `user="${v2}"` } })).text, "ann");
  });

  test("as a plain wrapper: get = authenticated(async function (this: H) {...})", async () => {
    class Wrapped extends RequestHandler<string> {
      override async getCurrentUser() {
        return this.getArgument("user", "") || null;
      }
      get = authenticated(async function (this: Wrapped) {
        await Promise.resolve();
        this.write(`hi ${this.currentUser}`);
      });
    }
    const wrapped = new Application([["/", Wrapped]], { loginUrl: "https://id.example/login" });
    assert.equal((await wrapped.inject({ url: "/?user=bob" })).text, "hi bob");
    const anonymous = await wrapped.inject({ url: "/?x=1" });
    assert.equal(anonymous.code, 302);
    assert.equal(anonymous.headers.get("Location"), "https://id.example/login?next=http%3A%2F%2Flocalhost%3A80%2F%3Fx%3D1");
  });

  test("on prepare(): every verb of the handler is protected", async () => {
    class Base extends RequestHandler<string> {
      override getCurrentUser() {
        return this.request.headers.get("X-User") ?? null;
      }
      @authenticated
      override prepare() {}
    }
    class Page extends Base {
      get() {
        this.write(`page for ${this.currentUser}`);
      }
      delete() {
        this.write("deleted");
      }
    }
    const pages = new Application([["/", Page]], { loginUrl: "/login" });
    assert.equal((await pages.inject({ url: "/", headers: { "X-User": "ann" } })).text, "page for ann");
    assert.equal((await pages.inject({ url: "/" })).headers.get("Location"), "/login?next=%2F");
    assert.equal((await pages.inject({ method: "DELETE", url: "/" })).code, 403);
  });

  test("a currentUser set in prepare() counts; falsy users (null, empty string) do not, as Tornado", async () => {
    class SetInPrepare extends RequestHandler<string> {
      override prepare() {
        this.currentUser = this.getArgument("user", "");
      }
      @authenticated
      get() {
        this.write(`hi ${this.currentUser}`);
      }
    }
    const setting = new Application([["/", SetInPrepare]], { loginUrl: "/login" });
    assert.equal((await setting.inject({ url: "/?user=cy" })).text, "hi cy");
    assert.equal((await setting.inject({ url: "/?user=" })).code, 302);
  });

  test("the method name is kept for stack traces and logs", () => {
    assert.equal(Protected.prototype.get.name, "get");
  });

  test("without loginUrl, a GET by an anonymous user is a 500 naming the setting", async () => {
    class NoLogin extends RequestHandler {
      @authenticated
      get() {}
    }
    const response = await expectLog(appLog, "Uncaught exception", () => new Application([["/", NoLogin]]).inject({ url: "/" }));
    assert.equal(response.code, 500);
    const traced = await expectLog(appLog, "Uncaught exception", () =>
      new Application([["/", NoLogin]], { serveTraceback: true }).inject({ url: "/" }),
    );
    assert.match(traced.text, /'loginUrl' setting/);
  });
});

describe("GetCurrentUserTest-style: resolving the user", () => {
  test("getCurrentUser runs once per request, before prepare, sync or async", async () => {
    let calls = 0;
    class Counting extends RequestHandler<string> {
      override async getCurrentUser() {
        calls++;
        await new Promise((resolve) => setTimeout(resolve, 1));
        return "ann";
      }
      override prepare() {
        this.write(`${this.currentUser}|`);
      }
      get() {
        this.write(`${this.currentUser}|${this.currentUser}`);
      }
    }
    const response = await new Application([["/", Counting]]).inject({ url: "/" });
    assert.equal(response.text, "ann|ann|ann");
    assert.equal(calls, 1);
  });

  test("an error thrown by getCurrentUser goes through the error pipeline (HTTPError status, else 500)", async () => {
    class Failing extends RequestHandler {
      override async getCurrentUser(): Promise<null> {
        if (this.getArgument("kind", "") === "http") throw new HTTPError(401, "bad token");
        throw new Error("database down");
      }
      get() {
        this.write("unreachable");
      }
    }
    const app = new Application([["/", Failing]]);
    const unauthorized = await expectLog(genLog, ".*bad token", () => app.inject({ url: "/?kind=http" }));
    assert.equal(unauthorized.code, 401);
    const failed = await expectLog(appLog, "Uncaught exception", () => app.inject({ url: "/" }));
    assert.equal(failed.code, 500);
  });

  test("currentUser is in the template namespace and reads a signed cookie", async () => {
    const { DictLoader } = await import("typhoon");
    class Page extends RequestHandler<string> {
      override getCurrentUser() {
        return this.getSignedCookie("user")?.toString() ?? null;
      }
      get() {
        return this.render("page.html");
      }
    }
    const app = new Application([["/", Page]], { cookieSecret: "s", templateLoader: new DictLoader({ "page.html": "user={{ currentUser }}" }) });
    const cookie = `user="${createSignedValue("s", "user", "ann")}"`;
    assert.equal((await app.inject({ url: "/", headers: { Cookie: cookie } })).text, "user=ann");
    assert.equal((await app.inject({ url: "/" })).text, "user=");
  });
});
