// Typhoon's AsyncHTTPClient in the HTTP-client bench (API.md, "HTTP client"). maxClients is raised to
// the run's concurrency (Tornado's default of 10 would queue the rest), as a Tornado user would with
// AsyncHTTPClient.configure(None, max_clients=...); raiseError is off so a wrong status is counted.
import { AsyncHTTPClient } from "typhoon";
import { runClientLoad } from "./client-loop.js";

await runClientLoad(({ concurrency }) => {
  const client = new AsyncHTTPClient({ maxClients: concurrency, raiseError: false });
  return {
    async fetchOnce(url) {
      const response = await client.fetch(url);
      return { status: response.code, body: response.body.toString() };
    },
    close: () => client.close(),
  };
});
