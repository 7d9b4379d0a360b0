// The file-system Loader and DictLoader (src/template/loader.ts): name resolution, the root
// confinement Typhoon adds to Tornado's Loader, missing templates, cache reset.
import { strict as assert } from "node:assert";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { DictLoader, Loader, ParseError, TemplateNotFoundError, TemplatePathError } from "typhoon/template";

void describe("Loader", () => {
  let dir: string;
  let root: string;

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), "typhoon-templates-"));
    root = path.join(dir, "templates");
    mkdirSync(path.join(root, "pages"), { recursive: true });
    writeFileSync(path.join(dir, "secret.txt"), "top secret");
    writeFileSync(path.join(root, "base.html"), "<b>{% block body %}{% end %}</b>");
    writeFileSync(path.join(root, "pages", "page.html"), '{% extends "../base.html" %}{% block body %}{% include "part.html" %}{% end %}');
    writeFileSync(path.join(root, "pages", "part.html"), "part {{ n }}");
    writeFileSync(path.join(root, "pages", "escape.html"), '{% include "../../secret.txt" %}');
    writeFileSync(path.join(root, "pages", "absolute.html"), `{% include "${path.join(dir, "secret.txt")}" %}`);
    writeFileSync(path.join(root, "edit.txt"), "v1");
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  void test("names are relative to the root, and to the referencing template for extends/include", () => {
    const loader = new Loader(root);
    assert.equal(loader.load("pages/page.html").generate({ n: 1 }), "<b>part 1</b>");
    assert.equal(loader.load("pages/part.html").name, "pages/part.html");
  });

  void test("names are normalised, so one file is one cache entry", () => {
    const loader = new Loader(root);
    assert.equal(loader.load("pages/../base.html"), loader.load("base.html"));
    assert.equal(loader.load(path.join(root, "base.html")), loader.load("base.html"));
    assert.equal(loader.load("part.html", "pages/page.html"), loader.load("pages/part.html"));
  });

  void test("a name with .. that leaves the root is refused", () => {
    const loader = new Loader(root);
    assert.throws(() => loader.load("../secret.txt"), (error: unknown) => {
      assert.ok(error instanceof TemplatePathError, "error instanceof TemplatePathError");
      assert.equal(error.code, "TYPHOON_ERR_TEMPLATE_PATH");
      assert.match(error.message, /points outside the template root/);
      return true;
    });
    assert.throws(() => loader.load("pages/../../secret.txt"), TemplatePathError);
    assert.throws(() => loader.load("..", undefined), TemplatePathError);
    assert.throws(() => loader.load("."), TemplatePathError);
  });

  void test("an absolute path outside the root is refused", () => {
    const loader = new Loader(root);
    assert.throws(() => loader.load(path.join(dir, "secret.txt")), TemplatePathError);
    assert.throws(() => loader.load("/etc/passwd"), TemplatePathError);
  });

  void test("include/extends cannot escape the root either", () => {
    const loader = new Loader(root);
    assert.throws(() => loader.load("pages/escape.html"), (error: unknown) => {
      assert.ok(error instanceof TemplatePathError, "error instanceof TemplatePathError");
      assert.equal(error.referencedAt, "pages/escape.html:1");
      assert.match(error.message, /\(referenced at pages\/escape\.html:1\)$/);
      return true;
    });
    assert.throws(() => loader.load("pages/absolute.html"), TemplatePathError);
  });

  void test("a NUL byte in a name is refused", () => {
    assert.throws(() => new Loader(root).load("base.html\0.txt"), TemplatePathError);
  });

  void test("a missing template is a TemplateNotFoundError naming it", () => {
    const loader = new Loader(root);
    assert.throws(() => loader.load("nope.html"), (error: unknown) => {
      assert.ok(error instanceof TemplateNotFoundError, "error instanceof TemplateNotFoundError");
      assert.equal(error.code, "TYPHOON_ERR_TEMPLATE_NOT_FOUND");
      assert.equal(error.templateName, "nope.html");
      assert.match(error.message, /^Template "nope\.html" not found in /);
      assert.equal((error.cause as NodeJS.ErrnoException).code, "ENOENT");
      return true;
    });
    assert.throws(() => loader.load("pages"), TemplateNotFoundError);
  });

  void test("compiled templates are cached until reset()", () => {
    const loader = new Loader(root);
    assert.equal(loader.load("edit.txt").generate(), "v1");
    writeFileSync(path.join(root, "edit.txt"), "v2");
    assert.equal(loader.load("edit.txt").generate(), "v1");
    loader.reset();
    assert.equal(loader.load("edit.txt").generate(), "v2");
  });

  void test("options reach the templates: autoescape, namespace, whitespace", () => {
    writeFileSync(path.join(root, "opts.html"), "  {{ a }}   {{ greet }}");
    const loader = new Loader(root, { autoescape: null, namespace: { greet: "hi" }, whitespace: "all" });
    assert.equal(loader.load("opts.html").generate({ a: "<" }), "  <   hi");
    assert.throws(() => new Loader(root, { whitespace: "none" as "all" }), /invalid whitespace mode none/);
  });
});

void describe("DictLoader", () => {
  void test("a missing name is a TemplateNotFoundError; an include of one names the includer's line", () => {
    const loader = new DictLoader({ "a.html": "\n{% include 'b.html' %}" });
    assert.throws(() => loader.load("x.html"), TemplateNotFoundError);
    assert.throws(() => loader.load("a.html"), {
      name: "TemplateNotFoundError",
      message: `Template "b.html" not found in the DictLoader's templates (referenced at a.html:2)`,
    });
  });

  void test("relative names resolve against the referencing template's directory", () => {
    const loader = new DictLoader({ "a/b/c.html": "{% include '../d.html' %}", "a/d.html": "d" });
    assert.equal(loader.load("a/b/c.html").generate(), "d");
  });

  void test("names from a <string> template or absolute names are not resolved against it", () => {
    const loader = new DictLoader({ "x.html": "x", "/abs.html": "abs" });
    assert.equal(loader.resolvePath("x.html", "<string>"), "x.html");
    assert.equal(loader.resolvePath("/abs.html", "a/b.html"), "/abs.html");
    assert.equal(loader.load("/abs.html").generate(), "abs");
  });

  void test("errors while loading an extended template keep their own location", () => {
    const loader = new DictLoader({ "child.html": "{% extends 'parent.html' %}", "parent.html": "\n{{ }}" });
    assert.throws(() => loader.load("child.html"), (error: unknown) => {
      assert.ok(error instanceof ParseError, "error instanceof ParseError");
      assert.equal(error.message, "Empty expression at parent.html:2");
      return true;
    });
  });
});
