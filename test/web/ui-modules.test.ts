// Tests of UI modules and UI methods: {% module %}, the built-in Template and linkify modules,
// CSS/JS/HTML added to rendered pages, this.ui. Mirrors tornado/test/web_test.py
// (UIMethodUIModuleTest, WSGISafeWebTest::test_uimodule_unescaped / test_uimodule_resources,
// GetCurrentUserTest).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  appLog,
  Application,
  DictLoader,
  type LogRecord,
  RequestHandler,
  TemplateModule,
  TemplateRenderError,
  UIModule,
} from "typhoon";

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

describe("UIMethodUIModuleTest (web_test.py)", () => {
  class Handler extends RequestHandler {
    get() {
      return this.render("foo.html");
    }

    value(): string {
      return this.getArgument("value");
    }
  }

  function myUiMethod(handler: Handler, x: number): string {
    return `In my_ui_method(${x}) with handler value ${handler.value()}.`;
  }

  class MyModule extends UIModule<Handler> {
    override render(x: number): string {
      return `In MyModule(${x}) with handler value ${this.handler.value()}.`;
    }
  }

  const application = new Application([["/", Handler]], {
    templateLoader: new DictLoader({ "foo.html": "{{ myUiMethod(42) }} {% module MyModule(123) %}" }),
    uiMethods: { myUiMethod },
    uiModules: { MyModule },
  });

  test("test_ui_method: UI methods and modules get the handler of the request", async () => {
    const response = await application.inject({ url: "/?value=asdf" });
    assert.equal(response.text, "In my_ui_method(42) with handler value asdf. In MyModule(123) with handler value asdf.");
  });
});

describe("WSGISafeWebTest UI module tests (web_test.py)", () => {
  class LinkifyHandler extends RequestHandler {
    get() {
      return this.render("linkify.html", { message: "http://example.com" });
    }
  }

  class UIModuleResourceHandler extends RequestHandler {
    get() {
      return this.render("page.html", { entries: [1, 2] });
    }
  }

  const loader = new DictLoader({
    "linkify.html": "{% module linkify(message) %}",
    "page.html": `<html><head></head><body>
{% for e in entries %}
{% module Template("entry.html", {entry: e}) %}
{% end %}
</body></html>`,
    "entry.html": `{{ setResources({embeddedCss: ".entry { margin-bottom: 1em; }",
                 embeddedJavascript: "js_embed()",
                 cssFiles: ["/base.css", "/foo.css"],
                 javascriptFiles: "/common.js",
                 htmlHead: "<meta>",
                 htmlBody: '<script src="/analytics.js"/>'}) }}
<div class="entry">...</div>`,
  });
  const application = new Application(
    [
      ["/linkify", LinkifyHandler],
      ["/uimodule_resources", UIModuleResourceHandler],
    ],
    { templateLoader: loader, autoescape: "xhtmlEscape" },
  );

  test("test_uimodule_unescaped: module output is not escaped", async () => {
    const response = await application.inject({ url: "/linkify" });
    assert.equal(response.text, '<a href="http://example.com">http://example.com</a>');
  });

  test("the built-in xsrfFormHtml module (Tornado's xsrf_form_html) is the handler's hidden _xsrf input", async () => {
    class FormHandler extends RequestHandler {
      get() {
        return this.render("form.html");
      }

      post() {
        this.write("posted");
      }
    }
    const app = new Application([["/", FormHandler]], {
      templateLoader: new DictLoader({ "form.html": '<form method="post">{% module xsrfFormHtml() %}</form>' }),
      xsrfCookies: true,
    });
    const page = await app.inject({ url: "/" });
    const match = /^<form method="post"><input type="hidden" name="_xsrf" value="([^"]+)"\/><\/form>$/.exec(page.text);
    assert.ok(match, `a hidden _xsrf input, not escaped: ${page.text}`);
    const cookie = page.headers.getList("Set-Cookie").find((line) => line.startsWith("_xsrf="));
    assert.ok(cookie !== undefined, "the page sets the _xsrf cookie");
    const posted = await app.inject({
      url: "/",
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Cookie: cookie.split(";")[0]! },
      body: `_xsrf=${encodeURIComponent(match[1]!)}`,
    });
    assert.equal(posted.code, 200);
    assert.equal(posted.text, "posted");
  });

  test("test_uimodule_resources: the Template module's resources land in <head> and <body>, once", async () => {
    const response = await application.inject({ url: "/uimodule_resources" });
    assert.equal(
      response.text,
      `<html><head><link href="/base.css" type="text/css" rel="stylesheet"/><link href="/foo.css" type="text/css" rel="stylesheet"/>
<style type="text/css">
.entry { margin-bottom: 1em; }
</style>
<meta>
</head><body>


<div class="entry">...</div>


<div class="entry">...</div>

<script src="/common.js" type="text/javascript"></script>
<script type="text/javascript">
//<![CDATA[
js_embed()
//]]>
</script>
<script src="/analytics.js"/>
</body></html>`,
    );
  });
});

describe("GetCurrentUserTest (web_test.py), adapted", () => {
  // Typhoon resolves getCurrentUser() before prepare() (it may be async), so Tornado's
  // laziness tests become: it runs once per request, and templates and modules see its value.
  const calls: string[] = [];

  class CurrentUserHandler extends RequestHandler<string> {
    override getCurrentUser(): string {
      calls.push(this.request.path);
      return "ben";
    }
  }

  class WithUserModule extends UIModule {
    override render(): string {
      return String(this.currentUser);
    }
  }

  class WithUserHandler extends CurrentUserHandler {
    get() {
      return this.finish(this.renderString("with_user.html"));
    }
  }

  class WithUserModuleHandler extends CurrentUserHandler {
    get() {
      return this.finish(this.renderString("with_user_module.html"));
    }
  }

  const application = new Application(
    [
      ["/with_user", WithUserHandler],
      ["/with_user_module", WithUserModuleHandler],
    ],
    {
      templateLoader: new DictLoader({
        "with_user.html": "{{ currentUser }}",
        "with_user_module.html": "{% module WithUserModule() %}",
      }),
      uiModules: { WithUserModule },
    },
  );

  test("test_get_current_user_works: currentUser in the template namespace", async () => {
    calls.length = 0;
    assert.equal((await application.inject({ url: "/with_user" })).text, "ben");
    assert.deepEqual(calls, ["/with_user"]);
  });

  test("test_get_current_user_from_ui_module_works: UIModule.currentUser", async () => {
    calls.length = 0;
    assert.equal((await application.inject({ url: "/with_user_module" })).text, "ben");
    assert.deepEqual(calls, ["/with_user_module"]);
  });
});

describe("UIModule", () => {
  const created: string[] = [];

  class Widget extends UIModule {
    constructor(handler: RequestHandler) {
      super(handler);
      created.push(handler.request.uri);
    }

    override render(label: string): string {
      return `<span class="widget">${label}</span>`;
    }

    override cssFiles() {
      return ["/widget.css", "https://cdn.example.com/w.css"];
    }

    override embeddedCss() {
      return ".widget { color: red }";
    }

    override javascriptFiles() {
      return "/widget.js";
    }

    override embeddedJavascript() {
      return "widget();";
    }

    override htmlHead() {
      return '<meta name="widget">';
    }

    override htmlBody() {
      return "<div id=widget-root></div>";
    }
  }

  /** Adds JavaScript that goes before the last </body>; its HTML goes before the first. */
  class Script extends UIModule {
    override render(): string {
      return "";
    }

    override javascriptFiles() {
      return ["/widget.js", "/script.js"];
    }

    override htmlBody() {
      return "<!-- script -->";
    }
  }

  class PageHandler extends RequestHandler {
    get() {
      return this.render(this.getArgument("page", "page.html"));
    }
  }

  const templates = {
    "page.html": "<html><head><title>t</title></head><body>{% module Widget('a') %}{% module Widget('b') %}</body></html>",
    "two-bodies.html": "<head></head><body>{% module Script() %}<iframe><body></body></iframe></body>",
    "no-body.html": "<head></head>{% module Widget('x') %}",
    "plain.html": "<p>{{ 1 + 1 }}</p>",
    "relative.html": "{% module Template('rel.html') %}</body>",
    "rel.html": "{{ setResources({javascriptFiles: 'app.js'}) }}",
  };
  const application = new Application([["/", PageHandler]], {
    templateLoader: new DictLoader(templates),
    uiModules: [{ Widget }, { Script }],
  });

  test("every resource hook adds to the page, once per module class however often it appears", async () => {
    created.length = 0;
    const response = await application.inject({ url: "/" });
    assert.equal(
      response.text,
      "<html><head><title>t</title>" +
        '<link href="/widget.css" type="text/css" rel="stylesheet"/><link href="https://cdn.example.com/w.css" type="text/css" rel="stylesheet"/>\n' +
        '<style type="text/css">\n.widget { color: red }\n</style>\n' +
        '<meta name="widget">\n' +
        "</head><body>" +
        '<span class="widget">a</span><span class="widget">b</span>' +
        '<script src="/widget.js" type="text/javascript"></script>\n' +
        '<script type="text/javascript">\n//<![CDATA[\nwidget();\n//]]>\n</script>\n' +
        "<div id=widget-root></div>\n" +
        "</body></html>",
    );
    assert.deepEqual(created, ["/"], "one Widget instance for the request");
    await application.inject({ url: "/" });
    assert.deepEqual(created, ["/", "/"], "a new instance for the next request");
  });

  test("JavaScript goes before the last </body>, htmlBody before the first; files are linked once", async () => {
    const response = await application.inject({ url: "/?page=two-bodies.html" });
    assert.equal(
      response.text,
      "<head></head><body><iframe><body><!-- script -->\n</body></iframe>" +
        '<script src="/widget.js" type="text/javascript"></script><script src="/script.js" type="text/javascript"></script>\n' +
        "</body>",
    );
  });

  test("a page without modules is left as rendered", async () => {
    assert.equal((await application.inject({ url: "/?page=plain.html" })).text, "<p>2</p>");
  });

  test("a page with no </body> for the modules' resources is a 500 naming the template", async () => {
    const records = await captureErrors(async () => {
      const response = await application.inject({ url: "/?page=no-body.html" });
      assert.equal(response.code, 500);
    });
    assert.equal(records.length, 1);
    assert.match(String(records[0]!.error), /the page rendered from no-body\.html has no <\/body>/);
  });

  test("a relative resource path goes through the handler's staticUrl, which needs staticPath", async () => {
    const records = await captureErrors(async () => {
      assert.equal((await application.inject({ url: "/?page=relative.html" })).code, 500);
    });
    assert.equal(records.length, 1);
    assert.match(String(records[0]!.error), /You must define the 'staticPath' setting in your application to use staticUrl/);

    class StaticUrlHandler extends PageHandler {
      override staticUrl(path: string): string {
        return `/static/${path}?v=1`;
      }
    }
    const withStatic = new Application([["/", StaticUrlHandler]], { templateLoader: new DictLoader(templates) });
    assert.equal(
      (await withStatic.inject({ url: "/?page=relative.html" })).text,
      '<script src="/static/app.js?v=1" type="text/javascript"></script>\n</body>',
    );
  });

  test("renderLinkedJs / renderEmbedCss and friends can be overridden", async () => {
    class DeferHandler extends PageHandler {
      override renderLinkedJs(jsFiles: readonly string[]): string {
        return jsFiles.map((file) => `<script defer src="${file}"></script>`).join("");
      }

      override renderEmbedCss(cssEmbed: readonly string[]): string {
        return `<style>${cssEmbed.join(" ")}</style>`;
      }
    }
    const custom = new Application([["/", DeferHandler]], { templateLoader: new DictLoader(templates), uiModules: { Widget } });
    const text = (await custom.inject({ url: "/" })).text;
    assert.match(text, /<script defer src="\/widget\.js"><\/script>\n<script type/);
    assert.match(text, /<style>\.widget \{ color: red \}<\/style>\n<meta/);
  });

  test("this.ui: UI methods bound to the handler and modules callable from code", async () => {
    class UIHandler extends RequestHandler {
      get() {
        const shout = this.ui["shout"]!;
        this.write(`${String(shout("hi"))} ${this.ui.modules["Widget"]!("w")}`);
        assert.equal(this.ui, this.ui, "built once per handler");
      }
    }
    const ui = new Application([["/", UIHandler]], {
      uiMethods: { shout: (handler: RequestHandler, text: string) => `${text.toUpperCase()} from ${handler.request.path}` },
      uiModules: { Widget },
    });
    assert.equal((await ui.inject({ url: "/" })).text, 'HI from / <span class="widget">w</span>');
  });

  test("Application.uiModules has the built-ins and the setting's modules; uiMethods skips _private and Capitalized names", () => {
    const privateHelper = () => "p";
    const Helper = () => "h";
    const app = new Application([], {
      uiModules: [{ Widget }, { Script }],
      uiMethods: [{ a: () => "a", _private: privateHelper }, { Helper, b: () => "b" }],
    });
    assert.deepEqual(Object.keys(app.uiModules), ["linkify", "xsrfFormHtml", "Template", "Widget", "Script"]);
    assert.equal(app.uiModules["Template"], TemplateModule);
    assert.deepEqual(Object.keys(app.uiMethods), ["a", "b"]);
  });

  test("a uiModules value that is not a UIModule subclass, or a UI method named modules, is refused", () => {
    assert.throws(
      () => new Application([], { uiModules: { Nope: (() => "x") as unknown as typeof Widget } }),
      (error: Error & { code?: string }) => error.code === "TYPHOON_ERR_BAD_UI_MODULE" && /uiModules\.Nope is not a UIModule subclass/.test(error.message),
    );
    assert.throws(
      () => new Application([], { uiMethods: { modules: () => "x" } }),
      (error: Error & { code?: string }) => error.code === "TYPHOON_ERR_BAD_UI_METHOD",
    );
  });

  test("an unknown module name is a render error naming the template line", async () => {
    const app = new Application([["/", PageHandler]], { templateLoader: new DictLoader({ "page.html": "<p>\n{% module Nope() %}</p>" }) });
    const records = await captureErrors(async () => {
      assert.equal((await app.inject({ url: "/" })).code, 500);
    });
    assert.equal(records.length, 1);
    assert.ok(records[0]!.error instanceof TemplateRenderError, "the logged error is a TemplateRenderError");
    assert.match(String((records[0]!.error as Error).message), /page\.html:2/);
  });
});

describe("TemplateModule setResources", () => {
  class PageHandler extends RequestHandler {
    get() {
      return this.render(this.getArgument("page"));
    }
  }
  const application = new Application([["/", PageHandler]], {
    templateLoader: new DictLoader({
      "varying.html": "<head></head><body>{% for n in [1, 2] %}{% module Template('item.html', {n}) %}{% end %}</body>",
      "item.html": "{{ setResources({embeddedCss: '.n' + n}) }}{{ n }}",
      "typo.html": "{% module Template('bad-key.html') %}",
      "bad-key.html": "{{ setResources({css_files: ['/a.css']}) }}",
      "isolated.html": "{% set secret = 1 %}{% module Template('child.html', {a: 'A'}) %}",
      "child.html": "{{ a }} {{ typeof secret }} {{ handler.request.path }}",
    }),
  });

  test("resources that change between uses of the same template are an error", async () => {
    const records = await captureErrors(async () => {
      assert.equal((await application.inject({ url: "/?page=varying.html" })).code, 500);
    });
    assert.equal(records.length, 1);
    assert.match(String(records[0]!.error), /setResources\(\) was called with different resources for the same template item\.html/);
  });

  test("an unknown resource key (e.g. Tornado's snake_case) is an error listing the valid ones", async () => {
    const records = await captureErrors(async () => {
      assert.equal((await application.inject({ url: "/?page=typo.html" })).code, 500);
    });
    assert.match(String(records[0]!.error), /unknown key "css_files": use embeddedJavascript, javascriptFiles, embeddedCss, cssFiles, htmlHead, htmlBody/);
  });

  test("the module's template has its own namespace: the handler's plus the values given", async () => {
    assert.equal((await application.inject({ url: "/?page=isolated.html" })).text, "A undefined /");
  });
});

test("UI modules are created lazily: a page that does not use a module creates no instance", async () => {
  let instances = 0;
  class Counted extends UIModule {
    constructor(handler: RequestHandler) {
      super(handler);
      instances++;
    }

    override render(): string {
      return "";
    }
  }
  class Handler extends RequestHandler {
    get() {
      return this.render("t.html", { show: this.getArgument("show", "") === "1" });
    }
  }
  const app = new Application([["/", Handler]], {
    templateLoader: new DictLoader({ "t.html": "{% if show %}{% module Counted() %}{% end %}" }),
    uiModules: { Counted },
  });
  assert.equal((await app.inject({ url: "/" })).code, 200);
  assert.equal(instances, 0);
  assert.equal((await app.inject({ url: "/?show=1" })).code, 200);
  assert.equal(instances, 1);
});

test("the settings' types: modules written for a handler subclass fit; other values do not compile", () => {
  class Page extends RequestHandler {
    title(): string {
      return "t";
    }
  }
  class Title extends UIModule<Page> {
    override render(): string {
      return this.handler.title();
    }
  }
  const pageMethod = (handler: Page, suffix: string): string => handler.title() + suffix;
  const typed = (): Application[] => [
    new Application([], { uiModules: { Title }, uiMethods: { pageMethod } }),
    // @ts-expect-error a uiModules value must be a UIModule subclass
    new Application([], { uiModules: { Nope: () => "x" } }),
    // @ts-expect-error a UI method is a function
    new Application([], { uiMethods: { nope: "x" } }),
    // @ts-expect-error UIModule itself is abstract: subclass it
    new Application([], { uiModules: { UIModule } }),
  ];
  assert.equal(typeof typed, "function");
});
