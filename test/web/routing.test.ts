// Tests of routing: matchers, rules, routers, reverse URLs and the rule index.
// Mirrors tornado/test/routing_test.py and the routing cases of tornado/test/web_test.py.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  AnyMatches,
  Application,
  HostMatches,
  HTTPError,
  HTTPServer,
  HTTPServerRequest,
  PathMatches,
  RequestHandler,
  ReversibleRuleRouter,
  Rule,
  RuleRouter,
  url,
  URLSpec,
  type HandlerClass,
  type ReversibleRouter,
  type RouteMatch,
} from "typhoon";

function requestFor(path: string, host = "127.0.0.1"): HTTPServerRequest {
  return new HTTPServerRequest({ uri: path, host });
}

function namedHandler(name: string) {
  return class extends RequestHandler {
    get() {
      const appName = (this.settings as { appName?: string }).appName;
      if (appName !== undefined) this.write(`${appName}: `);
      void this.finish(`${name}: ${this.reverseUrl(name)}`);
    }
  };
}
const FirstHandler = namedHandler("first_handler");
const SecondHandler = namedHandler("second_handler");

describe("PathMatches", () => {
  test("string patterns are anchored at both ends; $ appended when missing", () => {
    const matcher = new PathMatches("/foo");
    assert.ok(matcher.match(requestFor("/foo")), "matcher.match(requestFor(\"/foo\"))");
    assert.equal(matcher.match(requestFor("/foo/bar")), null);
    assert.equal(matcher.match(requestFor("/x/foo")), null);
    assert.ok(new PathMatches("/foo.*").match(requestFor("/foo/bar")), "new PathMatches(\"/foo.*\").match(requestFor(\"/foo/bar\"))");
  });

  test("RegExp patterns are anchored at the start only, as Tornado's compiled patterns", () => {
    const matcher = new PathMatches(/\/foo/);
    assert.ok(matcher.match(requestFor("/foo/bar")), "matcher.match(requestFor(\"/foo/bar\"))");
    assert.equal(matcher.match(requestFor("/x/foo")), null);
  });

  test("the query string is not part of the matched path", () => {
    assert.ok(new PathMatches("/search").match(requestFor("/search?q=1")), "new PathMatches(\"/search\").match(requestFor(\"/search?q=1\"))");
  });

  test("groups: positional, named (Python and JavaScript syntax), non-participating", () => {
    assert.deepEqual(new PathMatches("/(\\d+)/(\\w+)").match(requestFor("/12/ab"))?.pathArgs, ["12", "ab"]);
    assert.deepEqual(new PathMatches("/(?P<id>\\d+)").match(requestFor("/7"))?.pathKwargs, { id: "7" });
    assert.deepEqual(new PathMatches("/(?<id>\\d+)").match(requestFor("/7"))?.pathKwargs, { id: "7" });
    assert.deepEqual(new PathMatches("/a(b)?").match(requestFor("/a"))?.pathArgs, [undefined]);
  });

  test("an invalid pattern fails at construction with a clear error", () => {
    assert.throws(() => new PathMatches("/(unclosed"), /invalid route pattern "\/\(unclosed"/);
  });

  test("reverse: arguments URL-escaped (spaces as %20), literal text unescaped", () => {
    const spec = url("/user/([^/]+)/file\\.txt", RequestHandler, undefined, "file");
    assert.equal(spec.reverse("a b/c"), "/user/a%20b/c/file.txt");
    assert.equal(new URLSpec("/", RequestHandler).reverse(), "/");
    assert.equal(url("/(\\d+)", RequestHandler).reverse(42), "/42");
  });

  test("reverse: patterns too complex to reverse, and wrong argument counts, are clear errors", () => {
    assert.throws(() => url("/(?:a|b)", RequestHandler).reverse(), /Cannot reverse url regex/);
    assert.throws(() => url("/\\d+/x", RequestHandler).reverse(), /Cannot reverse url regex/);
    assert.throws(() => url("/(a)/(b)", RequestHandler).reverse("x"), /needs 2 argument\(s\) to reverse, got 1/);
  });
});

describe("HostMatches", () => {
  test("matches the host name without port, anchored, case-insensitively via hostName", () => {
    const matcher = new HostMatches("www\\.example\\.com");
    assert.ok(matcher.match(requestFor("/", "WWW.example.com:8080")), "matcher.match(requestFor(\"/\", \"WWW.example.com:8080\"))");
    assert.equal(matcher.match(requestFor("/", "www.example.com.evil")), null);
    assert.ok(new AnyMatches().match(requestFor("/")), "new AnyMatches().match(requestFor(\"/\"))");
  });
});

describe("HostMatchingTest (web_test.py)", () => {
  test("host-specific rules are checked before the default rules, in the order added", async () => {
    class Handler extends RequestHandler {
      declare reply: string;
      override initialize({ reply }: { reply: string }) {
        this.reply = reply;
      }
      get() {
        this.write(this.reply);
      }
    }
    const app = new Application([["/foo", Handler, { reply: "wildcard" }]]);
    app.addHandlers("www.example.com", [["/foo", Handler, { reply: "[0]" }]]);
    app.addHandlers("www\\.example\\.com", [["/bar", Handler, { reply: "[1]" }]]);
    app.addHandlers("www.example.com", [["/baz", Handler, { reply: "[2]" }]]);
    app.addHandlers("www.e.*e.com", [["/baz", Handler, { reply: "[3]" }]]);

    assert.equal((await app.inject({ url: "/foo" })).text, "wildcard");
    assert.equal((await app.inject({ url: "/bar" })).code, 404);
    assert.equal((await app.inject({ url: "/baz" })).code, 404);
    const host = (name: string) => ({ headers: { host: name } });
    assert.equal((await app.inject({ url: "/foo", ...host("www.example.com") })).text, "[0]");
    assert.equal((await app.inject({ url: "/bar", ...host("www.example.com") })).text, "[1]");
    assert.equal((await app.inject({ url: "/baz", ...host("www.example.com") })).text, "[2]");
    assert.equal((await app.inject({ url: "/baz", ...host("www.exe.com") })).text, "[3]");
  });
});

class CustomRouter implements ReversibleRouter {
  readonly routes = new Map<string, [Application, typeof FirstHandler]>();

  findHandler(request: HTTPServerRequest): RouteMatch | null {
    const route = this.routes.get(request.path);
    if (!route) return null;
    return { target: route[0].getHandlerDelegate(route[1]), targetKwargs: undefined, pathArgs: [], pathKwargs: {} };
  }

  reverseUrl(name: string): string | null {
    return this.routes.has(`/${name}`) ? `/${name}` : null;
  }
}

describe("routing_test.py", () => {
  test("CustomRouterTestCase: a router sends requests to handlers of several applications", async () => {
    const router = new CustomRouter();
    class CustomApplication extends Application {
      override reverseUrl(name: string): string {
        return router.reverseUrl(name) ?? "";
      }
    }
    const app1 = new CustomApplication([], { appName: "app1" } as never);
    const app2 = new CustomApplication([], { appName: "app2" } as never);
    router.routes.set("/first_handler", [app1, FirstHandler]);
    router.routes.set("/second_handler", [app2, SecondHandler]);
    router.routes.set("/first_handler_second_app", [app2, FirstHandler]);
    const server = new HTTPServer(new RuleRouter([new Rule(new AnyMatches(), router)]));
    await server.listen(0, "127.0.0.1");
    try {
      const get = async (path: string) => (await fetch(`http://127.0.0.1:${server.port}${path}`)).text();
      assert.equal(await get("/first_handler"), "app1: first_handler: /first_handler");
      assert.equal(await get("/second_handler"), "app2: second_handler: /second_handler");
      assert.equal(await get("/first_handler_second_app"), "app2: first_handler: /first_handler");
    } finally {
      await server.stop({ timeout: 0 });
    }
  });

  test("HTTPMethodRouterTestCase: a router choosing the handler by method", async () => {
    const resources = new Map<string, Buffer>();
    class GetResource extends RequestHandler {
      get(path: string) {
        const resource = resources.get(path);
        if (!resource) throw new HTTPError(404);
        void this.finish(resource);
      }
    }
    class PostResource extends RequestHandler {
      post(path: string) {
        resources.set(path, this.request.body);
      }
    }
    const app = new Application();
    const server = new HTTPServer(
      new RuleRouter([
        new Rule(new AnyMatches(), {
          findHandler: (request: HTTPServerRequest): RouteMatch => ({
            target: app.getHandlerDelegate(request.method === "GET" ? GetResource : PostResource, undefined, [request.path]),
            targetKwargs: undefined,
            pathArgs: [],
            pathKwargs: {},
          }),
        }),
      ]),
    );
    await server.listen(0, "127.0.0.1");
    try {
      const base = `http://127.0.0.1:${server.port}`;
      assert.equal((await fetch(`${base}/post_resource`, { method: "POST", body: "data" })).status, 200);
      assert.equal((await fetch(`${base}/get_resource`)).status, 404);
      const found = await fetch(`${base}/post_resource`);
      assert.equal(found.status, 200);
      assert.equal(await found.text(), "data");
    } finally {
      await server.stop({ timeout: 0 });
    }
  });

  test("RuleRouterTest: nested rule lists, routers, callables and delegates as targets", async () => {
    const app = new Application();
    const router = new CustomRouter();
    router.routes.set("/nested_handler", [app, namedHandler("nested_handler")]);
    const requestCallable = (request: HTTPServerRequest) => {
      request.connection!.writeHeaders(200, "OK", { "Content-Length": 2 });
      request.connection!.finish("OK");
    };
    const connectionDelegate = {
      handleRequest(request: HTTPServerRequest) {
        request.connection!.writeHeaders(200, "OK", { "Content-Length": 2 });
        request.connection!.finish("OK");
      },
    };
    app.addHandlers(".*", [
      [new HostMatches("www.example.com"), [[new PathMatches("/first_handler"), SecondHandler, {}, "second_handler"]]],
      new Rule(new PathMatches("/.*handler"), router),
      new Rule(new PathMatches("/first_handler"), FirstHandler, undefined, "first_handler"),
      new Rule(new PathMatches("/request_callable"), requestCallable),
      ["/connection_delegate", connectionDelegate],
    ]);
    assert.equal((await app.inject({ url: "/first_handler" })).text, "first_handler: /first_handler");
    assert.equal((await app.inject({ url: "/first_handler", headers: { host: "www.example.com" } })).text, "second_handler: /first_handler");
    assert.equal((await app.inject({ url: "/nested_handler" })).text, "nested_handler: /nested_handler");
    assert.equal((await app.inject({ url: "/nested_not_found_handler" })).code, 404);
    assert.equal((await app.inject({ url: "/connection_delegate" })).text, "OK");
    assert.equal((await app.inject({ url: "/request_callable" })).text, "OK");
    assert.equal((await app.inject({ url: "/404" })).code, 404);
  });

  test("a plain RuleRouter as server delegate answers 404 when nothing matches", async () => {
    const server = new HTTPServer(new RuleRouter([["/ok", (request: HTTPServerRequest) => request.connection!.finish()]]));
    await server.listen(0, "127.0.0.1");
    try {
      assert.equal((await fetch(`http://127.0.0.1:${server.port}/missing`)).status, 404);
    } finally {
      await server.stop({ timeout: 0 });
    }
  });

  test("ReversibleRuleRouter finds names in nested routers; duplicate names warn and replace", async () => {
    const { appLog, expectLog } = await import("typhoon");
    const router = new ReversibleRuleRouter([
      new Rule(new AnyMatches(), new ReversibleRuleRouter([url("/inner/(\\d+)", RequestHandler, undefined, "inner")])),
    ]);
    assert.equal(router.reverseUrl("inner", 5), "/inner/5");
    assert.equal(router.reverseUrl("missing"), null);
    await expectLog(appLog, "Multiple handlers named dup; replacing previous value", () => {
      router.addRules([url("/a", RequestHandler, undefined, "dup"), url("/b", RequestHandler, undefined, "dup")]);
    });
    assert.equal(router.reverseUrl("dup"), "/b");
  });

  test("a malformed rule is refused with the accepted shapes in the message", () => {
    assert.throws(() => new RuleRouter([["/only-pattern"] as never]), /\[pattern, target, initArgs\?, name\?\]/);
  });
});

describe("rule order and the first-segment index", () => {
  function handlerReplying(reply: string) {
    return class extends RequestHandler {
      get() {
        this.write(reply);
      }
    };
  }

  test("with many rules, the first matching rule in declaration order still wins", async () => {
    const rules: [string, HandlerClass][] = [];
    for (let i = 0; i < 300; i++) rules.push([`/r${i}/(\\d+)`, handlerReplying(`r${i}`)]);
    rules.splice(150, 0, ["/(r2\\d\\d)/7", handlerReplying("wildcard-150")]);
    rules.splice(10, 0, ["/r250/(\\d+)", handlerReplying("early-r250")]);
    rules.push(["/r(\\d+)/(\\w+)", handlerReplying("late-wildcard")]);
    rules.push(["/", handlerReplying("root")]);
    const app = new Application(rules);
    assert.equal((await app.inject({ url: "/r5/1" })).text, "r5");
    assert.equal((await app.inject({ url: "/r250/1" })).text, "early-r250");
    assert.equal((await app.inject({ url: "/r260/7" })).text, "wildcard-150");
    assert.equal((await app.inject({ url: "/r260/8" })).text, "r260");
    assert.equal((await app.inject({ url: "/r299/1" })).text, "r299");
    assert.equal((await app.inject({ url: "/r5/abc" })).text, "late-wildcard");
    assert.equal((await app.inject({ url: "/" })).text, "root");
    assert.equal((await app.inject({ url: "/nothing" })).code, 404);
  });

  test("patterns with optional or alternative first segments are never indexed under a wrong key", async () => {
    const app = new Application([
      ["/a", handlerReplying("a")],
      ["/b", handlerReplying("b")],
      ["/c", handlerReplying("c")],
      ["/d", handlerReplying("d")],
      ["/e", handlerReplying("e")],
      ["/f", handlerReplying("f")],
      ["/g", handlerReplying("g")],
      ["/users?/(\\d+)", handlerReplying("user")],
      ["/x|/y", handlerReplying("x-or-y")],
      ["/files\\.d/(.*)", handlerReplying("files.d")],
      [/\/CASE/i, handlerReplying("case-insensitive")],
      ["/h", handlerReplying("h")],
    ]);
    assert.equal((await app.inject({ url: "/user/1" })).text, "user");
    assert.equal((await app.inject({ url: "/users/1" })).text, "user");
    assert.equal((await app.inject({ url: "/y" })).text, "x-or-y");
    assert.equal((await app.inject({ url: "/files.d/z" })).text, "files.d");
    assert.equal((await app.inject({ url: "/case" })).text, "case-insensitive");
    assert.equal((await app.inject({ url: "/h" })).text, "h");
  });

  test("PathMatches exposes the index key and literal prefix it derives", () => {
    assert.equal(new PathMatches("/user/(\\d+)").indexKey, "user");
    assert.equal(new PathMatches("/user/(\\d+)").literalPrefix, "/user/");
    assert.equal(new PathMatches("/about").indexKey, "about");
    assert.equal(new PathMatches("/").indexKey, "");
    assert.equal(new PathMatches("/us(er)?/x").indexKey, null);
    assert.equal(new PathMatches("/users?/x").literalPrefix, "/user");
    assert.equal(new PathMatches("/users?/x").indexKey, null);
    assert.equal(new PathMatches("/a+/x").indexKey, null);
    assert.equal(new PathMatches("/(.*)").indexKey, null);
    assert.equal(new PathMatches("/a|/b").indexKey, null);
  });
});
