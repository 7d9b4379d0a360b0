// Tornado's WebSocket chat demo (demos/websocket/chatdemo.py): one room; every message is
// rendered by a template (escaped, links made clickable), kept in a cache of the last 200 that
// newcomers see, and broadcast to every open socket.
// Run it with `node --conditions=typhoon-source --import tsx examples/websocket-chat/chatdemo.ts`,
// then open http://localhost:8888/ in two browser windows.
import { randomUUID } from "node:crypto";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Application, appLog, enablePrettyLogging, RequestHandler, type WebSocketCompressionOptions, WebSocketHandler } from "typhoon";

/** One chat message as sent to the browsers: `html` is `body` rendered by message.html. */
export interface ChatMessage {
  id: string;
  body: string;
  html: string;
}

/**
 * The room: the open sockets and the last `cacheSize` messages. Tornado keeps these as class
 * attributes of the handler; an object passed to the handlers keeps apps (and tests) apart.
 */
export class ChatRoom {
  readonly waiters = new Set<ChatSocketHandler>();
  cache: ChatMessage[] = [];

  constructor(readonly cacheSize = 200) {}

  updateCache(chat: ChatMessage): void {
    this.cache.push(chat);
    if (this.cache.length > this.cacheSize) this.cache = this.cache.slice(-this.cacheSize);
  }

  /**
   * Sends `chat` to every open socket. The writes are not awaited: a slow browser must not hold
   * up the others, and a write to one that just left rejects harmlessly (its onClose removes it).
   */
  sendUpdates(chat: ChatMessage): void {
    appLog.info(`sending message to ${this.waiters.size} waiters`);
    for (const waiter of this.waiters) void waiter.writeMessage(chat);
  }
}

interface RoomArgs {
  room: ChatRoom;
}

class MainHandler extends RequestHandler {
  declare room: ChatRoom;

  override initialize({ room }: RoomArgs) {
    this.room = room;
  }

  get() {
    return this.render("index.html", { messages: this.room.cache });
  }
}

export class ChatSocketHandler extends WebSocketHandler {
  declare room: ChatRoom;

  override initialize({ room }: RoomArgs) {
    this.room = room;
  }

  /** Compression with the default options (when the browser offers it). */
  override getCompressionOptions(): WebSocketCompressionOptions {
    return {};
  }

  override open() {
    this.room.waiters.add(this);
  }

  override onClose() {
    this.room.waiters.delete(this);
  }

  override onMessage(message: string | Buffer) {
    appLog.info(`got message ${JSON.stringify(String(message))}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(String(message));
    } catch {
      parsed = undefined;
    }
    const body = (parsed as { body?: unknown } | undefined)?.body;
    if (typeof body !== "string") {
      this.close(1007, 'send JSON: {"body": "your message"}');
      return;
    }
    const chat: ChatMessage = { id: randomUUID(), body, html: "" };
    chat.html = this.renderString("message.html", { message: chat });
    this.room.updateCache(chat);
    this.room.sendUpdates(chat);
  }
}

/** The application; `room` lets a test look inside. */
export function createApp(options: { room?: ChatRoom; debug?: boolean } = {}): Application {
  const room = options.room ?? new ChatRoom();
  return new Application(
    [
      ["/", MainHandler, { room }],
      ["/chatsocket", ChatSocketHandler, { room }],
    ],
    {
      templatePath: fileURLToPath(new URL("templates", import.meta.url)),
      // A chat line is small: refuse anything over 64 KiB (close code 1009).
      websocketMaxMessageSize: 64 * 1024,
      // Notice browsers that vanished (sleeping laptops, dropped Wi-Fi) within a minute.
      websocketPingInterval: 20,
      debug: options.debug ?? false,
    },
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  enablePrettyLogging();
  const port = Number(process.env.PORT ?? 8888);
  await createApp({ debug: true }).listen(port);
  console.log(`Chat on http://localhost:${port}/`);
}
