// examples/auth.ts driven like a browser over a real socket: login/logout with a signed cookie, a
// protected page, and notes posted with a form, with fetch() + X-Xsrftoken, and with a JSON body.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { createSignedValue, expectLog, genLog } from "typhoon";
import { createAuthApp, safeNextUrl, Users } from "../../examples/auth.js";
import { type Served, serve } from "../helpers.js";

const SECRET = "test-secret-for-the-auth-example";

/** A minimal browser: keeps cookies, does not follow redirects. */
class Browser {
  readonly cookies = new Map<string, string>();
  constructor(readonly base: string) {}

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) headers.set("Cookie", [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; "));
    const response = await fetch(this.base + path, { ...init, headers, redirect: "manual" });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const equals = pair!.indexOf("=");
      const name = pair!.slice(0, equals);
      const value = pair!.slice(equals + 1);
      if (value === "" || /max-age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  /** The `_xsrf` value of the hidden input on `path`. */
  async formToken(path: string): Promise<string> {
    const html = await (await this.request(path)).text();
    const match = /name="_xsrf" value="([^"]+)"/.exec(html);
    assert.ok(match, `no _xsrf input on ${path}`);
    return match[1]!;
  }

  postForm(path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    return this.request(path, { method: "POST", body: new URLSearchParams(fields), headers });
  }

  async logIn(name = "ann", password = "wonderland", next = "/"): Promise<Response> {
    const token = await this.formToken("/login");
    return this.postForm("/login", { _xsrf: token, name, password, next });
  }
}

describe("examples/auth", () => {
  let served: Served;
  before(async () => {
    const users = new Users();
    await users.add("ann", "wonderland");
    served = await serve(createAuthApp({ cookieSecret: SECRET, users }));
  });
  after(() => served.close());
  const browser = (): Browser => new Browser(served.url(""));

  test("the protected page sends anonymous users to the login page with next=", async () => {
    const response = await browser().request("/");
    assert.equal(response.status, 302);
    assert.equal(response.headers.get("Location"), "/login?next=%2F");
  });

  test("logging in sets an HttpOnly signed cookie and goes to next; the page then shows the user", async () => {
    const b = browser();
    const login = await b.logIn("ann", "wonderland", "/");
    assert.equal(login.status, 302);
    assert.equal(login.headers.get("Location"), "/");
    const userCookie = login.headers.getSetCookie().find((line) => line.startsWith("user="));
    assert.ok(userCookie, "user cookie set");
    assert.match(userCookie, /HttpOnly/);
    assert.match(userCookie, /SameSite=Lax/);
    const page = await b.request("/");
    assert.equal(page.status, 200);
    assert.match(await page.text(), /Notes of ann/);
  });

  test("a wrong password (or unknown user) logs nobody in", async () => {
    for (const [name, password] of [
      ["ann", "nope"],
      ["bob", "wonderland"],
    ] as const) {
      const b = browser();
      const response = await b.logIn(name, password);
      assert.equal(response.status, 403);
      assert.match(await response.text(), /Wrong name or password/);
      assert.equal(b.cookies.has("user"), false);
    }
  });

  test("the login form itself is XSRF-protected", async () => {
    const b = browser();
    await b.formToken("/login");
    const response = await expectLog(genLog, ".*'_xsrf' argument missing", () =>
      b.postForm("/login", { name: "ann", password: "wonderland" }),
    );
    assert.equal(response.status, 403);
  });

  test("next= pointing to another host is replaced by /", async () => {
    for (const next of ["//evil.example/", "https://evil.example/", "/\\evil.example", "/\t/evil.example", "javascript:alert(1)"]) {
      const login = await browser().logIn("ann", "wonderland", next);
      assert.equal(login.headers.get("Location"), "/", next);
    }
    assert.equal(safeNextUrl("/notes?x=1"), "/notes?x=1");
  });

  test("a note posted with the HTML form (hidden _xsrf field)", async () => {
    const b = browser();
    await b.logIn();
    const token = await b.formToken("/");
    const response = await b.postForm("/notes", { _xsrf: token, text: "from a form" });
    assert.equal(response.status, 302);
    assert.match(await (await b.request("/")).text(), /<li>from a form<\/li>/);
  });

  test("a note posted by fetch() with the X-Xsrftoken header copied from the _xsrf cookie", async () => {
    const b = browser();
    await b.logIn();
    await b.request("/");
    const response = await b.postForm("/notes", { text: "from fetch" }, { "X-Xsrftoken": b.cookies.get("_xsrf")!, Accept: "application/json" });
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { notes: string[] }).notes.at(-1), "from fetch");
  });

  test("a note posted by fetch() with a JSON body carrying _xsrf", async () => {
    const b = browser();
    await b.logIn();
    await b.request("/");
    const response = await b.request("/notes", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ _xsrf: b.cookies.get("_xsrf"), text: "from JSON" }),
    });
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { notes: string[] }).notes.at(-1), "from JSON");
  });

  test("a forged POST (no token, or another session's token) is refused", async () => {
    const victim = browser();
    await victim.logIn();
    await victim.request("/");
    const attacker = browser();
    const attackerToken = await attacker.formToken("/login");
    const noToken = await expectLog(genLog, ".*'_xsrf' argument missing", () => victim.postForm("/notes", { text: "forged" }));
    assert.equal(noToken.status, 403);
    const otherToken = await expectLog(genLog, ".*XSRF cookie does not match", () => victim.postForm("/notes", { _xsrf: attackerToken, text: "forged" }));
    assert.equal(otherToken.status, 403);
    assert.doesNotMatch(await (await victim.request("/")).text(), /forged/);
  });

  test("tampered, foreign or expired user cookies read as logged out", async () => {
    const b = browser();
    await b.logIn();
    const good = b.cookies.get("user")!;
    for (const value of [
      good.replace(/[0-9a-f](?="?$)/, (c) => (c === "0" ? "1" : "0")),
      `"${createSignedValue("another secret", "user", "ann")}"`,
      `"${createSignedValue(SECRET, "session", "ann")}"`,
      `"${createSignedValue(SECRET, "user", "ann", { clock: () => Date.now() / 1000 - 40 * 86400 })}"`,
      `"${createSignedValue(SECRET, "user", "mallory")}"`,
    ]) {
      b.cookies.set("user", value);
      assert.equal((await b.request("/")).status, 302, value);
    }
  });

  test("logging out (an XSRF-checked POST) clears the cookie", async () => {
    const b = browser();
    await b.logIn();
    const token = await b.formToken("/");
    const logout = await b.postForm("/logout", { _xsrf: token });
    assert.equal(logout.status, 302);
    assert.equal(logout.headers.get("Location"), "/login");
    assert.equal(b.cookies.has("user"), false);
    assert.equal((await b.request("/")).status, 302);
  });
});

test("docs/security.md quotes safeNextUrl exactly as examples/auth.ts defines it", () => {
  const example = readFileSync(new URL("../../examples/auth.ts", import.meta.url), "utf8");
  const guide = readFileSync(new URL("../../docs/security.md", import.meta.url), "utf8");
  const source = /export function safeNextUrl[^]*?\n}\n/.exec(example)?.[0];
  assert.ok(source !== undefined, "examples/auth.ts defines safeNextUrl");
  assert.ok(guide.includes(source), "the guide's safeNextUrl matches the example's");
});
