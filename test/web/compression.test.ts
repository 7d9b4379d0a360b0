// Tests of response compression (compressResponse / gzip). Mirrors tornado/test/web_test.py::GzipTestCase
// and WSGISafeWebTest.test_no_gzip.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { brotliDecompressSync, createGunzip, gunzipSync, gzipSync } from "node:zlib";
import { Application, isCompressibleType, negotiateContentCoding, RequestHandler } from "typhoon";
import { serve } from "../helpers.js";

const MIN_LENGTH = 1024;

class Handler extends RequestHandler {
  get() {
    for (const vary of this.getArguments("vary")) this.addHeader("Vary", vary);
    // Must write at least MIN_LENGTH bytes to activate compression.
    this.write(`hello world${"!".repeat(MIN_LENGTH)}`);
  }
}
class SmallHandler extends RequestHandler {
  get() {
    this.write("small");
  }
}
class ImageHandler extends RequestHandler {
  get() {
    this.setHeader("Content-Type", "image/png");
    this.write(Buffer.alloc(4096));
  }
}
class JsonHandler extends RequestHandler {
  get() {
    this.write({ items: Array.from({ length: 200 }, (_, i) => ({ i, name: `item ${i}` })) });
  }
}
class PrecompressedHandler extends RequestHandler {
  get() {
    this.setHeader("Content-Encoding", "gzip");
    this.setHeader("Content-Type", "text/plain");
    this.write(gzipSync("already compressed"));
  }
}
class LargeHandler extends RequestHandler {
  get() {
    this.setHeader("Content-Type", "text/plain");
    this.write("0123456789abcdef".repeat(16 * 1024));
  }
}
class FlushHandler extends RequestHandler {
  async get() {
    this.setHeader("Content-Type", "text/plain");
    this.write("first part;");
    await this.flush();
    this.write("second part");
  }
}
class ErrorHandler extends RequestHandler {
  get() {
    this.sendError(404);
  }
}

const app = new Application(
  [
    ["/", Handler],
    ["/small", SmallHandler],
    ["/image", ImageHandler],
    ["/json", JsonHandler],
    ["/precompressed", PrecompressedHandler],
    ["/large", LargeHandler],
    ["/flush", FlushHandler],
    ["/error", ErrorHandler],
  ],
  { gzip: true },
);

function varyList(value: string | undefined): string[] {
  return (value ?? "").split(",").map((item) => item.trim());
}

describe("GzipTestCase (web_test.py)", () => {
  test("test_gzip: compressed, with Vary: Accept-Encoding", async () => {
    const response = await app.inject({ url: "/", headers: { "Accept-Encoding": "gzip" } });
    assert.equal(response.headers.get("Content-Encoding"), "gzip");
    assert.equal(response.headers.get("Vary"), "Accept-Encoding");
    assert.equal(gunzipSync(response.body).toString(), `hello world${"!".repeat(MIN_LENGTH)}`);
    assert.equal(Number(response.headers.get("Content-Length")), response.body.length);
  });

  test("test_gzip_not_requested: not compressed, Vary still set", async () => {
    const response = await app.inject({ url: "/" });
    assert.equal(response.headers.get("Content-Encoding"), undefined);
    assert.equal(response.headers.get("Vary"), "Accept-Encoding");
    assert.equal(response.text, `hello world${"!".repeat(MIN_LENGTH)}`);
  });

  test("test_vary_already_present", async () => {
    const response = await app.inject({ url: "/?vary=Accept-Language", headers: { "Accept-Encoding": "gzip" } });
    assert.equal(response.headers.get("Content-Encoding"), "gzip");
    assert.deepEqual(varyList(response.headers.get("Vary")), ["Accept-Language", "Accept-Encoding"]);
  });

  test("test_vary_already_present_multiple", async () => {
    const response = await app.inject({ url: "/?vary=Accept-Language&vary=Cookie", headers: { "Accept-Encoding": "gzip" } });
    assert.equal(response.headers.get("Content-Encoding"), "gzip");
    assert.deepEqual(varyList(response.headers.get("Vary")), ["Accept-Language", "Cookie", "Accept-Encoding"]);
  });

  test("test_gzip_static (streamed response): compressed as it is flushed", async () => {
    const response = await app.inject({ url: "/flush", headers: { "Accept-Encoding": "gzip" } });
    assert.equal(response.headers.get("Content-Encoding"), "gzip");
    assert.equal(response.headers.get("Content-Length"), undefined);
    assert.equal(gunzipSync(response.body).toString(), "first part;second part");
  });
});

describe("WSGISafeWebTest.test_no_gzip (web_test.py)", () => {
  test("without the setting: no Vary, no compression", async () => {
    const plain = new Application([["/", Handler]]);
    const response = await plain.inject({ url: "/", headers: { "Accept-Encoding": "gzip, br" } });
    assert.equal(response.headers.get("Vary"), undefined);
    assert.equal(response.headers.get("Content-Encoding"), undefined);
  });
});

describe("compression beyond Tornado", () => {
  test("brotli when the client accepts it and prefers it (or ties)", async () => {
    const response = await app.inject({ url: "/json", headers: { "Accept-Encoding": "gzip, deflate, br" } });
    assert.equal(response.headers.get("Content-Encoding"), "br");
    assert.equal((JSON.parse(brotliDecompressSync(response.body).toString()) as { items: unknown[] }).items.length, 200);
    const gz = await app.inject({ url: "/json", headers: { "Accept-Encoding": "br;q=0.5, gzip" } });
    assert.equal(gz.headers.get("Content-Encoding"), "gzip");
  });

  test("small bodies, other types, and 404 pages under 1 KiB are sent as they are", async () => {
    for (const url of ["/small", "/image", "/error"]) {
      const response = await app.inject({ url, headers: { "Accept-Encoding": "gzip" } });
      assert.equal(response.headers.get("Content-Encoding"), undefined, url);
      assert.equal(response.headers.get("Vary"), "Accept-Encoding", url);
    }
  });

  test("never double-compressed: a body with its own Content-Encoding is left alone", async () => {
    const response = await app.inject({ url: "/precompressed", headers: { "Accept-Encoding": "gzip, br" } });
    assert.equal(response.headers.get("Content-Encoding"), "gzip");
    assert.equal(gunzipSync(response.body).toString(), "already compressed");
  });

  test("a large body is compressed off the event loop, with the right Content-Length", async () => {
    const response = await app.inject({ url: "/large", headers: { "Accept-Encoding": "gzip" } });
    assert.equal(response.headers.get("Content-Encoding"), "gzip");
    assert.equal(Number(response.headers.get("Content-Length")), response.body.length);
    assert.equal(gunzipSync(response.body).toString(), "0123456789abcdef".repeat(16 * 1024));
  });

  test("ETag: weak on the compressed response; If-None-Match gives 304 with or without compression", async () => {
    const plain = await app.inject({ url: "/" });
    const compressed = await app.inject({ url: "/", headers: { "Accept-Encoding": "gzip" } });
    const strong = plain.headers.get("Etag")!;
    assert.match(strong, /^"[0-9a-f]{40}"$/);
    assert.equal(compressed.headers.get("Etag"), `W/${strong}`);
    for (const [tag, accept] of [
      [strong, "gzip"],
      [`W/${strong}`, "gzip"],
      [`W/${strong}`, ""],
    ] as const) {
      const response = await app.inject({ url: "/", headers: { "If-None-Match": tag, "Accept-Encoding": accept } });
      assert.equal(response.code, 304, `${tag} ${accept}`);
      assert.equal(response.body.length, 0);
      assert.equal(response.headers.get("Content-Encoding"), undefined);
    }
  });

  test("HEAD gets the headers GET would get", async () => {
    class HeadHandler extends Handler {
      head() {
        this.get();
      }
    }
    const headApp = new Application([["/", HeadHandler]], { compressResponse: true });
    const get = await headApp.inject({ url: "/", headers: { "Accept-Encoding": "gzip" } });
    const head = await headApp.inject({ method: "HEAD", url: "/", headers: { "Accept-Encoding": "gzip" } });
    assert.equal(head.headers.get("Content-Encoding"), "gzip");
    assert.equal(head.headers.get("Content-Length"), get.headers.get("Content-Length"));
    assert.equal(head.body.length, 0);
  });

  test("flush(): each flushed piece can be decompressed as it arrives (works for long polls)", async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    class PollHandler extends RequestHandler {
      async get() {
        this.setHeader("Content-Type", "text/plain");
        this.write("event one\n");
        await this.flush();
        await released;
        this.write("event two\n");
      }
    }
    const served = await serve(new Application([["/", PollHandler]], { compressResponse: true }));
    try {
      const response = await fetch(served.url("/"), { headers: { "Accept-Encoding": "gzip" } });
      assert.equal(response.headers.get("content-encoding"), "gzip");
      // fetch decodes gzip itself; reading the first piece before the handler writes the second
      // proves the compressor flushed it.
      const reader = response.body!.getReader();
      const first = await reader.read();
      assert.equal(new TextDecoder().decode(first.value), "event one\n");
      release();
      let rest = "";
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += new TextDecoder().decode(chunk.value);
      assert.equal(rest, "event two\n");
    } finally {
      release();
      await served.close();
    }
  });

  test("a gunzip stream reading the raw bytes sees the first piece before the end", async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    class PollHandler extends RequestHandler {
      async get() {
        this.setHeader("Content-Type", "text/plain");
        this.write("x".repeat(10));
        await this.flush();
        await released;
      }
    }
    const served = await serve(new Application([["/", PollHandler]], { compressResponse: true }));
    try {
      const { request } = await import("node:http");
      const text = await new Promise<string>((resolve, reject) => {
        request(served.url("/"), { headers: { "Accept-Encoding": "gzip" } }, (res) => {
          const gunzip = createGunzip();
          res.pipe(gunzip);
          gunzip.once("data", (chunk: Buffer) => resolve(chunk.toString()));
          gunzip.once("error", reject);
        })
          .on("error", reject)
          .end();
      });
      assert.equal(text, "x".repeat(10));
    } finally {
      release();
      await served.close();
    }
  });
});

describe("negotiateContentCoding, isCompressibleType, Vary", () => {
  test("q-values, wildcards, refusals", () => {
    assert.equal(negotiateContentCoding(undefined), null);
    assert.equal(negotiateContentCoding(""), null);
    assert.equal(negotiateContentCoding("identity"), null);
    assert.equal(negotiateContentCoding("gzip"), "gzip");
    assert.equal(negotiateContentCoding("GZIP"), "gzip");
    assert.equal(negotiateContentCoding("x-gzip"), "gzip");
    assert.equal(negotiateContentCoding("br"), "br");
    assert.equal(negotiateContentCoding("gzip, deflate, br, zstd"), "br");
    assert.equal(negotiateContentCoding("gzip;q=1.0, br;q=0.8"), "gzip");
    assert.equal(negotiateContentCoding("br;q=0, gzip;q=0.1"), "gzip");
    assert.equal(negotiateContentCoding("gzip;q=0"), null);
    assert.equal(negotiateContentCoding("*"), "br");
    assert.equal(negotiateContentCoding("*;q=0.5, br;q=0"), "gzip");
    assert.equal(negotiateContentCoding("deflate"), null);
    assert.equal(negotiateContentCoding("gzip;q=abc"), "gzip");
  });

  test("Tornado's compressible types", () => {
    for (const type of ["text/html; charset=UTF-8", "text/css", "application/json; charset=UTF-8", "application/javascript", "image/svg+xml", "APPLICATION/XML"]) {
      assert.equal(isCompressibleType(type), true, type);
    }
    for (const type of ["image/png", "application/octet-stream", "video/mp4", undefined]) assert.equal(isCompressibleType(type), false, String(type));
  });

  test("Vary is extended once; Vary: * stays", async () => {
    const once = await app.inject({ url: "/?vary=accept-encoding", headers: { "Accept-Encoding": "gzip" } });
    assert.equal(once.headers.get("Vary"), "accept-encoding");
    const star = await app.inject({ url: "/?vary=*", headers: { "Accept-Encoding": "gzip" } });
    assert.equal(star.headers.get("Vary"), "*");
  });
});
