// Tests of autoreload against a real program in a temporary directory: restart on a source
// change, no restart on a template change, recovery after a syntax error.
// Mirrors the behaviour tested by tornado/test/autoreload_test.py (restart keeps running the program).
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const typhoon = pathToFileURL(join(root, "src/index.ts")).href;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** This environment without the test runner's own variables (the program is not a test). */
function childEnvironment(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env["NODE_TEST_CONTEXT"];
  return env;
}

let dir: string;
let port: number;
let child: ChildProcess;
let output = "";

async function answer(): Promise<string | undefined> {
  const response = await fetch(`http://127.0.0.1:${port}/`);
  return response.text();
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "typhoon-autoreload-"));
  mkdirSync(join(dir, "templates"));
  writeFileSync(join(dir, "templates", "page.html"), "v1");
  writeFileSync(join(dir, "value.mjs"), 'export const value = "v1";\n');
  writeFileSync(
    join(dir, "app.mjs"),
    `import { Application, RequestHandler } from ${JSON.stringify(typhoon)};
import { value } from "./value.mjs";
class Handler extends RequestHandler {
  get() { this.write(value + " " + process.pid); }
}
const app = new Application([["/", Handler]], { autoreload: true, templatePath: ${JSON.stringify(join(dir, "templates"))} });
await app.listen(Number(process.env.PORT), "127.0.0.1");
`,
  );
  port = await freePort();
  child = spawn(process.execPath, ["--import", "tsx", join(dir, "app.mjs")], {
    cwd: root,
    env: { ...childEnvironment(), PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
});

after(() => {
  child.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
});

test("a source change restarts the program; a template change does not; a syntax error is survived", async () => {
  const first = await waitFor(answer, "the first start");
  const [value, pid] = first.split(" ");
  assert.equal(value, "v1");

  writeFileSync(join(dir, "templates", "page.html"), "v2");
  await new Promise((resolve) => setTimeout(resolve, 1500));
  assert.equal(await answer(), first, "a template change must not restart");

  writeFileSync(join(dir, "value.mjs"), 'export const value = "v2";\n');
  const second = await waitFor(async () => {
    const text = await answer();
    return text?.startsWith("v2") ? text : undefined;
  }, "the restart after a source change");
  assert.notEqual(second.split(" ")[1], pid, "a new process serves after the restart");

  writeFileSync(join(dir, "value.mjs"), "export const value = ;\n");
  await waitFor(async () => (output.includes("waiting for a change to restart it") ? true : undefined), "the supervisor to report the failed start");
  assert.match(output, /SyntaxError/, "the broken version reported its error");
  await assert.rejects(answer(), "nothing serves while the program is broken");

  writeFileSync(join(dir, "value.mjs"), 'export const value = "v3";\n');
  const third = await waitFor(async () => {
    const text = await answer();
    return text?.startsWith("v3") ? text : undefined;
  }, `the restart after the fix (output so far: ${output})`);
  assert.match(third, /^v3 \d+$/);
});

test("the restarted program ends when its supervisor ends", async () => {
  child.kill("SIGTERM");
  await waitFor(async () => {
    try {
      await answer();
      return undefined;
    } catch {
      return true;
    }
  }, "the restarted program to exit with its supervisor", 10_000);
});
