// Tests of addslash and removeslash. Mirrors tornado/test/web_test.py::DecoratorTest, plus the
// open-redirect cases (CVE-2023-28370 class: `//evil.example/` must stay on this site) and redirect's CR/LF refusal.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { addslash, Application, InvalidArgumentError, RequestHandler, removeslash } from "typhoon";
import { rawRequest, serve, statusOf } from "../helpers.js";

class RemoveSlashHandler extends RequestHandler {
  @removeslash
  get() {
    this.write("removeslash");
  }
  @removeslash
  head() {}
  @removeslash
  post() {
    this.write("posted");
  }
}

class AddSlashHandler extends RequestHandler {
  @addslash
  get() {
    this.write("addslash");
  }
  @addslash
  post() {
    this.write("posted");
  }
}

describe("DecoratorTest (web_test.py)", () => {
  const app = new Application([
    ["/removeslash/*", RemoveSlashHandler],
    ["/addslash/?", AddSlashHandler],
  ]);

  test("test_removeslash", async () => {
    let response = await app.inject({ url: "/removeslash/" });
    assert.equal(response.code, 301);
    assert.equal(response.headers.get("Location"), "/removeslash");
    response = await app.inject({ url: "/removeslash/?foo=bar" });
    assert.equal(response.code, 301);
    assert.equal(response.headers.get("Location"), "/removeslash?foo=bar");
  });

  test("test_addslash", async () => {
    let response = await app.inject({ url: "/addslash" });
    assert.equal(response.code, 301);
    assert.equal(response.headers.get("Location"), "/addslash/");
    response = await app.inject({ url: "/addslash?foo=bar" });
    assert.equal(response.code, 301);
    assert.equal(response.headers.get("Location"), "/addslash/?foo=bar");
  });

  test("the method runs when the path is already right", async () => {
    assert.equal((await app.inject({ url: "/removeslash" })).text, "removeslash");
    assert.equal((await app.inject({ url: "/addslash/" })).text, "addslash");
  });

  test("removeslash strips every trailing slash; HEAD is redirected too", async () => {
    assert.equal((await app.inject({ url: "/removeslash///" })).headers.get("Location"), "/removeslash");
    const head = await app.inject({ method: "HEAD", url: "/removeslash/" });
    assert.equal(head.code, 301);
    assert.equal(head.headers.get("Location"), "/removeslash");
  });

  test("other methods get 404 instead of a redirect (a redirect would lose the body)", async () => {
    assert.equal((await app.inject({ method: "POST", url: "/removeslash/", body: "" })).code, 404);
    assert.equal((await app.inject({ method: "POST", url: "/addslash", body: "" })).code, 404);
    assert.equal((await app.inject({ method: "POST", url: "/addslash/", body: "" })).text, "posted");
  });

  test("removeslash leaves / alone (it would become an empty path)", async () => {
    const root = new Application([["/*", RemoveSlashHandler]]);
    assert.equal((await root.inject({ url: "/" })).text, "removeslash");
  });

  test("as plain wrappers: get = removeslash(function (this: H) {...})", async () => {
    class Wrapped extends RequestHandler {
      get = addslash(function (this: Wrapped) {
        this.write(`at ${this.request.path}`);
      });
    }
    const wrapped = new Application([["/dir/?", Wrapped]]);
    assert.equal((await wrapped.inject({ url: "/dir" })).headers.get("Location"), "/dir/");
    assert.equal((await wrapped.inject({ url: "/dir/" })).text, "at /dir/");
  });
});

describe("no open redirects (CVE-2023-28370 class)", () => {
  // Catch-all rules, so absolute-form targets (whose path starts with "http:") are routed too.
  const app = new Application([
    [".*/", RemoveSlashHandler],
    [".*", AddSlashHandler],
  ]);
  const served = serve(app);
  after(async () => (await served).close());

  async function location(target: string): Promise<string | undefined> {
    const raw = await rawRequest((await served).port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    assert.equal(statusOf(raw), 301, raw);
    return /\r\nLocation: ([^\r]*)\r\n/.exec(raw)?.[1];
  }

  test("removeslash: //evil.example/ redirects to /evil.example, not to another host", async () => {
    assert.equal(await location("//evil.example/"), "/evil.example");
    assert.equal(await location("///evil.example//"), "/evil.example");
    assert.equal(await location("//evil.example/?q=1"), "/evil.example?q=1");
  });

  test("addslash: //evil.example redirects to /evil.example/", async () => {
    assert.equal(await location("//evil.example"), "/evil.example/");
    assert.equal(await location("//evil.example?next=1"), "/evil.example/?next=1");
  });

  test("backslashes (read as slashes by browsers) cannot make a protocol-relative URL", async () => {
    assert.equal(await location("/\\evil.example/"), "/evil.example");
    assert.equal(await location("/\\/evil.example"), "/evil.example/");
  });

  test("an absolute-form request target keeps only its path", async () => {
    assert.equal(await location("http://evil.example/page/"), "/page");
    assert.equal(await location("http://evil.example//other.example"), "/other.example/");
  });

  test("an encoded CR/LF in the path stays encoded in Location (no header injection)", async () => {
    assert.equal(await location("/a%0d%0aSet-Cookie:%20x=1/"), "/a%0d%0aSet-Cookie:%20x=1");
  });
});

describe("redirect refuses CR/LF", () => {
  test("redirect() with CR or LF throws InvalidArgumentError and sends no Location", async () => {
    const errors: unknown[] = [];
    class Injecting extends RequestHandler {
      get() {
        for (const url of ["/ok\r\nSet-Cookie: a=b", "/ok\nX: y", "/ok\rX: y"]) {
          try {
            this.redirect(url);
          } catch (error) {
            errors.push(error);
          }
        }
        this.write("safe");
      }
    }
    const response = await new Application([["/", Injecting]]).inject({ url: "/" });
    assert.equal(response.code, 200);
    assert.equal(response.text, "safe");
    assert.equal(response.headers.has("Location"), false);
    assert.equal(response.headers.has("Set-Cookie"), false);
    assert.equal(errors.length, 3);
    for (const error of errors) {
      assert.ok(error instanceof InvalidArgumentError, String(error));
      assert.equal(error.code, "TYPHOON_ERR_BAD_HEADER");
    }
  });

  test("relative URLs are left as given", async () => {
    class Relative extends RequestHandler {
      get() {
        this.redirect("../up?x=1");
      }
    }
    const response = await new Application([["/", Relative]]).inject({ url: "/" });
    assert.equal(response.headers.get("Location"), "../up?x=1");
  });

  test("a 404 from addslash logs no warning (the test runner fails on unexpected ones)", async () => {
    const app = new Application([["/x", AddSlashHandler]]);
    const response = await app.inject({ method: "POST", url: "/x", body: "" });
    assert.equal(response.code, 404);
  });
});
