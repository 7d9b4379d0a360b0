// Interoperability with real Python Tornado 6.x (/usr/bin/python3 with python3-tornado): Typhoon's
// client against Tornado's WebSocketHandler and Tornado's websocket_connect against Typhoon's
// handler, with and without permessage-deflate, close codes and subprotocols.
import { strict as assert } from "node:assert";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createInterface } from "node:readline";
import { after, before, describe, test } from "node:test";
import { Application, websocketConnect, type WebSocketCompressionOptions, WebSocketHandler } from "typhoon";
import { type Served, serve } from "../helpers.js";

const PYTHON = "/usr/bin/python3";

function tornadoUnavailable(): string | false {
  const probe = spawnSync(PYTHON, ["-c", "import tornado.websocket"], { encoding: "utf8" });
  if (probe.error) return `${PYTHON} cannot run (${probe.error.message}); install python3 and python3-tornado to run the interop tests`;
  if (probe.status !== 0) return `${PYTHON} cannot import tornado; install python3-tornado (apt-get install -y python3-tornado) to run the interop tests`;
  return false;
}

const skip = tornadoUnavailable();

const TORNADO_SERVER = `
import asyncio, sys
import tornado.web, tornado.websocket

class Echo(tornado.websocket.WebSocketHandler):
    def get_compression_options(self):
        return {} if self.get_argument("compress", None) else None
    def select_subprotocol(self, subprotocols):
        return "chat" if "chat" in subprotocols else None
    def on_message(self, message):
        if message == "close please":
            self.close(4001, "as asked")
        else:
            self.write_message(message, binary=isinstance(message, bytes))

async def main():
    app = tornado.web.Application([("/echo", Echo)])
    server = app.listen(0, "127.0.0.1")
    port = list(server._sockets.values())[0].getsockname()[1]
    print("READY", port, flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
`;

const TORNADO_CLIENT = `
import asyncio, json, sys
from tornado.websocket import websocket_connect

async def main():
    url, compress = sys.argv[1], sys.argv[2] == "1"
    conn = await websocket_connect(url, compression_options={} if compress else None, subprotocols=["chat"])
    results = {"subprotocol": conn.selected_subprotocol, "extensions": conn.headers.get("Sec-WebSocket-Extensions")}
    await conn.write_message("hello")
    results["text"] = await conn.read_message()
    await conn.write_message(b"\\x00\\xff binary", binary=True)
    results["binary"] = list(await conn.read_message())
    await conn.write_message("x" * 100000)
    results["long"] = len(await conn.read_message())
    await conn.write_message("close please")
    results["after_close"] = await conn.read_message()
    results["close"] = [conn.close_code, conn.close_reason]
    print(json.dumps(results), flush=True)

asyncio.run(main())
`;

class TyphoonEcho extends WebSocketHandler {
  override getCompressionOptions(): WebSocketCompressionOptions | null {
    return this.getQueryArgument("compress", null) ? {} : null;
  }

  override selectSubprotocol(subprotocols: readonly string[]): string | null {
    return subprotocols.includes("chat") ? "chat" : null;
  }

  override onMessage(message: string | Buffer): Promise<void> | void {
    if (message === "close please") {
      this.close(4001, "as asked");
      return;
    }
    return this.writeMessage(message, typeof message !== "string");
  }
}

describe("Typhoon's client against Python Tornado's WebSocketHandler", { skip }, () => {
  let tornado: ChildProcess;
  let port: number;
  before(async () => {
    tornado = spawn(PYTHON, ["-c", TORNADO_SERVER], { stdio: ["ignore", "pipe", "inherit"] });
    const lines = createInterface({ input: tornado.stdout! });
    port = await new Promise<number>((resolve, reject) => {
      lines.once("line", (line) => resolve(Number(/^READY (\d+)$/.exec(line)?.[1])));
      tornado.once("exit", (code) => reject(new Error(`the Tornado server exited (${code})`)));
    });
  });
  after(() => {
    tornado.kill();
  });

  for (const compress of [false, true]) {
    test(`echo, binary, a long message, subprotocol and a close code${compress ? ", compressed" : ""}`, async () => {
      const conn = await websocketConnect(`ws://127.0.0.1:${port}/echo${compress ? "?compress=1" : ""}`, {
        subprotocols: ["chat"],
        ...(compress ? { compressionOptions: {} } : {}),
      });
      assert.equal(conn.selectedSubprotocol, "chat");
      assert.equal(conn.headers.has("Sec-WebSocket-Extensions"), compress);
      await conn.writeMessage("hello");
      assert.equal(await conn.readMessage(), "hello");
      await conn.writeMessage(Buffer.from([0, 255, 1]), true);
      assert.deepEqual(await conn.readMessage(), Buffer.from([0, 255, 1]));
      const long = "é".repeat(50_000);
      await conn.writeMessage(long);
      assert.equal(await conn.readMessage(), long);
      await conn.writeMessage("close please");
      assert.equal(await conn.readMessage(), null);
      assert.equal(conn.closeCode, 4001);
      assert.equal(conn.closeReason, "as asked");
    });
  }
});

describe("Python Tornado's websocket_connect against Typhoon's WebSocketHandler", { skip }, () => {
  let served: Served;
  before(async () => {
    served = await serve(new Application([["/echo", TyphoonEcho]]));
  });
  after(() => served.close());

  for (const compress of [false, true]) {
    test(`echo, binary, a long message, subprotocol and a close code${compress ? ", compressed" : ""}`, async () => {
      const url = `ws://127.0.0.1:${served.port}/echo${compress ? "?compress=1" : ""}`;
      const child = spawn(PYTHON, ["-c", TORNADO_CLIENT, url, compress ? "1" : "0"], { stdio: ["ignore", "pipe", "inherit"] });
      let output = "";
      child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
      assert.equal(code, 0, `the Tornado client failed: ${output}`);
      const results = JSON.parse(output) as Record<string, unknown>;
      assert.deepEqual(results, {
        subprotocol: "chat",
        extensions: compress ? "permessage-deflate" : null,
        text: "hello",
        binary: [0, 255, 32, 98, 105, 110, 97, 114, 121],
        long: 100000,
        after_close: null,
        close: [4001, "as asked"],
      });
    });
  }
});
