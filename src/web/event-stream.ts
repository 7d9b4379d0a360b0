// Server-sent events (text/event-stream) on a RequestHandler (beyond Tornado, which leaves the format to the user).

import { StreamClosedError } from "../http/errors.js";
import { InvalidArgumentError } from "../util/errors.js";

/** One server-sent event. Every field is optional; an event with only `retry` or `id` is allowed. */
export interface ServerSentEvent {
  /** The event's data: a string (split into one `data:` line per line) or a value sent as JSON. */
  data?: unknown;
  /** The event type (`event:`); the client's `addEventListener(type)` receives it. Default `message`. */
  event?: string;
  /** The event id (`id:`), echoed back by the browser as `Last-Event-ID` when it reconnects. */
  id?: string | number;
  /** Milliseconds the client waits before reconnecting (`retry:`). */
  retry?: number;
}

/** Options of `RequestHandler.sse()`. */
export interface EventStreamOptions {
  /** Seconds between heartbeat comments that keep proxies from closing an idle stream; 0 for none. Default 15. */
  heartbeat?: number;
  /** Milliseconds the client should wait before reconnecting, sent once at the start. */
  retry?: number;
}

const LINE_BREAK_RE = /\r\n|\r|\n/;
const FIELD_BREAK_RE = /[\r\n]/;

function checkField(name: string, value: string): string {
  if (FIELD_BREAK_RE.test(value) || (name === "id" && value.includes("\0"))) {
    throw new InvalidArgumentError(
      `invalid server-sent event ${name} ${JSON.stringify(value.slice(0, 60))}: it may not contain CR or LF${name === "id" ? " or NUL" : ""}`,
      "TYPHOON_ERR_BAD_EVENT",
    );
  }
  return value;
}

/**
 * The text of one event in the `text/event-stream` format: `event:`, `id:`, `retry:` and one
 * `data:` line per line of the data (so data can never end the event early or inject
 * fields), then a blank line. A non-string `data` is sent as JSON.
 * @throws InvalidArgumentError for an `event` or `id` with CR/LF (or NUL in `id`), or a
 *   `retry` that is not a non-negative integer.
 *
 * @example
 * formatServerSentEvent({ event: "tick", id: 7, data: "a\nb" });
 * // "event: tick\nid: 7\ndata: a\ndata: b\n\n"
 */
export function formatServerSentEvent(event: ServerSentEvent): string {
  let text = "";
  if (event.event !== undefined) text += `event: ${checkField("event", event.event)}\n`;
  if (event.id !== undefined) text += `id: ${checkField("id", String(event.id))}\n`;
  if (event.retry !== undefined) {
    if (!Number.isInteger(event.retry) || event.retry < 0) {
      throw new InvalidArgumentError(`invalid server-sent event retry ${String(event.retry)}: use milliseconds as an integer`, "TYPHOON_ERR_BAD_EVENT");
    }
    text += `retry: ${event.retry}\n`;
  }
  if (event.data !== undefined) {
    const data = typeof event.data === "string" ? event.data : JSON.stringify(event.data);
    for (const line of data.split(LINE_BREAK_RE)) text += `data: ${line}\n`;
  }
  return `${text}\n`;
}

/** A comment line (or lines) of an event stream; clients ignore them. */
export function formatServerSentComment(text = ""): string {
  return `${text
    .split(LINE_BREAK_RE)
    .map((line) => (line === "" ? ":" : `: ${line}`))
    .join("\n")}\n\n`;
}

/** What an {@link EventStream} needs from its handler. */
export interface EventStreamTarget {
  write(chunk: string): void;
  flush(): Promise<void>;
  finish(): Promise<void>;
  readonly finished: boolean;
}

/**
 * Marks a stream closed and stops its heartbeat without touching the response (the client
 * went away). Not part of the public API.
 */
export let stopEventStream: (stream: EventStream) => void;

/**
 * An open `text/event-stream` response, returned by `RequestHandler.sse()`. Send events with
 * `send()`; the stream stays open after the verb method returns, until `close()` or until the
 * client goes away (then `closed` is true, `send()` rejects with `StreamClosedError` — which
 * the handler's error pipeline ignores — and the handler's `signal` is aborted).
 */
export class EventStream {
  /** The `Last-Event-ID` the client sent when reconnecting, to resume after that event. */
  readonly lastEventId: string | undefined;
  readonly #target: EventStreamTarget;
  #heartbeat: NodeJS.Timeout | undefined;
  #closed = false;

  static {
    stopEventStream = (stream) => stream.#stop();
  }

  /** Not public: use `RequestHandler.sse()`. */
  constructor(target: EventStreamTarget, lastEventId: string | undefined, heartbeatSeconds: number) {
    this.#target = target;
    this.lastEventId = lastEventId;
    if (heartbeatSeconds > 0) {
      this.#heartbeat = setInterval(() => {
        if (this.closed) this.#stop();
        else this.comment().catch(() => undefined);
      }, heartbeatSeconds * 1000);
      this.#heartbeat.unref();
    }
  }

  /** True once the stream ended: closed by `close()` or by the client. */
  get closed(): boolean {
    return this.#closed || this.#target.finished;
  }

  /**
   * Sends one event (a string is the data of a `message` event) and flushes it to the client.
   * @throws StreamClosedError (as a rejection) once the stream is closed.
   *
   * @example
   * await events.send({ event: "price", id: tick, data: { symbol, price } });
   */
  send(event: ServerSentEvent | string): Promise<void> {
    if (this.closed) return Promise.reject(new StreamClosedError("the event stream is closed"));
    this.#target.write(formatServerSentEvent(typeof event === "string" ? { data: event } : event));
    return this.#target.flush();
  }

  /** Sends a comment (a heartbeat when empty); clients ignore it but proxies see traffic. */
  comment(text = ""): Promise<void> {
    if (this.closed) return Promise.reject(new StreamClosedError("the event stream is closed"));
    this.#target.write(formatServerSentComment(text));
    return this.#target.flush();
  }

  /** Ends the stream (finishes the response). The browser then reconnects unless told otherwise. */
  close(): Promise<void> {
    this.#stop();
    if (this.#target.finished) return Promise.resolve();
    return this.#target.finish();
  }

  #stop(): void {
    this.#closed = true;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }
}
