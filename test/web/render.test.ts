// Tests of rendering in handlers: render()/renderString(), the template namespace, loaders and
// their settings, the compiled-template cache, and errors thrown while rendering.
// Mirrors tornado/test/web_test.py (FinalReturnTest::test_render_method_return_future and the
// render parts of WSGISafeWebTest / UIMethodUIModuleTest) and covers issue 5's "Bad input".
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  appLog,
  Application,
  type ApplicationSettings,
  DictLoader,
  expectLog,
  Finish,
  genLog,
  HTTPError,
  type LogRecord,
  RequestHandler,
  type TemplateLike,
  type TemplateLoaderLike,
  TemplatePathError,
  TemplateRenderError,
  url,
} from "typhoon";
import { createApp } from "../../examples/templates-app/app.js";
import { type Served, serve } from "../helpers.js";

/** Runs `fn` and returns the error records `appLog` got meanwhile (kept from the test's log check). */
async function captureErrors(fn: () => Promise<unknown>): Promise<LogRecord[]> {
  const records: LogRecord[] = [];
  const stop = appLog.intercept((record) => {
    records.push(record);
    return true;
  });
  try {
    await fn();
  } finally {
    stop();
  }
  return records;
}

/** A handler rendering the template named by `?t=`, with the query arguments as kwargs. */
class RenderHandler extends RequestHandler {
  get() {
    const kwargs: Record<string, string> = {};
    for (const name in this.request.queryArguments) if (name !== "t") kwargs[name] = this.getArgument(name);
    return this.render(this.getArgument("t"), kwargs);
  }
}

function dictApp(templates: Record<string, string>, settings: ApplicationSettings = {}): Application {
  return new Application([["/", RenderHandler]], { templateLoader: new DictLoader(templates), ...settings });
}

/** The repository root, where child programs run. */
const root = fileURLToPath(new URL("../..", import.meta.url));

/** A port nothing listens on, for a child program to take. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), "typhoon-render-"));
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A fresh template directory with these files. */
function templateDir(files: Record<string, string>): string {
  const path = mkdtempSync(join(dir, "templates-"));
  for (const [name, source] of Object.entries(files)) {
    mkdirSync(join(path, name, ".."), { recursive: true });
    writeFileSync(join(path, name), source);
  }
  return path;
}

describe("FinalReturnTest (web_test.py)", () => {
  test("test_render_method_return_future: render() returns a Promise that resolves once finished", async () => {
    let returned: unknown;
    class Handler extends RequestHandler {
      override createTemplateLoader(): TemplateLoaderLike {
        return new DictLoader({ "foo.html": "hi" });
      }

      get() {
        returned = this.render("foo.html");
      }
    }
    const application = new Application([["/render", Handler]], { templatePath: "FinalReturnTest" });
    const response = await application.inject({ url: "/render" });
    assert.equal(response.code, 200);
    assert.equal(response.text, "hi");
    assert.ok(returned instanceof Promise, "render() returns a Promise");
    assert.equal(await returned, undefined);
  });
});

describe("render() and renderString()", () => {
  test("render() reads templates from templatePath, passes kwargs and sends text/html", async () => {
    const path = templateDir({
      "base.html": "<title>{% block title %}{% end %}</title>{% block body %}{% end %}",
      "pages/home.html": '{% extends "../base.html" %}{% block title %}Home{% end %}{% block body %}<p>{{ greeting }}, {{ name }}</p>{% end %}',
    });
    const application = new Application([["/", RenderHandler]], { templatePath: path });
    const response = await application.inject({ url: "/?t=pages/home.html&greeting=Hello&name=Ann" });
    assert.equal(response.code, 200);
    assert.equal(response.headers.get("Content-Type"), "text/html; charset=UTF-8");
    assert.equal(response.text, "<title>Home</title><p>Hello, Ann</p>");
  });

  test("renderString() returns the text without finishing; render() after finish() is an error", async () => {
    class Handler extends RequestHandler {
      async get() {
        const text = this.renderString("t.html", { x: 1 });
        assert.equal(this.finished, false);
        await this.finish(`[${text}]`);
        assert.throws(() => this.render("t.html", { x: 2 }), (error: Error & { code?: string }) => error.code === "TYPHOON_ERR_RENDER_AFTER_FINISH");
      }
    }
    const application = new Application([["/", Handler]], { templateLoader: new DictLoader({ "t.html": "x={{ x }}" }) });
    assert.equal((await application.inject({ url: "/" })).text, "[x=1]");
  });

  test("a HEAD request renders the headers of the page without its body", async () => {
    class Handler extends RequestHandler {
      head() {
        return this.render("t.html");
      }
    }
    const application = new Application([["/", Handler]], { templateLoader: new DictLoader({ "t.html": "12345" }) });
    const response = await application.inject({ url: "/", method: "HEAD" });
    assert.equal(response.code, 200);
    assert.equal(response.headers.get("Content-Length"), "5");
    assert.equal(response.text, "");
  });

  test("rendering over a real connection", async () => {
    const served = await serve(dictApp({ "t.html": "<b>{{ v }}</b>" }));
    try {
      const response = await fetch(served.url("/?t=t.html&v=%3Cwire%3E"));
      assert.equal(response.status, 200);
      assert.equal(await response.text(), "<b>&lt;wire&gt;</b>");
    } finally {
      await served.close();
    }
  });
});

describe("getTemplateNamespace()", () => {
  test("handler, request, currentUser, locale, _, pgettext, reverseUrl and modules are template variables", async () => {
    class Handler extends RequestHandler<{ name: string }> {
      override async getCurrentUser() {
        return { name: "ben" };
      }

      get(id: string) {
        return this.render("ns.html", { id });
      }
    }
    const template = [
      "{{ handler.constructor.name }}|{{ request.path }}|{{ currentUser.name }}|{{ locale.code }}",
      "{{ _('apple') }}|{{ _('apple', 'apples', 1) }}|{{ _('apple', 'apples', 2) }}|{{ pgettext('fruit', 'apple', 'apples', 3) }}",
      "{{ reverseUrl('item', id) }}|{{ typeof modules.Template }}|{{ typeof staticUrl }}|{{ typeof xsrfFormHtml }}",
    ].join("\n");
    const application = new Application([url("/item/(\\d+)", Handler, undefined, "item")], {
      templateLoader: new DictLoader({ "ns.html": template }),
    });
    const response = await application.inject({ url: "/item/7" });
    assert.equal(response.text, "Handler|/item/7|ben|en_US\napple|apple|apples|apples\n/item/7|function|function|function");
  });

  test("staticUrl and xsrfFormHtml join the namespace when the handler has them", async () => {
    class Handler extends RequestHandler {
      override staticUrl(path: string): string {
        return `/static/${path}?v=abc`;
      }

      override xsrfFormHtml(): string {
        return '<input type="hidden" name="_xsrf" value="t">';
      }

      get() {
        return this.render("t.html");
      }
    }
    const application = new Application([["/", Handler]], {
      templateLoader: new DictLoader({ "t.html": "{{ staticUrl('a.css') }} {% raw xsrfFormHtml() %}" }),
    });
    assert.equal((await application.inject({ url: "/" })).text, '/static/a.css?v=abc <input type="hidden" name="_xsrf" value="t">');
  });

  test("an override adds names; render() kwargs win over the namespace", async () => {
    class Handler extends RequestHandler {
      override getTemplateNamespace() {
        return { ...super.getTemplateNamespace(), site: "Typhoon", tagline: "fast" };
      }

      get() {
        return this.render("t.html", { tagline: "faster" });
      }
    }
    const application = new Application([["/", Handler]], { templateLoader: new DictLoader({ "t.html": "{{ site }}: {{ tagline }}" }) });
    assert.equal((await application.inject({ url: "/" })).text, "Typhoon: faster");
  });

  test("every render gets the same set of names in the same order, so each template compiles once", async () => {
    const seen: string[] = [];
    const inner = new DictLoader({ "page.html": "{% module Template('part.html', {n: 1}) %}", "part.html": "{{ n }}" });
    const spy: TemplateLoaderLike = {
      load(name: string): TemplateLike {
        const template = inner.load(name);
        return {
          generate(namespace) {
            seen.push(`${name}: ${Object.keys(namespace).join(",")}`);
            return template.generate(namespace);
          },
        };
      },
    };
    class Handler extends RequestHandler {
      get() {
        return this.render("page.html", { title: "t" });
      }
    }
    const application = new Application([["/", Handler]], { templateLoader: spy, uiMethods: { shout: (_handler: RequestHandler, s: string) => s } });
    await application.inject({ url: "/" });
    await application.inject({ url: "/" });
    const base = "handler,request,currentUser,locale,_,pgettext,staticUrl,xsrfFormHtml,reverseUrl,shout,modules";
    // The Template module renders part.html through the same loader, with setResources added.
    const page = [`page.html: ${base},title`, `part.html: ${base},setResources,n`];
    assert.deepEqual(seen, [...page, ...page]);
  });
});

describe("loader settings", () => {
  test("templateLoader: any object whose load(name) returns something with generate(namespace)", async () => {
    const calls: string[] = [];
    const custom: TemplateLoaderLike = {
      load: (name) => ({
        generate: (namespace) => {
          calls.push(name);
          return `custom ${name} for ${String((namespace["request"] as { path: string }).path)} with ${String(namespace["x"])}`;
        },
      }),
    };
    const application = new Application([["/", RenderHandler]], { templateLoader: custom, templatePath: "/nonexistent" });
    assert.equal((await application.inject({ url: "/?t=any.tpl&x=1" })).text, "custom any.tpl for / with 1");
    assert.deepEqual(calls, ["any.tpl"]);
  });

  test("the default escapes user data (<script>, quotes, &); {% raw %} is the way out", async () => {
    const application = dictApp({ "t.html": "<p title='{{ v }}'>{{ v }}</p>{% raw v %}" });
    const response = await application.inject({ url: `/?t=t.html&v=${encodeURIComponent(`<script>alert("x" & 'y')</script>`)}` });
    assert.equal(
      response.text,
      "<p title='&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;'>&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;</p>" +
        `<script>alert("x" & 'y')</script>`,
    );
  });

  test("autoescape and templateWhitespace settings configure the Loader made from templatePath", async () => {
    const path = templateDir({ "t.html": "<p>\n    {{ v }}   </p>", "j.js": "var v = {{ v }};" });
    const raw = new Application([["/", RenderHandler]], { templatePath: path, autoescape: null, templateWhitespace: "all" });
    assert.equal((await raw.inject({ url: "/?t=t.html&v=%3Ci%3E" })).text, "<p>\n    <i>   </p>");
    const json = new Application([["/", RenderHandler]], { templatePath: path, autoescape: "jsonEncode" });
    assert.equal((await json.inject({ url: "/?t=j.js&v=%3C/script%3E" })).text, 'var v = "<\\/script>";');
    const defaults = new Application([["/", RenderHandler]], { templatePath: path });
    assert.equal((await defaults.inject({ url: "/?t=t.html&v=%3Ci%3E" })).text, "<p>\n&lt;i&gt; </p>");
  });

  test("loaders are cached per application (beyond Tornado's process-wide cache by path)", async () => {
    const path = templateDir({ "t.html": "{{ v }}" });
    const escaped = new Application([["/", RenderHandler]], { templatePath: path });
    const raw = new Application([["/", RenderHandler]], { templatePath: path, autoescape: null });
    assert.equal((await escaped.inject({ url: "/?t=t.html&v=%3Ci%3E" })).text, "&lt;i&gt;");
    assert.equal((await raw.inject({ url: "/?t=t.html&v=%3Ci%3E" })).text, "<i>");
    assert.equal((await escaped.inject({ url: "/?t=t.html&v=%3Ci%3E" })).text, "&lt;i&gt;");
  });

  test("getTemplatePath() and createTemplateLoader() overrides choose the templates per handler class", async () => {
    const one = templateDir({ "t.html": "one" });
    const two = templateDir({ "t.html": "two" });
    class First extends RequestHandler {
      get() {
        return this.render("t.html");
      }
    }
    class Second extends First {
      override getTemplatePath() {
        return two;
      }
    }
    class Third extends First {
      override createTemplateLoader() {
        return new DictLoader({ "t.html": "three" });
      }
    }
    const application = new Application(
      [
        ["/1", First],
        ["/2", Second],
        ["/3", Third],
      ],
      { templatePath: one },
    );
    for (const [path, text] of [["/1", "one"], ["/2", "two"], ["/3", "three"], ["/1", "one"]] as const) {
      assert.equal((await application.inject({ url: path })).text, text);
    }
  });
});

describe("compiledTemplateCache", () => {
  test("debug turns the cache off: an edited template shows up on the next request", async () => {
    const path = templateDir({ "t.html": "v1", "base.html": "[{% block b %}{% end %}]", "child.html": "{% extends 'base.html' %}{% block b %}c1{% end %}" });
    const application = new Application([["/", RenderHandler]], { templatePath: path, debug: true, autoreload: false });
    assert.equal((await application.inject({ url: "/?t=t.html" })).text, "v1");
    assert.equal((await application.inject({ url: "/?t=child.html" })).text, "[c1]");
    writeFileSync(join(path, "t.html"), "v2");
    writeFileSync(join(path, "base.html"), "<{% block b %}{% end %}>");
    assert.equal((await application.inject({ url: "/?t=t.html" })).text, "v2");
    assert.equal((await application.inject({ url: "/?t=child.html" })).text, "<c1>");
  });

  test("with the cache on (the default) a template is read and compiled once", async () => {
    const path = templateDir({ "t.html": "v1" });
    const application = new Application([["/", RenderHandler]], { templatePath: path });
    assert.equal((await application.inject({ url: "/?t=t.html" })).text, "v1");
    writeFileSync(join(path, "t.html"), "v2");
    assert.equal((await application.inject({ url: "/?t=t.html" })).text, "v1");
  });

  test("with the cache off, a custom loader's reset() is called once per rendering request", async () => {
    let resets = 0;
    const loader: TemplateLoaderLike = {
      load: () => ({ generate: () => "<head></head><body></body>" }),
      reset: () => resets++,
    };
    class Handler extends RequestHandler {
      get() {
        this.renderString("a.html");
        this.renderString("b.html");
        return this.render("c.html");
      }
    }
    const application = new Application([["/", Handler],
        ["/plain", RenderHandler],
      ], { templateLoader: loader, compiledTemplateCache: false });
    await application.inject({ url: "/" });
    assert.equal(resets, 0, "nothing to reset before the first load");
    await application.inject({ url: "/" });
    assert.equal(resets, 1);
    await application.inject({ url: "/plain?t=x" });
    await application.inject({ url: "/plain?t=x" });
    assert.equal(resets, 3);
  });
});

describe("errors while rendering", () => {
  const templates = {
    "broken.html": "<p>partial output</p>\n<ul>\n{{ items.map((item) => item.name).join() }}\n</ul>",
    "not-found.html": "before {{ notFound() }} after",
    "finish.html": "before {{ finishEarly() }} after",
    "argument.html": "{{ handler.getArgument('required') }}",
    "module.html": "<div>{% module Template('broken.html', {items: [null]}) %}</div>",
  };
  class Handler extends RequestHandler {
    get() {
      return this.render(this.getArgument("t"), {
        items: [{ name: "a" }, null],
        notFound: () => {
          throw new HTTPError(404, "no such thing");
        },
        finishEarly: () => {
          this.setStatus(202);
          throw new Finish("finished from a template");
        },
      });
    }
  }

  test("a template that throws is a 500 naming template and line in the log; no partial output is sent", async () => {
    const application = new Application([["/", Handler]], { templateLoader: new DictLoader(templates) });
    let text = "";
    const records = await captureErrors(async () => {
      const response = await application.inject({ url: "/?t=broken.html" });
      assert.equal(response.code, 500);
      text = response.text;
    });
    assert.equal(text, "<html><title>500: Internal Server Error</title><body>500: Internal Server Error</body></html>");
    assert.equal(records.length, 1);
    assert.match(records[0]!.message, /^Uncaught exception GET \/\?t=broken\.html/);
    const error = records[0]!.error;
    assert.ok(error instanceof TemplateRenderError, "the logged error is a TemplateRenderError");
    assert.equal(error.location, "broken.html:3");
    assert.match(error.message, /broken\.html:3.*TypeError/);
  });

  test("with serveTraceback the page shows the template and line", async () => {
    const application = new Application([["/", Handler]], { templateLoader: new DictLoader(templates), serveTraceback: true });
    await captureErrors(async () => {
      const response = await application.inject({ url: "/?t=module.html" });
      assert.equal(response.code, 500);
      assert.match(response.text, /Error rendering template module\.html:1: Error rendering template broken\.html:3: TypeError/);
      assert.doesNotMatch(response.text, /partial output/);
    });
  });

  test("an HTTPError thrown in a template keeps its status", async () => {
    const application = new Application([["/", Handler]], { templateLoader: new DictLoader(templates) });
    await expectLog(genLog, /404 GET \/\?t=not-found\.html \(127\.0\.0\.1\): no such thing/, async () => {
      const response = await application.inject({ url: "/?t=not-found.html" });
      assert.equal(response.code, 404);
      assert.doesNotMatch(response.text, /before/);
    });
  });

  test("a MissingArgumentError from a template is a 400", async () => {
    const application = new Application([["/", Handler]], { templateLoader: new DictLoader(templates) });
    await expectLog(genLog, /400 GET .*Missing argument required/, async () => {
      assert.equal((await application.inject({ url: "/?t=argument.html" })).code, 400);
    });
  });

  test("Finish thrown in a template finishes the request without an error", async () => {
    const application = new Application([["/", Handler]], { templateLoader: new DictLoader(templates) });
    const response = await application.inject({ url: "/?t=finish.html" });
    assert.equal(response.code, 202);
    assert.equal(response.text, "finished from a template");
  });

  test("template names with .. or absolute paths cannot leave templatePath", async () => {
    const root = templateDir({ "ok.html": "ok" });
    writeFileSync(join(root, "..", "secret.txt"), "SECRET");
    const names = ["ok.html", "../secret.txt", join(root, "..", "secret.txt"), "/etc/passwd", "a/../../secret.txt", "ok.html\0"];
    class Handler extends RequestHandler {
      get(index: string) {
        return this.render(names[Number(index)]!);
      }
    }
    const application = new Application([["/(\\d)", Handler]], { templatePath: root });
    assert.equal((await application.inject({ url: "/0" })).text, "ok");
    for (let index = 1; index < names.length; index++) {
      const records = await captureErrors(async () => {
        const response = await application.inject({ url: `/${index}` });
        assert.equal(response.code, 500, names[index]);
        assert.doesNotMatch(response.text, /SECRET|root:/);
      });
      assert.equal(records.length, 1, names[index]);
      assert.ok(records[0]!.error instanceof TemplatePathError, names[index]);
    }
  });

  test("rendering without templatePath or templateLoader is a 500 saying what to set", async () => {
    const application = new Application([["/", RenderHandler]]);
    const records = await captureErrors(async () => {
      assert.equal((await application.inject({ url: "/?t=t.html" })).code, 500);
    });
    assert.equal((records[0]!.error as { code?: string }).code, "TYPHOON_ERR_NO_TEMPLATE_PATH");
    assert.match(String(records[0]!.error), /templatePath setting/);
  });

  test("a parse error is a 500 naming file and line", async () => {
    const application = dictApp({ "bad.html": "<p>\n{% if x %}" });
    const records = await captureErrors(async () => {
      assert.equal((await application.inject({ url: "/?t=bad.html" })).code, 500);
    });
    assert.match(String(records[0]!.error), /Missing \{% end %\} block for if at bad\.html:2/);
  });
});

describe("examples/templates-app", () => {
  /** A browser of one over a real connection: keeps cookies, does not follow redirects. */
  class Browser {
    readonly #cookies = new Map<string, string>();
    constructor(readonly served: Served) {}

    async request(path: string, init: RequestInit = {}): Promise<Response> {
      const headers = new Headers(init.headers);
      if (this.#cookies.size > 0) headers.set("Cookie", [...this.#cookies].map(([name, value]) => `${name}=${value}`).join("; "));
      const response = await fetch(this.served.url(path), { ...init, headers, redirect: "manual" });
      for (const line of response.headers.getSetCookie()) {
        const pair = line.split(";")[0]!;
        const equals = pair.indexOf("=");
        this.#cookies.set(pair.slice(0, equals), pair.slice(equals + 1));
      }
      return response;
    }

    /** POSTs the form fields with the `_xsrf` token of the form on `/` (or `token` when given). */
    async post(path: string, fields: Record<string, string>, token?: string): Promise<Response> {
      const html = await (await this.request("/")).text();
      const hidden = /<input type="hidden" name="_xsrf" value="([^"]+)"\/>/.exec(html);
      assert.ok(hidden, "the form carries the hidden _xsrf input");
      const body = new URLSearchParams({ _xsrf: token ?? hidden[1]!, ...fields });
      return this.request(path, { method: "POST", body });
    }
  }

  let served: Served;
  before(async () => {
    served = await serve(createApp());
  });
  after(() => served.close());

  test("layout + child page + UI module + a form with xsrfFormHtml()", async () => {
    const browser = new Browser(served);
    let response = await browser.request("/");
    assert.equal(response.status, 200);
    let text = await response.text();
    assert.match(text, /<title>Guest book · Typhoon<\/title>/);
    assert.match(text, /0 entries/);
    assert.match(text, /No entries yet/);
    assert.match(text, /<form method="post" action="\/">\n<input type="hidden" name="_xsrf" value="[^"]+"\/>/);
    assert.doesNotMatch(text, /\.entry \{/, "no module on the page, no module CSS");

    response = await browser.post("/", { name: "<b>Ann", message: "see http://example.com" });
    assert.equal(response.status, 302);
    assert.equal(response.headers.get("Location"), "/");

    text = await (await browser.request("/")).text();
    assert.match(text, /1 entry</);
    assert.match(text, /<style type="text\/css">\n\.entry \{[^}]*\}\n<\/style>\n<\/head>/);
    assert.match(text, /<a href="\/entry\/1">&lt;b&gt;Ann<\/a>/);

    text = await (await browser.request("/entry/1")).text();
    assert.match(text, /<title>&lt;b&gt;Ann's entry · Typhoon<\/title>/);
    assert.match(text, /<a href="http:\/\/example\.com">http:\/\/example\.com<\/a>/);

    response = await browser.post("/", { name: "", message: "kept <i>" });
    assert.equal(response.status, 400);
    text = await response.text();
    assert.match(text, /Please give your name and a message\./);
    assert.match(text, /<textarea name="message" required>kept &lt;i&gt;<\/textarea>/);

    response = await browser.request("/entry/99");
    assert.equal(response.status, 404);
    assert.match(await response.text(), /There is no entry 99\./);
  });

  test("a POST without the form's XSRF token is refused", async () => {
    const browser = new Browser(served);
    await expectLog(genLog, /403 POST \/ \(127\.0\.0\.1\): XSRF cookie does not match POST argument/, async () => {
      const response = await browser.post("/", { name: "Eve", message: "forged" }, "2|00000000|00000000000000000000000000000000|1");
      assert.equal(response.status, 403);
    });
    await expectLog(genLog, /403 POST \/ \(127\.0\.0\.1\): '_xsrf' argument missing from POST/, async () => {
      const response = await fetch(served.url("/"), { method: "POST", body: new URLSearchParams({ name: "Eve", message: "forged" }) });
      assert.equal(response.status, 403);
    });
    assert.doesNotMatch(await (await browser.request("/")).text(), /Eve/);
  });

  test("runs as a program", async () => {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port) };
    delete env["NODE_TEST_CONTEXT"];
    const program = spawn(process.execPath, ["--conditions=typhoon-source", "--import", "tsx", "examples/templates-app/app.ts"], {
      cwd: root,
      env,
      stdio: "ignore",
    });
    try {
      const deadline = Date.now() + 15_000;
      let text = "";
      while (!text.includes("<title>Guest book · Typhoon</title>")) {
        if (Date.now() > deadline) throw new Error(`the example did not answer on port ${port} (last answer ${JSON.stringify(text)})`);
        await new Promise((resolve) => setTimeout(resolve, 100));
        text = await fetch(`http://127.0.0.1:${port}/`).then((response) => response.text(), () => "");
      }
    } finally {
      program.kill("SIGTERM");
    }
  });
});

describe("autoreload", () => {
  // A child program, so the watchers of autoreload do not run in the test process.
  let child: ChildProcess | undefined;

  after(() => {
    child?.kill("SIGTERM");
  });

  test("with the cache on, a change under templatePath resets the loaders (no restart)", async () => {
    const programDir = mkdtempSync(join(dir, "program-"));
    mkdirSync(join(programDir, "templates"));
    writeFileSync(join(programDir, "templates", "page.html"), "v1");
    writeFileSync(
      join(programDir, "app.mjs"),
      `import { Application, RequestHandler } from ${JSON.stringify(pathToFileURL(join(root, "src/index.ts")).href)};
class Handler extends RequestHandler {
  get() { return this.render("page.html", { pid: process.pid }); }
}
const app = new Application([["/", Handler]], {
  autoreload: true, compiledTemplateCache: true, templatePath: ${JSON.stringify(join(programDir, "templates"))},
});
await app.listen(Number(process.env.PORT), "127.0.0.1");
`,
    );
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port) };
    delete env["NODE_TEST_CONTEXT"];
    child = spawn(process.execPath, ["--import", "tsx", join(programDir, "app.mjs")], { cwd: root, env, stdio: "ignore" });

    const deadline = Date.now() + 15_000;
    async function poll(expected: string): Promise<void> {
      for (;;) {
        const text = await fetch(`http://127.0.0.1:${port}/`).then((response) => response.text(), () => "");
        if (text === expected) return;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${JSON.stringify(expected)} (last answer ${JSON.stringify(text)})`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    await poll("v1");
    writeFileSync(join(programDir, "templates", "page.html"), "v2 {{ pid }}");
    await poll(`v2 ${child.pid}`);
  });
});
