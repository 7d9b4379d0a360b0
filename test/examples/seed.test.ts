// examples/seed.ts, the demo `npm start` runs: the article's handlers, GenAsyncHandler fetching a
// page with AsyncHTTPClient and rendering a template with a versioned stylesheet, and the
// XSRF-protected POST, driven over real sockets; then the program itself, started and stopped.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { after, before, describe, test } from "node:test";
import { expectLog, genLog } from "typhoon";
import { createSeedApp } from "../../examples/seed.js";
import { type Served, serve } from "../helpers.js";

/** The `name=value` pairs of a response's Set-Cookie headers. */
function cookiesOf(response: Response): Map<string, string> {
  return new Map(response.headers.getSetCookie().map((line) => line.split(";")[0]!.split("=", 2) as [string, string]));
}

describe("examples/seed", () => {
  let served: Served;
  before(async () => {
    served = await serve(createSeedApp({ debug: false }));
  });
  after(() => served.close());

  test("/ writes ololo and /test/ counts the database's users", async () => {
    assert.equal(await (await fetch(served.url("/"))).text(), "ololo");
    assert.deepEqual(await (await fetch(served.url("/test/"))).json(), { users: 0 });
  });

  test("/gen/ renders what the HTTP client fetched, with a versioned stylesheet that may be cached a year", async () => {
    const response = await fetch(served.url("/gen/"));
    assert.equal(response.status, 200);
    const html = await response.text();
    assert.match(html, /<h1>GenAsyncHandler<\/h1>/);
    assert.match(html, /fetched <code>http:\/\/127\.0\.0\.1:\d+\/test\/<\/code>/);
    assert.match(html, /\(200, \d+ bytes, \d+ ms\)/);
    assert.match(html, /<pre>\{&quot;users&quot;:/, "the fetched JSON is shown, escaped");
    const stylesheet = /href="(\/static\/site\.css\?v=[0-9a-f]{128})"/.exec(html);
    assert.ok(stylesheet, `no versioned stylesheet link in ${html}`);
    const css = await fetch(served.url(stylesheet[1]!));
    assert.equal(css.status, 200);
    assert.equal(css.headers.get("content-type"), "text/css; charset=utf-8");
    assert.equal(css.headers.get("cache-control"), "max-age=31536000");
    assert.ok(cookiesOf(response).has("_xsrf"), "the page's form sets the _xsrf cookie");
  });

  test("POST /hwoiam/<name> needs the XSRF token, and takes it from a header or a form field", async () => {
    const page = await fetch(served.url("/gen/"));
    const token = cookiesOf(page).get("_xsrf")!;
    const formToken = /name="_xsrf" value="([^"]+)"/.exec(await page.text())?.[1];
    assert.ok(formToken, "the form has an _xsrf field");

    const refused = await expectLog(genLog, /403 POST \/hwoiam\/ann .*_xsrf. argument missing/, () => fetch(served.url("/hwoiam/ann"), { method: "POST" }), { level: "warning" });
    assert.equal(refused.status, 403);

    const cookie = `_xsrf=${token}`;
    const json = await fetch(served.url("/hwoiam/ann"), { method: "POST", headers: { Cookie: cookie, "X-Xsrftoken": token } });
    assert.deepEqual(await json.json(), { hello: "ann", visits: 1 });

    const form = await fetch(served.url("/hwoiam/"), {
      method: "POST",
      headers: { Cookie: cookie, Accept: "text/html" },
      body: new URLSearchParams({ _xsrf: formToken, username: "ann" }),
    });
    assert.equal(form.status, 200);
    assert.match(await form.text(), /Hello, ann: visit number 2\./);
    assert.deepEqual(await (await fetch(served.url("/test/"))).json(), { users: 1 });
  });

  test("robots.txt comes from staticPath", async () => {
    const response = await fetch(served.url("/robots.txt"));
    assert.equal(response.status, 200);
    assert.match(await response.text(), /^User-agent: \*/);
  });
});

/** A port nobody listens on at the moment. */
async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, "close");
  return port;
}

test("the program npm start runs serves the demo and exits cleanly on SIGTERM", async () => {
  const port = await freePort();
  const child = spawn(process.execPath, ["--conditions=typhoon-source", "--import", "tsx", "examples/seed.ts"], {
    env: { ...process.env, PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (text: string) => (output += text));
  child.stderr.setEncoding("utf8").on("data", (text: string) => (output += text));
  const exited = once(child, "exit");
  try {
    for (let waited = 0; !output.includes("Typhoon demo on"); waited += 50) {
      assert.ok(waited < 20_000 && child.exitCode === null, `the demo did not start: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), "ololo");
    child.kill("SIGTERM");
    const [code] = await exited;
    assert.equal(code, 0, output);
  } finally {
    child.kill("SIGKILL");
  }
});
