// Tests of reading request data in handlers: body arguments, files, getJsonBody, bodyLimits,
// multipartParts, and hostile bodies over raw sockets. Mirrors tornado/test/httpserver_test.py
// (HTTPConnectionTest.test_multipart_form, HTTPServerTest.test_empty_post_parameters,
// test_post_encodings) and tornado/test/web_test.py (WSGISafeWebTest argument tests).
import assert from "node:assert/strict";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { after, before, describe, test } from "node:test";
import { Application, appLog, genLog, HTTPError, LogLevel, RequestHandler, type LogRecord } from "typhoon";
import { rawRequest, serve, statusOf, type Served } from "../helpers.js";

const FORM = { "Content-Type": "application/x-www-form-urlencoded" };

function multipartBody(boundary: string, parts: { name: string; filename?: string; type?: string; content: string | Buffer }[]): Buffer {
  const pieces: Buffer[] = [];
  for (const part of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"`;
    if (part.filename !== undefined) head += `; filename="${part.filename}"`;
    head += "\r\n";
    if (part.type) head += `Content-Type: ${part.type}\r\n`;
    pieces.push(Buffer.from(`${head}\r\n`), Buffer.from(part.content), Buffer.from("\r\n"));
  }
  pieces.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(pieces);
}

/** Runs `fn`, swallowing the warnings and errors Typhoon logs meanwhile, and returns them with fn's result. */
async function collectLogs<T>(fn: () => Promise<T>): Promise<[T, LogRecord[]]> {
  const records: LogRecord[] = [];
  const take = (record: LogRecord) => {
    if (record.level < LogLevel.WARNING) return false;
    records.push(record);
    return true;
  };
  const stops = [genLog.intercept(take), appLog.intercept(take)];
  try {
    return [await fn(), records];
  } finally {
    for (const stop of stops) stop();
  }
}

class EchoHandler extends RequestHandler {
  post() {
    const args = Object.create(null) as Record<string, string[]>;
    for (const name in this.request.arguments) args[name] = this.getArguments(name);
    const files: Record<string, { filename: string; body: string; contentType: string }[]> = {};
    for (const name in this.request.files) {
      files[name] = this.request.files[name]!.map((file) => ({ filename: file.filename, body: file.body.toString(), contentType: file.contentType }));
    }
    this.write({ args, files });
  }
}

class JsonHandler extends RequestHandler {
  post() {
    const body = this.getJsonBody<Record<string, unknown>>();
    assert.equal(this.getJsonBody(), body, "parsed once");
    this.write({ keys: Object.keys(body), body: this.getArgument("echo", "") ? body : null });
  }
}

class SmallJsonHandler extends JsonHandler {
  static bodyLimits = { maxJsonSize: 16 };
}

describe("body arguments and files", () => {
  const app = new Application([["/echo", EchoHandler]]);

  test("HTTPServerTest.test_empty_post_parameters", async () => {
    const response = await app.inject({ method: "POST", url: "/echo", body: "foo=&bar=", headers: FORM });
    assert.deepEqual(response.json(), { args: { foo: [""], bar: [""] }, files: {} });
  });

  test("HTTPServerTest.test_post_encodings (UTF-8; Typhoon decodes arguments as UTF-8 only)", async () => {
    for (const body of ["data=chinese: 张三", `data=${encodeURIComponent("chinese: 张三")}`]) {
      const response = await app.inject({ method: "POST", url: "/echo", body: Buffer.from(body), headers: FORM });
      assert.deepEqual((response.json() as { args: unknown }).args, { data: ["chinese: 张三"] });
    }
  });

  test("HTTPConnectionTest.test_multipart_form: Latin-1 header, UTF-8 argument, filename and file body", async () => {
    const served = await serve(
      new Application([
        [
          "/multipart",
          class extends RequestHandler {
            post() {
              const file = this.request.files["files"]![0]!;
              void this.finish({
                header: this.request.headers.get("X-Header-Encoding-Test"),
                argument: this.getArgument("argument"),
                filename: file.filename,
                filebody: file.body.toString("utf8"),
              });
            }
          },
        ],
      ]),
    );
    try {
      // Tornado's test omits the first boundary (its parser takes the preamble as a part);
      // busboy, as RFC 2046, ignores a preamble, so the body here starts with the boundary.
      const body = Buffer.concat([
        Buffer.from("--1234567890\r\nContent-Disposition: form-data; name=argument\r\n\r\n"),
        Buffer.from("\u00e1", "utf8"),
        Buffer.from("\r\n--1234567890\r\n"),
        Buffer.from('Content-Disposition: form-data; name="files"; filename="\u00f3"', "utf8"),
        Buffer.from("\r\n\r\n"),
        Buffer.from("\u00fa", "utf8"),
        Buffer.from("\r\n--1234567890--\r\n"),
      ]);
      const raw = await rawRequest(
        served.port,
        Buffer.concat([
          Buffer.from(
            `POST /multipart HTTP/1.0\r\nContent-Type: multipart/form-data; boundary=1234567890\r\nX-Header-encoding-test: \xe9\r\nContent-Length: ${body.length}\r\n\r\n`,
            "latin1",
          ),
          body,
        ]),
      );
      const json = Buffer.from(raw.slice(raw.indexOf("\r\n\r\n") + 4), "latin1").toString("utf8");
      assert.deepEqual(JSON.parse(json), { header: "\u00e9", argument: "\u00e1", filename: "\u00f3", filebody: "\u00fa" });
    } finally {
      await served.close();
    }
  });

  test("multipart fields merge with query arguments; files keep their content type", async () => {
    const body = multipartBody("XyZ", [
      { name: "a", content: "body" },
      { name: "up", filename: "notes.txt", type: "text/plain", content: "line 1\r\nline 2" },
    ]);
    const response = await app.inject({ method: "POST", url: "/echo?a=query", body, headers: { "Content-Type": "multipart/form-data; boundary=XyZ" } });
    assert.deepEqual(response.json(), {
      args: { a: ["query", "body"] },
      files: { up: [{ filename: "notes.txt", body: "line 1\r\nline 2", contentType: "text/plain" }] },
    });
  });

  test("strip semantics: Python's whitespace is stripped, control characters become spaces", async () => {
    class StripHandler extends RequestHandler {
      get() {
        this.write({ stripped: this.getArgument("v"), raw: this.getArgument("v", null, false) });
      }
    }
    const stripApp = new Application([["/", StripHandler]]);
    const response = await stripApp.inject({ url: `/?v=${encodeURIComponent("\x85\u3000 a\x01b \ufeff")}` });
    assert.deepEqual(response.json(), { stripped: "a b \ufeff", raw: "\x85\u3000 a b \ufeff" });
  });

  test("__proto__ and constructor as argument names are plain names", async () => {
    const response = await app.inject({ method: "POST", url: "/echo?__proto__=q", body: "constructor=b&__proto__=c", headers: FORM });
    const args = (JSON.parse(response.text) as { args: Record<string, string[]> }).args;
    assert.deepEqual(Object.entries(args), [
      ["__proto__", ["q", "c"]],
      ["constructor", ["b"]],
    ]);
  });
});

describe("getJsonBody", () => {
  const app = new Application(
    [
      ["/json", JsonHandler],
      ["/small", SmallJsonHandler],
    ],
    { bodyLimits: { maxJsonSize: 200_000 } },
  );
  const post = (url: string, body: string | Buffer, contentType = "application/json") =>
    app.inject({ method: "POST", url, body: Buffer.from(body), headers: { "Content-Type": contentType } });

  test("an object or array, parsed once", async () => {
    assert.deepEqual((await post("/json?echo=1", '{"a": 1, "b": [true]}')).json(), { keys: ["a", "b"], body: { a: 1, b: [true] } });
  });

  test("415 for another content type; 400 for invalid, empty or non-object JSON, each with its reason", async () => {
    const cases: [string, string, number, RegExp][] = [
      ['{"a":1}', "text/plain", 415, /Expected a JSON body/],
      ['{"a":1}', "application/x-www-form-urlencoded", 415, /Expected a JSON body/],
      ["{", "application/json", 400, /Invalid JSON body/],
      ["", "application/json", 400, /Empty JSON body/],
      ['"a string"', "application/json", 400, /must be an object or an array/],
      ["null", "application/json", 400, /must be an object or an array/],
    ];
    for (const [body, type, status, reason] of cases) {
      const [response, logs] = await collectLogs(() => post("/json", body, type));
      assert.equal(response.code, status, `${type} ${body}`);
      assert.match(response.text, reason);
      assert.equal(logs.length, 1, logs.map((record) => record.message).join("\n"));
    }
  });

  test("bodyLimits: the application's maxJsonSize, and a handler's static bodyLimits over it", async () => {
    const nested = "[".repeat(50_000) + "]".repeat(50_000);
    assert.equal((await post("/json", `{"deep": ${nested}}`)).code, 200);
    const [tooLarge] = await collectLogs(() => post("/json", `{"a": "${"x".repeat(200_000)}"}`));
    assert.equal(tooLarge.code, 413);
    const [small] = await collectLogs(() => post("/small", '{"a": "0123456789"}'));
    assert.equal(small.code, 413);
    assert.equal((await post("/small", '{"a": 1}')).code, 200);
  });

  test("__proto__ keys are a 400 and never pollute", async () => {
    const [response] = await collectLogs(() => post("/json", '{"__proto__": {"isAdmin": true}}'));
    assert.equal(response.code, 400);
    assert.equal(({} as Record<string, unknown>)["isAdmin"], undefined);
  });
});

describe("bodyLimits for form bodies", () => {
  class ManyPartsHandler extends EchoHandler {
    static bodyLimits = { maxParts: 500, maxFields: 500 };
  }
  const app = new Application(
    [
      ["/echo", EchoHandler],
      ["/many", ManyPartsHandler],
    ],
    { bodyLimits: { maxFields: 5 } },
  );
  const parts = (count: number) => multipartBody("b", Array.from({ length: count }, (_, i) => ({ name: `f${i}`, content: "x" })));

  test("the application's maxFields applies to query strings and form bodies", async () => {
    const [query] = await collectLogs(() => app.inject({ method: "POST", url: `/echo?${"a=1&".repeat(6)}` }));
    assert.equal(query.code, 400);
    const [form] = await collectLogs(() => app.inject({ method: "POST", url: "/echo", body: "a=1&".repeat(6), headers: FORM }));
    assert.equal(form.code, 400);
    assert.equal((await app.inject({ method: "POST", url: "/echo", body: "a=1&".repeat(5), headers: FORM })).code, 200);
  });

  test("a handler's static bodyLimits raise them for that handler only", async () => {
    const headers = { "Content-Type": "multipart/form-data; boundary=b" };
    const [limited] = await collectLogs(() => app.inject({ method: "POST", url: "/echo", body: parts(200), headers }));
    assert.equal(limited.code, 413);
    const response = await app.inject({ method: "POST", url: "/many", body: parts(200), headers });
    assert.equal(Object.keys((response.json() as { args: object }).args).length, 200);
  });
});

describe("multipartParts()", () => {
  let served: Served;
  let directory: string;

  class UploadHandler extends RequestHandler {
    static streamRequestBody = true;
    static bodyLimits = { maxFileSize: 1024 * 1024 };
    async post() {
      const seen: unknown[] = [];
      for await (const part of this.multipartParts()) {
        if (part.filename !== undefined) {
          const path = join(directory, `${this.getArgument("prefix", "f")}-${part.name}`);
          await pipeline(part.stream, createWriteStream(path));
          seen.push({ name: part.name, filename: part.filename, contentType: part.contentType, size: (await stat(path)).size });
        } else {
          seen.push({ name: part.name, value: part.value });
        }
      }
      this.write({ seen });
    }
  }
  class FirstOnlyHandler extends RequestHandler {
    static streamRequestBody = true;
    async post() {
      for await (const part of this.multipartParts()) {
        this.write({ first: part.name });
        break;
      }
    }
  }
  class SkipHandler extends RequestHandler {
    static streamRequestBody = true;
    async post() {
      const names: string[] = [];
      for await (const part of this.multipartParts()) names.push(part.name);
      this.write({ names });
    }
  }
  class BufferedPartsHandler extends RequestHandler {
    async post() {
      const texts: string[] = [];
      for await (const part of this.multipartParts()) texts.push(await part.text());
      this.write({ texts });
    }
  }

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), "typhoon-upload-"));
    served = await serve(
      new Application([
        ["/upload", UploadHandler],
        ["/first", FirstOnlyHandler],
        ["/skip", SkipHandler],
        ["/buffered", BufferedPartsHandler],
      ]),
    );
  });
  after(async () => {
    await served.close();
    await rm(directory, { recursive: true, force: true });
  });

  const postMultipart = (path: string, body: Buffer, boundary = "b") =>
    fetch(served.url(path), { method: "POST", body, headers: { "Content-Type": `multipart/form-data; boundary=${boundary}` } });

  test("fields and files in order; files streamed to disk", async () => {
    const content = Buffer.alloc(300_000, 7);
    const response = await postMultipart(
      "/upload?prefix=a",
      multipartBody("b", [
        { name: "title", content: "héllo" },
        { name: "doc", filename: "doc.bin", type: "application/octet-stream", content },
        { name: "after", content: "1" },
      ]),
    );
    assert.deepEqual(await response.json(), {
      seen: [
        { name: "title", value: "héllo" },
        { name: "doc", filename: "doc.bin", contentType: "application/octet-stream", size: 300_000 },
        { name: "after", value: "1" },
      ],
    });
    assert.deepEqual(await readFile(join(directory, "a-doc")), content);
  });

  test("a browser's FormData", async () => {
    const form = new FormData();
    form.append("name", "typhoon");
    form.append("file", new Blob(["file content"], { type: "text/plain" }), "a.txt");
    const response = await fetch(served.url("/upload?prefix=fd"), { method: "POST", body: form });
    assert.deepEqual(await response.json(), {
      seen: [
        { name: "name", value: "typhoon" },
        { name: "file", filename: "a.txt", contentType: "text/plain", size: 12 },
      ],
    });
  });

  test("a file over maxFileSize is a 413; logged once; the server keeps serving", async () => {
    const body = multipartBody("b", [{ name: "big", filename: "big.bin", content: Buffer.alloc(2 * 1024 * 1024) }]);
    const [response, logs] = await collectLogs(() => postMultipart("/upload", body));
    assert.equal(response.status, 413);
    assert.equal(logs.length, 1, logs.map((record) => record.message).join("\n"));
    assert.match(logs[0]!.message, /maxFileSize/);
    assert.equal((await postMultipart("/skip", multipartBody("b", [{ name: "ok", content: "1" }]))).status, 200);
  });

  test("unread parts are skipped; stopping early answers and closes the connection", async () => {
    const body = multipartBody("b", [
      { name: "one", filename: "1.bin", content: Buffer.alloc(200_000) },
      { name: "two", content: "x" },
      { name: "three", filename: "3.bin", content: Buffer.alloc(200_000) },
    ]);
    assert.deepEqual(await (await postMultipart("/skip", body)).json(), { names: ["one", "two", "three"] });
    const first = await postMultipart("/first", body);
    assert.deepEqual(await first.json(), { first: "one" });
    assert.equal(first.headers.get("connection"), "close");
  });

  test("malformed and truncated bodies are 400; a non-multipart body is 415", async () => {
    const truncated = Buffer.from('--b\r\nContent-Disposition: form-data; name="a"\r\n\r\nhalf of it');
    const [response] = await collectLogs(() => postMultipart("/skip", truncated));
    assert.equal(response.status, 400);
    const [malformed] = await collectLogs(() => postMultipart("/skip", Buffer.from(`--b\r\nBad Header Line\r\n\r\nx\r\n--b--`)));
    assert.equal(malformed.status, 400);
    const [notMultipart] = await collectLogs(() => fetch(served.url("/skip"), { method: "POST", body: "a=1", headers: FORM }));
    assert.equal(notMultipart.status, 415);
  });

  test("in a handler that does not stream, the buffered body is parsed", async () => {
    const body = multipartBody("b", [
      { name: "a", content: "first" },
      { name: "b", filename: "b.txt", content: "second" },
    ]);
    assert.deepEqual(await (await postMultipart("/buffered", body)).json(), { texts: ["first", "second"] });
  });

  test("file parts can be piped from disk back and forth", async () => {
    const source = join(directory, "a-doc");
    const chunks: Buffer[] = [];
    for await (const chunk of createReadStream(source)) chunks.push(chunk as Buffer);
    assert.equal(Buffer.concat(chunks).length, 300_000);
  });
});

describe("hostile bodies over raw sockets: the right status, at most one log line, the next request succeeds", () => {
  let served: Served;

  class JsonEcho extends RequestHandler {
    post() {
      this.write({ keys: Object.keys(this.getJsonBody<object>()) });
    }
  }
  class Streamer extends RequestHandler {
    static streamRequestBody = true;
    async post() {
      let count = 0;
      for await (const part of this.multipartParts()) {
        count++;
        part.stream.resume();
      }
      this.write({ count });
    }
  }
  class Fail extends RequestHandler {
    post() {
      throw new HTTPError(500);
    }
  }

  before(async () => {
    served = await serve(
      new Application([
        ["/echo", EchoHandler],
        ["/json", JsonEcho],
        ["/stream", Streamer],
        ["/fail", Fail],
      ]),
    );
  });
  after(() => served.close());

  const send = (head: string, body: string | Buffer = "") => {
    const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body, "latin1");
    return rawRequest(
      served.port,
      Buffer.concat([Buffer.from(`${head}\r\nHost: x\r\nConnection: close\r\nContent-Length: ${bytes.length}\r\n\r\n`, "latin1"), bytes]),
      5000,
    );
  };
  const form = (path: string, type: string, body: string | Buffer) => send(`POST ${path} HTTP/1.1\r\nContent-Type: ${type}`, body);
  const tinyParts = `${'--b\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n'.repeat(10_000)}--b--\r\n`;

  const cases: [string, () => Promise<string>, number][] = [
    ["truncated multipart", () => form("/echo", "multipart/form-data; boundary=b", '--b\r\nContent-Disposition: form-data; name="a"\r\n\r\nhal'), 400],
    ["multipart without a boundary", () => form("/echo", "multipart/form-data", "--b--\r\n"), 400],
    ["multipart with an empty boundary parameter", () => form("/echo", "multipart/form-data; boundary=", "--b--\r\n"), 400],
    ["the boundary inside content", () => form("/echo", "multipart/form-data; boundary=b", '--b\r\nContent-Disposition: form-data; name="a"\r\n\r\nx--by\r\n--b--\r\n'), 200],
    ["10,000 tiny parts (buffered)", () => form("/echo", "multipart/form-data; boundary=b", tinyParts), 413],
    ["10,000 tiny parts (streamed)", () => form("/stream", "multipart/form-data; boundary=b", tinyParts), 413],
    ["urlencoded with 100,000 pairs", () => form("/echo", "application/x-www-form-urlencoded", "a=1&".repeat(100_000)), 400],
    ["invalid percent-encoding", () => form("/echo", "application/x-www-form-urlencoded", "a=%zz%&b=%4"), 200],
    ["invalid UTF-8, percent-encoded", () => form("/echo", "application/x-www-form-urlencoded", "a=%ff%fe"), 400],
    ["invalid UTF-8, raw", () => form("/echo", "application/x-www-form-urlencoded", "a=\xff\xfe"), 400],
    ["invalid UTF-8 in a multipart field", () => form("/echo", "multipart/form-data; boundary=b", '--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n\xff\r\n--b--\r\n'), 400],
    ["JSON that is not an object", () => form("/json", "application/json", "42"), 400],
    ["deeply nested JSON", () => form("/json", "application/json", `{"a": ${"[".repeat(100_000)}${"]".repeat(100_000)}}`), 200],
    ["deeply nested JSON over the size limit", () => form("/json", "application/json", `${"[".repeat(600_000)}${"]".repeat(600_000)}`), 413],
    ["__proto__ in JSON", () => form("/json", "application/json", '{"a": {"__proto__": {"polluted": true}}}'), 400],
    ["__proto__ in a form", () => form("/echo", "application/x-www-form-urlencoded", "__proto__[polluted]=1&__proto__=x"), 200],
    ["duplicate Content-Length", () => rawRequest(served.port, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"), 400],
    ["a gzip body without decompressRequest", () => send("POST /echo HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Encoding: gzip", "a=1"), 400],
  ];

  for (const [name, run, status] of cases) {
    test(`${name}: ${status}`, async () => {
      const [raw, logs] = await collectLogs(run);
      assert.equal(statusOf(raw), status, raw.slice(0, 300));
      assert.ok(logs.length <= 1, logs.map((record) => record.message).join("\n"));
      assert.ok(!/Uncaught exception/.test(logs.map((record) => record.message).join("\n")), "no 500");
      assert.equal(({} as Record<string, unknown>)["polluted"], undefined);
      const next = await send("POST /echo HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded", "ok=1");
      assert.equal(statusOf(next), 200);
    });
  }
});

describe("DecodeArgHandler (web_test.py WSGISafeWebTest)", () => {
  class DecodeArgHandler extends RequestHandler {
    get(arg: string) {
      this.write({ path: arg, query: this.getArgument("foo") });
    }
  }
  const app = new Application([
    ["/decode_arg/(.*)", DecodeArgHandler],
    ["/typecheck/(.*)", DecodeArgHandler],
  ]);

  test("test_decode_argument_plus: '+' is a space in the query, a plus in the path", async () => {
    for (const url of ["/decode_arg/1%20%2B%201?foo=1%20%2B%201", "/decode_arg/1%20+%201?foo=1+%2B+1"]) {
      assert.deepEqual((await app.inject({ url })).json(), { path: "1 + 1", query: "1 + 1" }, url);
    }
  });

  test("test_decode_argument_invalid_unicode: 400, not 500, logged once each", async () => {
    for (const url of ["/typecheck/invalid%FF?foo=x", "/typecheck/invalid?foo=%FF"]) {
      const [response, logs] = await collectLogs(() => app.inject({ url }));
      assert.equal(response.code, 400, url);
      assert.equal(logs.length, 1, url);
      assert.match(logs[0]!.message, /Invalid unicode/);
    }
  });
});
