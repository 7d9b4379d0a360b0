// Tests of RequestHandler: lifecycle, arguments, output, errors. Mirrors tornado/test/web_test.py.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  appLog,
  Application,
  expectLog,
  Finish,
  genLog,
  HTTPError,
  RequestHandler,
  url,
  type ErrorOptions,
} from "typhoon";
import { serve } from "../helpers.js";

function app(rules: ConstructorParameters<typeof Application>[0], settings: ConstructorParameters<typeof Application>[1] = {}) {
  return new Application(rules, settings);
}

class EchoHandler extends RequestHandler {
  get(...pathArgs: (string | undefined)[]) {
    const args: Record<string, string[]> = {};
    for (const key in this.request.arguments) args[key] = this.getArguments(key);
    this.write({ path: this.request.path, pathArgs, args });
  }
}

describe("RequestEncodingTest (web_test.py)", () => {
  const application = app([
    ["/group/(.*)", EchoHandler],
    ["/slashes/([^/]*)/([^/]*)", EchoHandler],
  ]);

  test("test_group_question_mark: encoded ? in a path group", async () => {
    assert.deepEqual((await application.inject({ url: "/group/%3F" })).json(), { path: "/group/%3F", pathArgs: ["?"], args: {} });
    assert.deepEqual((await application.inject({ url: "/group/%3F?%3F=%3F" })).json(), {
      path: "/group/%3F",
      pathArgs: ["?"],
      args: { "?": ["?"] },
    });
  });

  test("test_group_encoding: path groups and query arguments decode the same way", async () => {
    assert.deepEqual((await application.inject({ url: "/group/%C3%A9?arg=%C3%A9" })).json(), {
      path: "/group/%C3%A9",
      pathArgs: ["é"],
      args: { arg: ["é"] },
    });
  });

  test("test_slashes: escaped slashes stay in one group and are unescaped", async () => {
    assert.deepEqual((await application.inject({ url: "/slashes/a%2Fb/c%2Fd" })).json(), {
      path: "/slashes/a%2Fb/c%2Fd",
      pathArgs: ["a/b", "c/d"],
      args: {},
    });
  });

  test("test_error: invalid UTF-8 in a query argument is a 400, logged once", async () => {
    const response = await expectLog(genLog, ".*Invalid unicode", () => application.inject({ url: "/group/?arg=%25%e9" }));
    assert.equal(response.code, 400);
  });

  test("invalid UTF-8 in a path group is a 400, not a 500", async () => {
    const response = await expectLog(genLog, ".*Invalid unicode in path argument", () => application.inject({ url: "/group/%ff%fe" }));
    assert.equal(response.code, 400);
  });

  test("malformed percent sequences in a path group are kept as they are (as Python's unquote)", async () => {
    assert.deepEqual(((await application.inject({ url: "/group/100%zz" })).json() as { pathArgs: string[] }).pathArgs, ["100%zz"]);
  });
});

describe("arguments (WSGISafeWebTest.test_get_argument, test_get_query_arguments)", () => {
  class GetArgumentHandler extends RequestHandler {
    get() {
      const source = this.getArgument("source", "");
      const value =
        source === "query" ? this.getQueryArgument("foo", "default") : source === "body" ? this.getBodyArgument("foo", "default") : this.getArgument("foo", "default");
      this.write(value === undefined ? "undefined" : value);
    }
    post() {
      this.get();
    }
  }
  class RequiredHandler extends RequestHandler {
    get() {
      this.write(this.getArgument("foo"));
    }
  }
  const application = app([
    ["/get_argument", GetArgumentHandler],
    ["/required", RequiredHandler],
  ]);

  test("default, last value wins, blank values kept", async () => {
    assert.equal((await application.inject({ url: "/get_argument?foo=bar" })).text, "bar");
    assert.equal((await application.inject({ url: "/get_argument?foo=" })).text, "");
    assert.equal((await application.inject({ url: "/get_argument" })).text, "default");
    assert.equal((await application.inject({ url: "/get_argument?foo=a&foo=b" })).text, "b");
  });

  test("strip and control characters: whitespace trimmed, control chars become spaces", async () => {
    assert.equal((await application.inject({ url: "/get_argument?foo=%20a%20" })).text, "a");
    assert.equal((await application.inject({ url: "/get_argument?foo=a%01b" })).text, "a b");
  });

  test("query and body sources are kept apart", async () => {
    const body = "foo=hello";
    const headers = { "content-type": "application/x-www-form-urlencoded" };
    assert.equal((await application.inject({ method: "POST", url: "/get_argument?source=query&foo=q", headers, body })).text, "q");
    assert.equal((await application.inject({ method: "POST", url: "/get_argument?source=body&foo=q", headers, body })).text, "hello");
    assert.equal((await application.inject({ method: "POST", url: "/get_argument?foo=q", headers, body })).text, "hello");
  });

  test("GetArgumentErrorTest: a missing required argument is a 400 MissingArgumentError", async () => {
    const response = await expectLog(genLog, "400 GET /required .*Missing argument foo", () => application.inject({ url: "/required" }));
    assert.equal(response.code, 400);
    assert.match(response.text, /400: Bad Request/);
  });

  test("argument maps have no prototype: __proto__ is an ordinary name", async () => {
    class ProtoHandler extends RequestHandler {
      get() {
        this.write({ value: this.getArgument("__proto__"), polluted: ({} as Record<string, unknown>)["x"] ?? null });
      }
    }
    const response = await app([["/", ProtoHandler]]).inject({ url: "/?__proto__=1&__proto__[x]=2" });
    assert.deepEqual(response.json(), { value: "1", polluted: null });
  });
});

describe("path arguments", () => {
  test("NamedURLSpecGroupsTest: named groups arrive as one object, Python's (?P<name>) accepted", async () => {
    class NamedHandler extends RequestHandler {
      get(kwargs: Record<string, string>) {
        this.write(kwargs);
      }
    }
    const application = app([
      ["/str/(?P<path>.*)", NamedHandler],
      [/\/re\/(?<path>.*)/, NamedHandler],
    ]);
    assert.deepEqual((await application.inject({ url: "/str/foo" })).json(), { path: "foo" });
    assert.deepEqual((await application.inject({ url: "/re/bar" })).json(), { path: "bar" });
  });

  test("test_optional_path: a group that did not participate is undefined", async () => {
    class OptionalPathHandler extends RequestHandler {
      get(path: string | undefined) {
        this.write({ path: path ?? null });
      }
    }
    const application = app([["/optional_path/(.+)?", OptionalPathHandler]]);
    assert.deepEqual((await application.inject({ url: "/optional_path/foo" })).json(), { path: "foo" });
    assert.deepEqual((await application.inject({ url: "/optional_path/" })).json(), { path: null });
  });

  test("PathArgsInPrepareTest: pathArgs and pathKwargs are set before prepare()", async () => {
    class PrepareHandler extends RequestHandler {
      override prepare() {
        this.write({ args: this.pathArgs, kwargs: this.pathKwargs });
      }
      get() {}
    }
    const application = app([
      ["/pos/(.*)", PrepareHandler],
      ["/kw/(?P<path>.*)", PrepareHandler],
    ]);
    assert.deepEqual((await application.inject({ url: "/pos/foo" })).json(), { args: ["foo"], kwargs: {} });
    assert.deepEqual((await application.inject({ url: "/kw/foo" })).json(), { args: [], kwargs: { path: "foo" } });
  });

  test("test_decode_argument: decodeArgument sees every argument and path argument", async () => {
    class DecodeArgHandler extends RequestHandler {
      override decodeArgument(value: string, name?: string): string {
        return `${name ?? "path"}:${value.toUpperCase()}`;
      }
      get(arg: string) {
        this.write({ path: arg, query: this.getArgument("foo") });
      }
    }
    const response = await app([["/decode_arg/(.*)", DecodeArgHandler]]).inject({ url: "/decode_arg/%C3%A9?foo=%C3%A9" });
    assert.deepEqual(response.json(), { path: "path:É", query: "foo:É" });
  });
});

describe("lifecycle", () => {
  test("initialize receives the rule's initArgs (seed TestHandler)", async () => {
    class TestHandler extends RequestHandler {
      declare database: { name: string };
      override initialize({ database }: { database: { name: string } }) {
        this.database = database;
      }
      get() {
        this.write(this.database.name);
      }
    }
    const response = await app([["/test/", TestHandler, { database: { name: "db1" } }]]).inject({ url: "/test/" });
    assert.equal(response.text, "db1");
  });

  test("async prepare and async verb run in order, auto-finish after", async () => {
    const order: string[] = [];
    class AsyncHandler extends RequestHandler {
      override async prepare() {
        await new Promise((resolve) => setTimeout(resolve, 5));
        order.push("prepare");
      }
      async get() {
        await new Promise((resolve) => setTimeout(resolve, 5));
        order.push("get");
        this.write("done");
      }
      override onFinish() {
        order.push("onFinish");
      }
    }
    const response = await app([["/", AsyncHandler]]).inject({ url: "/" });
    assert.equal(response.text, "done");
    assert.deepEqual(order, ["prepare", "get", "onFinish"]);
  });

  test("FinishInPrepareTest: finishing in prepare() skips the verb method", async () => {
    class FinishInPrepare extends RequestHandler {
      override prepare() {
        void this.finish("done");
      }
      get() {
        throw new Error("should not reach here");
      }
    }
    assert.equal((await app([["/", FinishInPrepare]]).inject({ url: "/" })).text, "done");
  });

  test("Finish ends the request early with its chunk, nothing logged", async () => {
    class FinishHandler extends RequestHandler {
      get() {
        this.setStatus(401);
        throw new Finish("log in first");
      }
    }
    const response = await app([["/", FinishHandler]]).inject({ url: "/" });
    assert.equal(response.code, 401);
    assert.equal(response.text, "log in first");
  });

  test("FinalReturnTest: finish() returns a promise that resolves when the response is sent", async () => {
    let resolved = false;
    class FinishReturnHandler extends RequestHandler {
      async get() {
        await this.finish("x");
        resolved = true;
      }
    }
    const application = app([["/", FinishReturnHandler]]);
    const served = await serve(application);
    try {
      const response = await fetch(served.url("/"));
      assert.equal(await response.text(), "x");
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(resolved, true);
    } finally {
      await served.close();
    }
  });

  test("writing after finish is an error; finishing twice is an error", async () => {
    const errors: string[] = [];
    class TwiceHandler extends RequestHandler {
      get() {
        void this.finish("a");
        try {
          this.write("b");
        } catch (error) {
          errors.push((error as Error).message);
        }
        try {
          void this.finish();
        } catch (error) {
          errors.push((error as Error).message);
        }
      }
    }
    assert.equal((await app([["/", TwiceHandler]]).inject({ url: "/" })).text, "a");
    assert.deepEqual(errors, ["Cannot write() after finish()", "finish() called twice"]);
  });

  test("currentUser: getCurrentUser may be async and is ready in prepare and get", async () => {
    class UserHandler extends RequestHandler<{ name: string }> {
      override async getCurrentUser() {
        await new Promise((resolve) => setTimeout(resolve, 1));
        const name = this.getArgument("user", "");
        return name ? { name } : null;
      }
      override prepare() {
        this.write(`prepare:${this.currentUser?.name ?? "-"} `);
      }
      get() {
        this.write(`get:${this.currentUser?.name ?? "-"}`);
      }
    }
    const application = app([["/", UserHandler]]);
    assert.equal((await application.inject({ url: "/?user=ann" })).text, "prepare:ann get:ann");
    assert.equal((await application.inject({ url: "/" })).text, "prepare:- get:-");
  });

  test("currentUser may be set in prepare (GetCurrentUserTest-style)", async () => {
    class SetUserHandler extends RequestHandler<string> {
      override async prepare() {
        this.currentUser = await Promise.resolve("bob");
      }
      get() {
        this.write(this.currentUser ?? "nobody");
      }
    }
    assert.equal((await app([["/", SetUserHandler]]).inject({ url: "/" })).text, "bob");
  });

  test("test_get_current_user_is_lazy: a sync getCurrentUser runs once, only when used", async () => {
    let calls = 0;
    class LazyHandler extends RequestHandler<string> {
      override getCurrentUser() {
        calls++;
        return "x";
      }
      get() {
        this.write(`${this.currentUser}${this.currentUser}`);
      }
    }
    assert.equal((await app([["/", LazyHandler]]).inject({ url: "/" })).text, "xx");
    assert.equal(calls, 1);
  });
});

describe("methods", () => {
  class GetOnly extends RequestHandler {
    get() {
      this.write("get");
    }
  }

  test("UnimplementedHTTPMethodsTest: undefined verbs are 405 with an Allow header", async () => {
    const application = app([["/", GetOnly]]);
    for (const method of ["HEAD", "POST", "DELETE", "OPTIONS", "PUT", "PATCH"]) {
      const response = await application.inject({ method, url: "/", body: method === "POST" || method === "PUT" || method === "PATCH" ? "" : undefined } as never);
      assert.equal(response.code, 405, method);
      assert.equal(response.headers.get("Allow"), "GET", method);
    }
  });

  test("UnimplementedNonStandardMethodsTest: methods outside SUPPORTED_METHODS are 405", async () => {
    const response = await app([["/", GetOnly]]).inject({ method: "PROPFIND", url: "/" });
    assert.equal(response.code, 405);
  });

  test("AllHTTPMethodsTest / PatchMethodTest: SUPPORTED_METHODS can be extended", async () => {
    class AllMethods extends RequestHandler {
      static override SUPPORTED_METHODS = [...RequestHandler.SUPPORTED_METHODS, "OTHER"];
      get() {
        this.write("get");
      }
      other() {
        this.write("other");
      }
    }
    const application = app([["/", AllMethods]]);
    assert.equal((await application.inject({ method: "OTHER", url: "/" })).text, "other");
    const patch = await application.inject({ method: "PATCH", url: "/", body: "x" });
    assert.equal(patch.code, 405);
    assert.equal(patch.headers.get("Allow"), "GET, OTHER");
  });

  test("HEAD: headers of the GET-like answer, no body", async () => {
    class HeadHandler extends RequestHandler {
      head() {
        this.setHeader("X-Head", "1");
        this.write("ignored body");
      }
    }
    const served = await serve(app([["/", HeadHandler]]));
    try {
      const response = await fetch(served.url("/"), { method: "HEAD" });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("x-head"), "1");
      assert.equal(response.headers.get("content-length"), "12");
      assert.equal(await response.text(), "");
    } finally {
      await served.close();
    }
  });
});

describe("output", () => {
  test("write(object) and (beyond Tornado) write(array) send JSON with </ escaped", async () => {
    class JsonHandler extends RequestHandler {
      get() {
        this.write(this.getArgument("kind") === "array" ? [1, "</script>"] : { a: "</script>" });
      }
    }
    const application = app([["/", JsonHandler]]);
    const object = await application.inject({ url: "/?kind=object" });
    assert.equal(object.headers.get("Content-Type"), "application/json; charset=UTF-8");
    assert.equal(object.text, '{"a":"<\\/script>"}');
    assert.equal((await application.inject({ url: "/?kind=array" })).text, '[1,"<\\/script>"]');
  });

  test("test_types: write() refuses numbers and other non-JSON values with a clear TypeError", async () => {
    class BadWrite extends RequestHandler {
      get() {
        this.write(42 as unknown as string);
      }
    }
    const response = await expectLog(appLog, "Uncaught exception GET /", () => app([["/", BadWrite]]).inject({ url: "/" }));
    assert.equal(response.code, 500);
  });

  test("default headers: Content-Type, Server, Date; Content-Length set on finish", async () => {
    class Hello extends RequestHandler {
      get() {
        this.write("héllo");
      }
    }
    const response = await app([["/", Hello]]).inject({ url: "/" });
    assert.equal(response.headers.get("Content-Type"), "text/html; charset=UTF-8");
    assert.match(response.headers.get("Server") ?? "", /^TyphoonServer\/\d+\.\d+\.\d+/);
    assert.equal(response.headers.get("Content-Length"), "6");
  });

  test("DateHeaderTest: responses carry a current Date header", async () => {
    class Hello extends RequestHandler {
      get() {
        this.write("hello");
      }
    }
    const served = await serve(app([["/", Hello]]));
    try {
      const response = await fetch(served.url("/"));
      assert.ok(Math.abs(Date.parse(response.headers.get("date")!) - Date.now()) < 2000, "Math.abs(Date.parse(response.headers.get(\"date\")!) - Date.now()) < 2000");
    } finally {
      await served.close();
    }
  });

  test("ClearHeaderTest and test_multi_header: clearHeader, addHeader", async () => {
    class HeaderHandler extends RequestHandler {
      get() {
        this.setHeader("h1", "foo");
        this.setHeader("h2", "bar");
        this.clearHeader("h1");
        this.clearHeader("nonexistent");
        this.setHeader("x-overwrite", "1");
        this.setHeader("X-Overwrite", 2);
        this.addHeader("x-multi", 3);
        this.addHeader("X-Multi", "4");
      }
    }
    const response = await app([["/", HeaderHandler]]).inject({ url: "/" });
    assert.equal(response.headers.has("h1"), false);
    assert.equal(response.headers.get("h2"), "bar");
    assert.equal(response.headers.get("x-overwrite"), "2");
    assert.deepEqual(response.headers.getList("x-multi"), ["3", "4"]);
  });

  test("test_header_injection: CR/LF in a header value is refused (500, nothing injected)", async () => {
    class HeaderInjectionHandler extends RequestHandler {
      get() {
        this.setHeader("X-Foo", "foo\r\nX-Bar: baz");
      }
    }
    const response = await expectLog(appLog, "Uncaught exception", () => app([["/", HeaderInjectionHandler]]).inject({ url: "/" }));
    assert.equal(response.code, 500);
    assert.equal(response.headers.has("X-Bar"), false);
  });

  test("setHeader with a Date writes an HTTP date", async () => {
    class DateHandler extends RequestHandler {
      get() {
        this.setHeader("Expires", new Date(Date.UTC(2030, 0, 2, 3, 4, 5)));
      }
    }
    const response = await app([["/", DateHandler]]).inject({ url: "/" });
    assert.equal(response.headers.get("Expires"), "Wed, 02 Jan 2030 03:04:05 GMT");
  });

  test("test_empty_flush and streaming: flush() sends chunked data as written", async () => {
    class StreamHandler extends RequestHandler {
      async get() {
        await this.flush();
        for (let i = 0; i < 3; i++) {
          this.write(`chunk${i};`);
          await this.flush();
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    }
    const served = await serve(app([["/", StreamHandler]]));
    try {
      const response = await fetch(served.url("/"));
      assert.equal(response.headers.get("transfer-encoding"), "chunked");
      const reader = response.body!.getReader();
      const first = await reader.read();
      assert.equal(Buffer.from(first.value).toString(), "chunk0;");
      let rest = "";
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        rest += Buffer.from(value).toString();
      }
      assert.equal(rest, "chunk1;chunk2;");
    } finally {
      await served.close();
    }
  });

  test("Header204Test: 204 has no Content-Length and no Transfer-Encoding", async () => {
    class NoContent extends RequestHandler {
      get() {
        this.setStatus(204);
        void this.finish();
      }
    }
    const served = await serve(app([["/", NoContent]]));
    try {
      const response = await fetch(served.url("/"));
      assert.equal(response.status, 204);
      assert.equal(response.headers.get("content-length"), null);
      assert.equal(response.headers.get("transfer-encoding"), null);
    } finally {
      await served.close();
    }
  });

  test("Header304Test: a matching If-None-Match gets 304 without representation headers", async () => {
    class Hello extends RequestHandler {
      get() {
        this.setHeader("Content-Language", "en_US");
        this.write("hello");
      }
    }
    const application = app([["/", Hello]]);
    const first = await application.inject({ url: "/" });
    assert.equal(first.headers.get("Content-Length"), "5");
    assert.equal(first.headers.get("Content-Language"), "en_US");
    const etag = first.headers.get("Etag")!;
    assert.equal(etag, '"aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"');
    for (const header of [etag, `W/${etag}`, `"other", ${etag}`, "*"]) {
      const second = await application.inject({ url: "/", headers: { "If-None-Match": header } });
      assert.equal(second.code, 304, header);
      assert.equal(second.headers.has("Content-Length"), false);
      assert.equal(second.headers.has("Content-Language"), false);
      assert.equal(second.headers.has("Content-Type"), false);
      assert.equal(second.body.length, 0);
    }
    assert.equal((await application.inject({ url: "/", headers: { "If-None-Match": '"other"' } })).code, 200);
  });

  test("test_redirect: redirect() with 302, 301 and a custom 3xx; relative URLs kept", async () => {
    class RedirectTo extends RequestHandler {
      get() {
        const status = this.getArgument("status", "");
        if (status) this.redirect("/", false, Number(status));
        else this.redirect("relative/path", this.getArgument("permanent", "0") === "1");
      }
    }
    const application = app([["/redirect", RedirectTo]]);
    const temporary = await application.inject({ url: "/redirect" });
    assert.equal(temporary.code, 302);
    assert.equal(temporary.headers.get("Location"), "relative/path");
    assert.equal((await application.inject({ url: "/redirect?permanent=1" })).code, 301);
    assert.equal((await application.inject({ url: "/redirect?status=307" })).code, 307);
  });

  test("redirect refuses URLs with CR/LF", async () => {
    class Injected extends RequestHandler {
      get() {
        this.redirect("/ok\r\nSet-Cookie: a=b");
      }
    }
    const response = await expectLog(appLog, "Uncaught exception", () => app([["/", Injected]]).inject({ url: "/" }));
    assert.equal(response.code, 500);
    assert.equal(response.headers.has("Set-Cookie"), false);
  });
});

describe("status and errors", () => {
  class StatusHandler extends RequestHandler {
    get() {
      const reason = this.request.queryArguments["reason"]?.[0];
      throw new HTTPError(Number(this.getArgument("code")), undefined, reason === undefined ? {} : { reason });
    }
  }
  const served = serve(app([["/", StatusHandler]]));

  test("StatusReasonTest.test_status: standard, custom and unknown reasons", async () => {
    const { url: at } = await served;
    const cases: [string, number, string][] = [
      ["/?code=304", 304, "Not Modified"],
      ["/?code=304&reason=Foo", 304, "Foo"],
      ["/?code=682&reason=Bar", 682, "Bar"],
      ["/?code=682", 682, "Unknown"],
    ];
    for (const [path, code, reason] of cases) {
      const statusLine = await rawStatusLine(at(path));
      assert.equal(statusLine, `HTTP/1.1 ${code} ${reason}`, path);
    }
  });

  test("StatusReasonTest.test_header_injection and test_reason_xss: bad reasons become Unknown", async () => {
    const { url: at } = await served;
    assert.equal(reasonOf(await rawStatusLine(at("/?code=200&reason=OK%0D%0AX-Injection:injected"))), "Unknown");
    const response = await fetch(at("/?code=400&reason=<script>alert(1)</script>"));
    assert.equal(response.status, 400);
    assert.equal(response.statusText, "Unknown");
    const body = await response.text();
    assert.ok(!body.includes("script"), "!body.includes(\"script\")");
    assert.ok(body.includes("Unknown"), "body.includes(\"Unknown\")");
  });

  test("RaiseWithReasonTest: HTTPError's reason is the page title and message", async () => {
    const { url: at } = await served;
    const response = await fetch(at("/?code=682&reason=Foo"));
    assert.equal(response.statusText, "Foo");
    assert.ok((await response.text()).includes("682: Foo"), "(await response.text()).includes(\"682: Foo\")");
    assert.equal(String(new HTTPError(682, undefined, { reason: "Foo" }).message), "HTTP 682: Foo");
    assert.equal(new HTTPError(682).message, "HTTP 682: Unknown");
    assert.equal(new HTTPError(404, "no such user").message, "HTTP 404: Not Found (no such user)");
    assert.equal(new HTTPError(404).code, "TYPHOON_ERR_HTTP");
    await (await served).close();
  });

  test("ErrorResponseTest.test_default: 500 page, HTTPError codes, unknown code", async () => {
    class DefaultHandler extends RequestHandler {
      get() {
        const status = this.getArgument("status", "");
        if (status) throw new HTTPError(Number(status));
        throw new Error("division by zero");
      }
    }
    const application = app([["/default", DefaultHandler]]);
    await expectLog(appLog, "Uncaught exception", async () => {
      const response = await application.inject({ url: "/default" });
      assert.equal(response.code, 500);
      assert.equal(response.text, "<html><title>500: Internal Server Error</title><body>500: Internal Server Error</body></html>");
    });
    const unavailable = await application.inject({ url: "/default?status=503" });
    assert.equal(unavailable.code, 503);
    assert.ok(unavailable.text.includes("503: Service Unavailable"), "unavailable.text.includes(\"503: Service Unavailable\")");
    const unknown = await application.inject({ url: "/default?status=435" });
    assert.equal(unknown.code, 435);
    assert.ok(unknown.text.includes("435: Unknown"), "unknown.text.includes(\"435: Unknown\")");
  });

  test("ErrorResponseTest.test_write_error: a custom writeError gets the error", async () => {
    class WriteErrorHandler extends RequestHandler {
      get() {
        const status = this.getArgument("status", "");
        if (status) this.sendError(Number(status));
        else throw new RangeError("boom");
      }
      override writeError(statusCode: number, options: ErrorOptions) {
        this.setHeader("Content-Type", "text/plain");
        if (options.exc) this.write(`Exception: ${(options.exc as Error).name}`);
        else this.write(`Status: ${statusCode}`);
      }
    }
    const application = app([["/write_error", WriteErrorHandler]]);
    const response = await expectLog(appLog, "Uncaught exception", () => application.inject({ url: "/write_error" }));
    assert.equal(response.code, 500);
    assert.equal(response.text, "Exception: RangeError");
    const status = await application.inject({ url: "/write_error?status=503" });
    assert.equal(status.code, 503);
    assert.equal(status.text, "Status: 503");
  });

  test("ErrorResponseTest.test_failed_write_error: a throwing writeError gives an empty 500", async () => {
    class FailedWriteErrorHandler extends RequestHandler {
      get() {
        throw new Error("first");
      }
      override writeError(): void {
        throw new Error("exception in writeError");
      }
    }
    const application = app([["/", FailedWriteErrorHandler]]);
    const response = await expectLog(appLog, "Uncaught exception in writeError", () =>
      expectLog(appLog, "Uncaught exception GET", () => application.inject({ url: "/" })),
    );
    assert.equal(response.code, 500);
    assert.equal(response.text, "");
  });

  test("serveTraceback: the error page is the JavaScript stack, as plain text", async () => {
    class Broken extends RequestHandler {
      get() {
        throw new Error("kaboom", { cause: new Error("root cause") });
      }
    }
    const response = await expectLog(appLog, "Uncaught exception", () => app([["/", Broken]], { debug: true, autoreload: false }).inject({ url: "/" }));
    assert.equal(response.code, 500);
    assert.equal(response.headers.get("Content-Type"), "text/plain; charset=UTF-8");
    assert.match(response.text, /^Error: kaboom\n\s+at /);
    assert.match(response.text, /Caused by: Error: root cause/);
  });

  test("ExceptionHandlerTest: HTTPError with a log message is a warning without stack", async () => {
    class Forbidden extends RequestHandler {
      get() {
        throw new HTTPError(403, "not allowed to see this");
      }
    }
    const response = await expectLog(genLog, "403 GET / \\(127\\.0\\.0\\.1\\): not allowed to see this", () =>
      app([["/", Forbidden]]).inject({ url: "/" }),
    );
    assert.equal(response.code, 403);
    assert.ok(!response.text.includes("not allowed"), "the log message is never shown to the client");
  });

  test("BuggyLoggingTest: a throwing logException does not break the error response", async () => {
    class BuggyLogging extends RequestHandler {
      get() {
        throw new Error("first");
      }
      override logException(): void {
        throw new Error("broken logger");
      }
    }
    const response = await expectLog(appLog, "Exception in logException", () => app([["/", BuggyLogging]]).inject({ url: "/" }));
    assert.equal(response.code, 500);
  });

  test("a rejection after finishing is logged, the response stands, the server keeps serving", async () => {
    class LateFailure extends RequestHandler {
      async get() {
        await this.finish("ok");
        throw new Error("after finish");
      }
    }
    const served2 = await serve(app([["/", LateFailure]]));
    try {
      await expectLog(appLog, "Uncaught exception GET /", async () => {
        for (let i = 0; i < 2; i++) {
          const response = await fetch(served2.url("/"));
          assert.equal(await response.text(), "ok");
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      });
    } finally {
      await served2.close();
    }
  });

  test("an error after headers were flushed closes the connection instead of a second status line", async () => {
    class MidStream extends RequestHandler {
      async get() {
        this.write("partial");
        await this.flush();
        throw new Error("mid-stream");
      }
    }
    const served2 = await serve(app([["/", MidStream]]));
    try {
      await expectLog(genLog, "Cannot send error response after headers written", () =>
        expectLog(appLog, "Uncaught exception", async () => {
          const response = await fetch(served2.url("/"));
          assert.equal(response.status, 200);
          await assert.rejects(response.text());
        }),
      );
    } finally {
      await served2.close();
    }
  });
});

describe("404 and default handlers", () => {
  test("Default404Test: unmatched paths get Tornado's 404 page", async () => {
    const response = await app([["/foo", EchoHandler]]).inject({ url: "/" });
    assert.equal(response.code, 404);
    assert.equal(response.text, "<html><title>404: Not Found</title><body>404: Not Found</body></html>");
  });

  test("Custom404Test: defaultHandlerClass answers unmatched paths", async () => {
    class Custom404 extends RequestHandler {
      get() {
        this.setStatus(404);
        this.write("custom 404 response");
      }
    }
    const response = await app([["/foo", EchoHandler]], { defaultHandlerClass: Custom404 }).inject({ url: "/" });
    assert.equal(response.code, 404);
    assert.equal(response.text, "custom 404 response");
  });

  test("DefaultHandlerArgumentsTest: defaultHandlerArgs reach initialize", async () => {
    const { ErrorHandler } = await import("typhoon");
    const response = await app([["/foo", EchoHandler]], {
      defaultHandlerClass: ErrorHandler,
      defaultHandlerArgs: { statusCode: 403 },
    }).inject({ url: "/" });
    assert.equal(response.code, 403);
  });

  test("test_reverse_url: handler.reverseUrl and app.reverseUrl", async () => {
    class ReverseHandler extends RequestHandler {
      get() {
        this.write({ a: this.reverseUrl("decode_arg", "foo"), b: this.reverseUrl("decode_arg", 42), c: this.reverseUrl("decode_arg", "/?#") });
      }
    }
    const application = app([url("/decode_arg/(.*)", EchoHandler, undefined, "decode_arg"), ["/", ReverseHandler]]);
    assert.deepEqual((await application.inject({ url: "/" })).json(), { a: "/decode_arg/foo", b: "/decode_arg/42", c: "/decode_arg//%3F%23" });
    assert.throws(() => application.reverseUrl("nope"), /nope not found in named urls/);
    assert.throws(() => application.reverseUrl("decode_arg"), /needs 1 argument\(s\) to reverse, got 0/);
  });
});

describe("connection close (ConnectionCloseTest, ClientCloseTest)", () => {
  test("onConnectionClose runs and signal aborts when the client goes away mid-request", async () => {
    let closed: () => void;
    const closedPromise = new Promise<void>((resolve) => (closed = resolve));
    let aborted = false;
    class ConnectionCloseHandler extends RequestHandler {
      async get() {
        this.signal.addEventListener("abort", () => (aborted = true));
        this.write("partial");
        await this.flush();
        await new Promise((resolve) => setTimeout(resolve, 5000).unref());
      }
      override onConnectionClose() {
        closed();
      }
    }
    const served = await serve(app([["/", ConnectionCloseHandler]]));
    try {
      const controller = new AbortController();
      const response = await fetch(served.url("/"), { signal: controller.signal });
      const reader = response.body!.getReader();
      await reader.read();
      controller.abort();
      await closedPromise;
      assert.equal(aborted, true);
    } finally {
      served.server.closeAllConnections();
      await served.close();
    }
  });

  test("writes after the client left reject flush() with StreamClosedError; nothing is logged", async () => {
    let flushError: unknown;
    let done: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    class Writer extends RequestHandler {
      async get() {
        this.write("a");
        await this.flush();
        await new Promise((resolve) => this.signal.addEventListener("abort", resolve));
        try {
          this.write("b");
          await this.flush();
        } catch (error) {
          flushError = error;
        }
        done();
      }
    }
    const served = await serve(app([["/", Writer]]));
    try {
      const controller = new AbortController();
      const response = await fetch(served.url("/"), { signal: controller.signal });
      await response.body!.getReader().read();
      controller.abort();
      await finished;
      assert.equal((flushError as { code?: string }).code, "TYPHOON_ERR_STREAM_CLOSED");
    } finally {
      await served.close();
    }
  });
});

function reasonOf(statusLine: string): string {
  return statusLine.split(" ").slice(2).join(" ");
}

async function rawStatusLine(target: string): Promise<string> {
  const { rawRequest } = await import("../helpers.js");
  const parsed = new URL(target);
  const raw = await rawRequest(Number(parsed.port), `GET ${parsed.pathname}${parsed.search} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  return raw.split("\r\n", 1)[0]!;
}
