// A CPU-heavy endpoint that does not stall the server: /primes computes for `seconds` seconds
// on a worker thread (runInWorker) while / keeps answering at once. /primes/on-loop runs the
// same computation on the event loop, to see the difference: nothing else is served meanwhile.
// Tornado moves blocking work off the loop with `await IOLoop.current().run_in_executor(None,
// fn, arg)` (a thread); JavaScript threads cannot share closures, so the work is named by
// module and export: `await runInWorker(moduleUrl, "fn", arg)`.
// Run it with `node --conditions=typhoon-source --import tsx examples/worker.ts`, then:
//   curl 'http://localhost:8888/primes?seconds=2' &   # computes for 2 s on a worker thread
//   curl http://localhost:8888/                       # answers at once meanwhile
//   curl 'http://localhost:8888/primes/on-loop?seconds=2' &
//   curl http://localhost:8888/                       # waits until the computation ends
import { pathToFileURL } from "node:url";
import { Application, enablePrettyLogging, HTTPError, IOLoop, RequestHandler, runInWorker } from "typhoon";
import { type PrimeSearch, searchPrimes } from "./worker-tasks.js";

/** The task module, by URL: worker threads load it themselves (a function cannot be sent to a thread). */
const tasks = new URL("./worker-tasks.js", import.meta.url);

interface Stats {
  /** Heavy computations in progress. */
  computing: number;
}

class WorkerExampleHandler extends RequestHandler {
  declare stats: Stats;

  override initialize({ stats }: { stats: Stats }) {
    this.stats = stats;
  }

  /** The `seconds` argument: how long the computation runs, at most 10 s. */
  seconds(): number {
    const seconds = Number(this.getArgument("seconds", "2"));
    if (!(seconds > 0 && seconds <= 10)) throw new HTTPError(400, "seconds must be a number in (0, 10]");
    return seconds;
  }
}

/** The cheap endpoint: answers at once, and tells how many heavy computations are running. */
class MainHandler extends WorkerExampleHandler {
  get() {
    this.write({ hello: "world", computing: this.stats.computing });
  }
}

/** The heavy endpoint done right: the computation runs on a worker thread while the loop serves others. */
class PrimesHandler extends WorkerExampleHandler {
  async get() {
    const seconds = this.seconds();
    this.stats.computing++;
    try {
      this.write(await runInWorker<PrimeSearch>(tasks, "searchPrimes", seconds));
    } finally {
      this.stats.computing--;
    }
  }
}

/** The same computation on the event loop: correct, but every other request waits for it. Do not do this. */
class BlockingPrimesHandler extends WorkerExampleHandler {
  get() {
    const seconds = this.seconds();
    this.stats.computing++;
    try {
      this.write(searchPrimes(seconds));
    } finally {
      this.stats.computing--;
    }
  }
}

/** The application: `/` (cheap), `/primes` (on a worker thread) and `/primes/on-loop` (blocking). */
export function createApp(): Application {
  const args = { stats: { computing: 0 } };
  return new Application([
    ["/", MainHandler, args],
    ["/primes", PrimesHandler, args],
    ["/primes/on-loop", BlockingPrimesHandler, args],
  ]);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  enablePrettyLogging();
  const port = Number(process.env.PORT ?? 8888);
  const server = await createApp().listen(port);
  console.log(`Listening on http://localhost:${port}/ (try /primes?seconds=2 and /primes/on-loop?seconds=2)`);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => void server.stop({ timeout: 5 }).then(() => IOLoop.current().stop()));
  }
  await IOLoop.current().start();
}
