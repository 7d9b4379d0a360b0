// The HTTP-client bench loop: `concurrency` workers each fetching the URL back to back for the
// warm-up and then the measured window; every answer is checked.
import { performance } from "node:perf_hooks";
import { Samples, printReport, readOptions } from "./load-report.js";

/** Options passed by the harness. */
export interface ClientLoadOptions {
  url: string;
  concurrency: number;
  warmupSeconds: number;
  seconds: number;
  expectBody: string;
}

/** One request: resolves with the status and the body text. */
export type FetchOnce = (url: string) => Promise<{ status: number; body: string }>;

/** A client under test, made for the options of the run. */
export interface ClientUnderTest {
  fetchOnce: FetchOnce;
  close: () => Promise<void> | void;
}

/** Runs the loop with the client `create` makes and prints the report. */
export async function runClientLoad(create: (options: ClientLoadOptions) => ClientUnderTest): Promise<never> {
  const options = readOptions<ClientLoadOptions>();
  const { fetchOnce, close } = create(options);
  const samples = new Samples();
  const reasons = new Set<string>();
  let errors = 0;
  let operations = 0;
  let measuring = false;
  let finished = false;

  const first = await fetchOnce(options.url).catch((error: unknown) => ({ status: 0, body: String(error) }));
  if (first.status !== 200 || first.body !== options.expectBody) {
    printReport({
      operations: 0,
      seconds: 0,
      p50Ms: 0,
      p99Ms: 0,
      errors: 1,
      errorDetail: `wrong answer: ${first.status} ${JSON.stringify(first.body.slice(0, 80))}`,
    });
  }

  const worker = async (): Promise<void> => {
    while (!finished) {
      const started = performance.now();
      try {
        const answer = await fetchOnce(options.url);
        if (answer.status !== 200 || answer.body !== options.expectBody) {
          errors++;
          reasons.add(`wrong answer: ${answer.status}`);
        } else if (measuring) {
          operations++;
          samples.add(performance.now() - started);
        }
      } catch (error) {
        errors++;
        reasons.add((error as Error).message);
      }
    }
  };
  const workers = Array.from({ length: options.concurrency }, worker);
  await new Promise((resolve) => setTimeout(resolve, options.warmupSeconds * 1000));
  const start = performance.now();
  const cpuAtStart = process.cpuUsage();
  measuring = true;
  await new Promise((resolve) => setTimeout(resolve, options.seconds * 1000));
  measuring = false;
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuAtStart);
  finished = true;
  await Promise.all(workers);
  await close();
  printReport({
    operations,
    seconds,
    p50Ms: samples.quantile(0.5),
    p99Ms: samples.quantile(0.99),
    errors,
    errorDetail: [...reasons].join("; "),
    cpuPercent: ((cpu.user + cpu.system) / 1e6 / seconds) * 100,
  });
}
