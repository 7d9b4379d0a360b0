// Shared test helpers: a listening server for an application, and raw-socket requests.
import { connect } from "node:net";
import type { Application, HTTPServer, HTTPServerOptions } from "typhoon";

export interface Served {
  server: HTTPServer;
  port: number;
  url: (path: string) => string;
  close: () => Promise<void>;
}

/** Starts `app` on 127.0.0.1 with a free port. */
export async function serve(app: Application, options: HTTPServerOptions = {}): Promise<Served> {
  const server = await app.listen(0, "127.0.0.1", options);
  const port = server.port;
  return {
    server,
    port,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    close: () => server.stop({ timeout: 0 }),
  };
}

/**
 * Sends `data` on a fresh connection and resolves with everything received until the server
 * closes the connection (or `timeoutMs` passes, then with what arrived).
 */
export function rawRequest(port: number, data: string | Buffer, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "ECONNRESET") reject(error);
    });
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString("latin1"));
    });
    socket.write(data);
  });
}

/** The status code of the first response in raw HTTP text. */
export function statusOf(raw: string): number {
  return Number(/^HTTP\/1\.[01] (\d{3})/.exec(raw)?.[1] ?? 0);
}
