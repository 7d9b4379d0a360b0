// examples/proxy.ts, the seed article's GenAsyncHandler: the front server forwards to a slow
// backend through AsyncHTTPClient and keeps answering other requests while it waits.
import { strict as assert } from "node:assert";
import { after, before, describe, test } from "node:test";
import { expectLog, gen, genLog } from "typhoon";
import { type RunningProxy, startProxy } from "../../examples/proxy.js";

describe("examples/proxy", () => {
  let proxy: RunningProxy;
  before(async () => {
    proxy = await startProxy({ port: 0, address: "127.0.0.1", delay: 1.5 });
  });
  after(() => proxy.stop());

  interface Status {
    message: string;
    waitingOnBackend: number;
  }
  const status = async (): Promise<Status> => (await (await fetch(`${proxy.frontUrl}/`)).json()) as Status;

  test("while a proxied computation waits on the backend, a cheap request is answered first", async (t) => {
    let slowDone = false;
    const slow = fetch(`${proxy.frontUrl}/compute/90`).then(async (response) => {
      slowDone = true;
      return { status: response.status, body: (await response.json()) as { n: number; fib: string } };
    });
    // Poll the cheap page until it reports the proxied request in flight: each answer that
    // arrives while it waits shows the front server is not blocked by it.
    let seen: Status | undefined;
    let latency = 0;
    while (seen === undefined) {
      const started = performance.now();
      const current = await status();
      latency = performance.now() - started;
      if (current.waitingOnBackend === 1) seen = current;
      else {
        assert.equal(slowDone, false, "the proxied request finished before the front server answered anything else");
        await gen.sleep(0.01);
      }
    }
    assert.equal(slowDone, false, "the cheap request must be answered before the proxied one");
    assert.equal(seen.message, "ololo");
    t.diagnostic(`cheap request answered in ${latency.toFixed(1)} ms while the proxied one waited`);

    const { status: code, body } = await slow;
    assert.equal(code, 200);
    assert.deepEqual({ n: body.n, fib: body.fib }, { n: 90, fib: "2880067194370816120" });
    assert.equal((await status()).waitingOnBackend, 0);
  });

  test("several proxied requests wait on the backend at the same time", async () => {
    const pending = [10, 20, 30].map(async (n) => (await (await fetch(`${proxy.frontUrl}/compute/${n}`)).json()) as { fib: string });
    let settled = 0;
    for (const request of pending) void request.finally(() => settled++);
    while ((await status()).waitingOnBackend < 3) {
      assert.equal(settled, 0, "the proxied requests were handled one after another");
      await gen.sleep(0.01);
    }
    const results = await Promise.all(pending);
    assert.deepEqual(
      results.map((result) => result.fib),
      ["55", "6765", "832040"],
    );
  });

  test("a backend error becomes 502 Bad Gateway", async () => {
    const response = await expectLog(genLog, /^400 GET \/fib\/20000 .*n=20000 is too large/, () =>
      expectLog(genLog, /^502 GET \/compute\/20000 .*backend: HTTP 400: Bad Request/, () => fetch(`${proxy.frontUrl}/compute/20000`)),
    );
    assert.equal(response.status, 502);
  });

  test("a backend slower than backendTimeout becomes 504 Gateway Timeout", async () => {
    const impatient = await startProxy({ port: 0, address: "127.0.0.1", delay: 1, backendTimeout: 0.2 });
    try {
      const response = await expectLog(genLog, /^504 GET \/compute\/1 .*backend: Timeout during request/, () =>
        fetch(`${impatient.frontUrl}/compute/1`),
      );
      assert.equal(response.status, 504);
    } finally {
      await impatient.stop();
    }
  });

  test("a backend that is down becomes 502", async () => {
    const orphan = await startProxy({ port: 0, address: "127.0.0.1" });
    await orphan.backend.stop();
    try {
      const response = await expectLog(genLog, /^502 GET \/compute\/1 .*backend: HTTP 599: Connection refused by 127\.0\.0\.1:/, () =>
        fetch(`${orphan.frontUrl}/compute/1`),
      );
      assert.equal(response.status, 502);
    } finally {
      await orphan.stop();
    }
  });
});
