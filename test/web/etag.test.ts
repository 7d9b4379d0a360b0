// Tests of ETags and conditional requests. Mirrors tornado/test/web_test.py::CacheTest, Header304Test and Header204Test.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Application, RequestHandler } from "typhoon";
import { rawRequest, serve, statusOf } from "../helpers.js";

class EtagHandler extends RequestHandler {
  computed = "";
  get(computedEtag: string) {
    this.computed = computedEtag;
    this.write(computedEtag);
  }
  override computeEtag() {
    return this.computed;
  }
}

describe("CacheTest (web_test.py)", () => {
  const app = new Application([["/etag/(.*)", EtagHandler]]);
  const check = async (computed: string, etags: string, status: number) => {
    const response = await app.inject({ url: `/etag/${encodeURIComponent(computed)}`, headers: { "If-None-Match": etags } });
    assert.equal(response.code, status, `${computed} vs ${etags}`);
  };

  test("test_wildcard_etag", () => check('"xyzzy"', "*", 304));
  test("test_strong_etag_match", () => check('"xyzzy"', '"xyzzy"', 304));
  test("test_multiple_strong_etag_match", () => check('"xyzzy1"', '"xyzzy1", "xyzzy2"', 304));
  test("test_strong_etag_not_match", () => check('"xyzzy"', '"xyzzy1"', 200));
  test("test_multiple_strong_etag_not_match", () => check('"xyzzy"', '"xyzzy1", "xyzzy2"', 200));
  test("test_weak_etag_match", () => check('"xyzzy1"', 'W/"xyzzy1"', 304));
  test("test_multiple_weak_etag_match", () => check('"xyzzy2"', 'W/"xyzzy1", W/"xyzzy2"', 304));
  test("test_weak_etag_not_match", () => check('"xyzzy2"', 'W/"xyzzy1"', 200));
  test("test_multiple_weak_etag_not_match", () => check('"xyzzy3"', 'W/"xyzzy1", W/"xyzzy2"', 200));

  test("a weak computed ETag matches its strong form (weak comparison both ways)", () => check('W/"xyzzy"', '"xyzzy"', 304));
  test("malformed If-None-Match values never match", async () => {
    await check('"xyzzy"', "xyzzy", 200);
    await check('"xyzzy"', "", 200);
    await check('"xyzzy"', '"xyz', 200);
  });
});

describe("automatic 304 (RequestHandler.finish)", () => {
  class Hello extends RequestHandler {
    get() {
      this.setHeader("Content-Language", "en_US");
      this.write("hello");
    }
    head() {
      this.get();
    }
    post() {
      this.write("hello");
    }
  }
  class NoEtag extends RequestHandler {
    get() {
      this.write("hello");
    }
    override computeEtag() {
      return null;
    }
  }
  class OwnEtag extends RequestHandler {
    get() {
      this.setHeader("Etag", '"v2"');
      if (this.checkEtagHeader()) {
        this.setStatus(304);
        return;
      }
      this.write("version 2");
    }
  }
  class Created extends RequestHandler {
    get() {
      this.setStatus(201);
      this.write("hello");
    }
  }
  class NoContent extends RequestHandler {
    get() {
      this.setStatus(204);
    }
  }
  const app = new Application([
    ["/", Hello],
    ["/none", NoEtag],
    ["/own", OwnEtag],
    ["/created", Created],
    ["/204", NoContent],
  ]);

  test("Header304Test.test_304_headers: no Content-Length or Content-Language on the 304", async () => {
    const served = await serve(app);
    try {
      const first = await fetch(served.url("/"));
      assert.equal(first.headers.get("content-length"), "5");
      assert.equal(first.headers.get("content-language"), "en_US");
      const etag = first.headers.get("etag")!;
      const raw = await rawRequest(served.port, `GET / HTTP/1.1\r\nHost: x\r\nIf-None-Match: ${etag}\r\nConnection: close\r\n\r\n`);
      assert.equal(statusOf(raw), 304);
      assert.doesNotMatch(raw, /Content-Length|Content-Language|Transfer-Encoding|Content-Type/i);
      assert.match(raw, new RegExp(`Etag: ${etag.replace(/"/g, '\\"')}`));
    } finally {
      await served.close();
    }
  });

  test("Header204Test.test_204_headers: no Content-Length, no Transfer-Encoding", async () => {
    const served = await serve(app);
    try {
      const raw = await rawRequest(served.port, "GET /204 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assert.equal(statusOf(raw), 204);
      assert.doesNotMatch(raw, /Content-Length|Transfer-Encoding/i);
    } finally {
      await served.close();
    }
  });

  test("HEAD gets the same ETag and 304 as GET", async () => {
    const etag = (await app.inject({ url: "/" })).headers.get("Etag")!;
    const head = await app.inject({ method: "HEAD", url: "/" });
    assert.equal(head.headers.get("Etag"), etag);
    assert.equal((await app.inject({ method: "HEAD", url: "/", headers: { "If-None-Match": etag } })).code, 304);
  });

  test("no automatic ETag for POST, for statuses other than 200, or when computeEtag returns null", async () => {
    const post = await app.inject({ method: "POST", url: "/", headers: { "If-None-Match": "*" } });
    assert.equal(post.code, 200);
    assert.equal(post.headers.get("Etag"), undefined);
    assert.equal((await app.inject({ url: "/created", headers: { "If-None-Match": "*" } })).code, 201);
    const none = await app.inject({ url: "/none", headers: { "If-None-Match": "*" } });
    assert.equal(none.code, 200);
    assert.equal(none.headers.get("Etag"), undefined);
  });

  test("a handler that sets its own ETag checks it with checkEtagHeader()", async () => {
    assert.equal((await app.inject({ url: "/own" })).text, "version 2");
    const cached = await app.inject({ url: "/own", headers: { "If-None-Match": 'W/"v1", W/"v2"' } });
    assert.equal(cached.code, 304);
    assert.equal(cached.body.length, 0);
  });
});
