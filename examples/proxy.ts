// The seed article's GenAsyncHandler: a front server hands a slow computation to a second
// server through AsyncHTTPClient and, while it waits for the answer, keeps serving everyone else.
// Run it with `node --conditions=typhoon-source --import tsx examples/proxy.ts`, then:
//   curl http://localhost:8888/compute/90   # answers after ~2 s, computed by the backend
//   curl http://localhost:8888/             # answers at once, even while the above waits
//
// The backend runs in the same process here so the example is self-contained; in production it
// is another process or machine. Sharing one event loop, it must not block either: it stands for
// a slow service (a report generator, another team's API) by answering after `delay` seconds.
// A computation that really blocks belongs on a worker thread: see examples/worker.ts.
import { pathToFileURL } from "node:url";
import {
  Application,
  AsyncHTTPClient,
  enablePrettyLogging,
  gen,
  HTTPClientError,
  HTTPError,
  type HTTPServer,
  HTTPTimeoutError,
  IOLoop,
  RequestHandler,
} from "typhoon";

// ---- the backend: the slow service

/** Fibonacci numbers as decimal strings (they outgrow a double after 78). */
function fibonacci(n: number): string {
  let [a, b] = [0n, 1n];
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a.toString();
}

class SlowComputationHandler extends RequestHandler {
  declare delay: number;

  override initialize({ delay }: { delay: number }) {
    this.delay = delay;
  }

  async get(n: string) {
    if (Number(n) > 10_000) throw new HTTPError(400, `n=${n} is too large`);
    await gen.sleep(this.delay); // the slow part: the real service would be working here
    this.write({ n: Number(n), fib: fibonacci(Number(n)) });
  }
}

/** The backend application: `GET /fib/<n>` answers `{ n, fib }` after `delay` seconds. */
export function createBackendApp(delay: number): Application {
  return new Application([["/fib/(\\d+)", SlowComputationHandler, { delay }]]);
}

// ---- the front server

/** What the front handlers share: where the backend is, and how many requests wait on it. */
interface FrontArgs {
  backendUrl: string;
  /** Seconds to wait for the backend before answering 504. */
  backendTimeout: number;
  stats: { waiting: number };
}

class FrontHandler extends RequestHandler {
  declare front: FrontArgs;

  override initialize(front: FrontArgs) {
    this.front = front;
  }
}

/** The cheap page: answers at once, and tells how many requests are waiting on the backend. */
class MainHandler extends FrontHandler {
  get() {
    this.write({ message: "ololo", waitingOnBackend: this.front.stats.waiting });
  }
}

/**
 * Tornado's GenAsyncHandler. `await client.fetch(...)` gives the event loop back until the
 * backend answers (Tornado: `response = yield http_client.fetch(...)`), so other requests are
 * served meanwhile. Backend failures become 502, a backend that takes too long 504.
 */
class GenAsyncHandler extends FrontHandler {
  async get(n: string) {
    // Instances share one connection pool: creating a client per request costs nothing.
    const client = new AsyncHTTPClient();
    this.front.stats.waiting++;
    let response;
    try {
      response = await client.fetch(`${this.front.backendUrl}/fib/${n}`, { requestTimeout: this.front.backendTimeout });
    } catch (error) {
      if (error instanceof HTTPTimeoutError) throw new HTTPError(504, `backend: ${error.message}`);
      if (error instanceof HTTPClientError) throw new HTTPError(502, `backend: ${error.message}`);
      throw error;
    } finally {
      this.front.stats.waiting--;
    }
    const { fib } = response.json<{ n: number; fib: string }>();
    this.write({ n: Number(n), fib });
  }
}

/** The front application, forwarding `GET /compute/<n>` to the backend at `backendUrl`. */
export function createFrontApp(backendUrl: string, backendTimeout = 20): Application {
  const args: FrontArgs = { backendUrl, backendTimeout, stats: { waiting: 0 } };
  return new Application([
    ["/", MainHandler, args],
    ["/compute/(\\d+)", GenAsyncHandler, args],
  ]);
}

// ---- starting both

/** Options of {@link startProxy}. */
export interface ProxyOptions {
  /** Port of the front server; 0 picks a free one. Default 8888. */
  port?: number;
  /** Address of the front server; default all interfaces. The backend listens on 127.0.0.1 only. */
  address?: string;
  /** Seconds the backend takes per computation. Default 2. */
  delay?: number;
  /** Seconds the front waits for the backend. Default 20. */
  backendTimeout?: number;
}

/** Both servers once listening. */
export interface RunningProxy {
  front: HTTPServer;
  backend: HTTPServer;
  frontUrl: string;
  backendUrl: string;
  /** Stops both servers. */
  stop(): Promise<void>;
}

/** Starts the backend on a free port of 127.0.0.1, then the front server in front of it. */
export async function startProxy(options: ProxyOptions = {}): Promise<RunningProxy> {
  const backend = await createBackendApp(options.delay ?? 2).listen(0, "127.0.0.1");
  const backendUrl = `http://127.0.0.1:${backend.port}`;
  const front = await createFrontApp(backendUrl, options.backendTimeout).listen(options.port ?? 8888, options.address);
  return {
    front,
    backend,
    frontUrl: `http://${options.address ?? "localhost"}:${front.port}`,
    backendUrl,
    stop: async () => {
      await Promise.all([front.stop({ timeout: 0 }), backend.stop({ timeout: 0 })]);
    },
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  enablePrettyLogging();
  const proxy = await startProxy({ port: Number(process.env.PORT ?? 8888) });
  console.log(`Front server on ${proxy.frontUrl}/ (try /compute/90), backend on ${proxy.backendUrl}`);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => void proxy.stop().then(() => IOLoop.current().stop()));
  }
  await IOLoop.current().start();
}
