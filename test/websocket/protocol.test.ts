// Malformed and hostile WebSocket traffic on raw sockets: every case gets a clear close code,
// onClose runs once, and the server keeps serving. Mirrors the frame checks of
// tornado/test/websocket_test.py (max message size, compression limit) and the bad-input list of
// the WebSocket issue; Tornado aborts on protocol errors, Typhoon sends the RFC 6455 close code.
import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import { deflateRawSync } from "node:zlib";
import { after, before, beforeEach, describe, test } from "node:test";
import { Application, gen, websocketConnect, WebSocketHandler, type WebSocketCompressionOptions } from "typhoon";
import { type Served, serve } from "../helpers.js";
import { closePayload, frame, RawWebSocket, rawWebSocket } from "./raw-websocket.js";

interface Closed {
  code: number | null;
  reason: string | null;
}

let received: (string | Buffer)[] = [];
let closes: Closed[] = [];
let closeWaiters: ((closed: Closed) => void)[] = [];

function nextClose(): Promise<Closed> {
  const done = closes.shift();
  if (done) return Promise.resolve(done);
  return new Promise((resolve) => closeWaiters.push(resolve));
}

class Recorder extends WebSocketHandler {
  override onMessage(message: string | Buffer): Promise<void> {
    received.push(message);
    return this.writeMessage(message, typeof message !== "string");
  }

  override onClose(): void {
    const closed = { code: this.closeCode, reason: this.closeReason };
    const waiter = closeWaiters.shift();
    if (waiter) waiter(closed);
    else closes.push(closed);
  }
}

class Compressed extends Recorder {
  override getCompressionOptions(): WebSocketCompressionOptions {
    return {};
  }

  override get maxMessageSize(): number {
    return 64 * 1024;
  }
}

class SlowPrepare extends Recorder {
  override async prepare(): Promise<void> {
    await gen.sleep(0.05);
  }
}

/** The close frame the server sent: its code and reason. */
async function closeFrameOf(raw: RawWebSocket): Promise<{ code: number; reason: string }> {
  const next = await raw.nextDataFrame();
  assert.ok(next !== null, "the server closed the socket without a close frame");
  assert.equal(next.opcode, 0x8, `expected a close frame, got opcode ${next.opcode}`);
  return { code: next.payload.readUInt16BE(0), reason: next.payload.subarray(2).toString() };
}

describe("malformed frames", () => {
  let served: Served;
  before(async () => {
    served = await serve(
      new Application([
        ["/ws", Recorder],
        ["/compressed", Compressed],
        ["/slow_prepare", SlowPrepare],
      ]),
    );
  });
  after(() => served.close());
  beforeEach(() => {
    received = [];
    closes = [];
    closeWaiters = [];
  });

  async function assertStillServing(): Promise<void> {
    const conn = await websocketConnect(`ws://127.0.0.1:${served.port}/ws`);
    await conn.writeMessage("still serving");
    assert.equal(await conn.readMessage(), "still serving");
    conn.close();
    await nextClose();
  }

  // tornado/test/websocket_test.py::MaskFunctionMixin::test_mask (PythonMaskFunctionTest and
  // CythonMaskFunctionTest test Tornado's two masking helpers; `ws` unmasks here, so the same
  // vectors go through the server: frames carrying Tornado's masked bytes must arrive unmasked).
  test("client frames are unmasked as Tornado's mask vectors say", async () => {
    const vectors: [mask: string, data: string, masked: string][] = [
      ["abcd", "", ""],
      ["abcd", "b", "\x03"],
      ["abcd", "54321", "TVPVP"],
      ["ZXCV", "98765432", "c`t`olpd"],
      ["\x00\x01\x02\x03", "\xff\xfb\xfd\xfc\xfe\xfa", "\xff\xfa\xff\xff\xfe\xfb"],
      ["\xff\xfb\xfd\xfc", "\x00\x01\x02\x03\x04\x05", "\xff\xfa\xff\xff\xfb\xfe"],
    ];
    const raw = await rawWebSocket(served.port, "/ws");
    for (const [mask, data, masked] of vectors) {
      const payload = Buffer.from(masked, "latin1");
      raw.send(Buffer.concat([Buffer.from([0x82, 0x80 | payload.length]), Buffer.from(mask, "latin1"), payload]));
      const echo = await raw.nextDataFrame();
      assert.deepEqual(echo?.payload, Buffer.from(data, "latin1"), `mask ${JSON.stringify(mask)}`);
    }
    assert.deepEqual(received, vectors.map(([, data]) => Buffer.from(data, "latin1")));
    raw.socket.destroy();
    await nextClose();
  });

  test("a frame split into single bytes is reassembled", async () => {
    const raw = await rawWebSocket(served.port, "/ws");
    assert.equal(raw.status, 101);
    for (const byte of frame(0x1, "byte by byte")) {
      raw.send(Buffer.from([byte]));
      await gen.sleep(0);
    }
    const echo = await raw.nextDataFrame();
    assert.equal(echo?.payload.toString(), "byte by byte");
    raw.send(frame(0x8, closePayload(1000)));
    assert.deepEqual(await closeFrameOf(raw), { code: 1000, reason: "" });
    assert.deepEqual(await nextClose(), { code: 1000, reason: null });
  });

  test("a fragmented message (continuation frames) is delivered whole", async () => {
    const raw = await rawWebSocket(served.port, "/ws");
    raw.send(Buffer.concat([frame(0x1, "frag", { fin: false }), frame(0x9, "ping in between"), frame(0x0, "mented")]));
    const pong = await raw.nextFrame();
    assert.equal(pong?.opcode, 0xa);
    assert.equal(pong?.payload.toString(), "ping in between");
    assert.equal((await raw.nextDataFrame())?.payload.toString(), "fragmented");
    raw.socket.destroy();
    await nextClose();
  });

  test("many messages in one packet are handled in order", async () => {
    const raw = await rawWebSocket(served.port, "/ws");
    raw.send(Buffer.concat(Array.from({ length: 20 }, (_, i) => frame(0x1, `m${i}`))));
    for (let i = 0; i < 20; i++) assert.equal((await raw.nextDataFrame())?.payload.toString(), `m${i}`);
    raw.socket.destroy();
    await nextClose();
  });

  test("a 20 MiB frame is refused with 1009 from its header, before its payload", async () => {
    const raw = await rawWebSocket(served.port, "/ws");
    // Only the header and a few bytes are sent: the server must not wait for the rest.
    raw.send(frame(0x2, Buffer.alloc(16), { declaredLength: 20 * 1024 * 1024 }));
    assert.deepEqual(await closeFrameOf(raw), { code: 1009, reason: "message too big" });
    // The server reads nothing more after a broken frame, so the client's answer is not seen
    // (Tornado: close, then abort; close_code None).
    raw.send(frame(0x8, closePayload(1009)));
    await raw.closed;
    assert.deepEqual(await nextClose(), { code: null, reason: null });
    assert.deepEqual(received, []);
    await assertStillServing();
  });

  test("a fragmented message whose fragments together exceed maxMessageSize is refused with 1009", async () => {
    // No extension offered: /compressed is then a plain connection with a 64 KiB limit.
    const raw = await rawWebSocket(served.port, "/compressed");
    assert.equal(raw.header("Sec-WebSocket-Extensions"), undefined);
    const part = Buffer.alloc(40 * 1024, 0x61);
    raw.send(Buffer.concat([frame(0x2, part, { fin: false }), frame(0x0, part)]));
    assert.deepEqual(await closeFrameOf(raw), { code: 1009, reason: "message too big" });
    raw.socket.destroy();
    await nextClose();
    assert.deepEqual(received, []);
  });

  test("a first frame sent in the same packet as the handshake is not lost", async () => {
    const raw = await rawWebSocket(served.port, "/ws", {}, frame(0x1, "right behind the handshake"));
    assert.equal(raw.status, 101);
    assert.equal((await raw.nextDataFrame())?.payload.toString(), "right behind the handshake");
    raw.socket.destroy();
    await nextClose();
  });

  test("frames sent while an async prepare() runs wait for open(), in order", async () => {
    const socket = connect(served.port, "127.0.0.1");
    const raw = new RawWebSocket(socket);
    socket.write(
      Buffer.concat([
        Buffer.from(
          `GET /slow_prepare HTTP/1.1\r\nHost: 127.0.0.1:${served.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        ),
        frame(0x1, "with the handshake"),
      ]),
    );
    await gen.sleep(0.02);
    socket.write(frame(0x1, "during prepare"));
    await raw.waitHead();
    assert.equal(raw.status, 101);
    assert.equal((await raw.nextDataFrame())?.payload.toString(), "with the handshake");
    assert.equal((await raw.nextDataFrame())?.payload.toString(), "during prepare");
    assert.deepEqual(received, ["with the handshake", "during prepare"]);
    socket.destroy();
    await nextClose();
  });

  test("a compressed frame that inflates past maxMessageSize is refused with 1009", async () => {
    const raw = await rawWebSocket(served.port, "/compressed", { "Sec-WebSocket-Extensions": "permessage-deflate" });
    assert.equal(raw.status, 101);
    assert.match(raw.header("Sec-WebSocket-Extensions") ?? "", /^permessage-deflate/);
    // 16 MiB of zeros deflate to about 16 KiB: far under the 64 KiB limit on the wire.
    const bomb = deflateRawSync(Buffer.alloc(16 * 1024 * 1024), { finishFlush: 2 /* Z_SYNC_FLUSH */ });
    const payload = bomb.subarray(0, bomb.length - 4);
    assert.ok(payload.length < 64 * 1024, `the deflated payload is ${payload.length} bytes`);
    raw.send(frame(0x2, payload, { rsv1: true }));
    assert.equal((await closeFrameOf(raw)).code, 1009);
    raw.socket.destroy();
    await nextClose();
    assert.deepEqual(received, []);
  });

  test("a small compressed message is inflated and delivered", async () => {
    const raw = await rawWebSocket(served.port, "/compressed", { "Sec-WebSocket-Extensions": "permessage-deflate" });
    const deflated = deflateRawSync(Buffer.from("squeezed"), { finishFlush: 2 });
    raw.send(frame(0x1, deflated.subarray(0, deflated.length - 4), { rsv1: true }));
    const echo = await raw.nextDataFrame();
    assert.equal(echo?.rsv1, true);
    raw.socket.destroy();
    await nextClose();
    assert.deepEqual(received, ["squeezed"]);
  });

  test("invalid UTF-8 in a text frame closes with 1007", async () => {
    const raw = await rawWebSocket(served.port, "/ws");
    raw.send(frame(0x1, Buffer.from([0x68, 0x69, 0xff, 0xfe])));
    assert.equal((await closeFrameOf(raw)).code, 1007);
    raw.send(frame(0x8, closePayload(1007)));
    assert.deepEqual(await nextClose(), { code: null, reason: null });
    assert.deepEqual(received, []);
  });

  test("an unmasked client frame closes with 1002", async () => {
    const raw = await rawWebSocket(served.port, "/ws");
    raw.send(frame(0x1, "not masked", { mask: false }));
    assert.equal((await closeFrameOf(raw)).code, 1002);
    raw.socket.destroy();
    await nextClose();
    assert.deepEqual(received, []);
    await assertStillServing();
  });

  test("a compressed frame without the negotiated extension closes with 1002", async () => {
    const raw = await rawWebSocket(served.port, "/ws");
    raw.send(frame(0x1, "rsv1 set", { rsv1: true }));
    assert.equal((await closeFrameOf(raw)).code, 1002);
    raw.socket.destroy();
    await nextClose();
  });

  test("a reserved opcode closes with 1002", async () => {
    const raw = await rawWebSocket(served.port, "/ws");
    raw.send(frame(0x3, "reserved"));
    assert.equal((await closeFrameOf(raw)).code, 1002);
    raw.socket.destroy();
    await nextClose();
  });

  test("a control frame over 125 bytes closes with 1002", async () => {
    const raw = await rawWebSocket(served.port, "/ws");
    raw.send(frame(0x9, Buffer.alloc(126)));
    assert.equal((await closeFrameOf(raw)).code, 1002);
    raw.socket.destroy();
    await nextClose();
  });

  test("a continuation frame with nothing to continue closes with 1002", async () => {
    const raw = await rawWebSocket(served.port, "/ws");
    raw.send(frame(0x0, "orphan"));
    assert.equal((await closeFrameOf(raw)).code, 1002);
    raw.socket.destroy();
    await nextClose();
  });

  test("garbage right after the handshake closes the connection and nothing else", async () => {
    const raw = await rawWebSocket(served.port, "/ws");
    raw.send(Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    await raw.closed;
    await nextClose();
    await assertStillServing();
  });

  test("the client's close code is echoed back", async () => {
    const raw = await rawWebSocket(served.port, "/ws");
    raw.send(frame(0x8, closePayload(4000, "app specific")));
    assert.equal((await closeFrameOf(raw)).code, 4000);
    await raw.closed;
    assert.deepEqual(await nextClose(), { code: 4000, reason: "app specific" });
  });
});

describe("dead peers", () => {
  test("a client that vanishes without a close frame is closed by the ping timeout; onClose runs", async () => {
    received = [];
    closes = [];
    closeWaiters = [];
    const served = await serve(new Application([["/ws", Recorder]], { websocketPingInterval: 0.02, websocketPingTimeout: 0.3 }));
    try {
      // A raw socket never answers pings: the server must give up on it.
      const raw = await rawWebSocket(served.port, "/ws");
      assert.equal(raw.status, 101);
      const ping = await raw.nextFrame();
      assert.equal(ping?.opcode, 0x9);
      assert.deepEqual(await nextClose(), { code: null, reason: null });
      await raw.closed;
      // A client that answers pings stays connected across many intervals (the timeout is long
      // enough that a busy test machine cannot delay a pong past it).
      const conn = await websocketConnect(`ws://127.0.0.1:${served.port}/ws`);
      await gen.sleep(0.5);
      await conn.writeMessage("alive");
      assert.equal(await conn.readMessage(), "alive");
      conn.close();
      await nextClose();
    } finally {
      await served.close();
    }
  });

  test("a client that does not answer the close handshake is dropped after the timeout", async () => {
    let resolveClosed!: (code: number | null) => void;
    const closed = new Promise<number | null>((resolve) => (resolveClosed = resolve));
    class Closer extends WebSocketHandler {
      override open(): void {
        this.close(1000, "bye");
      }

      override onClose(): void {
        resolveClosed(this.closeCode);
      }
    }
    const served = await serve(new Application([["/ws", Closer]]));
    try {
      const raw = await rawWebSocket(served.port, "/ws");
      assert.deepEqual(await closeFrameOf(raw), { code: 1000, reason: "bye" });
      // No close frame in answer: the server closes the socket itself (after 5 seconds).
      await raw.closed;
      assert.equal(await closed, null);
    } finally {
      await served.close();
    }
  });
});
