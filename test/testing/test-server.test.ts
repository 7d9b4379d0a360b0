// Tests of the testing helpers. Mirrors tornado/test/testing_test.py (AsyncHTTPTestCase, ExpectLog).
import assert from "node:assert/strict";
import { test } from "node:test";
import { Application, createTestServer, HTTPError, RequestHandler } from "typhoon";

class Handler extends RequestHandler {
  get() {
    if (this.getArgument("fail", "")) throw new HTTPError(418, undefined, { reason: "Teapot" });
    this.write({ path: this.request.path, header: this.request.headers.get("X-Test") ?? null });
  }
}

test("createTestServer: fetch by path, error statuses returned rather than thrown, close stops it", async () => {
  const server = await createTestServer(new Application([["/.*", Handler]]));
  const { port } = server;
  try {
    const ok = await server.fetch("/hello", { headers: { "X-Test": "1" } });
    assert.equal(ok.code, 200);
    assert.deepEqual(ok.json(), { path: "/hello", header: "1" });
    const teapot = await server.fetch("/x?fail=1");
    assert.equal(teapot.code, 418);
    assert.equal(teapot.reason, "Teapot");
    assert.equal(server.url("/a"), `http://127.0.0.1:${port}/a`);
  } finally {
    await server.close();
  }
  await assert.rejects(fetch(`http://127.0.0.1:${port}/`));
});
