// Tests of streaming request bodies: streamRequestBody handlers, dataReceived with back-pressure,
// body limits and timeouts, decompressRequest. Mirrors tornado/test/web_test.py::StreamingRequestBodyTest,
// DecoratedStreamingRequestFlowControlTest / NativeStreamingRequestFlowControlTest, and
// tornado/test/httpserver_test.py::BodyLimitsTest, GzipTest, GzipUnsupportedTest.
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import { Application, expectLog, genLog, HTTPError, RequestHandler, streamRequestBody } from "typhoon";
import { rawRequest, serve, statusOf, type Served } from "../helpers.js";

/** A raw connection whose received bytes can be awaited piece by piece. */
class RawClient {
  readonly socket: Socket;
  #received = "";
  #waiters: (() => void)[] = [];
  closed: Promise<void>;

  constructor(port: number) {
    this.socket = connect(port, "127.0.0.1");
    this.socket.on("data", (chunk) => {
      this.#received += chunk.toString("latin1");
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.socket.on("error", () => undefined);
    this.closed = new Promise((resolve) => this.socket.on("close", () => resolve()));
  }

  get received(): string {
    return this.#received;
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Resolves once the received text matches `pattern` (or rejects when the connection closes first). */
  async waitFor(pattern: RegExp): Promise<string> {
    while (!pattern.test(this.#received)) {
      if (this.socket.destroyed) throw new Error(`connection closed before ${pattern}: ${JSON.stringify(this.#received)}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        this.socket.once("close", resolve);
      });
    }
    return this.#received;
  }

  async readUntilClose(): Promise<string> {
    await this.closed;
    return this.#received;
  }
}

class Deferred<T = void> {
  resolve!: (value: T) => void;
  readonly promise = new Promise<T>((resolve) => {
    this.resolve = resolve;
  });
}

describe("StreamingRequestBodyTest (web_test.py)", () => {
  let served: Served;
  let prepared = new Deferred();
  let data = new Deferred<Buffer>();
  let finished = new Deferred();
  let closed = new Deferred();

  @streamRequestBody
  class StreamingBodyHandler extends RequestHandler {
    override prepare() {
      prepared.resolve();
    }
    override dataReceived(chunk: Buffer) {
      data.resolve(chunk);
    }
    get() {
      finished.resolve();
      this.write({});
    }
  }
  @streamRequestBody
  class EarlyReturnHandler extends RequestHandler {
    override prepare() {
      // Finishing in prepare means dataReceived never runs.
      throw new HTTPError(401);
    }
    override dataReceived() {
      throw new Error("dataReceived after prepare finished the request");
    }
  }
  class CloseDetectionHandler extends RequestHandler {
    static streamRequestBody = true;
    override dataReceived() {
      data.resolve(Buffer.alloc(0));
    }
    override onConnectionClose() {
      closed.resolve();
    }
    put() {}
  }

  before(async () => {
    served = await serve(
      new Application([
        ["/stream_body", StreamingBodyHandler],
        ["/early_return", EarlyReturnHandler],
        ["/close_detection", CloseDetectionHandler],
      ]),
    );
  });
  after(() => served.close());

  function open(path: string, connectionClose: boolean, method = "GET"): RawClient {
    const client = new RawClient(served.port);
    client.write(`${method} ${path} HTTP/1.1\r\nHost: x\r\n${connectionClose ? "Connection: close\r\n" : ""}Transfer-Encoding: chunked\r\n\r\n`);
    return client;
  }

  test("test_streaming_body: prepare, then each chunk as it is sent, then the verb", async () => {
    prepared = new Deferred();
    data = new Deferred();
    finished = new Deferred();
    const client = open("/stream_body", true);
    await prepared.promise;
    client.write("4\r\nasdf\r\n");
    assert.equal((await data.promise).toString(), "asdf");
    data = new Deferred();
    client.write("4\r\nqwer\r\n");
    assert.equal((await data.promise).toString(), "qwer");
    client.write("0\r\n\r\n");
    await finished.promise;
    const raw = await client.readUntilClose();
    assert.ok(raw.endsWith("{}"), raw);
  });

  test("test_early_return: an error in prepare answers at once", async () => {
    const client = open("/early_return", false);
    assert.match(await client.waitFor(/401/), /^HTTP\/1\.1 401/);
    client.socket.destroy();
  });

  test("test_early_return_with_data", async () => {
    const client = open("/early_return", false);
    client.write("4\r\nasdf\r\n");
    assert.match(await client.waitFor(/401/), /^HTTP\/1\.1 401/);
    client.socket.destroy();
  });

  test("test_close_during_upload: onConnectionClose runs; nothing is logged", async () => {
    closed = new Deferred();
    data = new Deferred();
    const client = open("/close_detection", false, "PUT");
    client.write("4\r\nasdf\r\n");
    await data.promise;
    client.socket.destroy();
    await closed.promise;
  });
});

describe("StreamingRequestFlowControlTest (web_test.py): dataReceived promises are awaited in order", () => {
  let served: Served;

  class BaseFlowControlHandler extends RequestHandler {
    static streamRequestBody = true;
    methods: string[] = [];
    method: string | undefined;
    received = Buffer.alloc(0);

    async inMethod(name: string, body: () => Promise<void>) {
      if (this.method !== undefined) throw new Error(`entered method ${name} while in ${this.method}`);
      this.method = name;
      this.methods.push(name);
      try {
        await body();
      } finally {
        this.method = undefined;
      }
    }

    override async prepare() {
      this.methods.push("prepare");
      await Promise.resolve();
    }

    async post() {
      await this.inMethod("post", () => new Promise((resolve) => setImmediate(resolve)));
      this.write({ methods: this.methods, body: this.received.toString() });
    }
  }
  class NativeFlowControlHandler extends BaseFlowControlHandler {
    override async dataReceived(chunk: Buffer) {
      await this.inMethod("dataReceived", () => new Promise((resolve) => setImmediate(resolve)));
      this.received = Buffer.concat([this.received, chunk]);
    }
  }
  @streamRequestBody
  class DecoratedFlowControlHandler extends BaseFlowControlHandler {
    override dataReceived(chunk: Buffer) {
      this.received = Buffer.concat([this.received, chunk]);
      return this.inMethod("dataReceived", () => Promise.resolve());
    }
  }

  before(async () => {
    served = await serve(
      new Application([
        ["/native", NativeFlowControlHandler],
        ["/decorated", DecoratedFlowControlHandler],
      ]),
      { decompressRequest: true },
    );
  });
  after(() => served.close());

  function checkOrder(result: { methods: string[]; body: string }, chunks: number) {
    assert.equal(result.methods[0], "prepare");
    assert.equal(result.methods.at(-1), "post");
    const middle = result.methods.slice(1, -1);
    assert.ok(middle.length >= chunks, JSON.stringify(result.methods));
    assert.ok(middle.every((name) => name === "dataReceived"), JSON.stringify(result.methods));
    assert.equal(result.body, "abcdefghijklmnopqrstuvwxyz");
  }

  for (const path of ["/native", "/decorated"]) {
    test(`test_flow_control_fixed_body ${path}`, async () => {
      const response = await fetch(served.url(path), { method: "POST", body: "abcdefghijklmnopqrstuvwxyz" });
      checkOrder((await response.json()) as { methods: string[]; body: string }, 1);
    });

    test(`test_flow_control_chunked_body ${path}: each chunk delivered before the next is sent`, async () => {
      const client = new RawClient(served.port);
      client.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n`);
      for (const chunk of ["abcdefgh", "ijklmnop", "qrstuvwxyz"]) {
        client.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      client.write("0\r\n\r\n");
      const raw = await client.readUntilClose();
      checkOrder(JSON.parse(raw.slice(raw.indexOf("\r\n\r\n") + 4)) as { methods: string[]; body: string }, 3);
    });

    test(`test_flow_control_compressed_body ${path}: decoded before dataReceived`, async () => {
      const response = await fetch(served.url(path), {
        method: "POST",
        body: gzipSync("abcdefghijklmnopqrstuvwxyz"),
        headers: { "Content-Encoding": "gzip" },
      });
      checkOrder((await response.json()) as { methods: string[]; body: string }, 1);
    });
  }
});

describe("back-pressure: the socket is not read while dataReceived's promise is pending", () => {
  test("a 64 MB upload against a stalled dataReceived is read only a little; all of it once released", async () => {
    const gate = new Deferred();
    const firstChunk = new Deferred<Socket>();
    let received = 0;
    class StalledHandler extends RequestHandler {
      static streamRequestBody = true;
      override async prepare() {
        this.request.connection!.setMaxBodySize(128 * 1024 * 1024);
      }
      override async dataReceived(chunk: Buffer) {
        received += chunk.length;
        firstChunk.resolve(this.request.connection!.req.socket);
        await gate.promise;
      }
      put() {
        this.write(String(received));
      }
    }
    const served = await serve(new Application([["/", StalledHandler]]));
    try {
      const total = 64 * 1024 * 1024;
      const client = new RawClient(served.port);
      client.write(`PUT / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: ${total}\r\n\r\n`);
      const block = Buffer.alloc(1024 * 1024, 97);
      for (let i = 0; i < 64; i++) client.write(block);
      const serverSocket = await firstChunk.promise;
      // Give the server every chance to read more than it should; the bound below holds however
      // long this takes (a slow machine only reads less).
      await new Promise((resolve) => setTimeout(resolve, 300));
      const socketBytes = serverSocket.bytesRead;
      assert.ok(received <= 1024 * 1024, `dataReceived got ${received} bytes while stalled`);
      assert.ok(socketBytes < 8 * 1024 * 1024, `the server read ${socketBytes} bytes from the socket while stalled`);
      gate.resolve();
      const raw = await client.readUntilClose();
      assert.equal(statusOf(raw), 200);
      assert.ok(raw.endsWith(String(total)), raw.slice(-200));
    } finally {
      await served.close();
    }
  });
});

describe("BodyLimitsTest (httpserver_test.py)", () => {
  let served: Served;

  class BufferedHandler extends RequestHandler {
    put() {
      this.write(String(this.request.body.length));
    }
  }
  @streamRequestBody
  class StreamingHandler extends RequestHandler {
    bytesRead = 0;
    override prepare() {
      const connection = this.request.connection!;
      const expected = this.getArgument("expected_size", "");
      if (expected) connection.setMaxBodySize(Number(expected));
      const timeout = this.getArgument("body_timeout", "");
      if (timeout) connection.setBodyTimeout(Number(timeout));
    }
    override dataReceived(chunk: Buffer) {
      this.bytesRead += chunk.length;
    }
    put() {
      this.write(String(this.bytesRead));
    }
  }

  before(async () => {
    served = await serve(
      new Application([
        ["/buffered", BufferedHandler],
        ["/streaming", StreamingHandler],
      ]),
      { bodyTimeout: 3600, maxBodySize: 4096 },
    );
  });
  after(() => served.close());

  const put = (path: string, body: string | Buffer) => rawRequest(served.port, Buffer.concat([
    Buffer.from(`PUT ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n`),
    Buffer.from(body),
  ]));
  const putChunked = (path: string, body: string) =>
    rawRequest(served.port, `PUT ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`);
  const bodyOf = (raw: string) => raw.slice(raw.indexOf("\r\n\r\n") + 4);

  test("test_small_body", async () => {
    assert.equal(bodyOf(await put("/buffered", "a".repeat(4096))), "4096");
    assert.equal(bodyOf(await put("/streaming", "a".repeat(4096))), "4096");
  });

  test("test_large_body_buffered: 413 (Tornado: 400), logged once", async () => {
    const raw = await expectLog(genLog, "413 PUT /buffered", () => put("/buffered", "a".repeat(10240)));
    assert.equal(statusOf(raw), 413);
  });

  test("test_large_body_buffered_chunked", async () => {
    const raw = await expectLog(genLog, "413 PUT /buffered", () => putChunked("/buffered", "a".repeat(10240)));
    assert.equal(statusOf(raw), 413);
  });

  test("test_large_body_streaming", async () => {
    const raw = await expectLog(genLog, "413 PUT /streaming", () => put("/streaming", "a".repeat(10240)));
    assert.equal(statusOf(raw), 413);
  });

  test("test_large_body_streaming_chunked", async () => {
    const raw = await expectLog(genLog, "413 PUT /streaming", () => putChunked("/streaming", "a".repeat(10240)));
    assert.equal(statusOf(raw), 413);
  });

  test("test_large_body_streaming_override: setMaxBodySize in prepare", async () => {
    assert.equal(bodyOf(await put("/streaming?expected_size=10240", "a".repeat(10240))), "10240");
  });

  test("test_large_body_streaming_chunked_override", async () => {
    assert.equal(bodyOf(await putChunked("/streaming?expected_size=10240", "a".repeat(10240))), "10240");
  });

  test("test_timeout: a body slower than the per-request body timeout is a 408 and a closed connection", async () => {
    const raw = await expectLog(genLog, "408 PUT /streaming", () =>
      rawRequest(served.port, "PUT /streaming?body_timeout=0.1 HTTP/1.0\r\nContent-Length: 42\r\n\r\n", 5000),
    );
    assert.equal(statusOf(raw), 408);
  });

  test("test_body_size_override_reset: the override is per request, also on one connection", async () => {
    const client = new RawClient(served.port);
    client.write(`PUT /streaming?expected_size=10240 HTTP/1.1\r\nHost: x\r\nContent-Length: 10240\r\n\r\n${"a".repeat(10240)}`);
    await client.waitFor(/\r\n\r\n10240$/);
    await expectLog(genLog, "413 PUT /streaming", async () => {
      client.write(`PUT /streaming HTTP/1.1\r\nHost: x\r\nContent-Length: 10240\r\n\r\n`);
      const raw = await client.readUntilClose();
      assert.match(raw.slice(raw.indexOf("10240") + 5), /^HTTP\/1\.1 413 /);
    });
  });

  test("a body larger than the limit sent slowly: 413 as soon as it passes the limit; the server keeps serving", async () => {
    const client = new RawClient(served.port);
    client.write("PUT /buffered HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
    await expectLog(genLog, "413 PUT /buffered", async () => {
      for (let i = 0; i < 20 && !/413/.test(client.received) && !client.socket.destroyed; i++) {
        client.write(`400\r\n${"a".repeat(1024)}\r\n`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.equal(statusOf(await client.readUntilClose()), 413);
    });
    assert.equal(bodyOf(await put("/buffered", "ok")), "2");
  });
});

describe("decompressRequest (httpserver_test.py GzipTest, GzipUnsupportedTest)", () => {
  class EchoHandler extends RequestHandler {
    post() {
      const args: Record<string, string[]> = {};
      for (const name in this.request.arguments) args[name] = this.getArguments(name);
      this.write({ args, encoding: this.request.headers.get("Content-Encoding") ?? null, consumed: this.request.headers.get("X-Consumed-Content-Encoding") ?? null });
    }
  }
  const app = new Application([["/", EchoHandler]]);
  const form = { "Content-Type": "application/x-www-form-urlencoded" };

  test("test_uncompressed", async () => {
    const served = await serve(app, { decompressRequest: true });
    try {
      const response = await fetch(served.url("/"), { method: "POST", body: "foo=bar", headers: form });
      assert.deepEqual(((await response.json()) as { args: unknown }).args, { foo: ["bar"] });
    } finally {
      await served.close();
    }
  });

  test("test_gzip and test_gzip_case_insensitive; deflate and br too; the header is renamed as Tornado", async () => {
    const served = await serve(app, { decompressRequest: true });
    try {
      for (const [encoding, body] of [
        ["gzip", gzipSync("foo=bar")],
        ["GZIP", gzipSync("foo=bar")],
        ["x-gzip", gzipSync("foo=bar")],
        ["deflate", deflateSync("foo=bar")],
        ["br", brotliCompressSync("foo=bar")],
      ] as const) {
        const response = await fetch(served.url("/"), { method: "POST", body, headers: { ...form, "Content-Encoding": encoding } });
        assert.deepEqual(await response.json(), { args: { foo: ["bar"] }, encoding: null, consumed: encoding }, encoding);
      }
    } finally {
      await served.close();
    }
  });

  test("test_gzip_unsupported: without decompressRequest a gzip form body is a 400", async () => {
    const served = await serve(app);
    try {
      const response = await expectLog(genLog, ".*Unsupported Content-Encoding", () =>
        fetch(served.url("/"), { method: "POST", body: gzipSync("foo=bar"), headers: { ...form, "Content-Encoding": "gzip" } }),
      );
      assert.equal(response.status, 400);
    } finally {
      await served.close();
    }
  });

  test("a gzip bomb: the limit applies to the decoded size; 413, one log line; the server keeps serving", async () => {
    const served = await serve(app, { decompressRequest: true, maxBodySize: 1024 * 1024 });
    try {
      const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
      assert.ok(bomb.length < 100 * 1024, `bomb of ${bomb.length} bytes`);
      const raw = await expectLog(genLog, "413 POST / .*once decompressed", () =>
        rawRequest(
          served.port,
          Buffer.concat([
            Buffer.from(`POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Encoding: gzip\r\nContent-Length: ${bomb.length}\r\n\r\n`),
            bomb,
          ]),
        ),
      );
      assert.equal(statusOf(raw), 413);
      const response = await fetch(served.url("/"), { method: "POST", body: "a=1", headers: form });
      assert.equal(response.status, 200);
    } finally {
      await served.close();
    }
  });

  test("corrupt gzip data is a 400", async () => {
    const served = await serve(app, { decompressRequest: true });
    try {
      const response = await expectLog(genLog, "400 POST / .*Request body could not be decompressed", () =>
        fetch(served.url("/"), { method: "POST", body: "not gzip at all", headers: { ...form, "Content-Encoding": "gzip" } }),
      );
      assert.equal(response.status, 400);
    } finally {
      await served.close();
    }
  });
});

describe("app.inject drives streaming handlers too", () => {
  test("dataReceived and multipartParts without a socket", async () => {
    @streamRequestBody
    class Counter extends RequestHandler {
      received: string[] = [];
      override dataReceived(chunk: Buffer) {
        this.received.push(chunk.toString());
      }
      put() {
        this.write({ body: this.received.join("") });
      }
    }
    class Parts extends RequestHandler {
      static streamRequestBody = true;
      async post() {
        const names: string[] = [];
        for await (const part of this.multipartParts()) names.push(`${part.name}=${await part.text()}`);
        this.write({ names });
      }
    }
    const app = new Application([
      ["/count", Counter],
      ["/parts", Parts],
    ]);
    assert.deepEqual((await app.inject({ method: "PUT", url: "/count", body: "hello streaming" })).json(), { body: "hello streaming" });
    const body = '--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--b\r\nContent-Disposition: form-data; name="f"; filename="x"\r\n\r\n2\r\n--b--\r\n';
    const response = await app.inject({ method: "POST", url: "/parts", body, headers: { "Content-Type": "multipart/form-data; boundary=b" } });
    assert.deepEqual(response.json(), { names: ["a=1", "f=2"] });
  });
});
