// Tornado's long-polling chat demo (demos/chat/chatdemo.py): browsers POST new messages and
// keep one "updates" request open that answers as soon as there is something newer than what
// they have. Waiters block on a Condition notified by every new message; a poller whose browser
// goes away is woken through an Event set in onConnectionClose, so it stops at once.
// Run it with `node --conditions=typhoon-source --import tsx examples/chat/chatdemo.ts`,
// then open http://localhost:8888/ in two browser windows.
// As in Tornado's demo, XSRF protection is on: the page's form carries the token, which the
// script sends with every POST.
import { randomUUID } from "node:crypto";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Application, Condition, enablePrettyLogging, Event, RequestHandler } from "typhoon";

/** One chat message: `html` is `body` rendered by message.html. */
export interface ChatMessage {
  id: string;
  body: string;
  html: string;
}

/** The last `cacheSize` messages, and a Condition notified whenever one is added. */
export class MessageBuffer {
  /** Notified whenever the cache is updated. */
  readonly cond = new Condition();
  cache: ChatMessage[] = [];

  constructor(readonly cacheSize = 200) {}

  /** The messages newer than `cursor` (the id of the last message the client has), oldest first. */
  getMessagesSince(cursor: string | null): ChatMessage[] {
    const results: ChatMessage[] = [];
    for (let i = this.cache.length - 1; i >= 0; i--) {
      const message = this.cache[i]!;
      if (message.id === cursor) break;
      results.push(message);
    }
    return results.reverse();
  }

  addMessage(message: ChatMessage): void {
    this.cache.push(message);
    if (this.cache.length > this.cacheSize) this.cache = this.cache.slice(-this.cacheSize);
    this.cond.notifyAll();
  }
}

interface ChatArgs {
  buffer: MessageBuffer;
  /** Seconds an updates request waits before answering with no messages (the browser asks again). */
  pollTimeout: number;
}

class ChatHandler extends RequestHandler {
  declare buffer: MessageBuffer;
  declare pollTimeout: number;

  override initialize({ buffer, pollTimeout }: ChatArgs) {
    this.buffer = buffer;
    this.pollTimeout = pollTimeout;
  }
}

class MainHandler extends ChatHandler {
  get() {
    return this.render("index.html", { messages: this.buffer.cache });
  }
}

/** Posts a new message to the room. */
class MessageNewHandler extends ChatHandler {
  post() {
    const message: ChatMessage = { id: randomUUID(), body: this.getArgument("body"), html: "" };
    message.html = this.renderString("message.html", { message });
    const next = this.getArgument("next", null);
    if (next) this.redirect(next);
    else this.write(message);
    this.buffer.addMessage(message);
  }
}

/** Long-polling request for new messages: answers as soon as there are some. */
class MessageUpdatesHandler extends ChatHandler {
  /** Set when the browser goes away, to wake the waiting poll. */
  readonly #connectionClosed = new Event();

  async post() {
    const cursor = this.getArgument("cursor", null);
    let messages = this.buffer.getMessagesSince(cursor);
    while (messages.length === 0) {
      // Without new messages the request answers empty after pollTimeout, before proxies give
      // up on it; that also bounds how long the Condition keeps the waiter of a client that left.
      const notified = await Promise.race([this.buffer.cond.wait(this.pollTimeout), this.#connectionClosed.wait()]);
      if (this.#connectionClosed.isSet()) return;
      if (notified === false) break;
      messages = this.buffer.getMessagesSince(cursor);
    }
    this.write({ messages });
  }

  override onConnectionClose() {
    this.#connectionClosed.set();
  }
}

/** The application; `buffer` lets a test look inside. */
export function createApp(options: { buffer?: MessageBuffer; pollTimeout?: number; debug?: boolean } = {}): Application {
  const args: ChatArgs = { buffer: options.buffer ?? new MessageBuffer(), pollTimeout: options.pollTimeout ?? 30 };
  return new Application(
    [
      ["/", MainHandler, args],
      ["/a/message/new", MessageNewHandler, args],
      ["/a/message/updates", MessageUpdatesHandler, args],
    ],
    {
      templatePath: fileURLToPath(new URL("templates", import.meta.url)),
      xsrfCookies: true,
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
