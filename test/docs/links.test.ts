// Keeps the guides honest: every relative link in README.md and docs/*.md leads to a file (and a
// heading) that exists, every TYPHOON_ERR_* code in src/ is documented in docs/errors.md (and
// every code documented there exists), every name exported from the package root appears in
// docs/tornado-map.md, and docs/testing.md quotes test/setup.ts as it is.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import * as typhoon from "typhoon";

const root = fileURLToPath(new URL("../..", import.meta.url));

function read(path: string): string {
  return readFileSync(path, "utf8");
}

function markdownFiles(): string[] {
  const docs = readdirSync(join(root, "docs"))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => join(root, "docs", name));
  return [join(root, "README.md"), ...docs];
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** The lines of a Markdown text outside fenced code blocks, with their 1-based numbers. */
function proseLines(text: string): { line: string; number: number }[] {
  const lines: { line: string; number: number }[] = [];
  let fence: string | null = null;
  text.split("\n").forEach((line, index) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (marker !== undefined) {
      if (fence === null) fence = marker;
      else if (marker.startsWith(fence)) fence = null;
      return;
    }
    if (fence === null) lines.push({ line, number: index + 1 });
  });
  return lines;
}

/** Removes inline code spans and HTML comments, where brackets are not links. */
function withoutCode(line: string): string {
  return line.replace(/(`+)[^]*?\1/g, " ").replace(/<!--[^]*?-->/g, " ");
}

/**
 * GitHub's anchor for a heading: the text as rendered (links reduced to their text, no
 * markup), lower-cased, punctuation dropped except `-` and `_`, spaces turned into `-`.
 */
function githubSlug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/<[^>]+>/g, "")
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
    .replace(/ /g, "-");
}

/** The anchors of a Markdown file's headings; a repeated heading gets `-1`, `-2`... as on GitHub. */
function anchorsOf(path: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { line } of proseLines(read(path))) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const slug = githubSlug(heading);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

interface Link {
  file: string;
  number: number;
  target: string;
}

function linksOf(path: string): Link[] {
  const links: Link[] = [];
  for (const { line, number } of proseLines(read(path))) {
    const text = withoutCode(line);
    for (const match of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      links.push({ file: path, number, target: match[1]! });
    }
    const reference = /^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/.exec(text);
    if (reference) links.push({ file: path, number, target: reference[1]! });
  }
  return links;
}

const EXTERNAL = /^[a-z][a-z0-9+.-]*:/i;

/** What is wrong with a link, or null when it leads somewhere that exists. */
function checkLink(link: Link): string | null {
  if (EXTERNAL.test(link.target)) return null;
  const hash = link.target.indexOf("#");
  const pathPart = decodeURIComponent(hash === -1 ? link.target : link.target.slice(0, hash));
  const anchor = hash === -1 ? null : decodeURIComponent(link.target.slice(hash + 1));
  const target = pathPart === "" ? link.file : resolve(dirname(link.file), pathPart);
  if (!existsSync(target)) return `${relative(root, target)} does not exist`;
  if (anchor === null) return null;
  if (!statSync(target).isFile() || !target.endsWith(".md")) return `#${anchor} points into ${relative(root, target)}, which is not a Markdown file`;
  if (!anchorsOf(target).has(anchor)) return `${relative(root, target)} has no heading with the anchor #${anchor}`;
  return null;
}

void describe("links in README.md and docs/*.md", () => {
  test("the GitHub slug rule gives the anchors GitHub gives", () => {
    assert.equal(githubSlug("Tornado → Typhoon"), "tornado--typhoon");
    assert.equal(githubSlug("Server-sent events: this.sse()"), "server-sent-events-thissse");
    assert.equal(githubSlug("examples/proxy.ts: hand the work to another server"), "examplesproxyts-hand-the-work-to-another-server");
    assert.equal(githubSlug("`{{ expr }}`, `{% raw expr %}`, comments and escapes"), "-expr---raw-expr--comments-and-escapes");
    assert.equal(githubSlug("Who is logged in: `getCurrentUser` and `authenticated`"), "who-is-logged-in-getcurrentuser-and-authenticated");
    assert.equal(githubSlug("[Links](docs/x.md) and snake_case"), "links-and-snake_case");
  });

  test("the checker catches a missing file and a missing heading", () => {
    const readme = join(root, "README.md");
    assert.match(checkLink({ file: readme, number: 1, target: "docs/no-such-guide.md" }) ?? "", /does not exist/);
    assert.match(checkLink({ file: readme, number: 1, target: "docs/web.md#no-such-heading" }) ?? "", /no heading/);
    assert.equal(checkLink({ file: readme, number: 1, target: "docs/web.md#layers" }), null);
    assert.equal(checkLink({ file: readme, number: 1, target: "https://example.com/x.md#y" }), null);
  });

  for (const file of markdownFiles()) {
    test(`${relative(root, file)}: every relative link leads to an existing file and heading`, () => {
      const broken = linksOf(file).flatMap((link) => {
        const problem = checkLink(link);
        return problem === null ? [] : [`${relative(root, file)}:${link.number}: (${link.target}) ${problem}`];
      });
      assert.deepEqual(broken, []);
    });
  }
});

void describe("docs/errors.md", () => {
  const CODE_RE = /TYPHOON_ERR_[A-Z0-9]+(?:_[A-Z0-9]+)*/g;
  const guide = read(join(root, "docs", "errors.md"));
  const documented = new Set([...guide.matchAll(/`(TYPHOON_ERR_[A-Z0-9_]+)`/g)].map((match) => match[1]!));

  test("documents every TYPHOON_ERR_* code that appears in src/", () => {
    const used = new Map<string, string>();
    for (const file of sourceFiles(join(root, "src"))) {
      for (const match of read(file).matchAll(CODE_RE)) {
        if (!used.has(match[0])) used.set(match[0], relative(root, file));
      }
    }
    assert.ok(used.size > 50, `found only ${used.size} codes in src/: is the pattern still right?`);
    const missing = [...used].filter(([code]) => !documented.has(code)).map(([code, file]) => `${code} (used in ${file})`);
    assert.deepEqual(missing, []);
  });

  test("documents only codes that exist in src/", () => {
    const source = sourceFiles(join(root, "src")).map(read).join("\n");
    const stale = [...documented].filter((code) => !new RegExp(`${code}(?![A-Z0-9_])`).test(source));
    assert.deepEqual(stale, []);
  });
});

void describe("docs/tornado-map.md", () => {
  const map = read(join(root, "docs", "tornado-map.md"));
  const codeSpans = [...map.matchAll(/(`+)([^]*?)\1/g)].map((match) => match[2]!);

  function mentioned(name: string): boolean {
    const word = new RegExp(`(?<![\\w$])${name.replace(/\./g, "\\.")}(?![\\w$])`);
    return codeSpans.some((span) => word.test(span));
  }

  test("names every export of the package root", () => {
    const missing = Object.keys(typhoon).filter((name) => !mentioned(name));
    assert.deepEqual(missing, []);
  });

  test("names every member of the namespace exports (gen, autoreload)", () => {
    const namespaces = Object.entries(typhoon).filter(([, value]) => Object.prototype.toString.call(value) === "[object Module]");
    assert.ok(namespaces.length >= 2, `expected gen and autoreload among the namespaces, got ${namespaces.map(([name]) => name).join(", ")}`);
    const missing = namespaces.flatMap(([name, value]) =>
      Object.keys(value as object)
        .filter((member) => !mentioned(`${name}.${member}`))
        .map((member) => `${name}.${member}`),
    );
    assert.deepEqual(missing, []);
  });
});

void describe("docs/testing.md", () => {
  test("quotes test/setup.ts as it is", () => {
    const guide = read(join(root, "docs", "testing.md"));
    const quoted = /<!-- test\/setup\.ts -->\n```ts\n([^]*?)```/.exec(guide)?.[1];
    assert.ok(quoted !== undefined, "the guide has the marked test/setup.ts block");
    assert.equal(quoted, read(join(root, "test", "setup.ts")));
  });
});
