// What the bench's own load generators (WebSocket, HTTP client) print: one `BENCH {json}` line.
/** The result line of a load generator. */
export interface LoadReport {
  /** Completed operations (messages echoed, requests answered) inside the measured window. */
  operations: number;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  errorDetail: string;
  /** Peak RSS of the load generator itself (the client under test in the HTTP-client scenario). */
  peakRssBytes?: number;
  /** The load generator's CPU use over the measured window, in percent of one core. */
  cpuPercent?: number;
}

/** Latency samples in milliseconds, kept in a growable typed array. */
export class Samples {
  #values = new Float64Array(1 << 16);
  #count = 0;

  add(value: number): void {
    if (this.#count === this.#values.length) {
      const bigger = new Float64Array(this.#values.length * 2);
      bigger.set(this.#values);
      this.#values = bigger;
    }
    this.#values[this.#count++] = value;
  }

  /** The q-th quantile (0..1), or 0 without samples. */
  quantile(q: number): number {
    if (this.#count === 0) return 0;
    const sorted = this.#values.subarray(0, this.#count).sort();
    return sorted[Math.min(this.#count - 1, Math.floor(q * this.#count))]!;
  }
}

/** Prints the result line (with this process's peak RSS) and exits. */
export function printReport(report: LoadReport): never {
  const full: LoadReport = { peakRssBytes: process.resourceUsage().maxRSS * 1024, ...report };
  process.stdout.write(`BENCH ${JSON.stringify(full)}\n`);
  process.exit(0);
}

/** Reads the JSON options object passed as the first argument. */
export function readOptions<T>(): T {
  const raw = process.argv[2];
  if (raw === undefined) throw new Error("usage: <load generator> '<json options>'");
  return JSON.parse(raw) as T;
}
