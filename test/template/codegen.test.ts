// What each directive compiles to, observed through rendering (src/template/codegen.ts).
// Expected outputs of the inheritance cases are the ones Tornado 6.2 renders for the same templates.
import { strict as assert } from "node:assert";
import { describe, test } from "node:test";
import { DictLoader, Template, TemplateRenderError } from "typhoon/template";

const render = (source: string, namespace: Record<string, unknown> = {}): string => new Template(source).generate(namespace);

void describe("expressions", () => {
  void test("null and undefined render as the empty string", () => {
    assert.equal(render("[{{ a }}][{{ b }}][{% raw a %}][{{ c.d }}]", { a: null, b: undefined, c: {} }), "[][][][]");
  });

  void test("values are converted with String(), Buffers decoded as UTF-8", () => {
    assert.equal(render("{{ 1.5 }} {{ true }} {{ [1, 2] }} {{ buf }}", { buf: Buffer.from("\u00e9") }), "1.5 true 1,2 \u00e9");
  });

  void test("user data with <script>, quotes and & is escaped by default; raw is the way out", () => {
    const data = `<script>alert("x" + 'y') && 1</script>`;
    assert.equal(render("{{ data }}", { data }), "&lt;script&gt;alert(&quot;x&quot; + &#39;y&#39;) &amp;&amp; 1&lt;/script&gt;");
    assert.equal(render("{% raw data %}", { data }), data);
  });

  void test("a Promise is refused with a clear error instead of rendering [object Promise]", () => {
    const template = new Template("\n{{ value }}", { name: "p.html" });
    assert.throws(() => template.generate({ value: Promise.resolve(1) }), (error: unknown) => {
      assert.ok(error instanceof TemplateRenderError, "error instanceof TemplateRenderError");
      assert.equal(error.location, "p.html:2");
      assert.match(error.message, /returned a Promise: templates render synchronously/);
      return true;
    });
  });

  void test("the escape helpers are always in the namespace", () => {
    const template = new Template(
      "{% autoescape null %}{{ escape('<') }} {{ xhtmlEscape('&') }} {{ urlEscape('a b/') }} {{ jsonEncode({a: '</'}) }} {{ squeeze(' a   b ') }} {{ linkify('http://x.com') }}",
    );
    assert.equal(template.generate(), '&lt; &amp; a+b%2F {"a":"<\\/"} a b <a href="http://x.com">http://x.com</a>');
  });

  void test("an autoescape function can be any expression of the namespace", () => {
    const helpers = { shout: (s: string) => s.toUpperCase() };
    assert.equal(render("{% autoescape helpers.shout %}{{ 'abc' }}", { helpers }), "ABC");
  });

  void test("the last {% autoescape %} of a file applies to the whole file, as in Tornado", () => {
    assert.equal(render("{{ a }}{% autoescape null %}{{ a }}", { a: "<" }), "<<");
  });
});

void describe("namespace", () => {
  void test("generate() values override the loader's namespace, which overrides the helpers", () => {
    const loader = new DictLoader({ "t.txt": "{{ a }} {{ b }} {{ escape('x') }}" }, { namespace: { a: 1, b: 2, escape: () => "mine" } });
    assert.equal(loader.load("t.txt").generate({ b: 3 }), "1 3 mine");
  });

  void test("the same template renders with different sets of names", () => {
    const template = new Template("{{ typeof a === 'undefined' ? 'none' : a }}");
    assert.equal(template.generate({ a: 1 }), "1");
    assert.equal(template.generate({}), "none");
    assert.equal(template.generate({ a: 2, z: 0 }), "2");
  });

  void test("a name missing from the namespace is a ReferenceError at its line", () => {
    const template = new Template("x\n{{ missing }}", { name: "m.html" });
    assert.throws(() => template.generate(), (error: unknown) => {
      assert.ok(error instanceof TemplateRenderError, "error instanceof TemplateRenderError");
      assert.equal(error.location, "m.html:2");
      assert.ok(error.cause instanceof ReferenceError, "error.cause instanceof ReferenceError");
      assert.equal(error.message, "Error rendering template m.html:2: ReferenceError: missing is not defined");
      return true;
    });
  });

  void test("rendering compiles nothing: one function per template and set of names, made once", () => {
    const RealFunction = globalThis.Function;
    let compiled = 0;
    globalThis.Function = new Proxy(RealFunction, {
      construct(target, args: string[]) {
        compiled++;
        return Reflect.construct(target, args) as object;
      },
    });
    try {
      const template = new Template("{% for row in rows %}{{ row }}{% end %}");
      assert.equal(compiled, 1, "compiled once, in the constructor");
      for (let i = 0; i < 50; i++) template.generate({ rows: [i] });
      assert.equal(compiled, 2, "once more for the names {rows}, then never again");
      for (let i = 0; i < 50; i++) template.generate({ rows: [i], title: "t" });
      assert.equal(compiled, 3, "a new set of names compiles once");
      template.generate({ rows: [] });
      assert.equal(compiled, 3, "the earlier sets of names are still compiled");
    } finally {
      globalThis.Function = RealFunction;
    }
    assert.doesNotMatch(new Template("{{ a }}{% for x in xs %}{{ x }}{% end %}").code, /\bwith\s*\(/, "no with statement");
  });

  void test("names that cannot be JavaScript variables are skipped, not fatal", () => {
    assert.equal(render("{{ a }}", { a: 1, "data-x": 2, class: 3, eval: 4, undefined: 5 }), "1");
  });

  void test("names starting with _tt_ are reserved", () => {
    assert.throws(() => render("x", { _tt_buf: 1 }), { code: "TYPHOON_ERR_TEMPLATE_RESERVED_NAME" });
    assert.throws(() => new DictLoader({ "a.txt": "x" }, { namespace: { _tt_x: 1 } }).load("a.txt"), /_tt_x is reserved/);
  });
});

void describe("control flow", () => {
  void test("if / elif / else", () => {
    const template = new Template("{% if n < 0 %}neg{% elif n === 0 %}zero{% elif n < 10 %}small{% else %}big{% end %}");
    assert.deepEqual([-1, 0, 5, 50].map((n) => template.generate({ n })), ["neg", "zero", "small", "big"]);
  });

  void test("for with one name, comma-separated names, and a destructuring pattern", () => {
    const d = { a: 1, b: 2 };
    assert.equal(render("{% for x in xs %}{{ x }}{% end %}", { xs: [1, 2, 3] }), "123");
    assert.equal(render("{% for k, v in Object.entries(d) %}{{ k }}={{ v }};{% end %}", { d }), "a=1;b=2;");
    assert.equal(render("{% for (k, v) in Object.entries(d) %}{{ k }}{{ v }}{% end %}", { d }), "a1b2");
    assert.equal(render("{% for {id, name} in rows %}{{ id }}:{{ name }} {% end %}", { rows: [{ id: 1, name: "x" }] }), "1:x ");
    assert.equal(render("{% for x in 'ab' %}[{{ x }}]{% end %}"), "[a][b]");
  });

  void test("for/else and while/else run the else unless the loop breaks, as Python", () => {
    // Tornado renders '12' and '123E' for the first two.
    assert.equal(render("{% for i in [1,2,3] %}{{i}}{% if i == 2 %}{% break %}{% end %}{% else %}E{% end %}"), "12");
    assert.equal(render("{% for i in [1,2,3] %}{{i}}{% else %}E{% end %}"), "123E");
    assert.equal(render("{% for i in [] %}{{i}}{% else %}empty{% end %}"), "empty");
    assert.equal(render("{% while x > 0 %}{% set x = x - 1 %}{{x}}{% else %}E{% end %}", { x: 3 }), "210E");
    assert.equal(render("{% while true %}once{% break %}{% else %}E{% end %}"), "once");
  });

  void test("break in a loop's else clause leaves the enclosing loop", () => {
    const source = "{% for i in [1, 2] %}{% for j in [] %}{% else %}{{ i }}{% break %}{% end %}{% end %}";
    assert.equal(render(source), "1");
  });

  void test("continue in a loop with an else", () => {
    assert.equal(render("{% for i in [1,2,3] %}{% if i == 2 %}{% continue %}{% end %}{{i}}{% else %}E{% end %}"), "13E");
  });

  void test("try / except e / finally", () => {
    const fail = (): never => {
      throw new Error("nope");
    };
    assert.equal(render("{% try %}a{{ fail() }}b{% except e %}[{{ e.message }}]{% finally %}!{% end %}", { fail }), "a[nope]!");
    assert.equal(render("{% try %}a{% finally %}!{% end %}"), "a!");
    assert.equal(render("{% try %}a{% except %}x{% else %}e{% end %}"), "ae");
    assert.throws(() => render("{% try %}{{ fail() }}{% finally %}!{% end %}", { fail }), TemplateRenderError);
  });

  void test("an error caught by {% except %} is the original error, not wrapped", () => {
    const fail = (): never => {
      throw new TypeError("t");
    };
    assert.equal(render("{% try %}{{ fail() }}{% except e %}{{ e instanceof TypeError }}{% end %}", { fail }), "true");
  });

  void test("set: assignment, reassignment in blocks, destructuring, any statement", () => {
    assert.equal(render("{% set x = 1 %}{% if true %}{% set x = x + 1 %}{% end %}{{ x }}"), "2");
    assert.equal(render("{% set total = 0 %}{% for n in [1, 2, 3] %}{% set total += n %}{% end %}{{ total }}"), "6");
    assert.equal(render("{% set [a, b] = [1, 2] %}{{ a + b }}"), "3");
    assert.equal(render("{% set list.push(4) %}{{ list.join() }}", { list: [3] }), "3,4");
    assert.equal(render("{% set n = n * 2 %}{{ n }}", { n: 21 }), "42");
  });

  void test("apply passes the rendered body to the function; a failing body leaves the outer output intact", () => {
    const upper = (s: string): string => s.toUpperCase();
    assert.equal(render("a{% apply upper %}b{{ x }}{% apply upper %}c{% end %}{% end %}d", { upper, x: "y" }), "aBYCd");
    const fail = (): never => {
      throw new Error("no");
    };
    assert.equal(render("a{% try %}{% apply upper %}b{{ fail() }}{% end %}{% except %}!{% end %}", { upper, fail }), "a!");
  });

  void test("{% module %} calls the namespace's modules object, unescaped", () => {
    const modules = {
      Link(href: string, text: string) {
        return `<a href="${href}">${text}</a>`;
      },
    };
    assert.equal(render("{% module Link('/x', 'X') %}", { modules }), '<a href="/x">X</a>');
    assert.throws(() => new Template("\n{% module Link('/x') %}", { name: "m.html" }).generate(), (error: unknown) => {
      assert.ok(error instanceof TemplateRenderError, "error instanceof TemplateRenderError");
      assert.equal(error.location, "m.html:2");
      assert.match(error.message, /needs a `modules` object in the namespace/);
      return true;
    });
  });
});

void describe("inheritance and includes", () => {
  const loader = new DictLoader({
    "base.html": "<h>{% block head %}H{% block title %}T{% end %}{% end %}</h>{% include 'part.html' %}",
    "part.html": "[{% block part %}P{% end %}]",
    "mid.html": "{% extends 'base.html' %}{% block title %}mid-T{% end %}",
    "leaf.html": "{% extends 'mid.html' %}{% block part %}leaf-P{% end %}",
    "leaf2.html": "{% extends 'mid.html' %}{% block head %}leaf-H{% end %}",
    "inc.html": "{% set x = 5 %}{% include 'sees.html' %}",
    "sees.html": "x={{ x }}",
    "loop.html": "{% for i in [1, 2] %}{% include 'item.html' %}{% end %}",
    "item.html": "<{{ i }}>",
  });

  void test("multi-level inheritance, blocks inside blocks, blocks of included files (outputs as Tornado)", () => {
    assert.equal(loader.load("base.html").generate(), "<h>HT</h>[P]");
    assert.equal(loader.load("mid.html").generate(), "<h>Hmid-T</h>[P]");
    assert.equal(loader.load("leaf.html").generate(), "<h>Hmid-T</h>[leaf-P]");
    assert.equal(loader.load("leaf2.html").generate(), "<h>leaf-H</h>[P]");
  });

  void test("an included file sees the includer's variables", () => {
    assert.equal(loader.load("inc.html").generate(), "x=5");
    assert.equal(loader.load("loop.html").generate(), "<1><2>");
  });

  void test("the loader caches compiled templates; reset() forgets them", () => {
    const first = loader.load("base.html");
    assert.equal(loader.load("base.html"), first);
    loader.reset();
    assert.notEqual(loader.load("base.html"), first);
  });
});

void describe("outputs Tornado 6.2 renders for the same templates", () => {
  // [case, templates, template rendered, Tornado's output]; the templates are both Python and
  // JavaScript (Tornado's `{% autoescape None %}` written `null`).
  const cases: [string, Record<string, string>, string, string][] = [
    ["child-include-overrides", {"base.html": "[{% block a %}A{% end %}]", "blocks.html": "{% block a %}from-include{% end %}", "child.html": "{% extends 'base.html' %}{% include 'blocks.html' %}"}, "child.html", "[from-include]"],
    ["block-twice-same-file", {"t.html": "{% block a %}1{% end %}-{% block a %}2{% end %}"}, "t.html", "2-2"],
    ["nested-override-inner-only", {"base.html": "<{% block outer %}o[{% block inner %}i{% end %}]{% end %}>", "c.html": "{% extends 'base.html' %}{% block inner %}I{% end %}"}, "c.html", "<o[I]>"],
    ["nested-override-outer-drops-inner", {"base.html": "<{% block outer %}o[{% block inner %}i{% end %}]{% end %}>", "c.html": "{% extends 'base.html' %}{% block outer %}O{% end %}{% block inner %}I{% end %}"}, "c.html", "<O>"],
    ["child-new-inner-block", {"base.html": "<{% block outer %}o{% end %}>", "mid.html": "{% extends 'base.html' %}{% block outer %}m({% block x %}x{% end %}){% end %}", "leaf.html": "{% extends 'mid.html' %}{% block x %}X{% end %}"}, "leaf.html", "<m(X)>"],
    ["autoescape-in-include", {"a.html": "{{ s }}|{% include 'b.html' %}", "b.html": "{% autoescape null %}{{ s }}"}, "a.html", "&lt;&amp;&#39;&quot;&gt;|<&'\">"],
    ["whitespace-include-txt", {"a.html": "  a  \n\n  {% include 'b.txt' %}  \n", "b.txt": "  b  \n\n  "}, "a.html", " a\n  b  \n\n  \n"],
    ["whitespace-oneline-in-block", {"base.html": "{% whitespace oneline %}<{% block a %}   x   \n  y {% end %}>", "c.html": "{% extends 'base.html' %}{% block a %}  p  \n\n  q  {% end %}"}, "c.html", "< p\nq >"],
    ["pre", {"t.html": "<pre>\n  a\n\n</pre>   \n\n  <p>  x  </p>"}, "t.html", "<pre>\n  a\n\n</pre>   \n\n  <p>  x  </p>"],
    ["raw-text-curly", {"t.txt": "a {{{ s }}} b { c } {%! x %} {#! y #} {{! z }}"}, "t.txt", "a {&lt;&amp;&#39;&quot;&gt;} b { c } {% x %} {# y #} {{ z }}"],
    ["comment-multiline", {"t.txt": "a{#\n x {{ y }} \n#}b{% comment {{ z }} %}c"}, "t.txt", "abc"],
    ["apply-nested-block", {"base.html": "{% apply upper %}a{% block b %}b{% end %}{% end %}", "c.html": "{% extends 'base.html' %}{% block b %}child{% end %}"}, "c.html", "ACHILD"],
    ["include-twice", {"a.html": "{% include 'b.html' %}{% include 'b.html' %}", "b.html": "[{{ s }}]"}, "a.html", "[&lt;&amp;&#39;&quot;&gt;][&lt;&amp;&#39;&quot;&gt;]"],
    ["whitespace-directive-then-include", {"a.txt": "{% whitespace oneline %}a   b{% include 'c.txt' %}d   e", "c.txt": "x   y"}, "a.txt", "a bx   yd e"],
    ["escape-chars", {"t.html": "{{ s2 }}"}, "t.html", "a&lt;b&gt;&amp;&quot;&#39;"],
    ["text-with-percent-brace", {"t.txt": "100%} done } %} #}"}, "t.txt", "100%} done } %} #}"],
    ["end-with-words", {"t.txt": "{% if s %}y{% end if %}{% for c in 'ab' %}{{ c }}{% end for %}"}, "t.txt", "yab"],
    ["extends-with-leading-text", {"base.html": "B{% block a %}{% end %}", "c.html": "ignored\n{% extends 'base.html' %} ignored {% block a %}A{% end %} ignored"}, "c.html", "BA"],
  ];
  const namespace = { s: "<&'\">", s2: "a<b>&\"'", upper: (s: string): string => s.toUpperCase() };
  for (const [what, templates, entry, output] of cases) {
    void test(what, () => {
      assert.equal(new DictLoader(templates).load(entry).generate(namespace), output);
    });
  }
});

void describe("cycles", () => {
  void test("a template extending itself, directly or through another, is a ParseError", () => {
    const loader = new DictLoader({
      "self.html": "{% extends 'self.html' %}",
      "a.html": "{% extends 'b.html' %}",
      "b.html": "\n{% extends 'a.html' %}",
    });
    assert.throws(() => loader.load("self.html"), { message: `{% extends "self.html" %} makes a cycle: self.html → self.html at self.html:1` });
    assert.throws(() => loader.load("a.html"), { message: `{% extends "a.html" %} makes a cycle: a.html → b.html → a.html at b.html:2` });
  });

  void test("include cycles are a ParseError, not a stack overflow", () => {
    const loader = new DictLoader({
      "a.html": "{% include 'b.html' %}",
      "b.html": "{% include 'c.html' %}",
      "c.html": "x\n{% include 'a.html' %}",
      "me.html": "{% include 'me.html' %}",
    });
    assert.throws(() => loader.load("a.html"), { message: `{% include "a.html" %} makes a cycle: a.html → b.html → c.html → a.html at c.html:2` });
    assert.throws(() => loader.load("me.html"), /makes a cycle: me\.html → me\.html/);
    // Nothing half-built stays cached: the templates load again with the same error.
    assert.throws(() => loader.load("b.html"), /makes a cycle: b\.html → c\.html → a\.html → b\.html/);
  });
});
