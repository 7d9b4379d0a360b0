// WebSocketHandler over real sockets, mirroring tornado/test/websocket_test.py (WebSocketTest and
// the ping, max-message-size and compression cases); client-side cases are in client.test.ts and
// malformed frames in protocol.test.ts.
import { strict as assert } from "node:assert";
import type { Socket } from "node:net";
import { after, before, beforeEach, describe, test } from "node:test";
import {
  accessLog,
  appLog,
  Application,
  Event,
  expectLog,
  gen,
  HTTPClientError,
  HTTPError,
  HTTPRequest,
  RequestHandler,
  DictLoader,
  WebSocketClosedError,
  type WebSocketCompressionOptions,
  websocketConnect,
  WebSocketError,
  WebSocketHandler,
} from "typhoon";
import { rawRequest, type Served, serve, statusOf } from "../helpers.js";
import { frame, rawWebSocket } from "./raw-websocket.js";

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}

type CloseFuture = Deferred<[number | null, string | null]>;

interface TestArgs {
  closeFuture?: () => CloseFuture | undefined;
  compressionOptions?: WebSocketCompressionOptions | null;
}

/** Exposes onClose to the tests, with the close code and reason the server saw. Tornado: TestWebSocketHandler. */
class TestWebSocketHandler extends WebSocketHandler {
  closeFuture: CloseFuture | undefined;
  compressionOptions: WebSocketCompressionOptions | null = null;

  override initialize(args: TestArgs = {}): void {
    this.closeFuture = args.closeFuture?.();
    this.compressionOptions = args.compressionOptions ?? null;
  }

  override getCompressionOptions(): WebSocketCompressionOptions | null {
    return this.compressionOptions;
  }

  override onClose(): void {
    this.closeFuture?.resolve([this.closeCode, this.closeReason]);
  }
}

class EchoHandler extends TestWebSocketHandler {
  override async onMessage(message: string | Buffer): Promise<void> {
    try {
      await this.writeMessage(message, typeof message !== "string");
    } catch (error) {
      if (!(error instanceof WebSocketClosedError)) throw error;
    }
  }
}

class ErrorInOnMessageHandler extends TestWebSocketHandler {
  override onMessage(): void {
    throw new Error("boom in onMessage");
  }
}

class HeaderHandler extends TestWebSocketHandler {
  override open(): void {
    const methods: [string, () => unknown][] = [
      ["write", () => this.write("This should not work")],
      ["redirect", () => this.redirect("http://localhost/elsewhere")],
      ["setHeader", () => this.setHeader("X-Test", "")],
      ["addHeader", () => this.addHeader("X-Test", "")],
      ["setStatus", () => this.setStatus(503)],
      ["flush", () => this.flush()],
      ["finish", () => this.finish()],
    ];
    for (const [name, method] of methods) {
      assert.throws(method, { code: "TYPHOON_ERR_WEBSOCKET_HTTP_METHOD" }, `${name} should throw on an open WebSocket`);
    }
    void this.writeMessage(this.request.headers.get("X-Test") ?? "");
  }
}

class HeaderEchoHandler extends TestWebSocketHandler {
  override setDefaultHeaders(): void {
    this.setHeader("X-Extra-Response-Header", "Extra-Response-Value");
  }

  override prepare(): void {
    for (const [name, value] of this.request.headers) {
      if (name.toLowerCase().startsWith("x-test")) this.setHeader(name, value);
    }
  }
}

class NonWebSocketHandler extends RequestHandler {
  get(): void {
    this.write("ok");
  }
}

class RedirectToEchoHandler extends RequestHandler {
  get(): void {
    this.redirect("/echo");
  }
}

class CloseReasonHandler extends TestWebSocketHandler {
  override open(): void {
    this.close(1001, "goodbye");
  }
}

class AsyncPrepareHandler extends TestWebSocketHandler {
  override async prepare(): Promise<void> {
    await gen.sleep(0);
  }

  override onMessage(message: string | Buffer): void {
    void this.writeMessage(message);
  }
}

class PathArgsHandler extends TestWebSocketHandler {
  override open(arg: unknown): void {
    void this.writeMessage(String(arg));
  }
}

class CoroutineOnMessageHandler extends TestWebSocketHandler {
  sleeping = 0;

  override async onMessage(message: string | Buffer): Promise<void> {
    if (this.sleeping > 0) void this.writeMessage("another coroutine is already sleeping");
    this.sleeping++;
    await gen.sleep(0.01);
    this.sleeping--;
    void this.writeMessage(message);
  }
}

class RenderMessageHandler extends TestWebSocketHandler {
  override onMessage(message: string | Buffer): void {
    void this.writeMessage(this.renderString("message.html", { message }));
  }
}

class SubprotocolHandler extends TestWebSocketHandler {
  selectSubprotocolCalled = false;

  override selectSubprotocol(subprotocols: readonly string[]): string | null {
    if (this.selectSubprotocolCalled) throw new Error("selectSubprotocol called twice");
    this.selectSubprotocolCalled = true;
    return subprotocols.includes("goodproto") ? "goodproto" : null;
  }

  override open(): void {
    if (!this.selectSubprotocolCalled) throw new Error("selectSubprotocol not called");
    void this.writeMessage(`subprotocol=${this.selectedSubprotocol}`);
  }
}

let messageSent: Event;

class OpenCoroutineHandler extends TestWebSocketHandler {
  openFinished = false;

  override async open(): Promise<void> {
    await messageSent.wait();
    await gen.sleep(0.01);
    this.openFinished = true;
  }

  override onMessage(): void {
    if (!this.openFinished) throw new Error("onMessage called before open finished");
    void this.writeMessage("ok");
  }
}

class ErrorInOpenHandler extends TestWebSocketHandler {
  override open(): void {
    throw new Error("boom");
  }
}

class ErrorInAsyncOpenHandler extends TestWebSocketHandler {
  override async open(): Promise<void> {
    await gen.sleep(0);
    throw new Error("boom");
  }
}

class NoDelayHandler extends TestWebSocketHandler {
  override open(): void {
    this.setNodelay(true);
    void this.writeMessage("hello");
  }
}

// tornado/test/websocket_test.py::WebSocketTest
describe("WebSocketTest", () => {
  let served: Served;
  let closeFuture: CloseFuture;
  const args: TestArgs = { closeFuture: () => closeFuture };
  const ws = (path: string): string => `ws://127.0.0.1:${served.port}${path}`;

  before(async () => {
    const app = new Application([
      ["/echo", EchoHandler, args],
      ["/non_ws", NonWebSocketHandler],
      ["/redirect", RedirectToEchoHandler],
      ["/header", HeaderHandler, args],
      ["/header_echo", HeaderEchoHandler, args],
      ["/close_reason", CloseReasonHandler, args],
      ["/error_in_on_message", ErrorInOnMessageHandler, args],
      ["/async_prepare", AsyncPrepareHandler, args],
      ["/path_args/(.*)", PathArgsHandler, args],
      ["/coroutine", CoroutineOnMessageHandler, args],
      ["/render", RenderMessageHandler, args],
      ["/subprotocol", SubprotocolHandler, args],
      ["/open_coroutine", OpenCoroutineHandler, args],
      ["/error_in_open", ErrorInOpenHandler],
      ["/error_in_async_open", ErrorInAsyncOpenHandler],
      ["/nodelay", NoDelayHandler],
    ], { templateLoader: new DictLoader({ "message.html": "<b>{{ message }}</b>" }) });
    served = await serve(app);
  });
  after(() => served.close());
  beforeEach(() => {
    closeFuture = deferred();
  });

  // tornado/test/websocket_test.py::WebSocketTest::test_http_request
  test("a plain HTTP GET to a WebSocket route gets 400", async () => {
    const raw = await rawRequest(served.port, "GET /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert.equal(statusOf(raw), 400);
    assert.match(raw, /Can "Upgrade" only to "WebSocket"\./);
  });

  test("an Upgrade header without Connection: Upgrade gets 400", async () => {
    const raw = await rawRequest(served.port, "GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: close\r\n\r\n");
    assert.equal(statusOf(raw), 400);
    assert.match(raw, /"Connection" must be "Upgrade"\./);
  });

  // tornado/test/websocket_test.py::WebSocketTest::test_missing_websocket_key
  test("a handshake without Sec-WebSocket-Key gets 400", async () => {
    const raw = await rawWebSocket(served.port, "/echo", { "Sec-WebSocket-Key": null });
    assert.equal(raw.status, 400);
    await raw.closed;
    assert.match(raw.body, /Missing\/Invalid WebSocket headers/);
  });

  test("a malformed Sec-WebSocket-Key gets 400", async () => {
    const raw = await rawWebSocket(served.port, "/echo", { "Sec-WebSocket-Key": "not-a-key" });
    assert.equal(raw.status, 400);
    await raw.closed;
  });

  // tornado/test/websocket_test.py::WebSocketTest::test_bad_websocket_version
  test("an unsupported protocol version gets 426 with the supported versions", async () => {
    const raw = await rawWebSocket(served.port, "/echo", { "Sec-WebSocket-Version": "12" });
    assert.equal(raw.status, 426);
    assert.equal(raw.header("Sec-WebSocket-Version"), "13, 8");
    await raw.closed;
  });

  // tornado/test/websocket_test.py::WebSocketTest::test_websocket_gen
  test("echo", async () => {
    const conn = await websocketConnect(ws("/echo"));
    await conn.writeMessage("hello");
    assert.equal(await conn.readMessage(), "hello");
    conn.close();
  });

  // tornado/test/websocket_test.py::WebSocketTest::test_websocket_callbacks (callbacks are Python-specific; onMessageCallback is their counterpart)
  test("messages through onMessageCallback, then null at close", async () => {
    const received: (string | Buffer | null)[] = [];
    const done = deferred<void>();
    const conn = await websocketConnect(ws("/echo"), {
      onMessageCallback: (message) => {
        received.push(message);
        if (message === "hello") conn.close();
        if (message === null) done.resolve();
      },
    });
    await conn.writeMessage("hello");
    await done.promise;
    assert.deepEqual(received, ["hello", null]);
    await closeFuture.promise;
    await assert.rejects(conn.readMessage(), { code: "TYPHOON_ERR_INVALID_STATE" });
  });

  // tornado/test/websocket_test.py::WebSocketTest::test_binary_message
  test("binary message", async () => {
    const conn = await websocketConnect(ws("/echo"));
    await conn.writeMessage(Buffer.from("hello \xe9", "latin1"), true);
    assert.deepEqual(await conn.readMessage(), Buffer.from("hello \xe9", "latin1"));
    conn.close();
  });

  // tornado/test/websocket_test.py::WebSocketTest::test_unicode_message
  test("unicode message", async () => {
    const conn = await websocketConnect(ws("/echo"));
    await conn.writeMessage("hello \u00e9");
    assert.equal(await conn.readMessage(), "hello \u00e9");
    conn.close();
  });

  test("a plain object is sent as JSON text", async () => {
    const conn = await websocketConnect(ws("/echo"));
    await conn.writeMessage({ a: [1, "</script>"] });
    assert.equal(await conn.readMessage(), '{"a":[1,"<\\/script>"]}');
    conn.close();
  });

  // tornado/test/websocket_test.py::WebSocketTest::test_error_in_closed_client_write_message
  test("a client write after close rejects with WebSocketClosedError", async () => {
    const conn = await websocketConnect(ws("/echo"));
    conn.close();
    await assert.rejects(conn.writeMessage("hello \u00e9"), WebSocketClosedError);
    assert.throws(() => conn.ping(), WebSocketClosedError);
  });

  // tornado/test/websocket_test.py::WebSocketTest::test_render_message
  test("render message", async () => {
    const conn = await websocketConnect(ws("/render"));
    await conn.writeMessage("hello");
    assert.equal(await conn.readMessage(), "<b>hello</b>");
    conn.close();
  });

  // tornado/test/websocket_test.py::WebSocketTest::test_error_in_on_message
  test("an exception in onMessage is logged and closes the connection with 1011", async () => {
    const conn = await websocketConnect(ws("/error_in_on_message"));
    await expectLog(appLog, "Uncaught exception GET /error_in_on_message", async () => {
      await conn.writeMessage("hello");
      assert.equal(await conn.readMessage(), null);
    });
    assert.equal(conn.closeCode, 1011);
    assert.deepEqual(await closeFuture.promise, [1011, null]);
    // The server keeps serving.
    const other = await websocketConnect(ws("/echo"));
    await other.writeMessage("still here");
    assert.equal(await other.readMessage(), "still here");
    other.close();
  });

  // tornado/test/websocket_test.py::WebSocketTest::test_websocket_http_fail
  test("connecting to a missing route rejects with HTTPClientError 404", async () => {
    await assert.rejects(websocketConnect(ws("/notfound")), (error: unknown) => {
      assert.ok(error instanceof HTTPClientError, `expected a HTTPClientError, got ${String(error)}`);
      assert.equal(error.status, 404);
      assert.equal(error.response?.code, 404);
      return true;
    });
  });

  // tornado/test/websocket_test.py::WebSocketTest::test_websocket_http_success
  test("connecting to a non-WebSocket route that answers 200 rejects with WebSocketError", async () => {
    await assert.rejects(websocketConnect(ws("/non_ws")), (error: unknown) => {
      assert.ok(error instanceof WebSocketError, `expected a WebSocketError, got ${String(error)}`);
      assert.equal(error.code, "TYPHOON_ERR_WEBSOCKET_NOT_UPGRADED");
      return true;
    });
  });

  // tornado/test/websocket_test.py::WebSocketTest::test_websocket_http_redirect
  test("a redirect is not followed: HTTPClientError 302", async () => {
    await assert.rejects(websocketConnect(ws("/redirect")), (error: unknown) => {
      assert.ok(error instanceof HTTPClientError, `expected a HTTPClientError, got ${String(error)}`);
      assert.equal(error.status, 302);
      return true;
    });
  });

  // tornado/test/websocket_test.py::WebSocketTest::test_websocket_close_buffered_data
  test("a client that closes its socket with messages in flight does not disturb the server", async () => {
    const raw = await rawWebSocket(served.port, "/echo");
    assert.equal(raw.status, 101);
    raw.send(Buffer.concat([frame(0x1, "hello"), frame(0x1, "world")]));
    raw.socket.destroy();
    assert.deepEqual(await closeFuture.promise, [null, null]);
    const conn = await websocketConnect(ws("/echo"));
    await conn.writeMessage("after");
    assert.equal(await conn.readMessage(), "after");
    conn.close();
  });

  // tornado/test/websocket_test.py::WebSocketTest::test_websocket_headers
  test("handshake headers from an HTTPRequest reach the handler; HTTP methods throw once open", async () => {
    const conn = await websocketConnect(new HTTPRequest(ws("/header"), { headers: { "X-Test": "hello" } }));
    assert.equal(await conn.readMessage(), "hello");
    conn.close();
  });

  // tornado/test/websocket_test.py::WebSocketTest::test_websocket_header_echo
  test("headers set in setDefaultHeaders and prepare are sent with the 101", async () => {
    const conn = await websocketConnect(new HTTPRequest(ws("/header_echo"), { headers: { "X-Test-Hello": "hello" } }));
    assert.equal(conn.headers.get("X-Test-Hello"), "hello");
    assert.equal(conn.headers.get("X-Extra-Response-Header"), "Extra-Response-Value");
    assert.match(conn.headers.get("Server") ?? "", /^TyphoonServer\//);
    assert.equal(conn.headers.get("Content-Type"), undefined);
    conn.close();
  });

  // tornado/test/websocket_test.py::WebSocketTest::test_server_close_reason
  test("a close code and reason from the server reach the client, which echoes the code", async () => {
    const conn = await websocketConnect(ws("/close_reason"));
    assert.equal(await conn.readMessage(), null);
    assert.equal(conn.closeCode, 1001);
    assert.equal(conn.closeReason, "goodbye");
    const [code] = await closeFuture.promise;
    assert.equal(code, 1001);
  });

  // tornado/test/websocket_test.py::WebSocketTest::test_client_close_reason
  test("a close code and reason from the client reach the server", async () => {
    const conn = await websocketConnect(ws("/echo"));
    conn.close(1001, "goodbye");
    assert.deepEqual(await closeFuture.promise, [1001, "goodbye"]);
  });

  // tornado/test/websocket_test.py::WebSocketTest::test_write_after_close
  test("a write after the server closed rejects with WebSocketClosedError", async () => {
    const conn = await websocketConnect(ws("/close_reason"));
    assert.equal(await conn.readMessage(), null);
    await assert.rejects(conn.writeMessage("hello"), WebSocketClosedError);
  });

  // tornado/test/websocket_test.py::WebSocketTest::test_async_prepare
  test("an async prepare() runs before the upgrade", async () => {
    const conn = await websocketConnect(ws("/async_prepare"));
    await conn.writeMessage("hello");
    assert.equal(await conn.readMessage(), "hello");
    conn.close();
  });

  // tornado/test/websocket_test.py::WebSocketTest::test_path_args
  test("path groups are passed to open()", async () => {
    const conn = await websocketConnect(ws("/path_args/hello"));
    assert.equal(await conn.readMessage(), "hello");
    conn.close();
  });

  // tornado/test/websocket_test.py::WebSocketTest::test_coroutine
  test("an async onMessage handles one message at a time, in order", async () => {
    const conn = await websocketConnect(ws("/coroutine"));
    await conn.writeMessage("hello1");
    await conn.writeMessage("hello2");
    assert.equal(await conn.readMessage(), "hello1");
    assert.equal(await conn.readMessage(), "hello2");
    conn.close();
  });

  // tornado/test/websocket_test.py::WebSocketTest::test_check_origin_valid_no_path
  test("an Origin equal to the host is accepted", async () => {
    const conn = await websocketConnect(new HTTPRequest(ws("/echo"), { headers: { Origin: `http://127.0.0.1:${served.port}` } }));
    await conn.writeMessage("hello");
    assert.equal(await conn.readMessage(), "hello");
    conn.close();
  });

  // tornado/test/websocket_test.py::WebSocketTest::test_check_origin_valid_with_path
  test("an Origin with a path on the same host is accepted", async () => {
    const conn = await websocketConnect(
      new HTTPRequest(ws("/echo"), { headers: { Origin: `http://127.0.0.1:${served.port}/something` } }),
    );
    await conn.writeMessage("hello");
    assert.equal(await conn.readMessage(), "hello");
    conn.close();
  });

  // tornado/test/websocket_test.py::WebSocketTest::test_check_origin_invalid_partial_url
  test("an Origin without a scheme is refused with 403", async () => {
    const request = new HTTPRequest(ws("/echo"), { headers: { Origin: `127.0.0.1:${served.port}` } });
    await assert.rejects(websocketConnect(request), (error: unknown) => error instanceof HTTPClientError && error.status === 403);
  });

  // tornado/test/websocket_test.py::WebSocketTest::test_check_origin_invalid
  test("a cross-origin upgrade is refused with 403", async () => {
    const request = new HTTPRequest(ws("/echo"), { headers: { Origin: "http://somewhereelse.com" } });
    await assert.rejects(websocketConnect(request), (error: unknown) => error instanceof HTTPClientError && error.status === 403);
  });

  // tornado/test/websocket_test.py::WebSocketTest::test_check_origin_invalid_subdomains
  test("a subdomain of the host is refused with 403", async () => {
    const request = new HTTPRequest(`ws://localhost:${served.port}/echo`, { headers: { Origin: "http://subtenant.localhost" } });
    await assert.rejects(websocketConnect(request), (error: unknown) => error instanceof HTTPClientError && error.status === 403);
  });

  test("a version 8 client's Sec-Websocket-Origin is checked too", async () => {
    const raw = await rawWebSocket(served.port, "/echo", { "Sec-WebSocket-Version": "8", "Sec-Websocket-Origin": "http://evil.example" });
    assert.equal(raw.status, 403);
    await raw.closed;
  });

  // tornado/test/websocket_test.py::WebSocketTest::test_subprotocols
  test("subprotocols: the handler selects one of those offered", async () => {
    const conn = await websocketConnect(ws("/subprotocol"), { subprotocols: ["badproto", "goodproto"] });
    assert.equal(conn.selectedSubprotocol, "goodproto");
    assert.equal(await conn.readMessage(), "subprotocol=goodproto");
    conn.close();
  });

  // tornado/test/websocket_test.py::WebSocketTest::test_subprotocols_not_offered
  test("subprotocols: none offered, selectSubprotocol still called once", async () => {
    const conn = await websocketConnect(ws("/subprotocol"));
    assert.equal(conn.selectedSubprotocol, null);
    assert.equal(await conn.readMessage(), "subprotocol=null");
    conn.close();
  });

  // tornado/test/websocket_test.py::WebSocketTest::test_open_coroutine
  test("messages that arrive during an async open() wait for it", async () => {
    messageSent = new Event();
    const conn = await websocketConnect(ws("/open_coroutine"));
    await conn.writeMessage("hello");
    messageSent.set();
    assert.equal(await conn.readMessage(), "ok");
    conn.close();
  });

  // tornado/test/websocket_test.py::WebSocketTest::test_error_in_open
  test("an exception in open() is logged and closes the connection", async () => {
    await expectLog(appLog, "Uncaught exception", async () => {
      const conn = await websocketConnect(ws("/error_in_open"));
      assert.equal(await conn.readMessage(), null);
      assert.equal(conn.closeCode, 1011);
    });
  });

  // tornado/test/websocket_test.py::WebSocketTest::test_error_in_async_open
  test("a rejection of an async open() is logged and closes the connection", async () => {
    await expectLog(appLog, "Uncaught exception", async () => {
      const conn = await websocketConnect(ws("/error_in_async_open"));
      assert.equal(await conn.readMessage(), null);
    });
  });

  // tornado/test/websocket_test.py::WebSocketTest::test_nodelay
  test("setNodelay", async () => {
    const conn = await websocketConnect(ws("/nodelay"));
    assert.equal(await conn.readMessage(), "hello");
    conn.close();
  });
});

// tornado/test/websocket_test.py::WebSocketNativeCoroutineTest::test_native_coroutine
test("WebSocketNativeCoroutineTest: async onMessage, one message at a time", async () => {
  class NativeCoroutineOnMessageHandler extends WebSocketHandler {
    sleeping = 0;

    override async onMessage(message: string | Buffer): Promise<void> {
      if (this.sleeping > 0) void this.writeMessage("another coroutine is already sleeping");
      this.sleeping++;
      await gen.sleep(0.01);
      this.sleeping--;
      void this.writeMessage(message);
    }
  }
  const served = await serve(new Application([["/native", NativeCoroutineOnMessageHandler]]));
  try {
    const conn = await websocketConnect(`ws://127.0.0.1:${served.port}/native`);
    await conn.writeMessage("hello1");
    await conn.writeMessage("hello2");
    assert.equal(await conn.readMessage(), "hello1");
    assert.equal(await conn.readMessage(), "hello2");
    conn.close();
  } finally {
    await served.close();
  }
});

// tornado/test/websocket_test.py::CompressionTestMixin and its four specializations
const MESSAGE = "Hello world. Testing 123 123";

/**
 * Echoes, and answers "stats" with the wire bytes this connection read and wrote for the
 * echoed messages (measured on the server's socket; Tornado counts them in the protocol).
 */
class WireEchoHandler extends TestWebSocketHandler {
  #startRead = 0;
  #startWritten = 0;
  #wireIn = 0;
  #wireOut = 0;

  #socket(): Socket {
    return this.request.connection!.upgrade!.socket as Socket;
  }

  override open(): void {
    this.#startRead = this.#socket().bytesRead;
    this.#startWritten = this.#socket().bytesWritten;
  }

  override async onMessage(message: string | Buffer): Promise<void> {
    if (message === "stats") {
      await this.writeMessage({ wireIn: this.#wireIn, wireOut: this.#wireOut });
      return;
    }
    // The client sends the next message only after this echo: bytesRead holds this frame exactly.
    this.#wireIn = this.#socket().bytesRead - this.#startRead;
    await this.writeMessage(message, typeof message !== "string");
    this.#wireOut = this.#socket().bytesWritten - this.#startWritten;
  }
}

class LimitedHandler extends TestWebSocketHandler {
  override get maxMessageSize(): number {
    return 1024;
  }

  override onMessage(message: string | Buffer): void {
    void this.writeMessage(String(message.length));
  }
}

const compressionCases: {
  name: string;
  server: WebSocketCompressionOptions | null;
  client: WebSocketCompressionOptions | null;
  compressed: boolean;
}[] = [
  { name: "NoCompressionTest", server: null, client: null, compressed: false },
  { name: "ServerOnlyCompressionTest", server: {}, client: null, compressed: false },
  { name: "ClientOnlyCompressionTest", server: null, client: {}, compressed: false },
  { name: "DefaultCompressionTest", server: {}, client: {}, compressed: true },
];

for (const { name, server, client, compressed } of compressionCases) {
  describe(`${name} (tornado/test/websocket_test.py::${name})`, () => {
    let served: Served;
    before(async () => {
      served = await serve(
        new Application([
          ["/echo", WireEchoHandler, { compressionOptions: server }],
          ["/limited", LimitedHandler, { compressionOptions: server }],
        ]),
      );
    });
    after(() => served.close());

    // Wire bytes measured on the server's socket (Tornado counts them in the protocol object).
    test(`message sizes on the wire (tornado/test/websocket_test.py::${name}::test_message_sizes)`, async () => {
      const conn = await websocketConnect(`ws://127.0.0.1:${served.port}/echo`, { compressionOptions: client });
      assert.equal(conn.headers.has("Sec-WebSocket-Extensions"), compressed);
      for (let i = 0; i < 3; i++) {
        await conn.writeMessage(MESSAGE);
        assert.equal(await conn.readMessage(), MESSAGE);
      }
      await conn.writeMessage("stats");
      const stats = JSON.parse(String(await conn.readMessage())) as { wireIn: number; wireOut: number };
      if (compressed) {
        // Client frames carry a 4-byte mask key on top of the server's: 12 bytes over 3 messages.
        assert.ok(stats.wireIn < 3 * (MESSAGE.length + 6), `wire in ${stats.wireIn}`);
        assert.ok(stats.wireOut < 3 * (MESSAGE.length + 2), `wire out ${stats.wireOut}`);
        assert.equal(stats.wireIn, stats.wireOut + 12);
      } else {
        assert.equal(stats.wireIn, 3 * (MESSAGE.length + 6));
        assert.equal(stats.wireOut, 3 * (MESSAGE.length + 2));
      }
      conn.close();
    });

    test(`size limit, also after decompression (tornado/test/websocket_test.py::${name}::test_size_limit)`, async () => {
      const conn = await websocketConnect(`ws://127.0.0.1:${served.port}/limited`, { compressionOptions: client });
      await conn.writeMessage("a".repeat(128));
      assert.equal(await conn.readMessage(), "128");
      // Too big once decompressed, though it compresses to far less than the limit.
      await conn.writeMessage("a".repeat(2048));
      assert.equal(await conn.readMessage(), null);
      assert.equal(conn.closeCode, 1009);
    });
  });
}

// tornado/test/websocket_test.py::ServerPeriodicPingTest::test_server_ping
test("ServerPeriodicPingTest: websocketPingInterval pings the client", async () => {
  class PingHandler extends WebSocketHandler {
    override onPong(): void {
      void this.writeMessage("got pong");
    }
  }
  const served = await serve(new Application([["/", PingHandler]], { websocketPingInterval: 0.01 }));
  try {
    const conn = await websocketConnect(`ws://127.0.0.1:${served.port}/`);
    for (let i = 0; i < 3; i++) assert.equal(await conn.readMessage(), "got pong");
    conn.close();
  } finally {
    await served.close();
  }
});

// tornado/test/websocket_test.py::ClientPeriodicPingTest::test_client_ping
test("ClientPeriodicPingTest: pingInterval on the client pings the server", async () => {
  class PingHandler extends WebSocketHandler {
    override onPing(): void {
      void this.writeMessage("got ping");
    }
  }
  const served = await serve(new Application([["/", PingHandler]]));
  try {
    const conn = await websocketConnect(`ws://127.0.0.1:${served.port}/`, { pingInterval: 0.01 });
    for (let i = 0; i < 3; i++) assert.equal(await conn.readMessage(), "got ping");
    conn.close();
  } finally {
    await served.close();
  }
});

// tornado/test/websocket_test.py::ManualPingTest::test_manual_ping
test("ManualPingTest: ping data reaches onPing as bytes; over 125 bytes is refused", async () => {
  class PingHandler extends WebSocketHandler {
    override onPing(data: Buffer): void {
      void this.writeMessage(data, true);
    }
  }
  const served = await serve(new Application([["/", PingHandler]]));
  try {
    const conn = await websocketConnect(`ws://127.0.0.1:${served.port}/`);
    assert.throws(() => conn.ping("a".repeat(126)), { code: "TYPHOON_ERR_WEBSOCKET_PING_TOO_LARGE" });
    conn.ping("hello");
    assert.deepEqual(await conn.readMessage(), Buffer.from("hello"));
    conn.ping(Buffer.from("binary hello"));
    assert.deepEqual(await conn.readMessage(), Buffer.from("binary hello"));
    conn.close();
  } finally {
    await served.close();
  }
});

// tornado/test/websocket_test.py::MaxMessageSizeTest::test_large_message
test("MaxMessageSizeTest: a message over websocketMaxMessageSize closes with 1009", async () => {
  const served = await serve(new Application([["/", EchoHandler]], { websocketMaxMessageSize: 1024 }));
  try {
    const conn = await websocketConnect(`ws://127.0.0.1:${served.port}/`);
    const message = "a".repeat(1024);
    await conn.writeMessage(message);
    assert.equal(await conn.readMessage(), message);
    await conn.writeMessage(`${message}b`);
    assert.equal(await conn.readMessage(), null);
    assert.equal(conn.closeCode, 1009);
    assert.equal(conn.closeReason, "message too big");
  } finally {
    await served.close();
  }
});

describe("the handshake runs the ordinary request pipeline first", () => {
  class User {
    constructor(readonly name: string) {}
  }

  class AuthenticatedHandler extends WebSocketHandler<User> {
    override getCurrentUser(): User | null {
      const token = this.getQueryArgument("token", "");
      return token === "secret" ? new User("alice") : null;
    }

    override prepare(): void {
      if (this.currentUser === null) throw new HTTPError(401);
      if (this.request.headers.get("X-Banned")) throw new HTTPError(403);
    }

    override open(): void {
      void this.writeMessage(`hello ${this.currentUser!.name}`);
    }
  }

  class AsyncUserHandler extends WebSocketHandler<string> {
    override async getCurrentUser(): Promise<string | null> {
      await gen.sleep(0);
      return this.request.headers.get("X-User") ?? null;
    }

    override open(): void {
      void this.writeMessage(`user=${this.currentUser}`);
    }
  }

  class CookieHandler extends WebSocketHandler {
    override prepare(): void {
      if (this.getCookie("session") !== "valid") throw new HTTPError(403);
      this.setCookie("seen", "yes", { httpOnly: true });
    }

    override open(): void {
      assert.throws(() => this.setCookie("late", "no"), { code: "TYPHOON_ERR_WEBSOCKET_HTTP_METHOD" });
      void this.writeMessage("cookie ok");
    }
  }

  class NamedGroupsHandler extends WebSocketHandler {
    override open(kwargs: unknown): void {
      void this.writeMessage(kwargs as object);
    }
  }

  let served: Served;
  before(async () => {
    served = await serve(
      new Application([
        ["/auth", AuthenticatedHandler],
        ["/async_user", AsyncUserHandler],
        ["/cookie", CookieHandler],
        ["/named/(?<room>[a-z]+)/(?<id>\\d+)", NamedGroupsHandler],
      ]),
    );
  });
  after(() => served.close());

  test("getCurrentUser and prepare can refuse with 401 before the upgrade", async () => {
    await assert.rejects(
      websocketConnect(`ws://127.0.0.1:${served.port}/auth`),
      (error: unknown) => error instanceof HTTPClientError && error.status === 401,
    );
  });

  test("prepare can refuse with 403 before the upgrade", async () => {
    const request = new HTTPRequest(`ws://127.0.0.1:${served.port}/auth?token=secret`, { headers: { "X-Banned": "1" } });
    await assert.rejects(websocketConnect(request), (error: unknown) => error instanceof HTTPClientError && error.status === 403);
  });

  test("a refused upgrade closes the connection", async () => {
    const raw = await rawWebSocket(served.port, "/auth");
    assert.equal(raw.status, 401);
    assert.equal(raw.header("Connection"), "close");
    await raw.closed;
  });

  test("currentUser is ready in open()", async () => {
    const conn = await websocketConnect(`ws://127.0.0.1:${served.port}/auth?token=secret`);
    assert.equal(await conn.readMessage(), "hello alice");
    conn.close();
  });

  test("an async getCurrentUser is awaited before the upgrade", async () => {
    const conn = await websocketConnect(new HTTPRequest(`ws://127.0.0.1:${served.port}/async_user`, { headers: { "X-User": "bob" } }));
    assert.equal(await conn.readMessage(), "user=bob");
    conn.close();
  });

  test("cookies: read in prepare to refuse, set in prepare and sent with the 101", async () => {
    await assert.rejects(
      websocketConnect(`ws://127.0.0.1:${served.port}/cookie`),
      (error: unknown) => error instanceof HTTPClientError && error.status === 403,
    );
    const conn = await websocketConnect(new HTTPRequest(`ws://127.0.0.1:${served.port}/cookie`, { headers: { Cookie: "session=valid" } }));
    assert.deepEqual(conn.headers.getList("Set-Cookie"), ["seen=yes; Path=/; HttpOnly"]);
    assert.equal(await conn.readMessage(), "cookie ok");
    conn.close();
  });

  test("named groups reach open() as one object", async () => {
    const conn = await websocketConnect(`ws://127.0.0.1:${served.port}/named/lobby/42`);
    assert.equal(await conn.readMessage(), '{"room":"lobby","id":"42"}');
    conn.close();
  });
});

describe("Application.handleUpgrade without a WebSocket route", () => {
  class Plain extends RequestHandler {
    get(): void {
      this.write("plain");
    }
  }
  let served: Served;
  before(async () => {
    served = await serve(new Application([["/plain", Plain]]));
  });
  after(() => served.close());

  test("an upgrade to an unknown path gets 404 and the connection is closed", async () => {
    const raw = await rawWebSocket(served.port, "/nothing-here");
    assert.equal(raw.status, 404);
    await raw.closed;
    assert.match(raw.body, /404: Not Found/);
  });

  test("an upgrade to an ordinary handler gets its response and the connection is closed", async () => {
    const raw = await rawWebSocket(served.port, "/plain");
    assert.equal(raw.status, 200);
    assert.equal(raw.header("Connection"), "close");
    await raw.closed;
    assert.equal(raw.body, "plain");
  });

  test("websocketConnect to it rejects with the HTTP status", async () => {
    await assert.rejects(
      websocketConnect(`ws://127.0.0.1:${served.port}/nothing-here`),
      (error: unknown) => error instanceof HTTPClientError && error.status === 404,
    );
  });

  test("an upgrade to another protocol (h2c) is answered as HTTP and closed", async () => {
    const raw = await rawRequest(
      served.port,
      "GET /plain HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n",
    );
    assert.equal(statusOf(raw), 200);
    assert.match(raw, /plain$/);
  });
});

describe("after the switch", () => {
  test("the 101 is in the access log and onFinish runs at the switch", async () => {
    const events: string[] = [];
    const closed = deferred<void>();
    class Logged extends WebSocketHandler {
      override onFinish(): void {
        events.push(`finish ${this.getStatus()}`);
      }

      override open(): void {
        events.push("open");
        this.close();
      }

      override onClose(): void {
        events.push("close");
        closed.resolve();
      }
    }
    const served = await serve(new Application([["/logged", Logged]]));
    try {
      const lines: string[] = [];
      const stop = accessLog.intercept((record) => {
        lines.push(record.message);
        return true;
      });
      try {
        const conn = await websocketConnect(`ws://127.0.0.1:${served.port}/logged`);
        assert.equal(await conn.readMessage(), null);
      } finally {
        stop();
      }
      assert.equal(lines.length, 1);
      assert.match(lines[0]!, /^101 GET \/logged \(127\.0\.0\.1\) \d+\.\d\dms$/);
      await closed.promise;
      assert.deepEqual(events, ["finish 101", "open", "close"]);
    } finally {
      await served.close();
    }
  });

  test("onClose is called once; writes and pings after it reject; signal is aborted", async () => {
    const closed = deferred<WebSocketHandler>();
    let closeCalls = 0;
    class Closing extends WebSocketHandler {
      override onMessage(): void {}

      override onClose(): void {
        closeCalls++;
        closed.resolve(this);
      }
    }
    const served = await serve(new Application([["/c", Closing]]));
    try {
      const conn = await websocketConnect(`ws://127.0.0.1:${served.port}/c`);
      conn.close(1000);
      const handler = await closed.promise;
      await assert.rejects(handler.writeMessage("late"), WebSocketClosedError);
      assert.throws(() => handler.ping(), WebSocketClosedError);
      handler.close();
      assert.equal(handler.signal.aborted, true);
      await gen.sleep(0.02);
      assert.equal(closeCalls, 1);
      assert.equal(handler.closeCode, 1000);
    } finally {
      await served.close();
    }
  });

  test("messages sent before the close are all handled before onClose", async () => {
    const seen: string[] = [];
    const closed = deferred<void>();
    class Slow extends WebSocketHandler {
      override async onMessage(message: string | Buffer): Promise<void> {
        await gen.sleep(0.005);
        seen.push(String(message));
      }

      override onClose(): void {
        seen.push("closed");
        closed.resolve();
      }
    }
    const served = await serve(new Application([["/slow", Slow]]));
    try {
      const conn = await websocketConnect(`ws://127.0.0.1:${served.port}/slow`);
      for (const message of ["1", "2", "3", "4"]) void conn.writeMessage(message);
      conn.close();
      await closed.promise;
      assert.deepEqual(seen, ["1", "2", "3", "4", "closed"]);
    } finally {
      await served.close();
    }
  });

  test("writeMessage waits for the socket: back-pressure from a client that does not read", async () => {
    const progress = { written: 0, done: deferred<void>() };
    const MESSAGES = 64;
    class Flood extends WebSocketHandler {
      override async open(): Promise<void> {
        const chunk = Buffer.alloc(1024 * 1024, 0x61);
        for (let i = 0; i < MESSAGES; i++) {
          await this.writeMessage(chunk, true);
          progress.written++;
        }
        progress.done.resolve();
      }
    }
    const served = await serve(new Application([["/flood", Flood]]));
    try {
      const raw = await rawWebSocket(served.port, "/flood");
      assert.equal(raw.status, 101);
      raw.socket.pause();
      // Wait until the server stops making progress against the paused reader.
      let last = -1;
      while (progress.written !== last) {
        last = progress.written;
        await gen.sleep(0.1);
      }
      assert.ok(progress.written < MESSAGES, `all ${MESSAGES} MiB were accepted while the client read nothing`);
      raw.socket.resume();
      await progress.done.promise;
      assert.equal(progress.written, MESSAGES);
      raw.socket.destroy();
    } finally {
      await served.close();
    }
  });

  test("HTTPServer.stop() closes open WebSocket connections", async () => {
    const served = await serve(new Application([["/echo", EchoHandler]]));
    const conn = await websocketConnect(`ws://127.0.0.1:${served.port}/echo`);
    await served.close();
    assert.equal(await conn.readMessage(), null);
  });

  test("app.inject() of a WebSocket handshake gets 400 (no socket to take over)", async () => {
    const app = new Application([["/echo", EchoHandler]]);
    const response = await app.inject({
      url: "/echo",
      headers: { Upgrade: "websocket", Connection: "Upgrade", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version": "13" },
    });
    assert.equal(response.code, 400);
  });
});

describe("hooks and misuse", () => {
  const seen: string[] = [];
  const closed = { onClose: deferred<void>() };

  class QueuedDuringOpen extends WebSocketHandler {
    override async open(): Promise<void> {
      await gen.sleep(0.05);
      seen.push("open done");
    }

    override onMessage(message: string | Buffer): void {
      seen.push(String(message));
      if (message === "3") void this.writeMessage(seen.join(","));
    }
  }

  class TrustedOrigin extends EchoHandler {
    override checkOrigin(origin: string): boolean {
      return origin === "https://trusted.example";
    }
  }

  class UnofferedSubprotocol extends WebSocketHandler {
    override selectSubprotocol(): string {
      return "never-offered";
    }
  }

  class NoOnMessage extends WebSocketHandler {}

  class FrameTypes extends WebSocketHandler {
    override open(): void {
      void this.writeMessage(Buffer.from("buffer, no flag"));
      void this.writeMessage(new Uint8Array([0x75, 0x38]));
      void this.writeMessage("string, binary", true);
      void this.writeMessage(Buffer.from([0xff, 0x00]), true);
      void this.writeMessage({ json: true });
    }
  }

  class NotOpenYet extends WebSocketHandler {
    override async prepare(): Promise<void> {
      await assert.rejects(this.writeMessage("too early"), WebSocketClosedError);
      assert.throws(() => this.ping(), WebSocketClosedError);
      assert.throws(() => this.setNodelay(true), { code: "TYPHOON_ERR_WEBSOCKET_NOT_OPEN" });
      assert.equal(this.closeCode, null);
      this.close(1000);
    }

    override open(): void {
      void this.writeMessage("open after all");
    }
  }

  class FailingOnClose extends WebSocketHandler {
    override onMessage(): void {}

    override onClose(): void {
      closed.onClose.resolve();
      throw new Error("boom in onClose");
    }
  }

  class FailingOnPing extends WebSocketHandler {
    override onPing(): void {
      throw new Error("boom in onPing");
    }
  }

  class BadClose extends WebSocketHandler {
    override onMessage(message: string | Buffer): void {
      const attempts: [string, () => void][] = [
        ["1005", () => this.close(1005)],
        ["999", () => this.close(999)],
        ["5000", () => this.close(5000)],
        ["1.5", () => this.close(1.5)],
        ["long reason", () => this.close(1000, "é".repeat(62))],
      ];
      const codes = attempts.map(([label, attempt]) => {
        try {
          attempt();
          return `${label}: accepted`;
        } catch (error) {
          return `${label}: ${(error as { code?: string }).code}`;
        }
      });
      void this.writeMessage(codes.join("\n"));
      this.close(4000, String(message));
    }
  }

  let served: Served;
  before(async () => {
    served = await serve(
      new Application([
        ["/queued", QueuedDuringOpen],
        ["/trusted", TrustedOrigin],
        ["/unoffered", UnofferedSubprotocol],
        ["/no_on_message", NoOnMessage],
        ["/frame_types", FrameTypes],
        ["/not_open_yet", NotOpenYet],
        ["/failing_on_close", FailingOnClose],
        ["/failing_on_ping", FailingOnPing],
        ["/bad_close", BadClose],
      ]),
    );
  });
  after(() => served.close());
  const ws = (path: string): string => `ws://127.0.0.1:${served.port}${path}`;

  test("messages that arrive during an async open() are all handled after it, in order", async () => {
    seen.length = 0;
    const conn = await websocketConnect(ws("/queued"));
    for (const message of ["1", "2", "3"]) await conn.writeMessage(message);
    assert.equal(await conn.readMessage(), "open done,1,2,3");
    conn.close();
  });

  test("checkOrigin can be overridden to accept another origin (and to refuse the same host)", async () => {
    const trusted = await websocketConnect(new HTTPRequest(ws("/trusted"), { headers: { Origin: "https://trusted.example" } }));
    await trusted.writeMessage("hello");
    assert.equal(await trusted.readMessage(), "hello");
    trusted.close();
    const sameHost = new HTTPRequest(ws("/trusted"), { headers: { Origin: `http://127.0.0.1:${served.port}` } });
    await assert.rejects(websocketConnect(sameHost), (error: unknown) => error instanceof HTTPClientError && error.status === 403);
  });

  test("selectSubprotocol returning a name the client did not offer is a server error (500, logged)", async () => {
    await expectLog(appLog, "Uncaught exception GET /unoffered", async () => {
      await assert.rejects(
        websocketConnect(ws("/unoffered"), { subprotocols: ["chat"] }),
        (error: unknown) => error instanceof HTTPClientError && error.status === 500,
      );
    });
  });

  test("a message for a handler without onMessage is logged and closes the connection with 1011", async () => {
    const conn = await websocketConnect(ws("/no_on_message"));
    await expectLog(appLog, "Uncaught exception GET /no_on_message", async () => {
      await conn.writeMessage("anyone there?");
      assert.equal(await conn.readMessage(), null);
    });
    assert.equal(conn.closeCode, 1011);
  });

  test("the binary flag decides the frame type, not the message's type (as Tornado's write_message)", async () => {
    const conn = await websocketConnect(ws("/frame_types"));
    assert.equal(await conn.readMessage(), "buffer, no flag");
    assert.equal(await conn.readMessage(), "u8");
    assert.deepEqual(await conn.readMessage(), Buffer.from("string, binary"));
    assert.deepEqual(await conn.readMessage(), Buffer.from([0xff, 0x00]));
    assert.equal(await conn.readMessage(), '{"json":true}');
    conn.close();
  });

  test("before the switch, writeMessage rejects, ping and setNodelay throw, close does nothing", async () => {
    const conn = await websocketConnect(ws("/not_open_yet"));
    assert.equal(await conn.readMessage(), "open after all");
    conn.close();
  });

  test("an exception in onClose is logged once and the server keeps serving", async () => {
    closed.onClose = deferred<void>();
    await expectLog(appLog, "Uncaught exception in onClose", async () => {
      const conn = await websocketConnect(ws("/failing_on_close"));
      conn.close();
      await closed.onClose.promise;
      assert.equal(await conn.readMessage(), null);
    });
    const other = await websocketConnect(ws("/queued"));
    other.close();
  });

  test("an exception in onPing is logged and closes the connection with 1011", async () => {
    const conn = await websocketConnect(ws("/failing_on_ping"));
    await expectLog(appLog, "Uncaught exception GET /failing_on_ping", async () => {
      conn.ping("hi");
      assert.equal(await conn.readMessage(), null);
    });
    assert.equal(conn.closeCode, 1011);
  });

  test("close() refuses codes a close frame may not carry and reasons over 123 bytes, with coded errors", async () => {
    const conn = await websocketConnect(ws("/bad_close"));
    await conn.writeMessage("done");
    assert.equal(
      await conn.readMessage(),
      [
        "1005: TYPHOON_ERR_WEBSOCKET_CLOSE_CODE",
        "999: TYPHOON_ERR_WEBSOCKET_CLOSE_CODE",
        "5000: TYPHOON_ERR_WEBSOCKET_CLOSE_CODE",
        "1.5: TYPHOON_ERR_WEBSOCKET_CLOSE_CODE",
        "long reason: TYPHOON_ERR_WEBSOCKET_CLOSE_REASON",
      ].join("\n"),
    );
    assert.equal(await conn.readMessage(), null);
    assert.equal(conn.closeCode, 4000);
    assert.equal(conn.closeReason, "done");
    assert.throws(() => conn.close(1006), { code: "TYPHOON_ERR_WEBSOCKET_CLOSE_CODE" });
  });
});
