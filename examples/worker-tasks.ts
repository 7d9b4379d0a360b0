// The CPU-heavy work of examples/worker.ts: a plain module whose exports run on worker threads
// (runInWorker loads it there by URL). Nothing here touches the server.

/** What {@link searchPrimes} found. */
export interface PrimeSearch {
  /** Primes found. */
  count: number;
  /** The largest of them. */
  largest: number;
  /** Seconds spent. */
  seconds: number;
}

function isPrime(n: number): boolean {
  if (n < 4) return n > 1;
  if (n % 2 === 0) return false;
  for (let divisor = 3; divisor * divisor <= n; divisor += 2) {
    if (n % divisor === 0) return false;
  }
  return true;
}

/**
 * A deliberately slow computation: searches primes by trial division, 2, 3, 5, 7..., and keeps
 * the CPU busy for `seconds` seconds whatever the machine's speed. It never yields: run on the
 * event loop, it would stall every other request for that long.
 */
export function searchPrimes(seconds: number): PrimeSearch {
  const start = performance.now();
  const deadline = start + seconds * 1000;
  let count = 0;
  let largest = 0;
  for (let n = 2; ; n++) {
    if (isPrime(n)) {
      count++;
      largest = n;
    }
    if (n % 4096 === 0 && performance.now() >= deadline) break;
  }
  return { count, largest, seconds: (performance.now() - start) / 1000 };
}
