// Micro-benchmark of the HTTP client: AsyncHTTPClient.fetch against bare undici.request (the library
// under it), 64 requests in flight, for a small response from a local node:http server running in
// its own process. Rounds alternate between the two clients; the best round of each is kept.
// Budget (docs/httpclient.md): AsyncHTTPClient ≥ 0.9× undici.request.
// Run: node --conditions=typhoon-source --import tsx bench/httpclient-micro.ts [--seconds 3] [--rounds 3] [--concurrency 64]
import { spawn } from "node:child_process";
import { once } from "node:events";
import { parseArgs } from "node:util";
import { Agent, request } from "undici";
import { AsyncHTTPClient } from "typhoon/httpclient";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "3" },
    rounds: { type: "string", default: "3" },
    concurrency: { type: "string", default: "64" },
  },
});
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const concurrency = Number(values.concurrency);
const BODY = "Hello, world!";

const SERVER = `
const { createServer } = require("node:http");
const body = Buffer.from(${JSON.stringify(BODY)});
const server = createServer((req, res) => {
  res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": body.length });
  res.end(body);
});
server.keepAliveTimeout = 60000;
server.listen(0, "127.0.0.1", () => process.stdout.write(server.address().port + "\\n"));
`;

const server = spawn(process.execPath, ["-e", SERVER], { stdio: ["ignore", "pipe", "inherit"] });
const [portLine] = (await once(server.stdout, "data")) as [Buffer];
const url = `http://127.0.0.1:${portLine.toString().trim()}/`;

type FetchOnce = () => Promise<string>;

/** Runs `concurrency` loops of `fetchOnce` for `seconds` and returns the requests per second. */
async function measure(fetchOnce: FetchOnce, durationSeconds: number): Promise<number> {
  let completed = 0;
  const end = performance.now() + durationSeconds * 1000;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const body = await fetchOnce();
        if (body !== BODY) throw new Error(`unexpected body ${JSON.stringify(body)}`);
        completed++;
      }
    }),
  );
  return completed / ((performance.now() - start) / 1000);
}

const dispatcher = new Agent();
const undiciFetch: FetchOnce = async () => {
  const response = await request(url, { dispatcher });
  return response.body.text();
};

// maxClients raised to the concurrency: Tornado's default of 10 would queue the rest.
const client = new AsyncHTTPClient({ forceInstance: true, maxClients: concurrency });
const typhoonFetch: FetchOnce = async () => (await client.fetch(url)).body.toString();

const results = { undici: [] as number[], typhoon: [] as number[] };
try {
  // Warm-up: connections opened, code optimised.
  await measure(undiciFetch, 1);
  await measure(typhoonFetch, 1);
  for (let round = 0; round < rounds; round++) {
    results.undici.push(await measure(undiciFetch, seconds));
    results.typhoon.push(await measure(typhoonFetch, seconds));
    process.stdout.write(
      `round ${round + 1}: undici.request ${results.undici.at(-1)!.toFixed(0)} req/s, ` +
        `AsyncHTTPClient.fetch ${results.typhoon.at(-1)!.toFixed(0)} req/s\n`,
    );
  }
} finally {
  await client.close();
  await dispatcher.close();
  server.kill();
}

const bestUndici = Math.max(...results.undici);
const bestTyphoon = Math.max(...results.typhoon);
const ratio = bestTyphoon / bestUndici;
process.stdout.write(
  `\nbest of ${rounds} × ${seconds}s, ${concurrency} in flight, ${BODY.length}-byte response:\n` +
    `  undici.request         ${bestUndici.toFixed(0)} req/s\n` +
    `  AsyncHTTPClient.fetch  ${bestTyphoon.toFixed(0)} req/s\n` +
    `  ratio                  ${ratio.toFixed(3)}× (budget ≥ 0.9×: ${ratio >= 0.9 ? "met" : "NOT met"})\n`,
);
