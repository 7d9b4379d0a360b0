// Tests of StaticFileHandler over real sockets. Mirrors tornado/test/web_test.py::StaticFileTest,
// StaticDefaultFilenameTest, StaticDefaultFilenameRootTest, StaticFileWithPathTest,
// CustomStaticFileTest, HostMatchingTest (for static rules) and GzipTestCase::test_gzip_static,
// plus bad input over raw sockets. Where Typhoon answers differently from Tornado 6.2 on purpose,
// the test says so.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { Application, appLog, expectLog, genLog, RequestHandler, StaticFileHandler, type ApplicationSettings } from "typhoon";
import { rawRequest, type Served, serve, statusOf } from "../helpers.js";

const STATIC_DIR = fileURLToPath(new URL("../fixtures/static", import.meta.url));
const PAGES_DIR = join(STATIC_DIR, "pages");
/** SHA-512 of robots.txt: StaticFileTest.robots_txt_hash. */
const ROBOTS_TXT_HASH =
  "63a36e950e134b5217e33c763e88840c10a07d80e6057d92b9ac97508de7fb1fa6f0e9b7531e169657165ea764e8963399cb6d921ffe6078425aaafe54c04563";
const ROBOTS_TXT = "User-agent: *\nDisallow: /\n";

interface Fetched {
  status: number;
  headers: Headers;
  body: Buffer;
}

async function get(url: string, headers: Record<string, string> = {}, method = "GET"): Promise<Fetched> {
  const response = await fetch(url, { method, headers, redirect: "manual" });
  return { status: response.status, headers: response.headers, body: Buffer.from(await response.arrayBuffer()) };
}

/**
 * A HEAD then a GET, failing when a `Content-*` header differs between them; the GET's answer.
 * Tornado: `StaticFileTest.get_and_head`.
 */
async function getAndHead(url: string, headers: Record<string, string> = {}): Promise<Fetched> {
  const head = await get(url, headers, "HEAD");
  const response = await get(url, headers);
  const names = new Set([...head.headers.keys(), ...response.headers.keys()].filter((name) => name.startsWith("content-")));
  for (const name of names) {
    assert.equal(head.headers.get(name), response.headers.get(name), `${name} differs between GET and HEAD`);
  }
  assert.equal(head.body.length, 0, "a HEAD answer has no body");
  return response;
}

/** A raw GET on a fresh connection, closed after the answer: status, headers and body bytes. */
async function rawGet(port: number, target: string, headerLines: string[] = []): Promise<{ status: number; head: string; body: Buffer }> {
  const hostLine = headerLines.some((line) => /^host:/i.test(line)) ? "" : "Host: 127.0.0.1\r\n";
  const text = await rawRequest(port, `GET ${target} HTTP/1.1\r\n${hostLine}Connection: close\r\n${headerLines.map((line) => `${line}\r\n`).join("")}\r\n`);
  const split = text.indexOf("\r\n\r\n");
  return { status: statusOf(text), head: text.slice(0, split), body: Buffer.from(text.slice(split + 4), "latin1") };
}

/** The answer's `name` header in raw response text. */
function rawHeader(head: string, name: string): string | undefined {
  return new RegExp(`^${name}: (.*)$`, "im").exec(head)?.[1];
}

describe("StaticFileHandler (tornado/test/web_test.py::StaticFileTest)", () => {
  let served: Served;
  before(async () => {
    served = await serve(new Application([["/root_static/(.*)", StaticFileHandler, { path: "/" }]], { staticPath: STATIC_DIR }));
  });
  after(() => served.close());

  test("test_static_files: /robots.txt and /static/robots.txt", async () => {
    assert.ok((await get(served.url("/robots.txt"))).body.toString().includes("Disallow: /"), "/robots.txt is served from staticPath");
    const response = await get(served.url("/static/robots.txt"));
    assert.ok(response.body.toString().includes("Disallow: /"), "/static/robots.txt is served");
    // Tornado sends text/plain without a charset; Typhoon names it for text types.
    assert.equal(response.headers.get("content-type"), "text/plain; charset=utf-8");
  });

  test("test_static_compressed_files: compressed files have the type of their compression", async () => {
    assert.equal((await get(served.url("/static/sample.xml.gz"))).headers.get("content-type"), "application/gzip");
    assert.equal((await get(served.url("/static/sample.xml.bz2"))).headers.get("content-type"), "application/octet-stream");
    const xml = (await get(served.url("/static/sample.xml"))).headers.get("content-type") ?? "";
    assert.ok(["text/xml", "application/xml"].includes(xml), `sample.xml is XML, got ${xml}`);
  });

  test("test_static_304_if_modified_since", async () => {
    const first = await getAndHead(served.url("/static/robots.txt"));
    const second = await getAndHead(served.url("/static/robots.txt"), { "If-Modified-Since": first.headers.get("last-modified")! });
    assert.equal(second.status, 304);
    assert.equal(second.headers.get("content-length"), null);
  });

  test("test_static_304_if_none_match", async () => {
    const first = await getAndHead(served.url("/static/robots.txt"));
    const second = await getAndHead(served.url("/static/robots.txt"), { "If-None-Match": first.headers.get("etag")! });
    assert.equal(second.status, 304);
  });

  test("test_static_304_etag_modified_bug: a mismatched If-None-Match wins over If-Modified-Since", async () => {
    const first = await getAndHead(served.url("/static/robots.txt"));
    const second = await getAndHead(served.url("/static/robots.txt"), {
      "If-None-Match": '"MISMATCH"',
      "If-Modified-Since": first.headers.get("last-modified")!,
    });
    assert.equal(second.status, 200);
  });

  test("test_static_if_modified_since_pre_epoch", async () => {
    const response = await getAndHead(served.url("/static/robots.txt"), { "If-Modified-Since": "Fri, 01 Jan 1960 00:00:00 GMT" });
    assert.equal(response.status, 200);
  });

  test("test_static_if_modified_since_time_zone: dates are read as GMT", async () => {
    const mtime = statSync(join(STATIC_DIR, "robots.txt")).mtimeMs;
    const before = await getAndHead(served.url("/static/robots.txt"), { "If-Modified-Since": new Date(mtime - 1000).toUTCString() });
    assert.equal(before.status, 200);
    const after = await getAndHead(served.url("/static/robots.txt"), { "If-Modified-Since": new Date(mtime + 1000).toUTCString() });
    assert.equal(after.status, 304);
  });

  test("If-Modified-Since in the RFC 850 and asctime formats; invalid dates are ignored", async () => {
    const url = served.url("/static/robots.txt");
    assert.equal((await get(url, { "If-Modified-Since": "Sunday, 06-Nov-94 08:49:37 GMT" })).status, 200);
    assert.equal((await get(url, { "If-Modified-Since": "Sun Nov  6 08:49:37 2094" })).status, 304);
    assert.equal((await get(url, { "If-Modified-Since": "sun, 06 nov 2094 08:49:37 GMT" })).status, 304);
    // Tornado answers 500 for a date Python's datetime refuses (Feb 30); Typhoon ignores it.
    for (const garbage of ["garbage", "1", "2094-11-06", "Sun, 30 Feb 2094 08:49:37 GMT", "Sun, 06 Nov 2094 25:49:37 GMT"]) {
      assert.equal((await get(url, { "If-Modified-Since": garbage })).status, 200, garbage);
    }
  });

  test("test_static_etag", async () => {
    const response = await getAndHead(served.url("/static/robots.txt"));
    assert.equal(response.headers.get("etag"), `"${ROBOTS_TXT_HASH}"`);
  });

  test("test_static_with_range", async () => {
    const response = await getAndHead(served.url("/static/robots.txt"), { Range: "bytes=0-9" });
    assert.equal(response.status, 206);
    assert.equal(response.body.toString(), "User-agent");
    assert.equal(response.headers.get("etag"), `"${ROBOTS_TXT_HASH}"`);
    assert.equal(response.headers.get("content-length"), "10");
    assert.equal(response.headers.get("content-range"), "bytes 0-9/26");
    assert.equal(response.headers.get("accept-ranges"), "bytes");
  });

  test("test_static_with_range_full_file: bytes=0- is a 200, as browsers need", async () => {
    const response = await getAndHead(served.url("/static/robots.txt"), { Range: "bytes=0-" });
    assert.equal(response.status, 200);
    assert.equal(response.body.toString(), ROBOTS_TXT);
    assert.equal(response.headers.get("content-length"), "26");
    assert.equal(response.headers.get("content-range"), null);
  });

  test("test_static_with_range_full_past_end", async () => {
    const response = await getAndHead(served.url("/static/robots.txt"), { Range: "bytes=0-10000000" });
    assert.equal(response.status, 200);
    assert.equal(response.body.toString(), ROBOTS_TXT);
    assert.equal(response.headers.get("content-length"), "26");
    assert.equal(response.headers.get("content-range"), null);
  });

  test("test_static_with_range_partial_past_end", async () => {
    const response = await getAndHead(served.url("/static/robots.txt"), { Range: "bytes=1-10000000" });
    assert.equal(response.status, 206);
    assert.equal(response.body.toString(), ROBOTS_TXT.slice(1));
    assert.equal(response.headers.get("content-length"), "25");
    assert.equal(response.headers.get("content-range"), "bytes 1-25/26");
  });

  test("test_static_with_range_end_edge", async () => {
    const response = await getAndHead(served.url("/static/robots.txt"), { Range: "bytes=22-" });
    assert.equal(response.body.toString(), ": /\n");
    assert.equal(response.headers.get("content-length"), "4");
    assert.equal(response.headers.get("content-range"), "bytes 22-25/26");
  });

  test("test_static_with_range_neg_end: a suffix range", async () => {
    const response = await getAndHead(served.url("/static/robots.txt"), { Range: "bytes=-4" });
    assert.equal(response.body.toString(), ": /\n");
    assert.equal(response.headers.get("content-length"), "4");
    assert.equal(response.headers.get("content-range"), "bytes 22-25/26");
  });

  test("test_static_with_range_neg_past_start", async () => {
    const response = await getAndHead(served.url("/static/robots.txt"), { Range: "bytes=-1000000" });
    assert.equal(response.status, 200);
    assert.equal(response.body.toString(), ROBOTS_TXT);
    assert.equal(response.headers.get("content-length"), "26");
    assert.equal(response.headers.get("content-range"), null);
  });

  test("test_static_invalid_range", async () => {
    assert.equal((await getAndHead(served.url("/static/robots.txt"), { Range: "asdf" })).status, 200);
  });

  test("test_static_unsatisfiable_range_zero_suffix", async () => {
    const response = await getAndHead(served.url("/static/robots.txt"), { Range: "bytes=-0" });
    assert.equal(response.headers.get("content-range"), "bytes */26");
    assert.equal(response.status, 416);
  });

  test("test_static_unsatisfiable_range_invalid_start", async () => {
    const response = await getAndHead(served.url("/static/robots.txt"), { Range: "bytes=26" });
    assert.equal(response.status, 416);
    assert.equal(response.headers.get("content-range"), "bytes */26");
  });

  test("test_static_unsatisfiable_range_end_less_than_start", async () => {
    const response = await getAndHead(served.url("/static/robots.txt"), { Range: "bytes=10-3" });
    assert.equal(response.status, 416);
    assert.equal(response.headers.get("content-range"), "bytes */26");
    assert.equal(response.headers.get("content-type"), "text/plain");
  });

  test("test_static_head", async () => {
    const response = await get(served.url("/static/robots.txt"), {}, "HEAD");
    assert.equal(response.status, 200);
    assert.equal(response.body.length, 0);
    assert.equal(response.headers.get("content-length"), "26");
    assert.equal(response.headers.get("etag"), `"${ROBOTS_TXT_HASH}"`);
  });

  test("test_static_head_range", async () => {
    const response = await get(served.url("/static/robots.txt"), { Range: "bytes=1-4" }, "HEAD");
    assert.equal(response.status, 206);
    assert.equal(response.body.length, 0);
    assert.equal(response.headers.get("content-length"), "4");
    assert.equal(response.headers.get("etag"), `"${ROBOTS_TXT_HASH}"`);
  });

  test("test_static_range_if_none_match", async () => {
    const response = await getAndHead(served.url("/static/robots.txt"), { Range: "bytes=1-4", "If-None-Match": `"${ROBOTS_TXT_HASH}"` });
    assert.equal(response.status, 304);
    assert.equal(response.body.length, 0);
    assert.equal(response.headers.get("content-length"), null);
    assert.equal(response.headers.get("etag"), `"${ROBOTS_TXT_HASH}"`);
  });

  test("test_static_404", async () => {
    assert.equal((await getAndHead(served.url("/static/blarg"))).status, 404);
  });

  test("test_path_traversal_protection (over a raw socket: clients normalize `..`)", async () => {
    const response = await expectLog(genLog, "403 GET /static/../static_foo.txt .*not in root static directory", () =>
      rawGet(served.port, "/static/../static_foo.txt"),
    );
    assert.equal(response.status, 403);
  });

  test("test_root_static_path: a root of / serves absolute paths", async () => {
    const path = join(STATIC_DIR, "robots.txt");
    const response = await getAndHead(served.url(`/root_static${encodeURI(path)}`));
    assert.equal(response.status, 200);
    assert.equal(response.body.toString(), ROBOTS_TXT);
  });

  test("versioned URLs (?v=) may be cached for a year; others get no Cache-Control", async () => {
    const versioned = await getAndHead(served.url(`/static/robots.txt?v=${ROBOTS_TXT_HASH.slice(0, 8)}`));
    // Tornado's CACHE_MAX_AGE is ten years; Typhoon's one, as RFC 9111 advises.
    assert.equal(versioned.headers.get("cache-control"), "max-age=31536000");
    const expires = Date.parse(versioned.headers.get("expires") ?? "");
    const yearAhead = Date.now() + 31536000 * 1000;
    assert.ok(Math.abs(expires - yearAhead) < 5000, `Expires is a year ahead, got ${versioned.headers.get("expires")}`);
    const plain = await getAndHead(served.url("/static/robots.txt"));
    assert.equal(plain.headers.get("cache-control"), null);
    assert.equal(plain.headers.get("expires"), null);
    assert.ok(plain.headers.get("last-modified"), "files have Last-Modified");
  });

  test("methods other than GET and HEAD answer 405 with Allow", async () => {
    const response = await get(served.url("/static/robots.txt"), {}, "POST");
    assert.equal(response.status, 405);
    assert.equal(response.headers.get("allow"), "GET, HEAD");
  });
});

describe("staticUrl (tornado/test/web_test.py::StaticFileTest, its static_url cases)", () => {
  class StaticUrlHandler extends RequestHandler {
    get(path: string) {
      this.write(this.staticUrl(path, undefined, { includeVersion: this.getArgument("include_version", "1") === "1" }));
    }
  }
  class AbsoluteStaticUrlHandler extends StaticUrlHandler {
    override includeHost = true;
  }
  class OverrideStaticUrlHandler extends RequestHandler {
    get(path: string) {
      const include = this.getArgument("include_host") === "1";
      this.includeHost = !include;
      this.write({ regular: this.staticUrl(path), override: this.staticUrl(path, include) });
    }
  }

  let served: Served;
  before(async () => {
    served = await serve(
      new Application(
        [
          ["/static_url/(.*)", StaticUrlHandler],
          ["/abs_static_url/(.*)", AbsoluteStaticUrlHandler],
          ["/override_static_url/(.*)", OverrideStaticUrlHandler],
        ],
        { staticPath: STATIC_DIR },
      ),
    );
  });
  after(() => served.close());

  test("test_static_url", async () => {
    assert.equal((await get(served.url("/static_url/robots.txt"))).body.toString(), `/static/robots.txt?v=${ROBOTS_TXT_HASH}`);
  });

  test("test_absolute_static_url", async () => {
    assert.equal((await get(served.url("/abs_static_url/robots.txt"))).body.toString(), served.url(`/static/robots.txt?v=${ROBOTS_TXT_HASH}`));
  });

  test("test_relative_version_exclusion", async () => {
    assert.equal((await get(served.url("/static_url/robots.txt?include_version=0"))).body.toString(), "/static/robots.txt");
  });

  test("test_absolute_version_exclusion", async () => {
    assert.equal((await get(served.url("/abs_static_url/robots.txt?include_version=0"))).body.toString(), served.url("/static/robots.txt"));
  });

  test("test_include_host_override", async () => {
    const versioned = `/static/robots.txt?v=${ROBOTS_TXT_HASH}`;
    assert.deepEqual(JSON.parse((await get(served.url("/override_static_url/robots.txt?include_host=1"))).body.toString()), {
      regular: versioned,
      override: served.url(versioned),
    });
    assert.deepEqual(JSON.parse((await get(served.url("/override_static_url/robots.txt?include_host=0"))).body.toString()), {
      regular: served.url(versioned),
      override: versioned,
    });
  });

  test("a missing file logs an error and gets a URL without a version, as Tornado", async () => {
    const response = await expectLog(genLog, /Could not open static file '.*no-such-file\.css'/, () => get(served.url("/static_url/no-such-file.css")), {
      level: "error",
    });
    assert.equal(response.body.toString(), "/static/no-such-file.css");
  });
});

describe("the version cache (staticHashCache, StaticFileHandler.reset)", () => {
  class StaticUrlHandler extends RequestHandler {
    get(path: string) {
      this.write(this.staticUrl(path));
    }
  }
  const sha512 = (text: string): string => createHash("sha512").update(text).digest("hex");
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "typhoon-static-versions-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function withApp(settings: ApplicationSettings, run: (served: Served, file: string) => Promise<void>): Promise<void> {
    const name = `${Math.random().toString(36).slice(2)}.css`;
    writeFileSync(join(dir, name), "one");
    const served = await serve(new Application([["/static_url/(.*)", StaticUrlHandler]], { staticPath: dir, ...settings }));
    try {
      await run(served, name);
    } finally {
      await served.close();
    }
  }

  test("with the cache (the default), staticUrl keeps a file's first version until reset()", async () => {
    await withApp({}, async (served, file) => {
      assert.equal((await get(served.url(`/static_url/${file}`))).body.toString(), `/static/${file}?v=${sha512("one")}`);
      writeFileSync(join(dir, file), "second");
      assert.equal((await get(served.url(`/static_url/${file}`))).body.toString(), `/static/${file}?v=${sha512("one")}`);
      StaticFileHandler.reset();
      assert.equal((await get(served.url(`/static_url/${file}`))).body.toString(), `/static/${file}?v=${sha512("second")}`);
    });
  });

  test("a request checks the cached version against the file, so a changed file gets a new ETag", async () => {
    await withApp({}, async (served, file) => {
      assert.equal((await get(served.url(`/static/${file}`))).headers.get("etag"), `"${sha512("one")}"`);
      writeFileSync(join(dir, file), "second");
      assert.equal((await get(served.url(`/static/${file}`))).headers.get("etag"), `"${sha512("second")}"`);
    });
  });

  test("with staticHashCache off (the debug default), every staticUrl sees the file as it is", async () => {
    await withApp({ staticHashCache: false }, async (served, file) => {
      assert.equal((await get(served.url(`/static_url/${file}`))).body.toString(), `/static/${file}?v=${sha512("one")}`);
      writeFileSync(join(dir, file), "second");
      assert.equal((await get(served.url(`/static_url/${file}`))).body.toString(), `/static/${file}?v=${sha512("second")}`);
    });
  });
});

describe("StaticFileHandler with defaultFilename (tornado/test/web_test.py::StaticDefaultFilenameTest)", () => {
  let served: Served;
  before(async () => {
    served = await serve(new Application([], { staticPath: STATIC_DIR, staticHandlerArgs: { defaultFilename: "index.html" } }));
  });
  after(() => served.close());

  test("test_static_default_filename", async () => {
    const response = await get(served.url("/static/dir/"));
    assert.equal(response.status, 200);
    assert.equal(response.body.toString(), "this is the index\n");
    assert.equal(response.headers.get("content-type"), "text/html; charset=utf-8");
  });

  test("test_static_default_redirect", async () => {
    const response = await get(served.url("/static/dir"));
    assert.equal(response.status, 301);
    assert.ok(response.headers.get("location")?.endsWith("/static/dir/"), `Location ${response.headers.get("location")}`);
  });
});

describe("StaticFileHandler at the root URL (tornado/test/web_test.py::StaticDefaultFilenameRootTest)", () => {
  let served: Served;
  before(async () => {
    served = await serve(new Application([], { staticPath: STATIC_DIR, staticHandlerArgs: { defaultFilename: "index.html" }, staticUrlPrefix: "/" }));
  });
  after(() => served.close());

  test("test_no_open_redirect: //host/.. never becomes a redirect to another host", async () => {
    const response = await expectLog(genLog, ".*cannot redirect path with two initial slashes", () =>
      rawGet(served.port, `//evil.example/..${STATIC_DIR}/dir`),
    );
    assert.equal(response.status, 403);
    assert.equal(rawHeader(response.head, "Location"), undefined);
  });

  test("/\\host is refused too (browsers read it as //host; Tornado 6.2 redirects there)", async () => {
    const response = await expectLog(genLog, ".*cannot redirect path with two initial slashes", () => rawGet(served.port, "/\\evil.example/../dir"));
    assert.equal(response.status, 403);
    assert.equal(rawHeader(response.head, "Location"), undefined);
  });

  test("the redirect of a directory keeps to this host", async () => {
    const response = await rawGet(served.port, "/dir");
    assert.equal(response.status, 301);
    assert.equal(rawHeader(response.head, "Location"), "/dir/");
  });
});

describe("StaticFileHandler in a rule (tornado/test/web_test.py::StaticFileWithPathTest)", () => {
  test("test_serve: a rule with its own path", async () => {
    const served = await serve(
      new Application([["/foo/(.*)", StaticFileHandler, { path: PAGES_DIR }]], {
        staticPath: STATIC_DIR,
        staticHandlerArgs: { defaultFilename: "index.html" },
      }),
    );
    try {
      const response = await get(served.url("/foo/utf8.html"));
      assert.deepEqual(response.body, Buffer.from("H\xc3\xa9llo\n", "latin1"));
    } finally {
      await served.close();
    }
  });

  test("without a path init argument, the request fails with a message saying what to give", async () => {
    const app = new Application([["/files/(.*)", StaticFileHandler]]);
    const response = await expectLog(appLog, "Uncaught exception", () => app.inject({ url: "/files/x" }));
    assert.equal(response.code, 500);
  });
});

describe("a StaticFileHandler subclass (tornado/test/web_test.py::CustomStaticFileTest)", () => {
  class MyStaticFileHandler extends StaticFileHandler {
    static override makeStaticUrl(settings: ApplicationSettings, path: string): string {
      const version = this.getVersion(settings, path);
      const extension = path.lastIndexOf(".");
      return `/static/${path.slice(0, extension)}.${version}.${path.slice(extension + 1)}`;
    }

    override parseUrlPath(urlPath: string): string {
      const extension = urlPath.lastIndexOf(".");
      const version = urlPath.lastIndexOf(".", extension - 1);
      return urlPath.slice(0, version) + urlPath.slice(extension);
    }

    static override getAbsolutePath(_root: string, path: string): string {
      return `CustomStaticFileTest:${path}`;
    }

    override validateAbsolutePath(_root: string, absolutePath: string): string {
      return absolutePath;
    }

    static override getContent(path: string, start?: number, end?: number): Buffer {
      assert.ok(start === undefined && end === undefined, "no range was asked for");
      if (path === "CustomStaticFileTest:foo.txt") return Buffer.from("bar");
      throw new Error(`unexpected path ${path}`);
    }

    override getContentSize(): number {
      if (this.absolutePath === "CustomStaticFileTest:foo.txt") return 3;
      throw new Error(`unexpected path ${this.absolutePath}`);
    }

    override getModifiedTime(): null {
      return null;
    }

    static override getVersion(_settings: ApplicationSettings, _path: string): string {
      return "42";
    }
  }

  class StaticUrlHandler extends RequestHandler {
    get(path: string) {
      this.write(this.staticUrl(path));
    }
  }

  let served: Served;
  before(async () => {
    served = await serve(new Application([["/static_url/(.*)", StaticUrlHandler]], { staticPath: "dummy", staticHandlerClass: MyStaticFileHandler }));
  });
  after(() => served.close());

  test("test_serve", async () => {
    const response = await get(served.url("/static/foo.42.txt"));
    assert.equal(response.body.toString(), "bar");
    assert.equal(response.headers.get("last-modified"), null);
    // The ETag hashes what getContent returns.
    assert.equal(response.headers.get("etag"), `"${createHash("sha512").update("bar").digest("hex")}"`);
  });

  test("test_static_url", async () => {
    assert.equal((await get(served.url("/static_url/foo.txt"))).body.toString(), "/static/foo.42.txt");
  });
});

describe("static rules and host rules (tornado/test/web_test.py::HostMatchingTest)", () => {
  let served: Served;
  before(async () => {
    const app = new Application([], { staticPath: STATIC_DIR });
    app.addHandlers(String.raw`www\.example\.com`, [["/static/(.*)", StaticFileHandler, { path: PAGES_DIR }]]);
    served = await serve(app);
  });
  after(() => served.close());

  test("a host's own static rule is checked before the application's", async () => {
    assert.equal((await rawGet(served.port, "/static/utf8.html", ["Host: www.example.com"])).status, 200);
    assert.equal((await rawGet(served.port, "/static/robots.txt", ["Host: www.example.com"])).status, 404);
    assert.equal((await get(served.url("/static/robots.txt"))).status, 200);
    assert.equal((await get(served.url("/static/utf8.html"))).status, 404);
  });

  test("/robots.txt of staticPath answers for every host", async () => {
    assert.equal((await rawGet(served.port, "/robots.txt", ["Host: www.example.com"])).status, 200);
    assert.equal((await get(served.url("/robots.txt"))).status, 200);
  });
});

describe("compression of static files (tornado/test/web_test.py::GzipTestCase::test_gzip_static)", () => {
  let served: Served;
  let dir: string;
  const text = Array.from({ length: 20000 }, (_, i) => `line ${i} of a compressible static file\n`).join("");
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "typhoon-static-gzip-"));
    writeFileSync(join(dir, "robots.txt"), ROBOTS_TXT);
    writeFileSync(join(dir, "big.txt"), text);
    writeFileSync(join(dir, "archive.gz"), gunzipSafeSample());
    served = await serve(new Application([], { compressResponse: true, staticPath: dir }));
  });
  after(async () => {
    await served.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function gunzipSafeSample(): Buffer {
    return Buffer.alloc(4096, 7);
  }

  test("test_gzip_static: a streamed file is compressed, with Vary", async () => {
    const response = await rawGet(served.port, "/robots.txt", ["Accept-Encoding: gzip"]);
    assert.equal(rawHeader(response.head, "Content-Encoding"), "gzip");
    assert.equal(rawHeader(response.head, "Vary"), "Accept-Encoding");
    assert.equal(rawHeader(response.head, "Etag"), `W/"${createHash("sha512").update(ROBOTS_TXT).digest("hex")}"`);
  });

  test("a large file streams through the compressor intact", async () => {
    const response = await get(served.url("/static/big.txt"), { "Accept-Encoding": "gzip" });
    assert.equal(response.headers.get("content-encoding"), "gzip");
    assert.equal(response.body.toString(), text);
  });

  test("a range is of the identity bytes, never compressed, with the strong ETag", async () => {
    const response = await rawGet(served.port, "/static/big.txt", ["Accept-Encoding: gzip", "Range: bytes=5-24"]);
    assert.equal(response.status, 206);
    assert.equal(rawHeader(response.head, "Content-Encoding"), undefined);
    assert.equal(rawHeader(response.head, "Content-Length"), "20");
    assert.equal(response.body.toString(), text.slice(5, 25));
    assert.equal(rawHeader(response.head, "Etag"), `"${createHash("sha512").update(text).digest("hex")}"`);
  });

  test("the weak ETag of a compressed answer revalidates (304)", async () => {
    const first = await rawGet(served.port, "/static/big.txt", ["Accept-Encoding: gzip"]);
    const etag = rawHeader(first.head, "Etag")!;
    assert.ok(etag.startsWith('W/"'), `a compressed answer has a weak ETag, got ${etag}`);
    const second = await rawGet(served.port, "/static/big.txt", ["Accept-Encoding: gzip", `If-None-Match: ${etag}`]);
    assert.equal(second.status, 304);
    assert.equal(second.body.length, 0);
  });

  test("HEAD has the Content-Encoding a GET would have", async () => {
    const head = await rawRequest(served.port, "HEAD /static/big.txt HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n");
    assert.equal(statusOf(head), 200);
    assert.equal(rawHeader(head, "Content-Encoding"), "gzip");
    assert.equal(rawHeader(head, "Content-Length"), undefined);
  });

  test("a client that does not accept gzip gets the identity bytes with their length", async () => {
    const response = await rawGet(served.port, "/static/big.txt");
    assert.equal(rawHeader(response.head, "Content-Encoding"), undefined);
    assert.equal(rawHeader(response.head, "Content-Length"), String(Buffer.byteLength(text)));
    assert.equal(rawHeader(response.head, "Vary"), "Accept-Encoding");
  });

  test("types that are not compressible are sent as they are", async () => {
    const response = await rawGet(served.port, "/static/archive.gz", ["Accept-Encoding: gzip"]);
    assert.equal(rawHeader(response.head, "Content-Type"), "application/gzip");
    assert.equal(rawHeader(response.head, "Content-Encoding"), undefined);
    assert.equal(rawHeader(response.head, "Content-Length"), "4096");
    assert.throws(() => gunzipSync(response.body), "the body is the file, not a gzip stream made by the server");
  });
});

describe("large files (bigger than one 64 KiB read)", () => {
  let served: Served;
  let dir: string;
  const size = 300 * 1024 + 17;
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 7 + (i >> 8)) & 0xff;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "typhoon-static-large-"));
    writeFileSync(join(dir, "big.bin"), bytes);
    served = await serve(new Application([], { staticPath: dir }));
  });
  after(async () => {
    await served.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("the whole file arrives byte for byte", async () => {
    const response = await get(served.url("/static/big.bin"));
    assert.equal(response.headers.get("content-length"), String(size));
    assert.ok(response.body.equals(bytes), "the body equals the file");
    assert.equal(response.headers.get("etag"), `"${createHash("sha512").update(bytes).digest("hex")}"`);
  });

  test("ranges across read boundaries are byte-exact", async () => {
    const cases: [string, number, number][] = [
      ["bytes=65530-131090", 65530, 131091],
      ["bytes=65536-65536", 65536, 65537],
      ["bytes=-70000", size - 70000, size],
      ["bytes=200000-", 200000, size],
      ["bytes=1-", 1, size],
    ];
    for (const [range, start, end] of cases) {
      const response = await get(served.url("/static/big.bin"), { Range: range });
      assert.equal(response.status, 206, range);
      assert.equal(response.headers.get("content-range"), `bytes ${start}-${end - 1}/${size}`, range);
      assert.equal(response.headers.get("content-length"), String(end - start), range);
      assert.ok(response.body.equals(bytes.subarray(start, end)), `${range}: the body is the slice`);
    }
  });

  test("a client that leaves mid-download stops the stream; the server keeps serving", async () => {
    await new Promise<void>((resolve, reject) => {
      const socket = connect(served.port, "127.0.0.1");
      socket.once("data", () => socket.destroy());
      socket.once("close", () => resolve());
      socket.once("error", reject);
      socket.write("GET /static/big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
    });
    const response = await get(served.url("/static/big.bin"), { Range: "bytes=0-3" });
    assert.ok(response.body.equals(bytes.subarray(0, 4)), "the next request is answered");
  });
});

describe("bad input never reaches a file outside the root, nor a 500", () => {
  let dir: string;
  let root: string;
  let plain: Served;
  let withIndex: Served;
  const SECRET = "SECRET-OUTSIDE-THE-ROOT";
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "typhoon-static-bad-"));
    root = join(dir, "root");
    mkdirSync(join(root, "dir"), { recursive: true });
    writeFileSync(join(dir, "package.json"), SECRET);
    writeFileSync(join(root, "robots.txt"), ROBOTS_TXT);
    writeFileSync(join(root, "dir", "index.html"), "index\n");
    symlinkSync("../package.json", join(root, "link-out"));
    symlinkSync("..", join(root, "dir-out"));
    symlinkSync("robots.txt", join(root, "link-in"));
    symlinkSync("../../package.json", join(root, "dir", "index-out.html"));
    plain = await serve(new Application([], { staticPath: root }));
    withIndex = await serve(new Application([], { staticPath: root, staticHandlerArgs: { defaultFilename: "index.html" } }));
  });
  after(async () => {
    await plain.close();
    await withIndex.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // [target, extra header, status, Tornado 6.2's status when it differs]
  const cases: [string, string | undefined, number, number?][] = [
    ["/static/../package.json", undefined, 403],
    ["/static/%2e%2e/package.json", undefined, 403],
    ["/static/..%2fpackage.json", undefined, 403],
    // On POSIX a backslash is part of a file name: no such file.
    ["/static/%2e%2e%5cpackage.json", undefined, 404],
    ["/static/dir/..%2f..%2fpackage.json", undefined, 403],
    ["/static//etc/passwd", undefined, 403],
    ["/static/%2fetc%2fpasswd", undefined, 403],
    ["/static/robots.txt%00", undefined, 404],
    ["/static/%00", undefined, 404],
    // Tornado follows symlinks wherever they lead (200, and the file outside the root).
    ["/static/link-out", undefined, 403, 200],
    ["/static/dir-out/package.json", undefined, 403, 200],
    ["/static/dir", undefined, 403],
    ["/static/", undefined, 403],
    // Tornado serves the file; Typhoon reads `file/` as the directory it names (ENOTDIR), as nginx does.
    ["/static/robots.txt/", undefined, 404, 200],
    ["/static/nope", undefined, 404],
    ["/static/robots.txt", "Range: bytes=5-2", 416],
    ["/static/robots.txt", "Range: bytes=abc", 200],
    ["/static/robots.txt", "Range: bytes=0-0,1-1", 200],
    ["/static/robots.txt", "Range: bytes=0-18446744073709551616", 200],
    // A start past 2^53 is ignored as an invalid range (RFC 9110 lets a server ignore Range); Tornado: 416.
    ["/static/robots.txt", "Range: bytes=18446744073709551616-", 200, 416],
    ["/static/robots.txt", "Range: bytes=-18446744073709551616", 200],
    ["/static/robots.txt", "If-Modified-Since: garbage", 200],
    ["/static/link-in", undefined, 200],
  ];

  for (const [target, header, status, tornado] of cases) {
    test(`${target}${header ? ` with ${header}` : ""} → ${status}${tornado === undefined ? "" : ` (Tornado: ${tornado})`}`, async () => {
      const send = (): Promise<{ status: number; head: string; body: Buffer }> => rawGet(plain.port, target, header ? [header] : []);
      const response = status === 403 ? await expectLog(genLog, "403 GET", send) : await send();
      assert.equal(response.status, status);
      assert.ok(!response.body.toString("latin1").includes(SECRET), "nothing from outside the root is sent");
      const next = await rawGet(plain.port, "/static/robots.txt");
      assert.equal(next.status, 200, "the server keeps serving");
    });
  }

  test("a default file that is a symlink out of the root is refused", async () => {
    // Tornado serves it.
    const response = await expectLog(genLog, "403 GET", () => rawGet(withIndex.port, "/static/dir/index-out.html"));
    assert.equal(response.status, 403);
    assert.equal((await rawGet(withIndex.port, "/static/dir/")).body.toString(), "index\n");
  });

  test("a directory symlink out of the root is not redirected into", async () => {
    const response = await expectLog(genLog, "403 GET", () => rawGet(withIndex.port, "/static/dir-out"));
    assert.equal(response.status, 403);
    assert.equal(rawHeader(response.head, "Location"), undefined);
  });
});
