// Runs the JavaScript examples of docs/templates.md and checks the results written in their
// `// "..."` comments, so the guide stays true.
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import * as templateModule from "typhoon/template";

const guide = readFileSync(new URL("../../docs/templates.md", import.meta.url), "utf8");
const blocks = [...guide.matchAll(/```js\n([^]*?)```/g)].map((match) => match[1]!);
const IMPORT_RE = /^import \{([^}]+)\} from "typhoon\/template";$/;
const RESULT_RE = /^(.*);\s*\/\/ ((?:"|true|false|-?\d).*)$/;

/** Turns an example into a function body: imports become destructuring, result comments become assertions. */
function toProgram(block: string): { program: string; checks: number } {
  let checks = 0;
  const lines = block.split("\n").map((line) => {
    const imported = IMPORT_RE.exec(line);
    if (imported) return `const {${imported[1]}} = lib;`;
    const result = RESULT_RE.exec(line);
    if (!result) return line;
    checks++;
    return `assert.deepStrictEqual((${result[1]}), (${result[2]}), ${JSON.stringify(line)});`;
  });
  return { program: lines.join("\n"), checks };
}

void describe("docs/templates.md examples", () => {
  void test("the guide has examples", () => {
    assert.ok(blocks.length >= 10, `found ${blocks.length} js blocks`);
  });

  blocks.forEach((block, index) => {
    const firstLine = block.split("\n").find((line) => line && !line.startsWith("import"))!;
    void test(`example ${index + 1}: ${firstLine.slice(0, 60)}`, () => {
      const { program, checks } = toProgram(block);
      assert.ok(checks > 0, "every example states at least one result");
      // eslint-disable-next-line @typescript-eslint/no-implied-eval
      new Function("lib", "assert", program)(templateModule, assert);
    });
  });
});
