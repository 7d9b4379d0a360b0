// The chat examples run as documented: examples/websocket-chat (Tornado's demos/websocket) and
// examples/chat (Tornado's long-polling demos/chat).
import { strict as assert } from "node:assert";
import { after, before, describe, test } from "node:test";
import { accessLog, Application, expectLog, gen, genLog, websocketConnect, WebSocketHandler } from "typhoon";
import { Broadcaster } from "../../examples/websocket-chat/broadcast.js";
import { ChatRoom, createApp as createWebSocketChat } from "../../examples/websocket-chat/chatdemo.js";
import { createApp as createLongPollChat, MessageBuffer } from "../../examples/chat/chatdemo.js";
import { type Served, serve } from "../helpers.js";
import { rawWebSocket } from "./raw-websocket.js";

interface WireMessage {
  id: string;
  body: string;
  html: string;
}

describe("examples/websocket-chat", () => {
  const room = new ChatRoom(3);
  let served: Served;
  before(async () => {
    served = await serve(createWebSocketChat({ room }));
  });
  after(() => served.close());
  const socketUrl = (): string => `ws://127.0.0.1:${served.port}/chatsocket`;

  test("a message is rendered escaped with links and broadcast to every socket", async () => {
    const alice = await websocketConnect(socketUrl(), { compressionOptions: {} });
    const bob = await websocketConnect(socketUrl());
    assert.equal(alice.headers.has("Sec-WebSocket-Extensions"), true);
    assert.equal(room.waiters.size, 2);
    await alice.writeMessage({ body: "<b>hi</b> see http://example.com" });
    for (const conn of [alice, bob]) {
      const message = JSON.parse(String(await conn.readMessage())) as WireMessage;
      assert.equal(message.body, "<b>hi</b> see http://example.com");
      assert.equal(
        message.html,
        `<div class="message" id="m${message.id}">&lt;b&gt;hi&lt;/b&gt; see <a href="http://example.com">http://example.com</a></div>\n`,
      );
    }
    bob.close();
    while (room.waiters.size > 1) await gen.sleep(0.005);
    alice.close();
  });

  test("the page shows the cached messages, at most cacheSize of them", async () => {
    const conn = await websocketConnect(socketUrl());
    for (let i = 0; i < 5; i++) {
      await conn.writeMessage({ body: `message ${i}` });
      await conn.readMessage();
    }
    assert.deepEqual(
      room.cache.map((message) => message.body),
      ["message 2", "message 3", "message 4"],
    );
    const page = await (await fetch(`http://127.0.0.1:${served.port}/`)).text();
    assert.deepEqual([...page.matchAll(/>message (\d)</g)].map((match) => match[1]), ["2", "3", "4"]);
    conn.close();
  });

  test("a message that is not the expected JSON closes the socket with 1007", async () => {
    const conn = await websocketConnect(socketUrl());
    await conn.writeMessage("not json");
    assert.equal(await conn.readMessage(), null);
    assert.equal(conn.closeCode, 1007);
  });
});

describe("examples/chat (long polling)", () => {
  const buffer = new MessageBuffer();
  let served: Served;
  /** The `_xsrf` cookie the page set; a browser sends it back, and the page's script the token. */
  let xsrf: string;
  before(async () => {
    served = await serve(createLongPollChat({ buffer, pollTimeout: 1 }));
    const page = await fetch(`http://127.0.0.1:${served.port}/`);
    xsrf = /^_xsrf=([^;]+)/.exec(page.headers.get("Set-Cookie") ?? "")?.[1] ?? "";
    assert.match(await page.text(), /<input type="hidden" name="_xsrf" value="[^"]+"/);
  });
  after(() => served.close());
  const post = (path: string, form: Record<string, string>, signal?: AbortSignal): Promise<Response> =>
    fetch(`http://127.0.0.1:${served.port}${path}`, {
      method: "POST",
      headers: { Cookie: `_xsrf=${xsrf}` },
      body: new URLSearchParams({ ...form, _xsrf: xsrf }),
      redirect: "manual",
      ...(signal ? { signal } : {}),
    });

  test("XSRF protection is on, as in Tornado's demo: a POST without the token gets 403", async () => {
    const response = await expectLog(genLog, "403 POST /a/message/new .*: '_xsrf' argument missing from POST", () =>
      fetch(`http://127.0.0.1:${served.port}/a/message/new`, { method: "POST", body: new URLSearchParams({ body: "forged" }) }),
    );
    assert.equal(response.status, 403);
    assert.equal(buffer.cache.length, 0);
  });

  test("a waiting poll answers as soon as a message is posted; the cursor skips what the client has", async () => {
    const poll = post("/a/message/updates", {});
    while (String(buffer.cond) === "<Condition>") await gen.sleep(0.005);
    const posted = (await (await post("/a/message/new", { body: "hello <world>" })).json()) as WireMessage;
    assert.match(posted.html, /hello &lt;world&gt;/);
    const { messages } = (await (await poll).json()) as { messages: WireMessage[] };
    assert.deepEqual(
      messages.map((message) => message.body),
      ["hello <world>"],
    );
    await post("/a/message/new", { body: "second" });
    const since = (await (await post("/a/message/updates", { cursor: posted.id })).json()) as { messages: WireMessage[] };
    assert.deepEqual(
      since.messages.map((message) => message.body),
      ["second"],
    );
  });

  test("with next, a new message redirects back to the page", async () => {
    const response = await post("/a/message/new", { body: "from the form", next: "/" });
    assert.equal(response.status, 302);
    assert.equal(response.headers.get("Location"), "/");
    const page = await (await fetch(`http://127.0.0.1:${served.port}/`)).text();
    assert.match(page, /from the form/);
  });

  test("a poll with nothing new answers empty after pollTimeout", async () => {
    const last = buffer.cache[buffer.cache.length - 1]!;
    const response = (await (await post("/a/message/updates", { cursor: last.id })).json()) as { messages: WireMessage[] };
    assert.deepEqual(response.messages, []);
    assert.equal(String(buffer.cond), "<Condition>");
  });

  test("a poller whose client goes away stops at once (onConnectionClose), and its waiter expires", async () => {
    const last = buffer.cache[buffer.cache.length - 1]!;
    const controller = new AbortController();
    const poll = post("/a/message/updates", { cursor: last.id }, controller.signal);
    while (String(buffer.cond) === "<Condition>") await gen.sleep(0.005);
    let finished: (condition: string) => void;
    const handlerDone = new Promise<string>((resolve) => (finished = resolve));
    const stop = accessLog.intercept((record) => {
      if (record.message.includes("POST /a/message/updates")) finished(String(buffer.cond));
      return true;
    });
    try {
      controller.abort();
      await assert.rejects(poll, { name: "AbortError" });
      // The handler is done while the Condition still holds its waiter: the Event woke it.
      assert.equal(await handlerDone, "<Condition waiters[1]>");
    } finally {
      stop();
    }
    // The Condition keeps the abandoned waiter at most pollTimeout.
    while (String(buffer.cond) !== "<Condition>") await gen.sleep(0.02);
  });
});

describe("examples/websocket-chat/broadcast.ts (docs/websockets.md, Broadcasting)", () => {
  const broadcaster = new Broadcaster<string>(16);
  class Listener extends WebSocketHandler {
    override open(): void {
      broadcaster.subscribe(this);
    }

    override onMessage(): void {}

    override onClose(): void {
      broadcaster.unsubscribe(this);
    }
  }
  let served: Served;
  before(async () => {
    served = await serve(new Application([["/listen", Listener]]));
  });
  after(() => served.close());

  test("every subscriber gets every message, in order; leaving unsubscribes", async () => {
    const clients = await Promise.all([1, 2, 3].map(() => websocketConnect(`ws://127.0.0.1:${served.port}/listen`)));
    while (broadcaster.size < 3) await gen.sleep(0.005);
    for (let i = 0; i < 10; i++) broadcaster.publish(`news ${i}`);
    for (const client of clients) {
      for (let i = 0; i < 10; i++) assert.equal(await client.readMessage(), `news ${i}`);
    }
    for (const client of clients) client.close();
    while (broadcaster.size > 0) await gen.sleep(0.005);
  });

  test("a client that stops reading is disconnected (1008) while the others keep receiving", async () => {
    const fast = await websocketConnect(`ws://127.0.0.1:${served.port}/listen`);
    const slow = await rawWebSocket(served.port, "/listen");
    slow.socket.pause();
    while (broadcaster.size < 2) await gen.sleep(0.005);
    const big = "x".repeat(64 * 1024);
    let sent = 0;
    while (broadcaster.size === 2) {
      assert.ok(sent < 2000, "the slow client was never disconnected");
      broadcaster.publish(big);
      sent++;
      assert.equal(await fast.readMessage(), big);
    }
    broadcaster.publish("after");
    assert.equal(await fast.readMessage(), "after");
    slow.socket.resume();
    let last = await slow.nextFrame();
    while (last !== null && last.opcode !== 0x8) last = await slow.nextFrame();
    assert.equal(last?.payload.readUInt16BE(0), 1008);
    slow.socket.destroy();
    fast.close();
    while (broadcaster.size > 0) await gen.sleep(0.005);
  });
});
