// One request sent outside the load generator, to check a server's answer before it is measured.
import http from "node:http";

/** A request as the load generator will repeat it. */
export interface HttpRequestSpec {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** What came back. */
export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** Sends `spec` to 127.0.0.1:`port` on a fresh connection and collects the whole answer. */
export function sendOnce(port: number, spec: HttpRequestSpec, timeoutMs = 5000): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...spec.headers };
    if (spec.body !== undefined) headers["Content-Length"] = Buffer.byteLength(spec.body);
    const request = http.request(
      { host: "127.0.0.1", port, method: spec.method, path: spec.path, headers, agent: false, timeout: timeoutMs },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }),
        );
        response.on("error", reject);
      },
    );
    request.on("timeout", () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on("error", reject);
    request.end(spec.body);
  });
}

/** A short, printable excerpt of a body for error messages. */
export function excerpt(body: Buffer | string, length = 120): string {
  const text = typeof body === "string" ? body : body.toString("utf8");
  const flat = text.replace(/\s+/g, " ").trim();
  return JSON.stringify(flat.length > length ? `${flat.slice(0, length)}…` : flat);
}
