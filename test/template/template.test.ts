// Mirrors tornado/test/template_test.py, with JavaScript expressions in the templates (TEMPLATES.md).
import { strict as assert } from "node:assert";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import {
  DictLoader,
  Loader,
  ParseError,
  Template,
  TemplateRenderError,
  type BaseLoader,
  type TemplateLoaderLike,
  type TemplateNamespace,
} from "typhoon/template";

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** Renders and returns the TemplateRenderError thrown. */
function renderError(render: () => unknown): TemplateRenderError {
  try {
    render();
  } catch (error) {
    assert.ok(error instanceof TemplateRenderError, `expected a TemplateRenderError, got ${String(error)}`);
    return error;
  }
  assert.fail("did not get expected exception");
}

function boom(): never {
  throw new RangeError("boom");
}

// tornado/test/template_test.py::TemplateTest
void describe("TemplateTest", () => {
  void test("test_simple", () => {
    const template = new Template("Hello {{ name }}!");
    assert.equal(template.generate({ name: "Ben" }), "Hello Ben!");
  });

  void test("test_bytes", () => {
    const template = new Template("Hello {{ name }}!");
    assert.equal(template.generate({ name: Buffer.from("Ben") }), "Hello Ben!");
  });

  void test("test_expressions", () => {
    const template = new Template("2 + 2 = {{ 2 + 2 }}");
    assert.equal(template.generate(), "2 + 2 = 4");
  });

  void test("test_comment", () => {
    const template = new Template("Hello{# TODO i18n #} {{ name }}!");
    assert.equal(template.generate({ name: Buffer.from("Ben") }), "Hello Ben!");
  });

  void test("test_include", () => {
    const loader = new DictLoader({
      "index.html": '{% include "header.html" %}\nbody text',
      "header.html": "header text",
    });
    assert.equal(loader.load("index.html").generate(), "header text\nbody text");
  });

  void test("test_extends", () => {
    const loader = new DictLoader({
      "base.html": "<title>{% block title %}default title{% end %}</title>\n<body>{% block body %}default body{% end %}</body>\n",
      "page.html": '{% extends "base.html" %}\n{% block title %}page title{% end %}\n{% block body %}page body{% end %}\n',
    });
    assert.equal(loader.load("page.html").generate(), "<title>page title</title>\n<body>page body</body>\n");
  });

  void test("test_relative_load", () => {
    const loader = new DictLoader({
      "a/1.html": "{% include '2.html' %}",
      "a/2.html": "{% include '../b/3.html' %}",
      "b/3.html": "ok",
    });
    assert.equal(loader.load("a/1.html").generate(), "ok");
  });

  void test("test_escaping", () => {
    assert.throws(() => new Template("{{"), ParseError);
    assert.throws(() => new Template("{%"), ParseError);
    assert.equal(new Template("{{!").generate(), "{{");
    assert.equal(new Template("{%!").generate(), "{%");
    assert.equal(new Template("{#!").generate(), "{#");
    assert.equal(new Template("{{ 'expr' }} {{!jquery expr}}").generate(), "expr {{jquery expr}}");
  });

  void test("test_unicode_template", () => {
    const template = new Template(Buffer.from("\u00e9"));
    assert.equal(template.generate(), "\u00e9");
  });

  void test("test_unicode_literal_expression", () => {
    const template = new Template(Buffer.from('{{ "\u00e9" }}'));
    assert.equal(template.generate(), "\u00e9");
  });

  void test("test_custom_namespace", () => {
    const loader = new DictLoader({ "test.html": "{{ inc(5) }}" }, { namespace: { inc: (x: number) => x + 1 } });
    assert.equal(loader.load("test.html").generate(), "6");
  });

  void test("test_apply", () => {
    const upper = (s: string): string => s.toUpperCase();
    const template = new Template(Buffer.from("{% apply upper %}foo{% end %}"));
    assert.equal(template.generate({ upper }), "FOO");
  });

  void test("test_unicode_apply", () => {
    const upper = (s: string): string => s.toUpperCase();
    const template = new Template(Buffer.from("{% apply upper %}foo \u00e9{% end %}"));
    assert.equal(template.generate({ upper }), "FOO \u00c9");
  });

  void test("test_bytes_apply", () => {
    // The apply function may return bytes: they are decoded as UTF-8.
    const upper = (s: string): Buffer => Buffer.from(s.toUpperCase());
    const template = new Template(Buffer.from("{% apply upper %}foo \u00e9{% end %}"));
    assert.equal(template.generate({ upper }), "FOO \u00c9");
  });

  void test("test_if", () => {
    const template = new Template("{% if x > 4 %}yes{% else %}no{% end %}");
    assert.equal(template.generate({ x: 5 }), "yes");
    assert.equal(template.generate({ x: 3 }), "no");
  });

  void test("test_if_empty_body", () => {
    const template = new Template("{% if true %}{% else %}{% end %}");
    assert.equal(template.generate(), "");
  });

  void test("test_try", () => {
    // Python's 1/x raises for x = 0; JavaScript's gives Infinity, so `inverse` throws instead.
    const inverse = (x: number): number => {
      if (x === 0) throw new RangeError("division by zero");
      return 1 / x;
    };
    const template = new Template(`{% try %}
try{% set y = inverse(x) %}
{% except %}-except
{% else %}-else
{% finally %}-finally
{% end %}`);
    assert.equal(template.generate({ x: 1, inverse }), "\ntry\n-else\n-finally\n");
    assert.equal(template.generate({ x: 0, inverse }), "\ntry-except\n-finally\n");
  });

  void test("test_comment_directive", () => {
    const template = new Template("{% comment blah blah %}foo");
    assert.equal(template.generate(), "foo");
  });

  void test("test_break_continue", () => {
    const template = new Template(`{% for i in range(10) %}
    {% if i == 2 %}
        {% continue %}
    {% end %}
    {{ i }}
    {% if i == 6 %}
        {% break %}
    {% end %}
{% end %}`);
    const result = template.generate({ range });
    // remove extraneous whitespace
    assert.equal(result.split(/\s+/).join(""), "013456");
  });

  void test("test_break_outside_loop", () => {
    assert.throws(() => new Template("{% break %}"), ParseError);
    // Tornado 6.2's message (its set prints in hash order).
    assert.throws(() => new Template("{% break %}"), { message: "break outside {'for', 'while'} block at <string>:1" });
  });

  void test("test_break_in_apply", () => {
    // As Tornado: apply is a nested function, so a break inside it cannot reach the loop.
    assert.throws(() => new Template("{% for i in [] %}{% apply foo %}{% break %}{% end %}{% end %}"), ParseError);
    assert.throws(() => new Template("{% for i in [] %}{% apply foo %}{% continue %}{% end %}{% end %}"), {
      message: "continue outside {'for', 'while'} block at <string>:1",
    });
  });

  void test("test_no_inherit_future", () => {
    // Tornado checks that the template does not inherit template.py's __future__ imports
    // (and skips it: nothing testable on Python 3). The JavaScript counterpart: compiled
    // templates do not see the engine's module scope, only the namespace and globals.
    const template = new Template("{{ typeof toText }} {{ typeof parseTemplate }} {{ typeof Math }}");
    assert.equal(template.generate(), "undefined undefined object");
  });

  void test("test_non_ascii_name", () => {
    const loader = new DictLoader({ "t\u00e9st.html": "hello" });
    assert.equal(loader.load("t\u00e9st.html").generate(), "hello");
  });
});

// tornado/test/template_test.py::StackTraceTest — Tornado finds the template line in the
// traceback's comments; Typhoon puts it in the re-thrown error's message.
void describe("StackTraceTest", () => {
  void test("test_error_line_number_expression", () => {
    const loader = new DictLoader({ "test.html": "one\ntwo{{ boom() }}\nthree\n        " });
    const error = renderError(() => loader.load("test.html").generate({ boom }));
    assert.match(error.message, /test\.html:2\b/);
    assert.equal(error.location, "test.html:2");
    assert.ok(error.cause instanceof RangeError, "error.cause instanceof RangeError");
  });

  void test("test_error_line_number_directive", () => {
    const loader = new DictLoader({ "test.html": "one\ntwo{%if boom()%}\nthree{%end%}\n        " });
    const error = renderError(() => loader.load("test.html").generate({ boom }));
    assert.equal(error.location, "test.html:2");
  });

  void test("test_error_line_number_module", () => {
    const loadGenerate = (path: string, kwargs: Record<string, unknown> = {}): string => loader.load(path).generate(kwargs);
    const loader: BaseLoader = new DictLoader(
      { "base.html": "{% module Template('sub.html') %}", "sub.html": "{{ boom() }}" },
      { namespace: { modules: { Template: loadGenerate }, boom } },
    );
    const error = renderError(() => loader.load("base.html").generate());
    assert.match(error.message, /base\.html:1/);
    assert.match(error.message, /sub\.html:1/);
    assert.equal(error.location, "base.html:1");
    assert.ok(error.cause instanceof TemplateRenderError, "error.cause instanceof TemplateRenderError");
    assert.equal(error.cause.location, "sub.html:1");
    assert.ok(error.originalError instanceof RangeError, "error.originalError instanceof RangeError");
  });

  void test("test_error_line_number_include", () => {
    const loader = new DictLoader({ "base.html": "{% include 'sub.html' %}", "sub.html": "{{ boom() }}" });
    const error = renderError(() => loader.load("base.html").generate({ boom }));
    assert.match(error.message, /sub\.html:1 \(via base\.html:1\)/);
  });

  void test("test_error_line_number_extends_base_error", () => {
    const loader = new DictLoader({ "base.html": "{{ boom() }}", "sub.html": "{% extends 'base.html' %}" });
    const error = renderError(() => loader.load("sub.html").generate({ boom }));
    assert.match(error.message, /base\.html:1/);
  });

  void test("test_error_line_number_extends_sub_error", () => {
    const loader = new DictLoader({
      "base.html": "{% block 'block' %}{% end %}",
      "sub.html": "\n{% extends 'base.html' %}\n{% block 'block' %}\n{{ boom() }}\n{% end %}\n            ",
    });
    const error = renderError(() => loader.load("sub.html").generate({ boom }));
    assert.match(error.message, /sub\.html:4 \(via base\.html:1\)/);
  });

  void test("test_multi_includes", () => {
    const loader = new DictLoader({
      "a.html": "{% include 'b.html' %}",
      "b.html": "{% include 'c.html' %}",
      "c.html": "{{ boom() }}",
    });
    const error = renderError(() => loader.load("a.html").generate({ boom }));
    assert.match(error.message, /c\.html:1 \(via b\.html:1, a\.html:1\)/);
  });
});

// Beyond StackTraceTest: where an error thrown while rendering is located, for every kind of
// directive and inheritance path. The expected locations are the "# file:line (via ...)"
// comments Tornado 6.2 puts on the generated line its traceback points at, for the same
// templates (written so they are both Python and JavaScript).
void describe("render error locations, as Tornado 6.2 reports them", () => {
  const cases: [string, Record<string, string>, string, string][] = [
    ["expr", {"t.html": "one\ntwo{{ boom() }}\nthree\n"}, "t.html", "t.html:2"],
    ["expr-multiline", {"t.html": "a\n{{\n boom()\n}}\n"}, "t.html", "t.html:2"],
    ["if", {"t.html": "one\ntwo{%if boom()%}\nthree{%end%}\n"}, "t.html", "t.html:2"],
    ["elif", {"t.html": "{% if no %}\nx\n{% elif boom() %}\ny{% end %}"}, "t.html", "t.html:3"],
    ["for", {"t.html": "\n\n{% for x in boom() %}{{ x }}{% end %}"}, "t.html", "t.html:3"],
    ["for-body", {"t.html": "{% for x in [1, 2] %}\n{{ x }}\n{{ boom() }}\n{% end %}"}, "t.html", "t.html:3"],
    ["while", {"t.html": "\n{% while boom() %}{% end %}"}, "t.html", "t.html:2"],
    ["set", {"t.html": "a\nb\n{% set y = boom() %}"}, "t.html", "t.html:3"],
    ["apply", {"t.html": "\n{% apply boom %}\nx\n{% end %}"}, "t.html", "t.html:2"],
    ["apply-body", {"t.html": "{% apply ident %}\nx\n{{ boom() }}{% end %}"}, "t.html", "t.html:3"],
    ["raw", {"t.html": "\n\n\n{% raw boom() %}"}, "t.html", "t.html:4"],
    ["module", {"t.html": "\n{% module Boom() %}"}, "t.html", "t.html:2"],
    ["try-finally", {"t.html": "{% try %}\n{% finally %}\n{{ boom() }}\n{% end %}"}, "t.html", "t.html:3"],
    ["except-body", {"t.html": "{% try %}\n{{ boom() }}\n{% except %}\n\n{{ boom() }}{% end %}"}, "t.html", "t.html:5"],
    ["include", {"base.html": "x\n{% include 'sub.html' %}", "sub.html": "\n{{ boom() }}"}, "base.html", "sub.html:2 (via base.html:2)"],
    ["multi-include", {"a.html": "{% include 'b.html' %}", "b.html": "\n\n{% include 'c.html' %}", "c.html": "{{ boom() }}"}, "a.html", "c.html:1 (via b.html:3, a.html:1)"],
    ["extends-base", {"base.html": "\n{{ boom() }}", "sub.html": "{% extends 'base.html' %}"}, "sub.html", "base.html:2"],
    ["extends-sub", {"base.html": "{% block 'block' %}{% end %}", "sub.html": "\n{% extends 'base.html' %}\n{% block 'block' %}\n{{ boom() }}\n{% end %}\n"}, "sub.html", "sub.html:4 (via base.html:1)"],
    ["three-level", {"base.html": "<{% block a %}{% end %}>\n\n{% block b %}{% end %}", "mid.html": "{% extends 'base.html' %}\n{% block b %}\n{% block c %}{% end %}{% end %}", "leaf.html": "{% extends 'mid.html' %}\n\n\n{% block c %}\n{{ boom() }}{% end %}"}, "leaf.html", "leaf.html:5 (via mid.html:3, base.html:3)"],
    ["block-in-include", {"base.html": "\n{% include 'part.html' %}", "part.html": "\n[{% block p %}{% end %}]", "leaf.html": "{% extends 'base.html' %}\n{% block p %}\n\n{{ boom() }}{% end %}"}, "leaf.html", "leaf.html:4 (via part.html:2, base.html:2)"],
    ["include-in-block", {"base.html": "{% block a %}{% end %}", "leaf.html": "{% extends 'base.html' %}\n{% block a %}\n{% include 'inc.html' %}{% end %}", "inc.html": "\n\n{{ boom() }}"}, "leaf.html", "inc.html:3 (via leaf.html:3, base.html:1)"],
    ["whitespace-single", {"t.html": "<p>   \n\n\n   </p>\n\n  {{ boom() }}"}, "t.html", "t.html:6"],
    ["comment-lines", {"t.html": "{# a\nb\nc #}{% comment x %}\n{{ boom() }}"}, "t.html", "t.html:4"],
    ["autoescape-fn", {"t.html": "{% autoescape boom %}\n\n{{ 1 }}"}, "t.html", "t.html:3"],
  ];
  const namespace = {
    boom,
    no: false,
    ident: (s: string): string => s,
    modules: { Boom: boom },
  };
  for (const [what, templates, entry, location] of cases) {
    void test(`${what}: ${location}`, () => {
      const error = renderError(() => new DictLoader(templates).load(entry).generate(namespace));
      assert.equal(error.location, location);
      assert.equal(error.message, `Error rendering template ${location}: RangeError: boom`);
      assert.ok(error.cause instanceof RangeError, "the original error is the cause");
    });
  }

  void test("templates rendering templates: every location in the message, past six the middle left out", () => {
    const nest = (levels: number): TemplateRenderError => {
      const loader: BaseLoader = new DictLoader(
        { "n.html": "{% if depth < levels %}{% module Template('n.html', depth + 1) %}{% else %}{{ boom() }}{% end %}" },
        { namespace: { levels, boom, modules: { Template: (name: string, depth: number) => loader.load(name).generate({ depth }) } } },
      );
      return renderError(() => loader.load("n.html").generate({ depth: 1 }));
    };
    const at = (line: number): string => `Error rendering template n.html:${line}`;
    assert.equal(nest(1).message, `${at(1)}: RangeError: boom`);
    assert.equal(nest(6).message, `${[1, 1, 1, 1, 1].map(at).join(": ")}: ${at(1)}: RangeError: boom`);
    assert.equal(nest(9).message, `${at(1)}: ${at(1)}: ${at(1)}: ${at(1)}: ... (3 more nested templates) ...: ${at(1)}: ${at(1)}: RangeError: boom`);
    assert.ok(nest(9).originalError instanceof RangeError, "originalError is what boom() threw");
  });

  void test("a template rendering itself without end is a stack overflow error of bounded size", () => {
    const loader: BaseLoader = new DictLoader(
      { "self.html": "x{% module Template('self.html') %}" },
      { namespace: { modules: { Template: (name: string) => loader.load(name).generate() } } },
    );
    const error = renderError(() => loader.load("self.html").generate());
    assert.ok(error.originalError instanceof RangeError, "the original error is the stack overflow");
    assert.match(error.message, /^(Error rendering template self\.html:1: ){4}\.\.\. \(\d+ more nested templates\) \.\.\.: /);
    assert.ok(error.message.length < 500, `a short message, not one location per level: ${error.message.length} characters`);
  });

  void test("stack traces name the compiled template, as Tornado's foo_html.generated.py", () => {
    const error = renderError(() => new DictLoader({ "pages/home.html": "{{ boom() }}" }).load("pages/home.html").generate({ boom }));
    assert.match(String((error.cause as Error).stack), /at _tt_execute \(pages\/home_html\.generated\.js:\d+:\d+\)/);
  });
});

// tornado/test/template_test.py::ParseErrorDetailTest
void describe("ParseErrorDetailTest", () => {
  void test("test_details", () => {
    const loader = new DictLoader({ "foo.html": "\n\n{{" });
    assert.throws(
      () => loader.load("foo.html"),
      (error: unknown) => {
        assert.ok(error instanceof ParseError, "error instanceof ParseError");
        assert.equal(error.message, "Missing end expression }} at foo.html:3");
        assert.equal(error.filename, "foo.html");
        assert.equal(error.lineno, 3);
        return true;
      },
    );
  });

  void test("test_custom_parse_error", () => {
    // ParseError can be built from a message alone (Tornado's pre-4.3 signature).
    assert.equal(new ParseError("asdf").message, "asdf");
    assert.equal(new ParseError("asdf", "x.html", 2).message, "asdf at x.html:2");
  });
});

// tornado/test/template_test.py::AutoEscapeTest
void describe("AutoEscapeTest", () => {
  const templates = {
    "escaped.html": "{% autoescape xhtmlEscape %}{{ name }}",
    "unescaped.html": "{% autoescape null %}{{ name }}",
    "default.html": "{{ name }}",
    "include.html": "escaped: {% include 'escaped.html' %}\nunescaped: {% include 'unescaped.html' %}\ndefault: {% include 'default.html' %}\n",
    "escaped_block.html": "{% autoescape xhtmlEscape %}{% block name %}base: {{ name }}{% end %}",
    "unescaped_block.html": "{% autoescape null %}{% block name %}base: {{ name }}{% end %}",
    // Extend a base template with different autoescape policy, with and without overriding the base's blocks
    "escaped_extends_unescaped.html": '{% autoescape xhtmlEscape %}{% extends "unescaped_block.html" %}',
    "escaped_overrides_unescaped.html":
      '{% autoescape xhtmlEscape %}{% extends "unescaped_block.html" %}{% block name %}extended: {{ name }}{% end %}',
    "unescaped_extends_escaped.html": '{% autoescape null %}{% extends "escaped_block.html" %}',
    "unescaped_overrides_escaped.html":
      '{% autoescape null %}{% extends "escaped_block.html" %}{% block name %}extended: {{ name }}{% end %}',
    "raw_expression.html": "{% autoescape xhtmlEscape %}expr: {{ name }}\nraw: {% raw name %}",
  };

  void test("test_default_off", () => {
    const loader = new DictLoader(templates, { autoescape: null });
    const name = "Bobby <table>s";
    assert.equal(loader.load("escaped.html").generate({ name }), "Bobby &lt;table&gt;s");
    assert.equal(loader.load("unescaped.html").generate({ name }), "Bobby <table>s");
    assert.equal(loader.load("default.html").generate({ name }), "Bobby <table>s");
    assert.equal(
      loader.load("include.html").generate({ name }),
      "escaped: Bobby &lt;table&gt;s\nunescaped: Bobby <table>s\ndefault: Bobby <table>s\n",
    );
  });

  void test("test_default_on", () => {
    const loader = new DictLoader(templates, { autoescape: "xhtmlEscape" });
    const name = "Bobby <table>s";
    assert.equal(loader.load("escaped.html").generate({ name }), "Bobby &lt;table&gt;s");
    assert.equal(loader.load("unescaped.html").generate({ name }), "Bobby <table>s");
    assert.equal(loader.load("default.html").generate({ name }), "Bobby &lt;table&gt;s");
    assert.equal(
      loader.load("include.html").generate({ name }),
      "escaped: Bobby &lt;table&gt;s\nunescaped: Bobby <table>s\ndefault: Bobby &lt;table&gt;s\n",
    );
  });

  void test("test_unextended_block", () => {
    const loader = new DictLoader(templates);
    const name = "<script>";
    assert.equal(loader.load("escaped_block.html").generate({ name }), "base: &lt;script&gt;");
    assert.equal(loader.load("unescaped_block.html").generate({ name }), "base: <script>");
  });

  void test("test_extended_block", () => {
    const loader = new DictLoader(templates);
    const render = (name: string): string => loader.load(name).generate({ name: "<script>" });
    assert.equal(render("escaped_extends_unescaped.html"), "base: <script>");
    assert.equal(render("escaped_overrides_unescaped.html"), "extended: &lt;script&gt;");
    assert.equal(render("unescaped_extends_escaped.html"), "base: &lt;script&gt;");
    assert.equal(render("unescaped_overrides_escaped.html"), "extended: <script>");
  });

  void test("test_raw_expression", () => {
    const loader = new DictLoader(templates);
    assert.equal(loader.load("raw_expression.html").generate({ name: '<>&"' }), 'expr: &lt;&gt;&amp;&quot;\nraw: <>&"');
  });

  void test("test_custom_escape", () => {
    const loader = new DictLoader({ "foo.py": "{% autoescape pyEscape %}s = {{ name }}\n" });
    const pyEscape = (s: unknown): string => {
      // Tornado passes bytes; Typhoon passes the value already converted to a string.
      assert.equal(typeof s, "string");
      return JSON.stringify(s);
    };
    const render = (template: string, name: unknown): string => loader.load(template).generate({ pyEscape, name });
    assert.equal(render("foo.py", "<html>"), 's = "<html>"\n');
    assert.equal(render("foo.py", "';sys.exit()"), `s = "';sys.exit()"\n`);
    assert.equal(render("foo.py", ["not a string"]), 's = "not a string"\n');
  });

  void test("test_manual_minimize_whitespace", () => {
    // Whitespace including newlines is allowed within template tags and directives, and this is
    // one way to avoid long lines while keeping extra whitespace out of the rendered output.
    const loader = new DictLoader({
      "foo.txt": "{% for i in items\n  %}{% if i > 0 %}, {% end %}{#\n  #}{{i\n  }}{% end\n%}",
    });
    assert.equal(loader.load("foo.txt").generate({ items: range(5) }), "0, 1, 2, 3, 4");
  });

  void test("test_whitespace_by_filename", () => {
    // Default whitespace handling depends on the template filename.
    const loader = new DictLoader({
      "foo.html": "   \n\t\n asdf\t   ",
      "bar.js": " \n\n\n\t qwer     ",
      "baz.txt": "\t    zxcv\n\n",
      "include.html": "  {% include baz.txt %} \n ",
      "include.txt": "\t\t{% include foo.html %}    ",
    });
    // HTML and JS files have whitespace compressed by default.
    assert.equal(loader.load("foo.html").generate(), "\nasdf ");
    assert.equal(loader.load("bar.js").generate(), "\nqwer ");
    // TXT files do not.
    assert.equal(loader.load("baz.txt").generate(), "\t    zxcv\n\n");
    // Each file maintains its own status even when included in a file of the other type.
    assert.equal(loader.load("include.html").generate(), " \t    zxcv\n\n\n");
    assert.equal(loader.load("include.txt").generate(), "\t\t\nasdf     ");
  });

  void test("test_whitespace_by_loader", () => {
    const templates = { "foo.html": "\t\tfoo\n\n", "bar.txt": "\t\tbar\n\n" };
    let loader = new DictLoader(templates, { whitespace: "all" });
    assert.equal(loader.load("foo.html").generate(), "\t\tfoo\n\n");
    assert.equal(loader.load("bar.txt").generate(), "\t\tbar\n\n");

    loader = new DictLoader(templates, { whitespace: "single" });
    assert.equal(loader.load("foo.html").generate(), " foo\n");
    assert.equal(loader.load("bar.txt").generate(), " bar\n");

    loader = new DictLoader(templates, { whitespace: "oneline" });
    assert.equal(loader.load("foo.html").generate(), " foo ");
    assert.equal(loader.load("bar.txt").generate(), " bar ");
  });

  void test("test_whitespace_directive", () => {
    const loader = new DictLoader({
      "foo.html": `{% whitespace oneline %}
    {% for i in [0, 1, 2] %}
        {{ i }}
    {% end %}
{% whitespace all %}
    pre\tformatted
`,
    });
    assert.equal(loader.load("foo.html").generate(), "  0  1  2  \n    pre\tformatted\n");
  });
});

// tornado/test/template_test.py::TemplateLoaderTest
void describe("TemplateLoaderTest", () => {
  const loader = new Loader(fileURLToPath(new URL("templates", import.meta.url)));

  void test("test_utf8_in_file", () => {
    const result = loader.load("utf8.html").generate();
    assert.equal(result.trim(), "H\u00e9llo");
  });
});

void describe("plugging in another engine", () => {
  void test("Typhoon's loaders and a foreign adapter both satisfy TemplateLoaderLike", () => {
    const engine = { render: (name: string, data: TemplateNamespace) => `${name}:${String(data["x"])}` };
    const foreign: TemplateLoaderLike = { load: (name) => ({ generate: (namespace) => engine.render(name, namespace) }) };
    const loaders: TemplateLoaderLike[] = [foreign, new DictLoader({ "a.html": "a:{{ x }}" })];
    assert.deepEqual(
      loaders.map((loader) => loader.load("a.html").generate({ x: 1 })),
      ["a.html:1", "a:1"],
    );
  });

  void test("Template.code shows the generated JavaScript", () => {
    assert.match(new Template("{{ x }}").code, /_tt_buf \+= _tt_str\(\(xhtmlEscape\n\)\(_tt_str\(\(x\n\)\)\)\);/);
  });
});
