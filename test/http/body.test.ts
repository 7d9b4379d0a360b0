// Tests of body parsing: Content-Type, multipart (busboy), urlencoded limits and JSON.
// Mirrors tornado/test/httputil_test.py::MultipartFormDataTest.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  DEFAULT_BODY_LIMITS,
  HTTPInputError,
  HTTPServerRequest,
  parseBodyArguments,
  parseContentType,
  parseJsonBody,
  parseMultipartFormData,
  parseUrlencoded,
  type ArgumentMap,
  type BodyLimits,
  type FileMap,
} from "typhoon";

function crlf(text: string): Buffer {
  return Buffer.from(text.replace(/\n/g, "\r\n"));
}

function multipart(data: Buffer | string, boundary = "1234", limits?: Partial<BodyLimits>) {
  const args = Object.create(null) as ArgumentMap;
  const files = Object.create(null) as FileMap;
  parseMultipartFormData(boundary, typeof data === "string" ? crlf(data) : data, args, files, { ...DEFAULT_BODY_LIMITS, ...limits });
  return { args, files };
}

function rejects(fn: () => unknown, status: number, pattern?: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof HTTPInputError, String(error));
    assert.equal(error.status, status, error.message);
    if (pattern) assert.match(error.message, pattern);
    return true;
  });
}

describe("parseContentType", () => {
  test("type, subtype and parameters, lower-cased names, token and quoted values", () => {
    const parsed = parseContentType('Multipart/Form-Data; Boundary="a \\"b\\" c" ;charset=UTF-8');
    assert.ok(parsed, "parsed");
    assert.equal(parsed.mediaType, "multipart/form-data");
    assert.equal(parsed.type, "multipart");
    assert.equal(parsed.subtype, "form-data");
    assert.deepEqual({ ...parsed.parameters }, { boundary: 'a "b" c', charset: "UTF-8" });
    assert.equal(Object.getPrototypeOf(parsed.parameters), null);
    assert.deepEqual({ ...parseContentType("text/plain;;  ; a=b;")!.parameters }, { a: "b" });
  });

  test("anything outside the grammar is null, never a guess", () => {
    for (const header of [
      "",
      "json",
      "application/",
      "/json",
      "application/json garbage",
      "application/json; charset",
      "application/json; charset=",
      'application/json; charset="utf-8',
      "application/json; a=b c",
      "application/js on",
      "text/plain; a=1; a=2",
      "application/json; x=\x01",
      "app\u00e9/json",
    ]) {
      assert.equal(parseContentType(header), null, JSON.stringify(header));
    }
  });

  test("a long header of separators parses in linear time", () => {
    assert.deepEqual({ ...parseContentType(`text/plain${"; ".repeat(50_000)}`)!.parameters }, {});
    assert.equal(parseContentType(`text/plain; a="${"\\;".repeat(50_000)}`), null);
  });
});

describe("MultipartFormDataTest (httputil_test.py)", () => {
  test("test_file_upload", () => {
    const { files } = multipart('--1234\nContent-Disposition: form-data; name="files"; filename="ab.txt"\n\nFoo\n--1234--');
    assert.equal(files["files"]![0]!.filename, "ab.txt");
    assert.deepEqual(files["files"]![0]!.body, Buffer.from("Foo"));
  });

  test("test_unquoted_names", () => {
    const { files } = multipart("--1234\nContent-Disposition: form-data; name=files; filename=ab.txt\n\nFoo\n--1234--");
    assert.equal(files["files"]![0]!.filename, "ab.txt");
    assert.deepEqual(files["files"]![0]!.body, Buffer.from("Foo"));
  });

  test("test_special_filenames", () => {
    for (const filename of ["a;b.txt", 'a"b.txt', 'a";b.txt', 'a;"b.txt', 'a";";.txt', 'a\\"b.txt', "a\\b.txt"]) {
      const escaped = filename.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
      const { files } = multipart(`--1234\nContent-Disposition: form-data; name="files"; filename="${escaped}"\n\nFoo\n--1234--`);
      assert.equal(files["files"]![0]!.filename, filename);
      assert.deepEqual(files["files"]![0]!.body, Buffer.from("Foo"));
    }
  });

  test("test_non_ascii_filename: filename* (RFC 5987) wins", () => {
    const { files } = multipart(
      "--1234\nContent-Disposition: form-data; name=\"files\"; filename=\"ab.txt\"; filename*=UTF-8''%C3%A1b.txt\n\nFoo\n--1234--",
    );
    assert.equal(files["files"]![0]!.filename, "áb.txt");
  });

  test("a raw UTF-8 filename, as browsers send it", () => {
    const { files } = multipart('--1234\nContent-Disposition: form-data; name="f"; filename="ó.txt"\n\nx\n--1234--');
    assert.equal(files["f"]![0]!.filename, "ó.txt");
  });

  test("test_boundary_starts_and_ends_with_quotes", () => {
    const { files } = multipart('--1234\nContent-Disposition: form-data; name="files"; filename="ab.txt"\n\nFoo\n--1234--', '"1234"');
    assert.equal(files["files"]![0]!.filename, "ab.txt");
  });

  test("test_missing_headers", () => {
    rejects(() => multipart("--1234\n\nFoo\n--1234--"), 400);
  });

  test("test_invalid_content_disposition", () => {
    rejects(() => multipart('--1234\nContent-Disposition: invalid; name="files"; filename="ab.txt"\n\nFoo\n--1234--'), 400, /Content-Disposition/);
  });

  test("test_line_does_not_end_with_correct_line_break", () => {
    rejects(() => multipart('--1234\nContent-Disposition: form-data; name="files"; filename="ab.txt"\n\nFoo--1234--'), 400, /final boundary/);
  });

  test("test_content_disposition_header_without_name_parameter", () => {
    rejects(() => multipart('--1234\nContent-Disposition: form-data; filename="ab.txt"\n\nFoo\n--1234--'), 400, /no name/);
  });

  test("test_data_after_final_boundary", () => {
    const { files } = multipart('--1234\nContent-Disposition: form-data; name="files"; filename="ab.txt"\n\nFoo\n--1234--\n');
    assert.deepEqual(files["files"]![0]!.body, Buffer.from("Foo"));
  });

  test("test_disposition_param_linear_performance: 100,000 ';' in a quoted parameter", () => {
    const message = Buffer.from(
      `--1234\r\nContent-Disposition: form-data; x="${";".repeat(5000)}"; name="files"; filename="a.txt"\r\n\r\nFoo\r\n--1234--\r\n`,
    );
    assert.equal(multipart(message).files["files"]![0]!.filename, "a.txt");
  });
});

describe("multipart beyond Tornado's tests", () => {
  test("fields and files together; fields decoded as UTF-8; content type of files", () => {
    const { args, files } = multipart(
      '--1234\nContent-Disposition: form-data; name="a"\n\nä\n' +
        '--1234\nContent-Disposition: form-data; name="a"\n\nsecond\n' +
        '--1234\nContent-Disposition: form-data; name="up"; filename="x.png"\nContent-Type: image/png\n\n\x89PNG\n' +
        '--1234\nContent-Disposition: form-data; name="empty"; filename=""\nContent-Type: application/octet-stream\n\n\n' +
        "--1234--",
    );
    assert.deepEqual({ ...args }, { a: ["ä", "second"], empty: [""] });
    assert.equal(files["up"]![0]!.contentType, "image/png");
    assert.deepEqual(files["up"]![0]!.body, Buffer.from("\x89PNG"));
    assert.equal(Object.getPrototypeOf(args), null);
  });

  test("a field with charset=utf-8 in its part headers (Java and Python clients send it)", () => {
    const { args } = multipart('--1234\nContent-Disposition: form-data; name="a"\nContent-Type: text/plain; charset=UTF-8\n\né\n--1234--');
    assert.deepEqual(args["a"], ["é"]);
  });

  test("a preamble before the first boundary is ignored; the body may start with the delimiter", () => {
    assert.deepEqual(multipart('preamble\n--1234\nContent-Disposition: form-data; name="a"\n\n1\n--1234--').args["a"], ["1"]);
    assert.deepEqual({ ...multipart("--1234--").args }, {});
  });

  test("the boundary inside content (without the leading CRLF) is content", () => {
    const { files } = multipart('--1234\nContent-Disposition: form-data; name="f"; filename="a"\n\nx--1234y\n--1234z\n--1234--');
    assert.equal(files["f"]![0]!.body.toString(), "x--1234y\r\n--1234z");
  });

  test("binary file content with CR, LF and NUL bytes is kept exactly", () => {
    const content = Buffer.from([0, 13, 10, 13, 10, 45, 45, 255, 0]);
    const body = Buffer.concat([
      Buffer.from('--1234\r\nContent-Disposition: form-data; name="f"; filename="b.bin"\r\n\r\n'),
      content,
      Buffer.from("\r\n--1234--\r\n"),
    ]);
    assert.deepEqual(multipart(body).files["f"]![0]!.body, content);
  });

  test("__proto__ as a field or file name is just a name", () => {
    const { args, files } = multipart(
      '--1234\nContent-Disposition: form-data; name="__proto__"\n\nx\n--1234\nContent-Disposition: form-data; name="constructor"; filename="f"\n\ny\n--1234--',
    );
    assert.deepEqual(args["__proto__"], ["x"]);
    assert.equal(files["constructor"]![0]!.filename, "f");
    assert.equal(({} as Record<string, unknown>)["x"], undefined);
  });

  test("truncated bodies are 400", () => {
    rejects(() => multipart('--1234\nContent-Disposition: form-data; name="a"\n\nhel'), 400, /truncated/);
    rejects(() => multipart('--1234\nContent-Disposition: form-data; name="a"'), 400);
    rejects(() => multipart('--1234\nContent-Disposition: form-data; name="a"\n--1234--'), 400, /header block/);
    rejects(() => multipart(""), 400);
  });

  test("invalid UTF-8 in a field is a 400", () => {
    rejects(() => multipart(Buffer.from('--1234\r\nContent-Disposition: form-data; name="a"\r\n\r\n\xff\xfe\r\n--1234--', "latin1")), 400, /Invalid unicode/);
  });

  test("10,000 tiny parts: 413 at part 101, found without parsing the rest", () => {
    const body = `${'--1234\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n'.repeat(10_000)}--1234--\r\n`;
    rejects(() => multipart(Buffer.from(body)), 413, /more than 100/);
    assert.equal(multipart(Buffer.from(body), "1234", { maxParts: 10_000, maxFields: 10_000 }).args["a"]!.length, 10_000);
  });

  test("exactly maxParts parts are accepted", () => {
    const body = `${'--1234\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n'.repeat(100)}--1234--\r\n`;
    assert.equal(multipart(Buffer.from(body)).args["a"]!.length, 100);
  });

  test("part headers over maxPartHeaderSize (10 KiB) are a 413", () => {
    const headers = `Content-Disposition: form-data; name="a"\r\nX-Pad: ${"p".repeat(10 * 1024)}`;
    rejects(() => multipart(Buffer.from(`--1234\r\n${headers}\r\n\r\nx\r\n--1234--`)), 413, /maxPartHeaderSize/);
    assert.deepEqual(multipart(Buffer.from(`--1234\r\n${headers}\r\n\r\nx\r\n--1234--`), "1234", { maxPartHeaderSize: 11 * 1024 }).args["a"], ["x"]);
  });

  test("maxFields, maxFieldSize, maxFiles and maxFileSize", () => {
    const field = (name: string, value: string) => `--1234\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
    const file = (name: string, value: string) => `--1234\r\nContent-Disposition: form-data; name="${name}"; filename="f"\r\n\r\n${value}\r\n`;
    const end = "--1234--\r\n";
    rejects(() => multipart(Buffer.from(field("a", "1") + field("b", "2") + end), "1234", { maxFields: 1 }), 413, /maxFields/);
    rejects(() => multipart(Buffer.from(field("a", "12345") + end), "1234", { maxFieldSize: 4 }), 413, /maxFieldSize/);
    assert.deepEqual(multipart(Buffer.from(field("a", "1234") + end), "1234", { maxFieldSize: 4 }).args["a"], ["1234"]);
    rejects(() => multipart(Buffer.from(file("a", "1") + file("b", "2") + end), "1234", { maxFiles: 1 }), 413, /maxFiles/);
    rejects(() => multipart(Buffer.from(file("a", "12345") + end), "1234", { maxFileSize: 4 }), 413, /maxFileSize/);
  });

  test("invalid boundaries are refused", () => {
    rejects(() => multipart("--x--", "x".repeat(71)), 400, /boundary/);
    rejects(() => multipart("--x--", "a\r\nb"), 400, /boundary/);
    rejects(() => multipart("--x--", ""), 400, /boundary/);
  });
});

describe("parseBodyArguments and HTTPServerRequest.bodyArguments", () => {
  const form = (body: string | Buffer, contentType: string, extra: Record<string, string> = {}) =>
    new HTTPServerRequest({ method: "POST", headers: { "Content-Type": contentType, ...extra }, body: Buffer.from(body) });

  test("urlencoded and multipart bodies; other types are left alone", () => {
    assert.deepEqual({ ...form("a=1&b=&a=%C3%A9", "application/x-www-form-urlencoded").bodyArguments }, { a: ["1", "é"], b: [""] });
    const request = form(crlf('--B\nContent-Disposition: form-data; name="x"\n\n1\n--B--'), "multipart/form-data; boundary=B");
    assert.deepEqual({ ...request.bodyArguments }, { x: ["1"] });
    assert.deepEqual({ ...request.files }, {});
    assert.deepEqual({ ...form("a=1", "text/plain").bodyArguments }, {});
    assert.deepEqual({ ...form("a=1", "application/x-www-form-urlencoded; charset=UTF-8").bodyArguments }, { a: ["1"] });
  });

  test("query and body arguments merge, query first", () => {
    const request = new HTTPServerRequest({
      method: "POST",
      uri: "/?a=q",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: Buffer.from("a=b"),
    });
    assert.deepEqual({ ...request.arguments }, { a: ["q", "b"] });
  });

  test("no boundary, a malformed form Content-Type, or an undecoded Content-Encoding: 400", () => {
    assert.throws(() => form("x", "multipart/form-data").bodyArguments, { status: 400, message: /boundary not found/ });
    assert.throws(() => form("x", "multipart/form-data; boundary=").bodyArguments, { status: 400, message: /Malformed Content-Type/ });
    assert.throws(() => form("a=1", "application/x-www-form-urlencoded", { "Content-Encoding": "gzip" }).bodyArguments, {
      status: 400,
      message: /Unsupported Content-Encoding: gzip/,
    });
    assert.throws(() => parseJsonBody(Buffer.from("{}"), parseContentType("application/json"), { contentEncoding: "br" }), { status: 415 });
  });

  test("100,000 urlencoded pairs: a 400 after 1,000, counted while parsing", () => {
    assert.throws(() => form("a=1&".repeat(100_000), "application/x-www-form-urlencoded").bodyArguments, { status: 400, message: /Too many fields/ });
    assert.deepEqual({ ...form("&".repeat(1_000_000), "application/x-www-form-urlencoded").bodyArguments }, {});
  });

  test("request.bodyLimits.maxFields applies to the query string and the body", () => {
    const request = new HTTPServerRequest({ uri: "/?a=1&b=2&c=3" });
    request.bodyLimits = { ...DEFAULT_BODY_LIMITS, maxFields: 2 };
    assert.throws(() => request.queryArguments, { status: 400 });
  });

  test("invalid percent-encoding is kept as is; invalid UTF-8 is a 400", () => {
    assert.deepEqual({ ...form("a=%zz&b=%&c=100%", "application/x-www-form-urlencoded").bodyArguments }, { a: ["%zz"], b: ["%"], c: ["100%"] });
    assert.throws(() => form("a=%ff%fe", "application/x-www-form-urlencoded").bodyArguments, { status: 400, message: /Invalid unicode/ });
    assert.throws(() => form(Buffer.from("a=\xff", "latin1"), "application/x-www-form-urlencoded").bodyArguments, { status: 400 });
    // test_post_encodings (httpserver_test.py): raw and percent-encoded UTF-8 both decode.
    assert.deepEqual(form("data=chinese: 张三", "application/x-www-form-urlencoded").bodyArguments["data"], ["chinese: 张三"]);
    assert.deepEqual(form("data=chinese%3A+%E5%BC%A0%E4%B8%89+张", "application/x-www-form-urlencoded").bodyArguments["data"], ["chinese: 张三 张"]);
  });

  test("parseBodyArguments ignores a missing content type", () => {
    const args = Object.create(null) as ArgumentMap;
    parseBodyArguments(null, Buffer.from("a=1"), args, Object.create(null) as FileMap);
    assert.deepEqual({ ...args }, {});
  });
});

describe("parseJsonBody", () => {
  const json = (body: string | Buffer, contentType = "application/json", maxSize?: number) =>
    parseJsonBody(Buffer.from(body), parseContentType(contentType), maxSize === undefined ? {} : { maxSize });

  test("objects and arrays; +json types; charset utf-8", () => {
    assert.deepEqual(json('{"a": [1, "é"]}'), { a: [1, "é"] });
    assert.deepEqual(json("[1,2]", "application/ld+json"), [1, 2]);
    assert.deepEqual(json('{"a":1}', "application/json; charset=UTF-8"), { a: 1 });
    assert.deepEqual(json('\ufeff{"a":1}'), { a: 1 });
  });

  test("415 for another type, a missing or malformed type, another charset", () => {
    for (const [body, type] of [
      ['{"a":1}', "text/plain"],
      ['{"a":1}', "application/x-www-form-urlencoded"],
      ['{"a":1}', "application/json; charset=latin1"],
      ['{"a":1}', "application/json garbage"],
    ] as const) {
      assert.throws(() => json(body, type), { status: 415 }, type);
    }
    assert.throws(() => parseJsonBody(Buffer.from("{}"), null), { status: 415, message: /no Content-Type/ });
  });

  test("400 for invalid JSON, empty bodies, invalid UTF-8 and non-object JSON", () => {
    for (const body of ["{", "", "{'a': 1}", "[1,]", "NaN", '"text"', "42", "true", "null"]) {
      assert.throws(() => json(body), { status: 400 }, body);
    }
    assert.throws(() => json(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])), { status: 400, message: /Invalid unicode/ });
  });

  test("413 over the size limit", () => {
    assert.throws(() => json(`[${"1,".repeat(100)}1]`, "application/json", 100), { status: 413, message: /maxJsonSize/ });
  });

  test("deeply nested JSON parses without a stack overflow", () => {
    const depth = 100_000;
    const value = json("[".repeat(depth) + "]".repeat(depth), "application/json", 10_000_000);
    assert.ok(Array.isArray(value), "an array");
  });

  test("__proto__ keys are refused, also escaped and nested; nothing is polluted", () => {
    for (const body of ['{"__proto__": {"polluted": 1}}', '{"a": [{"b": {"__proto__": {}}}]}', '{"\\u005f_proto__": {"polluted": 1}}']) {
      assert.throws(() => json(body), { status: 400, message: /__proto__/ }, body);
    }
    assert.equal(({} as Record<string, unknown>)["polluted"], undefined);
    assert.deepEqual(json('{"proto": 1, "constructor": {"prototype": 2}}'), { proto: 1, constructor: { prototype: 2 } });
  });
});

describe("parseUrlencoded decoding (the fast paths agree with Python's unquote_plus)", () => {
  test("plus, ASCII escapes, UTF-8 escapes, malformed escapes, raw non-ASCII", () => {
    const cases: [string, string][] = [
      ["a+b", "a b"],
      ["%41%7e%7E", "A~~"],
      ["+%2B+", " + "],
      ["%zz", "%zz"],
      ["%4", "%4"],
      ["100%", "100%"],
      ["%%41", "%A"],
      ["%C3%A9", "é"],
      ["é%21", "é!"],
      ["%e5%BC%A0+x", "张 x"],
      ["%00", "\0"],
      ["%C3%A9%zz", "é%zz"],
    ];
    for (const [encoded, decoded] of cases) assert.deepEqual(parseUrlencoded(`v=${encoded}`)["v"], [decoded], encoded);
    for (const invalid of ["%80", "%C3", "%C3%28", "%ED%A0%80"]) {
      assert.throws(() => parseUrlencoded(`v=${invalid}`), { status: 400 }, invalid);
    }
  });

  test("fields without '=' do not rescan the text (linear in the input)", () => {
    const parsed = parseUrlencoded(`${"a&".repeat(999)}b=${"x".repeat(1_000_000)}`, { maxFields: 1000 });
    assert.equal(parsed["a"]!.length, 999);
    assert.equal(parsed["b"]![0]!.length, 1_000_000);
  });
});
