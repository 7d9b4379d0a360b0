// Parse errors and markup handling of src/template/parser.ts, checked against the messages and
// lines real Tornado 6.2 reports for the same broken templates (tornado.template._parse).
import { strict as assert } from "node:assert";
import { describe, test } from "node:test";
import { DictLoader, ParseError, Template, TemplateRenderError, filterWhitespace } from "typhoon/template";

function parseError(source: string, name = "foo.html"): ParseError {
  try {
    new DictLoader({ [name]: source }).load(name);
  } catch (error) {
    assert.ok(error instanceof ParseError, `expected a ParseError, got ${String(error)}`);
    return error;
  }
  assert.fail(`no ParseError for ${JSON.stringify(source)}`);
}

void describe("parse errors with Tornado's wording and line", () => {
  // [template, the message Tornado 6.2 gives (same line)]
  const cases: [string, string][] = [
    ["{% if x %}\nfoo\nbar", "Missing {% end %} block for if at foo.html:1"],
    ["a\n{% for x in y %}\n{{x}}\n", "Missing {% end %} block for for at foo.html:3"],
    ["a\n\n{% end %}", "Extra {% end %} block at foo.html:3"],
    ["\n{% foo bar %}", "unknown operator: 'foo' at foo.html:2"],
    ["x\n{% break %}", "break outside {'for', 'while'} block at foo.html:2"],
    ["{% for x in y %}{% elif z %}{% end %}", "elif block cannot be attached to for block at foo.html:1"],
    ["{% if x %}{% except %}{% end %}", "except block cannot be attached to if block at foo.html:1"],
    ["{{ }}", "Empty expression at foo.html:1"],
    ["{% %}", "Empty block tag ({% %}) at foo.html:1"],
    ["\n{% if", "Missing end block %} at foo.html:2"],
    ["{# abc", "Missing end comment #} at foo.html:1"],
    ["{% extends %}", "extends missing file path at foo.html:1"],
    ["{% include '' %}", "include missing file path at foo.html:1"],
    ["{% set %}", "set missing statement at foo.html:1"],
    ["{% apply %}x{% end %}", "apply missing method name at foo.html:1"],
    ["{% block %}x{% end %}", "block missing name at foo.html:1"],
    ["{% import %}", "import missing statement at foo.html:1"],
    // A directive spanning lines: Tornado reports the line where it ends.
    ["{%\nfoo %}", "unknown operator: 'foo' at foo.html:2"],
    ["x\n{% else\n %}", "else outside {'if', 'for', 'while', 'try'} block at foo.html:3"],
    ["{% if x %}\n{% except\n %}{% end %}", "except block cannot be attached to if block at foo.html:3"],
    ["{% break\n %}", "break outside {'for', 'while'} block at foo.html:2"],
    ["{{\n\n}}", "Empty expression at foo.html:3"],
    ["{%\n\n%}", "Empty block tag ({% %}) at foo.html:3"],
    ["{% include\n\n %}", "include missing file path at foo.html:3"],
    ["{% if x %}{% end\n\n %}{% end\n %}", "Extra {% end %} block at foo.html:4"],
    // apply and block check their argument after their body, at the line reached.
    ["{% apply %}\nx\n{% end %}", "apply missing method name at foo.html:3"],
    ["{% block %}\nx\n{% end %}", "block missing name at foo.html:3"],
    // The operator ends at the first space, and is printed as Python's repr.
    ["{% for x in y %}\n{% elif\n\n x %}{% end %}", "unknown operator: 'elif\\n\\n' at foo.html:4"],
    ["{% if\tx %}{% end %}", "unknown operator: 'if\\tx' at foo.html:1"],
    ["{% it's %}", `unknown operator: "it's" at foo.html:1`],
  ];
  for (const [source, message] of cases) {
    void test(message, () => {
      assert.equal(parseError(source).message, message);
    });
  }

  void test("else outside a block names the blocks it belongs to", () => {
    assert.equal(parseError("{% else %}").message, "else outside {'if', 'for', 'while', 'try'} block at foo.html:1");
  });

  void test("an invalid whitespace mode is a ParseError with the line (Tornado: a bare Exception)", () => {
    assert.equal(parseError("\n{% whitespace foo %}").message, "invalid whitespace mode foo at foo.html:2");
  });

  void test("with several mistakes, the one Tornado's parser reports wins over Typhoon's own checks", () => {
    // Tornado leaves the try without except to Python's compiler, and reports the extra end first.
    assert.equal(parseError("{% try %}{% end %}\n{% end %}").message, "Extra {% end %} block at foo.html:2");
    assert.equal(parseError("{% import os %}\n{% foo %}").message, "unknown operator: 'foo' at foo.html:2");
    // Alone, Typhoon's own check is reported.
    assert.equal(parseError("\n{% try %}\n{% end %}").message, "try block needs an except or a finally at foo.html:2");
    // The first of Typhoon's own checks wins.
    assert.match(parseError("{% if %}{% end %}\n{% while %}{% end %}").message, /^if missing condition at foo\.html:1$/);
  });

  void test("break in the else of a loop that no loop encloses (Tornado: Python's SyntaxError)", () => {
    assert.equal(
      parseError("{% for x in y %}{% else %}\n{% break %}{% end %}").message,
      "break in the {% else %} of a loop leaves the enclosing loop, and there is none at foo.html:2",
    );
    assert.equal(
      new Template("{% for i in [1, 2] %}{% while false %}{% else %}{{ i }}{% continue %}{% end %}!{% end %}").generate(),
      "12",
      "with an enclosing loop it continues that loop",
    );
  });

  void test("extends without a loader", () => {
    assert.throws(() => new Template("{% extends 'a.html' %}"), { message: "{% extends %} block found, but no template loader at <string>:1" });
    assert.throws(() => new Template("\n{% include 'a.html' %}"), { message: "{% include %} block found, but no template loader at <string>:2" });
  });
});

void describe("parse errors beyond Tornado's", () => {
  void test("{% import %} and {% from %} are refused, naming file and line", () => {
    const error = parseError("a\n{% import os %}");
    assert.equal(error.lineno, 2);
    assert.match(error.message, /^\{% import %\} is not supported: .* at foo\.html:2$/);
    assert.match(parseError("{% from os import path %}").message, /^\{% from %\} is not supported/);
  });

  void test("{% autoescape None %} points to null", () => {
    assert.match(parseError("{% autoescape None %}").message, /use \{% autoescape null %\}/);
  });

  void test("extends nested in a block or given twice", () => {
    assert.match(parseError("{% if x %}{% extends 'a.html' %}{% end %}").message, /must be at the top level/);
    assert.match(parseError("{% extends 'a.html' %}{% extends 'b.html' %}").message, /only one \{% extends %\}/);
  });

  void test("misplaced intermediate directives", () => {
    assert.equal(parseError("{% if x %}{% else %}{% elif y %}{% end %}").message, "elif after else in if block at foo.html:1");
    assert.equal(parseError("{% if x %}\n{% else %}\n{% else %}{% end %}").message, "else after else in if block at foo.html:3");
    assert.equal(parseError("{% if x %}{% else y %}{% end %}").message, "else takes no condition (use {% elif condition %}) at foo.html:1");
    assert.equal(parseError("{% for x in y %}{% else %}{% else %}{% end %}").message, "else after else in for block at foo.html:1");
    assert.equal(parseError("{% try %}{% end %}").message, "try block needs an except or a finally at foo.html:1");
    assert.equal(parseError("{% try %}{% else %}{% end %}").message, "else in a try block needs an except before it at foo.html:1");
    assert.equal(parseError("{% try %}{% finally %}{% except %}{% end %}").message, "except after finally in try block at foo.html:1");
    assert.match(parseError("{% try %}{% except %}{% except %}{% end %}").message, /^only one except per try/);
    assert.match(parseError("{% try %}{% except ValueError as e %}{% end %}").message, /^except takes an optional variable name/);
  });

  void test("for loop headers", () => {
    assert.equal(parseError("{% for x %}{% end %}").message, "for loop must look like {% for x in items %} at foo.html:1");
    assert.equal(
      parseError("{% for x of xs %}{% end %}").message,
      "for loop must look like {% for x in items %} (the keyword is Tornado's `in`, not `of`) at foo.html:1",
    );
    assert.match(parseError("{% for a.b in c %}{% end %}").message, /^for loop variable must be a name/);
    assert.match(parseError("{% for _tt_x in c %}{% end %}").message, /reserved/);
  });

  void test("directives that need an argument", () => {
    assert.equal(parseError("{% if %}{% end %}").message, "if missing condition at foo.html:1");
    assert.equal(parseError("{% while %}{% end %}").message, "while missing condition at foo.html:1");
    assert.equal(parseError("{% raw %}").message, "raw missing expression at foo.html:1");
    assert.equal(parseError("{% module %}").message, "module missing expression at foo.html:1");
    assert.equal(parseError("{% try x %}{% finally %}{% end %}").message, "try takes no argument at foo.html:1");
  });

  void test("invalid JavaScript is reported at its template line", () => {
    const cases: [string, RegExp][] = [
      ["one\ntwo\n{{ a b }}", /^invalid JavaScript in \{\{ \}\} expression: .* at foo\.html:3$/],
      ["\n{% if a === %}{% end %}", /^invalid JavaScript in \{% if %\} condition: .* at foo\.html:2$/],
      ["{% if a %}{% elif ) %}{% end %}", /^invalid JavaScript in \{% elif %\} condition/],
      ["{% for x in ( %}{% end %}", /^invalid JavaScript in \{% for %\} header/],
      ["{% for [a b] in c %}{% end %}", /^invalid JavaScript in \{% for %\} header/],
      ["{% while ( %}{% end %}", /^invalid JavaScript in \{% while %\} condition/],
      ["{% set x = = 1 %}", /^invalid JavaScript in \{% set %\} statement/],
      ["{% set class = 1 %}", /^invalid JavaScript in \{% set %\} statement/],
      ["{% raw a b %}", /^invalid JavaScript in \{% raw %\} expression/],
      ["{% apply a b %}x{% end %}", /^invalid JavaScript in \{% apply %\} function/],
      ["{% module Foo( %}", /^invalid JavaScript in \{% module %\} call/],
      ["{% try %}{% except class %}{% end %}", /^invalid JavaScript in \{% except %\} variable/],
      ["{% autoescape a b %}{{ x }}", /^invalid JavaScript in autoescape function of foo\.html/],
    ];
    for (const [source, pattern] of cases) {
      const error = parseError(source);
      assert.match(error.message, pattern, source);
      assert.ok(error.cause instanceof SyntaxError, source);
    }
  });

  void test("a JavaScript comment at the end of an expression does not swallow the generated code", () => {
    assert.equal(new Template("{{ 1 + 1 // two }}").generate(), "2");
  });

  void test("a break whose block is rendered outside its loop", () => {
    // Tornado compiles this to Python with a misplaced break (a SyntaxError); Typhoon names the line.
    const source = "{% block b %}x{% end %}{% for i in xs %}\n{% block b %}{% break %}{% end %}{% end %}";
    assert.equal(
      parseError(source).message,
      "break outside its loop: the {% block %} holding it is rendered outside the loop at foo.html:2",
    );
  });

  void test("set targets starting with _tt_ are reserved", () => {
    assert.match(parseError("{% set _tt_buf = 1 %}").message, /reserved: '_tt_buf' at foo\.html:1/);
  });
});

void describe("markup", () => {
  void test("with more than two curlies in a row, the innermost ones delimit", () => {
    // Tornado: Template("a{{{ x }}}b").generate(x=1) == b"a{1}b"
    assert.equal(new Template("a{{{ x }}}b").generate({ x: 1 }), "a{1}b");
  });

  void test("a lone or trailing curly is text", () => {
    assert.equal(new Template("a { b } c {").generate(), "a { b } c {");
  });

  void test("text containing <pre> keeps its whitespace", () => {
    assert.equal(new Template("<pre>  a\n\n  b</pre>   c", { name: "x.html" }).generate(), "<pre>  a\n\n  b</pre>   c");
  });

  void test("{% end %} may carry words", () => {
    assert.equal(new Template("{% if true %}y{% end if %}").generate(), "y");
  });

  void test("filterWhitespace", () => {
    assert.equal(filterWhitespace("all", " a \n\n b "), " a \n\n b ");
    assert.equal(filterWhitespace("single", " a \t\n\n b "), " a\nb ");
    assert.equal(filterWhitespace("oneline", " a \t\n\n b "), " a b ");
    // Python's \s: U+001C..U+001F and U+0085 are whitespace, U+FEFF is not.
    assert.equal(filterWhitespace("oneline", "a\x1c\x85b\ufeffc"), "a b\ufeffc");
    assert.throws(() => filterWhitespace("bogus" as "all", "x"), /invalid whitespace mode bogus/);
  });
});

void describe("fuzz", () => {
  void test("random markup either renders or throws ParseError / TemplateRenderError, never anything else", () => {
    const fragments = [
      "{{", "}}", "{%", "%}", "{#", "#}", "{{!", "{", "}", "!", " ", "\n", "\t", "x", "<pre>", "'", '"', "(", ")",
      "{{ x }}", "{{ y.z }}", "{% if x %}", "{% elif y %}", "{% else %}", "{% end %}", "{% for i in xs %}",
      "{% while false %}", "{% break %}", "{% continue %}", "{% try %}", "{% except e %}", "{% finally %}",
      "{% set x = 1 %}", "{% apply f %}", "{% block b %}", "{% raw x %}", "{% module M() %}", "{% comment c %}",
      "{% autoescape null %}", "{% whitespace oneline %}", "{% include 'i.html' %}", "{% extends 'e.html' %}",
    ];
    // A small deterministic PRNG (mulberry32), so a failure reproduces.
    let seed = 0x5eed;
    const random = (): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const namespace = { x: "<x>", y: { z: 1 }, xs: [1, 2], f: (s: string) => s, modules: { M: () => "m" } };
    for (let i = 0; i < 400; i++) {
      const length = 1 + Math.floor(random() * 12);
      let source = "";
      for (let j = 0; j < length; j++) source += fragments[Math.floor(random() * fragments.length)];
      const loader = new DictLoader({ "t.html": source, "i.html": "[{{ x }}]", "e.html": "<{% block b %}{% end %}>" });
      try {
        assert.equal(typeof loader.load("t.html").generate(namespace), "string");
      } catch (error) {
        assert.ok(error instanceof ParseError || error instanceof TemplateRenderError, `${JSON.stringify(source)}: ${String(error)}`);
      }
    }
  });
});
