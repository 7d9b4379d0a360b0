// In-process fan-out for WebSocket handlers (docs/websockets.md, "Broadcasting"): every subscriber
// has its own bounded Queue drained by a writer that awaits each writeMessage, so a slow client
// gets back-pressure without delaying the others, and one that falls `maxQueued` messages behind
// is disconnected instead of growing the server's memory. An Event stops a writer when its
// client leaves. This fans out within one process; across processes see the docs.
import { Event, Queue, QueueFull, type WebSocketHandler } from "typhoon";

interface Subscriber<T> {
  readonly queue: Queue<T>;
  readonly stopped: Event;
}

export class Broadcaster<T extends string | object> {
  readonly #subscribers = new Map<WebSocketHandler, Subscriber<T>>();

  /** `maxQueued`: messages a client may fall behind before it is disconnected. */
  constructor(readonly maxQueued = 100) {}

  /** The number of subscribed connections. */
  get size(): number {
    return this.#subscribers.size;
  }

  /** Starts sending published messages to `handler`; call it from `open()`. */
  subscribe(handler: WebSocketHandler): void {
    const subscriber: Subscriber<T> = { queue: new Queue<T>(this.maxQueued), stopped: new Event() };
    this.#subscribers.set(handler, subscriber);
    void this.#writeLoop(handler, subscriber);
  }

  /** Stops sending to `handler`; call it from `onClose()`. */
  unsubscribe(handler: WebSocketHandler): void {
    const subscriber = this.#subscribers.get(handler);
    if (subscriber === undefined) return;
    this.#subscribers.delete(handler);
    subscriber.stopped.set();
  }

  /** Queues `message` for every subscriber; a client whose queue is full is closed (1008). */
  publish(message: T): void {
    for (const [handler, subscriber] of this.#subscribers) {
      try {
        subscriber.queue.putNowait(message);
      } catch (error) {
        if (!(error instanceof QueueFull)) throw error;
        this.unsubscribe(handler);
        handler.close(1008, "too slow: messages were piling up");
      }
    }
  }

  async #writeLoop(handler: WebSocketHandler, { queue, stopped }: Subscriber<T>): Promise<void> {
    while (!stopped.isSet()) {
      const message = await Promise.race([queue.get(), stopped.wait()]);
      if (stopped.isSet() || message === undefined) return;
      try {
        await handler.writeMessage(message);
      } catch {
        // The connection closed under the write; onClose() unsubscribes it.
        return;
      }
    }
  }
}
