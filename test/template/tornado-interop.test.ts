// Typhoon's template engine against real Python Tornado 6.x (/usr/bin/python3 with python3-tornado):
// random well-formed templates, written so they are both Python and JavaScript, must render the
// same text, fail at the same template line, and broken ones must give the same parse error.
// Extends tornado/test/template_test.py, whose cases (ported in template.test.ts) are hand-picked.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, test } from "node:test";
import { DictLoader, ParseError, TemplateRenderError } from "typhoon/template";

const PYTHON = "/usr/bin/python3";

// Reads a JSON list of cases on stdin; prints, for each, ["ok", text], ["boom", location of the
// generated line the traceback points at], ["parse", message] or ["error", type and message].
const TORNADO_SCRIPT = String.raw`
import json, re, sys, traceback
from tornado.template import DictLoader, ParseError

class Boom(Exception):
    pass

def boom(*args):
    raise Boom()

def bad():
    raise ValueError("bad")

ORDER = ["'if'", "'for'", "'while'", "'try'"]

results = []
for case in json.load(sys.stdin):
    template = None
    try:
        template = DictLoader(case["templates"]).load(case["entry"])
        text = template.generate(x="<x>&'\"", n=0, yes=True, no=False, xs=[1, 2, 3],
                                 f=lambda s: s + (b"!" if isinstance(s, bytes) else "!"), boom=boom, bad=bad)
        results.append(["ok", text.decode()])
    except Boom:
        frames = [f for f in traceback.extract_tb(sys.exc_info()[2]) if f.filename.endswith(".generated.py")]
        line = template.code.split("\n")[frames[-1].lineno - 1]
        results.append(["boom", re.search(r"#\s+(.*)$", line).group(1)])
    except ParseError as e:
        # Python prints sets in hash order: sort them, as Typhoon prints them.
        message = re.sub(r"\{('[a-z]+'(, '[a-z]+')*)\}", lambda m: "{" + ", ".join(sorted(m.group(1).split(", "), key=ORDER.index)) + "}", str(e))
        results.append(["parse", message])
    except Exception as e:
        results.append(["error", type(e).__name__ + ": " + str(e).split("\n")[0]])
print(json.dumps(results))
`;

function tornadoAvailable(): string | undefined {
  const probe = spawnSync(PYTHON, ["-c", "import tornado.template"], { encoding: "utf8" });
  if (probe.error) return `${PYTHON} cannot run (${probe.error.message}); install python3 and python3-tornado to run the interop tests`;
  if (probe.status !== 0) return `${PYTHON} cannot import tornado; install python3-tornado (apt-get install -y python3-tornado) to run the interop tests`;
  return undefined;
}

const skipReason = tornadoAvailable();

interface Case {
  templates: Record<string, string>;
  entry: string;
}
type Result = ["ok" | "boom" | "parse" | "error", string];

function tornado(cases: readonly Case[]): Result[] {
  const result = spawnSync(PYTHON, ["-c", TORNADO_SCRIPT], { input: JSON.stringify(cases), encoding: "utf8", maxBuffer: 64 << 20 });
  assert.equal(result.status, 0, `python failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as Result[];
}

const namespace = {
  x: `<x>&'"`,
  n: 0,
  yes: true,
  no: false,
  xs: [1, 2, 3],
  f: (s: string): string => `${s}!`,
  boom: (): never => {
    throw new RangeError("boom");
  },
  bad: (): never => {
    throw new Error("bad");
  },
};

/** The Python spellings of the generated templates, in JavaScript. */
function toJavaScript(source: string): string {
  return source.replaceAll("{% autoescape None %}", "{% autoescape null %}").replaceAll("xhtml_escape", "xhtmlEscape");
}

function typhoon(testCase: Case): Result {
  const templates = Object.fromEntries(Object.entries(testCase.templates).map(([name, source]) => [name, toJavaScript(source)]));
  try {
    return ["ok", new DictLoader(templates).load(testCase.entry).generate(namespace)];
  } catch (error) {
    if (error instanceof TemplateRenderError && error.originalError instanceof RangeError) return ["boom", error.location];
    if (error instanceof ParseError) return ["parse", error.message];
    return ["error", String(error)];
  }
}

/** mulberry32: a small deterministic PRNG, so a failure reproduces. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TEXTS = [" ", "  ", "\n", "\t \n  ", "x", "a  b", "<pre> p  \n q</pre>", "{", "}", "%", "#", "{{!", "{%!", "{#!", "<p>\n\n  y  </p>", "\n\n"];
const EXPRESSIONS = ["{{ x }}", "{% raw x %}", "{# c\n #}", "{% comment z %}", "{{\n n\n}}", "{{ f(x) }}", "{{ 1 + 2 }}"];
const INCLUDES = ["{% include 'i.html' %}", "{% include 'i.txt' %}", "{% include 'p.html' %}"];
const DIRECTIVES = ["{% whitespace oneline %}", "{% whitespace all %}", "{% whitespace single %}", "{% autoescape None %}", "{% autoescape xhtml_escape %}"];
const LIBRARY = {
  "i.html": " [ {{ x }} ]\n\n ",
  "i.txt": " [ {{ x }}\t ]\n\n ",
  "p.html": "({% block d %}D  \n  {% end %})",
  "e.html": "< {% block b %}B{% end %} >\n\n{% block c %}  C\n{% end %}{% include 'p.html' %}",
  "m.html": "{% extends 'e.html' %}{% block b %}M{% block c %}mc{% end %}{% end %}",
  "k.html": "k\n{% include 'k2.html' %}",
  "k2.html": "\n\n{{ boom() }}",
};

/**
 * Random well-formed markup. Loop variables are named by depth (Python's leak out of their loop,
 * JavaScript's do not), `{% set %}` is left out (Python's function-wide locals differ), `{{ boom() }}`
 * appears at most once and never inside a try (the error must reach the caller).
 */
class Generator {
  readonly #random: () => number;
  #boomLeft: boolean;

  constructor(random: () => number, withBoom: boolean) {
    this.#random = random;
    this.#boomLeft = withBoom;
  }

  #pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.#random() * items.length)]!;
  }

  body(depth: number, loops: number, inTry: boolean, canBreak: boolean, inLoop: boolean): string {
    let out = "";
    const count = Math.floor(this.#random() * 5);
    for (let k = 0; k < count; k++) out += this.#element(depth, loops, inTry, canBreak, inLoop);
    return out;
  }

  #element(depth: number, loops: number, inTry: boolean, canBreak: boolean, inLoop: boolean): string {
    const r = this.#random();
    const inner = (options: { loops?: number; inTry?: boolean; canBreak?: boolean; inLoop?: boolean } = {}): string =>
      this.body(depth + 1, options.loops ?? loops, options.inTry ?? inTry, options.canBreak ?? canBreak, options.inLoop ?? inLoop);
    if (depth > 3 || r < 0.25) return this.#pick(TEXTS);
    if (r < 0.4) {
      if (!inTry && this.#boomLeft && this.#random() < 0.6) {
        this.#boomLeft = false;
        return this.#pick([
          "{{ boom() }}",
          "{% raw boom() %}",
          "{% if boom() %}{% end %}",
          "{% for q in boom() %}{% end %}",
          "{% apply boom %}y{% end %}",
          "{% include 'k.html' %}",
        ]);
      }
      return loops > 0 && this.#random() < 0.3 ? `{{ i${loops} }}` : this.#pick(EXPRESSIONS);
    }
    if (r < 0.5) {
      let out = `{% if ${this.#pick(["n", "x", "yes", "no"])} %}${inner()}`;
      if (this.#random() < 0.5) out += `{% elif ${this.#pick(["x", "yes", "no"])} %}${inner()}`;
      if (this.#random() < 0.5) out += `{% else %}${inner()}`;
      return `${out}{% end %}`;
    }
    if (r < 0.6) {
      const name = `i${loops + 1}`;
      let out = `{% for ${name} in xs %}${inner({ loops: loops + 1, canBreak: true, inLoop: true })}`;
      if (this.#random() < 0.4) out += `{% if ${name} == 2 %}{% ${this.#pick(["break", "continue"])} %}{% end %}`;
      if (this.#random() < 0.3) out += `{% else %}${inner()}`;
      return `${out}{% end %}`;
    }
    if (r < 0.63) return `{% while no %}${inner({ canBreak: true, inLoop: true })}{% end %}`;
    if (r < 0.68) {
      let out = `{% try %}${inner({ inTry: true })}${this.#random() < 0.5 ? "{{ bad() }}" : ""}{% except %}${inner({ inTry: true })}`;
      if (this.#random() < 0.4) out += `{% finally %}${inner({ inTry: true })}`;
      return `${out}{% end %}`;
    }
    if (r < 0.73) return `{% apply f %}${inner({ canBreak: false })}{% end %}`;
    if (r < 0.8 && !inLoop) return `{% block ${this.#pick(["b", "c", "d"])} %}${inner({ canBreak: false })}{% end %}`;
    if (r < 0.87) return this.#pick(INCLUDES);
    if (r < 0.93) return this.#pick(DIRECTIVES);
    return canBreak && loops > 0 ? `{% if i${loops} == 1 %}{% continue %}{% end %}` : this.#pick(TEXTS);
  }
}

/**
 * A random template; `withBoom`: with a `{{ boom() }}` somewhere in it (maybe in a block or an
 * included file), and, unless it extends another, one at its top level that renders.
 */
function wellFormed(random: () => number, withBoom: boolean): Case {
  const entry = ["t.html", "t.txt", "t.js"][Math.floor(random() * 3)]!;
  const generator = new Generator(random, withBoom);
  let source = generator.body(0, 0, false, false, false);
  if (random() < 0.4) source = `${random() < 0.5 ? "" : "  \n"}{% extends '${random() < 0.5 ? "e.html" : "m.html"}' %}${source}`;
  else if (withBoom) source += `\n{{ boom() }}${generator.body(0, 0, false, false, false)}`;
  return { templates: { ...LIBRARY, [entry]: source }, entry };
}

/** A well-formed template, without extends, with one `{% end %}` removed or one stray directive added. */
function broken(random: () => number): Case {
  const entry = random() < 0.5 ? "t.html" : "t.txt";
  let source = "";
  while (!source.includes("{% end %}")) source = new Generator(random, false).body(0, 0, false, false, false);
  const ends = [...source.matchAll(/\{% end %\}/g)].map((match) => match.index);
  const at = ends[Math.floor(random() * ends.length)]!;
  source =
    random() < 0.5
      ? source.slice(0, at) + source.slice(at + "{% end %}".length)
      : source.slice(0, at) + ["{% end %}", "{% else %}", "{% elif yes %}", "{% except %}", "{% break %}"][Math.floor(random() * 5)]! + source.slice(at);
  return { templates: { ...LIBRARY, [entry]: source }, entry };
}

// The parse errors Tornado's parser raises; Typhoon's other ones are its own checks.
const TORNADO_PARSE_ERROR = /^(Missing|Extra|Empty|unknown operator|invalid whitespace mode|\w+ outside \{|\w+ block cannot be attached|\w+ missing )/;

/**
 * Compares one case. Where Tornado leaves the mistake to Python's compiler (a SyntaxError in the
 * generated code), Typhoon must give a ParseError of its own. Typhoon's own checks also cover
 * code Tornado never compiles (a child template's text outside blocks, a block that another
 * replaces), so there Tornado may render what Typhoon refuses. Everything else must be equal.
 */
function compare(testCase: Case, theirs: Result): Result {
  const ours = typhoon(testCase);
  const source = `${testCase.entry}: ${JSON.stringify(testCase.templates[testCase.entry])}`;
  if (theirs[0] === "error" && theirs[1].startsWith("SyntaxError")) {
    assert.equal(ours[0], "parse", `a ParseError for ${source} (Tornado: ${theirs[1]}), not ${ours[1]}`);
  } else if (ours[0] === "parse" && theirs[0] === "ok") {
    assert.doesNotMatch(ours[1], TORNADO_PARSE_ERROR, `only one of Typhoon's own checks may refuse what Tornado renders: ${source}`);
  } else {
    assert.notEqual(theirs[0], "error", `Tornado failed on ${source}: ${theirs[1]}`);
    assert.deepEqual(ours, theirs, source);
  }
  return theirs;
}

describe("templates: Typhoon ⇄ Python Tornado", { skip: skipReason }, () => {
  test("random templates render the same text, or fail at the same template line", () => {
    const random = prng(0x7e3a);
    const cases = Array.from({ length: 500 }, (_, i) => wellFormed(random, i % 2 === 0));
    const kinds = tornado(cases).map((result, i) => compare(cases[i]!, result)[0]);
    const count = (kind: string): number => kinds.filter((k) => k === kind).length;
    assert.ok(count("ok") >= 150, `enough cases render to compare their text (${count("ok")})`);
    assert.ok(count("boom") >= 80, `enough cases fail while rendering to compare their locations (${count("boom")})`);
  });

  test("broken templates give Tornado's parse error, or a ParseError where Python finds a SyntaxError", () => {
    const random = prng(0xbad);
    const cases = Array.from({ length: 300 }, () => broken(random));
    const kinds = tornado(cases).map((result, i) => compare(cases[i]!, result)[0]);
    const parse = kinds.filter((kind) => kind === "parse").length;
    assert.ok(parse >= 100, `enough of Tornado's own parse errors to compare (${parse})`);
  });
});
