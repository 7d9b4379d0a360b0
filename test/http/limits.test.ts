// Tests of the server's limits and timeouts (maxBodySize, maxBufferSize, header and idle timeouts):
// the right answer, the connection closed, the server healthy afterwards.
// Mirrors tornado/test/httpserver_test.py::BodyLimitsTest and IdleTimeoutTest.
import assert from "node:assert/strict";
import { connect } from "node:net";
import { describe, test } from "node:test";
import { Application, expectLog, genLog, RequestHandler } from "typhoon";
import { rawRequest, serve, statusOf } from "../helpers.js";

class BufferedHandler extends RequestHandler {
  get() {
    this.write("ok");
  }
  put() {
    this.write(String(this.request.body.length));
  }
}
class StreamingHandler extends RequestHandler {
  static streamRequestBody = true;
  received = 0;
  override dataReceived(chunk: Buffer) {
    this.received += chunk.length;
  }
  put() {
    this.write(String(this.received));
  }
}
const app = new Application([
  ["/", BufferedHandler],
  ["/buffered", BufferedHandler],
  ["/streaming", StreamingHandler],
]);

const bodyOf = (raw: string) => raw.slice(raw.indexOf("\r\n\r\n") + 4);
const put = (port: number, path: string, size: number) =>
  rawRequest(port, `PUT ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: ${size}\r\n\r\n${"a".repeat(size)}`);

async function assertStillServing(port: number): Promise<void> {
  const raw = await rawRequest(port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  assert.equal(statusOf(raw), 200);
}

describe("maxBodySize and maxBufferSize", () => {
  test("buffered handlers are held to maxBufferSize, streaming ones to maxBodySize", async () => {
    const served = await serve(app, { maxBufferSize: 1000, maxBodySize: 5000 });
    try {
      assert.equal(bodyOf(await put(served.port, "/buffered", 1000)), "1000");
      const raw = await expectLog(genLog, "413 PUT /buffered .*maxBufferSize \\(1000 bytes\\)", () => put(served.port, "/buffered", 1001));
      assert.equal(statusOf(raw), 413);
      assert.equal(bodyOf(await put(served.port, "/streaming", 5000)), "5000");
      const streamed = await expectLog(genLog, "413 PUT /streaming .*maxBodySize \\(5000 bytes\\)", () => put(served.port, "/streaming", 5001));
      assert.equal(statusOf(streamed), 413);
      await assertStillServing(served.port);
    } finally {
      await served.close();
    }
  });

  test("the default limit is 100 MB: a larger declared body is refused before it is sent", async () => {
    const served = await serve(app);
    try {
      const raw = await expectLog(genLog, "413 PUT /buffered", () =>
        rawRequest(served.port, `PUT /buffered HTTP/1.1\r\nHost: x\r\nContent-Length: ${100 * 1024 * 1024 + 1}\r\n\r\n`),
      );
      assert.equal(statusOf(raw), 413);
      assert.match(raw, /Connection: close/);
      await assertStillServing(served.port);
    } finally {
      await served.close();
    }
  });
});

describe("header and idle timeouts", () => {
  test("headers trickling in slower than headerTimeout (slowloris): 408 and the connection closes", async () => {
    const served = await serve(app, { headerTimeout: 0.5 });
    try {
      const socket = connect(served.port, "127.0.0.1");
      let received = "";
      socket.on("data", (chunk) => (received += chunk.toString("latin1")));
      const closed = new Promise((resolve) => socket.on("close", resolve));
      socket.write("GET / HTTP/1.1\r\nHost: x\r\n");
      const trickle = setInterval(() => {
        if (!socket.destroyed) socket.write("X-Slow: 1\r\n");
      }, 100);
      await expectLog(genLog, "Malformed HTTP message", () => closed, { required: false });
      clearInterval(trickle);
      assert.equal(statusOf(received), 408, received);
      await assertStillServing(served.port);
    } finally {
      await served.close();
    }
  });

  test("IdleTimeoutTest.test_unused_connection: a connection that never sends a request is closed", async () => {
    const served = await serve(app, { headerTimeout: 0.5, idleConnectionTimeout: 0.5 });
    try {
      const socket = connect(served.port, "127.0.0.1");
      socket.on("data", () => undefined);
      await expectLog(genLog, "Malformed HTTP message", () => new Promise((resolve) => socket.on("close", resolve)), { required: false });
      await assertStillServing(served.port);
    } finally {
      await served.close();
    }
  });
});
