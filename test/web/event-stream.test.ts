// Tests of server-sent events (RequestHandler.sse) and of flush() streaming, over real sockets.
import assert from "node:assert/strict";
import { request, type IncomingMessage } from "node:http";
import { describe, test } from "node:test";
import { Application, formatServerSentEvent, RequestHandler, type EventStream } from "typhoon";
import { serve } from "../helpers.js";

class Deferred<T = void> {
  resolve!: (value: T) => void;
  readonly promise = new Promise<T>((resolve) => {
    this.resolve = resolve;
  });
}

/** Opens a GET request and returns the response, whose body is read by the caller. */
function open(url: string, headers: Record<string, string> = {}): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, resolve).on("error", reject).end();
  });
}

/** Reads `res` until `count` events (blank-line separated blocks) have arrived; calls `onEvent` for each as it comes. */
async function readEvents(res: IncomingMessage, count: number, onEvent: (event: string, index: number) => void = () => undefined): Promise<string[]> {
  const events: string[] = [];
  let buffer = "";
  for await (const chunk of res) {
    buffer += (chunk as Buffer).toString();
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const event = buffer.slice(0, end + 2);
      buffer = buffer.slice(end + 2);
      onEvent(event, events.length);
      events.push(event);
      if (events.length === count) return events;
    }
  }
  return events;
}

describe("formatServerSentEvent", () => {
  test("fields in order, one data line per line of data, a blank line at the end", () => {
    assert.equal(formatServerSentEvent({ data: "hello" }), "data: hello\n\n");
    assert.equal(formatServerSentEvent({ event: "tick", id: 7, retry: 3000, data: "a\nb\r\nc\rd" }), "event: tick\nid: 7\nretry: 3000\ndata: a\ndata: b\ndata: c\ndata: d\n\n");
    assert.equal(formatServerSentEvent({ data: { a: "x\ny" } }), 'data: {"a":"x\\ny"}\n\n');
    assert.equal(formatServerSentEvent({ data: "" }), "data: \n\n");
    assert.equal(formatServerSentEvent({ id: "" }), "id: \n\n");
  });

  test("data cannot inject fields or end the event early", () => {
    const text = formatServerSentEvent({ data: "x\n\nevent: admin\nid: 1\r\ndata: evil" });
    assert.equal(text, "data: x\ndata: \ndata: event: admin\ndata: id: 1\ndata: data: evil\n\n");
    assert.equal(text.indexOf("\n\n"), text.length - 2);
  });

  test("CR/LF in event or id, NUL in id, and a bad retry are refused", () => {
    for (const event of [{ event: "a\nb" }, { event: "a\rb" }, { id: "1\n" }, { id: "1\0" }, { retry: -1 }, { retry: 1.5 }]) {
      assert.throws(() => formatServerSentEvent(event), { code: "TYPHOON_ERR_BAD_EVENT" }, JSON.stringify(event));
    }
  });
});

describe("RequestHandler.sse()", () => {
  test("headers: event-stream, no caching, no proxy buffering, never compressed; Last-Event-ID exposed", async () => {
    class Handler extends RequestHandler {
      get() {
        const events = this.sse({ retry: 2500 });
        void events.send({ data: `last=${events.lastEventId ?? "none"}${"x".repeat(2000)}` });
        void events.close();
      }
    }
    const served = await serve(new Application([["/", Handler]], { compressResponse: true }));
    try {
      const res = await open(served.url("/"), { "Accept-Encoding": "gzip, br", "Last-Event-ID": "41" });
      assert.equal(res.headers["content-type"], "text/event-stream");
      assert.equal(res.headers["cache-control"], "no-cache");
      assert.equal(res.headers["x-accel-buffering"], "no");
      assert.equal(res.headers["content-encoding"], undefined);
      assert.equal(res.headers["transfer-encoding"], "chunked");
      const events = await readEvents(res, 2);
      assert.deepEqual(events[0], "retry: 2500\n\n");
      assert.equal(events[1], `data: last=41${"x".repeat(2000)}\n\n`);
    } finally {
      await served.close();
    }
  });

  test("an event every 100 ms is read as it comes, not at the end", async () => {
    let sent = 0;
    class Ticker extends RequestHandler {
      async get() {
        const events = this.sse();
        for (let i = 1; i <= 5; i++) {
          await events.send({ event: "tick", id: i, data: `tick ${i}` });
          sent = i;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        await events.close();
      }
    }
    const served = await serve(new Application([["/", Ticker]]));
    try {
      const res = await open(served.url("/"));
      const sentWhenReceived: number[] = [];
      const events = await readEvents(res, 5, () => sentWhenReceived.push(sent));
      assert.deepEqual(events.map((event) => /data: (.*)/.exec(event)![1]), ["tick 1", "tick 2", "tick 3", "tick 4", "tick 5"]);
      // The first event arrived while the handler was still sending the others (400 ms to go).
      assert.ok(sentWhenReceived[0]! < 5, `first event received after ${sentWhenReceived[0]} were sent`);
    } finally {
      await served.close();
    }
  });

  test("flush() streaming, proven without timing: the handler waits for the client to see each event", async () => {
    const acks = [new Deferred(), new Deferred(), new Deferred()];
    class LongPoll extends RequestHandler {
      async get() {
        const events = this.sse({ heartbeat: 0 });
        for (let i = 0; i < 3; i++) {
          await events.send(`event ${i}`);
          await acks[i]!.promise;
        }
        await events.close();
      }
    }
    const served = await serve(new Application([["/", LongPoll]]));
    try {
      const res = await open(served.url("/"));
      const events = await readEvents(res, 3, (_event, index) => acks[index]!.resolve());
      assert.deepEqual(events, ["data: event 0\n\n", "data: event 1\n\n", "data: event 2\n\n"]);
    } finally {
      await served.close();
    }
  });

  test("heartbeat comments keep an idle stream alive", async () => {
    const release = new Deferred();
    class Idle extends RequestHandler {
      async get() {
        const events = this.sse({ heartbeat: 0.05 });
        await release.promise;
        await events.close();
      }
    }
    const served = await serve(new Application([["/", Idle]]));
    try {
      const res = await open(served.url("/"));
      const events = await readEvents(res, 2);
      assert.deepEqual(events, [":\n\n", ":\n\n"]);
      release.resolve();
      res.resume();
    } finally {
      release.resolve();
      await served.close();
    }
  });

  test("the client leaving ends the stream cleanly: closed, signal aborted, onConnectionClose, nothing logged", async () => {
    const ended = new Deferred<{ closed: boolean; aborted: boolean }>();
    const connectionClosed = new Deferred();
    let stream: EventStream | undefined;
    class Feed extends RequestHandler {
      async get() {
        stream = this.sse({ heartbeat: 0.02 });
        while (!stream.closed) {
          await stream.send("update").catch(() => undefined);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        ended.resolve({ closed: stream.closed, aborted: this.signal.aborted });
      }
      override onConnectionClose() {
        connectionClosed.resolve();
      }
    }
    const served = await serve(new Application([["/", Feed]]));
    try {
      const res = await open(served.url("/"));
      await readEvents(res, 2);
      res.destroy();
      await connectionClosed.promise;
      assert.deepEqual(await ended.promise, { closed: true, aborted: true });
      await assert.rejects(stream!.send("late"), { code: "TYPHOON_ERR_STREAM_CLOSED" });
    } finally {
      await served.close();
    }
  });

  test("sse() after the headers were sent is an error", async () => {
    class Late extends RequestHandler {
      async get() {
        await this.flush();
        try {
          this.sse();
        } catch (error) {
          this.write((error as { code: string }).code);
        }
      }
    }
    const response = await new Application([["/", Late]]).inject({ url: "/" });
    assert.equal(response.text, "TYPHOON_ERR_HEADERS_SENT");
  });
});
