// Users, signed cookies and XSRF: login/logout with a signed cookie, a protected page, and notes
// posted three ways — an HTML form, fetch() with the X-Xsrftoken header, fetch() with a JSON body —
// all XSRF-checked by Typhoon with no override (the seed article had to rewrite check_xsrf_cookie).
//
//   npx tsx --conditions=typhoon-source examples/auth.ts   then open http://localhost:8888/ (ann / wonderland)
import { randomBytes, scrypt as scryptCallback, timingSafeEqual } from "node:crypto";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { Application, authenticated, DictLoader, enablePrettyLogging, HTTPError, RequestHandler } from "typhoon";

const scrypt = promisify(scryptCallback) as (password: string, salt: Buffer, length: number) => Promise<Buffer>;

/** A user store: name → salted scrypt hash. Passwords are never kept. */
export class Users {
  #hashes = new Map<string, { salt: Buffer; hash: Buffer }>();

  async add(name: string, password: string): Promise<void> {
    const salt = randomBytes(16);
    this.#hashes.set(name, { salt, hash: await scrypt(password, salt, 32) });
  }

  has(name: string): boolean {
    return this.#hashes.has(name);
  }

  /** True when `password` is the user's; always hashes, so timing does not reveal unknown names. */
  async check(name: string, password: string): Promise<boolean> {
    const entry = this.#hashes.get(name) ?? { salt: Buffer.alloc(16), hash: Buffer.alloc(32) };
    const hash = await scrypt(password, entry.salt, 32);
    return timingSafeEqual(hash, entry.hash) && this.#hashes.has(name);
  }
}

/**
 * Where to go after logging in: a path on this site, or `/`. `next=` comes from the query, so an
 * attacker can put anything there (`//evil.example`, `https://evil.example`, `/\evil.example`):
 * only plain local paths pass.
 */
export function safeNextUrl(next: string): string {
  return /^\/(?![/\\])/.test(next) && !/[\x00-\x1f\x7f]/.test(next) ? next : "/";
}

const TEMPLATES = {
  "base.html": `<!doctype html>
<html><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body>{% block body %}{% end %}</body></html>`,
  "login.html": `{% extends "base.html" %}{% block body %}
<h1>Log in</h1>
{% if error %}<p class="error">{{ error }}</p>{% end %}
<form method="post" action="/login">
  {% raw xsrfFormHtml() %}
  <input type="hidden" name="next" value="{{ next }}">
  <p><label>Name <input name="name" autocomplete="username" required></label></p>
  <p><label>Password <input name="password" type="password" autocomplete="current-password" required></label></p>
  <p><button>Log in</button></p>
</form>
{% end %}`,
  "home.html": `{% extends "base.html" %}{% block body %}
<h1>Notes of {{ currentUser }}</h1>
<ul id="notes">{% for note in notes %}<li>{{ note }}</li>{% end %}</ul>

<h2>With a form</h2>
<form method="post" action="/notes">
  {% raw xsrfFormHtml() %}
  <input name="text" required> <button>Add</button>
</form>

<h2>With fetch()</h2>
<input id="text"> <button id="header">Add (X-Xsrftoken header)</button> <button id="json">Add (JSON body)</button>
<script>
  // The _xsrf cookie (set when this page called xsrfFormHtml) is readable by scripts: copy it
  // into a header, or into the JSON body. A page on another site can do neither.
  const xsrf = document.cookie.match(/(?:^|; )_xsrf=([^;]*)/)?.[1] ?? "";
  const show = (notes) => {
    document.getElementById("notes").replaceChildren(...notes.map((note) => Object.assign(document.createElement("li"), { textContent: note })));
  };
  document.getElementById("header").onclick = async () => {
    const response = await fetch("/notes", {
      method: "POST",
      headers: { "X-Xsrftoken": xsrf, Accept: "application/json" },
      body: new URLSearchParams({ text: document.getElementById("text").value }),
    });
    show((await response.json()).notes);
  };
  document.getElementById("json").onclick = async () => {
    const response = await fetch("/notes", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ _xsrf: xsrf, text: document.getElementById("text").value }),
    });
    show((await response.json()).notes);
  };
</script>

<form method="post" action="/logout">{% raw xsrfFormHtml() %}<button>Log out</button></form>
{% end %}`,
};

/** What the handlers share: the users and their notes. */
interface Store {
  users: Users;
  notes: Map<string, string[]>;
}

class BaseHandler extends RequestHandler<string> {
  declare store: Store;

  override initialize({ store }: { store: Store }): void {
    this.store = store;
  }

  /** The user named by the signed `user` cookie, if it is valid and the user still exists. */
  override getCurrentUser(): string | null {
    const name = this.getSignedCookie("user")?.toString("utf8");
    return name !== undefined && this.store.users.has(name) ? name : null;
  }
}

class HomeHandler extends BaseHandler {
  @authenticated
  async get(): Promise<void> {
    await this.render("home.html", { title: "Notes", notes: this.store.notes.get(this.currentUser!) ?? [] });
  }
}

class NotesHandler extends BaseHandler {
  /** Adds a note from a form field or a JSON body; scripts (Accept: application/json) get the list back. */
  @authenticated
  post(): void {
    const isJson = this.request.headers.get("Content-Type")?.startsWith("application/json") ?? false;
    const text = isJson ? this.getJsonBody<{ text?: unknown }>().text : this.getArgument("text");
    if (typeof text !== "string" || text.trim() === "") throw new HTTPError(400, "empty note");
    const notes = this.store.notes.get(this.currentUser!) ?? [];
    notes.push(text.trim().slice(0, 500));
    this.store.notes.set(this.currentUser!, notes);
    if (this.request.headers.get("Accept")?.includes("application/json")) this.write({ notes });
    else this.redirect("/");
  }
}

class LoginHandler extends BaseHandler {
  get(): Promise<void> {
    return this.render("login.html", { title: "Log in", error: "", next: safeNextUrl(this.getArgument("next", "/")) });
  }

  async post(): Promise<void> {
    const name = this.getArgument("name", "");
    const next = safeNextUrl(this.getArgument("next", "/"));
    if (!(await this.store.users.check(name, this.getArgument("password", "")))) {
      this.setStatus(403);
      await this.render("login.html", { title: "Log in", error: "Wrong name or password.", next });
      return;
    }
    this.setSignedCookie("user", name, { httpOnly: true, sameSite: "Lax", secure: this.request.protocol === "https" });
    this.redirect(next);
  }
}

class LogoutHandler extends BaseHandler {
  post(): void {
    this.clearCookie("user");
    this.redirect("/login");
  }
}

/** Options of {@link createAuthApp}. */
export interface AuthAppOptions {
  /** Signs the `user` cookie; keep it secret and the same across processes. */
  cookieSecret: string;
  users: Users;
}

/** The application: every POST is XSRF-checked (`xsrfCookies: true`). */
export function createAuthApp({ cookieSecret, users }: AuthAppOptions): Application {
  const store: Store = { users, notes: new Map() };
  return new Application(
    [
      ["/", HomeHandler, { store }],
      ["/notes", NotesHandler, { store }],
      ["/login", LoginHandler, { store }],
      ["/logout", LogoutHandler, { store }],
    ],
    {
      cookieSecret,
      loginUrl: "/login",
      xsrfCookies: true,
      xsrfCookieKwargs: { sameSite: "Lax" },
      templateLoader: new DictLoader(TEMPLATES),
    },
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  enablePrettyLogging();
  const users = new Users();
  await users.add("ann", "wonderland");
  const port = Number(process.env.PORT ?? 8888);
  await createAuthApp({ cookieSecret: process.env.COOKIE_SECRET ?? randomBytes(32).toString("hex"), users }).listen(port);
  console.log(`Listening on http://localhost:${port}/ — log in as ann / wonderland`);
}
