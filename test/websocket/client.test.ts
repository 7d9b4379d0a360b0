// websocketConnect and WebSocketClientConnection against Typhoon servers and hand-written
// misbehaving ones. Mirrors the client cases of tornado/test/websocket_test.py
// (test_websocket_network_fail and the connect options); the rest are shared with handler.test.ts.
import { strict as assert } from "node:assert";
import { createServer, type Server } from "node:net";
import { fileURLToPath } from "node:url";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import {
  appLog,
  Application,
  expectLog,
  HTTPClientError,
  HTTPRequest,
  HTTPTimeoutError,
  websocketConnect,
  WebSocketError,
  WebSocketHandler,
} from "typhoon";
import { type Served, serve } from "../helpers.js";
import { acceptValue } from "./raw-websocket.js";

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

class EchoHandler extends WebSocketHandler {
  override onMessage(message: string | Buffer): Promise<void> {
    return this.writeMessage(message, typeof message !== "string");
  }
}

/** Answers with the handshake headers it received, then echoes. */
class HeadersHandler extends WebSocketHandler {
  override open(): void {
    const headers = this.request.headers;
    void this.writeMessage({
      userAgent: headers.get("User-Agent") ?? null,
      authorization: headers.get("Authorization") ?? null,
      extra: headers.get("X-Extra") ?? null,
      fromRequest: headers.get("X-From-Request") ?? null,
    });
  }

  override onMessage(): void {}
}

/** Sends `count` numbered messages as soon as it opens. */
class FloodHandler extends WebSocketHandler {
  override async open(count: unknown): Promise<void> {
    for (let i = 0; i < Number(count); i++) await this.writeMessage(`message ${i}`);
    this.close(1000, "done");
  }
}

let bigMessageClose: ((code: number | null) => void) | undefined;

class BigMessageHandler extends WebSocketHandler {
  override open(): void {
    void this.writeMessage("x".repeat(2048));
  }

  override onClose(): void {
    bigMessageClose?.(this.closeCode);
  }
}

/** A TCP server that runs `onConnection` for every connection, for servers that misbehave. */
async function rawServer(onConnection: (socket: import("node:net").Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(onConnection);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === "object", "the server listens on a TCP port");
  return { server, port: address.port };
}

describe("websocketConnect", () => {
  let served: Served;
  before(async () => {
    served = await serve(
      new Application([
        ["/echo", EchoHandler],
        ["/headers", HeadersHandler],
        ["/flood/(\\d+)", FloodHandler],
        ["/big", BigMessageHandler],
      ]),
    );
  });
  after(() => served.close());
  const ws = (path: string): string => `ws://127.0.0.1:${served.port}${path}`;

  // tornado/test/websocket_test.py::WebSocketTest::test_websocket_network_fail
  test("a refused connection rejects with HTTPClientError 599", async () => {
    const { server, port } = await rawServer(() => undefined);
    await new Promise((resolve) => server.close(resolve));
    await assert.rejects(websocketConnect(`ws://127.0.0.1:${port}/`, { connectTimeout: 3600 }), (error: unknown) => {
      assert.ok(error instanceof HTTPClientError, `expected a HTTPClientError, got ${String(error)}`);
      assert.equal(error.status, 599);
      assert.equal(error.code, "TYPHOON_ERR_HTTP_CONNECTION");
      return true;
    });
  });

  test("a server that never answers the handshake: HTTPTimeoutError after connectTimeout", async () => {
    // It reads the request (so it sees the client give up) but never answers.
    const { server, port } = await rawServer((socket) => {
      socket.on("error", () => undefined);
      socket.resume();
    });
    try {
      await assert.rejects(websocketConnect(`ws://127.0.0.1:${port}/`, { connectTimeout: 0.1 }), HTTPTimeoutError);
      const request = new HTTPRequest(`ws://127.0.0.1:${port}/`, { requestTimeout: 0.1 });
      await assert.rejects(websocketConnect(request), HTTPTimeoutError);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test("a 101 with a wrong Sec-WebSocket-Accept rejects with WebSocketError", async () => {
    const { server, port } = await rawServer((socket) => {
      socket.once("data", () => {
        socket.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: bogus\r\n\r\n");
      });
      socket.on("error", () => undefined);
    });
    try {
      await assert.rejects(websocketConnect(`ws://127.0.0.1:${port}/`), (error: unknown) => {
        assert.ok(error instanceof WebSocketError, `expected a WebSocketError, got ${String(error)}`);
        assert.match(error.message, /Sec-WebSocket-Accept/);
        return true;
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test("a server that stops answering pings is given up after pingTimeout: readMessage() resolves null", async () => {
    // It completes the handshake, then reads and ignores everything (no pongs, no close frame).
    const { server, port } = await rawServer((socket) => {
      socket.on("error", () => undefined);
      socket.once("data", (chunk: Buffer) => {
        const key = /sec-websocket-key: *(\S+)/i.exec(chunk.toString("latin1"))?.[1] ?? "";
        socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptValue(key)}\r\n\r\n`);
        socket.resume();
      });
    });
    try {
      const conn = await websocketConnect(`ws://127.0.0.1:${port}/`, { pingInterval: 0.02, pingTimeout: 0.2 });
      const started = performance.now();
      assert.equal(await conn.readMessage(), null);
      assert.ok(performance.now() - started >= 150, "the connection was closed before the ping timeout");
      assert.equal(conn.closeCode, null);
      await assert.rejects(conn.writeMessage("too late"), { code: "TYPHOON_ERR_WEBSOCKET_CLOSED" });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test("an invalid URL rejects with InvalidArgumentError", async () => {
    await assert.rejects(websocketConnect("ftp://127.0.0.1/"), { code: "TYPHOON_ERR_WEBSOCKET_URL" });
  });

  test("http:// URLs are accepted as ws://", async () => {
    const conn = await websocketConnect(`http://127.0.0.1:${served.port}/echo`);
    await conn.writeMessage("over http");
    assert.equal(await conn.readMessage(), "over http");
    conn.close();
  });

  test("HTTPRequest headers, userAgent and basic auth, plus options.headers, reach the handshake", async () => {
    const request = new HTTPRequest(ws("/headers"), {
      headers: { "X-From-Request": "yes" },
      userAgent: "typhoon-test",
      authUsername: "user",
      authPassword: "pass",
    });
    const conn = await websocketConnect(request, { headers: { "X-Extra": "extra" } });
    assert.deepEqual(JSON.parse(String(await conn.readMessage())), {
      userAgent: "typhoon-test",
      authorization: `Basic ${Buffer.from("user:pass").toString("base64")}`,
      extra: "extra",
      fromRequest: "yes",
    });
    conn.close();
  });

  test("async iteration reads every message, then ends at close", async () => {
    const conn = await websocketConnect(ws("/flood/5"));
    const messages: string[] = [];
    for await (const message of conn) messages.push(String(message));
    assert.deepEqual(messages, ["message 0", "message 1", "message 2", "message 3", "message 4"]);
    assert.equal(conn.closeCode, 1000);
    assert.equal(conn.closeReason, "done");
    assert.equal(await conn.readMessage(), null);
    assert.equal(await conn.readMessage(), null);
  });

  test("messages a client does not read yet are kept, in order, while the socket waits", async () => {
    const conn = await websocketConnect(ws("/flood/200"));
    // Nothing is read until the server has sent what the socket let it send.
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (let i = 0; i < 200; i++) assert.equal(await conn.readMessage(), `message ${i}`);
    assert.equal(await conn.readMessage(), null);
  });

  test("a message over maxMessageSize closes the client's connection with 1009", async () => {
    const serverSaw = new Promise<number | null>((resolve) => (bigMessageClose = resolve));
    const conn = await websocketConnect(ws("/big"), { maxMessageSize: 1024 });
    assert.equal(await conn.readMessage(), null);
    assert.equal(await serverSaw, 1009);
  });

  test("Uint8Array and objects are sent as binary and JSON", async () => {
    const conn = await websocketConnect(ws("/echo"));
    await conn.writeMessage(new Uint8Array([1, 2, 3]), true);
    assert.deepEqual(await conn.readMessage(), Buffer.from([1, 2, 3]));
    await conn.writeMessage({ ok: true });
    assert.equal(await conn.readMessage(), '{"ok":true}');
    conn.close();
  });
});

describe("wss://", () => {
  let served: Served;
  before(async () => {
    served = await serve(new Application([["/echo", EchoHandler]]), {
      ssl: { key: readFileSync(fixture("test.key")), cert: readFileSync(fixture("test.crt")) },
    });
  });
  after(() => served.close());

  test("with caCerts (a PEM file path) the server certificate is verified", async () => {
    const conn = await websocketConnect(new HTTPRequest(`wss://127.0.0.1:${served.port}/echo`, { caCerts: fixture("test.crt") }));
    await conn.writeMessage("secure");
    assert.equal(await conn.readMessage(), "secure");
    conn.close();
  });

  test("with validateCert: false a self-signed certificate is accepted", async () => {
    const conn = await websocketConnect(new HTTPRequest(`wss://127.0.0.1:${served.port}/echo`, { validateCert: false }));
    await conn.writeMessage("secure");
    assert.equal(await conn.readMessage(), "secure");
    conn.close();
  });

  test("by default an untrusted certificate fails with HTTPClientError 599", async () => {
    await assert.rejects(websocketConnect(`wss://127.0.0.1:${served.port}/echo`), (error: unknown) => {
      assert.ok(error instanceof HTTPClientError, `expected a HTTPClientError, got ${String(error)}`);
      assert.equal(error.status, 599);
      return true;
    });
  });
});

test("an exception in onMessageCallback is logged and closes the connection (1011), also at close", async () => {
  class Greeter extends WebSocketHandler {
    override open(): void {
      void this.writeMessage("hello");
    }

    override onMessage(): void {}
  }
  const served = await serve(new Application([["/greet", Greeter]]));
  try {
    let closed!: () => void;
    const done = new Promise<void>((resolve) => (closed = resolve));
    await expectLog(appLog, "Uncaught exception in onMessageCallback", async () => {
      const conn = await websocketConnect(`ws://127.0.0.1:${served.port}/greet`, {
        onMessageCallback: (message) => {
          if (message === null) {
            closed();
            throw new Error("boom at close");
          }
          throw new Error("boom");
        },
      });
      await done;
      assert.equal(conn.closeCode, 1011);
    });
  } finally {
    await served.close();
  }
});
